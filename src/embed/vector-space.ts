import type { VectorConfig } from '../config.ts';
import { SoukError, toSoukError } from '../errors.ts';
import { InputIdentities } from './input-identities.ts';
import { packSections, Sections } from '../lexical/binary-sections.ts';
import type { Store } from '../store/store.ts';
import type { Product } from '../types.ts';
import { createVectorIndex, deserializeVectorIndex } from '../vector/create-vector-index.ts';
import {
  packRows,
  type VectorHit,
  type VectorIndex,
  type VectorSearchOptions,
} from '../vector/vector-index.ts';

/**
 * What a space needs from an embedding model, wrapped so that the model loads only when first needed
 * (a keyword-only search never pays for it).
 */
export interface SpaceEncoder {
  /** Identifies the configured model without loading it; a snapshot from another configuration is dropped. */
  readonly fingerprint: string;
  /** A cheap identity of what would be embedded for the product ('' = nothing to embed, e.g. no photo). */
  want(product: Product): string;
  /** Loads the model once; returns its embedder key (provider, model, version, dims) and vector length. */
  load(): Promise<{ key: string; dims: number }>;
  /**
   * The model input for a product and the content hash of that input (the cache key), plus any text the
   * input holds that the lexical index should know (OCR of a photo).
   */
  prepare(product: Product): Promise<{ hash: string; input: unknown; text?: string }>;
  embed(inputs: unknown[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export interface DrainProgress {
  space: string;
  /** Products handled in this run so far, and how many were waiting when it started (plus arrivals). */
  done: number;
  total: number;
  embedded: number;
  cached: number;
  failed: number;
}

export interface DrainReport {
  embedded: number;
  cached: number;
  failed: number;
  /** Per product that could not be embedded (unreadable photo …): its id and why. */
  errors: Array<{ id: string; code: string; message: string }>;
}

export interface DrainContext {
  store: Store;
  /** Current products for keys (undefined: deleted meanwhile). */
  fetch(keys: readonly number[]): Promise<Array<Product | undefined>>;
  onProgress?: ((progress: DrainProgress) => void) | undefined;
  /** Receives text found in a product's input (OCR), for the lexical index. */
  onText?: ((product: Product, text: string) => void) | undefined;
  /** Checked between batches: a closing engine stops the run. */
  stopped(): boolean;
  batchSize: number;
}

/**
 * One vector space (product text, or product photos): the vectors of every product under its stable key,
 * which input each vector was made from, and the backlog of products whose input changed. Writes only mark
 * the backlog (`note`), so they stay fast; `drain` embeds the backlog in batches, taking vectors from the
 * store's cache by content hash where it can and from the model otherwise.
 */
export class VectorSpace {
  private index: VectorIndex | undefined;
  /** Embedder key the vectors were made with (known once the model or a snapshot says so). */
  private embedder: string | undefined;
  /** Per key: the input identity the current vector was made from. */
  private have = new InputIdentities();
  /** Per key: the input identity the product asks for now. */
  private wanted = new InputIdentities();
  private readonly dirty = new Set<number>();
  private draining: Promise<DrainReport> | undefined;
  private readonly listeners = new Set<(progress: DrainProgress) => void>();
  private loaded: Promise<{ key: string; dims: number }> | undefined;
  private changes = 0;

  constructor(
    readonly name: string,
    private readonly encoder: SpaceEncoder,
    private readonly config: VectorConfig,
  ) {}

  get size(): number {
    return this.index?.size ?? 0;
  }
  /** Grows with every change of the vectors or the backlog (cached search answers depend on both). */
  get version(): number {
    return this.changes;
  }
  get backlog(): number {
    return this.dirty.size;
  }
  get dims(): number {
    return this.index?.dims ?? 0;
  }
  get embedderKey(): string | undefined {
    return this.embedder;
  }

  /** Records a product's current state under its key; marks it for embedding when its input changed. */
  note(key: number, product: Product): void {
    const want = this.encoder.want(product);
    this.wanted.set(key, want);
    this.changes++;
    if (want === '') {
      this.index?.remove(key);
      this.have.clear(key);
      this.dirty.delete(key);
    } else if (this.have.sameAs(key, this.wanted) && (this.index?.has(key) ?? false)) {
      this.dirty.delete(key);
    } else {
      this.dirty.add(key);
    }
  }

  /** Forgets everything (an index rebuild gives every product a new key). */
  clear(): void {
    this.changes++;
    this.index = undefined;
    this.have = new InputIdentities();
    this.wanted = new InputIdentities();
    this.dirty.clear();
  }

  /** Drops a deleted product. */
  forget(key: number): void {
    this.changes++;
    this.index?.remove(key);
    this.have.clear(key);
    this.wanted.clear(key);
    this.dirty.delete(key);
  }

  has(key: number): boolean {
    return this.index?.has(key) ?? false;
  }

  vectorOf(key: number): Float32Array | undefined {
    return this.index?.get(key);
  }

  /** Loads the model; vectors from a different model are dropped and every product re-queued. */
  async ensureModel(): Promise<{ key: string; dims: number }> {
    this.loaded ??= this.encoder.load().catch((error: unknown) => {
      this.loaded = undefined;
      throw toSoukError(error);
    });
    const model = await this.loaded;
    if (this.embedder !== undefined && this.embedder !== model.key) this.reset();
    this.embedder = model.key;
    return model;
  }

  private reset(): void {
    this.changes++;
    this.index = undefined;
    this.have = new InputIdentities();
    for (const key of this.wanted.setKeys()) this.dirty.add(key);
  }

  search(query: Float32Array, k: number, options?: VectorSearchOptions): VectorHit[] {
    if (!this.index || query.length !== this.index.dims) return [];
    return this.index.search(query, k, options);
  }

  score(query: Float32Array, keys: ArrayLike<number>): VectorHit[] {
    if (!this.index || query.length !== this.index.dims) return [];
    return this.index.score(query, keys);
  }

  /** Embeds the backlog; a caller arriving during a run joins it (and hears its progress from then on). */
  async drain(context: DrainContext): Promise<DrainReport> {
    const listener = context.onProgress;
    if (listener) this.listeners.add(listener);
    try {
      this.draining ??= this.runDrain(context).finally(() => {
        this.draining = undefined;
      });
      return await this.draining;
    } finally {
      if (listener) this.listeners.delete(listener);
    }
  }

  private async runDrain(context: Omit<DrainContext, 'onProgress'>): Promise<DrainReport> {
    const report: DrainReport = { embedded: 0, cached: 0, failed: 0, errors: [] };
    // Loaded even with an empty backlog: vectors restored from a snapshot may be from an earlier version of
    // the model, which only the loaded model's key reveals (and which re-queues every product).
    const model = await this.ensureModel();
    if (this.dirty.size === 0) return report;
    let done = 0;
    const progress = (): void => {
      const update = {
        space: this.name,
        done,
        total: done + this.dirty.size,
        embedded: report.embedded,
        cached: report.cached,
        failed: report.failed,
      };
      for (const listener of this.listeners) listener(update);
    };
    progress();
    while (this.dirty.size > 0 && !context.stopped()) {
      const keys: number[] = [];
      for (const key of this.dirty) {
        keys.push(key);
        if (keys.length >= context.batchSize) break;
      }
      for (const key of keys) this.dirty.delete(key);
      const products = await context.fetch(keys);
      const jobs: Array<{ key: number; want: string; hash: string; input: unknown }> = [];
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const product = products[i];
        if (!product) continue;
        const want = this.encoder.want(product);
        // The product changed again after this batch was taken: its newer state is (or will be) queued.
        if (want === '' || !this.wanted.holds(key, want)) continue;
        try {
          const prepared = await this.encoder.prepare(product);
          if (prepared.text !== undefined) context.onText?.(product, prepared.text);
          jobs.push({ key, want, hash: prepared.hash, input: prepared.input });
        } catch (error) {
          const soukError = toSoukError(error);
          report.failed++;
          if (report.errors.length < 100) {
            report.errors.push({ id: product.id, code: soukError.code, message: soukError.message });
          }
          // Not retried until the product's input changes.
          this.have.set(key, want);
        }
      }
      const cached = await context.store.getEmbeddings(
        model.key,
        jobs.map((job) => job.hash),
      );
      const misses = jobs.filter((_, i) => cached[i] === undefined);
      let fresh: Float32Array[] = [];
      if (misses.length > 0) {
        try {
          fresh = await this.encoder.embed(misses.map((job) => job.input));
        } catch (error) {
          // The model failed (a model server is down): put the batch back for a later run.
          for (const key of keys) if (this.wanted.isSet(key)) this.dirty.add(key);
          throw toSoukError(error);
        }
        await context.store.putEmbeddings(
          model.key,
          misses.map((job, i) => ({ hash: job.hash, vector: fresh[i]! })),
        );
      }
      let freshAt = 0;
      const accepted: Array<{ key: number; vector: Float32Array }> = [];
      jobs.forEach((job, i) => {
        const vector = cached[i] ?? fresh[freshAt++];
        if (!vector || !this.wanted.holds(job.key, job.want)) return;
        if (vector.length !== model.dims) {
          throw new SoukError(
            'EMBEDDING_FAILED',
            `${this.name} embedder returned ${vector.length} numbers, expected ${model.dims}`,
          );
        }
        accepted.push({ key: job.key, vector });
        if (cached[i]) report.cached++;
        else report.embedded++;
      });
      if (accepted.length > 0) {
        // One bulk insert per batch: HNSW then adds on all cores instead of one vector at a time.
        const index = (this.index ??= createVectorIndex(model.dims, this.config));
        index.upsertMany(
          accepted.map((row) => row.key),
          packRows(
            accepted.map((row) => row.vector),
            model.dims,
          ),
        );
        // What `wanted` holds is the job's (checked above with no await since).
        for (const row of accepted) this.have.copy(row.key, this.wanted);
      }
      done += keys.length;
      this.changes++;
      progress();
    }
    return report;
  }

  serialize(): Uint8Array {
    const keys = [...this.dirty];
    return packSections({
      meta: JSON.stringify({ fingerprint: this.encoder.fingerprint, embedder: this.embedder ?? null }),
      haveFingerprints: this.have.serialize(),
      wantedFingerprints: this.wanted.serialize(),
      dirty: Int32Array.from(keys),
      index: this.index ? this.index.serialize() : new Uint8Array(0),
    });
  }

  /** Restores a serialized space; false (and nothing restored) when it was made with another model setup. */
  restore(bytes: Uint8Array): boolean {
    const sections = new Sections(bytes);
    const meta = JSON.parse(sections.string('meta')) as { fingerprint: string; embedder: string | null };
    if (meta.fingerprint !== this.encoder.fingerprint) return false;
    const split = (name: string): string[] => {
      const joined = sections.string(name);
      return joined === '' ? [] : joined.split('\u0000');
    };
    const indexBytes = sections.uint8('index');
    this.index = indexBytes.length > 0 ? deserializeVectorIndex(indexBytes, this.config) : undefined;
    this.embedder = meta.embedder ?? undefined;
    this.changes++;
    // Snapshots before fingerprints kept the identities as strings.
    const identities = (name: 'have' | 'wanted'): InputIdentities =>
      sections.has(`${name}Fingerprints`)
        ? new InputIdentities(sections.int32(`${name}Fingerprints`))
        : InputIdentities.fromStrings(split(name));
    this.have = identities('have');
    this.wanted = identities('wanted');
    this.dirty.clear();
    for (const key of sections.int32('dirty')) this.dirty.add(key);
    return true;
  }

  /** Waits for a running drain (if any) to stop; the engine closes the models. */
  async close(): Promise<void> {
    await this.draining?.catch(() => undefined);
  }

  byteSize(): number {
    return this.index?.byteSize() ?? 0;
  }
}
