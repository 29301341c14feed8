/**
 * The product layout, its validation and its canonical form.
 *
 * Rules (see PRODUCT_SCHEMA for the per-field list):
 * - `id` is required: a non-empty string (trimmed, at most 512 characters) or a finite number, which is
 *   converted to its decimal string so `17` and `"17"` are the same product.
 * - `title` is required: a non-empty string after trimming.
 * - Every string is trimmed; an optional string that is empty after trimming counts as absent, and so does
 *   `null` (JSON exports often write `null` for "no value").
 * - Numbers (`price`, `rating`, `reviews`) may also be given as numeric strings ("12.50"), which is what
 *   CSV exports produce; anything else of the wrong type is INVALID_FIELD.
 * - `category` is a path from root to leaf: an array of strings, or one string split on ">" when it has
 *   one ("Men > Tops") and otherwise on "/" ("Men/Tops"). Empty segments are dropped.
 * - `categories` is an array of such paths; a string is split on "|" into paths.
 * - `images` is an array of strings; a string is split on "|".
 * - `attributes` is an object whose values are a string, number, boolean or an array of strings/numbers.
 *   Keys are trimmed; a `null` or empty-string value, or an empty array, drops that key.
 * - Unknown top-level fields are dropped silently and not counted: catalogues exported from other systems
 *   routinely carry extra columns, and rejecting or warning on each would drown real problems.
 *   Patches are stricter (see validatePatch) because they are written by hand, where a typo is likely.
 *
 * A product with any invalid field is rejected as a whole (no partial products): a half-validated product
 * would silently lose data the caller believes was stored.
 */
import * as crypto from 'node:crypto';
import { basename } from 'node:path';
import type { AttributeValue, LineError, Product, ProductPatch } from '../types.ts';

export type FieldKind =
  | 'id'
  | 'text'
  | 'categoryPath'
  | 'categoryPaths'
  | 'price'
  | 'rating'
  | 'count'
  | 'stringList'
  | 'attributes';

export interface FieldSpec {
  kind: FieldKind;
  required: boolean;
  doc: string;
}

/** The explicit product schema; its key order is the canonical field order of stored products. */
export const PRODUCT_SCHEMA = {
  id: { kind: 'id', required: true, doc: 'non-empty string (numbers converted), at most 512 characters' },
  title: { kind: 'text', required: true, doc: 'non-empty string' },
  description: { kind: 'text', required: false, doc: 'string' },
  brand: { kind: 'text', required: false, doc: 'string' },
  category: { kind: 'categoryPath', required: false, doc: 'path: string[] or "A > B > C" / "A/B/C"' },
  categories: { kind: 'categoryPaths', required: false, doc: 'array of paths, or "A > B|C > D"' },
  price: { kind: 'price', required: false, doc: 'finite number >= 0' },
  currency: { kind: 'text', required: false, doc: 'string, e.g. USD' },
  image: { kind: 'text', required: false, doc: 'path relative to the catalogue file, or URL' },
  images: { kind: 'stringList', required: false, doc: 'string[] or "a.jpg|b.jpg"' },
  attributes: {
    kind: 'attributes',
    required: false,
    doc: 'object of string | number | boolean | (string | number)[]',
  },
  rating: { kind: 'rating', required: false, doc: 'number from 0 to 5' },
  reviews: { kind: 'count', required: false, doc: 'integer >= 0' },
  lang: { kind: 'text', required: false, doc: 'BCP-47 tag: en, zh, zh-Hant, …' },
} as const satisfies Record<keyof Product, FieldSpec>;

export type ProductField = keyof typeof PRODUCT_SCHEMA;
export const PRODUCT_FIELDS: readonly ProductField[] = Object.keys(PRODUCT_SCHEMA) as ProductField[];
const FIELD_SET: ReadonlySet<string> = new Set(PRODUCT_FIELDS);

export const MAX_ID_LENGTH = 512;

export interface Where {
  file?: string;
  line?: number;
  /** Known product id (patches: the id being patched). */
  id?: string;
}

export interface ValidationResult {
  product?: Product;
  errors: LineError[];
}

export interface PatchValidationResult {
  patch?: ProductPatch;
  errors: LineError[];
}

/** `products.jsonl:17: ` / `line 17: ` / `product "x": ` — the prefix every message starts with. */
export function wherePrefix(where: Where | undefined): string {
  if (!where) return '';
  if (where.file !== undefined && where.line !== undefined) return `${basename(where.file)}:${where.line}: `;
  if (where.file !== undefined) return `${basename(where.file)}: `;
  if (where.line !== undefined) return `line ${where.line}: `;
  if (where.id !== undefined) return `product ${JSON.stringify(where.id)}: `;
  return '';
}

