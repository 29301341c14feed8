import type { Hono } from 'hono';
import type { Engine } from '../engine-api.ts';
import { SoukError, toSoukError } from '../errors.ts';
import type { SearchRequest, SearchResponse } from '../types.ts';
import { readJsonBody } from './body.ts';
import { rewriteHit } from './image-urls.ts';
import { searchRequestFromBody, type SearchLimits } from './search-params.ts';

export interface BatchRouteOptions {
  engine: Engine;
  limits: SearchLimits;
  maxBodyBytes: number;
  /** Most queries in one `POST /search/batch` (`server.maxBatchQueries`). */
  maxBatchQueries: number;
}

/** Most product ids one `POST /rerank` ranks. */
export const MAX_RERANK_IDS = 1000;
/** Most suggestions one `GET /suggest` returns. */
export const MAX_SUGGESTIONS = 50;
const MAX_ID_LENGTH = 256;
const RERANK_FIELDS = new Set(['q', 'ids', 'mode', 'ranker', 'userId', 'weights', 'filter', 'typos']);

/** `POST /search/batch`, `POST /rerank` and `GET /suggest`. */
export function batchRoutes(app: Hono, options: BatchRouteOptions): void {
  const { engine, limits, maxBodyBytes } = options;

  app.post('/search/batch', async (c) => {
    const body = await readJsonBody(c.req.raw, maxBodyBytes);
    const requests = batchRequestFromBody(body, limits, options.maxBatchQueries);
    let responses: SearchResponse[];
    try {
      responses = await engine.searchBatch(requests);
    } catch (error) {
      throw namedBatchError(error);
    }
    return c.json({ results: responses.map((r) => ({ ...r, hits: r.hits.map(rewriteHit) })) });
  });

  app.post('/rerank', async (c) => {
    const request = rerankRequestFromBody(await readJsonBody(c.req.raw, maxBodyBytes), limits);
    const response = await engine.search(request);
    const hits = response.hits.map((hit) => ({ id: hit.id, score: hit.score }));
    const found = new Set(hits.map((hit) => hit.id));
    const missing = (request.ids ?? []).filter((id) => !found.has(id));
    const result: Record<string, unknown> = { hits, mode: response.mode, tookMs: response.tookMs };
    if (response.ranker !== undefined) result.ranker = response.ranker;
    if (missing.length > 0) result.missing = missing;
    return c.json(result);
  });

  app.get('/suggest', async (c) => {
    const q = c.req.query('q') ?? '';
    if (q.length > limits.maxQueryLength) {
      throw invalid('q', `Parameter "q" is longer than ${limits.maxQueryLength} characters`);
    }
    const limitText = c.req.query('limit');
    let limit = 10;
    if (limitText !== undefined && limitText !== '') {
      limit = Number(limitText);
      if (!/^\d+$/.test(limitText.trim()) || limit < 1 || limit > MAX_SUGGESTIONS) {
        throw invalid('limit', `Parameter "limit" must be an integer from 1 to ${MAX_SUGGESTIONS}`);
      }
    }
    return c.json({ suggestions: await engine.suggest(q, { limit }) });
  });
}

/** `{"queries": [<POST /search body>, …]}`; errors name the query: `queries[2].limit`. */
export function batchRequestFromBody(
  body: unknown,
  limits: SearchLimits,
  maxQueries: number,
): SearchRequest[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('body', 'The batch body must be a JSON object such as {"queries": [{"q": "hoodie"}]}');
  }
  for (const name of Object.keys(body)) {
    if (name !== 'queries') throw invalid(name, `Unknown batch parameter "${name}"; known: queries`);
  }
  const { queries } = body as { queries?: unknown };
  if (!Array.isArray(queries) || queries.length === 0) {
    throw invalid('queries', 'Parameter "queries" must be a non-empty array of search requests');
  }
  if (queries.length > maxQueries) {
    throw new SoukError(
      'INVALID_REQUEST',
      `A batch takes at most ${maxQueries} queries; got ${queries.length}`,
      {
        field: 'queries',
        limit: maxQueries,
      },
    );
  }
  return queries.map((query, i) => {
    try {
      return searchRequestFromBody(query, limits);
    } catch (error) {
      throw renamed(toSoukError(error), i);
    }
  });
}

/** `{"q", "ids": [...], "mode"?, "ranker"?, "userId"?, "weights"?, "filter"?, "typos"?}` as a search of exactly those ids. */
export function rerankRequestFromBody(body: unknown, limits: SearchLimits): SearchRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid(
      'body',
      'The rerank body must be a JSON object such as {"q": "hoodie", "ids": ["p1", "p2"]}',
    );
  }
  const { ids, ...rest } = body as Record<string, unknown>;
  for (const name of Object.keys(body)) {
    if (!RERANK_FIELDS.has(name)) {
      throw invalid(name, `Unknown rerank parameter "${name}"; known: ${[...RERANK_FIELDS].join(', ')}`);
    }
  }
  if (typeof rest.q !== 'string' || rest.q.trim() === '') {
    throw invalid('q', 'Parameter "q" must be a non-empty query string');
  }
  const maxIds = Math.min(MAX_RERANK_IDS, limits.maxLimit);
  if (!Array.isArray(ids) || ids.length === 0) {
    throw invalid('ids', 'Parameter "ids" must be a non-empty array of product ids');
  }
  if (ids.length > maxIds) {
    throw new SoukError('INVALID_REQUEST', `Parameter "ids" takes at most ${maxIds} ids; got ${ids.length}`, {
      field: 'ids',
      limit: maxIds,
    });
  }
  ids.forEach((id, i) => {
    if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) {
      throw invalid(
        `ids[${i}]`,
        `ids[${i}] must be a product id (a string of 1 to ${MAX_ID_LENGTH} characters)`,
      );
    }
  });
  const unique = [...new Set(ids as string[])];
  const request = searchRequestFromBody(rest, limits);
  return { ...request, ids: unique, limit: unique.length, offset: 0, highlight: false };
}

function renamed(error: SoukError, index: number): SoukError {
  const field = typeof error.details.field === 'string' ? error.details.field : undefined;
  const name = field === undefined || field === 'body' ? `queries[${index}]` : `queries[${index}].${field}`;
  const message = `queries[${index}]: ${error.message}`;
  return new SoukError(error.code, message, { ...error.details, field: name, index }, { cause: error });
}

/** An engine error of one batch query (details.index) names it like the validation errors do. */
function namedBatchError(error: unknown): SoukError {
  const cause = toSoukError(error);
  const index = cause.details.index;
  if (typeof index !== 'number') return cause;
  const inner = cause.cause instanceof SoukError ? cause.cause : cause;
  return renamed(inner, index);
}

function invalid(field: string, message: string): SoukError {
  return new SoukError('INVALID_REQUEST', message, { field });
}
