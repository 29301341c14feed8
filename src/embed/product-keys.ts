import { grow } from '../lexical/growable.ts';
import { packSections, Sections } from '../lexical/binary-sections.ts';

/**
 * Stable small integers for products, the keys of the vector spaces. The lexical index gives a product a
 * new document number on every update, so vectors cannot be keyed by document number without rewriting
 * them on each price change; instead each product keeps its key for as long as it exists, and this table
 * maps keys to the current document numbers and back. Keys of deleted products are reused.
 *
 * Products are found by document number only: the lexical index already maps ids to document numbers,
 * and a second id map (with its own copy of every id string) cost ~70 MB of heap at 1M products.
 */
export class ProductKeys {
  private docOfKey: Int32Array = new Int32Array(1024).fill(-1);
  private keyOfDoc: Int32Array = new Int32Array(1024).fill(-1);
  /** Keys handed out so far (bound or free). */
  private issued = 0;
  private bound = 0;
  private free: number[] = [];

  get size(): number {
    return this.bound;
  }

  /** One past the largest key handed out so far. */
  get keyLimit(): number {
    return this.issued;
  }

  /** The product's current document number, or -1. */
  docIdOf(key: number): number {
    return key >= 0 && key < this.docOfKey.length ? this.docOfKey[key]! : -1;
  }

  /** The key of a document number, or -1 (tombstoned documents have none). */
  keyOfDocId(docId: number): number {
    return docId >= 0 && docId < this.keyOfDoc.length ? this.keyOfDoc[docId]! : -1;
  }

  /**
   * The product's key, now pointing at `docId`: the key its previous document had (an update), or a
   * new one (a new product).
   */
  bind(docId: number, previousDocId?: number): number {
    let key = previousDocId === undefined ? -1 : this.keyOfDocId(previousDocId);
    if (key < 0) {
      key = this.free.pop() ?? this.issued++;
      this.bound++;
    } else {
      this.keyOfDoc[previousDocId!] = -1;
    }
    this.docOfKey = growFilled(this.docOfKey, key + 1);
    this.keyOfDoc = growFilled(this.keyOfDoc, docId + 1);
    this.docOfKey[key] = docId;
    this.keyOfDoc[docId] = key;
    return key;
  }

  /** Forgets the product of a (deleted) document; returns the key it had. */
  release(docId: number): number | undefined {
    const key = this.keyOfDocId(docId);
    if (key < 0) return undefined;
    this.keyOfDoc[docId] = -1;
    this.docOfKey[key] = -1;
    this.free.push(key);
    this.bound--;
    return key;
  }

  /** Follows a vacuum of the lexical index (old document number → new, or -1). */
  remap(mapping: Int32Array): void {
    const keyOfDoc = new Int32Array(Math.max(1024, this.keyOfDoc.length)).fill(-1);
    for (let key = 0; key < this.issued; key++) {
      const docId = this.docIdOf(key);
      if (docId < 0) continue;
      const next = docId < mapping.length ? mapping[docId]! : -1;
      this.docOfKey[key] = next;
      if (next >= 0) keyOfDoc[next] = key;
    }
    this.keyOfDoc = keyOfDoc;
  }

  serialize(): Uint8Array {
    const n = this.issued;
    const docOfKey = this.docOfKey.slice(0, n);
    return packSections({
      present: Uint8Array.from(docOfKey, (docId) => (docId >= 0 ? 1 : 0)),
      docOfKey,
    });
  }

  /** Restores a table (snapshots before this version also hold the ids, which are not needed). */
  static deserialize(bytes: Uint8Array): ProductKeys {
    const sections = new Sections(bytes);
    const keys = new ProductKeys();
    const present = sections.uint8('present');
    const docOfKey = sections.int32('docOfKey');
    keys.issued = present.length;
    keys.docOfKey = growFilled(keys.docOfKey, present.length);
    let maxDoc = -1;
    for (let key = 0; key < present.length; key++)
      if (present[key] === 1) maxDoc = Math.max(maxDoc, docOfKey[key]!);
    keys.keyOfDoc = growFilled(keys.keyOfDoc, maxDoc + 1);
    for (let key = 0; key < present.length; key++) {
      if (present[key] !== 1) continue;
      keys.docOfKey[key] = docOfKey[key]!;
      keys.keyOfDoc[docOfKey[key]!] = key;
      keys.bound++;
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
