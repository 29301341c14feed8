/**
 * The OpenAPI 3.1 description of the HTTP API (`GET /openapi.json`) and a small offline page listing its
 * operations (`GET /docs`). Hand-written; test/server-openapi.test.ts checks that every route the app
 * registers is described here.
 */

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ 'application/json': { schema } });
const ok = (description: string, schema: Json = { type: 'object' }): Json => ({
  '200': { description, content: json(schema) },
});
const errors = (...statuses: string[]): Json =>
  Object.fromEntries(
    statuses.map((status) => [status, { description: 'Error', content: json(ref('Error')) }]),
  );
const admin = [{ adminKey: [] }];
const pathId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const query = (name: string, type: string, description: string): Json => ({
  name,
  in: 'query',
  required: false,
  schema: { type },
  description,
});

const SEARCH_QUERY_PARAMETERS = [
  query('q', 'string', 'Query text; empty browses the catalogue'),
  query('filter', 'string', 'Filter expression, e.g. `brand = Acme AND price 10 TO 50`'),
  query('facets', 'string', 'Comma-separated facet fields'),
  query('sort', 'string', 'relevance, price:asc, price:desc, rating:desc, rating:asc'),
  query('limit', 'integer', 'Page size'),
  query('offset', 'integer', 'Page start'),
  query('prefix', 'boolean', 'Last word as a prefix'),
  query('typos', 'boolean', 'Typo tolerance'),
  query('highlight', 'boolean', 'Mark matched title terms'),
  query('mode', 'string', 'keyword, semantic, hybrid, image'),
  query('weights', 'string', 'Per-source fusion weights, e.g. `lexical:1,text:0.5`'),
  query('ranker', 'string', 'active, none, or a ranker version'),
  query('userId', 'string', 'Shopper id for personalised ranking'),
];

const ANALYTICS_PARAMETERS = [
  query('period', 'string', '24h (default), 7d, 30d or all'),
  query('limit', 'integer', 'Rows, 1 to 1000 (default 20)'),
];

