/** The index keeps its data in flat typed arrays that grow by doubling. */
export type NumericArray = Int32Array | Uint8Array | Uint16Array | Float32Array | Float64Array;

export function grow<T extends NumericArray>(array: T, minLength: number): T {
  if (array.length >= minLength) return array;
  let length = Math.max(8, array.length);
  while (length < minLength) length *= 2;
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array as ArrayLike<number> & T);
  return grown;
}

/** A copy of the array exactly `length` long (longer: zero-filled; shorter: cut). */
export function resized<T extends NumericArray>(array: T, length: number): T {
  const out = new (array.constructor as new (length: number) => T)(length);
  out.set((array.length <= length ? array : array.subarray(0, length)) as ArrayLike<number> & T);
  return out;
}
