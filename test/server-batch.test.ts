/**
 * POST /search/batch, POST /rerank, GET /suggest, GET /ready, GET /openapi.json and /docs, through a real
 * server on loopback; a counting word-hash embedder shows that a batch embeds its query texts in one call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { createApp } from '../src/server/app.ts';
import { OPENAPI_DOCUMENT } from '../src/server/openapi.ts';
import { startServer, type RunningServer } from '../src/server/start-server.ts';
import type { Product, SearchResponse } from '../src/types.ts';
import { createWordHashEmbedder, type WordHashEmbedder } from './helpers/word-hash-embedder.ts';

const CATALOGUE: Product[] = [
  { id: 'p1', title: 'Leather sofa, three seats', brand: 'Nordic', price: 899 },
  { id: 'p2', title: 'Velvet sofa bed', brand: 'Nordic', price: 499 },
  { id: 'p3', title: 'Oak coffee table', brand: 'Woodline', price: 199 },
  { id: 'p4', title: 'Running shoe, mesh', brand: 'Acme', price: 89 },
  { id: 'p5', title: 'Trail shoe, waterproof', brand: 'Acme', price: 129 },
  { id: 'p6', title: 'Steel teapot 1.5 L', brand: 'Kitchenly', price: 39 },
  { id: 'z1', title: '小狗窝 冬季保暖', price: 59 },
  { id: 'z2', title: '小狗玩具 磨牙', price: 19 },
  { id: 'z3', title: '小猫抓板', price: 29 },
];

interface ErrorShape {
  error: { code: string; message: string; details: Record<string, unknown> };
}

let engine: Engine;
let embedder: WordHashEmbedder;
let server: RunningServer;

async function call<T>(path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const init: RequestInit =
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(server.url + path, init);
  return { status: response.status, body: (await response.json()) as T };
}

function assertError(body: unknown, code: string, field?: string): void {
  const { error } = body as ErrorShape;
  assert.equal(error.code, code, JSON.stringify(body));
  assert.ok(error.message.length > 0);
  assert.equal(typeof error.details, 'object');
  if (field !== undefined) assert.equal(error.details.field, field, JSON.stringify(body));
}

before(async () => {
  embedder = createWordHashEmbedder();
  engine = await createEngine({ dataDir: null }, { textEmbedder: embedder });
  await engine.upsert(CATALOGUE);
  await engine.embed();
  await engine.feedback([
    { type: 'click', query: 'sofa bed', productId: 'p2', position: 1 },
    { type: 'click', query: 'sofa bed', productId: 'p2', position: 1 },
    { type: 'click', query: 'sofa', productId: 'p1', position: 1 },
    { type: 'purchase', query: '小狗窝', productId: 'z1', position: 1 },
  ]);
  server = await startServer(engine, {
    port: 0,
    config: { server: { maxBatchQueries: 5 } },
    onServerError: (error) => assert.fail(`unexpected server error: ${error.code} ${error.message}`),
  });
});

after(async () => {
  await server?.close();
  await engine?.close();
});

describe('POST /search/batch', () => {
  it('answers every query in order, embedding the new query texts in one embedder call', async () => {
    const before = embedder.calls.length;
    const queries = [
      { q: 'couch', mode: 'semantic', limit: 2 },
      { q: 'sneakers', mode: 'semantic', limit: 2 },
      { q: 'oak table', mode: 'keyword', limit: 2 },
      { q: 'kettle', mode: 'hybrid', limit: 2 },
      { q: 'couch', mode: 'semantic', limit: 1 },
    ];
    const { status, body } = await call<{ results: SearchResponse[] }>('/search/batch', { queries });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.results.length, 5);
    assert.deepEqual(
      embedder.calls.slice(before),
      [['couch', 'sneakers', 'kettle']],
      'one call with the distinct texts',
    );
    assert.deepEqual(
      body.results.map((r) => r.query),
      queries.map((q) => q.q),
    );
    assert.ok(['p1', 'p2'].includes(body.results[0]!.hits[0]!.id));
    assert.ok(['p4', 'p5'].includes(body.results[1]!.hits[0]!.id));
    assert.equal(body.results[2]!.hits[0]!.id, 'p3');
    assert.equal(body.results[2]!.mode, 'keyword');
    assert.ok(
      body.results[3]!.hits.some((h) => h.id === 'p6'),
      JSON.stringify(body.results[3]!.hits),
    );
    assert.equal(body.results[4]!.hits.length, 1);

    // Now the vectors are cached: the same batch embeds nothing, and answers the same.
    const again = await call<{ results: SearchResponse[] }>('/search/batch', { queries });
    assert.equal(embedder.calls.length, before + 1);
    assert.deepEqual(
      again.body.results.map((r) => r.hits.map((h) => h.id)),
      body.results.map((r) => r.hits.map((h) => h.id)),
    );
  });

  it('gives the same answers as one search at a time', async () => {
    const single = await engine.search({ q: 'velvet sofa', mode: 'hybrid', limit: 3 });
    const [batched] = await engine.searchBatch([{ q: 'velvet sofa', mode: 'hybrid', limit: 3 }]);
    assert.deepEqual(
      batched!.hits.map((h) => [h.id, h.score]),
      single.hits.map((h) => [h.id, h.score]),
    );
  });

  it('names the bad query and field in the error envelope', async () => {
    const bad = await call('/search/batch', { queries: [{ q: 'a' }, { q: 'b' }, { q: 'c', limit: 0 }] });
    assert.equal(bad.status, 400);
    assertError(bad.body, 'INVALID_REQUEST', 'queries[2].limit');

    const unknown = await call('/search/batch', { queries: [{ q: 'a', colour: 'red' }] });
    assertError(unknown.body, 'INVALID_REQUEST', 'queries[0].colour');
    const notObject = await call('/search/batch', { queries: ['sofa'] });
    assertError(notObject.body, 'INVALID_REQUEST', 'queries[0]');

    const engineError = await call('/search/batch', {
      queries: [{ q: 'a' }, { q: 'sofa', filter: 'price <' }],
    });
    assert.equal(engineError.status, 400);
    assertError(engineError.body, 'INVALID_FILTER', 'queries[1]');
    assert.equal((engineError.body as ErrorShape).error.details.index, 1);
  });

  it('refuses empty, oversized and malformed batches', async () => {
    assertError((await call('/search/batch', { queries: [] })).body, 'INVALID_REQUEST', 'queries');
    assertError((await call('/search/batch', [{ q: 'a' }])).body, 'INVALID_REQUEST', 'body');
    const tooMany = await call('/search/batch', {
      queries: Array.from({ length: 6 }, () => ({ q: 'sofa' })),
    });
    assert.equal(tooMany.status, 400);
    assertError(tooMany.body, 'INVALID_REQUEST', 'queries');
    const response = await fetch(`${server.url}/search/batch`, { method: 'POST', body: '{"queries": [' });
    assert.equal(response.status, 400);
    assertError(await response.json(), 'INVALID_JSON');
  });
});

describe('POST /rerank', () => {
  it('ranks exactly the given ids, unmatched ones last, and reports unknown ones', async () => {
    const { status, body } = await call<{ hits: Array<{ id: string; score: number }>; missing?: string[] }>(
      '/rerank',
      { q: 'sofa', ids: ['p4', 'p2', 'p1', 'nope'], mode: 'keyword' },
    );
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.hits.map((h) => h.id).slice(2), ['p4']);
    assert.deepEqual(
      body.hits
        .map((h) => h.id)
        .slice(0, 2)
        .sort(),
      ['p1', 'p2'],
    );
    for (const hit of body.hits) assert.deepEqual(Object.keys(hit).sort(), ['id', 'score']);
    assert.deepEqual(body.missing, ['nope']);
  });

  it('refuses bad bodies with the error envelope', async () => {
    assertError((await call('/rerank', { q: 'sofa' })).body, 'INVALID_REQUEST', 'ids');
    assertError((await call('/rerank', { ids: ['p1'] })).body, 'INVALID_REQUEST', 'q');
    assertError((await call('/rerank', { q: 'sofa', ids: ['p1', 3] })).body, 'INVALID_REQUEST', 'ids[1]');
    assertError(
      (await call('/rerank', { q: 'sofa', ids: ['p1'], limit: 3 })).body,
      'INVALID_REQUEST',
      'limit',
    );
    const many = Array.from({ length: 1001 }, (_, i) => `p${i}`);
    const tooMany = await call('/rerank', { q: 'sofa', ids: many });
    assert.equal(tooMany.status, 400);
    assertError(tooMany.body, 'INVALID_REQUEST', 'ids');
  });
});

describe('GET /suggest', () => {
  interface Suggestions {
    suggestions: Array<{ text: string; source: string; score: number }>;
  }

  it('suggests popular queries and product titles for a prefix', async () => {
    const { status, body } = await call<Suggestions>('/suggest?q=so');
    assert.equal(status, 200, JSON.stringify(body));
    const texts = body.suggestions.map((s) => `${s.source}:${s.text}`);
    assert.equal(texts[0], 'query:sofa bed', texts.join(' | '));
    assert.ok(texts.includes('query:sofa'), texts.join(' | '));
    assert.ok(texts.includes('product:Velvet sofa bed'), texts.join(' | '));
    assert.ok(!texts.some((t) => /shoe|teapot/i.test(t)), texts.join(' | '));
  });

  it('reads pinyin and Chinese prefixes', async () => {
    const pinyin = await call<Suggestions>('/suggest?q=xiaog&limit=5');
    const texts = pinyin.body.suggestions.map((s) => s.text);
    assert.equal(texts[0], '小狗窝', texts.join(' | '));
    assert.ok(texts.includes('小狗玩具 磨牙'), texts.join(' | '));
    assert.ok(!texts.includes('小猫抓板'), texts.join(' | '));
    const chinese = await call<Suggestions>('/suggest?q=小狗');
    assert.ok(chinese.body.suggestions.length >= 2, JSON.stringify(chinese.body));
    assert.ok(chinese.body.suggestions.every((s) => s.text.includes('小狗')));
  });

  it('validates limit', async () => {
    const { status, body } = await call('/suggest?q=so&limit=0');
    assert.equal(status, 400);
    assertError(body, 'INVALID_REQUEST', 'limit');
    const limited = await call<Suggestions>('/suggest?q=s&limit=1');
    assert.equal(limited.body.suggestions.length, 1);
  });
});

describe('GET /ready, /openapi.json, /docs', () => {
  it('is ready while the engine is open, 503 once it closes', async () => {
    const { status, body } = await call<{ status: string }>('/ready');
    assert.equal(status, 200);
    assert.equal(body.status, 'ready');
    const other = await createEngine({ dataDir: null, embedding: { text: { provider: 'none' } } });
    const app = createApp(other);
    assert.equal((await app.request('/ready')).status, 200);
    const closing = other.close();
    const during = await app.request('/ready');
    assert.equal(during.status, 503);
    await closing;
    const closed = await app.request('/ready');
    assert.equal(closed.status, 503);
    assert.equal(((await closed.json()) as { status: string }).status, 'closed');
  });

  it('describes every route the app registers', async () => {
    const { status, body } = await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      '/openapi.json',
    );
    assert.equal(status, 200);
    assert.equal(body.openapi, '3.1.0');
    const app = createApp(engine);
    const handlers = app.routes.filter(
      (route) => route.method !== 'ALL' && !route.path.includes('*') && route.handler.length < 2,
    );
    assert.ok(handlers.length >= 15);
    for (const route of [...handlers, { method: 'GET', path: '/' }]) {
      const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
      assert.ok(body.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path} is not documented`);
    }
    // And every documented operation is a route (the app's 404 says "No route for").
    for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths as Record<string, object>)) {
      // The shopper page's routes (static files, public clicks) answer only for files and valid clicks.
      if (path === '/web/{file}' || path === '/events/click') continue;
      for (const method of Object.keys(item)) {
        const url = path.replace('{slot}', '0').replace(/\{[a-z]+\}/gi, 'x');
        const response = await app.request(url, { method: method.toUpperCase() });
        const text = await response.text();
        assert.ok(!text.includes('No route for'), `${method} ${path}: ${text.slice(0, 100)}`);
      }
    }
  });

  it('serves an offline docs page listing the operations', async () => {
    const response = await fetch(`${server.url}/docs`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const html = await response.text();
    assert.match(html, /<code>POST<\/code><\/td><td><code>\/search\/batch<\/code>/);
    assert.match(html, /\/suggest/);
    assert.doesNotMatch(html, /<script|https?:\/\//);
  });
});
