import type { ResultCacheStats } from './search/result-cache.ts';
import type { Rules } from './rank/rules.ts';
import type { Suggestion } from './search/suggest.ts';
import type { AdapterReport, AdapterTrainingInput, TrainAdapterOptions } from './embed/query-adapter.ts';
import type {
  EmbedProgress,
  EmbedReport,
  EngineStats,
  IngestProgress,
  IngestReport,
  Product,
  ProductPatch,
  SearchRequest,
  SearchResponse,
  WriteResult,
} from './types.ts';
import type { RankerInfo } from './rank/ranker-models.ts';
import type { TermAssociations } from './rank/term-associations.ts';
import type {
  AssociationCatalogue,
  LabelledQuery,
  OnlineUpdateReport,
  RankingRows,
  TrainRankerOptions,
  TrainRankerReport,
} from './ranker-training.ts';

import type { FeedbackImportOptions, FeedbackImportReport } from './engine-feedback.ts';
import type { FeedbackEvent, FeedbackResult, LoggedFeedback } from './types.ts';

export interface IngestOptions {
  /** Any bad line fails the whole load and nothing is written. */
  strict?: boolean;
  /** Called every few thousand lines and at the end. */
  onProgress?: (progress: IngestProgress) => void;
  /** Products written per transaction. */
  batchSize?: number;
}

export interface EmbedOptions {
  onProgress?: (progress: EmbedProgress) => void;
  /** Only these spaces (default both). */
  spaces?: Array<'text' | 'image'>;
}

export interface SuggestOptions {
  /** Most suggestions returned (default 10). */
  limit?: number;
}

/** `open` once created (the index is loaded), `closing` from close() on, `closed` when done. */
export type EngineStatus = 'open' | 'closing' | 'closed';

export interface SimilarOptions {
  limit?: number;
  offset?: number;
  filter?: string;
}