/** Builds a LineError; `message` is the text after the location prefix. */
export function lineError(
  code: string,
  message: string,
  where: Where | undefined,
  field?: string,
  id?: string,
): LineError {
  const error: LineError = { code, message: wherePrefix(where) + message };
  if (where?.file !== undefined) error.file = where.file;
  if (where?.line !== undefined) error.line = where.line;
  if (field !== undefined) error.field = field;
  const knownId = id ?? where?.id;
  if (knownId !== undefined) error.id = knownId;
  return error;
}

/** Short human description of a bad value for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return JSON.stringify(shown);
    }
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Field normalisers: return the normalised value, ABSENT to drop the field, or an Invalid describing why.

const ABSENT = Symbol('absent');

class Invalid {
  constructor(
    readonly message: string,
    /** Overrides the reported field, e.g. `attributes.color`. */
    readonly field?: string,
  ) {}
}

type Normalised = unknown;

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (NUMERIC.test(text)) return Number(text);
  }
  return undefined;
}

function normaliseText(field: string, value: unknown): Normalised {
  if (value === null || value === undefined) return ABSENT;
  if (typeof value !== 'string')
    return new Invalid(`field "${field}" must be a string, got ${describeValue(value)}`);
  const text = value.trim();
  return text === '' ? ABSENT : text;
}

function normalisePathSegments(field: string, segments: unknown[]): Normalised {
  const path: string[] = [];
  for (const segment of segments) {
    if (typeof segment !== 'string') {
      return new Invalid(
        `field "${field}" must be a list of strings, got an element ${describeValue(segment)}`,
      );
    }
    const text = segment.trim();
    if (text !== '') path.push(text);
  }
  return path.length === 0 ? ABSENT : path;
}

/** Splits "A > B > C" (on ">") or, when there is no ">", "A/B/C" (on "/") into trimmed segments. */
export function parseCategoryPath(text: string): string[] {
  const separator = text.includes('>') ? '>' : '/';
  const path: string[] = [];
  for (const part of text.split(separator)) {
    const segment = part.trim();
    if (segment !== '') path.push(segment);
  }
  return path;
}

function normaliseCategoryPath(field: string, value: unknown): Normalised {
  if (value === null || value === undefined) return ABSENT;
  if (typeof value === 'string') {
    const path = parseCategoryPath(value);
    return path.length === 0 ? ABSENT : path;
  }
  if (Array.isArray(value)) return normalisePathSegments(field, value);
  return new Invalid(
    `field "${field}" must be a category path (array of strings or "A > B"), got ${describeValue(value)}`,
  );
}

function normaliseCategoryPaths(field: string, value: unknown): Normalised {
  if (value === null || value === undefined) return ABSENT;
  const items: unknown[] | undefined =
    typeof value === 'string' ? value.split('|') : Array.isArray(value) ? value : undefined;
  if (!items) {
    return new Invalid(`field "${field}" must be an array of category paths, got ${describeValue(value)}`);
  }
  const paths: string[][] = [];
  for (const item of items) {
    const path = normaliseCategoryPath(field, item);
    if (path instanceof Invalid) return path;
    if (path !== ABSENT) paths.push(path as string[]);
  }
  return paths.length === 0 ? ABSENT : paths;
}

function normaliseStringList(field: string, value: unknown): Normalised {
  if (value === null || value === undefined) return ABSENT;
  const items: unknown[] | undefined =
    typeof value === 'string' ? value.split('|') : Array.isArray(value) ? value : undefined;
  if (!items) return new Invalid(`field "${field}" must be an array of strings, got ${describeValue(value)}`);
  return normalisePathSegments(field, items);
}

function normalisePrice(field: string, value: unknown): Normalised {
  if (value === null || value === undefined) return ABSENT;
  if (typeof value === 'string' && value.trim() === '') return ABSENT;
  const number = toNumber(value);
  if (number === undefined || !Number.isFinite(number) || number < 0) {
    return new Invalid(`field "${field}" must be a non-negative number, got ${describeValue(value)}`);
  }
  return positiveZero(number);
}

function normaliseRating(field: string, value: unknown): Normalised {
  if (value === null || value === undefined) return ABSENT;
  if (typeof value === 'string' && value.trim() === '') return ABSENT;
  const number = toNumber(value);
  if (number === undefined || !Number.isFinite(number) || number < 0 || number > 5) {
    return new Invalid(`field "${field}" must be a number from 0 to 5, got ${describeValue(value)}`);
  }
  return positiveZero(number);
}

