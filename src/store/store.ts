import type { FeedbackRecord, LoggedFeedback, Product } from '../types.ts';

export type ChangeOp = 'upsert' | 'patch' | 'delete';

/** One entry of the change log. `product` is the full state after an upsert or patch. */
export interface Change {
  seq: number;
  op: ChangeOp;
  id: string;
  product?: Product;
}

export interface UpsertOutcome {
  /** Sequence number of the last change written (the store's last seq when nothing changed). */
  seq: number;
  /** Products actually written (new or with different content), in input order. */
  changed: Product[];
  /** Products skipped because the stored content hash was identical. */
  unchanged: number;
}

export interface DeleteOutcome {
  seq: number;
  /** Ids that existed and were deleted. */
  deleted: string[];
}

export interface PatchOutcome {
  seq: number;
  /** Full products after the patch, in input order. */
  products: Product[];
}

/**
 * What a shared store tells its watchers: another writer (or this process) committed changes, feedback
 * events or a metadata key; `connected` each time the notification channel is (re)established, since
 * notifications before that may have been missed (watchers catch up by sequence number: nothing is lost).
 */
export type StoreEvent =
  { kind: 'changes' | 'feedback'; seq: number } | { kind: 'meta'; key: string } | { kind: 'connected' };

export type StoreEventListener = (event: StoreEvent) => void;

/**
 * The source of truth: products, a monotonically numbered change log and engine metadata.
 * Every write is one transaction and is durable once its promise resolves.
 */
export interface Store {
  readonly kind: string;
  /**
   * True when other processes write to the same store (PostgreSQL): writers commit one at a time in seq
   * order (no gaps), and an engine applies every change, its own included, from the log in that order.
   */
  readonly shared?: boolean;
  /** Shared stores: notifications of commits by any writer (see StoreEvent); returns an unsubscribe. */
  watch?(listener: StoreEventListener): () => void;
  upsert(products: Product[]): Promise<UpsertOutcome>;
  /** Applies partial updates (null removes a field) atomically; PRODUCT_NOT_FOUND if any id is missing. */
  patch(patches: Array<{ id: string; patch: Record<string, unknown> }>): Promise<PatchOutcome>;
  delete(ids: string[]): Promise<DeleteOutcome>;
  get(id: string): Promise<Product | undefined>;
  getMany(ids: string[]): Promise<Array<Product | undefined>>;
  count(): Promise<number>;
  /** Every stored product, in batches (for index rebuilds). */
  scan(batchSize?: number): AsyncIterable<Product[]>;
  /**
   * Changes with seq > `seq`, oldest first, at most `limit` (default: all). Throws SNAPSHOT_INVALID when
   * `seq` is older than what pruneChanges removed: the caller must rebuild from scan().
   */
  changesSince(seq: number, limit?: number): Promise<Change[]>;
  /**
   * Drops change-log entries with seq <= `throughSeq` (each holds a full product copy, so the log would
   * otherwise grow without bound). Call only with the seq of a snapshot already written. Seqs are never
   * reused: lastSeq() is unaffected. Returns how many entries were removed.
   */
  pruneChanges(throughSeq: number): Promise<number>;
  lastSeq(): Promise<number>;
  getMeta(key: string): Promise<string | undefined>;
  /** `schema_version` and `changes_pruned_through` are kept by the store itself (INVALID_REQUEST). */
  setMeta(key: string, value: string): Promise<void>;
  /** Index snapshot bytes with the change-log position they reflect (written atomically). */
  writeSnapshot(name: string, seq: number, data: Uint8Array): Promise<void>;
  /** Undefined when there is none; SNAPSHOT_INVALID when it is corrupt or truncated (rebuild instead). */
  readSnapshot(name: string): Promise<{ seq: number; data: Uint8Array } | undefined>;
  /**
   * Cached embeddings, by embedder key (`embedderKey`) and the content hash of what was embedded: a product
   * whose embedded text is unchanged, or a second product with the same text, is never embedded again.
   * Derived data, not logged as changes. Missing entries come back as undefined.
   */
  getEmbeddings(embedder: string, hashes: readonly string[]): Promise<Array<Float32Array | undefined>>;
  putEmbeddings(
    embedder: string,
    entries: ReadonlyArray<{ hash: string; vector: Float32Array }>,
  ): Promise<void>;
  /** Text read from images (OCR), by reader key and the image's content hash; derived data like embeddings. */
  getImageTexts(reader: string, hashes: readonly string[]): Promise<Array<string | undefined>>;
  putImageTexts(reader: string, entries: ReadonlyArray<{ hash: string; text: string }>): Promise<void>;
  /**
   * Appends validated behaviour events (validateFeedbackEvent) to the feedback log, in order, as one
   * transaction: durable once the promise resolves. Feedback has its own numbering (1, 2, …, never reused),
   * apart from the change log; `seq` is the number of the last event written (the last one so far when
   * `events` is empty). Events that would break the store (unknown type, no product id, no time) throw
   * INVALID_FIELD and nothing is written.
   */
  appendFeedback(events: readonly FeedbackRecord[]): Promise<{ seq: number; count: number }>;
  /** Logged events with seq > `seq`, oldest first, at most `limit` (default: all). */
  feedbackSince(seq: number, limit?: number): Promise<LoggedFeedback[]>;
  /** Events in the feedback log. */
  feedbackCount(): Promise<number>;
  /** Flushes and closes; later calls throw ENGINE_CLOSED (closing again is a no-op). */
  close(): Promise<void>;
}
