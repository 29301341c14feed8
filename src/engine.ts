import { validatePatch, validateProduct } from './catalog/product-schema.ts';
import { readCatalogBatches } from './catalog/read-catalog.ts';
import type { ResolvedConfig, SoukConfig } from './config.ts';
import { FIELD_NAMES, resolveConfig } from './config.ts';
import type { Engine, IngestOptions } from './engine-api.ts';
import { SoukError, toSoukError } from './errors.ts';
import { DocValues } from './filter/doc-values.ts';
import { parseFilter } from './filter/filter-parser.ts';
import { packSections, Sections } from './lexical/binary-sections.ts';
import type { LexicalIndexOptions } from './lexical/lexical-index.ts';
import { LexicalIndex, termKey } from './lexical/lexical-index.ts';
import { bridgeQuery } from './query/cross-lingual.ts';
import { highlight } from './search/highlight.ts';
import { planQuery } from './search/query-plan.ts';
import { topK } from './search/top-k.ts';
import { createMemoryStore } from './store/memory-store.ts';
import { ThreadedSqliteStore } from './store/threaded-sqlite-store.ts';
import type { Store } from './store/store.ts';
import { analyze } from './text/analyzer.ts';
import type { Token } from './text/token.ts';
import type {
  EngineStats,
  IngestReport,
  LineError,
  Product,
  ProductPatch,
  SearchHit,
  SearchRequest,
  SearchResponse,
  SortOrder,
  WriteResult,
} from './types.ts';

const SNAPSHOT_NAME = 'index';
const SNAPSHOT_FORMAT = 1;
const SORT_ORDERS: readonly SortOrder[] = [
  'relevance',
  'price:asc',
  'price:desc',
  'rating:desc',
  'rating:asc',
];

/** Creates an engine: opens (or creates) the store, then loads the index from a snapshot or rebuilds it. */
export async function createEngine(config: SoukConfig = {}): Promise<Engine> {
  const resolved = resolveConfig(config);
  const store = resolved.dataDir ? await ThreadedSqliteStore.open(resolved.dataDir) : createMemoryStore();
  const engine = new SoukEngine(resolved, store);
  try {
    await engine.open();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw toSoukError(error);
  }
  return engine;
}

/** The text of each indexed field, in FIELD_NAMES order. */
export function productFieldTexts(product: Product): string[] {
  const categorySegments = new Set<string>();
  for (const path of [product.category ?? [], ...(product.categories ?? [])]) {
    for (const segment of path) categorySegments.add(segment);
  }
  const attributeValues: string[] = [];
  for (const value of Object.values(product.attributes ?? {})) {
    if (Array.isArray(value)) for (const item of value) attributeValues.push(String(item));
    else if (typeof value !== 'boolean') attributeValues.push(String(value));
  }
  const texts: Record<(typeof FIELD_NAMES)[number], string> = {
    title: product.title,
    brand: product.brand ?? '',
    category: [...categorySegments].join(' \n '),
    attributes: attributeValues.join(' \n '),
    description: product.description ?? '',
  };
  return FIELD_NAMES.map((name) => texts[name]);
}

function indexOptions(config: ResolvedConfig): LexicalIndexOptions {
  return {
    fields: FIELD_NAMES,
    boosts: FIELD_NAMES.map((name) => config.fields[name].boost),
    b: FIELD_NAMES.map((name) => config.fields[name].b),
    k1: config.k1,
  };
}

function firstError(errors: LineError[], where: string): SoukError {
  const error = errors[0]!;
  const code = error.code === 'MISSING_FIELD' ? 'MISSING_FIELD' : 'INVALID_FIELD';
  return new SoukError(code, `${where}: ${error.message}`, {
    field: error.field,
    id: error.id,
    errors,
  });
}

