import { SoukError } from '../errors.ts';
import type { SearchMode, SearchRequest, SortOrder, SourceWeights } from '../types.ts';

/** Sort orders a request may name; the table the engine also implements. */
export const SORT_ORDERS: readonly SortOrder[] = [
  'relevance',
  'price:asc',
  'price:desc',
  'rating:desc',
  'rating:asc',
];

export const SEARCH_MODES: readonly SearchMode[] = ['keyword', 'semantic', 'hybrid', 'image'];
const WEIGHT_NAMES = ['lexical', 'text', 'image'] as const;

export interface SearchLimits {
  maxLimit: number;
  maxQueryLength: number;
}

const BODY_FIELDS = new Set([
  'q',
  'filter',
  'facets',
  'sort',
  'limit',
  'offset',
  'prefix',
  'typos',
  'highlight',
  'mode',
  'weights',
  'ranker',
  'userId',
]);

/**
 * Validates `GET /search` query parameters. Unknown parameters are ignored so that cache-busting or
 * tracking parameters added by browsers and proxies do not break requests.
 */
export function searchRequestFromQuery(
  get: (name: string) => string | undefined,
  limits: SearchLimits,
): SearchRequest {
  const request: SearchRequest = {};
  const q = get('q');
  if (q !== undefined) request.q = checkQuery(q, limits);
  const filter = get('filter');
  if (filter !== undefined && filter.trim() !== '') request.filter = filter;
  const facets = get('facets');
  if (facets !== undefined) request.facets = splitList(facets);
  const sort = get('sort');
  if (sort !== undefined && sort !== '') request.sort = checkSort(sort);
  const limit = get('limit');
  if (limit !== undefined) request.limit = checkLimit(parseInteger('limit', limit), limits);
  const offset = get('offset');
  if (offset !== undefined) request.offset = checkOffset(parseInteger('offset', offset));
  for (const name of ['prefix', 'typos', 'highlight'] as const) {
    const value = get(name);
    if (value !== undefined) request[name] = parseBoolean(name, value);
  }
  const mode = get('mode');
  if (mode !== undefined && mode !== '') request.mode = checkMode(mode);
  const weights = get('weights');
  if (weights !== undefined && weights.trim() !== '') request.weights = parseWeights(weights);
  for (const name of ['ranker', 'userId'] as const) {
    const value = get(name);
    if (value !== undefined && value.trim() !== '') request[name] = checkName(name, value);
  }
  return request;
}

/** `lexical:1,text:0.5` (the query-string form of `weights`). */
function parseWeights(text: string): SourceWeights {
  const weights: Record<string, number> = {};
  for (const part of splitList(text)) {
    const [name, value] = part.split(':').map((s) => s.trim());
    weights[name ?? ''] = Number(value);
    if (value === undefined || value === '') weights[name ?? ''] = NaN;
  }
  return checkWeights(weights);
}

function checkWeights(value: unknown): SourceWeights {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('weights', 'Parameter "weights" must be an object such as {"lexical": 1, "text": 0.5}');
  }
  const weights: SourceWeights = {};
  for (const [name, weight] of Object.entries(value as Record<string, unknown>)) {
    if (!(WEIGHT_NAMES as readonly string[]).includes(name)) {
      throw invalid('weights', `Unknown weight "${name}"; known: ${WEIGHT_NAMES.join(', ')}`);
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw invalid('weights', `Weight "${name}" must be a number of 0 or more`);
    }
    weights[name as (typeof WEIGHT_NAMES)[number]] = weight;
  }
  return weights;
}

function checkMode(mode: string): SearchMode {
  const found = SEARCH_MODES.find((m) => m === mode);
  if (found === undefined) {
    throw invalid('mode', `Parameter "mode" must be one of ${SEARCH_MODES.join(', ')}; got "${mode}"`);
  }
  return found;
}

