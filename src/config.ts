/**
 * The one configuration object. Every field is optional for callers; `resolveConfig` merges defaults once
 * and everything downstream reads the resolved, fully populated shape.
 */

import type { TokenKind } from './text/token.ts';
import type { SearchMode } from './types.ts';

export type FieldName =
  'title' | 'brand' | 'category' | 'attributes' | 'description' | 'imageText' | 'titleHead';
/**
 * `imageText` is text read from the product's photo (OCR, with `embedding.ocr`); `titleHead` is the last
 * words of the title's main phrase, what the product is (see text/title-head.ts).
 */
export const FIELD_NAMES: readonly FieldName[] = [
  'title',
  'brand',
  'category',
  'attributes',
  'description',
  'imageText',
  'titleHead',
];

export interface FieldConfig {
  /** Weight of a term occurrence in this field (BM25F). */
  boost: number;
  /** Length normalisation of this field, 0 (none) … 1 (full). */
  b: number;
}

export interface SoukConfig {
  /** Directory holding the SQLite store and index snapshots; `null` keeps everything in memory. */
  dataDir?: string | null;
  /** Per-field BM25F weights and length normalisation. */
  fields?: Partial<Record<FieldName, Partial<FieldConfig>>>;
  /** BM25 term-frequency saturation. */
  k1?: number;
  search?: Partial<SearchDefaults>;
  snapshot?: Partial<SnapshotConfig>;
  server?: Partial<ServerConfig>;
  embedding?: {
    text?: Partial<TextEmbeddingConfig>;
    image?: Partial<ImageEmbeddingConfig>;
  } & Partial<Omit<EmbeddingConfig, 'text' | 'image'>>;
  vector?: Partial<VectorConfig>;
  fusion?: Partial<Omit<FusionConfig, 'weights'>> & { weights?: Partial<FusionWeights> };
  crossLingual?: Partial<CrossLingualConfig>;
  understanding?: Partial<UnderstandingConfig>;
  ranker?: Partial<Omit<RankerConfig, 'online' | 'associations'>> & {
    online?: Partial<OnlineRankerConfig>;
    associations?: Partial<TermAssociationConfig>;
  };
  cache?: Partial<CacheConfig>;
  store?: Partial<StoreConfig>;
}

/** Where the catalogue lives (see README "Scale-out on PostgreSQL"). */
export interface StoreConfig {
  /**
   * `postgres://…`: a PostgreSQL database shared by any number of replicas (`dataDir`, if set, then holds
   * only this replica's index snapshots). `null`: SQLite in `dataDir`, or memory without one.
   */
  url: string | null;
  /** PostgreSQL schema of souk's tables; several catalogues can share a database. */
  schema: string;
  /** Replicas poll the change log this often besides LISTEN/NOTIFY (ms; 0: notifications only). */
  pollIntervalMs: number;
  /** PostgreSQL connections per replica (LISTEN takes one more). */
  poolSize: number;
}

/** Result-page cache (see README "Caching"). */
export interface CacheConfig {
  /** Off by default in the library; `souk serve` turns it on. */
  enabled: boolean;
  maxEntries: number;
  /** Cached entries × written products re-checked per write; above it the whole cache is dropped. */
  maxChecksPerWrite: number;
}

/** Learned ranking (see README "Learned ranking"). */
export interface RankerConfig {
  /** Candidates (best retrieved first) the active model re-orders per query. */
  candidates: number;
  /** LambdaMART settings for `souk train`. */
  trees: number;
  learningRate: number;
  maxLeaves: number;
  minLeafRows: number;
  /** Share of the features each tree may split on, drawn per tree (1: all). */
  featureFraction: number;
  /** Share of the judged queries kept out of training: early stopping and the online guard use them. */
  holdout: number;
  online: OnlineRankerConfig;
  associations: TermAssociationConfig;
}

/** Learned query-word → product-word associations (rank/term-associations.ts), trained with each model. */
export interface TermAssociationConfig {
  /**
   * Training queries with a positive product needed before any association is learned: from fewer, word-pair
   * counts are anecdotes that the trees over-fit (the columns stay 0 and the model ignores them).
   */
  minQueries: number;
  /** Positive pairs a (query word, product word) pair must occur in. */
  minCount: number;
  /** Most pairs a model keeps (strongest first). */
  maxPairs: number;
}

/** Incremental updates of the active model from new feedback. */
export interface OnlineRankerConfig {
  enabled: boolean;
  /** New feedback events (clicks, carts, purchases) that trigger an update. */
  minEvents: number;
  /** Trees one update may add. */
  trees: number;
  learningRate: number;
  /** An update is rejected when holdout NDCG@10 drops by more than this. */
  tolerance: number;
}

export type TextEmbeddingProvider = 'use-lite' | 'transformers' | 'http' | 'none';
export type ImageEmbeddingProvider = 'visual' | 'transformers' | 'none';

