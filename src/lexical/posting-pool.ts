import { grow, resized } from './growable.ts';

export const FIRST_BLOCK = 2;
const LARGEST_BLOCK = 1 << 14;

/** Slots of the block after one of `capacity` slots: twice as many, up to LARGEST_BLOCK. */
function nextBlockCapacity(capacity: number): number {
  return Math.min(capacity * 2, LARGEST_BLOCK);
}

/**
 * All postings of the index in shared arrays, as chains of blocks per term whose sizes double
 * (2, 4, 8, … up to 16k slots). Appending never allocates per term, only when the pool itself doubles,
 * which keeps bulk ingest free of hundreds of thousands of small typed-array allocations. The slot after a
 * block's last posting holds the index of the term's next block. A term's first block may be larger
 * (`headCapacity`): a snapshot restores each term as one block of exactly its postings, and the pool
 * exactly that long — at 1M products 13.4M slots where doubling blocks and a doubling pool used 18.3M
 * of 33.5M.
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
  private headCapacity: Int32Array = new Int32Array(1024);

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
   * (restoring a snapshot appends every posting of the index). Impacts are copied from `impacts` when
   * given, else left at 0 for the caller.
   */
  appendRun(
    term: number,
    docs: Int32Array,
    tfs: Uint8Array,
    from: number,
    n: number,
    impacts?: Float32Array,
  ): void {
    if (n <= 0) return;
    if (term >= this.head.length) this.growTerms(term + 1);
    const F = this.fields;
    for (let i = 0; i < n;) {
      let used = this.tailUsed[term]!;
      if (this.head[term] === -1 || used === this.tailCapacity[term]!) used = this.openBlock(term, n - i);
      const take = Math.min(this.tailCapacity[term]! - used, n - i);
      const slot = this.tail[term]! + used;
      const at = from + i;
      this.docs.set(docs.subarray(at, at + take), slot);
      this.tfs.set(tfs.subarray(at * F, (at + take) * F), slot * F);
      if (impacts) this.impacts.set(impacts.subarray(at, at + take), slot);
      this.tailUsed[term] = used + take;
      this.count[term]! += take;
      i += take;
    }
  }

  /**
   * Starts the term's next block — the first (room for `wanted` postings, at least FIRST_BLOCK), or one
   * twice the last's size up to LARGEST_BLOCK — and returns its used count, 0.
   */
  private openBlock(term: number, wanted = 1): number {
    const first = this.head[term] === -1;
    const capacity = this.tailCapacity[term]!;
    const size = first ? Math.max(FIRST_BLOCK, wanted) : nextBlockCapacity(capacity);
    const start = this.allocate(size + 1);
    if (first) {
      this.head[term] = start;
      this.headCapacity[term] = size;
    } else this.docs[this.tail[term]! + capacity] = start;
    this.tail[term] = start;
    this.tailCapacity[term] = size;
    this.tailUsed[term] = 0;
    return 0;
  }

  /** Slot of the term's first block (-1 when it has none); later blocks follow the chain (see forEachBlock). */
  firstBlock(term: number): number {
    return term < this.head.length ? this.head[term]! : -1;
  }

  /** Slots of the term's first block; each later one has min(twice the previous, LARGEST_BLOCK). */
  firstBlockCapacity(term: number): number {
    return term < this.headCapacity.length ? this.headCapacity[term]! : FIRST_BLOCK;
  }

  /** Calls `visit(start, n)` for each block of the term: slots start … start + n - 1, in append order. */
  forEachBlock(term: number, visit: (start: number, n: number) => void): void {
    let remaining = this.length(term);
    let block = remaining > 0 ? this.head[term]! : -1;
    let capacity = this.firstBlockCapacity(term);
    while (remaining > 0) {
      const n = Math.min(capacity, remaining);
      visit(block, n);
      remaining -= n;
      block = this.docs[block + capacity]!;
      capacity = nextBlockCapacity(capacity);
    }
  }

  /**
   * A new pool holding only postings whose document survives, renumbered through `mapping`
   * (old document → new, or -1; none: every posting kept as is), each term in one block of exactly its
   * postings, one after another.
   */
  compact(terms: number, mapping?: Int32Array): PostingPool {
    const next = new PostingPool(this.fields);
    next.growTerms(terms);
    const kept = new Int32Array(terms);
    let slots = 0;
    for (let term = 0; term < terms; term++) {
      let n = 0;
      if (mapping) {
        this.forEachBlock(term, (start, length) => {
          for (let slot = start; slot < start + length; slot++) if (mapping[this.docs[slot]!] !== -1) n++;
        });
      } else n = this.length(term);
      kept[term] = n;
      slots += PostingPool.slotsForRun(n);
    }
    next.reserve(slots);
    for (let term = 0; term < terms; term++) {
      if (kept[term] === 0) continue;
      next.openBlock(term, kept[term]);
      this.forEachBlock(term, (start, n) => {
        for (let slot = start; slot < start + n; slot++) {
          const doc = mapping ? mapping[this.docs[slot]!]! : this.docs[slot]!;
          if (doc !== -1) next.append(term, doc, this.tfs, slot * this.fields, this.impacts[slot]);
        }
      });
    }
    return next;
  }

  byteSize(): number {
    return this.docs.byteLength + this.tfs.byteLength + this.impacts.byteLength + 6 * this.head.byteLength;
  }

  /** Room for exactly `slots` slots in all (a known total, as when restoring a snapshot). */
  reserve(slots: number): void {
    if (slots <= this.docs.length) return;
    this.docs = resized(this.docs, slots);
    this.tfs = resized(this.tfs, slots * this.fields);
    this.impacts = resized(this.impacts, slots);
  }

  /** Slots a term of `postings` postings takes when appended at once (one block and its link slot). */
  static slotsForRun(postings: number): number {
    return postings > 0 ? Math.max(FIRST_BLOCK, postings) + 1 : 0;
  }

  private allocate(slots: number): number {
    const start = this.used;
    this.used += slots;
    if (this.used > this.docs.length) this.reserve(Math.max(this.used, 2 * this.docs.length));
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
    this.headCapacity = grow(this.headCapacity, length);
  }
}

