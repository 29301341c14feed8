/**
 * Exact (brute-force) vector index over flat typed arrays. It is also the vector store behind the HNSW
 * index: that one keeps its graph in usearch and re-scores the graph's candidates against these slots,
 * so both share one layout, one quantiser and one serialisation.
 *
 * Layout: vectors live in slots (row `slot` of a flat array), a free-list recycles the slots of removed
 * keys, `slotKeys[slot]` is the key of a slot (-1 when free) and `keySlots[key]` is `slot + 1` (0 when
 * absent; keys are small dense integers, so an array beats a Map by a wide margin on every lookup).
 */

import { exactSearch, MetricKind } from 'usearch';
import { SoukError } from '../errors.ts';
import { packSections, Sections, type Section } from '../lexical/binary-sections.ts';
import { grow } from '../lexical/growable.ts';
import type { VectorHit, VectorIndex, VectorSearchOptions } from './vector-index.ts';

/**
 * How stored vectors are kept. `f32` is exact; `f16` halves memory and changed no top-10 result in our
 * measurements; `int8` (per-vector scale) quarters it and is scored float query × int8 codes, which
 * keeps cosine within ~1e-3 of the float value.
 */
export type VectorStorage = 'f32' | 'f16' | 'int8';

export interface ExactIndexOptions {
  storage?: VectorStorage;
}

export const VECTOR_FORMAT = 'souk-vector';
export const VECTOR_FORMAT_VERSION = 1;

/** The JSON header of every serialised vector index (section `meta`). */
export interface VectorIndexMeta {
  format: typeof VECTOR_FORMAT;
  version: number;
  kind: 'exact' | 'hnsw';
  dims: number;
  storage: VectorStorage;
  /** Options of the HNSW index, or of the `auto` wrapper; kept as plain JSON. */
  [extra: string]: unknown;
}

// Keys below this are looked up in a dense array; a stray huge key goes to a Map instead of allocating
// an array as long as the key.
const DENSE_KEY_LIMIT = 1 << 25;
const MAX_KEY = 0x7fffffff;
/**
 * Unfiltered f32 scans of at least this many multiply-adds go to usearch's SIMD exact search (measured
 * 6-10× faster than the JavaScript loop at 20k × 512); smaller ones are not worth the native call.
 */
const NATIVE_SCAN_MIN = 1 << 15;
/** The native scan also sees freed slots (their stale rows) and must over-fetch by their number. */
const NATIVE_SCAN_MAX_FREE = 4096;
/**
 * Filtered (or holey) int8/f32 scans copy the accepted rows into a chunk of this many bytes and rank
 * each chunk natively — f32 by inner product, int8 codes by cosine against the int8-coded query —
 * then re-score the chunk's best `GATHER_CANDIDATES` here. A row copy costs far less than a JavaScript
 * dot product (at 1M × 512, 1% accepted: 23 ms → see the benchmark's filter sweep).
 */
const GATHER_BYTES = 4 << 20;
const GATHER_CANDIDATES = 100;
/** Below this many dimensions a JavaScript dot product is as cheap as copying the row. */
const GATHER_MIN_DIMS = 32;

let halfTable: Float32Array | undefined;

/** Float value of every IEEE half, so decoding an f16 component is one table load. */
export function halfDecodeTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[h] = mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  halfTable = table;
  return table;
}

const floatScratch = new Float32Array(1);
const bitsScratch = new Uint32Array(floatScratch.buffer);

/** Nearest IEEE half (round half to even) of a float. */
export function toHalf(value: number): number {
  floatScratch[0] = value;
  const bits = bitsScratch[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff - 127 + 15) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent.
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/**
 * Writes `vector / |vector|` (its first `dims` components) into `out`; zero vectors stay zero. Throws on
 * NaN or infinite components, which would otherwise poison every score they touch.
 */
export function normalizeInto(vector: ArrayLike<number>, dims: number, out: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = vector[i]!;
    norm += x * x;
  }
  if (!Number.isFinite(norm)) {
    throw new SoukError('INVALID_REQUEST', 'vector has NaN or infinite components');
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dims; i++) out[i] = vector[i]! * scale;
  return out;
}

