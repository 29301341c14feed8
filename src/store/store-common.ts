/** Rules both Store implementations share, so the memory store behaves exactly like the SQLite one. */
import { canonicalProductJson, hashCanonicalJson, patchProduct } from '../catalog/product-schema.ts';
import { SoukError, type SoukErrorCode } from '../errors.ts';
import type { LineError, Product } from '../types.ts';

export const STORE_SCHEMA_VERSION = 1;

/** Meta keys the store itself maintains; setMeta refuses them so callers cannot corrupt the store. */
export const META_SCHEMA_VERSION = 'schema_version';
export const META_PRUNED_THROUGH = 'changes_pruned_through';
const RESERVED_META_KEYS: ReadonlySet<string> = new Set([META_SCHEMA_VERSION, META_PRUNED_THROUGH]);

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
