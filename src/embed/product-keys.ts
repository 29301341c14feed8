import { grow } from '../lexical/growable.ts';
import { packSections, Sections } from '../lexical/binary-sections.ts';

/**
 * Stable small integers for products, the keys of the vector spaces. The lexical index gives a product a
 * new document number on every update, so vectors cannot be keyed by document number without rewriting
 * them on each price change; instead each product keeps its key for as long as it exists, and this table
 * maps keys to the current document numbers and back. Keys of deleted products are reused.
 */
export class ProductKeys {
  private readonly keys = new Map<string, number>();
  private ids: Array<string | undefined> = [];
  private docOfKey: Int32Array = new Int32Array(1024).fill(-1);
  private keyOfDoc: Int32Array = new Int32Array(1024).fill(-1);
  private free: number[] = [];

  get size(): number {
    return this.keys.size;
  }

  keyOf(id: string): number | undefined {
    return this.keys.get(id);
  }

  idOf(key: number): string | undefined {
    return this.ids[key];
  }

  /** The product's current document number, or -1. */
  docIdOf(key: number): number {
    return key < this.docOfKey.length ? this.docOfKey[key]! : -1;
  }

  /** The key of a document number, or -1 (tombstoned documents have none). */
  keyOfDocId(docId: number): number {
    return docId < this.keyOfDoc.length ? this.keyOfDoc[docId]! : -1;
  }

  /** The product's key (a new one for a new product), now pointing at `docId`. */
  bind(id: string, docId: number): number {
    let key = this.keys.get(id);
    if (key === undefined) {
      key = this.free.pop() ?? this.ids.length;
      this.keys.set(id, key);
      this.ids[key] = id;
    }
    const previous = this.docIdOf(key);
    if (previous >= 0) this.keyOfDoc[previous] = -1;
    this.docOfKey = growFilled(this.docOfKey, key + 1);
    this.keyOfDoc = growFilled(this.keyOfDoc, docId + 1);
    this.docOfKey[key] = docId;
    this.keyOfDoc[docId] = key;
    return key;
  }

  /** Forgets a deleted product; returns the key it had. */
  release(id: string): number | undefined {
    const key = this.keys.get(id);
    if (key === undefined) return undefined;
    this.keys.delete(id);
    this.ids[key] = undefined;
    const docId = this.docIdOf(key);
    if (docId >= 0) this.keyOfDoc[docId] = -1;
    this.docOfKey[key] = -1;
    this.free.push(key);
    return key;
  }

  /** Follows a vacuum of the lexical index (old document number → new, or -1). */
  remap(mapping: Int32Array): void {
    const keyOfDoc = new Int32Array(Math.max(1024, this.keyOfDoc.length)).fill(-1);
    for (let key = 0; key < this.ids.length; key++) {
      const docId = this.docIdOf(key);
      if (docId < 0) continue;
      const next = docId < mapping.length ? mapping[docId]! : -1;
      this.docOfKey[key] = next;
      if (next >= 0) keyOfDoc[next] = key;
    }
    this.keyOfDoc = keyOfDoc;
  }

  serialize(): Uint8Array {
    const n = this.ids.length;
    return packSections({
      ids: this.ids.map((id) => id ?? '').join('\u0000'),
      present: Uint8Array.from(this.ids, (id) => (id === undefined ? 0 : 1)),
      docOfKey: this.docOfKey.slice(0, n),
    });
  }

  static deserialize(bytes: Uint8Array): ProductKeys {
    const sections = new Sections(bytes);
    const keys = new ProductKeys();
    const present = sections.uint8('present');
    const joined = sections.string('ids');
    const ids = present.length === 0 ? [] : joined.split('\u0000');
    const docOfKey = sections.int32('docOfKey');
    for (let key = 0; key < present.length; key++) {
      if (present[key] === 1) keys.bind(ids[key]!, docOfKey[key]!);
      else keys.ids[key] = undefined;
    }
    // Keys of deleted products wait for reuse, as before the snapshot.
    for (let key = 0; key < present.length; key++) if (present[key] !== 1) keys.free.push(key);
    return keys;
  }
}

function growFilled(array: Int32Array, minLength: number): Int32Array {
  if (array.length >= minLength) return array;
  const previous = array.length;
  const grown = grow(array, minLength);
  grown.fill(-1, previous);
  return grown;
}
