/**
 * Approximate vector index: an HNSW graph in usearch (int8, f16 or f32 vectors inside the graph) for the
 * first stage, and an `ExactIndex` holding every vector for exact re-scoring, `get`, `score` and the
 * exact scan selective filters fall back to.
 *
 * Why usearch over hnswlib-node (both measured on the same 54,667 × 512 vectors, M = 16, ef_add = 128):
 * int8/f16/b1 storage in the graph — 660 B per 512-d node against hnswlib's f32-only 2,200 B (2.2 GB
 * of graph at 1M × 512, over the project's 1.5 GB budget on its own); bulk insertion on all cores
 * (hnswlib inserts one JS number[] at a time on one thread); serialisation and a SIMD exact search. Query
 * speed and f32 recall were alike (p50 0.3–0.5 ms, recall@10 ≈ 1.0). hnswlib's predicate filter calls
 * back into JavaScript for every visited node: 19 ms at 1% selectivity where the exact scan of the
 * accepted keys below takes 0.7 ms, so losing it costs nothing.
 *
 * Two choices matter for quality:
 * - int8 codes are ours (per-vector max-abs scale, rounded), not usearch's (x · 127 / |x|, truncated,
 *   which leaves a 512-d unit vector about three bits per component). Cosine is scale-free, so the
 *   graph's metric needs no scale.
 * - Every first-stage candidate list is re-scored against the store, which recovers what quantisation
 *   loses: raw int8 recall@10 of 0.95 becomes 0.99+ with an int8 store and 1.00 with an f16/f32 store.
 *
 * Filters: usearch's JavaScript binding has no predicate search, so a filtered query first estimates the
 * share of keys the filter accepts from a fixed sample of 512 keys, then either scans the accepted keys
 * exactly (cost ∝ live keys + accepted keys × dims) or over-fetches `wanted / share` graph candidates and
 * filters them (cost ∝ 1 / share), whichever a cost model fitted to the benchmark says is cheaper. The
 * graph path grows its fetch and finally scans exactly if fewer than k candidates pass, so k hits come
 * back whenever k keys pass.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SoukError } from '../errors.ts';
import { packSections, Sections, type Section } from '../lexical/binary-sections.ts';
import {
  checkDims,
  checkKey,
  ExactIndex,
  normalizeInto,
  quantizeInt8,
  readMeta,
  TopK,
  VECTOR_FORMAT,
  VECTOR_FORMAT_VERSION,
  type VectorIndexMeta,
  type VectorStorage,
} from './exact-index.ts';
import type { VectorHit, VectorIndex, VectorSearchOptions } from './vector-index.ts';

/**
 * Vectors inside the graph. `b1` keeps one sign bit per (centred) component — 64 B for 512-d instead
 * of 512 — and ranks graph candidates by Hamming distance; the re-scoring store (int8 by default) then
 * restores the order. It cuts graph memory ~4× and build time ~10×; see the report for its recall.
 */
export type GraphQuantization = 'int8' | 'f16' | 'f32' | 'b1';

export interface HnswIndexOptions {
  /** Vectors inside the graph (first stage). */
  quantization?: GraphQuantization;
  /** Vectors kept for re-scoring, `get` and exact scans; defaults to the graph's quantization (int8 for b1). */
  storage?: VectorStorage;
  /** Graph degree M (the base layer keeps 2·M neighbours). */
  connectivity?: number;
  expansionAdd?: number;
  expansionSearch?: number;
  /** Graph candidates re-scored exactly; the first stage fetches max(k, this). */
  rescoreCandidates?: number;
  /** Build the graph over the first n dimensions only (Matryoshka models); re-scoring uses all. */
  firstStageDims?: number;
  /** Threads for bulk insertion (default: all cores). Single upserts and searches use the caller's. */
  threads?: number;
  /**
   * Filtered searches: `auto` scans the accepted keys exactly or over-fetches from the graph, whichever
   * its cost estimate says is cheaper; `exact` and `graph` force one path (tests, benchmarks).
   */
  filterPath?: 'auto' | 'exact' | 'graph';
  /**
   * Searches scan exactly while live vectors × dimensions is at most this many multiply-adds: below it
   * a scan costs about what a graph query plus re-scoring does, and it is exact. 0 = always the graph.
   */
  exactScanBudget?: number;
}