/** Per-vector symmetric int8 codes: `x ≈ code * scale`, scale = max|x| / 127. Returns the scale. */
export function quantizeInt8(vector: ArrayLike<number>, dims: number, out: Int8Array, offset = 0): number {
  let max = 0;
  for (let i = 0; i < dims; i++) {
    const x = Math.abs(vector[i]!);
    if (x > max) max = x;
  }
  if (max === 0) {
    out.fill(0, offset, offset + dims);
    return 0;
  }
  const inverse = 127 / max;
  for (let i = 0; i < dims; i++) out[offset + i] = Math.round(vector[i]! * inverse);
  return max / 127;
}

export function checkKey(key: number): void {
  if (!Number.isInteger(key) || key < 0 || key > MAX_KEY) {
    throw new SoukError('INVALID_REQUEST', `vector key must be an integer in 0…${MAX_KEY}, got ${key}`);
  }
}

export function checkDims(vector: ArrayLike<number>, dims: number): void {
  if (vector.length !== dims) {
    throw new SoukError('INVALID_REQUEST', `vector has ${vector.length} dimensions, the index ${dims}`);
  }
}

/**
 * The k best (score, key) pairs seen so far: a min-heap whose root is the worst kept pair. Ties go to the
 * smaller key so results do not depend on slot order.
 */
export class TopK {
  readonly scores: Float64Array;
  readonly keys: Int32Array;
  size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(k);
    this.keys = new Int32Array(k);
  }

  /** The score a new pair must reach to be kept (-Infinity while the heap is not full). */
  get threshold(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.scores[0]!;
  }

  offer(score: number, key: number): void {
    const scores = this.scores;
    const keys = this.keys;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const ps = scores[parent]!;
        if (ps < score || (ps === score && keys[parent]! > key)) break;
        scores[i] = ps;
        keys[i] = keys[parent]!;
        i = parent;
      }
      scores[i] = score;
      keys[i] = key;
      return;
    }
    const root = scores[0]!;
    if (score < root || (score === root && key >= keys[0]!)) return;
    // Sift the new pair down from the root.
    const n = this.size;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (
        right < n &&
        (scores[right]! < scores[child]! || (scores[right] === scores[child] && keys[right]! > keys[child]!))
      ) {
        child = right;
      }
      const cs = scores[child]!;
      if (score < cs || (score === cs && key > keys[child]!)) break;
      scores[i] = cs;
      keys[i] = keys[child]!;
      i = child;
    }
    scores[i] = score;
    keys[i] = key;
  }

  /** The kept pairs, best first. */
  hits(): VectorHit[] {
    const out: VectorHit[] = [];
    for (let i = 0; i < this.size; i++) out.push({ key: this.keys[i]!, score: this.scores[i]! });
    out.sort((a, b) => b.score - a.score || a.key - b.key);
    return out;
  }
}

export class ExactIndex implements VectorIndex {
  readonly dims: number;
  readonly storage: VectorStorage;
  /** Key of each slot, -1 for a free slot; only the first `highWater` entries are meaningful. */
  slotKeys: Int32Array = new Int32Array(0);
  /** Slots ever used; slots at or above it have never held a vector. */
  highWater = 0;
  private live = 0;
  private keySlots: Int32Array = new Int32Array(0);
  private bigKeys: Map<number, number> | undefined;
  private freeSlots: Int32Array = new Int32Array(0);
  private freeCount = 0;
  private f32: Float32Array = new Float32Array(0);
  private f16: Uint16Array = new Uint16Array(0);
  private i8bytes: Uint8Array = new Uint8Array(0);
  private i8: Int8Array = new Int8Array(0);
  private scales: Float32Array = new Float32Array(0);
  private readonly unit: Float32Array;
  private readonly queryScratch: Float32Array;
  private gatherRows: Int8Array | Float32Array | undefined;
  private gatherSlots: Int32Array | undefined;