export interface TextEmbeddingConfig {
  /** `use-lite` (offline default, English), `transformers` (any transformers.js model), `http`, `none`. */
  provider: TextEmbeddingProvider;
  /** transformers: hub id or local folder; http: the model name sent to the server. */
  model: string | undefined;
  /** http: base URL of an OpenAI-compatible server (`…/v1/embeddings` is appended when missing). */
  url: string | undefined;
  /** http: sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string | undefined;
  /** transformers: `mean` or `cls` pooling; unset = what the model's own config says (mean by default). */
  pooling: 'mean' | 'cls' | undefined;
  /** Prefixes for asymmetric models; unset = the model family's convention (e5: `query: ` / `passage: `). */
  queryPrefix: string | undefined;
  documentPrefix: string | undefined;
  /** http: vector length, when the server cannot be asked before the first call. */
  dims: number | undefined;
  /** Texts per model call. */
  batchSize: number;
  /** http: per-request timeout and retries on 5xx / network errors (never on 4xx). */
  timeoutMs: number;
  retries: number;
}

export interface ImageEmbeddingConfig {
  /** `visual` (offline default: colour and layout descriptor), `transformers` (CLIP-like), `none`. */
  provider: ImageEmbeddingProvider;
  /** transformers: hub id or local folder of a CLIP-like model. */
  model: string | undefined;
  /** Images per model call. */
  batchSize: number;
}

export interface EmbeddingConfig {
  text: TextEmbeddingConfig;
  image: ImageEmbeddingConfig;
  /** Read text in product images (OCR) into a searchable field. Slow: off by default. */
  ocr: boolean;
  /**
   * Embed new and changed products in the background after every write; otherwise only `embed()` does.
   * Off for the library and the CLI's batch commands, on for `souk serve` and `souk demo`.
   */
  auto: boolean;
  /** Worker threads per model (USE-Lite and onnxruntime both compute on the thread that calls them). */
  workers: number;
  /** Most texts or images waiting for a model at once; writers wait when it is full. */
  queueSize: number;
  /** Query vectors kept in memory (LRU), so a repeated query or the next page embeds nothing. */
  queryCacheSize: number;
  /** Apply the text model's trained query adapter (`souk train-adapter`) when one is stored. */
  adapter: boolean;
  /** transformers.js model cache folder (default: its own); `SOUK_MODELS_OFFLINE=1` forbids downloads. */
  cacheDir: string | undefined;
}

export interface VectorConfig {
  /** `auto`: exact scan below `exactBelow` vectors, HNSW above; or always `hnsw` / `exact`. */
  index: 'auto' | 'hnsw' | 'exact';
  exactBelow: number;
  /** Storage of vectors in the approximate index. */
  quantization: 'int8' | 'f16' | 'f32';
  /** HNSW graph degree (M), and beam widths when adding and searching. */
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  /** First-stage candidates re-scored exactly (two-stage search). */
  rescoreCandidates: number;
}

export interface FusionWeights {
  lexical: number;
  text: number;
  image: number;
}

export interface FusionConfig {
  /** `rrf` (reciprocal-rank fusion, default) or `score` (min-max normalised scores, weighted sum). */
  method: 'rrf' | 'score';
  /** RRF constant: a hit at rank r adds weight / (k + r). */
  k: number;
  weights: FusionWeights;
  /** Candidates taken from each source before fusion. */
  candidates: number;
  /**
   * Share of the text weight kept when some product matches every query word (scaled linearly for partial
   * matches; 1 = the weight is never reduced).
   */
  coveredTextShare: number;
  /**
   * In hybrid mode, a text-vector candidate must reach this share of the best candidate's similarity, scaled
   * by how well the words matched (no floor when no product matches every word); 0 = off. Keeps totals,
   * facets and price-sorted pages to what the query is about on small catalogues.
   */
  vectorFloor: number;
}

/** Query understanding (see README "Query understanding"). */
export interface UnderstandingConfig {
  /** Read price phrases, size words, measures, brand and category names from queries. */
  enabled: boolean;
  /** Turn price phrases (`under $50`, `100元以下`) into a price filter, removed from the matched words. */
  priceFilters: boolean;
  /**
   * Score factor for a candidate stating only the opposite size of the query's (大 for 小, large for
   * small); a neighbouring size (medium for small) gets its square root. 1 = off.
   */
  sizeConflictPenalty: number;
  /** Score factor for a candidate whose measures of the query's dimension all differ too much. 1 = off. */
  measureConflictPenalty: number;
  /** Relative difference (|a − b| / larger) above which two measures of one dimension conflict. */
  measureTolerance: number;
  /** Propose a corrected query ("did you mean") when a query finds fewer products than this; 0 = never. */
  suggestBelow: number;
}