export type ResolvedHnswOptions = Required<Omit<HnswIndexOptions, 'threads'>>;

const DEFAULTS = {
  quantization: 'int8',
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 64,
  rescoreCandidates: 100,
  filterPath: 'auto',
  exactScanBudget: 1 << 20,
} as const;

/** Vectors per native bulk insertion call (bounds the temporary matrix). */
const BULK_CHUNK = 16_384;
/** Keys per selectivity estimate. */
const SELECTIVITY_SAMPLES = 512;
/** Graph candidates fetched per wanted hit beyond 1 / share (the share is an estimate). */
const OVERFETCH = 1.25;
// Cost model of the two filter paths, fitted to bench/vector-bench.ts's filter sweep at 54k and 1M
// (ns; the machine's absolute speed cancels out, only the ratios matter). A graph candidate costs the
// same whatever the vector width — traversal is memory-latency bound — except that a b1 graph needs
// more hops for the same candidates.
const PREDICATE_NS = 3;
const SCAN_MAC_NS = 1;
const GRAPH_CANDIDATE_NS = 4500;
const B1_CANDIDATE_FACTOR = 2.5;

const SCALAR_KIND = { int8: 'i8', f16: 'f16', f32: 'f32', b1: 'b1' } as const;
const GRAPH_BYTES_PER_COMPONENT = { int8: 1, f16: 2, f32: 4, b1: 1 / 8 } as const;
/** A b1 graph started empty is rebuilt once around the mean of its first this-many vectors. */
const CENTRE_AT = 4096;

/**
 * usearch's compiled index, used directly: its JavaScript wrapper turns every Int8Array into a
 * Float32Array before the native call, so usearch would re-quantise our int8 codes with its own
 * x · 127 / |x| truncation (measured: raw recall@10 0.95 instead of 0.99 at 54k × 512). The compiled
 * class dispatches on the typed array, so Int8Array input is stored as is. Pinned to usearch 2.25.3.
 */
interface NativeIndex {
  add(keys: BigUint64Array, vectors: Float32Array | Int8Array, threads: number): void;
  /** [keys, distances, counts], each `k` long per query; only the first `counts[q]` are results. */
  search(
    queries: Float32Array | Int8Array,
    k: number,
    threads: number,
  ): [BigUint64Array, Float32Array, BigUint64Array];
  remove(keys: BigUint64Array): number[];
  size(): number;
  capacity(): number;
  dimensions(): number;
  save(path: string): void;
  load(path: string): void;
}

interface NativeModule {
  CompiledIndex: new (
    dimensions: number,
    metric: string,
    quantization: string,
    connectivity: number,
    expansionAdd: number,
    expansionSearch: number,
    multi: boolean,
  ) => NativeIndex;
}

let nativeModule: NativeModule | undefined;

function native(): NativeModule {
  if (nativeModule) return nativeModule;
  const requireHere = createRequire(import.meta.url);
  const entry = requireHere.resolve('usearch');
  // <package>/javascript/dist/<esm|cjs>/usearch.js → <package>, where node-gyp-build finds prebuilds/.
  const packageRoot = join(dirname(entry), '..', '..', '..');
  const load = createRequire(entry)('node-gyp-build') as (dir: string) => Partial<NativeModule>;
  const loaded = load(packageRoot);
  if (typeof loaded.CompiledIndex !== 'function') {
    throw new SoukError(
      'INTERNAL',
      'usearch native binding has no CompiledIndex (unsupported usearch version)',
    );
  }
  nativeModule = loaded as NativeModule;
  return nativeModule;
}