  constructor(dims: number, options: ExactIndexOptions = {}) {
    if (!Number.isInteger(dims) || dims <= 0) {
      throw new SoukError('INVALID_REQUEST', `vector dimensions must be a positive integer, got ${dims}`);
    }
    this.dims = dims;
    this.storage = options.storage ?? 'f32';
    this.unit = new Float32Array(dims);
    this.queryScratch = new Float32Array(dims);
    if (this.storage === 'f16') halfDecodeTable();
  }

  get size(): number {
    return this.live;
  }

  slotOf(key: number): number {
    if (key < this.keySlots.length) return this.keySlots[key]! - 1;
    if (key < DENSE_KEY_LIMIT || this.bigKeys === undefined) return -1;
    return this.bigKeys.get(key) ?? -1;
  }

  has(key: number): boolean {
    return Number.isInteger(key) && key >= 0 && this.slotOf(key) >= 0;
  }

  upsert(key: number, vector: Float32Array): void {
    this.upsertSlot(key, vector);
  }

  /** Stores the vector and returns its slot; the vector is normalised before it is quantised. */
  upsertSlot(key: number, vector: ArrayLike<number>): number {
    checkKey(key);
    checkDims(vector, this.dims);
    normalizeInto(vector, this.dims, this.unit);
    let slot = this.slotOf(key);
    if (slot < 0) {
      slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount]! : this.highWater++;
      this.ensureSlots(slot + 1);
      this.slotKeys[slot] = key;
      this.setKeySlot(key, slot);
      this.live++;
    }
    this.writeSlot(slot, this.unit);
    return slot;
  }

  /** Row i of the flat `vectors` matrix under `keys[i]` (same shape as HnswIndex.upsertMany). */
  upsertMany(keys: ArrayLike<number>, vectors: Float32Array): void {
    const dims = this.dims;
    if (vectors.length !== keys.length * dims) {
      throw new SoukError('INVALID_REQUEST', `expected ${keys.length} vectors of ${dims} dimensions`);
    }
    for (let i = 0; i < keys.length; i++)
      this.upsertSlot(keys[i]!, vectors.subarray(i * dims, (i + 1) * dims));
  }

  remove(key: number): void {
    this.removeSlot(key);
  }

  /** Removes a key and returns the slot it held, or -1. */
  removeSlot(key: number): number {
    if (!Number.isInteger(key) || key < 0) return -1;
    const slot = this.slotOf(key);
    if (slot < 0) return -1;
    this.slotKeys[slot] = -1;
    if (key < this.keySlots.length) this.keySlots[key] = 0;
    else this.bigKeys?.delete(key);
    this.freeSlots = grow(this.freeSlots, this.freeCount + 1);
    this.freeSlots[this.freeCount++] = slot;
    this.live--;
    return slot;
  }

  search(query: Float32Array, k: number, options?: VectorSearchOptions): VectorHit[] {
    checkDims(query, this.dims);
    if (k <= 0 || this.live === 0) return [];
    const q = normalizeInto(query, this.dims, this.queryScratch);
    return this.searchNormalized(q, k, options?.filter);
  }

  /** Exact top-k of an already normalised query, scanning only the keys the filter accepts. */
  searchNormalized(q: Float32Array, k: number, filter: ((key: number) => boolean) | undefined): VectorHit[] {
    const top = new TopK(Math.min(k, this.live));
    if (top.k === 0) return [];
    if (
      filter === undefined &&
      this.storage === 'f32' &&
      this.live * this.dims >= NATIVE_SCAN_MIN &&
      this.freeCount <= NATIVE_SCAN_MAX_FREE
    ) {
      return this.nativeSearch(q, top);
    }
    if (this.storage !== 'f16' && this.dims >= GATHER_MIN_DIMS && this.live * this.dims >= NATIVE_SCAN_MIN) {
      this.gatheredSearch(q, top, filter);
      return top.hits();
    }
    if (this.storage === 'f32') scanF32(this.f32, this.dims, this.slotKeys, this.highWater, q, filter, top);
    else if (this.storage === 'f16') {
      scanF16(this.f16, halfDecodeTable(), this.dims, this.slotKeys, this.highWater, q, filter, top);
    } else scanI8(this.i8, this.scales, this.dims, this.slotKeys, this.highWater, q, filter, top);
    return top.hits();
  }

  /** usearch's exact search over the flat f32 rows; candidates are re-scored here so scores match `score`. */
  private nativeSearch(q: Float32Array, top: TopK): VectorHit[] {
    // The binding reads the query from the start of its ArrayBuffer, ignoring the view's offset.
    const query = q.byteOffset === 0 && q.buffer.byteLength === q.byteLength ? q : q.slice();
    const wanted = Math.min(this.highWater, top.k + this.freeCount);
    const dataset = this.f32.subarray(0, this.highWater * this.dims);
    const matches = exactSearch(dataset, query, this.dims, wanted, MetricKind.IP, 1);
    const slots = matches.keys;
    for (let i = 0; i < slots.length; i++) {
      const slot = Number(slots[i]!);
      const key = this.slotKeys[slot]!;
      if (key >= 0) top.offer(this.dotSlot(q, slot), key);
    }
    return top.hits();
  }

  /** See GATHER_BYTES: accepted rows are copied into chunks ranked natively, then re-scored here. */
  private gatheredSearch(q: Float32Array, top: TopK, filter: ((key: number) => boolean) | undefined): void {
    const dims = this.dims;
    const int8 = this.storage === 'int8';
    const capacity = Math.max(GATHER_CANDIDATES * 2, Math.floor(GATHER_BYTES / (dims * (int8 ? 1 : 4))));
    const rows = (this.gatherRows ??= int8
      ? new Int8Array(capacity * dims)
      : new Float32Array(capacity * dims));
    const slots = (this.gatherSlots ??= new Int32Array(capacity));
    let query: Int8Array | Float32Array;
    if (int8) {
      query = new Int8Array(dims);
      quantizeInt8(q, dims, query);
    } else {
      // The binding reads the query from the start of its ArrayBuffer, ignoring the view's offset.
      query = q.byteOffset === 0 && q.buffer.byteLength === q.byteLength ? q : q.slice();
    }
    const metric = int8 ? MetricKind.Cos : MetricKind.IP;
    const wanted = Math.max(top.k, GATHER_CANDIDATES);
    const source = int8 ? this.i8 : this.f32;
    const slotKeys = this.slotKeys;
    let n = 0;
    const flush = (): void => {
      if (n <= wanted) {
        for (let i = 0; i < n; i++) {
          const slot = slots[i]!;
          top.offer(this.dotSlot(q, slot), slotKeys[slot]!);
        }
      } else {
        const found = exactSearch(rows.subarray(0, n * dims), query, dims, wanted, metric, 1).keys;
        for (let i = 0; i < found.length; i++) {
          const slot = slots[Number(found[i]!)]!;
          top.offer(this.dotSlot(q, slot), slotKeys[slot]!);
        }
      }
      n = 0;
    };
    for (let slot = 0; slot < this.highWater; slot++) {
      const key = slotKeys[slot]!;
      if (key < 0 || (filter !== undefined && !filter(key))) continue;
      const o = slot * dims;
      if (int8) (rows as Int8Array).set((source as Int8Array).subarray(o, o + dims), n * dims);
      else (rows as Float32Array).set((source as Float32Array).subarray(o, o + dims), n * dims);
      slots[n++] = slot;
      if (n === capacity) flush();
    }
    flush();
  }

  score(query: Float32Array, keys: ArrayLike<number>): VectorHit[] {
    checkDims(query, this.dims);
    const q = normalizeInto(query, this.dims, this.queryScratch);
    const out: VectorHit[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (!Number.isInteger(key) || key < 0) continue;
      const slot = this.slotOf(key);
      if (slot >= 0) out.push({ key, score: this.dotSlot(q, slot) });
    }
    return out;
  }

  /** Similarity of a normalised query to the vector in a slot. */
  dotSlot(q: Float32Array, slot: number): number {
    const dims = this.dims;
    const o = slot * dims;
    let sum = 0;
    if (this.storage === 'f32') {
      const data = this.f32;
      for (let j = 0; j < dims; j++) sum += data[o + j]! * q[j]!;
    } else if (this.storage === 'f16') {
      const data = this.f16;
      const table = halfDecodeTable();
      for (let j = 0; j < dims; j++) sum += table[data[o + j]!]! * q[j]!;
    } else {
      const data = this.i8;
      for (let j = 0; j < dims; j++) sum += data[o + j]! * q[j]!;
      sum *= this.scales[slot]!;
    }
    return sum;
  }

  get(key: number): Float32Array | undefined {
    if (!Number.isInteger(key) || key < 0) return undefined;
    const slot = this.slotOf(key);
    if (slot < 0) return undefined;
    return this.readSlot(slot, new Float32Array(this.dims));
  }

  /** Writes the (dequantised) vector of a slot into `out`. */
  readSlot(slot: number, out: Float32Array): Float32Array {
    const dims = this.dims;
    const o = slot * dims;
    if (this.storage === 'f32') out.set(this.f32.subarray(o, o + dims));
    else if (this.storage === 'f16') {
      const table = halfDecodeTable();
      for (let j = 0; j < dims; j++) out[j] = table[this.f16[o + j]!]!;
    } else {
      const scale = this.scales[slot]!;
      for (let j = 0; j < dims; j++) out[j] = this.i8[o + j]! * scale;
    }
    return out;
  }

  /** The int8 codes of a slot, viewed in place (int8 storage only). */
  int8Row(slot: number): Int8Array {
    return this.i8.subarray(slot * this.dims, (slot + 1) * this.dims);
  }

  /**
   * Share of live keys the filter accepts, from a fixed pseudo-random sample of slots (the same sample
   * every call, so results are reproducible). Costs `samples` predicate calls.
   */
  estimateSelectivity(filter: (key: number) => boolean, samples = 512): number {
    if (this.live === 0) return 0;
    const slots = this.highWater;
    let seen = 0;
    let accepted = 0;
    let state = 0x9e3779b9;
    // Probe a bounded number of slots: a store that is mostly free slots just yields a smaller sample.
    for (let probe = 0; probe < samples * 4 && seen < samples; probe++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const key = this.slotKeys[(state >>> 0) % slots]!;
      if (key < 0) continue;
      seen++;
      if (filter(key)) accepted++;
    }
    return seen === 0 ? 1 : accepted / seen;
  }

  byteSize(): number {
    return (
      this.f32.byteLength +
      this.f16.byteLength +
      this.i8bytes.byteLength +
      this.scales.byteLength +
      this.slotKeys.byteLength +
      this.keySlots.byteLength +
      this.freeSlots.byteLength +
      (this.bigKeys?.size ?? 0) * 40
    );
  }

  /** A copy with another storage (same keys, same slots), e.g. when an exact index turns into HNSW. */
  convert(storage: VectorStorage): ExactIndex {
    const copy = new ExactIndex(this.dims, { storage });
    copy.ensureSlots(this.highWater);
    copy.highWater = this.highWater;
    copy.live = this.live;
    copy.slotKeys.set(this.slotKeys.subarray(0, this.highWater));
    copy.keySlots = this.keySlots.slice();
    copy.bigKeys = this.bigKeys && new Map(this.bigKeys);
    copy.freeSlots = this.freeSlots.slice();
    copy.freeCount = this.freeCount;
    const vector = new Float32Array(this.dims);
    for (let slot = 0; slot < this.highWater; slot++) {
      if (this.slotKeys[slot]! >= 0) copy.writeSlot(slot, this.readSlot(slot, vector));
    }
    return copy;
  }

  /** Keys of all live entries, in slot order. */
  keys(): Int32Array {
    const out = new Int32Array(this.live);
    let n = 0;
    for (let slot = 0; slot < this.highWater; slot++) {
      const key = this.slotKeys[slot]!;
      if (key >= 0) out[n++] = key;
    }
    return out;
  }

  serialize(): Uint8Array {
    return packSections({ meta: JSON.stringify(this.meta()), ...this.sections() });
  }

  meta(): VectorIndexMeta {
    return {
      format: VECTOR_FORMAT,
      version: VECTOR_FORMAT_VERSION,
      kind: 'exact',
      dims: this.dims,
      storage: this.storage,
    };
  }

  /** The store's sections, to be packed alongside others (the HNSW index adds its graph). */
  sections(): Record<string, Section> {
    const used = this.highWater * this.dims;
    const sections: Record<string, Section> = { slotKeys: this.slotKeys.subarray(0, this.highWater) };
    if (this.storage === 'f32') sections.vectors = this.f32.subarray(0, used);
    else if (this.storage === 'f16') sections.vectors = this.f16.subarray(0, used);
    else {
      sections.vectors = this.i8bytes.subarray(0, used);
      sections.scales = this.scales.subarray(0, this.highWater);
    }
    return sections;
  }

  static deserialize(bytes: Uint8Array): ExactIndex {
    const sections = new Sections(bytes);
    const meta = readMeta(sections);
    if (meta.kind !== 'exact') {
      throw new SoukError('SNAPSHOT_INVALID', `expected an exact vector index, found "${meta.kind}"`);
    }
    return ExactIndex.fromSections(sections, meta);
  }

  static fromSections(sections: Sections, meta: VectorIndexMeta): ExactIndex {
    const index = new ExactIndex(meta.dims, { storage: meta.storage });
    const slotKeys = sections.int32('slotKeys');
    const slots = slotKeys.length;
    const used = slots * meta.dims;
    if (meta.storage === 'f32') index.f32 = sections.float32('vectors');
    else if (meta.storage === 'f16') index.f16 = sections.uint16('vectors');
    else {
      index.i8bytes = sections.uint8('vectors');
      index.i8 = new Int8Array(index.i8bytes.buffer, index.i8bytes.byteOffset, index.i8bytes.length);
      index.scales = sections.float32('scales');
      if (index.scales.length !== slots) throw invalid('scales');
    }
    const vectorLength =
      meta.storage === 'f32' ? index.f32.length : meta.storage === 'f16' ? index.f16.length : index.i8.length;
    if (vectorLength !== used) throw invalid('vectors');
    index.slotKeys = slotKeys;
    index.highWater = slots;
    for (let slot = 0; slot < slots; slot++) {
      const key = slotKeys[slot]!;
      if (key < 0) {
        index.freeSlots = grow(index.freeSlots, index.freeCount + 1);
        index.freeSlots[index.freeCount++] = slot;
      } else {
        if (index.slotOf(key) >= 0) throw invalid('slotKeys');
        index.setKeySlot(key, slot);
        index.live++;
      }
    }
    // Hand out low slots first after a reload, as a fresh index would.
    index.freeSlots.subarray(0, index.freeCount).reverse();
    return index;
  }

  private setKeySlot(key: number, slot: number): void {
    if (key < DENSE_KEY_LIMIT) {
      if (key >= this.keySlots.length) this.keySlots = grow(this.keySlots, key + 1);
      this.keySlots[key] = slot + 1;
    } else {
      (this.bigKeys ??= new Map()).set(key, slot);
    }
  }

  private ensureSlots(slots: number): void {
    if (this.slotKeys.length >= slots) return;
    const before = this.slotKeys.length;
    this.slotKeys = grow(this.slotKeys, slots);
    this.slotKeys.fill(-1, before);
    const length = this.slotKeys.length;
    if (this.storage === 'f32') this.f32 = grow(this.f32, length * this.dims);
    else if (this.storage === 'f16') this.f16 = grow(this.f16, length * this.dims);
    else {
      this.i8bytes = grow(this.i8bytes, length * this.dims);
      this.i8 = new Int8Array(this.i8bytes.buffer, this.i8bytes.byteOffset, this.i8bytes.length);
      this.scales = grow(this.scales, length);
    }
  }

  private writeSlot(slot: number, unit: Float32Array): void {
    const dims = this.dims;
    const o = slot * dims;
    if (this.storage === 'f32') this.f32.set(unit, o);
    else if (this.storage === 'f16') {
      for (let j = 0; j < dims; j++) this.f16[o + j] = toHalf(unit[j]!);
    } else {
      this.scales[slot] = quantizeInt8(unit, dims, this.i8, o);
    }
  }
}

