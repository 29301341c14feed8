import { grow } from './growable.ts';

export const FIRST_BLOCK = 2;
export const LARGEST_BLOCK = 1 << 14;

/**
 * All postings of the index in two shared arrays, as chains of blocks per term whose sizes double
 * (2, 4, 8, … up to 16k slots). Appending never allocates per term, only when the pool itself doubles,
 * which keeps bulk ingest free of hundreds of thousands of small typed-array allocations. The slot after a
 * block's last posting holds the index of the term's next block.
 */
export class PostingPool {
  /** Document number per slot (or, in a block's link slot, the next block's start). */
  docs: Int32Array = new Int32Array(1 << 12);
  /** `fields` term frequencies per slot. */
  tfs: Uint8Array;
  /**
   * The posting's saturated, length-normalised term frequency per slot, tf / (tf + k1) in [0, 1), kept by
   * the lexical index (see LexicalIndex.refreshImpacts): a query reads it in sequence instead of the
   * document's field lengths at random, the costliest memory access of a query over a large catalogue.
   */
  impacts: Float32Array;
  private used = 0;
  private head: Int32Array = new Int32Array(1024).fill(-1);
  private tail: Int32Array = new Int32Array(1024);
  private tailCapacity: Int32Array = new Int32Array(1024);
  private tailUsed: Int32Array = new Int32Array(1024);
  private count: Int32Array = new Int32Array(1024);

  constructor(readonly fields: number) {
    this.tfs = new Uint8Array(this.docs.length * fields);
    this.impacts = new Float32Array(this.docs.length);
  }

  /** Slots in use, link slots and unfilled block space included. */
  get slotsUsed(): number {
    return this.used;
  }

  /** Postings of the term (dead documents included until compaction). */
  length(term: number): number {
    return term < this.count.length ? this.count[term]! : 0;
  }

  /** Appends a posting; `tfs[tfOffset … tfOffset + fields)` are its per-field frequencies. */
  append(term: number, doc: number, tfs: Uint8Array, tfOffset: number, impact = 0): void {
    if (term >= this.head.length) this.growTerms(term + 1);
    const F = this.fields;
    let used = this.tailUsed[term]!;
    if (this.head[term] === -1 || used === this.tailCapacity[term]!) used = this.openBlock(term);
    const slot = this.tail[term]! + used;
    this.docs[slot] = doc;
    const base = slot * F;
    for (let f = 0; f < F; f++) this.tfs[base + f] = tfs[tfOffset + f]!;
    this.impacts[slot] = impact;
    this.tailUsed[term] = used + 1;
    this.count[term]!++;
  }

  /**
   * Appends `n` postings at once: documents `docs[from … from + n)` with their frequencies at
   * `tfs[from · fields …)`. The same layout as `n` calls of `append`, copied a block at a time
   * (restoring a snapshot appends every posting of the index). Impacts are left at 0 for the caller.
   */
  appendRun(term: number, docs: Int32Array, tfs: Uint8Array, from: number, n: number): void {
    if (n <= 0) return;
    if (term >= this.head.length) this.growTerms(term + 1);
    const F = this.fields;
    for (let i = 0; i < n;) {
      let used = this.tailUsed[term]!;
      if (this.head[term] === -1 || used === this.tailCapacity[term]!) used = this.openBlock(term);
      const take = Math.min(this.tailCapacity[term]! - used, n - i);
      const slot = this.tail[term]! + used;
      const at = from + i;
      this.docs.set(docs.subarray(at, at + take), slot);
      this.tfs.set(tfs.subarray(at * F, (at + take) * F), slot * F);
      this.tailUsed[term] = used + take;
      this.count[term]! += take;
      i += take;
    }
  }

  /** Starts the term's next block (the first, or one twice the last's size); returns its used count, 0. */
  private openBlock(term: number): number {
    const first = this.head[term] === -1;
    const capacity = this.tailCapacity[term]!;
    const size = first ? FIRST_BLOCK : Math.min(capacity * 2, LARGEST_BLOCK);
    const start = this.allocate(size + 1);
    if (first) this.head[term] = start;
    else this.docs[this.tail[term]! + capacity] = start;
    this.tail[term] = start;
    this.tailCapacity[term] = size;
    this.tailUsed[term] = 0;
    return 0;
  }

  /** Slot of the term's first block (-1 when it has none); later blocks follow the chain (see forEachBlock). */
  firstBlock(term: number): number {
    return term < this.head.length ? this.head[term]! : -1;
  }

  /** Calls `visit(start, n)` for each block of the term: slots start … start + n - 1, in append order. */
  forEachBlock(term: number, visit: (start: number, n: number) => void): void {
    let remaining = this.length(term);
    let block = remaining > 0 ? this.head[term]! : -1;
    let capacity = FIRST_BLOCK;
    while (remaining > 0) {
      const n = Math.min(capacity, remaining);
      visit(block, n);
      remaining -= n;
      block = this.docs[block + capacity]!;
      capacity = Math.min(capacity * 2, LARGEST_BLOCK);
    }
  }

  /**
   * A new pool holding only postings whose document survives, renumbered through `mapping`
   * (old document → new, or -1), terms laid out one after another.
   */
  compact(terms: number, mapping: Int32Array): PostingPool {
    const next = new PostingPool(this.fields);
    next.reserve(this.used);
    for (let term = 0; term < terms; term++) {
      this.forEachBlock(term, (start, n) => {
        for (let slot = start; slot < start + n; slot++) {
          const doc = mapping[this.docs[slot]!]!;
          if (doc !== -1) next.append(term, doc, this.tfs, slot * this.fields, this.impacts[slot]);
        }
      });
    }
    return next;
  }

  byteSize(): number {
    return this.docs.byteLength + this.tfs.byteLength + this.impacts.byteLength + 5 * this.head.byteLength;
  }

  reserve(slots: number): void {
    if (slots <= this.docs.length) return;
    this.docs = grow(this.docs, slots);
    this.tfs = grow(this.tfs, this.docs.length * this.fields);
    this.impacts = grow(this.impacts, this.docs.length);
  }

  private allocate(slots: number): number {
    const start = this.used;
    this.used += slots;
    if (this.used > this.docs.length) this.reserve(this.used);
    return start;
  }

  private growTerms(length: number): void {
    const previous = this.head.length;
    this.head = grow(this.head, length);
    this.head.fill(-1, previous);
    this.tail = grow(this.tail, length);
    this.tailCapacity = grow(this.tailCapacity, length);
    this.tailUsed = grow(this.tailUsed, length);
    this.count = grow(this.count, length);
  }
}