class SoukEngine implements Engine {
  private index: LexicalIndex;
  private values = new DocValues();
  /** Index updates and maintenance steps, in the order their writes were issued. */
  private applied: Promise<unknown> = Promise.resolve();
  /** Change-log position the index reflects (what a snapshot may claim). */
  private appliedSeq = 0;
  private closed = false;
  private changesSinceSnapshot = 0;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly store: Store,
  ) {
    this.index = new LexicalIndex(indexOptions(config));
  }

  async open(): Promise<void> {
    const lastSeq = await this.store.lastSeq();
    this.appliedSeq = lastSeq;
    const snapshotSeq = await this.loadSnapshot(lastSeq);
    if (snapshotSeq === undefined) {
      await this.rebuild();
      return;
    }
    // Repair from the log: replay what happened after the snapshot was taken.
    let seq = snapshotSeq;
    for (;;) {
      const changes = await this.store.changesSince(seq, 5000).catch(() => undefined);
      if (changes === undefined) {
        // The log no longer reaches back to the snapshot (pruned): rebuild from the products.
        await this.rebuild();
        return;
      }
      if (changes.length === 0) break;
      for (const change of changes) {
        if (change.op === 'delete') this.removeFromIndex(change.id);
        else if (change.product) this.addToIndex(change.product);
        seq = change.seq;
        this.changesSinceSnapshot++;
      }
    }
    if (this.index.size !== (await this.store.count())) await this.rebuild();
  }

  /** Loads the snapshot when it is readable and not ahead of the log; returns its seq. */
  private async loadSnapshot(lastSeq: number): Promise<number | undefined> {
    let snapshot: { seq: number; data: Uint8Array } | undefined;
    try {
      snapshot = await this.store.readSnapshot(SNAPSHOT_NAME);
    } catch {
      return undefined;
    }
    if (!snapshot || snapshot.seq > lastSeq) return undefined;
    try {
      const sections = new Sections(snapshot.data);
      const meta = JSON.parse(sections.string('meta')) as { format: number; options: string };
      if (meta.format !== SNAPSHOT_FORMAT || meta.options !== JSON.stringify(indexOptions(this.config))) {
        return undefined;
      }
      this.index = LexicalIndex.deserialize(sections.uint8('lexical'), indexOptions(this.config));
      this.values = DocValues.deserialize(sections.uint8('values'));
      return snapshot.seq;
    } catch {
      this.index = new LexicalIndex(indexOptions(this.config));
      this.values = new DocValues();
      return undefined;
    }
  }

  private async rebuild(): Promise<void> {
    this.index = new LexicalIndex(indexOptions(this.config));
    this.values = new DocValues();
    for await (const batch of this.store.scan(5000)) for (const product of batch) this.addToIndex(product);
    this.changesSinceSnapshot = this.index.size;
  }

  private addToIndex(product: Product): void {
    const previous = this.index.docIdOf(product.id);
    if (previous !== undefined) this.values.remove(previous);
    const fields = productFieldTexts(product).map((text) => (text === '' ? [] : analyze(text)));
    const docId = this.index.upsert(product.id, fields);
    this.values.set(docId, product);
  }

  private removeFromIndex(id: string): void {
    const docId = this.index.docIdOf(id);
    if (docId === undefined) return;
    this.index.remove(id);
    this.values.remove(docId);
  }

  /**
   * Issues a store write at once (stores commit writes in call order) and applies its outcome to the index
   * after every earlier write's. A caller's promise resolves once its write is both durable and searchable.
   * With the threaded SQLite store this lets the next batch's commit overlap this batch's indexing.
   */
  private write<T extends { seq: number }, R>(
    storeWrite: () => Promise<T>,
    apply: (outcome: T) => R,
  ): Promise<R> {
    this.assertOpen();
    const outcome = storeWrite().catch((error: unknown) => {
      throw toSoukError(error);
    });
    outcome.catch(() => undefined); // handled below, once the earlier writes are applied
    const result = this.applied
      .then(() => outcome)
      .then((done) => {
        const value = apply(done);
        this.appliedSeq = Math.max(this.appliedSeq, done.seq);
        return value;
      });
    // A failed snapshot only costs start-up time later; it must not fail the writes queued behind it.
    this.applied = result.then(() => this.snapshotIfDue()).catch(() => undefined);
    return result;
  }

  /** Runs a maintenance step (vacuum, snapshot) after every write issued so far has been applied. */
  private afterWrites<T>(step: () => Promise<T> | T): Promise<T> {
    this.assertOpen();
    const result = this.applied.then(step);
    this.applied = result.catch(() => undefined);
    return result;
  }

  private assertOpen(): void {
    if (this.closed) throw new SoukError('ENGINE_CLOSED', 'the engine is closed');
  }

  private writeProducts(products: Product[]): Promise<{ seq: number; changed: number; unchanged: number }> {
    return this.write(
      () => this.store.upsert(products),
      (outcome) => {
        for (const product of outcome.changed) this.addToIndex(product);
        this.changesSinceSnapshot += outcome.changed.length;
        return { seq: outcome.seq, changed: outcome.changed.length, unchanged: outcome.unchanged };
      },
    );
  }

  private async snapshotIfDue(): Promise<void> {
    const { enabled, everyChanges } = this.config.snapshot;
    if (enabled && this.config.dataDir && this.changesSinceSnapshot >= everyChanges)
      await this.writeSnapshot();
  }

  async ingest(file: string, options: IngestOptions = {}): Promise<IngestReport> {
    this.assertOpen();
    const batchSize = options.batchSize ?? 5000;
    const errors: LineError[] = [];
    let rejected = 0;
    if (options.strict) {
      for await (const records of readCatalogBatches(file)) {
        for (const record of records) {
          if (record.errors.length === 0) continue;
          rejected++;
          if (errors.length < 1000) errors.push(...record.errors);
        }
      }
      if (rejected > 0) {
        throw new SoukError(
          'STRICT_LOAD_FAILED',
          `${file}: ${rejected} bad line(s), nothing was loaded (strict mode); first: ${errors[0]?.message ?? ''}`,
          { file, rejected, errors },
        );
      }
    }
    const report: IngestReport = {
      loaded: 0,
      rejected: 0,
      unchanged: 0,
      errors,
      seq: await this.store.lastSeq(),
    };
    let batch: Product[] = [];
    let linesRead = 0;
    let progress = { bytesRead: 0, totalBytes: undefined as number | undefined };
    // At most two batches in flight: one committing in the store while the next is read and indexed.
    const inFlight: Array<Promise<void>> = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      // Exactly batchSize products per transaction, so a crash leaves whole batches in file order.
      const products = batch.length > batchSize ? batch.splice(0, batchSize) : batch;
      if (products === batch) batch = [];
      const done = this.writeProducts(products).then((written) => {
        report.loaded += written.changed;
        report.unchanged += written.unchanged;
        report.seq = Math.max(report.seq, written.seq);
        options.onProgress?.({
          linesRead,
          loaded: report.loaded + report.unchanged,
          rejected: report.rejected,
          bytesRead: progress.bytesRead,
          totalBytes: progress.totalBytes,
        });
      });
      done.catch(() => undefined); // awaited below; an early failure must not go unhandled meanwhile
      inFlight.push(done);
      if (inFlight.length > 1) await inFlight.shift();
    };
    const batches = readCatalogBatches(file, {
      onProgress: (p) => {
        progress = { bytesRead: p.bytesRead, totalBytes: p.totalBytes };
      },
    });
    for await (const records of batches) {
      for (const record of records) {
        linesRead++;
        if (record.product && record.errors.length === 0) {
          batch.push(record.product);
        } else {
          report.rejected++;
          if (!options.strict) errors.push(...record.errors);
        }
      }
      while (batch.length >= batchSize) await flush();
    }
    await flush();
    await Promise.all(inFlight);
    options.onProgress?.({
      linesRead,
      loaded: report.loaded + report.unchanged,
      rejected: report.rejected,
      bytesRead: progress.bytesRead,
      totalBytes: progress.totalBytes,
    });
    return report;
  }

  async upsert(input: Product | Product[]): Promise<WriteResult> {
    const products = Array.isArray(input) ? input : [input];
    const valid: Product[] = [];
    products.forEach((raw, position) => {
      const { product, errors } = validateProduct(raw);
      if (!product || errors.length > 0) throw firstError(errors, `product ${position}`);
      valid.push(product);
    });
    const written = await this.writeProducts(valid);
    return { seq: written.seq, count: written.changed };
  }

  async patch(id: string, patch: ProductPatch): Promise<Product> {
    const [product] = await this.patchMany([{ id, patch }]);
    return product!;
  }

  async patchMany(patches: Array<{ id: string; patch: ProductPatch }>): Promise<Product[]> {
    const checked = patches.map(({ id, patch }) => {
      const { errors } = validatePatch(patch, { id });
      if (errors.length > 0) throw firstError(errors, `patch of ${id}`);
      return { id, patch: patch as Record<string, unknown> };
    });
    return this.write(
      () => this.store.patch(checked),
      (outcome) => {
        for (const product of outcome.products) this.addToIndex(product);
        this.changesSinceSnapshot += outcome.products.length;
        return outcome.products;
      },
    );
  }

  async delete(input: string | string[]): Promise<WriteResult> {
    const ids = Array.isArray(input) ? input : [input];
    return this.write(
      () => this.store.delete(ids),
      (outcome) => {
        for (const id of outcome.deleted) this.removeFromIndex(id);
        this.changesSinceSnapshot += outcome.deleted.length;
        return { seq: outcome.seq, count: outcome.deleted.length };
      },
    );
  }

  async get(id: string): Promise<Product | undefined> {
    this.assertOpen();
    return this.store.get(id);
  }

  async search(request: SearchRequest): Promise<SearchResponse> {
    this.assertOpen();
    const started = performance.now();
    const { search } = this.config;
    const q = request.q ?? '';
    if (typeof q !== 'string') throw new SoukError('INVALID_REQUEST', 'q must be a string', { field: 'q' });
    if (q.length > search.maxQueryLength) {
      throw new SoukError('INVALID_REQUEST', `q is longer than ${search.maxQueryLength} characters`, {
        field: 'q',
      });
    }
    const limit = request.limit ?? search.limit;
    const offset = request.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 0 || limit > search.maxLimit) {
      throw new SoukError('INVALID_REQUEST', `limit must be an integer from 0 to ${search.maxLimit}`, {
        field: 'limit',
      });
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new SoukError('INVALID_REQUEST', 'offset must be a non-negative integer', { field: 'offset' });
    }
    const sort = request.sort ?? 'relevance';
    if (!SORT_ORDERS.includes(sort)) {
      throw new SoukError('INVALID_SORT', `sort must be one of ${SORT_ORDERS.join(', ')}`, { field: 'sort' });
    }
    const filter = request.filter ? this.values.compile(parseFilter(request.filter)) : undefined;

    const queryTokens = analyze(q);
    let docIds: Int32Array;
    let scores: Float32Array;
    let matchedKeys = new Set<string>();
    if (queryTokens.length === 0 && q.trim() !== '') {
      // Text with nothing searchable in it (punctuation only) matches nothing; only an empty query browses.
      docIds = new Int32Array(0);
      scores = new Float32Array(0);
    } else if (queryTokens.length === 0) {
      const live = this.index.liveDocIds();
      docIds = filter ? live.filter((docId) => filter(docId)) : live;
      scores = new Float32Array(docIds.length);
    } else {
      const terms = planQuery(q, queryTokens, {
        prefix: request.prefix ?? search.prefix,
        typos: request.typos ?? search.typos,
        oneTypoMinLength: search.oneTypoMinLength,
        twoTyposMinLength: search.twoTyposMinLength,
        termWeights: search.termWeights,
      });
      if (this.config.crossLingual.enabled || this.config.crossLingual.pinyin) {
        terms.push(...bridgeQuery(q, queryTokens, terms, this.index, this.config.crossLingual).terms);
      }
      terms.push(...this.index.compoundAlternatives(terms));
      const result = this.index.match(terms, {
        maxExpansions: search.maxExpansions,
        prefixWeight: search.prefixWeight,
        typoWeights: search.typoWeights,
        typoExactPrefix: search.typoExactPrefix,
        typoMaxFrequency: search.typoMaxFrequency,
        coordination: search.coordination,
        filter,
      });
      docIds = result.docIds;
      scores = result.scores;
      matchedKeys = result.matchedKeys;
    }

    const better = this.comparator(sort, docIds, scores);
    const page = topK(docIds.length, offset + limit, better).slice(offset);
    const products = await this.store.getMany(page.map((entry) => this.index.externalId(docIds[entry]!)));
    const wantHighlight = request.highlight ?? true;
    const hits: SearchHit[] = [];
    page.forEach((entry, i) => {
      const product = products[i];
      if (!product) return;
      hits.push(this.toHit(product, scores[entry]!, wantHighlight ? matchedKeys : undefined));
    });
    const response: SearchResponse = { hits, total: docIds.length, offset, limit, query: q, tookMs: 0 };
    if (request.facets && request.facets.length > 0)
      response.facets = this.values.facets(docIds, request.facets);
    response.tookMs = Math.round((performance.now() - started) * 1000) / 1000;
    return response;
  }

  private comparator(
    sort: SortOrder,
    docIds: Int32Array,
    scores: Float32Array,
  ): (a: number, b: number) => boolean {
    const byRelevance = (a: number, b: number): boolean =>
      scores[a]! > scores[b]! || (scores[a] === scores[b] && docIds[a]! < docIds[b]!);
    if (sort === 'relevance') return byRelevance;
    const [field, direction] = sort.split(':') as ['price' | 'rating', 'asc' | 'desc'];
    const sign = direction === 'asc' ? 1 : -1;
    const key = (entry: number): number =>
      field === 'price' ? this.values.price(docIds[entry]!) : this.values.rating(docIds[entry]!);
    return (a, b) => {
      const ka = key(a);
      const kb = key(b);
      // Products without the sort key go last whatever the direction.
      if (Number.isNaN(ka) !== Number.isNaN(kb)) return Number.isNaN(kb);
      if (ka !== kb && !Number.isNaN(ka)) return sign * (ka - kb) < 0;
      return byRelevance(a, b);
    };
  }

  private toHit(product: Product, score: number, matchedKeys: Set<string> | undefined): SearchHit {
    const hit: SearchHit = { id: product.id, score: Math.round(score * 1e4) / 1e4, title: product.title };
    if (matchedKeys) {
      hit.highlight = highlight(product.title, analyze(product.title), (token: Token) =>
        matchedKeys.has(termKey(token)),
      );
    }
    if (product.brand !== undefined) hit.brand = product.brand;
    if (product.category !== undefined) hit.category = product.category;
    if (product.price !== undefined) hit.price = product.price;
    if (product.currency !== undefined) hit.currency = product.currency;
    if (product.image !== undefined) hit.image = product.image;
    if (product.images !== undefined) hit.images = product.images;
    if (product.rating !== undefined) hit.rating = product.rating;
    return hit;
  }

  async stats(): Promise<EngineStats> {
    this.assertOpen();
    return {
      products: this.index.size,
      deletedPendingVacuum: this.index.tombstones,
      terms: this.index.vocabularySize,
      seq: await this.store.lastSeq(),
      dataDir: this.config.dataDir,
      indexBytes: this.index.byteSize(),
      fields: Object.fromEntries(FIELD_NAMES.map((name) => [name, this.config.fields[name].boost])),
    };
  }

  async vacuum(): Promise<void> {
    await this.afterWrites(() => {
      const mapping = this.index.vacuum();
      this.values.remap(mapping, this.index.capacity);
      // The snapshot on disk still holds the tombstones: make the next close write a fresh one.
      this.changesSinceSnapshot = Math.max(1, this.changesSinceSnapshot);
    });
  }

  async snapshot(): Promise<void> {
    await this.afterWrites(() => this.writeSnapshot());
  }

  private async writeSnapshot(): Promise<void> {
    if (!this.config.dataDir) return;
    const seq = this.appliedSeq;
    const data = packSections({
      meta: JSON.stringify({ format: SNAPSHOT_FORMAT, options: JSON.stringify(indexOptions(this.config)) }),
      lexical: this.index.serialize(),
      values: this.values.serialize(),
    });
    await this.store.writeSnapshot(SNAPSHOT_NAME, seq, data);
    this.changesSinceSnapshot = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.applied;
    if (this.config.snapshot.enabled && this.changesSinceSnapshot > 0) {
      await this.writeSnapshot().catch(() => undefined);
    }
    this.closed = true;
    await this.store.close();
  }
}