/**
 * Read positions in several terms' postings at once, walked block by block: cursor c reads slots
 * slot[c] … end[c] - 1 of its current block, then `nextBlock` moves it on. A query keeps one per
 * expansion and advances them together through windows of document numbers.
 */
export class PostingCursors {
  slot = new Int32Array(16);
  end = new Int32Array(16);
  /** What a cursor's postings are multiplied by (the query term's idf and weights). */
  factor = new Float64Array(16);
  private block = new Int32Array(16);
  private capacity = new Int32Array(16);
  private remaining = new Int32Array(16);

  /** Puts cursor c at the term's first posting. */
  open(c: number, pool: PostingPool, term: number, factor: number): void {
    if (c >= this.slot.length) {
      const length = 2 * c;
      this.slot = grow(this.slot, length);
      this.end = grow(this.end, length);
      this.factor = grow(this.factor, length);
      this.block = grow(this.block, length);
      this.capacity = grow(this.capacity, length);
      this.remaining = grow(this.remaining, length);
    }
    const postings = pool.length(term);
    const block = postings > 0 ? pool.firstBlock(term) : 0;
    const capacity = pool.firstBlockCapacity(term);
    const n = Math.min(capacity, postings);
    this.factor[c] = factor;
    this.block[c] = block;
    this.capacity[c] = capacity;
    this.slot[c] = block;
    this.end[c] = block + n;
    this.remaining[c] = postings - n;
  }

  /** Moves cursor c to its next block; false when it has read all its postings. */
  nextBlock(c: number, docs: Int32Array): boolean {
    const remaining = this.remaining[c]!;
    if (remaining === 0) return false;
    const capacity = this.capacity[c]!;
    const block = docs[this.block[c]! + capacity]!;
    const next = nextBlockCapacity(capacity);
    const n = Math.min(next, remaining);
    this.block[c] = block;
    this.capacity[c] = next;
    this.slot[c] = block;
    this.end[c] = block + n;
    this.remaining[c] = remaining - n;
    return true;
  }
}