function invalid(section: string): SoukError {
  return new SoukError('SNAPSHOT_INVALID', `vector index section "${section}" is inconsistent`);
}

export function readMeta(sections: Sections): VectorIndexMeta {
  let meta: VectorIndexMeta;
  try {
    meta = JSON.parse(sections.string('meta')) as VectorIndexMeta;
  } catch (error) {
    if (error instanceof SoukError) throw error;
    throw new SoukError('SNAPSHOT_INVALID', 'vector index header is unreadable', {}, { cause: error });
  }
  if (meta.format !== VECTOR_FORMAT || meta.version !== VECTOR_FORMAT_VERSION) {
    throw new SoukError(
      'SNAPSHOT_INVALID',
      `not a vector index snapshot of version ${VECTOR_FORMAT_VERSION}`,
    );
  }
  if (!Number.isInteger(meta.dims) || meta.dims <= 0 || !['f32', 'f16', 'int8'].includes(meta.storage)) {
    throw new SoukError('SNAPSHOT_INVALID', 'vector index header is inconsistent');
  }
  return meta;
}

// The scans are three copies of one loop so each stays monomorphic (one array type per loop) and the
// four accumulators let V8 keep several multiply-adds in flight.

function scanF32(
  data: Float32Array,
  dims: number,
  slotKeys: Int32Array,
  slots: number,
  q: Float32Array,
  filter: ((key: number) => boolean) | undefined,
  top: TopK,
): void {
  const tail = dims & ~3;
  for (let slot = 0; slot < slots; slot++) {
    const key = slotKeys[slot]!;
    if (key < 0 || (filter !== undefined && !filter(key))) continue;
    let p = slot * dims;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let j = 0;
    for (; j < tail; j += 4, p += 4) {
      a0 += data[p]! * q[j]!;
      a1 += data[p + 1]! * q[j + 1]!;
      a2 += data[p + 2]! * q[j + 2]!;
      a3 += data[p + 3]! * q[j + 3]!;
    }
    for (; j < dims; j++, p++) a0 += data[p]! * q[j]!;
    const score = a0 + a1 + (a2 + a3);
    if (score >= top.threshold) top.offer(score, key);
  }
}