function normaliseCount(field: string, value: unknown): Normalised {
  if (value === null || value === undefined) return ABSENT;
  if (typeof value === 'string' && value.trim() === '') return ABSENT;
  const number = toNumber(value);
  if (number === undefined || !Number.isSafeInteger(number) || number < 0) {
    return new Invalid(`field "${field}" must be a non-negative integer, got ${describeValue(value)}`);
  }
  return positiveZero(number);
}

/**
 * -0 as 0: JSON (the store, snapshots, the content hash) writes both as 0, so a validated product must not
 * hold a -0 that its stored copy no longer has.
 */
function positiveZero(value: number): number {
  return value === 0 ? 0 : value;
}

/** One attribute value; ABSENT for null / "" / []. */
function normaliseAttributeValue(field: string, value: unknown): Normalised {
  if (value === null || value === undefined) return ABSENT;
  if (typeof value === 'string') {
    const text = value.trim();
    return text === '' ? ABSENT : text;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? positiveZero(value)
      : new Invalid(`field "${field}" must be a finite number`, field);
  }
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const items: Array<string | number> = [];
    for (const item of value) {
      if (typeof item === 'string') {
        const text = item.trim();
        if (text !== '') items.push(text);
      } else if (typeof item === 'number' && Number.isFinite(item)) {
        items.push(positiveZero(item));
      } else {
        return new Invalid(
          `field "${field}" must be a string, number, boolean or a list of strings/numbers, got a list containing ${describeValue(item)}`,
          field,
        );
      }
    }
    return items.length === 0 ? ABSENT : items;
  }
  return new Invalid(
    `field "${field}" must be a string, number, boolean or a list of strings/numbers, got ${describeValue(value)}`,
    field,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sorted keys, so validated products are already in canonical order. */
function normaliseAttributes(field: string, value: unknown): Normalised {
  if (value === null || value === undefined) return ABSENT;
  if (!isPlainObject(value))
    return new Invalid(`field "${field}" must be an object, got ${describeValue(value)}`);
  const keys = Object.keys(value);
  if (keys.length === 0) return ABSENT;
  const entries: Array<[string, AttributeValue]> = [];
  for (const rawKey of keys) {
    const key = rawKey.trim();
    if (key === '') return new Invalid(`field "${field}" has an empty attribute name`);
    if (key === '__proto__') return new Invalid(`field "${field}" has a reserved attribute name "__proto__"`);
    const normalised = normaliseAttributeValue(`${field}.${key}`, value[rawKey]);
    if (normalised instanceof Invalid) return normalised;
    if (normalised !== ABSENT) entries.push([key, normalised as AttributeValue]);
  }
  if (entries.length === 0) return ABSENT;
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, attributeValue] of entries) attributes[key] = attributeValue;
  return attributes;
}

const NORMALISERS: Record<Exclude<FieldKind, 'id'>, (field: string, value: unknown) => Normalised> = {
  text: normaliseText,
  categoryPath: normaliseCategoryPath,
  categoryPaths: normaliseCategoryPaths,
  price: normalisePrice,
  rating: normaliseRating,
  count: normaliseCount,
  stringList: normaliseStringList,
  attributes: normaliseAttributes,
};

/** The id as a string, undefined when missing or empty, Invalid for a wrong type. */
function normaliseId(value: unknown): string | undefined | Invalid {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    const id = value.trim();
    if (id === '') return undefined;
    if (id.length > MAX_ID_LENGTH) {
      return new Invalid(`field "id" must be at most ${MAX_ID_LENGTH} characters, got ${id.length}`);
    }
    return id;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return new Invalid(`field "id" must be a string or a number, got ${describeValue(value)}`);
}

/**
 * Validates and normalises one raw product. Returns the product (id first, then the input's field order;
 * attribute keys sorted) when there are no errors; otherwise every problem found on it, each naming its
 * field.
 */
