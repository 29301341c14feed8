import { createHash } from 'node:crypto';
import { validatePatch, validateProduct } from './catalog/product-schema.ts';
import { readCatalogBatches } from './catalog/read-catalog.ts';
import type { ResolvedConfig, SoukConfig } from './config.ts';
import { FIELD_NAMES, resolveConfig } from './config.ts';
import { createEncoders, type EmbedderParts, type Encoders } from './embed/encoders.ts';
import { readImageBytes } from './embed/image-source.ts';
import { ProductKeys } from './embed/product-keys.ts';
import { VectorSpace, type DrainReport } from './embed/vector-space.ts';
import {
  readQueryAdapter,
  removeQueryAdapter,
  trainQueryAdapter,
  writeQueryAdapter,
  type AdapterReport,
  type AdapterTrainingInput,
  type QueryAdapter,
  type TrainAdapterOptions,
} from './embed/query-adapter.ts';
import { collectTrainingPairs, type TrainingPairSummary } from './eval/training-pairs.ts';
import { applyAdapter } from './vector/embedding-adapter.ts';
import type {
  EmbedOptions,
  Engine,
  EngineStatus,
  IngestOptions,
  SimilarOptions,
  SuggestOptions,
} from './engine-api.ts';
import { SoukError, toSoukError } from './errors.ts';
import { DocValues } from './filter/doc-values.ts';
import { parseFilter } from './filter/filter-parser.ts';
import { packSections, Sections } from './lexical/binary-sections.ts';
import {
  associationQueryTerms,
  candidateFeatures,
  productAssociationTerms,
  rankingFeatureNames,
  rerankCandidates,
  topEntries,
  type RankingQuery,
  type RankingSources,
} from './candidate-ranking.ts';
import type { LexicalIndexOptions, MatchResult, QueryTerm } from './lexical/lexical-index.ts';
import { LexicalIndex, termKey } from './lexical/lexical-index.ts';
import { bridgeQuery, warmUpBridge } from './query/cross-lingual.ts';
import type { SignalName } from './rank/features.ts';
import type { TermAssociations } from './rank/term-associations.ts';
import { fuse, rankByScore, type RankedList } from './rank/fusion.ts';
import { FeedbackStats } from './rank/feedback-stats.ts';
import {
  EngineFeedback,
  type FeedbackImportOptions,
  type FeedbackImportReport,
  type FeedbackListener,
} from './engine-feedback.ts';
import type { FeedbackEvent, FeedbackResult, LoggedFeedback } from './types.ts';
import * as rules from './rank/rules.ts';
import {
  rankerOf,
  RankerModels,
  type Ranker,
  type RankerInfo,
  type RankerModel,
} from './rank/ranker-models.ts';
import { OnlineRankerUpdates } from './online-ranker.ts';
import {
  positiveGrades,
  trainFromFeedback,
  trainFromJudgments,
  type AssociationCatalogue,
  type OnlineUpdateReport,
  type RankingRows,
  type TrainingHost,
  type TrainRankerOptions,
  type TrainRankerReport,
} from './ranker-training.ts';
import { highlight } from './search/highlight.ts';
import { planQuery } from './search/query-plan.ts';
import { topK } from './search/top-k.ts';
import { canonicalJson, ResultCache, type ResultCacheStats } from './search/result-cache.ts';
import { suggestQuery, understandSearch, type UnderstoodQuery } from './search/understood-query.ts';
import {
  normalizeSuggestText,
  pinyinPrefixReadings,
  rankSuggestions,
  type Suggestion,
  type SuggestionCandidate,
} from './search/suggest.ts';
import { createMemoryStore } from './store/memory-store.ts';
import { DeferredEmbedding, QueryBatch } from './embed/query-batch.ts';
import { ThreadedSqliteStore } from './store/threaded-sqlite-store.ts';
import type { Change, Store } from './store/store.ts';
import { grow } from './lexical/growable.ts';
import { CoalescedRun } from './util/coalesced-run.ts';
import { WriteTracker } from './search/write-tracker.ts';
import { analyze, containsCjk } from './text/analyzer.ts';
import type { Token } from './text/token.ts';
import { titleHeadTokens } from './text/title-head.ts';
import type {
  EmbedReport,
  EngineStats,
  IngestReport,
  LineError,
  Product,
  ProductPatch,
  SearchHit,
  SearchMode,
  SearchRequest,
  SearchResponse,
  SortOrder,
  SourceWeights,
  VectorSpaceStats,
  WriteResult,
} from './types.ts';

/** Query vectors a search computed, for the ranking stage's similarity features. */
interface QueryProbe {
  textVector?: Float32Array | undefined;
  imageVector?: Float32Array | undefined;
}

/** What retrieval found for a request, before learned re-ranking and paging. */
interface Retrieved {
  q: string;
  mode: SearchMode;
  docIds: Int32Array;
  scores: Float32Array;
  matchedKeys: Set<string>;
  warnings: string[];
  browsing: boolean;
  tokens: Token[];
  lexical: (MatchResult & { terms: QueryTerm[] }) | undefined;
  probe: QueryProbe;
  /** The query as understood: `understood.text` (price phrases removed) is what was matched. */
  understood: UnderstoodQuery;
  /**
   * Lexical matches ranked after every entry of `docIds` that are not among them (a hybrid answer's
   * tail): how many, for the total. Left out of `docIds` when the page, sort and facets do not reach
   * them — copying 100k+ matches cost a 1M-product hybrid query ~1.5 ms.
   */
  restCount: number;
}

const SNAPSHOT_NAME = 'index';
const SNAPSHOT_FORMAT = 2;
const SEARCH_MODES: readonly SearchMode[] = ['keyword', 'semantic', 'hybrid', 'image'];
/** Fusion for "more like this": vectors lead, title words follow, ranks blend smoothly. */
const SIMILAR_WEIGHTS = { text: 1, image: 1, lexical: 0.5 };
const SIMILAR_RRF_K = 60;
const SORT_ORDERS: readonly SortOrder[] = [
  'relevance',
  'price:asc',
  'price:desc',
  'rating:desc',
  'rating:asc',
];

/** The hits of a best-first vector list reaching `share` of the best one's similarity. */
function aboveSimilarityFloor(
  list: { docIds: Int32Array; scores: Float32Array },
  share: number,
): { docIds: Int32Array; scores: Float32Array } {
  const best = list.scores[0];
  if (best === undefined || best <= 0) return list;
  let n = 0;
  while (n < list.scores.length && list.scores[n]! >= share * best) n++;
  return { docIds: list.docIds.subarray(0, n), scores: list.scores.subarray(0, n) };
}

/** Creates an engine: opens (or creates) the store, then loads the index from a snapshot or rebuilds it. */
/**
 * Parts that replace the configured defaults: your own embedders (any object implementing the
 * `TextEmbedder` / `ImageEmbedder` interfaces), used instead of `embedding.text` / `embedding.image`.
 */
export type EngineParts = EmbedderParts;

export async function createEngine(config: SoukConfig = {}, parts: EngineParts = {}): Promise<Engine> {
  const resolved = resolveConfig(config);
  const store = await openStore(resolved);
  const engine = new SoukEngine(resolved, store, parts);
  try {
    await engine.open();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw toSoukError(error);
  }
  return engine;
}

/**
 * The configured store: PostgreSQL when `store.url` is set (the data directory, if any, then only holds
 * this replica's snapshots), SQLite in the data directory, or memory.
 */
async function openStore(config: ResolvedConfig): Promise<Store> {
  if (config.store.url) {
    // Loaded only here: the driver costs ~90 ms of start-up that SQLite and memory engines never need.
    const { PostgresStore } = await import('./store/postgres-store.ts');
    return PostgresStore.open({
      url: config.store.url,
      schema: config.store.schema,
      snapshotDir: config.dataDir,
      poolSize: config.store.poolSize,
    });
  }
  return config.dataDir ? ThreadedSqliteStore.open(config.dataDir) : createMemoryStore();
}

/** Characters of text in a batch of ingested products before it is written regardless of its count. */
const MAX_BATCH_CHARS = 4_000_000;

/** A product's size for batching: its long text fields plus a constant for the rest. */
function approximateChars(product: Product): number {
  return product.title.length + (product.description?.length ?? 0) + 256;
}

const TITLE_FIELD = FIELD_NAMES.indexOf('title');
const TITLE_HEAD_FIELD = FIELD_NAMES.indexOf('titleHead');

/**
 * The tokens of each indexed field, in FIELD_NAMES order; `imageText` is what OCR read in its photo and
 * `titleHead` the title's own head tokens (no second analysis).
 */
export function productFieldTokens(product: Product, imageText = ''): Token[][] {
  const texts = productFieldTexts(product, imageText);
  const tokens = texts.map((text) => (text === '' ? [] : analyze(text)));
  tokens[TITLE_HEAD_FIELD] = titleHeadTokens(product.title, tokens[TITLE_FIELD]!);
  return tokens;
}