export interface CrossLingualConfig {
  /** Dictionary bridge (CC-CEDICT): Chinese queries also match English products and back. */
  enabled: boolean;
  /** Pinyin typed in Latin letters (`xiaogouwo`) also matches the Chinese words it spells. */
  pinyin: boolean;
}

export interface SearchDefaults {
  /** Retrieval mode when a request gives none; `auto` = hybrid once products have text vectors, else keyword. */
  mode: 'auto' | SearchMode;
  /** Page size when a request gives none. */
  limit: number;
  /** Largest page size a request may ask for. */
  maxLimit: number;
  /** Treat the last query word as a prefix unless the request says otherwise. */
  prefix: boolean;
  /** Typo tolerance unless the request says otherwise. */
  typos: boolean;
  /** Minimum word length (letters) for one typo. */
  oneTypoMinLength: number;
  /** Minimum word length (letters) for two typos. */
  twoTyposMinLength: number;
  /** Most vocabulary terms one prefix or fuzzy query word expands to (the most frequent are kept). */
  maxExpansions: number;
  /** Longest accepted query, in characters. */
  maxQueryLength: number;
  /** Weight of a prefix completion relative to an exact match (scaled further by how much was typed). */
  prefixWeight: number;
  /** Weights of matches at edit distance 1 and 2 relative to an exact match. */
  typoWeights: [number, number];
  /** Look for typo corrections only of query words found in fewer products than this (Infinity: always). */
  typoMaxFrequency: number;
  /** Exponent of the share of query words a product matches, multiplied into its score (0 = off). */
  coordination: number;
  /** Leading characters a typo match must share with the query word (0 allows a typo anywhere; 1 is 10× faster). */
  typoExactPrefix: number;
  /**
   * Weight of each kind of query term. Chinese text is matched three ways at once — jieba words,
   * character bigrams and single characters — so a query still finds titles segmented differently.
   */
  termWeights: Record<TokenKind, number>;
}

export interface SnapshotConfig {
  /** Write an index snapshot on close and after this many changes since the last one. */
  enabled: boolean;
  everyChanges: number;
}

export interface ServerConfig {
  host: string;
  port: number;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
  /** Largest accepted photo for image search, in bytes (decoding is further limited to 40 megapixels). */
  maxImageBytes: number;
  /** Key required for writes (`Authorization: Bearer <key>`); unset means writes are refused. */
  adminKey: string | undefined;
  /** Most queries in one `POST /search/batch`. */
  maxBatchQueries: number;
  /** Search routes need a search key (`POST /keys`) or the admin key; false: public search. */
  searchKeyRequired: boolean;
  /** Origins allowed by CORS (`*` for any); none: no CORS headers, cross-origin browsers are refused. */
  cors: { origins: string[] };
  /** Token bucket per client address for searches without a key; unset: unlimited. */
  anonymousRateLimit: { perMinute: number; burst?: number } | undefined;
}

export interface ResolvedConfig {
  dataDir: string | null;
  fields: Record<FieldName, FieldConfig>;
  k1: number;
  search: SearchDefaults;
  snapshot: SnapshotConfig;
  server: ServerConfig;
  embedding: EmbeddingConfig;
  vector: VectorConfig;
  fusion: FusionConfig;
  crossLingual: CrossLingualConfig;
  understanding: UnderstandingConfig;
  ranker: RankerConfig;
  cache: CacheConfig;
  store: StoreConfig;
}