export function resolveHnswOptions(dims: number, options: HnswIndexOptions = {}): ResolvedHnswOptions {
  const quantization = options.quantization ?? DEFAULTS.quantization;
  const resolved: ResolvedHnswOptions = {
    quantization,
    storage: options.storage ?? (quantization === 'b1' ? 'int8' : quantization),
    connectivity: options.connectivity ?? DEFAULTS.connectivity,
    expansionAdd: options.expansionAdd ?? DEFAULTS.expansionAdd,
    expansionSearch: options.expansionSearch ?? DEFAULTS.expansionSearch,
    rescoreCandidates: options.rescoreCandidates ?? DEFAULTS.rescoreCandidates,
    firstStageDims: options.firstStageDims ?? dims,
    filterPath: options.filterPath ?? DEFAULTS.filterPath,
    exactScanBudget: options.exactScanBudget ?? DEFAULTS.exactScanBudget,
  };
  if (!(resolved.quantization in SCALAR_KIND) || !['f32', 'f16', 'int8'].includes(resolved.storage)) {
    throw new SoukError('INVALID_REQUEST', 'vector quantization must be int8, f16, f32 or b1');
  }
  const { firstStageDims, connectivity, expansionAdd, expansionSearch, rescoreCandidates } = resolved;
  if (!Number.isInteger(firstStageDims) || firstStageDims <= 0 || firstStageDims > dims) {
    throw new SoukError('INVALID_REQUEST', `firstStageDims must be in 1…${dims}, got ${firstStageDims}`);
  }
  for (const [name, value] of Object.entries({ connectivity, expansionAdd, expansionSearch })) {
    if (!Number.isInteger(value) || value < 2) {
      throw new SoukError('INVALID_REQUEST', `vector ${name} must be an integer ≥ 2, got ${value}`);
    }
  }
  if (!Number.isInteger(rescoreCandidates) || rescoreCandidates < 0) {
    throw new SoukError('INVALID_REQUEST', `rescoreCandidates must be a non-negative integer`);
  }
  return resolved;
}

export class HnswIndex implements VectorIndex {
  readonly dims: number;
  readonly options: ResolvedHnswOptions;
  /** Every vector, for re-scoring and exact scans. */
  readonly store: ExactIndex;
  private graph: NativeIndex;
  /** One-key buffer for single inserts and removals. */
  private readonly oneKey = new BigUint64Array(1);
  /** Removed nodes still linked in the graph; usearch reuses them for later insertions. */
  private graphDead = 0;
  private readonly threads: number;
  private readonly graphDims: number;
  /** Dimensions of the native graph: graphDims, padded to whole bytes for b1 (the padding bits stay 0). */
  private readonly nativeDims: number;
  private readonly queryUnit: Float32Array;
  private readonly row: Float32Array;
  private readonly row8: Int8Array;
  private readonly rowBits: Float32Array;
  /** b1 only: the mean the sign bits are taken around, and how many vectors it was computed from. */
  private centre: Float32Array | undefined;
  private centredOn = 0;