/** The text of each indexed text field, in FIELD_NAMES order (derived fields are ''). */
function productFieldTexts(product: Product, imageText: string): string[] {
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
    imageText,
    titleHead: '',
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

/** A search batch's error, naming the request it came from in `details.index`. */
function batchError(error: unknown, index: number): SoukError {
  const cause = toSoukError(error);
  return new SoukError(cause.code, cause.message, { ...cause.details, index }, { cause });
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
  /** Set while closing: background embedding stops between batches. */
  private closing = false;
  /** Set as soon as close() is called (status() reports `closing`). */
  private closeStarted = false;
  private changesSinceSnapshot = 0;
  /** Products of the writes under way, for searches that read their page while one lands. */
  private readonly writes = new WriteTracker();
  /** Scratch for withLexicalRest: a byte per document number, all 0 between searches. */
  private fusedMarks: Uint8Array = new Uint8Array(0);
  /** Shared store: the catch-up runs; the watch subscription; the poll timer; the last failure. */
  private readonly followRun = new CoalescedRun();
  private unwatch: (() => void) | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  private followError: string | undefined;
  private keys = new ProductKeys();
  private readonly encoders: Encoders;
  private readonly spaces: { text: VectorSpace; image: VectorSpace };
  /** The background embedding run (embedding.auto), and whether writes arrived while it ran. */
  private backgroundEmbedding: Promise<void> | undefined;
  private embedAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastEmbeddingError: string | undefined;
  private readonly queryVectors = new Map<string, Float32Array>();
  /** Result pages (cache.enabled), invalidated exactly by writes (see cachedSearch / invalidateResults). */
  private readonly resultCache: ResultCache | undefined;
  /** Requests of a searchBatch run, with the batch that embeds their query texts together. */
  private readonly queryBatches = new WeakMap<SearchRequest, QueryBatch>();
  /** The query adapter of each text model (by embedder key; null: none stored), read once from the store. */
  private readonly adapters = new Map<string, QueryAdapter | null>();
  private readonly requeue = new Set<VectorSpace>();
  /** Text OCR read in each product's photo (embedding.ocr), indexed as the `imageText` field. */
  private imageTexts = new Map<string, string>();
  /** Synonyms and merchandising (setRules), kept in the store's metadata; a warning if unusable. */
  private rules: rules.CompiledRules = rules.NO_RULES;
  private rulesWarning: string | undefined;
  private rulesWrite: Promise<unknown> = Promise.resolve();

  private readonly hasText: boolean;
  private readonly hasImage: boolean;
  /** Learned-ranker models (versions, the active one), kept in the store's metadata. */
  readonly rankers: RankerModels;
  private readonly rankerCache = new WeakMap<RankerModel, Ranker>();
  private online: OnlineRankerUpdates | undefined;
  private sources: RankingSources | undefined;
  /**
   * Behaviour-feedback aggregates (popularity, attractiveness, per query-product clicks, user affinity),
   * always equal to a prefix of the store's feedback log: rebuilt at open, updated by every feedback write.
   */
  readonly feedbackStats = new FeedbackStats();
  private readonly feedbackLog: EngineFeedback;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly store: Store,
    parts: EngineParts,
  ) {
    this.index = new LexicalIndex(indexOptions(config));
    if (config.cache.enabled) this.resultCache = new ResultCache(config.cache.maxEntries);
    this.rankers = new RankerModels(store);
    this.feedbackLog = new EngineFeedback(store, this.feedbackStats);
    this.encoders = createEncoders(config.embedding, store, parts);
    this.hasText = parts.textEmbedder !== undefined || config.embedding.text.provider !== 'none';
    this.hasImage = parts.imageEmbedder !== undefined || config.embedding.image.provider !== 'none';
    this.spaces = {
      text: new VectorSpace('text', this.encoders.text, config.vector),
      image: new VectorSpace('image', this.encoders.image, config.vector),
    };
  }

  /** The spaces whose provider is configured (a `none` provider has no space). */
  private activeSpaces(): VectorSpace[] {
    const active: VectorSpace[] = [];
    if (this.hasText) active.push(this.spaces.text);
    if (this.hasImage) active.push(this.spaces.image);
    return active;
  }

  async open(): Promise<void> {
    await this.rankers.load();
    await this.loadIndexes();
    await this.feedbackLog.load();
    this.online = new OnlineRankerUpdates(
      this.trainingHost(),
      this.config.ranker,
      this.feedbackStats,
      this.rankers,
      (error) => process.emitWarning(`online ranker update failed: ${toSoukError(error).message}`),
    );
    this.onFeedback((events) => this.online?.note(events));
    await this.loadRules();
    this.startFollowing();
    this.scheduleEmbedding();
    this.warmUpBridge();
  }

  /** The index from its snapshot repaired from the change log, or rebuilt from the products. */
  private async loadIndexes(): Promise<void> {
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
      this.applyChanges(changes);
      seq = changes[changes.length - 1]!.seq;
    }
    this.appliedSeq = Math.max(this.appliedSeq, seq);
    // On a shared store other replicas keep writing, so the count may differ by the time it is read.
    if (!this.store.shared && this.index.size !== (await this.store.count())) {
      await this.rebuild();
      return;
    }
    if (this.requeue.size > 0) {
      for await (const batch of this.store.scan(5000)) {
        for (const product of batch) {
          const key = this.keyOf(product.id);
          if (key !== undefined) for (const space of this.requeue) space.note(key, product);
        }
      }
      this.requeue.clear();
      this.changesSinceSnapshot = Math.max(1, this.changesSinceSnapshot);
    }
  }

  /** Loads the dictionary bridge now rather than on the first query (a Chinese catalogue only). */
  private warmUpBridge(): void {
    if (this.config.crossLingual.enabled || this.config.crossLingual.pinyin) {
      warmUpBridge(this.index, this.config.crossLingual);
    }
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
      this.keys = ProductKeys.deserialize(sections.uint8('keys'));
      this.imageTexts = new Map(JSON.parse(sections.string('imageTexts')) as Array<[string, string]>);
      for (const space of this.activeSpaces()) {
        // A space made with another model configuration is dropped: every product is queued again.
        if (!space.restore(sections.uint8(`space:${space.name}`))) this.requeueAll(space);
      }
      return snapshot.seq;
    } catch {
      this.index = new LexicalIndex(indexOptions(this.config));
      this.values = new DocValues();
      this.keys = new ProductKeys();
      this.imageTexts = new Map();
      return undefined;
    }
  }

  /** Marks every product for (re-)embedding in a space (done by `open` once the index is loaded). */
  private requeueAll(space: VectorSpace): void {
    this.requeue.add(space);
  }

  private async rebuild(): Promise<void> {
    this.index = new LexicalIndex(indexOptions(this.config));
    this.values = new DocValues();
    this.keys = new ProductKeys();
    // Photos are read again by the image space's next run (from the store's cache: nothing is re-read).
    this.imageTexts = new Map();
    for (const space of this.activeSpaces()) space.clear();
    this.requeue.clear();
    for await (const batch of this.store.scan(5000)) for (const product of batch) this.addToIndex(product);
    this.index.tightenPostings();
    this.changesSinceSnapshot = this.index.size;
  }

  private addToIndex(product: Product): void {
    const previous = this.index.docIdOf(product.id);
    if (previous !== undefined) this.values.remove(previous);
    const imageText = this.imageTexts.get(product.id) ?? '';
    const docId = this.index.upsert(product.id, productFieldTokens(product, imageText));
    this.values.set(docId, product);
    const key = this.keys.bind(docId, previous);
    for (const space of this.activeSpaces()) space.note(key, product);
  }

  /** The vector-space key of a product in the index, or undefined. */
  private keyOf(id: string): number | undefined {
    const docId = this.index.docIdOf(id);
    const key = docId === undefined ? -1 : this.keys.keyOfDocId(docId);
    return key < 0 ? undefined : key;
  }

  private removeFromIndex(id: string): void {
    const docId = this.index.docIdOf(id);
    if (docId === undefined) return;
    this.index.remove(id);
    this.values.remove(docId);
    const key = this.keys.release(docId);
    if (key !== undefined) for (const space of this.activeSpaces()) space.forget(key);
    this.imageTexts.delete(id);
  }

  /**
   * Issues a store write at once (stores commit writes in call order) and applies its outcome to the index
   * after every earlier write's. A caller's promise resolves once its write is both durable and searchable.
   * With the threaded SQLite store this lets the next batch's commit overlap this batch's indexing.
   */
  private write<T extends { seq: number }, R>(
    ids: readonly string[],
    storeWrite: () => Promise<T>,
    apply: (outcome: T) => void,
    result: (outcome: T) => R,
  ): Promise<R> {
    this.assertOpen();
    const no = this.writes.issue(ids);
    const outcome = storeWrite().catch((error: unknown) => {
      throw toSoukError(error);
    });
    outcome.catch(() => undefined); // handled below, once the earlier writes are applied
    const written = this.applied
      .then(() => outcome)
      .then(async (done) => {
        // A shared store's log interleaves every replica's writes: they are applied from the log, in seq
        // order, this write's included, so all replicas end in the same state whatever the timing.
        if (this.store.shared) await this.followTo(done.seq);
        else apply(done);
        this.appliedSeq = Math.max(this.appliedSeq, done.seq);
        this.scheduleEmbedding();
        return result(done);
      });
    const settled = written.finally(() => this.writes.settle(no, ids));
    settled.catch(() => undefined); // the caller handles `written`
    // A failed snapshot only costs start-up time later; it must not fail the writes queued behind it.
    this.applied = settled.then(() => this.snapshotIfDue()).catch(() => undefined);
    return written;
  }

  /**
   * Applies the change log after `appliedSeq` through `throughSeq` (everything there is, by default):
   * how a replica on a shared store learns of writes made anywhere, and how it applies its own.
   */
  private async followTo(throughSeq = Number.MAX_SAFE_INTEGER): Promise<void> {
    while (this.appliedSeq < throughSeq) {
      const limit = Math.min(5000, throughSeq - this.appliedSeq);
      const changes = await this.store.changesSince(this.appliedSeq, limit);
      if (changes.length === 0) return;
      this.applyChanges(changes);
      this.appliedSeq = changes[changes.length - 1]!.seq;
    }
  }

  /** Applies change-log entries to the indexes (replay after a snapshot, and following a shared store). */
  private applyChanges(changes: readonly Change[]): void {
    this.invalidateResults(
      changes.map((change) => change.id),
      () => {
        for (const change of changes) {
          if (change.op === 'delete') this.removeFromIndex(change.id);
          else if (change.product) this.addToIndex(change.product);
        }
      },
    );
    this.changesSinceSnapshot += changes.length;
  }

  /**
   * Shared store: catches up with other replicas' writes, one run at a time behind the writes already
   * issued (a second request while one is queued is the same request).
   */
  private followShared(): void {
    if (this.closeStarted) return;
    this.applied = this.followRun.schedule(
      this.applied,
      async () => {
        const before = this.appliedSeq;
        await this.followTo();
        this.followError = undefined;
        if (this.appliedSeq > before) this.scheduleEmbedding();
        await this.snapshotIfDue();
      },
      (error) => {
        this.followError = toSoukError(error).message;
      },
    );
  }

  /** Shared store: follow notifications (and a slow poll, in case one is missed while connected). */
  private startFollowing(): void {
    if (!this.store.shared) return;
    if (!this.store.watch) {
      // Without notifications (whose `connected` event starts every catch-up), begin with one now.
      this.followShared();
      this.feedbackLog.follow();
    }
    this.unwatch = this.store.watch?.((event) => {
      if (event.kind === 'changes' && event.seq <= this.appliedSeq) return;
      if (event.kind === 'changes' || event.kind === 'connected') this.followShared();
      if (event.kind === 'feedback' || event.kind === 'connected') this.feedbackLog.follow();
      if (event.kind === 'meta' || event.kind === 'connected') this.reloadSharedMeta();
    });
    const every = this.config.store.pollIntervalMs;
    if (every > 0) {
      this.followTimer = setInterval(() => {
        this.followShared();
        this.feedbackLog.follow();
      }, every);
      this.followTimer.unref();
    }
  }

  /** Rules, ranker models and query adapters written by another replica. */
  private reloadSharedMeta(): void {
    if (this.closeStarted) return;
    this.rulesWrite = this.rulesWrite
      .then(async () => {
        await this.rankers.load();
        await this.loadRules();
        this.adapters.clear();
        this.resultCache?.clear();
      })
      .catch((error: unknown) => {
        this.followError = toSoukError(error).message;
      });
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

  /**
   * `after`: the store write waits for that commit first (an ingest's previous batch), so a batch that
   * fails stops every later one; `committed` receives this batch's store commit.
   */
  private writeProducts(
    products: Product[],
    order: { after?: Promise<unknown>; committed?: (commit: Promise<unknown>) => void } = {},
  ): Promise<{ seq: number; changed: number; unchanged: number }> {
    return this.write(
      products.map((product) => product.id),
      () => {
        const { after } = order;
        const commit = after ? after.then(() => this.store.upsert(products)) : this.store.upsert(products);
        order.committed?.(commit);
        return commit;
      },
      (outcome) => {
        this.invalidateResults(
          outcome.changed.map((product) => product.id),
          () => {
            for (const product of outcome.changed) this.addToIndex(product);
          },
        );
        this.changesSinceSnapshot += outcome.changed.length;
      },
      (outcome) => ({ seq: outcome.seq, changed: outcome.changed.length, unchanged: outcome.unchanged }),
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
    // Each batch is sent to the store only after the one before committed: when one fails (a full disk),
    // no later batch is written, so what is stored is always the start of the file in whole batches.
    const inFlight: Array<Promise<void>> = [];
    let lastCommit: Promise<unknown> | undefined;
    // Batches are also bounded by size, so memory stays bounded whatever the products' size (five batches
    // of this many characters can be alive: reading, two in flight, the store's copy, the index's input).
    let batchChars = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      // At most batchSize products per transaction, so a crash leaves whole batches in file order.
      const products = batch.length > batchSize ? batch.splice(0, batchSize) : batch;
      if (products === batch) batch = [];
      batchChars = batch.reduce((sum, product) => sum + approximateChars(product), 0);
      const done = this.writeProducts(products, {
        ...(lastCommit ? { after: lastCommit } : {}),
        committed: (commit) => {
          lastCommit = commit;
        },
      }).then((written) => {
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
          batchChars += approximateChars(record.product);
          if (batchChars >= MAX_BATCH_CHARS) await flush();
        } else {
          report.rejected++;
          if (!options.strict) errors.push(...record.errors);
        }
      }
      while (batch.length >= batchSize) await flush();
    }
    await flush();
    await Promise.all(inFlight);
    // A bulk load leaves the postings in doubling blocks, a third of them empty.
    this.index.tightenPostings();
    this.warmUpBridge();
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
      checked.map((p) => p.id),
      () => this.store.patch(checked),
      (outcome) => {
        this.invalidateResults(
          outcome.products.map((product) => product.id),
          () => {
            for (const product of outcome.products) this.addToIndex(product);
          },
        );
        this.changesSinceSnapshot += outcome.products.length;
      },
      (outcome) => outcome.products,
    );
  }

  async delete(input: string | string[]): Promise<WriteResult> {
    const ids = Array.isArray(input) ? input : [input];
    return this.write(
      ids,
      () => this.store.delete(ids),
      (outcome) => {
        this.invalidateResults(outcome.deleted, () => {
          for (const id of outcome.deleted) this.removeFromIndex(id);
        });
        this.changesSinceSnapshot += outcome.deleted.length;
      },
      (outcome) => ({ seq: outcome.seq, count: outcome.deleted.length }),
    );
  }

  async get(id: string): Promise<Product | undefined> {
    this.assertOpen();
    return this.store.get(id);
  }

  async search(request: SearchRequest): Promise<SearchResponse> {
    this.assertOpen();
    const key = this.resultCache ? this.resultCacheKey(request) : undefined;
    if (key === undefined) return this.searchUncached(request);
    return this.cachedSearch(this.resultCache!, key, request);
  }

  /**
   * The result-cache key of a request, or undefined when it is not cached (an image given by path).
   * Everything that shapes the answer is in it: the request's fields (whitespace runs in `q` collapsed),
   * the active ranker, and for answers that can depend on them the vector spaces' versions and the
   * feedback count. Product writes are handled by invalidateResults; rules, adapter and vacuum clear all.
   */
  private resultCacheKey(request: SearchRequest): string | undefined {
    let image: string | undefined;
    if (request.image !== undefined) {
      if (!(request.image instanceof Uint8Array)) return undefined;
      image = createHash('sha256').update(request.image).digest('hex');
    }
    const active = this.rankers.activeVersion();
    // A learned ranker reads feedback (popularity, affinity) and vectors (similarity features).
    const ranked =
      request.ranker === undefined || request.ranker === 'active'
        ? active !== undefined
        : request.ranker !== 'none';
    const vectors = (request.mode ?? this.config.search.mode) !== 'keyword' || ranked;
    return canonicalJson({
      ...request,
      q: typeof request.q === 'string' ? request.q.replace(/\s+/g, ' ') : request.q,
      image,
      active,
      feedback: ranked ? this.feedbackStats.events : undefined,
      vectors: vectors ? [this.spaces.text.version, this.spaces.image.version] : undefined,
    });
  }

  private async cachedSearch(
    cache: ResultCache,
    key: string,
    request: SearchRequest,
  ): Promise<SearchResponse> {
    const started = performance.now();
    const cached = cache.get(key);
    if (cached) {
      const response = structuredClone(cached);
      response.query = request.q ?? '';
      response.tookMs = Math.round((performance.now() - started) * 1000) / 1000;
      return response;
    }
    const epoch = cache.epoch;
    const response = await this.searchUncached(request);
    const volatile =
      response.suggestion !== undefined ||
      (this.config.understanding.enabled && response.total < this.config.understanding.suggestBelow);
    cache.set(
      {
        key,
        request,
        response: structuredClone(response),
        pageIds: new Set(response.hits.map((hit) => hit.id)),
        vector: response.mode !== 'keyword' || response.ranker !== undefined,
        volatile,
      },
      epoch,
    );
    return response;
  }

  /**
   * Applies a write to the index (`apply`) and drops exactly the cached pages it can change: those showing
   * one of the products, every vector or few-result answer, and every entry whose query reaches one of the
   * products in its old or its new version (its lexical match and filter evaluated on that product alone).
   * More than `cache.maxChecksPerWrite` entry × product pairs, or a product named by a pin: everything goes.
   */
  private invalidateResults(ids: readonly string[], apply: () => void): void {
    const cache = this.resultCache;
    if (!cache || cache.size === 0 || ids.length === 0) {
      if (cache) cache.epoch++;
      apply();
      return;
    }
    cache.dropShowing(ids);
    cache.dropWhere((entry) => entry.vector || entry.volatile);
    const written = new Set(ids);
    const pinned = this.rules.merchandising.some((rule) => rule.pins.some((pin) => written.has(pin.id)));
    const entries = [...cache.values()];
    if (pinned || entries.length * ids.length > this.config.cache.maxChecksPerWrite) {
      cache.clear();
      apply();
      return;
    }
    const affected = new Set<string>();
    const check = (): void => {
      for (const entry of entries) {
        if (affected.has(entry.key)) continue;
        for (const id of ids) {
          const docId = this.index.docIdOf(id);
          if (docId !== undefined && this.reaches(entry.request, id, docId)) {
            affected.add(entry.key);
            break;
          }
        }
      }
    };
    check();
    apply();
    check();
    cache.drop(affected);
  }

  /** Whether a (cached, so valid) request's result contains this product: its match and filter on it alone. */
  private reaches(request: SearchRequest, id: string, docId: number): boolean {
    try {
      // A given candidate set admits products the query does not match.
      if (request.ids?.includes(id)) return true;
      const q = request.q ?? '';
      const understood = understandSearch(q, this.config.understanding, this.index, this.values);
      const filter = understood.filter(this.requestFilter(request));
      const only = (candidate: number): boolean => candidate === docId && (!filter || filter(candidate));
      if (understood.tokens.length === 0) {
        return understood.text.trim() === '' && this.index.isLive(docId) && only(docId);
      }
      return this.matchWithSynonyms(understood.text, understood.tokens, request, only).docIds.length > 0;
    } catch {
      return true;
    }
  }

  /**
   * A search whose page products were written while it ran (see WriteTracker) runs again once the latest
   * such write is applied, so each hit is shown as it was filtered and ranked; after three tries under
   * writes that keep touching the page, the last answer stands.
   */
  private async searchUncached(request: SearchRequest): Promise<SearchResponse> {
    for (let attempt = 1; ; attempt++) {
      const since = this.writes.settledThrough();
      const pageIds: string[] = [];
      const response = await this.searchOnce(request, pageIds);
      const write = attempt >= 3 ? undefined : this.writes.touched(pageIds, since);
      if (write === undefined) return response;
      await this.writes.settledAfter(write);
    }
  }

  private async searchOnce(request: SearchRequest, pageIds: string[]): Promise<SearchResponse> {
    const started = performance.now();
    const { limit, offset, sort } = this.pageOf(request);
    // The learned ranker re-orders the best `ranker.candidates`: they must all be in the list.
    const reach = Math.max(offset + limit, request.ranker === 'none' ? 0 : this.config.ranker.candidates);
    const retrieved = await this.retrieve(request, reach);
    let { docIds, scores } = retrieved;
    let rankerVersion: string | undefined;
    if (sort === 'relevance' && !retrieved.browsing) {
      const model = await this.rankers.resolve(request.ranker);
      if (model && docIds.length > 1) {
        ({ docIds, scores } = await this.rerank(model, retrieved, request));
        rankerVersion = model.info.version;
      }
    }
    ({ docIds, scores } = this.merchandise({ docIds, scores }, sort, request, retrieved));
    const response = await this.respond(docIds, scores, {
      offset,
      limit,
      sort,
      q: retrieved.q,
      mode: retrieved.mode,
      matchedKeys: retrieved.matchedKeys,
      request,
      fetched: pageIds,
      restCount: retrieved.restCount,
    });
    if (rankerVersion) response.ranker = rankerVersion;
    if (response.total < this.config.understanding.suggestBelow && this.config.understanding.enabled) {
      const filter = retrieved.understood.filter(this.requestFilter(request));
      const count = (text: string, tokens: Token[]): number => {
        const matched = this.matchLexical(text, tokens, request, filter);
        return matched.bestCoverage < 1 ? 0 : matched.docIds.length;
      };
      const suggestion = suggestQuery(
        retrieved.understood,
        this.index,
        response.total,
        count,
        this.config.search,
      );
      if (suggestion !== undefined) response.suggestion = suggestion;
    }
    if (retrieved.warnings.length > 0) response.warnings = retrieved.warnings;
    response.tookMs = Math.round((performance.now() - started) * 1000) / 1000;
    return response;
  }

  /**
   * Several searches with one embedder call for their query texts (see QueryBatch): searches that need no
   * new query vector are answered in the first pass, the others after the texts were embedded together.
   * The first failing search (by index) rejects the batch, with `details.index` naming it.
   */
  async searchBatch(requests: readonly SearchRequest[]): Promise<SearchResponse[]> {
    this.assertOpen();
    const batch = new QueryBatch();
    const copies = requests.map((request) => ({ ...request }));
    const results: Array<SearchResponse | undefined> = [];
    const deferred: number[] = [];
    const run = async (i: number): Promise<void> => {
      try {
        results[i] = await this.search(copies[i]!);
      } catch (error) {
        if (error instanceof DeferredEmbedding) deferred.push(i);
        else throw batchError(error, i);
      }
    };
    for (const [i, request] of copies.entries()) {
      this.queryBatches.set(request, batch);
      await run(i);
    }
    if (deferred.length > 0) {
      await batch.embedAll();
      for (const i of deferred.splice(0)) await run(i);
    }
    return results as SearchResponse[];
  }

  /**
   * Query suggestions for what a shopper has typed: popular queries (feedback) and titles of products
   * the prefix finds, prefix- and pinyin-aware (see search/suggest.ts).
   */
  async suggest(prefix: string, options: SuggestOptions = {}): Promise<Suggestion[]> {
    this.assertOpen();
    const limit = options.limit ?? 10;
    if (prefix.length > this.config.search.maxQueryLength) {
      throw new SoukError(
        'INVALID_REQUEST',
        `q is longer than ${this.config.search.maxQueryLength} characters`,
        {
          field: 'q',
        },
      );
    }
    const typed = normalizeSuggestText(prefix);
    const compact = typed.replace(/ /g, '');
    const readings = /^[a-z]+$/.test(compact) ? pinyinPrefixReadings(compact, this.index) : [];
    const candidates: SuggestionCandidate[] = [...this.popularQueries()];
    if (typed !== '') {
      for (const q of [typed, ...readings]) {
        const response = await this.search({
          q,
          mode: 'keyword',
          limit: limit * 3,
          highlight: false,
          ranker: 'none',
        });
        for (const hit of response.hits)
          candidates.push({ text: hit.title, source: 'product', weight: hit.score });
      }
    }
    return rankSuggestions(typed, candidates, { limit, chinesePrefixes: readings });
  }

  private popularQueryCache: { events: number; queries: SuggestionCandidate[] } | undefined;

  /** Queries shoppers acted on, weighted by their clicks, carts and purchases (recomputed after feedback). */
  private popularQueries(): SuggestionCandidate[] {
    const stats = this.feedbackStats;
    if (this.popularQueryCache?.events === stats.events) return this.popularQueryCache.queries;
    const queries: SuggestionCandidate[] = [];
    for (const query of stats.queries()) {
      if (query.trim() === '') continue;
      let weight = 0;
      for (const pair of stats.queryProductStats(query).values()) {
        weight += pair.clicks + 2 * pair.carts + 3 * pair.purchases + 0.05 * pair.impressions;
      }
      if (weight > 0) queries.push({ text: query, source: 'query', weight });
    }
    this.popularQueryCache = { events: stats.events, queries };
    return queries;
  }

  /** `open` from creation until close() starts, `closing` meanwhile, then `closed`. */
  status(): EngineStatus {
    return this.closed ? 'closed' : this.closeStarted ? 'closing' : 'open';
  }

  /** Candidate retrieval: lexical and vector lists, fused, before any learned re-ranking. */
  /** `reach`: how many of the best entries the caller reads (page, learned ranker, training rows). */
  private async retrieve(request: SearchRequest, reach: number): Promise<Retrieved> {
    const { search } = this.config;
    const q = request.q ?? '';
    if (typeof q !== 'string') throw new SoukError('INVALID_REQUEST', 'q must be a string', { field: 'q' });
    if (q.length > search.maxQueryLength) {
      throw new SoukError('INVALID_REQUEST', `q is longer than ${search.maxQueryLength} characters`, {
        field: 'q',
      });
    }
    const mode = this.resolveMode(request);
    // Price phrases become a filter and leave the words; `text` is what is matched.
    const understood = understandSearch(q, this.config.understanding, this.index, this.values);
    const text = understood.text;
    const filter = understood.filter(this.requestFilter(request));
    const warnings: string[] = [];
    const weights = this.weightsOf(request.weights);

    const queryTokens = understood.tokens;
    let docIds: Int32Array;
    let scores: Float32Array;
    let restCount = 0;
    let matchedKeys = new Set<string>();
    let translation: string | undefined;
    const probe: QueryProbe = {};
    let lexical: (MatchResult & { terms: QueryTerm[] }) | undefined;
    const browsing = queryTokens.length === 0 && request.image === undefined;
    if (browsing && text.trim() !== '') {
      // Text with nothing searchable in it (punctuation only) matches nothing; only an empty query browses.
      docIds = new Int32Array(0);
      scores = new Float32Array(0);
    } else if (browsing) {
      const live = this.index.liveDocIds();
      docIds = filter ? live.filter((docId) => filter(docId)) : live;
      scores = new Float32Array(docIds.length);
    } else {
      const lists: RankedList[] = [];
      let textWeight = weights.text;
      if ((mode === 'keyword' || mode === 'hybrid') && queryTokens.length > 0) {
        const matched = this.matchWithSynonyms(text, queryTokens, request, filter);
        matchedKeys = matched.matchedKeys;
        translation = matched.translation;
        lexical = matched;
        // When some product matches every word of the query, the words are a strong signal and the text
        // vectors mostly reorder near-misses; when words are unknown to the catalogue, meaning must carry.
        const covered = this.config.fusion.coveredTextShare;
        textWeight *= 1 - (1 - covered) * matched.bestCoverage;
        if (mode === 'hybrid')
          lists.push({
            ...rankByScore(matched.docIds, matched.scores, this.config.fusion.candidates),
            weight: weights.lexical,
          });
      } else if (queryTokens.length > 0 && this.config.crossLingual.enabled) {
        translation = bridgeQuery(text, queryTokens, [], this.index, this.config.crossLingual).translation;
      }
      if (mode !== 'keyword') {
        const vectorFilter = this.vectorFilter(filter);
        const k = this.config.fusion.candidates;
        if ((mode === 'semantic' || mode === 'hybrid') && queryTokens.length > 0) {
          const textList = await this.textQueryList(
            text,
            translation,
            k,
            vectorFilter,
            warnings,
            mode === 'semantic',
            probe,
            this.queryBatches.get(request),
          );
          const floor = mode === 'hybrid' ? this.config.fusion.vectorFloor * (lexical?.bestCoverage ?? 0) : 0;
          const kept = textList && floor > 0 ? aboveSimilarityFloor(textList, floor) : textList;
          if (kept) lists.push({ ...kept, weight: mode === 'semantic' ? 1 : textWeight });
        }
        if (request.image !== undefined) {
          const image = await this.imageQueryList(request.image, k, vectorFilter, probe);
          lists.push({ ...image, weight: mode === 'image' ? 1 : weights.image });
        } else if (mode === 'hybrid' && queryTokens.length > 0) {
          // CLIP-like models put text and photos in one space: the query text also searches the photos.
          const clip = await this.textToImageList(text, k, vectorFilter, warnings);
          if (clip) lists.push({ ...clip, weight: weights.image });
        }
      }
      if (mode === 'keyword' || (lexical && lists.length <= 1)) {
        docIds = lexical?.docIds ?? new Int32Array(0);
        scores = lexical?.scores ?? new Float32Array(0);
      } else {
        const fused = fuse(lists, this.config.fusion);
        ({ docIds, scores } = fused);
        if (lexical && lexical.docIds.length > docIds.length) {
          const rest = this.lexicalRestCount(fused, lexical);
          if (rest === undefined || this.needsWholeList(request, reach, fused.docIds.length)) {
            ({ docIds, scores } = this.withLexicalRest(fused, lexical));
          } else restCount = rest;
        }
      }
    }

    if (!browsing && (request.sort ?? 'relevance') === 'relevance') {
      // Candidates stating the opposite size or a conflicting measure are demoted (query understanding).
      const depth = (request.offset ?? 0) + (request.limit ?? search.limit);
      const adjustDepth = Math.max(this.config.fusion.candidates, depth);
      const adjusted = understood.adjust(docIds, scores, adjustDepth);
      if (adjusted !== scores && restCount > 0) {
        // A demoted candidate may fall below the tail: rank the whole list.
        ({ docIds, scores } = this.withLexicalRest({ docIds, scores }, lexical!));
        restCount = 0;
        scores = understood.adjust(docIds, scores, adjustDepth);
      } else scores = adjusted;
    }

    if (request.ids !== undefined && filter && !browsing) {
      // A given candidate set is ranked whole: products the query does not reach come last, in the given order.
      ({ docIds, scores } = this.withUnmatched(docIds, scores, request.ids, filter));
    }

    return {
      q,
      mode,
      docIds,
      scores,
      matchedKeys,
      warnings,
      browsing,
      tokens: queryTokens,
      lexical,
      probe,
      understood,
      restCount,
    };
  }

  /**
   * Whether an answer must hold every lexical match rather than the fused candidates alone: another sort
   * than relevance, facets, a given candidate set and merchandising rules read all of them, and a page
   * or the learned ranker may reach past the candidates.
   */
  private needsWholeList(request: SearchRequest, reach: number, candidates: number): boolean {
    return (
      (request.sort ?? 'relevance') !== 'relevance' ||
      (request.facets?.length ?? 0) > 0 ||
      request.ids !== undefined ||
      this.rules.merchandising.length > 0 ||
      reach > candidates
    );
  }

  /** What the ranking stage reads from the indexes. */
  private rankingSources(): RankingSources {
    const { search } = this.config;
    this.sources ??= {
      index: this.index,
      values: this.values,
      fields: FIELD_NAMES,
      expansion: {
        maxExpansions: search.maxExpansions,
        prefixWeight: search.prefixWeight,
        typoWeights: search.typoWeights,
        typoExactPrefix: search.typoExactPrefix,
        typoMaxFrequency: search.typoMaxFrequency,
      },
      textVectorOf: (docId) => this.spaces.text.vectorOf(this.keys.keyOfDocId(docId)),
      imageVectorOf: (docId) => this.spaces.image.vectorOf(this.keys.keyOfDocId(docId)),
      titlesOf: async (docIds) => {
        const products = await this.store.getMany(
          Array.from(docIds, (docId) => this.index.externalId(docId)),
        );
        return products.map((product) => product?.title);
      },
      signals: (query, docIds) => ({
        ...query.understood?.signalColumns(docIds),
        ...this.feedbackSignals(query, docIds),
      }),
    };
    // The index object is replaced by a rebuild.
    this.sources.index = this.index;
    this.sources.values = this.values;
    return this.sources;
  }

  /** Popularity from feedback and, for a known shopper, affinity to each candidate's category and brand. */
  private feedbackSignals(
    query: RankingQuery,
    docIds: Int32Array,
  ): Partial<Record<SignalName, Float32Array>> {
    const stats = this.feedbackStats;
    const signals: Partial<Record<SignalName, Float32Array>> = {};
    if (stats.events === 0) return signals;
    const ids = Array.from(docIds, (docId) => this.index.externalId(docId));
    signals.popularity = Float32Array.from(ids, (id) => stats.attractiveness(id));
    signals.popularity_log = Float32Array.from(ids, (id) => stats.popularity(id));
    const user = query.userId;
    if (user !== undefined && stats.hasUser(user)) {
      const category = new Float32Array(docIds.length);
      const brand = new Float32Array(docIds.length);
      docIds.forEach((docId, i) => {
        // The longest category path (its prefixes are the other entries).
        let path: string[] | undefined;
        for (const joined of this.values.docValuesOf(docId, 'category')) {
          const segments = joined.split(' > ');
          if (!path || segments.length > path.length) path = segments;
        }
        category[i] = stats.categoryAffinity(user, path);
        brand[i] = stats.brandAffinity(user, this.values.docValuesOf(docId, 'brand')[0]);
      });
      signals.user_category_affinity = category;
      signals.user_brand_affinity = brand;
    }
    return signals;
  }

  private rankingQuery(retrieved: Retrieved, request: SearchRequest): RankingQuery {
    let lexical = retrieved.lexical;
    if (!lexical && retrieved.tokens.length > 0) {
      // A semantic answer still has words: the model's lexical features need them.
      lexical = this.matchLexical(retrieved.understood.text, retrieved.tokens, request, undefined);
    }
    return {
      q: retrieved.q,
      tokens: retrieved.tokens,
      terms: lexical?.terms ?? [],
      lexical,
      textVector: retrieved.probe.textVector,
      imageVector: retrieved.probe.imageVector,
      userId: request.userId,
      understood: retrieved.understood,
    };
  }

  private async rerank(
    model: RankerModel,
    retrieved: Retrieved,
    request: SearchRequest,
  ): Promise<{ docIds: Int32Array; scores: Float32Array }> {
    let ranker = this.rankerCache.get(model);
    if (!ranker) this.rankerCache.set(model, (ranker = rankerOf(model)));
    return rerankCandidates(
      this.rankingSources(),
      this.rankingQuery(retrieved, request),
      retrieved,
      this.config.ranker.candidates,
      ranker,
    );
  }

  /**
   * Feature rows for training: each query runs through retrieval (no learned ranker) and its best
   * `candidates` products become rows labelled by `labels` (unlabelled products: 0). The association
   * columns read `associations` (a model's table; 0 without one — training fills them in out of fold).
   */
  async rankingExamples(
    examples: ReadonlyArray<{ q: string; labels: ReadonlyMap<string, number>; request?: SearchRequest }>,
    options: {
      candidates?: number;
      associations?: TermAssociations | undefined;
      onProgress?: (done: number, total: number) => void;
    } = {},
  ): Promise<RankingRows> {
    this.assertOpen();
    const n = options.candidates ?? this.config.ranker.candidates;
    const names = rankingFeatureNames(this.rankingSources());
    const width = names.length;
    const chunks: Float32Array[] = [];
    const labels: number[] = [];
    const offsets = [0];
    const included: number[] = [];
    const ids: string[] = [];
    const queryTerms: string[][] = [];
    const judgedGrades: Float32Array[] = [];
    let done = 0;
    for (const example of examples) {
      const request: SearchRequest = { ...example.request, q: example.q, ranker: 'none' };
      const retrieved = await this.retrieve(request, n);
      done++;
      if (retrieved.browsing || retrieved.docIds.length === 0) continue;
      const top = topEntries(retrieved.scores, n);
      const docIds = Int32Array.from(top, (entry) => retrieved.docIds[entry]!);
      const scores = Float32Array.from(top, (entry) => retrieved.scores[entry]!);
      const query = this.rankingQuery(retrieved, request);
      chunks.push(
        await candidateFeatures(this.rankingSources(), query, docIds, scores, options.associations),
      );
      for (const docId of docIds) {
        const id = this.index.externalId(docId);
        ids.push(id);
        labels.push(example.labels.get(id) ?? 0);
      }
      offsets.push(labels.length);
      included.push(done - 1);
      queryTerms.push(associationQueryTerms(query.terms));
      judgedGrades.push(positiveGrades(example.labels));
      if (done % 100 === 0) options.onProgress?.(done, examples.length);
    }
    options.onProgress?.(done, examples.length);
    const features = new Float32Array(labels.length * width);
    let at = 0;
    for (const chunk of chunks) {
      features.set(chunk, at);
      at += chunk.length;
    }
    return {
      featureNames: names,
      featureCount: width,
      features,
      labels: Float32Array.from(labels),
      offsets: Int32Array.from(offsets),
      queries: offsets.length - 1,
      included: Int32Array.from(included),
      ids,
      queryTerms,
      judgedGrades,
    };
  }

  async trainRanker(options: TrainRankerOptions): Promise<TrainRankerReport> {
    this.assertOpen();
    return trainFromJudgments(this.trainingHost(), this.config.ranker, options);
  }

  rankerModels(): { active: string | undefined; models: RankerInfo[] } {
    return { active: this.rankers.activeVersion(), models: this.rankers.list() };
  }

  async trainRankerFromFeedback(
    options: Omit<TrainRankerOptions, 'queries' | 'qrels'> = {},
  ): Promise<TrainRankerReport> {
    this.assertOpen();
    return trainFromFeedback(this.trainingHost(), this.config.ranker, this.feedbackStats, {
      ...options,
      events: this.feedbackStats.events,
    });
  }

  async updateRanker(): Promise<OnlineUpdateReport | undefined> {
    this.assertOpen();
    return this.online!.update();
  }

  async activateRanker(version: string): Promise<void> {
    this.assertOpen();
    await this.rankers.activate(version);
  }

  associationCatalogue(): AssociationCatalogue {
    return {
      productTerms: (id) => {
        const docId = this.index.docIdOf(id);
        return docId === undefined || !this.index.isLive(docId)
          ? undefined
          : productAssociationTerms(this.index, docId);
      },
      termFrequency: (term) => this.index.frequency(term),
      productCount: () => this.index.size,
    };
  }

  private trainingHost(): TrainingHost {
    return {
      rankingExamples: (examples, options) => this.rankingExamples(examples, options),
      catalogue: this.associationCatalogue(),
      rankers: this.rankers,
      getMeta: (key) => this.store.getMeta(key),
      setMeta: (key, value) => this.store.setMeta(key, value),
    };
  }

  /** The request's filter expression and id restriction as one predicate over document numbers. */
  private requestFilter(request: SearchRequest): ((docId: number) => boolean) | undefined {
    const expression = request.filter ? this.values.compile(parseFilter(request.filter)) : undefined;
    if (request.ids === undefined) return expression;
    if (!Array.isArray(request.ids) || request.ids.some((id) => typeof id !== 'string')) {
      throw new SoukError('INVALID_REQUEST', 'ids must be an array of product ids', { field: 'ids' });
    }
    const allowed = new Set<number>();
    for (const id of request.ids) {
      const docId = this.index.docIdOf(id);
      if (docId !== undefined) allowed.add(docId);
    }
    return expression ? (docId) => allowed.has(docId) && expression(docId) : (docId) => allowed.has(docId);
  }

  private withUnmatched(
    docIds: Int32Array,
    scores: Float32Array,
    ids: readonly string[],
    filter: (docId: number) => boolean,
  ): { docIds: Int32Array; scores: Float32Array } {
    const seen = new Set(docIds);
    let floor = 0;
    for (const score of scores) floor = Math.min(floor, score);
    const extraIds: number[] = [];
    for (const id of ids) {
      const docId = this.index.docIdOf(id);
      if (docId === undefined || seen.has(docId) || !filter(docId)) continue;
      seen.add(docId);
      extraIds.push(docId);
    }
    if (extraIds.length === 0) return { docIds, scores };
    const allIds = new Int32Array(docIds.length + extraIds.length);
    allIds.set(docIds);
    allIds.set(extraIds, docIds.length);
    const allScores = new Float32Array(allIds.length);
    allScores.set(scores);
    // Strictly below every match, keeping the given order among themselves.
    extraIds.forEach((_, i) => (allScores[docIds.length + i] = floor - 1 - i / extraIds.length));
    return { docIds: allIds, scores: allScores };
  }

  private pageOf(request: {
    limit?: number | undefined;
    offset?: number | undefined;
    sort?: SortOrder | undefined;
  }): {
    limit: number;
    offset: number;
    sort: SortOrder;
  } {
    const { search } = this.config;
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
    return { limit, offset, sort };
  }

  private resolveMode(request: SearchRequest): SearchMode {
    const asked = request.mode ?? (this.config.search.mode === 'auto' ? undefined : this.config.search.mode);
    if (asked !== undefined && !SEARCH_MODES.includes(asked)) {
      throw new SoukError('INVALID_REQUEST', `mode must be one of ${SEARCH_MODES.join(', ')}`, {
        field: 'mode',
      });
    }
    if (asked === 'image' && request.image === undefined) {
      throw new SoukError('INVALID_REQUEST', 'mode "image" needs an image', { field: 'image' });
    }
    const textSpace = this.hasText;
    if ((asked === 'semantic' || asked === 'hybrid') && !textSpace && request.image === undefined) {
      throw new SoukError(
        'EMBEDDER_NOT_CONFIGURED',
        `mode "${asked}" needs a text embedder (embedding.text.provider is "none")`,
        { field: 'mode' },
      );
    }
    if (request.image !== undefined && !this.hasImage) {
      throw new SoukError('EMBEDDER_NOT_CONFIGURED', 'image search needs an image embedder', {
        field: 'image',
      });
    }
    if (asked !== undefined) return asked;
    if (request.image !== undefined) return (request.q ?? '').trim() === '' ? 'image' : 'hybrid';
    return textSpace && this.spaces.text.size > 0 ? 'hybrid' : 'keyword';
  }

  private weightsOf(override: SourceWeights | undefined): Required<SourceWeights> {
    const weights = { ...this.config.fusion.weights, ...override };
    for (const [name, value] of Object.entries(weights)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new SoukError('INVALID_REQUEST', `weights.${name} must be a non-negative number`, {
          field: `weights.${name}`,
        });
      }
    }
    return weights;
  }

  async setRules(input: rules.Rules): Promise<rules.Rules> {
    this.assertOpen();
    const compiled = rules.compileRules(input);
    // One rules write at a time, so the stored rules are always the ones searched with.
    const write = this.rulesWrite.then(async () => {
      await this.store.setMeta(rules.RULES_META_KEY, JSON.stringify(compiled.rules));
      this.rules = compiled;
      this.resultCache?.clear();
      this.rulesWarning = undefined;
    });
    this.rulesWrite = write.catch(() => undefined);
    await write;
    return structuredClone(compiled.rules);
  }

  async getRules(): Promise<rules.Rules> {
    this.assertOpen();
    return structuredClone(this.rules.rules);
  }

  async getServerMeta(key: string): Promise<string | undefined> {
    this.assertOpen();
    return this.store.getMeta(`server:${key}`);
  }

  async setServerMeta(key: string, value: string): Promise<void> {
    this.assertOpen();
    await this.store.setMeta(`server:${key}`, value);
  }

  /** Rules stored by an earlier run; unusable ones are not applied and every search says so. */
  private async loadRules(): Promise<void> {
    const stored = await this.store.getMeta(rules.RULES_META_KEY);
    if (stored === undefined) return;
    try {
      this.rules = rules.compileRules(JSON.parse(stored));
    } catch (error) {
      const reason = toSoukError(error).message;
      this.rulesWarning = `stored search rules are not applied (set them again): ${reason}`;
    }
  }

  /** Lexical matches of the query and of its synonym variants, each product keeping its best score. */
  private matchWithSynonyms(
    q: string,
    queryTokens: Token[],
    request: SearchRequest,
    filter: ((docId: number) => boolean) | undefined,
  ): ReturnType<SoukEngine['matchLexical']> {
    const matched = this.matchLexical(q, queryTokens, request, filter);
    const variants = rules.synonymVariants(this.rules, q, queryTokens);
    if (variants.length === 0) return matched;
    const matches = variants.map((variant) => ({
      ...this.matchLexical(variant.text, analyze(variant.text), request, filter),
      weight: variant.weight,
    }));
    return rules.mergeVariantMatches(matched, matches);
  }

  /** The merchandising rules matching the query (pin, hide, boost, bury) applied to the final ranking. */
  private merchandise(
    ranked: rules.Ranked,
    sort: SortOrder,
    request: SearchRequest,
    { q, warnings }: { q: string; warnings: string[] },
  ): rules.Ranked {
    if (this.rulesWarning !== undefined) warnings.push(this.rulesWarning);
    if (this.rules.merchandising.length === 0) return ranked;
    const filter = this.requestFilter(request);
    return rules.applyMerchandising(this.rules, q, ranked, {
      relevance: sort === 'relevance',
      docIdOf: (id) => this.index.docIdOf(id),
      accepts: (docId) => this.index.isLive(docId) && (!filter || filter(docId)),
      // Compiled per search: a compiled filter does not see values first written after it.
      compile: (node) => this.values.compile(node),
    });
  }

  private matchLexical(
    q: string,
    queryTokens: Token[],
    request: SearchRequest,
    filter: ((docId: number) => boolean) | undefined,
  ): MatchResult & { translation: string | undefined; terms: QueryTerm[] } {
    const { search } = this.config;
    const terms = planQuery(q, queryTokens, {
      prefix: request.prefix ?? search.prefix,
      typos: request.typos ?? search.typos,
      oneTypoMinLength: search.oneTypoMinLength,
      twoTyposMinLength: search.twoTyposMinLength,
      termWeights: search.termWeights,
    });
    let translation: string | undefined;
    if (this.config.crossLingual.enabled || this.config.crossLingual.pinyin) {
      const bridged = bridgeQuery(q, queryTokens, terms, this.index, this.config.crossLingual);
      translation = bridged.translation;
      terms.push(...bridged.terms);
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
    return { ...result, translation, terms };
  }

  /** The lexical filter, seen from the vector spaces' keys. */
  private vectorFilter(
    filter: ((docId: number) => boolean) | undefined,
  ): ((key: number) => boolean) | undefined {
    if (!filter) return undefined;
    return (key) => {
      const docId = this.keys.docIdOf(key);
      return docId >= 0 && filter(docId);
    };
  }

  /** Vector hits as a ranked list of current document numbers. */
  private toRankedDocs(hits: ReadonlyArray<{ key: number; score: number }>): {
    docIds: Int32Array;
    scores: Float32Array;
  } {
    const docIds: number[] = [];
    const scores: number[] = [];
    for (const hit of hits) {
      const docId = this.keys.docIdOf(hit.key);
      if (docId < 0 || !this.index.isLive(docId)) continue;
      docIds.push(docId);
      scores.push(hit.score);
    }
    return { docIds: Int32Array.from(docIds), scores: Float32Array.from(scores) };
  }

  private async textQueryList(
    q: string,
    translation: string | undefined,
    k: number,
    filter: ((key: number) => boolean) | undefined,
    warnings: string[],
    required: boolean,
    probe: QueryProbe = {},
    batch?: QueryBatch,
  ): Promise<{ docIds: Int32Array; scores: Float32Array } | undefined> {
    const space = this.spaces.text;
    let vector: Float32Array;
    try {
      const embedder = await this.encoders.textEmbedder();
      // Also reveals vectors made by another version of the model (they are dropped and re-queued).
      const model = await space.ensureModel();
      // An English-only model cannot read a Chinese query: it embeds the dictionary bridge's rendering.
      const text = !embedder.multilingual && translation && containsCjk(q) ? translation : q;
      // A trained query adapter maps the model's vector: cached per adapter, never mixed with raw vectors.
      const adapter = await this.queryAdapter(model.key);
      vector = await this.queryVector(`t\u0000${adapter?.tag ?? ''}\u0000${text}`, async () => {
        const raw = batch ? await batch.vector(embedder, text) : (await embedder.embed([text], 'query'))[0]!;
        return adapter && raw.length === adapter.dims ? applyAdapter(adapter.weights, raw) : raw;
      });
    } catch (error) {
      if (error instanceof DeferredEmbedding) throw error;
      if (required) throw toSoukError(error);
      warnings.push(`text embedder unavailable, keyword results only: ${toSoukError(error).message}`);
      return undefined;
    }
    probe.textVector = vector;
    if (space.backlog > 0) {
      warnings.push(
        `${space.backlog} products are not embedded yet: semantic results are incomplete (run souk embed)`,
      );
    }
    if (space.size === 0) {
      if (space.backlog === 0) warnings.push('no product has a text vector (nothing to embed)');
      return undefined;
    }
    return this.toRankedDocs(space.search(vector, k, { filter }));
  }

  private async textToImageList(
    q: string,
    k: number,
    filter: ((key: number) => boolean) | undefined,
    warnings: string[],
  ): Promise<{ docIds: Int32Array; scores: Float32Array } | undefined> {
    const space = this.spaces.image;
    if (!this.hasImage || space.size === 0) return undefined;
    try {
      const embedder = await this.encoders.imageEmbedder();
      const embedText = embedder.embedText;
      if (!embedText) return undefined;
      await space.ensureModel();
      const vector = await this.queryVector(
        `i\u0000${q}`,
        async () => (await embedText.call(embedder, [q]))[0]!,
      );
      return this.toRankedDocs(space.search(vector, k, { filter }));
    } catch (error) {
      warnings.push(`image model unavailable for text queries: ${toSoukError(error).message}`);
      return undefined;
    }
  }

  private async imageQueryList(
    image: Uint8Array | string,
    k: number,
    filter: ((key: number) => boolean) | undefined,
    probe: QueryProbe = {},
  ): Promise<{ docIds: Int32Array; scores: Float32Array }> {
    const bytes = typeof image === 'string' ? await readImageBytes(image) : image;
    const embedder = await this.encoders.imageEmbedder();
    await this.spaces.image.ensureModel();
    const [vector] = await embedder.embedImages([bytes]);
    probe.imageVector = vector;
    return this.toRankedDocs(this.spaces.image.search(vector!, k, { filter }));
  }

  /** A small LRU of query vectors: typing the same query again (or paging) embeds nothing. */
  private async queryVector(key: string, compute: () => Promise<Float32Array>): Promise<Float32Array> {
    const cached = this.queryVectors.get(key);
    if (cached) {
      this.queryVectors.delete(key);
      this.queryVectors.set(key, cached);
      return cached;
    }
    const vector = await compute();
    this.queryVectors.set(key, vector);
    if (this.queryVectors.size > this.config.embedding.queryCacheSize) {
      this.queryVectors.delete(this.queryVectors.keys().next().value!);
    }
    return vector;
  }

  /**
   * The fused candidates followed by every other lexical match (ordered by its lexical score, below every
   * candidate), so totals, facets and deep pages still cover everything the words matched.
   */
  private withLexicalRest(
    fused: { docIds: Int32Array; scores: Float32Array },
    lexical: { docIds: Int32Array; scores: Float32Array },
  ): { docIds: Int32Array; scores: Float32Array } {
    // Marks in a reused byte per document number: the lexical list may hold 100k+ products.
    const seen = (this.fusedMarks = grow(this.fusedMarks, this.index.documentNumberLimit));
    for (const docId of fused.docIds) seen[docId] = 1;
    let floor = Infinity;
    for (const score of fused.scores) floor = Math.min(floor, score);
    let best = 0;
    for (const score of lexical.scores) best = Math.max(best, score);
    const size = fused.docIds.length + lexical.docIds.length;
    const docIds = new Int32Array(size);
    const scores = new Float32Array(size);
    docIds.set(fused.docIds);
    scores.set(fused.scores);
    let n = fused.docIds.length;
    const scale = best > 0 ? (floor * 0.5) / best : 0;
    for (let i = 0; i < lexical.docIds.length; i++) {
      const docId = lexical.docIds[i]!;
      if (seen[docId] === 1) continue;
      docIds[n] = docId;
      // Below every fused candidate, in lexical order among themselves.
      scores[n++] = scale * lexical.scores[i]!;
    }
    for (const docId of fused.docIds) seen[docId] = 0;
    return { docIds: docIds.subarray(0, n), scores: scores.subarray(0, n) };
  }

  /**
   * How many lexical matches withLexicalRest would add after the fused candidates, found without a pass
   * over the matches: a candidate is one of them when one of its terms is a searched term (every field
   * and query term weighted above 0 makes such a document a match; the candidates passed the same
   * filter). Undefined where that does not hold: a field or term weighted 0, or synonym rules (whose
   * variants are matched apart and merged).
   */
  private lexicalRestCount(
    fused: { docIds: Int32Array },
    lexical: { docIds: Int32Array; matchedKeys: Set<string>; terms: readonly QueryTerm[] },
  ): number | undefined {
    if (FIELD_NAMES.some((name) => !(this.config.fields[name].boost > 0))) return undefined;
    if (lexical.terms.some((term) => !(term.weight > 0)) || this.rules.phrases.size > 0) return undefined;
    const searched = new Set<number>();
    for (const key of lexical.matchedKeys) {
      const termId = this.index.termId(key);
      if (termId !== undefined) searched.add(termId);
    }
    let matched = 0;
    for (const docId of fused.docIds) {
      for (const termId of this.index.documentTermIds(docId)) {
        if (searched.has(termId)) {
          matched++;
          break;
        }
      }
    }
    return lexical.docIds.length - matched;
  }

  private async respond(
    docIds: Int32Array,
    scores: Float32Array,
    page: {
      offset: number;
      limit: number;
      sort: SortOrder;
      q: string;
      mode: SearchMode;
      matchedKeys: Set<string>;
      request: { highlight?: boolean | undefined; facets?: string[] | undefined };
      /** Receives the ids of the page's products (read from the store after ranking). */
      fetched?: string[];
      /** Matches ranked after every entry of `docIds` and left out of it (Retrieved.restCount). */
      restCount?: number;
    },
  ): Promise<SearchResponse> {
    const better = this.comparator(page.sort, docIds, scores);
    const entries = topK(
      docIds.length,
      page.offset + page.limit,
      better,
      page.sort === 'relevance' ? scores : undefined,
    ).slice(page.offset);
    const ids = entries.map((entry) => this.index.externalId(docIds[entry]!));
    page.fetched?.push(...ids);
    const products = await this.store.getMany(ids);
    const wantHighlight = page.request.highlight ?? true;
    const hits: SearchHit[] = [];
    entries.forEach((entry, i) => {
      const product = products[i];
      if (!product) return;
      hits.push(this.toHit(product, scores[entry]!, wantHighlight ? page.matchedKeys : undefined));
    });
    const response: SearchResponse = {
      hits,
      total: docIds.length + (page.restCount ?? 0),
      offset: page.offset,
      limit: page.limit,
      query: page.q,
      mode: page.mode,
      tookMs: 0,
    };
    if (page.request.facets && page.request.facets.length > 0) {
      response.facets = this.values.facets(docIds, page.request.facets);
    }
    return response;
  }

  async similar(id: string, options: SimilarOptions = {}): Promise<SearchResponse> {
    this.assertOpen();
    const started = performance.now();
    const { limit, offset } = this.pageOf(options);
    const product = await this.store.get(id);
    const key = this.keyOf(id);
    const docId = this.index.docIdOf(id);
    if (!product || key === undefined || docId === undefined) {
      throw new SoukError('PRODUCT_NOT_FOUND', `Product ${JSON.stringify(id)} not found`, { id });
    }
    const compiled = options.filter ? this.values.compile(parseFilter(options.filter)) : undefined;
    const filter = (candidate: number): boolean => candidate !== docId && (!compiled || compiled(candidate));
    const vectorFilter = this.vectorFilter(filter);
    const k = this.config.fusion.candidates;
    // No shopper's words here: likeness is the vectors' question first, the title's words second.
    const weights = SIMILAR_WEIGHTS;
    const lists: RankedList[] = [];
    for (const [space, weight] of [
      [this.spaces.text, weights.text],
      [this.spaces.image, weights.image],
    ] as const) {
      const vector = space.vectorOf(key);
      if (vector)
        lists.push({ ...this.toRankedDocs(space.search(vector, k, { filter: vectorFilter })), weight });
    }
    // Products sharing the words of the title: the signal that exists before anything is embedded.
    const tokens = analyze(product.title);
    if (tokens.length > 0) {
      const matched = this.matchLexical(product.title, tokens, { prefix: false, typos: false }, filter);
      lists.push({ ...rankByScore(matched.docIds, matched.scores, k), weight: weights.lexical });
    }
    const fused = fuse(lists, { method: 'rrf', k: SIMILAR_RRF_K });
    // Shared category, brand and attribute values lift candidates the vectors consider equally close.
    const scores = fused.scores.map(
      (score, i) => score * (1 + 0.5 * this.values.similarity(docId, fused.docIds[i]!)),
    );
    const response = await this.respond(fused.docIds, scores, {
      offset,
      limit,
      sort: 'relevance',
      q: '',
      mode: lists.length > 1 ? 'hybrid' : 'keyword',
      matchedKeys: new Set(),
      request: { highlight: false },
    });
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

  /** The stored query adapter of a text model, unless `embedding.adapter` is off. */
  private async queryAdapter(embedderKey: string): Promise<QueryAdapter | undefined> {
    if (!this.config.embedding.adapter) return undefined;
    if (!this.adapters.has(embedderKey)) {
      this.adapters.set(embedderKey, (await readQueryAdapter(this.store, embedderKey)) ?? null);
    }
    return this.adapters.get(embedderKey) ?? undefined;
  }

  async trainAdapter(input: AdapterTrainingInput, options: TrainAdapterOptions = {}): Promise<AdapterReport> {
    this.assertOpen();
    if (!this.hasText) {
      throw new SoukError('EMBEDDER_NOT_CONFIGURED', 'an adapter needs a text embedder (provider "none")');
    }
    await this.applied;
    const embedder = await this.encoders.textEmbedder();
    const model = await this.spaces.text.ensureModel();
    let pairs = 'pairs' in input ? input.pairs : [];
    let pairSummary: TrainingPairSummary | undefined;
    if (!('pairs' in input)) {
      const { relevantGrade, negatives, mode, depth, onProgress } = options;
      ({ pairs, summary: pairSummary } = await collectTrainingPairs(this, input.queries, input.qrels, {
        relevantGrade,
        negatives,
        mode,
        depth,
        withIds: true,
        onProgress: (done, total) => onProgress?.({ phase: 'pairs', done, total }),
      }));
    }
    const space = this.spaces.text;
    const { adapter, report } = await trainQueryAdapter(
      {
        embedder,
        embedderKey: model.key,
        queryText: (q) =>
          embedder.multilingual || !containsCjk(q) || !this.config.crossLingual.enabled
            ? q
            : (bridgeQuery(q, analyze(q), [], this.index, this.config.crossLingual).translation ?? q),
        productVector: (id) => {
          const key = this.keyOf(id);
          const vector = key === undefined ? undefined : space.vectorOf(key);
          return key === undefined || !vector ? undefined : { item: key, vector };
        },
      },
      pairs,
      options,
    );
    this.assertOpen();
    this.adapters.set(model.key, await writeQueryAdapter(this.store, adapter));
    this.resultCache?.clear();
    return { ...report, pairSummary };
  }

  async removeAdapter(): Promise<boolean> {
    this.assertOpen();
    if (!this.hasText) return false;
    // The loaded model's key: a snapshot may still name an earlier version of the model.
    const { key } = await this.spaces.text.ensureModel();
    this.adapters.set(key, null);
    this.resultCache?.clear();
    return removeQueryAdapter(this.store, key);
  }

  /** Validates and appends behaviour events; resolves once they are durable and in feedbackStats. */
  async feedback(events: FeedbackEvent | FeedbackEvent[]): Promise<FeedbackResult> {
    this.assertOpen();
    return this.feedbackLog.record(events);
  }

  async feedbackEvents(sinceSeq: number, limit?: number): Promise<LoggedFeedback[]> {
    this.assertOpen();
    return this.store.feedbackSince(sinceSeq, limit);
  }

  async importFeedback(file: string, options?: FeedbackImportOptions): Promise<FeedbackImportReport> {
    this.assertOpen();
    return this.feedbackLog.importFile(file, options);
  }

  /**
   * Calls `listener` with every batch of new feedback, in log order, once it is durable and counted in
   * feedbackStats (for online ranker updates). Returns the function that unsubscribes.
   */
  onFeedback(listener: FeedbackListener): () => void {
    return this.feedbackLog.subscribe(listener);
  }

  cacheStats(): ResultCacheStats {
    return (this.resultCache ?? new ResultCache(0)).stats(this.resultCache !== undefined);
  }

  async stats(): Promise<EngineStats> {
    this.assertOpen();
    const stats: EngineStats = {
      products: this.index.size,
      deletedPendingVacuum: this.index.tombstones,
      terms: this.index.vocabularySize,
      seq: await this.store.lastSeq(),
      appliedSeq: this.appliedSeq,
      store: this.store.kind,
      dataDir: this.config.dataDir,
      indexBytes: this.index.byteSize(),
      fields: Object.fromEntries(FIELD_NAMES.map((name) => [name, this.config.fields[name].boost])),
      vectors: this.vectorStats(),
      feedback: await this.store.feedbackCount(),
    };
    if (this.followError !== undefined) stats.followError = this.followError;
    return stats;
  }

  private vectorStats(): Record<string, VectorSpaceStats> {
    return Object.fromEntries(
      this.activeSpaces().map((space) => [
        space.name,
        { embedder: space.embedderKey, vectors: space.size, backlog: space.backlog, bytes: space.byteSize() },
      ]),
    );
  }

  async embed(options: EmbedOptions = {}): Promise<EmbedReport> {
    this.assertOpen();
    const wanted = options.spaces ?? ['text', 'image'];
    const total: EmbedReport = { embedded: 0, cached: 0, failed: 0, errors: [], spaces: {} };
    // Writes issued before this call are applied (and so queued) first.
    await this.applied;
    for (const space of this.activeSpaces()) {
      if (!wanted.includes(space.name as 'text' | 'image')) continue;
      const report = await this.drainSpace(space, options.onProgress);
      total.embedded += report.embedded;
      total.cached += report.cached;
      total.failed += report.failed;
      total.errors.push(...report.errors);
    }
    total.spaces = this.vectorStats();
    // Vectors are index state too: the next close writes them into the snapshot.
    if (total.embedded + total.cached > 0) this.changesSinceSnapshot = Math.max(1, this.changesSinceSnapshot);
    return total;
  }

  private drainSpace(space: VectorSpace, onProgress?: EmbedOptions['onProgress']): Promise<DrainReport> {
    return space.drain({
      store: this.store,
      fetch: (keys) =>
        this.store.getMany(
          keys.map((key) => {
            const docId = this.keys.docIdOf(key);
            return docId < 0 ? '' : this.index.externalId(docId);
          }),
        ),
      onProgress,
      onText: (product, text) => this.setImageText(product.id, text),
      stopped: () => this.closing,
      batchSize: space === this.spaces.image ? this.config.embedding.image.batchSize : 64,
    });
  }

  /** Indexes what OCR read in a product's photo, once every write issued so far has been applied. */
  private setImageText(id: string, text: string): void {
    if ((this.imageTexts.get(id) ?? '') === text) return;
    void this.afterWrites(async () => {
      const product = await this.store.get(id);
      if (!product || !this.index.has(id)) return;
      if (text === '') this.imageTexts.delete(id);
      else this.imageTexts.set(id, text);
      this.addToIndex(product);
      this.changesSinceSnapshot++;
    }).catch(() => undefined);
  }

  /**
   * With `embedding.auto`, embeds what writes queued, in the background, one run at a time. A failing model
   * (a model server that is down) is retried with a delay; the error is reported in stats meanwhile.
   */
  private scheduleEmbedding(): void {
    if (!this.config.embedding.auto || this.closing) return;
    if (!this.activeSpaces().some((space) => space.backlog > 0)) return;
    if (this.backgroundEmbedding) {
      this.embedAgain = true;
      return;
    }
    this.backgroundEmbedding = (async () => {
      do {
        this.embedAgain = false;
        for (const space of this.activeSpaces()) {
          if (this.closing) return;
          await this.drainSpace(space);
        }
        this.changesSinceSnapshot = Math.max(1, this.changesSinceSnapshot);
      } while (this.embedAgain && !this.closing);
      this.lastEmbeddingError = undefined;
    })()
      .catch((error: unknown) => {
        this.lastEmbeddingError = toSoukError(error).message;
        if (this.closing) return;
        this.retryTimer = setTimeout(() => this.scheduleEmbedding(), 5000);
        this.retryTimer.unref();
      })
      .finally(() => {
        this.backgroundEmbedding = undefined;
        // A write that arrived after the last pass looked at the backlog.
        if (this.embedAgain && !this.lastEmbeddingError) this.scheduleEmbedding();
      });
  }

  async vacuum(): Promise<void> {
    await this.afterWrites(() => {
      const mapping = this.index.vacuum();
      // Renumbering may reorder equal scores: cached pages go.
      this.resultCache?.clear();
      this.values.remap(mapping, this.index.capacity);
      this.keys.remap(mapping);
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
      keys: this.keys.serialize(),
      imageTexts: JSON.stringify([...this.imageTexts]),
      ...Object.fromEntries(this.activeSpaces().map((space) => [`space:${space.name}`, space.serialize()])),
    });
    await this.store.writeSnapshot(SNAPSHOT_NAME, seq, data);
    this.changesSinceSnapshot = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closeStarted = true;
    this.unwatch?.();
    clearInterval(this.followTimer);
    await this.applied;
    await this.rulesWrite.catch(() => undefined);
    await this.online?.idle();
    await this.feedbackLog.close();
    this.closing = true;
    clearTimeout(this.retryTimer);
    await this.backgroundEmbedding;
    await Promise.all(this.activeSpaces().map((space) => space.close()));
    await this.encoders.close();
    if (this.config.snapshot.enabled && this.changesSinceSnapshot > 0) {
      await this.writeSnapshot().catch(() => undefined);
    }
    this.closed = true;
    await this.store.close();
  }

  /** Every stored product, in batches of about `batchSize`; writes made meanwhile may or may not be seen. */
  async *scan(batchSize?: number): AsyncGenerator<Product[]> {
    this.assertOpen();
    yield* this.store.scan(batchSize);
  }
}
