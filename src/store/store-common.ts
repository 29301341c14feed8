/** Rules both Store implementations share, so the memory store behaves exactly like the SQLite one. */
import { canonicalProductJson, hashCanonicalJson, patchProduct } from '../catalog/product-schema.ts';
import { SoukError, type SoukErrorCode } from '../errors.ts';
import type { FeedbackRecord, LoggedFeedback, LineError, Product } from '../types.ts';

export const STORE_SCHEMA_VERSION = 1;

/** Meta keys the store itself maintains; setMeta refuses them so callers cannot corrupt the store. */
export const META_SCHEMA_VERSION = 'schema_version';
export const META_PRUNED_THROUGH = 'changes_pruned_through';
/** The PostgreSQL store's identity (its snapshots are named after it). */
export const META_STORE_ID = 'store_id';
const RESERVED_META_KEYS: ReadonlySet<string> = new Set([
  META_SCHEMA_VERSION,
  META_PRUNED_THROUGH,
  META_STORE_ID,
]);

export interface PreparedProduct {
  product: Product;
  id: string;
  /** Canonical JSON: what is stored, and what the hash is computed from. */
  body: string;
  hash: string;
}

/**
 * Serialises and hashes products before any write starts, so the CPU work happens outside the write
 * transaction. Products are expected to be validated already (validateProduct); only what would break the
 * store itself (a missing id) is checked here.
 */
export function prepareProducts(products: readonly Product[]): PreparedProduct[] {
  return products.map((product, index) => {
    const id = (product as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') {
      throw new SoukError('INVALID_FIELD', `product ${index}: field "id" must be a non-empty string`, {
        field: 'id',
      });
    }
    const body = canonicalProductJson(product);
    return { product, id, body, hash: hashCanonicalJson(body) };
  });
}

/** Applies a raw patch to a stored product, throwing the first validation error as a SoukError. */
export function applyStoredPatch(id: string, current: Product, patch: unknown): PreparedProduct {
  const result = patchProduct(current, patch, { id });
  if (!result.product || result.errors.length > 0) {
    const first = result.errors[0];
    const code: SoukErrorCode = first?.code === 'MISSING_FIELD' ? 'MISSING_FIELD' : 'INVALID_FIELD';
    const details: { id: string; field?: string; errors: LineError[] } = { id, errors: result.errors };
    if (first?.field !== undefined) details.field = first.field;
    throw new SoukError(code, first?.message ?? `product ${JSON.stringify(id)}: invalid patch`, details);
  }
  const body = canonicalProductJson(result.product);
  return { product: result.product, id, body, hash: hashCanonicalJson(body) };
}

export function productNotFound(id: string): SoukError {
  return new SoukError('PRODUCT_NOT_FOUND', `Product ${JSON.stringify(id)} not found`, { id });
}

export function storeClosed(): SoukError {
  return new SoukError('ENGINE_CLOSED', 'The store is closed');
}

export function checkMetaKey(key: string, writing: boolean): void {
  if (typeof key !== 'string' || key === '') {
    throw new SoukError('INVALID_REQUEST', 'Meta key must be a non-empty string');
  }
  if (writing && RESERVED_META_KEYS.has(key)) {
    throw new SoukError('INVALID_REQUEST', `Meta key "${key}" is maintained by the store and cannot be set`, {
      key,
    });
  }
}

export function checkMetaValue(value: string): void {
  if (typeof value !== 'string') throw new SoukError('INVALID_REQUEST', 'Meta value must be a string');
}

export function checkBatchSize(batchSize: number): void {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new SoukError('INVALID_REQUEST', `Scan batch size must be a positive integer, got ${batchSize}`);
  }
}

export function checkSeq(seq: number, what: string): void {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new SoukError('INVALID_REQUEST', `${what} must be a non-negative integer, got ${seq}`);
  }
}

/** changesSince from before the pruned part of the log cannot be answered; the caller must rebuild. */
export function changesPruned(seq: number, prunedThrough: number): SoukError {
  return new SoukError(
    'SNAPSHOT_INVALID',
    `The change log was pruned through seq ${prunedThrough}; changes since ${seq} are no longer available, rebuild from a scan`,
    { seq, prunedThrough },
  );
}

const FEEDBACK_TYPES: ReadonlySet<string> = new Set(['impression', 'click', 'add_to_cart', 'purchase']);

/**
 * What the feedback log needs of an event to stay readable; full validation (validateFeedbackEvent)
 * happens before. Returns the events as they will be stored (only the known fields, copied).
 */
export function prepareFeedback(events: readonly FeedbackRecord[]): FeedbackRecord[] {
  return events.map((event, index) => {
    const e = event as Partial<FeedbackRecord> | null;
    const bad = (field: string, rule: string): SoukError =>
      new SoukError('INVALID_FIELD', `feedback event ${index}: field "${field}" ${rule}`, { field, index });
    if (!e || typeof e.type !== 'string' || !FEEDBACK_TYPES.has(e.type))
      throw bad('type', 'is not a feedback type');
    if (typeof e.query !== 'string') throw bad('query', 'must be a string');
    if (typeof e.productId !== 'string' || e.productId === '')
      throw bad('productId', 'must be a non-empty string');
    if (typeof e.at !== 'number' || !Number.isFinite(e.at)) throw bad('at', 'must be epoch milliseconds');
    if (e.position !== undefined && (!Number.isSafeInteger(e.position) || e.position < 1)) {
      throw bad('position', 'must be a positive integer');
    }
    for (const field of ['userId', 'sessionId'] as const) {
      if (e[field] !== undefined && typeof e[field] !== 'string') throw bad(field, 'must be a string');
    }
    const record: FeedbackRecord = { type: e.type, query: e.query, productId: e.productId, at: e.at };
    if (e.position !== undefined) record.position = e.position;
    if (e.userId !== undefined) record.userId = e.userId;
    if (e.sessionId !== undefined) record.sessionId = e.sessionId;
    return record;
  });
}

/** A logged event in the documented key order (the same whatever the store). */
export function loggedFeedback(
  seq: number,
  type: string,
  query: string,
  productId: string,
  position: number | null | undefined,
  userId: string | null | undefined,
  sessionId: string | null | undefined,
  at: number,
): LoggedFeedback {
  const event = { seq, type, query, productId } as LoggedFeedback;
  if (position !== null && position !== undefined) event.position = position;
  if (userId !== null && userId !== undefined) event.userId = userId;
  if (sessionId !== null && sessionId !== undefined) event.sessionId = sessionId;
  event.at = at;
  return event;
}

export function checkLimit(limit: number | undefined, what: string): void {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new SoukError('INVALID_REQUEST', `${what} limit must be a non-negative integer, got ${limit}`);
  }
}

/** A stored vector: its float32 bytes copied out (a driver may reuse the buffer it hands out). */
export function vectorFromBytes(bytes: Uint8Array): Float32Array {
  const vector = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(vector.buffer).set(bytes);
  return vector;
}
