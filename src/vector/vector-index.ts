/**
 * A vector index over unit-length vectors. Entries are keyed by a small non-negative integer that stays
 * the same for a product across updates (the engine maps product ids to keys and keys to the lexical
 * index's current document numbers), so a price change never touches a vector index. Similarity is
 * cosine (= dot product of unit vectors); higher is better.
 */

export interface VectorHit {
  key: number;
  /** Cosine similarity, -1 … 1. */
  score: number;
}

export interface VectorSearchOptions {
  /** Keep only entries the predicate accepts; the index still returns k hits when k such entries exist. */
  filter?: ((key: number) => boolean) | undefined;
}

export interface VectorIndex {
  readonly dims: number;
  /** Live entries. */
  readonly size: number;
  /** Adds or replaces the vector under a key. */
  upsert(key: number, vector: Float32Array): void;
  /**
   * Row i of the flat `vectors` matrix under `keys[i]`, like that many upserts (a key listed twice keeps
   * its last row); an index may do it faster in bulk (HNSW inserts on all cores).
   */
  upsertMany(keys: ArrayLike<number>, vectors: Float32Array): void;
  remove(key: number): void;
  has(key: number): boolean;
  /** The k most similar live entries, best first. */
  search(query: Float32Array, k: number, options?: VectorSearchOptions): VectorHit[];
  /** Exact similarity of the query to each listed key (keys without a vector are left out). */
  score(query: Float32Array, keys: ArrayLike<number>): VectorHit[];
  /** The stored vector of a key (dequantised), for "more like this". */
  get(key: number): Float32Array | undefined;
  serialize(): Uint8Array;
  /** Approximate bytes held. */
  byteSize(): number;
}

/** Rows of `dims` numbers laid end to end: the flat matrix `upsertMany` takes. */
export function packRows(rows: readonly Float32Array[], dims: number): Float32Array {
  const flat = new Float32Array(rows.length * dims);
  rows.forEach((row, i) => flat.set(row, i * dims));
  return flat;
}