/** Validates a `POST /search` body; unlike the query string, unknown fields are rejected to catch typos. */
export function searchRequestFromBody(body: unknown, limits: SearchLimits): SearchRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('body', 'The search body must be a JSON object such as {"q": "hoodie", "limit": 10}');
  }
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!BODY_FIELDS.has(name)) {
      throw invalid(name, `Unknown search parameter "${name}"; known: ${[...BODY_FIELDS].join(', ')}`);
    }
  }
  const request: SearchRequest = {};
  const { q, filter, facets, sort, limit, offset } = fields;
  if (q !== undefined && q !== null) request.q = checkQuery(expectString('q', q), limits);
  if (filter !== undefined && filter !== null) {
    const text = expectString('filter', filter);
    if (text.trim() !== '') request.filter = text;
  }
  if (facets !== undefined && facets !== null) {
    if (typeof facets === 'string') {
      request.facets = splitList(facets);
    } else if (Array.isArray(facets) && facets.every((f) => typeof f === 'string')) {
      request.facets = splitList((facets as string[]).join(','));
    } else {
      throw invalid(
        'facets',
        'Parameter "facets" must be an array of field names or a comma-separated string',
      );
    }
  }
  if (sort !== undefined && sort !== null) request.sort = checkSort(expectString('sort', sort));
  if (limit !== undefined && limit !== null)
    request.limit = checkLimit(expectInteger('limit', limit), limits);
  if (offset !== undefined && offset !== null) request.offset = checkOffset(expectInteger('offset', offset));
  for (const name of ['prefix', 'typos', 'highlight'] as const) {
    const value = fields[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'boolean') throw invalid(name, `Parameter "${name}" must be true or false`);
    request[name] = value;
  }
  if (fields.mode !== undefined && fields.mode !== null)
    request.mode = checkMode(expectString('mode', fields.mode));
  if (fields.weights !== undefined && fields.weights !== null) request.weights = checkWeights(fields.weights);
  for (const name of ['ranker', 'userId'] as const) {
    const value = fields[name];
    if (value !== undefined && value !== null) request[name] = checkName(name, expectString(name, value));
  }
  return request;
}

/** A ranker version or shopper id: a short identifier, not free text. */
function checkName(name: 'ranker' | 'userId', value: string): string {
  if (value.length > 200) throw invalid(name, `Parameter "${name}" is longer than 200 characters`);
  return value;
}

function checkQuery(q: string, limits: SearchLimits): string {
  if (q.length > limits.maxQueryLength) {
    throw invalid('q', `Parameter "q" is longer than ${limits.maxQueryLength} characters`);
  }
  return q;
}

function checkSort(sort: string): SortOrder {
  const found = SORT_ORDERS.find((order) => order === sort);
  if (found === undefined) {
    throw invalid('sort', `Parameter "sort" must be one of ${SORT_ORDERS.join(', ')}; got "${sort}"`);
  }
  return found;
}

function checkLimit(limit: number, limits: SearchLimits): number {
  if (limit < 1 || limit > limits.maxLimit) {
    throw invalid('limit', `Parameter "limit" must be an integer from 1 to ${limits.maxLimit}; got ${limit}`);
  }
  return limit;
}

function checkOffset(offset: number): number {
  if (offset < 0)
    throw invalid('offset', `Parameter "offset" must be an integer of 0 or more; got ${offset}`);
  return offset;
}

function parseInteger(name: string, text: string): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw invalid(name, `Parameter "${name}" must be an integer; got "${text}"`);
  }
  return value;
}

function expectInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalid(name, `Parameter "${name}" must be an integer; got ${JSON.stringify(value)}`);
  }
  return value;
}

function expectString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(name, `Parameter "${name}" must be a string`);
  return value;
}

function parseBoolean(name: string, text: string): boolean {
  const normalised = text.trim().toLowerCase();
  if (normalised === 'true' || normalised === '1' || normalised === '') return true;
  if (normalised === 'false' || normalised === '0') return false;
  throw invalid(name, `Parameter "${name}" must be true or false; got "${text}"`);
}

function splitList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}

/** `details.field` names the parameter, as in the engine's own request errors. */
function invalid(field: string, message: string): SoukError {
  return new SoukError('INVALID_REQUEST', message, { field });
}