export function validateProduct(raw: unknown, where?: Where): ValidationResult {
  if (!isPlainObject(raw)) {
    return {
      errors: [lineError('INVALID_JSON', `expected a JSON object, got ${describeValue(raw)}`, where)],
    };
  }
  const errors: LineError[] = [];
  const id = normaliseId(raw.id);
  const knownId = typeof id === 'string' ? id : undefined;
  if (id instanceof Invalid) {
    errors.push(lineError('INVALID_FIELD', id.message, where, 'id'));
  } else if (id === undefined) {
    const message =
      raw.id === undefined || raw.id === null
        ? 'missing required field "id"'
        : 'field "id" must not be empty';
    errors.push(lineError('MISSING_FIELD', message, where, 'id'));
  }

  const title = raw.title;
  if (title === undefined || title === null || (typeof title === 'string' && title.trim() === '')) {
    const message =
      title === undefined || title === null
        ? 'missing required field "title"'
        : 'field "title" must not be empty';
    errors.push(lineError('MISSING_FIELD', message, where, 'title', knownId));
  }

  // Only the keys present are visited (a switch on the name, no per-field lookups): this runs once per
  // catalogue line and most catalogue lines carry few fields. Field order follows the input; the stored
  // form is canonicalProductJson, which orders fields itself.
  const product: Record<string, unknown> = { id: knownId };
  for (const field in raw) {
    const value = raw[field];
    if (value === undefined) continue;
    let normalised: Normalised;
    switch (field) {
      case 'title':
        if (typeof value !== 'string') normalised = normaliseText(field, value);
        else normalised = value.trim() === '' ? ABSENT : value.trim();
        break;
      case 'description':
      case 'brand':
      case 'currency':
      case 'image':
      case 'lang':
        normalised = normaliseText(field, value);
        break;
      case 'category':
        normalised = normaliseCategoryPath(field, value);
        break;
      case 'categories':
        normalised = normaliseCategoryPaths(field, value);
        break;
      case 'images':
        normalised = normaliseStringList(field, value);
        break;
      case 'price':
        normalised = normalisePrice(field, value);
        break;
      case 'rating':
        normalised = normaliseRating(field, value);
        break;
      case 'reviews':
        normalised = normaliseCount(field, value);
        break;
      case 'attributes':
        normalised = normaliseAttributes(field, value);
        break;
      default:
        continue;
    }
    if (normalised === ABSENT) continue;
    if (normalised instanceof Invalid) {
      errors.push(lineError('INVALID_FIELD', normalised.message, where, normalised.field ?? field, knownId));
    } else {
      product[field] = normalised;
    }
  }
  if (errors.length > 0) return { errors };
  return { product: product as unknown as Product, errors };
}

/**
 * Validates a partial update. Same value rules as validateProduct, plus:
 * - `null` (or an empty string) removes an optional field; `id` and `title` cannot be removed.
 * - `attributes` is merged key by key into the stored attributes (see applyPatch); a `null` or empty value
 *   for a key deletes that key, and `attributes: null` removes them all.
 * - `id` may appear only when it equals the id being patched (so a full product can be sent as a patch).
 * - Unknown fields are INVALID_FIELD, unlike in products: a patch is written by hand, and a misspelt field
 *   silently doing nothing is worse than an error.
 */
export function validatePatch(raw: unknown, where?: Where): PatchValidationResult {
  if (!isPlainObject(raw)) {
    return {
      errors: [lineError('INVALID_FIELD', `a patch must be a JSON object, got ${describeValue(raw)}`, where)],
    };
  }
  const errors: LineError[] = [];
  const patch: Record<string, unknown> = {};
  for (const field of Object.keys(raw)) {
    const value = raw[field];
    if (value === undefined) continue;
    if (!FIELD_SET.has(field)) {
      errors.push(lineError('INVALID_FIELD', `unknown field "${field}"`, where, field));
      continue;
    }
    const spec = PRODUCT_SCHEMA[field as ProductField];
    if (field === 'id') {
      const id = normaliseId(value);
      if (where?.id === undefined || id !== where.id) {
        errors.push(lineError('INVALID_FIELD', 'field "id" cannot be changed by a patch', where, 'id'));
      }
      continue;
    }
    if (field === 'attributes' && isPlainObject(value)) {
      const merge: Record<string, AttributeValue | null> = {};
      let invalid = false;
      for (const rawKey of Object.keys(value)) {
        const key = rawKey.trim();
        if (key === '' || key === '__proto__') {
          const message = `field "attributes" has ${key === '' ? 'an empty' : 'a reserved'} attribute name`;
          errors.push(lineError('INVALID_FIELD', message, where, field));
          invalid = true;
          continue;
        }
        const normalised = normaliseAttributeValue(`attributes.${key}`, value[rawKey]);
        if (normalised instanceof Invalid) {
          errors.push(lineError('INVALID_FIELD', normalised.message, where, normalised.field));
          invalid = true;
        } else {
          merge[key] = normalised === ABSENT ? null : (normalised as AttributeValue);
        }
      }
      if (!invalid) patch.attributes = merge;
      continue;
    }
    const normalised = NORMALISERS[spec.kind as Exclude<FieldKind, 'id'>](field, value);
    if (normalised instanceof Invalid) {
      errors.push(lineError('INVALID_FIELD', normalised.message, where, normalised.field ?? field));
    } else if (normalised === ABSENT) {
      if (spec.required) {
        errors.push(lineError('INVALID_FIELD', `field "${field}" cannot be removed`, where, field));
      } else {
        patch[field] = null;
      }
    } else {
      patch[field] = normalised;
    }
  }
  if (errors.length > 0) return { errors };
  return { patch: patch as ProductPatch, errors };
}