function scanF16(
  data: Uint16Array,
  table: Float32Array,
  dims: number,
  slotKeys: Int32Array,
  slots: number,
  q: Float32Array,
  filter: ((key: number) => boolean) | undefined,
  top: TopK,
): void {
  const tail = dims & ~3;
  for (let slot = 0; slot < slots; slot++) {
    const key = slotKeys[slot]!;
    if (key < 0 || (filter !== undefined && !filter(key))) continue;
    let p = slot * dims;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let j = 0;
    for (; j < tail; j += 4, p += 4) {
      a0 += table[data[p]!]! * q[j]!;
      a1 += table[data[p + 1]!]! * q[j + 1]!;
      a2 += table[data[p + 2]!]! * q[j + 2]!;
      a3 += table[data[p + 3]!]! * q[j + 3]!;
    }
    for (; j < dims; j++, p++) a0 += table[data[p]!]! * q[j]!;
    const score = a0 + a1 + (a2 + a3);
    if (score >= top.threshold) top.offer(score, key);
  }
}

function scanI8(
  data: Int8Array,
  scales: Float32Array,
  dims: number,
  slotKeys: Int32Array,
  slots: number,
  q: Float32Array,
  filter: ((key: number) => boolean) | undefined,
  top: TopK,
): void {
  const tail = dims & ~3;
  for (let slot = 0; slot < slots; slot++) {
    const key = slotKeys[slot]!;
    if (key < 0 || (filter !== undefined && !filter(key))) continue;
    let p = slot * dims;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let j = 0;
    for (; j < tail; j += 4, p += 4) {
      a0 += data[p]! * q[j]!;
      a1 += data[p + 1]! * q[j + 1]!;
      a2 += data[p + 2]! * q[j + 2]!;
      a3 += data[p + 3]! * q[j + 3]!;
    }
    for (; j < dims; j++, p++) a0 += data[p]! * q[j]!;
    const score = (a0 + a1 + (a2 + a3)) * scales[slot]!;
    if (score >= top.threshold) top.offer(score, key);
  }
}