export const DEFAULT_CONFIG: ResolvedConfig = {
  dataDir: null,
  fields: {
    title: { boost: 3, b: 0.75 },
    brand: { boost: 2, b: 0.3 },
    category: { boost: 1.5, b: 0.5 },
    attributes: { boost: 1, b: 0.5 },
    description: { boost: 0.5, b: 0.75 },
    imageText: { boost: 0.5, b: 0.5 },
    titleHead: { boost: 3, b: 0 },
  },
  k1: 1.2,
  search: {
    mode: 'auto',
    limit: 10,
    maxLimit: 1000,
    prefix: true,
    typos: true,
    oneTypoMinLength: 4,
    twoTyposMinLength: 8,
    maxExpansions: 20,
    maxQueryLength: 512,
    prefixWeight: 0.8,
    typoWeights: [0.6, 0.4],
    typoExactPrefix: 1,
    coordination: 1,
    typoMaxFrequency: 5,
    termWeights: { word: 1, number: 1, 'cjk-word': 0.25, 'cjk-char': 0.7, 'cjk-bigram': 0.25 },
  },
  snapshot: { enabled: true, everyChanges: 50_000 },
  server: {
    host: '127.0.0.1',
    port: 7700,
    maxBodyBytes: 16 * 1024 * 1024,
    maxImageBytes: 10 * 1024 * 1024,
    adminKey: undefined,
    maxBatchQueries: 100,
    searchKeyRequired: false,
    cors: { origins: [] },
    anonymousRateLimit: undefined,
  },
  embedding: {
    text: {
      provider: 'use-lite',
      model: undefined,
      url: undefined,
      apiKey: undefined,
      pooling: undefined,
      queryPrefix: undefined,
      documentPrefix: undefined,
      dims: undefined,
      batchSize: 32,
      timeoutMs: 30_000,
      retries: 3,
    },
    image: { provider: 'visual', model: undefined, batchSize: 16 },
    ocr: false,
    auto: false,
    workers: 1,
    queueSize: 1024,
    queryCacheSize: 1000,
    adapter: true,
    cacheDir: undefined,
  },
  vector: {
    index: 'auto',
    exactBelow: 5000,
    quantization: 'int8',
    connectivity: 16,
    // Measured on real USE-Lite vectors of Home Depot titles: recall@10 0.977 (0.929 with 128 / 100), p50
    // 1.6 ms at 54k; the graph, not int8, limits recall (an exact int8 scan reaches 0.994). At 1M
    // (word-hash vectors, bench/scale.ts) 300 candidates reach recall@10 0.974 where 200 reached 0.966,
    // for 1.8 instead of 1.2–1.5 ms.
    expansionAdd: 256,
    expansionSearch: 64,
    rescoreCandidates: 300,
  },
  fusion: {
    method: 'rrf',
    // Tuned with USE-Lite on Home Depot, Multi-CPR and the Shopee splits together (see README): a small k
    // keeps the lexical order where the words find the products, and the offline model's vectors carry the
    // queries whose words the catalogue does not know. A stronger model deserves a higher text weight.
    k: 10,
    weights: { lexical: 1, text: 0.3, image: 1 },
    candidates: 200,
    coveredTextShare: 0.1,
    vectorFloor: 0.8,
  },
  crossLingual: { enabled: true, pinyin: true },
  understanding: {
    enabled: true,
    priceFilters: true,
    sizeConflictPenalty: 0.1,
    measureConflictPenalty: 0.9,
    measureTolerance: 0.15,
    suggestBelow: 3,
  },
  ranker: {
    candidates: 100,
    trees: 300,
    learningRate: 0.08,
    maxLeaves: 31,
    minLeafRows: 50,
    featureFraction: 1,
    holdout: 0.2,
    online: { enabled: true, minEvents: 200, trees: 10, learningRate: 0.05, tolerance: 0.002 },
    associations: { minQueries: 500, minCount: 2, maxPairs: 200_000 },
  },
  cache: { enabled: false, maxEntries: 1000, maxChecksPerWrite: 5000 },
  store: { url: null, schema: 'public', pollIntervalMs: 1000, poolSize: 4 },
};

export function resolveConfig(config: SoukConfig = {}): ResolvedConfig {
  const fields = { ...DEFAULT_CONFIG.fields };
  for (const name of FIELD_NAMES) {
    fields[name] = { ...DEFAULT_CONFIG.fields[name], ...config.fields?.[name] };
  }
  return {
    dataDir: config.dataDir === undefined ? DEFAULT_CONFIG.dataDir : config.dataDir,
    fields,
    k1: config.k1 ?? DEFAULT_CONFIG.k1,
    search: {
      ...DEFAULT_CONFIG.search,
      ...config.search,
      termWeights: { ...DEFAULT_CONFIG.search.termWeights, ...config.search?.termWeights },
    },
    snapshot: { ...DEFAULT_CONFIG.snapshot, ...config.snapshot },
    server: { ...DEFAULT_CONFIG.server, ...config.server },
    embedding: {
      ...DEFAULT_CONFIG.embedding,
      ...config.embedding,
      text: { ...DEFAULT_CONFIG.embedding.text, ...config.embedding?.text },
      image: { ...DEFAULT_CONFIG.embedding.image, ...config.embedding?.image },
    },
    vector: { ...DEFAULT_CONFIG.vector, ...config.vector },
    fusion: {
      ...DEFAULT_CONFIG.fusion,
      ...config.fusion,
      weights: { ...DEFAULT_CONFIG.fusion.weights, ...config.fusion?.weights },
    },
    crossLingual: { ...DEFAULT_CONFIG.crossLingual, ...config.crossLingual },
    understanding: { ...DEFAULT_CONFIG.understanding, ...config.understanding },
    ranker: {
      ...DEFAULT_CONFIG.ranker,
      ...config.ranker,
      online: { ...DEFAULT_CONFIG.ranker.online, ...config.ranker?.online },
      associations: { ...DEFAULT_CONFIG.ranker.associations, ...config.ranker?.associations },
    },
    cache: { ...DEFAULT_CONFIG.cache, ...config.cache },
    store: { ...DEFAULT_CONFIG.store, ...config.store },
  };
}
