/** Public data types shared by the core and its edges. */

export type AttributeValue = string | number | boolean | Array<string | number>;

/** A catalogue product, in the layout of the datasets README (see README "Data format"). */
export interface Product {
  id: string;
  title: string;
  description?: string;
  brand?: string;
  /** Category path from root to leaf, e.g. ["Men", "Tops", "Hoodies & Sweatshirts"]. */
  category?: string[];
  /** Further category paths the product also belongs to. */
  categories?: string[][];
  price?: number;
  currency?: string;
  /** Main image: a path relative to the catalogue file, or a URL. */
  image?: string;
  images?: string[];
  attributes?: Record<string, AttributeValue>;
  rating?: number;
  reviews?: number;
  /** Language of the product text: `en`, `zh` (Simplified), `zh-Hant` (Traditional), or another BCP-47 tag. */
  lang?: string;
}

/** A partial update: any product field but `id`; `null` removes an optional field. */
export type ProductPatch = { [K in Exclude<keyof Product, 'id'>]?: Product[K] | null };

export type SortOrder = 'relevance' | 'price:asc' | 'price:desc' | 'rating:desc' | 'rating:asc';

/**
 * How candidates are retrieved: `keyword` (lexical index only), `semantic` (text vectors only), `hybrid`
 * (lexical + text vectors, + image vectors when an image is given or the image model reads text), `image`
 * (image vectors only; needs `image`).
 */
export type SearchMode = 'keyword' | 'semantic' | 'hybrid' | 'image';

/** Per-source weights in the fusion of candidate lists. */
export interface SourceWeights {
  lexical?: number;
  text?: number;
  image?: number;
}

export interface SearchRequest {
  /** Query text; empty or missing browses the (filtered) catalogue. */
  q?: string;
  /** Filter expression (see README "Filter syntax"), e.g. `brand = Nike AND price 10 TO 50`. */
  filter?: string;
  /** Fields to count facets for: `brand`, `category`, `price`, `rating`, or any attribute name. */
  facets?: string[];
  sort?: SortOrder;
  offset?: number;
  limit?: number;
  /** Treat the last query word as a prefix (search as you type). Default true. */
  prefix?: boolean;
  /** Typo tolerance. Default true. */
  typos?: boolean;
  /** Wrap matched title terms in <mark>…</mark> in `hit.highlight`. Default true. */
  highlight?: boolean;
  /** Retrieval mode; default: `hybrid` once products have text vectors, else `keyword` (`search.mode`). */
  mode?: SearchMode;
  /** Query photo: encoded bytes (JPEG, PNG, WebP, GIF) or a local file path. */
  image?: Uint8Array | string;
  /** Overrides `fusion.weights` for this request. */
  weights?: SourceWeights;
  /**
   * Learned ranker for this request: `active` (default: the active model, if any), `none` (fusion order),
   * or a model version.
   */
  ranker?: string;
  /** Rank only these products (re-ranking a given candidate set, e.g. the judged products of a query). */
  ids?: string[];
  /** Shopper id: personalises ranking with the shopper's own feedback. */
  userId?: string;
}

export interface SearchHit {
  id: string;
  score: number;
  title: string;
  /** Title with matched terms wrapped in <mark></mark> (HTML-escaped). */
  highlight?: string;
  brand?: string;
  category?: string[];
  price?: number;
  currency?: string;
  image?: string;
  images?: string[];
  rating?: number;
}

export interface FacetValueCount {
  value: string;
  count: number;
}

export interface PriceBucket {
  /** Inclusive lower bound. */
  min: number;
  /** Exclusive upper bound; missing on the open-ended last bucket. */
  max?: number;
  count: number;
}

export interface FacetResult {
  /** Value counts, most frequent first (for `category`: every path prefix, joined with " > "). */
  values?: FacetValueCount[];
  /** For numeric facets (`price`, `rating`, numeric attributes): buckets and range. */
  buckets?: PriceBucket[];
  min?: number;
  max?: number;
}

export interface SearchResponse {
  hits: SearchHit[];
  total: number;
  offset: number;
  limit: number;
  facets?: Record<string, FacetResult>;
  query: string;
  /** The retrieval mode that answered. */
  mode: SearchMode;
  /** Why the answer may be less than asked for (a model was unavailable, products are not embedded yet). */
  warnings?: string[];
  /** Learned ranker version that ordered the hits, when one did. */
  ranker?: string;
  /** "Did you mean": a corrected query, when the query found no or few products. */
  suggestion?: string;
  tookMs: number;
}

/** What a shopper did with a product shown for a query (see README "Feedback"). */
export type FeedbackType = 'impression' | 'click' | 'add_to_cart' | 'purchase';

/** One logged behaviour event, as sent to `POST /feedback`, `engine.feedback` or `souk feedback import`. */
export interface FeedbackEvent {
  type: FeedbackType;
  /** The query the product was shown for (`""` for browsing). */
  query: string;
  productId: string;
  /** 1-based rank at which the product was shown; drives the position-bias correction. */
  position?: number;
  userId?: string;
  sessionId?: string;
  /** ISO time or epoch milliseconds; default: when the event is received. */
  at?: string | number;
}

/** A validated feedback event: `at` resolved to epoch milliseconds. */
export interface FeedbackRecord extends FeedbackEvent {
  at: number;
}

/** A feedback event as kept in the store's append-only feedback log, with its number there. */
export interface LoggedFeedback extends FeedbackRecord {
  seq: number;
}

export interface FeedbackResult {
  /** Feedback-log number of the last event written (its own numbering, not the change log's). */
  seq: number;
  count: number;
}

export interface LineError {
  code: string;
  message: string;
  file?: string;
  line?: number;
  field?: string;
  id?: string;
}

export interface IngestReport {
  loaded: number;
  rejected: number;
  /** Products whose stored content was identical and therefore not rewritten. */
  unchanged: number;
  errors: LineError[];
  seq: number;
}

export interface IngestProgress {
  linesRead: number;
  loaded: number;
  rejected: number;
  bytesRead: number;
  totalBytes?: number;
}

export interface WriteResult {
  /** Change-log sequence number of the last change written. */
  seq: number;
  count: number;
}

export interface VectorSpaceStats {
  /** Embedder key (`provider:model@version/dims`), once known. */
  embedder: string | undefined;
  vectors: number;
  /** Products waiting to be embedded. */
  backlog: number;
  bytes: number;
}

export interface EmbedReport {
  /** Vectors computed by a model in this run, taken from the store's cache, and products that failed. */
  embedded: number;
  cached: number;
  failed: number;
  errors: Array<{ id: string; code: string; message: string }>;
  spaces: Record<string, VectorSpaceStats>;
}

export interface EmbedProgress {
  space: string;
  done: number;
  total: number;
  embedded: number;
  cached: number;
  failed: number;
}

export interface EngineStats {
  products: number;
  deletedPendingVacuum: number;
  terms: number;
  /** The store's last change-log seq. */
  seq: number;
  /** The change-log seq the indexes reflect (below `seq` while a replica is catching up). */
  appliedSeq: number;
  /** `sqlite`, `memory` or `postgres`. */
  store: string;
  /** Shared store: the last failure to follow it (cleared when following works again). */
  followError?: string;
  dataDir: string | null;
  indexBytes: number;
  fields: Record<string, number>;
  vectors: Record<string, VectorSpaceStats>;
  /** Events in the feedback log. */
  feedback: number;
}
