/**
 * Picks and restores vector indexes from `VectorConfig`.
 *
 * `auto` (the default) starts as an exact f32 index — perfect recall, no graph memory, no build — and
 * turns into HNSW once it holds more than `exactBelow` vectors (the graph is built behind the exact
 * index over the following writes, see AutoVectorIndex). It never turns back: a catalogue that shrank
 * keeps its graph. Measured (bench/vector-bench.ts, 512-d): an exact scan costs 0.09 ms at 1k vectors,
 * 0.39 ms at 5k and 1.8 ms at 20k against 0.17 / 0.23 / 0.46 ms for HNSW, so the default switch at
 * 5000 keeps exact answers while they are still well under a millisecond.
 */

import { DEFAULT_CONFIG, type VectorConfig } from '../config.ts';
import { SoukError } from '../errors.ts';
import { packSections, Sections } from '../lexical/binary-sections.ts';
import { ExactIndex, readMeta, type VectorIndexMeta } from './exact-index.ts';
import { HnswIndex, type HnswIndexOptions, type ResolvedHnswOptions } from './hnsw-index.ts';
import { packRows, type VectorHit, type VectorIndex, type VectorSearchOptions } from './vector-index.ts';

export function hnswOptionsOf(config: VectorConfig): HnswIndexOptions {
  return {
    quantization: config.quantization,
    connectivity: config.connectivity,
    expansionAdd: config.expansionAdd,
    expansionSearch: config.expansionSearch,
    rescoreCandidates: config.rescoreCandidates,
  };
}

export function createVectorIndex(dims: number, config: VectorConfig = DEFAULT_CONFIG.vector): VectorIndex {
  switch (config.index) {
    case 'exact':
      return new ExactIndex(dims, { storage: 'f32' });
    case 'hnsw':
      return new HnswIndex(dims, hnswOptionsOf(config));
    case 'auto':
      return new AutoVectorIndex(new ExactIndex(dims, { storage: 'f32' }), config);
    default:
      throw new SoukError('INVALID_REQUEST', `unknown vector index "${String(config.index)}"`);
  }
}

/**
 * Restores `serialize()` output. Without a config the index comes back exactly as saved. With one, a
 * saved index that still fits it is reused as is (search-time settings — expansionSearch,
 * rescoreCandidates, exactBelow — follow the config); one that does not (another index type,
 * quantization or graph degree) is rebuilt from its stored vectors, so a config change needs no re-embed.
 */
export function deserializeVectorIndex(bytes: Uint8Array, config?: VectorConfig): VectorIndex {
  const sections = new Sections(bytes);
  const meta = readMeta(sections);
  const overrides = config
    ? { expansionSearch: config.expansionSearch, rescoreCandidates: config.rescoreCandidates }
    : {};
  const inner: ExactIndex | HnswIndex =
    meta.kind === 'exact'
      ? ExactIndex.fromSections(sections, meta)
      : HnswIndex.fromSections(sections, meta, overrides);
  const auto = meta.auto as VectorConfig | undefined;
  if (!config) return auto ? new AutoVectorIndex(inner, auto) : inner;
  return adapt(inner, config);
}

/** The index `config` asks for, reusing `index` (and its graph) where it already fits. */
function adapt(index: ExactIndex | HnswIndex, config: VectorConfig): VectorIndex {
  const store = index instanceof HnswIndex ? index.store : index;
  switch (config.index) {
    case 'exact':
      return store.storage === 'f32' ? store : store.convert('f32');
    case 'hnsw':
      return fitsGraph(index, config) ? index : HnswIndex.fromExact(store, hnswOptionsOf(config));
    case 'auto': {
      if (fitsGraph(index, config)) return new AutoVectorIndex(index, config);
      const exact = store.storage === 'f32' ? store : store.convert('f32');
      const auto = new AutoVectorIndex(exact, config);
      auto.switchNow();
      return auto;
    }
    default:
      throw new SoukError('INVALID_REQUEST', `unknown vector index "${String(config.index)}"`);
  }
}

function fitsGraph(index: ExactIndex | HnswIndex, config: VectorConfig): index is HnswIndex {
  if (!(index instanceof HnswIndex)) return false;
  const saved: ResolvedHnswOptions = index.options;
  return (
    saved.quantization === config.quantization &&
    saved.storage === config.quantization &&
    saved.connectivity === config.connectivity &&
    saved.expansionAdd === config.expansionAdd &&
    saved.firstStageDims === index.dims
  );
}

/** Stored vectors copied into the graph under construction per vector written while `auto` switches. */
const MIGRATE_PER_WRITE = 16;