export const OPENAPI_DOCUMENT: Json = {
  openapi: '3.1.0',
  info: {
    title: 'souk',
    version: '1',
    description: 'Product search for one shop: keyword, semantic, hybrid and image search over a catalogue.',
  },
  components: {
    securitySchemes: { adminKey: { type: 'http', scheme: 'bearer', description: 'The server admin key' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message', 'details'],
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              details: { type: 'object' },
            },
          },
        },
      },
      SearchRequest: {
        type: 'object',
        additionalProperties: false,
        properties: {
          q: { type: 'string' },
          filter: { type: 'string' },
          facets: { oneOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] },
          sort: { enum: ['relevance', 'price:asc', 'price:desc', 'rating:desc', 'rating:asc'] },
          limit: { type: 'integer', minimum: 1 },
          offset: { type: 'integer', minimum: 0 },
          prefix: { type: 'boolean' },
          typos: { type: 'boolean' },
          highlight: { type: 'boolean' },
          mode: { enum: ['keyword', 'semantic', 'hybrid', 'image'] },
          weights: {
            type: 'object',
            properties: { lexical: { type: 'number' }, text: { type: 'number' }, image: { type: 'number' } },
          },
          ranker: { type: 'string' },
          userId: { type: 'string' },
        },
      },
      SearchHit: {
        type: 'object',
        required: ['id', 'score', 'title'],
        properties: {
          id: { type: 'string' },
          score: { type: 'number' },
          title: { type: 'string' },
          highlight: { type: 'string' },
          brand: { type: 'string' },
          category: { type: 'array', items: { type: 'string' } },
          price: { type: 'number' },
          currency: { type: 'string' },
          image: { type: 'string' },
          images: { type: 'array', items: { type: 'string' } },
          rating: { type: 'number' },
        },
      },
      SearchResponse: {
        type: 'object',
        required: ['hits', 'total', 'offset', 'limit', 'query', 'mode', 'tookMs'],
        properties: {
          hits: { type: 'array', items: ref('SearchHit') },
          total: { type: 'integer' },
          offset: { type: 'integer' },
          limit: { type: 'integer' },
          facets: { type: 'object' },
          query: { type: 'string' },
          mode: { type: 'string' },
          warnings: { type: 'array', items: { type: 'string' } },
          ranker: { type: 'string' },
          suggestion: { type: 'string' },
          tookMs: { type: 'number' },
        },
      },
      Product: {
        type: 'object',
        required: ['id', 'title'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          description: { type: 'string' },
          brand: { type: 'string' },
          category: { type: 'array', items: { type: 'string' } },
          price: { type: 'number' },
          currency: { type: 'string' },
          image: { type: 'string' },
          images: { type: 'array', items: { type: 'string' } },
          attributes: { type: 'object' },
          rating: { type: 'number' },
          reviews: { type: 'integer' },
          lang: { type: 'string' },
        },
      },
      FeedbackEvent: {
        type: 'object',
        required: ['type', 'query', 'productId'],
        properties: {
          type: { enum: ['impression', 'click', 'add_to_cart', 'purchase'] },
          query: { type: 'string' },
          productId: { type: 'string' },
          position: { type: 'integer' },
          userId: { type: 'string' },
          sessionId: { type: 'string' },
          at: { oneOf: [{ type: 'string' }, { type: 'number' }] },
        },
      },
    },
  },
  paths: {
    '/': { get: { summary: 'The search page', responses: { '200': { description: 'HTML page' } } } },
    '/web/{file}': {
      get: {
        summary: 'Static files of the search page',
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'The file' }, ...errors('404') },
      },
    },
    '/health': {
      get: {
        summary: "Liveness: product count, the store's change sequence and the one the indexes reflect",
        responses: ok('OK'),
      },
    },
    '/ready': {
      get: {
        summary: 'Readiness: 200 while the engine is open, 503 while it closes',
        responses: { ...ok('Ready'), '503': { description: 'Not ready', content: json({ type: 'object' }) } },
      },
    },
    '/search': {
      get: {
        summary: 'Search',
        parameters: SEARCH_QUERY_PARAMETERS,
        responses: { ...ok('Results', ref('SearchResponse')), ...errors('400', '404') },
      },
      post: {
        summary: 'Search with the parameters as a JSON body',
        requestBody: { required: true, content: json(ref('SearchRequest')) },
        responses: { ...ok('Results', ref('SearchResponse')), ...errors('400', '404', '413') },
      },
    },
    '/search/image': {
      post: {
        summary: 'Search by a photo (multipart field `image`, or raw image bytes)',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: { type: 'object', properties: { image: { type: 'string', format: 'binary' } } },
            },
            'image/*': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: { ...ok('Results', ref('SearchResponse')), ...errors('400', '413', '415') },
      },
    },
    '/search/batch': {
      post: {
        summary: 'Several searches in one request (query texts embedded in one embedder call)',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['queries'],
            properties: {
              queries: { type: 'array', items: ref('SearchRequest'), minItems: 1, maxItems: 100 },
            },
          }),
        },
        responses: {
          ...ok('One response per query, in order', {
            type: 'object',
            properties: { results: { type: 'array', items: ref('SearchResponse') } },
          }),
          ...errors('400', '404', '413'),
        },
      },
    },
    '/rerank': {
      post: {
        summary: 'Rank the given products for a query (unmatched ones last)',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['q', 'ids'],
            properties: {
              q: { type: 'string' },
              ids: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1000 },
              mode: { enum: ['keyword', 'semantic', 'hybrid'] },
              ranker: { type: 'string' },
              userId: { type: 'string' },
              weights: { type: 'object' },
              filter: { type: 'string' },
              typos: { type: 'boolean' },
            },
          }),
        },
        responses: {
          ...ok('The ids, best first', {
            type: 'object',
            properties: {
              hits: {
                type: 'array',
                items: { type: 'object', properties: { id: { type: 'string' }, score: { type: 'number' } } },
              },
              missing: { type: 'array', items: { type: 'string' } },
            },
          }),
          ...errors('400', '404', '413'),
        },
      },
    },
    '/suggest': {
      get: {
        summary: 'Query suggestions from popular queries and product titles (prefix and pinyin aware)',
        parameters: [query('q', 'string', 'What was typed so far'), query('limit', 'integer', '1 to 50')],
        responses: {
          ...ok('Suggestions, best first', {
            type: 'object',
            properties: {
              suggestions: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    text: { type: 'string' },
                    source: { enum: ['query', 'product'] },
                    score: { type: 'number' },
                  },
                },
              },
            },
          }),
          ...errors('400'),
        },
      },
    },
    '/products': {
      post: {
        summary: 'Batch upsert: a JSON array, {"products": […]}, or JSON Lines',
        security: admin,
        requestBody: { required: true, content: json({ type: 'array', items: ref('Product') }) },
        responses: { ...ok('Counts and per-item errors'), ...errors('400', '401', '413') },
      },
    },
    '/products/{id}': {
      get: {
        summary: 'One product',
        parameters: [pathId],
        responses: { ...ok('The product', ref('Product')), ...errors('404') },
      },
      put: {
        summary: 'Create or replace a product',
        security: admin,
        parameters: [pathId],
        requestBody: { required: true, content: json(ref('Product')) },
        responses: { ...ok('Written'), ...errors('400', '401') },
      },
      patch: {
        summary: 'Partial update (`null` removes a field)',
        security: admin,
        parameters: [pathId],
        requestBody: { required: true, content: json({ type: 'object' }) },
        responses: { ...ok('The updated product', ref('Product')), ...errors('400', '401', '404') },
      },
      delete: {
        summary: 'Delete a product',
        security: admin,
        parameters: [pathId],
        responses: { ...ok('Deleted'), ...errors('401', '404') },
      },
    },
    '/products/{id}/similar': {
      get: {
        summary: 'Products like this one',
        parameters: [
          pathId,
          query('limit', 'integer', 'Page size'),
          query('offset', 'integer', 'Page start'),
          query('filter', 'string', 'Filter expression'),
        ],
        responses: { ...ok('Results', ref('SearchResponse')), ...errors('400', '404') },
      },
    },
    '/products/{id}/images/{slot}': {
      get: {
        summary: "The product's n-th photo",
        parameters: [pathId, { name: 'slot', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: { '200': { description: 'Image bytes' }, ...errors('404') },
      },
    },
    '/feedback': {
      post: {
        summary: 'Log behaviour events (one, an array, or {"events": […]})',
        security: admin,
        requestBody: { required: true, content: json({ type: 'array', items: ref('FeedbackEvent') }) },
        responses: { ...ok('Feedback-log sequence and count'), ...errors('400', '401', '413') },
      },
    },
    '/events/click': {
      post: {
        summary: 'One shopper click from the public page (rate-limited, no admin key)',
        requestBody: { required: true, content: json({ type: 'object' }) },
        responses: { ...ok('Logged'), ...errors('400', '404', '429') },
      },
    },
    '/analytics/queries': {
      get: {
        summary: 'Most searched queries over a period (searches, no-result searches, mean hits)',
        security: admin,
        parameters: ANALYTICS_PARAMETERS,
        responses: {
          ...ok('{"period", "queries": [{query, searches, noResults, meanHits, lastAt}]}'),
          ...errors('400', '401'),
        },
      },
    },
    '/analytics/no-results': {
      get: {
        summary: 'Queries searched most often without finding anything',
        security: admin,
        parameters: ANALYTICS_PARAMETERS,
        responses: { ...ok('{"period", "queries": [...]}'), ...errors('400', '401') },
      },
    },
    '/analytics/products': {
      get: {
        summary: 'Most clicked products over a period (from the feedback log)',
        security: admin,
        parameters: ANALYTICS_PARAMETERS,
        responses: {
          ...ok('{"period", "products": [{productId, clicks, lastAt}]}'),
          ...errors('400', '401'),
        },
      },
    },
    '/rules': {
      get: { summary: 'The search rules (synonyms, merchandising)', responses: ok('The rules') },
      put: {
        summary: 'Replace the search rules',
        security: admin,
        requestBody: { required: true, content: json({ type: 'object' }) },
        responses: { ...ok('The rules as stored'), ...errors('400', '401') },
      },
    },
    '/keys': {
      post: {
        summary:
          'Create a search key {filter?, rateLimit?: {perMinute, burst?}, name?}; the key is shown once',
        security: admin,
        requestBody: { required: true, content: json({ type: 'object' }) },
        responses: {
          '201': { description: 'id, key, scope, filter, rateLimit', content: json({ type: 'object' }) },
          ...errors('400', '401'),
        },
      },
      get: {
        summary: 'The search keys (no secrets)',
        security: admin,
        responses: { ...ok('{"keys": [...]}'), ...errors('401') },
      },
    },
    '/keys/{id}': {
      delete: {
        summary: 'Revoke a search key',
        security: admin,
        parameters: [pathId],
        responses: { ...ok('Revoked'), ...errors('401', '404') },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (requests, latencies, engine counters)',
        responses: { '200': { description: 'Prometheus text format' } },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: ok('OpenAPI 3.1 document') } },
    '/docs': {
      get: { summary: 'A page listing the operations', responses: { '200': { description: 'HTML page' } } },
    },
  },
};

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The operations of the document as an HTML page with no scripts or external resources. */
export function docsPage(document: Json = OPENAPI_DOCUMENT): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const lock = operation.security ? ' <small>(admin key)</small>' : '';
      rows.push(
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td>` +
          `<td>${escapeHtml(String(operation.summary ?? ''))}${lock}</td></tr>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>souk API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td{padding:.25rem .75rem;border-bottom:1px solid #ddd;vertical-align:top}</style>
</head><body><h1>souk HTTP API</h1>
<p>The machine-readable description: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table>${rows.join('\n')}</table></body></html>`;
}

/** The docs page uses no scripts; its style is inline. */
export const DOCS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'";
