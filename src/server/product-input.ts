import { validatePatch, validateProduct } from '../catalog/product-schema.ts';
import { ERROR_CODES, SoukError, type SoukErrorCode } from '../errors.ts';
import type { LineError, Product, ProductPatch } from '../types.ts';

/**
 * Products arriving over HTTP go through the same validator as catalogue files, so a product the API
 * accepts is exactly one that `souk ingest` would accept.
 */

/** One rejected item of a batch, keyed by its position in the request. */
export interface BatchItemError {
  index: number;
  /** Line of a JSON Lines body (1-based), when the batch came as one. */
  line?: number;
  id?: string;
  field?: string;
  code: SoukErrorCode;
  message: string;
}

export function checkProduct(raw: unknown): Product {
  const { product, errors } = validateProduct(raw);
  if (product === undefined || errors.length > 0) throw toRequestError(errors, 'product');
  return product;
}

/** `id` is the product being patched; the body may repeat it but not change it. */
export function checkPatch(raw: unknown, id: string): ProductPatch {
  const { patch, errors } = validatePatch(raw, { id });
  if (patch === undefined || errors.length > 0) throw toRequestError(errors, 'patch');
  return patch;
}

/** One element of a batch body; `raw` is the SoukError when the element could not even be parsed. */
export interface BatchItem {
  raw: unknown;
  line?: number;
}

/** Validates every item of a batch, splitting it into products to write and item errors to report. */
export function checkBatch(items: readonly BatchItem[]): { products: Product[]; errors: BatchItemError[] } {
  const products: Product[] = [];
  const errors: BatchItemError[] = [];
  items.forEach(({ raw, line }, index) => {
    const at = line === undefined ? { index } : { index, line };
    if (raw instanceof SoukError) {
      errors.push({ ...at, code: raw.code, message: raw.message });
      return;
    }
    // Only JSON Lines bodies have lines; array items are named by index, not a misleading "line N".
    const result = validateProduct(raw, line === undefined ? undefined : { line });
    if (result.product !== undefined && result.errors.length === 0) {
      products.push(result.product);
      return;
    }
    const id = idOf(raw);
    const found =
      result.errors.length > 0 ? result.errors : [{ code: 'INVALID_FIELD', message: 'Invalid product' }];
    for (const error of found) {
      const item: BatchItemError = { ...at, code: knownCode(error.code), message: error.message };
      if (id !== undefined) item.id = id;
      if (error.field !== undefined) item.field = error.field;
      errors.push(item);
    }
  });
  return { products, errors };
}

function toRequestError(errors: LineError[], what: string): SoukError {
  const first = errors[0];
  if (first === undefined) return new SoukError('INVALID_FIELD', `Invalid ${what}`);
  const details: Record<string, unknown> = {
    errors: errors.map(({ code, message, field }) => ({ code: knownCode(code), message, field })),
  };
  if (first.field !== undefined) details.field = first.field;
  return new SoukError(knownCode(first.code), first.message, details);
}

function knownCode(code: string): SoukErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code) ? (code as SoukErrorCode) : 'INVALID_FIELD';
}

function idOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}