/**
 * Exact below `exactBelow` vectors, HNSW from then on. Building the graph in one go inside the write
 * that crosses the threshold would block the caller (the event loop) for seconds — 5000 × 512-d
 * vectors took 6-8 s on the 2-core benchmark machine — so the switch is spread over later writes: each
 * vector written also copies `MIGRATE_PER_WRITE` stored vectors into the new graph (in bulk, on all
 * cores), the exact index serves every read until the copy is complete, then the graph takes over.
 * Restoring a snapshot under a config that wants a graph switches at once (`switchNow`).
 */
export class AutoVectorIndex implements VectorIndex {
  /** The graph being filled while `current` (exact) still serves. */
  private next: HnswIndex | undefined;
  /** Keys of `current` not yet copied into `next`. */
  private pending: Int32Array = new Int32Array(0);
  private pendingAt = 0;
  private readonly unmigrated = new Set<number>();

  constructor(
    private current: ExactIndex | HnswIndex,
    private readonly config: VectorConfig,
  ) {}

  get dims(): number {
    return this.current.dims;
  }
  get size(): number {
    return this.current.size;
  }
  /** Which index serves queries now. */
  get kind(): 'exact' | 'hnsw' {
    return this.current instanceof HnswIndex ? 'hnsw' : 'exact';
  }
  /** True while the graph is being built behind the exact index. */
  get switching(): boolean {
    return this.next !== undefined;
  }

  upsert(key: number, vector: Float32Array): void {
    this.current.upsert(key, vector);
    // A key still waiting to be copied is copied later with its then-current vector.
    if (this.next && !this.unmigrated.has(key)) this.next.upsert(key, vector);
    this.step(MIGRATE_PER_WRITE);
  }

  upsertMany(keys: ArrayLike<number>, vectors: Float32Array): void {
    const dims = this.current.dims;
    if (vectors.length !== keys.length * dims) {
      throw new SoukError('INVALID_REQUEST', `expected ${keys.length} vectors of ${dims} dimensions`);
    }
    this.current.upsertMany(keys, vectors);
    const next = this.next;
    if (next) {
      const copied: number[] = [];
      for (let i = 0; i < keys.length; i++) if (!this.unmigrated.has(keys[i]!)) copied.push(i);
      if (copied.length > 0) {
        next.upsertMany(
          copied.map((row) => keys[row]!),
          packRows(
            copied.map((row) => vectors.subarray(row * dims, (row + 1) * dims)),
            dims,
          ),
        );
      }
    }
    this.step(MIGRATE_PER_WRITE * keys.length);
  }

  /** Finishes a pending or due switch to HNSW at once (bulk insertion on all cores). */
  switchNow(): void {
    if (!(this.current instanceof ExactIndex)) return;
    if (this.next === undefined && this.current.size <= this.config.exactBelow) return;
    this.next = undefined;
    this.unmigrated.clear();
    this.current = HnswIndex.fromExact(this.current, hnswOptionsOf(this.config));
  }

  /** Starts the switch once the exact index is over its threshold, then copies up to `budget` vectors. */
  private step(budget: number): void {
    const exact = this.current;
    if (!(exact instanceof ExactIndex)) return;
    if (this.next === undefined) {
      if (exact.size <= this.config.exactBelow) return;
      this.next = new HnswIndex(exact.dims, hnswOptionsOf(this.config));
      this.pending = exact.keys();
      this.pendingAt = 0;
      for (const key of this.pending) this.unmigrated.add(key);
    }
    const next = this.next;
    const keys: number[] = [];
    const rows: Float32Array[] = [];
    while (keys.length < budget && this.pendingAt < this.pending.length) {
      const key = this.pending[this.pendingAt++]!;
      if (!this.unmigrated.delete(key)) continue;
      const vector = exact.get(key);
      if (vector) {
        keys.push(key);
        rows.push(vector);
      }
    }
    if (keys.length > 0) next.upsertMany(keys, packRows(rows, exact.dims));
    if (this.pendingAt >= this.pending.length) {
      this.current = next;
      this.next = undefined;
      this.pending = new Int32Array(0);
    }
  }

  remove(key: number): void {
    this.current.remove(key);
    if (this.next) {
      this.unmigrated.delete(key);
      this.next.remove(key);
      this.step(MIGRATE_PER_WRITE);
    }
  }
  has(key: number): boolean {
    return this.current.has(key);
  }
  search(query: Float32Array, k: number, options?: VectorSearchOptions): VectorHit[] {
    return this.current.search(query, k, options);
  }
  score(query: Float32Array, keys: ArrayLike<number>): VectorHit[] {
    return this.current.score(query, keys);
  }
  get(key: number): Float32Array | undefined {
    return this.current.get(key);
  }
  byteSize(): number {
    return this.current.byteSize() + (this.next?.byteSize() ?? 0);
  }

  /** A half-built graph is not saved: the restored exact index starts the switch again. */
  serialize(): Uint8Array {
    const meta: VectorIndexMeta = { ...this.current.meta(), auto: this.config };
    return packSections({ meta: JSON.stringify(meta), ...this.current.sections() });
  }
}