/**
 * Applies a validated patch: fields are replaced, `null` removes, and `attributes` merges key by key
 * (null deletes a key). The result is re-validated so it is a normalised product.
 */
export function applyPatch(product: Product, patch: ProductPatch, where?: Where): ValidationResult {
  const next: Record<string, unknown> = { ...product };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (field === 'attributes' && value !== null) {
      const merged: Record<string, unknown> = { ...product.attributes };
      for (const [key, attributeValue] of Object.entries(value as Record<string, AttributeValue | null>)) {
        if (attributeValue === null) delete merged[key];
        else merged[key] = attributeValue;
      }
      next.attributes = merged;
    } else if (value === null) {
      delete next[field];
    } else {
      next[field] = value;
    }
  }
  return validateProduct(next, where ?? { id: product.id });
}

/** validatePatch + applyPatch: the full product after a raw patch, or the errors. */
export function patchProduct(product: Product, rawPatch: unknown, where?: Where): ValidationResult {
  const at: Where = { ...where, id: product.id };
  const { patch, errors } = validatePatch(rawPatch, at);
  if (!patch) return { errors };
  return applyPatch(product, patch, at);
}

// ---------------------------------------------------------------------------------------------------------
// Canonical form and content hash

/** The same keys, sorted; `value` itself when already sorted (validated attributes are). */
function sortedKeys(value: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(value);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return value;
  const out: Record<string, unknown> = {};
  for (const key of keys.sort()) out[key] = value[key];
  return out;
}

/**
 * Canonical JSON of a product: schema fields only (unknown ones dropped, as in validation), top-level keys
 * in schema order (id first, so stored bodies read naturally), attribute keys sorted, undefined skipped.
 * Two products with the same content give the same string whatever their key order. Built as one ordered
 * object and one native JSON.stringify, which is several times faster than assembling the string by hand.
 * (PRODUCT_SCHEMA and this function must list the same fields; a test checks it.)
 */
export function canonicalProductJson(product: Product): string {
  // Named property reads and writes in schema order (not a loop over PRODUCT_FIELDS): this runs for every
  // product written, and computed-key access costs more than the stringify itself.
  const p = product;
  const o: Record<string, unknown> = {};
  if (p.id !== undefined) o.id = p.id;
  if (p.title !== undefined) o.title = p.title;
  if (p.description !== undefined) o.description = p.description;
  if (p.brand !== undefined) o.brand = p.brand;
  if (p.category !== undefined) o.category = p.category;
  if (p.categories !== undefined) o.categories = p.categories;
  if (p.price !== undefined) o.price = p.price;
  if (p.currency !== undefined) o.currency = p.currency;
  if (p.image !== undefined) o.image = p.image;
  if (p.images !== undefined) o.images = p.images;
  if (p.attributes !== undefined) {
    o.attributes =
      typeof p.attributes === 'object' && p.attributes !== null && !Array.isArray(p.attributes)
        ? sortedKeys(p.attributes)
        : p.attributes;
  }
  if (p.rating !== undefined) o.rating = p.rating;
  if (p.reviews !== undefined) o.reviews = p.reviews;
  if (p.lang !== undefined) o.lang = p.lang;
  return JSON.stringify(o);
}

// crypto.hash (Node >= 20.12) is a one-shot digest without a Hash object per call.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** Hex digest of a string, one-shot where Node has it (a Hash object per call costs 3–4× as much). */
export function hashHex(algorithm: 'sha1' | 'sha256', text: string): string {
  return oneShotHash
    ? oneShotHash(algorithm, text, 'hex')
    : crypto.createHash(algorithm).update(text).digest('hex');
}

/** Content hash of canonical JSON text (sha1 hex: this detects unchanged content, it is not a security boundary). */
export function hashCanonicalJson(json: string): string {
  return hashHex('sha1', json);
}

/** sha1 of canonicalProductJson: equal for products with equal content, used to skip unchanged writes. */
export function productContentHash(product: Product): string {
  return hashCanonicalJson(canonicalProductJson(product));
}