/** The engine's public surface; `createEngine(config)` returns one. */
export interface Engine {
  /** Loads a JSONL or CSV catalogue file (format from the extension: .jsonl/.ndjson/.json, .csv). */
  ingest(file: string, options?: IngestOptions): Promise<IngestReport>;
  /** Validates and writes products (insert or replace); visible to the next search. */
  upsert(products: Product | Product[]): Promise<WriteResult>;
  /** Partial update of one product; PRODUCT_NOT_FOUND when it does not exist. */
  patch(id: string, patch: ProductPatch): Promise<Product>;
  /** Partial updates of several products in one transaction. */
  patchMany(patches: Array<{ id: string; patch: ProductPatch }>): Promise<Product[]>;
  /** Deletes products; returns how many existed. */
  delete(ids: string | string[]): Promise<WriteResult>;
  get(id: string): Promise<Product | undefined>;
  /**
   * Every stored product, in batches of about `batchSize` (default 5000), for exports and change feeds
   * (`souk watch` hashes them once to know what the store holds). Writes made meanwhile may or may not be seen.
   */
  scan(batchSize?: number): AsyncIterable<Product[]>;
  search(request: SearchRequest): Promise<SearchResponse>;
  /**
   * Several searches answered in one pass through the embedder: the query texts that need a new vector are
   * embedded in one call. The first failing request rejects the batch (`details.index` names it).
   */
  searchBatch(requests: readonly SearchRequest[]): Promise<SearchResponse[]>;
  /** Query suggestions (autocomplete) from popular queries and product titles; prefix- and pinyin-aware. */
  suggest(prefix: string, options?: SuggestOptions): Promise<Suggestion[]>;
  /** Whether the engine is open, closing or closed (for readiness checks). */
  status(): EngineStatus;
  /**
   * Products like this one (more like this, recommendations): nearest by text and image vectors, fused,
   * with a boost for a shared category, brand and attribute values; the product itself is left out.
   */
  similar(id: string, options?: SimilarOptions): Promise<SearchResponse>;
  /**
   * Replaces the search rules: synonyms and merchandising (pin, hide, boost, bury per query pattern; see
   * README "Rules"). Validated (INVALID_REQUEST naming the field, e.g. `merchandising[2].pin[0].position`),
   * stored with the data (they survive restarts) and applied from the next search on. Returns them as stored.
   */
  setRules(rules: Rules): Promise<Rules>;
  /** The current search rules (empty lists when none were set). */
  getRules(): Promise<Rules>;
  /** Server settings kept with the data (e.g. hashed API keys), under `server:`-prefixed metadata keys. */
  getServerMeta(key: string): Promise<string | undefined>;
  setServerMeta(key: string, value: string): Promise<void>;
  /** Embeds every product whose embedded text or photo changed (or all, after a model change). */
  embed(options?: EmbedOptions): Promise<EmbedReport>;
  stats(): Promise<EngineStats>;
  /** Result-page cache counters (hits, misses, hit ratio, entries; see README "Caching"). */
  cacheStats(): ResultCacheStats;
  /**
   * Appends shoppers' behaviour events (impressions, clicks, add-to-carts, purchases; see README
   * "Feedback") to the feedback log: all or none (the first problem is thrown, naming `events[i].field`).
   * Resolves once they are durable and counted in the feedback aggregates.
   */
  feedback(events: FeedbackEvent | FeedbackEvent[]): Promise<FeedbackResult>;
  /** Logged feedback events after feedback-log number `sinceSeq`, oldest first, at most `limit` (analytics). */
  feedbackEvents(sinceSeq: number, limit?: number): Promise<LoggedFeedback[]>;
  /** Imports a `.jsonl` / `.ndjson` / `.csv` file of feedback events (bad lines reported, or `strict`). */
  importFeedback(file: string, options?: FeedbackImportOptions): Promise<FeedbackImportReport>;
  /**
   * Trains a learned ranker (LambdaMART) from relevance judgments through the real retrieval path, stores
   * it as the next version and (by default) makes it active.
   */
  trainRanker(options: TrainRankerOptions): Promise<TrainRankerReport>;
  /**
   * Learning-to-rank feature rows: each query runs through retrieval (no learned ranker) and its best
   * `ranker.candidates` products become rows labelled from `labels` (others 0). For experiments and training.
   */
  rankingExamples(
    examples: ReadonlyArray<LabelledQuery & { request?: SearchRequest }>,
    options?: {
      candidates?: number;
      associations?: TermAssociations | undefined;
      onProgress?: (done: number, total: number) => void;
    },
  ): Promise<RankingRows>;
  /** The catalogue as learned term associations read it (for `learnAssociations` on `rankingExamples` rows). */
  associationCatalogue(): AssociationCatalogue;
  /** Trains a new ranker from logged feedback alone (labels from debiased clicks, carts, purchases). */
  trainRankerFromFeedback(
    options?: Omit<TrainRankerOptions, 'queries' | 'qrels'>,
  ): Promise<TrainRankerReport>;
  /**
   * Online update now: adds a few trees to the active model for the feedback since the last update; kept
   * (as a new active version) only if the judged holdout's NDCG@10 does not drop. Runs by itself after
   * `ranker.online.minEvents` new events. Undefined when no model is active.
   */
  updateRanker(): Promise<OnlineUpdateReport | undefined>;
  /** Stored ranker versions and the active one. */
  rankerModels(): { active: string | undefined; models: RankerInfo[] };
  /** Makes a stored version the active ranker; `none` turns learned ranking off. */
  activateRanker(version: string): Promise<void>;
  /** Drops tombstoned documents from the index structures. */
  vacuum(): Promise<void>;
  /** Writes an index snapshot at the current change-log position. */
  snapshot(): Promise<void>;
  /**
   * Trains a query adapter for the text model (a linear map on query vectors) from judged queries or
   * training pairs with product ids, stores it under the model's embedder key and applies it to queries
   * from then on (unless `embedding.adapter` is false). Replaces an earlier adapter of the same model.
   */
  trainAdapter(input: AdapterTrainingInput, options?: TrainAdapterOptions): Promise<AdapterReport>;
  /** Drops the text model's query adapter; false when there was none. */
  removeAdapter(): Promise<boolean>;
  close(): Promise<void>;
}