  /**
   * An empty index, or one over an existing store: its graph is built from the store's vectors, or
   * loaded from `graph` (bytes usearch saved) when restoring a snapshot.
   */
  constructor(dims: number, options: HnswIndexOptions = {}, store?: ExactIndex, graph?: Uint8Array) {
    this.options = resolveHnswOptions(dims, options);
    this.dims = dims;
    this.graphDims = this.options.firstStageDims;
    this.nativeDims = this.options.quantization === 'b1' ? Math.ceil(this.graphDims / 8) * 8 : this.graphDims;
    this.threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), availableParallelism()));
    if (store && (store.dims !== dims || store.storage !== this.options.storage)) {
      throw new SoukError('INTERNAL', 'vector store does not match the HNSW index');
    }
    this.store = store ?? new ExactIndex(dims, { storage: this.options.storage });
    this.queryUnit = new Float32Array(dims);
    this.row = new Float32Array(dims);
    this.row8 = new Int8Array(this.graphDims);
    this.rowBits = new Float32Array(this.nativeDims);
    this.graph = this.newGraph();
    if (graph) this.loadGraph(graph);
    else if (this.store.size > 0) {
      this.computeCentre();
      this.addSlots(this.liveSlots());
    }
  }

  /** Builds an HNSW index over the vectors of an exact index (converted if its storage differs). */
  static fromExact(exact: ExactIndex, options: HnswIndexOptions = {}): HnswIndex {
    const resolved = resolveHnswOptions(exact.dims, options);
    const store = exact.storage === resolved.storage ? exact : exact.convert(resolved.storage);
    return new HnswIndex(exact.dims, options, store);
  }

  get size(): number {
    return this.store.size;
  }

  has(key: number): boolean {
    return this.store.has(key);
  }

  upsert(key: number, vector: Float32Array): void {
    const existed = this.store.has(key);
    const slot = this.store.upsertSlot(key, vector);
    if (existed) this.removeFromGraph(key);
    // Passing the bulk thread count keeps usearch's per-thread contexts sized for bulk insertion; with
    // one task it runs on the calling thread anyway.
    this.oneKey[0] = BigInt(key);
    this.graph.add(this.oneKey, this.graphRow(slot), this.threads);
    if (this.graphDead > 0) this.graphDead--;
    this.recentreIfDue();
  }

  /**
   * Adds or replaces many vectors (row i of the flat `vectors` matrix under `keys[i]`), inserting into
   * the graph on all threads. A key listed twice keeps its last vector.
   */
  upsertMany(keys: ArrayLike<number>, vectors: Float32Array): void {
    const n = keys.length;
    if (vectors.length !== n * this.dims) {
      throw new SoukError('INVALID_REQUEST', `expected ${n} vectors of ${this.dims} dimensions`);
    }
    for (let i = 0; i < n; i++) checkKey(keys[i]!);
    // Validate everything before changing anything, so a bad row cannot leave the store and graph apart.
    for (let i = 0; i < vectors.length; i++) {
      if (!Number.isFinite(vectors[i]!))
        throw new SoukError('INVALID_REQUEST', 'vector has NaN or infinite components');
    }
    const slots: number[] = [];
    const seen = new Set<number>();
    for (let i = n - 1; i >= 0; i--) {
      const key = keys[i]!;
      if (seen.has(key)) continue;
      seen.add(key);
      const existed = this.store.has(key);
      slots.push(this.store.upsertSlot(key, vectors.subarray(i * this.dims, (i + 1) * this.dims)));
      if (existed) this.removeFromGraph(key);
    }
    slots.reverse();
    this.addSlots(slots);
    this.recentreIfDue();
  }

  remove(key: number): void {
    if (!this.store.has(key)) return;
    this.store.removeSlot(key);
    this.removeFromGraph(key);
    // Tombstones still cost traversal time; once they outnumber live nodes a rebuild is cheaper.
    if (this.graphDead > 1024 && this.graphDead > this.store.size) this.rebuild();
  }

  search(query: Float32Array, k: number, options?: VectorSearchOptions): VectorHit[] {
    checkDims(query, this.dims);
    const live = this.store.size;
    if (k <= 0 || live === 0) return [];
    const q = normalizeInto(query, this.dims, this.queryUnit);
    const filter = options?.filter;
    if (live * this.dims <= this.options.exactScanBudget) return this.store.searchNormalized(q, k, filter);
    if (filter === undefined) return this.graphSearch(q, k, undefined, 1);
    const share = this.store.estimateSelectivity(filter, SELECTIVITY_SAMPLES);
    const path = this.options.filterPath;
    if (path === 'exact' || (path === 'auto' && this.scanIsCheaper(share, k))) {
      return this.store.searchNormalized(q, k, filter);
    }
    return this.graphSearch(q, k, filter, share);
  }

  /**
   * Estimated cost of an exact scan of the accepted keys (a predicate call per live key, a dot product
   * per accepted one) against a graph search over-fetching 1 / share candidates per wanted hit.
   */
  private scanIsCheaper(share: number, k: number): boolean {
    const live = this.store.size;
    const scanNs = live * PREDICATE_NS + share * live * this.dims * SCAN_MAC_NS;
    const wanted = Math.max(k, this.options.rescoreCandidates);
    const fetch = Math.min(live, (wanted / Math.max(share, 1e-6)) * OVERFETCH);
    const perCandidate = GRAPH_CANDIDATE_NS * (this.options.quantization === 'b1' ? B1_CANDIDATE_FACTOR : 1);
    const graphNs = fetch * perCandidate;
    return scanNs <= graphNs;
  }

  /** Graph candidates (over-fetched by 1 / share when filtered), re-scored exactly. */
  private graphSearch(
    q: Float32Array,
    k: number,
    filter: ((key: number) => boolean) | undefined,
    share: number,
  ): VectorHit[] {
    const live = this.store.size;
    const wanted = Math.max(k, this.options.rescoreCandidates);
    const gq = this.graphQuery(q);
    let fetch = filter === undefined ? wanted : Math.ceil((wanted / Math.max(share, 1e-6)) * OVERFETCH);
    for (let attempt = 0; attempt < 3; attempt++) {
      fetch = Math.min(fetch, live);
      const [found, , counts] = this.graph.search(gq, fetch, 1);
      const count = Number(counts[0]!);
      const top = new TopK(Math.min(k, live));
      let accepted = 0;
      for (let i = 0; i < count && accepted < wanted; i++) {
        const key = Number(found[i]!);
        if (filter !== undefined && !filter(key)) continue;
        const slot = this.store.slotOf(key);
        if (slot < 0) continue;
        accepted++;
        top.offer(this.store.dotSlot(q, slot), key);
      }
      if (top.size === top.k) return top.hits();
      if (fetch >= live) break;
      fetch *= 4;
    }
    // Too few graph candidates passed (or the graph came up short): the exact scan always finds k.
    return this.store.searchNormalized(q, k, filter);
  }

  score(query: Float32Array, keys: ArrayLike<number>): VectorHit[] {
    return this.store.score(query, keys);
  }

  get(key: number): Float32Array | undefined {
    return this.store.get(key);
  }

  byteSize(): number {
    const { quantization, connectivity } = this.options;
    const vectorBytes = Math.ceil(this.graphDims * GRAPH_BYTES_PER_COMPONENT[quantization]);
    const nodes = this.store.size + this.graphDead;
    // usearch: vector + base-layer neighbours (2M × 4 B) + node header, upper layers and allocator slack
    // (~64 B per node) + key and vector lookup tables (~40 B per reserved member); calibrated against
    // the RSS growth of the 1M benchmark (≈ 795 B per 512-d int8 node).
    return (
      this.store.byteSize() +
      nodes * (vectorBytes + 8 * connectivity + 64) +
      this.graph.capacity() * 40 +
      (this.centre?.byteLength ?? 0)
    );
  }

  serialize(): Uint8Array {
    return packSections({ meta: JSON.stringify(this.meta()), ...this.sections() });
  }

  /** The store's sections plus the graph, to be packed with a meta header. */
  sections(): Record<string, Section> {
    const sections: Record<string, Section> = { ...this.store.sections(), graph: this.graphBytes() };
    if (this.centre) sections.centre = this.centre;
    return sections;
  }

  meta(): VectorIndexMeta {
    return {
      format: VECTOR_FORMAT,
      version: VECTOR_FORMAT_VERSION,
      kind: 'hnsw',
      dims: this.dims,
      storage: this.options.storage,
      hnsw: this.options,
      graphDead: this.graphDead,
      centredOn: this.centredOn,
    };
  }

  /** The graph as usearch writes it (it only saves to files, so through a temporary one). */
  graphBytes(): Uint8Array {
    return withTempFile((path) => {
      this.graph.save(path);
      const buffer = readFileSync(path);
      // A Buffer's constructor name is not `Uint8Array`, which the section packer keys on.
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    });
  }

  static deserialize(bytes: Uint8Array, overrides: HnswIndexOptions = {}): HnswIndex {
    const sections = new Sections(bytes);
    const meta = readMeta(sections);
    if (meta.kind !== 'hnsw') {
      throw new SoukError('SNAPSHOT_INVALID', `expected an HNSW vector index, found "${meta.kind}"`);
    }
    return HnswIndex.fromSections(sections, meta, overrides);
  }

  /** Restores the graph as saved; only search-time `overrides` (expansionSearch, …) may differ. */
  static fromSections(
    sections: Sections,
    meta: VectorIndexMeta,
    overrides: HnswIndexOptions = {},
  ): HnswIndex {
    const saved = meta.hnsw as ResolvedHnswOptions | undefined;
    if (!saved || typeof saved !== 'object') throw new SoukError('SNAPSHOT_INVALID', 'HNSW options missing');
    const store = ExactIndex.fromSections(sections, meta);
    const options: HnswIndexOptions = {
      ...saved,
      threads: overrides.threads,
      expansionSearch: overrides.expansionSearch ?? saved.expansionSearch,
      rescoreCandidates: overrides.rescoreCandidates ?? saved.rescoreCandidates,
      filterPath: overrides.filterPath ?? saved.filterPath,
      exactScanBudget: overrides.exactScanBudget ?? saved.exactScanBudget,
    };
    const index = new HnswIndex(meta.dims, options, store, sections.uint8View('graph'));
    index.graphDead = typeof meta.graphDead === 'number' ? meta.graphDead : 0;
    if (index.options.quantization === 'b1') {
      index.centredOn = typeof meta.centredOn === 'number' ? meta.centredOn : 0;
      if (index.centredOn > 0) index.centre = sections.float32('centre');
    }
    return index;
  }

  private loadGraph(bytes: Uint8Array): void {
    withTempFile((path) => {
      writeFileSync(path, bytes);
      try {
        this.graph.load(path);
      } catch (error) {
        throw new SoukError('SNAPSHOT_INVALID', 'HNSW graph is unreadable', {}, { cause: error });
      }
    });
    if (this.graph.size() !== this.store.size || this.graph.dimensions() !== this.nativeDims) {
      throw new SoukError('SNAPSHOT_INVALID', 'HNSW graph does not match its vectors');
    }
  }

  private newGraph(): NativeIndex {
    const { quantization, connectivity, expansionAdd, expansionSearch } = this.options;
    // Cosine, not inner product: int8 codes carry no per-vector scale, and cosine does not need one.
    const { CompiledIndex } = native();
    return new CompiledIndex(
      this.nativeDims,
      quantization === 'b1' ? 'hamming' : 'cos',
      SCALAR_KIND[quantization],
      connectivity,
      expansionAdd,
      expansionSearch,
      false,
    );
  }

  private removeFromGraph(key: number): void {
    this.oneKey[0] = BigInt(key);
    if (this.graph.remove(this.oneKey)[0] !== 0) this.graphDead++;
  }

  /** Rebuilds the graph from the store, dropping tombstones. */
  rebuild(): void {
    this.graph = this.newGraph();
    this.graphDead = 0;
    this.computeCentre();
    this.addSlots(this.liveSlots());
  }

  /** b1: the mean of the stored vectors, so each sign bit splits the catalogue rather than a corner of it. */
  private computeCentre(): void {
    if (this.options.quantization !== 'b1') return;
    const dims = this.graphDims;
    const sum = new Float64Array(dims);
    for (const slot of this.liveSlots()) {
      const row = this.store.readSlot(slot, this.row);
      for (let j = 0; j < dims; j++) sum[j]! += row[j]!;
    }
    const n = Math.max(1, this.store.size);
    this.centre = Float32Array.from(sum, (x) => x / n);
    this.centredOn = this.store.size;
  }

  private recentreIfDue(): void {
    if (this.options.quantization === 'b1' && this.centredOn < CENTRE_AT && this.store.size >= CENTRE_AT) {
      this.rebuild();
    }
  }

  private liveSlots(): number[] {
    const slots: number[] = [];
    const slotKeys = this.store.slotKeys;
    for (let slot = 0; slot < this.store.highWater; slot++) if (slotKeys[slot]! >= 0) slots.push(slot);
    return slots;
  }

  /** Inserts the vectors of these store slots into the graph, in chunks, on all threads. */
  private addSlots(slots: number[]): void {
    const int8 = this.options.quantization === 'int8';
    const dims = this.nativeDims;

    for (let start = 0; start < slots.length; start += BULK_CHUNK) {
      const count = Math.min(BULK_CHUNK, slots.length - start);
      const keys = new BigUint64Array(count);
      const matrix = int8 ? new Int8Array(count * dims) : new Float32Array(count * dims);
      for (let i = 0; i < count; i++) {
        const slot = slots[start + i]!;
        keys[i] = BigInt(this.store.slotKeys[slot]!);
        matrix.set(this.graphRow(slot), i * dims);
      }
      this.graph.add(keys, matrix, this.threads);
      this.graphDead = Math.max(0, this.graphDead - count);
    }
  }

  /** What the graph stores for a slot: int8 codes (ours) or floats over the first-stage dimensions. */
  private graphRow(slot: number): Int8Array | Float32Array {
    if (this.options.quantization === 'int8') {
      if (this.store.storage === 'int8' && this.graphDims === this.dims) return this.store.int8Row(slot);
      quantizeInt8(this.store.readSlot(slot, this.row), this.graphDims, this.row8);
      return this.row8;
    }
    const row = this.store.readSlot(slot, this.row);
    if (this.options.quantization === 'b1') return this.bitsInput(row, this.rowBits);
    return this.graphDims === this.dims ? row : row.subarray(0, this.graphDims);
  }

  /** b1 input: centred floats over the padded width; usearch packs them into bits (bit = component > 0). */
  private bitsInput(vector: Float32Array, out: Float32Array): Float32Array {
    const centre = this.centre;
    for (let j = 0; j < this.graphDims; j++) out[j] = vector[j]! - (centre ? centre[j]! : 0);
    return out;
  }

  private graphQuery(q: Float32Array): Int8Array | Float32Array {
    if (this.options.quantization === 'int8') {
      const codes = new Int8Array(this.graphDims);
      quantizeInt8(q, this.graphDims, codes);
      return codes;
    }
    if (this.options.quantization === 'b1') return this.bitsInput(q, new Float32Array(this.nativeDims));
    return this.graphDims === this.dims ? q : q.slice(0, this.graphDims);
  }
}

function withTempFile<T>(use: (path: string) => T): T {
  // In RAM where the system has it: writing a 1M-vector graph (600 MB) took 3.7 s to disk, 0.3 s to
  // /dev/shm. A RAM disk can be small (64 MB in a default container), so any failure there is retried
  // once on disk, where a real error shows again.
  const bases = existsSync(RAM_DIR) ? [RAM_DIR, tmpdir()] : [tmpdir()];
  for (let attempt = 0; ; attempt++) {
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(bases[attempt]!, 'souk-hnsw-'));
      return use(join(dir, 'graph.usearch'));
    } catch (error) {
      if (attempt + 1 >= bases.length) throw error;
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  }
}

const RAM_DIR = '/dev/shm';
