/** GET /metrics: Prometheus text with request, search, cache, index, ingest and click-through figures. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hono } from 'hono';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { createApp } from '../src/server/app.ts';

const ADMIN_KEY = 'metrics-key';
const AUTH = { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' };

let engine: Engine;
let app: Hono;

before(async () => {
  engine = await createEngine({
    embedding: { text: { provider: 'none' }, image: { provider: 'none' } },
    cache: { enabled: true },
  });
  await engine.upsert([
    { id: 'A', title: 'Alpine Hoodie', brand: 'Luma', price: 40 },
    { id: 'B', title: 'Trail Shoe', brand: 'Luma', price: 80 },
  ]);
  app = createApp(engine, {
    config: { server: { adminKey: ADMIN_KEY } },
    onServerError: (error) => assert.fail(`unexpected server error: ${error.code} ${error.message}`),
  });
});
after(() => engine.close());

/** The value of one sample line (`name{labels} value`), undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    if (Object.entries(labels).every(([key, value]) => got[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(target: Hono = app): Promise<string> {
  const response = await target.request('/metrics');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  return response.text();
}

describe('GET /metrics', () => {
  it('counts requests, searches, zero results, cache hits, writes and clicks', async () => {
    await scrape(); // the first scrape sets the write baseline
    for (let i = 0; i < 3; i++) assert.equal((await app.request('/search?q=hoodie')).status, 200);
    assert.equal((await app.request('/search?q=zzzzqqq')).status, 200);
    assert.equal((await app.request('/search?limit=-1')).status, 400);
    const put = await app.request('/products/C', {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ id: 'C', title: 'Rain Jacket', price: 99 }),
    });
    assert.equal(put.status, 200);
    const clicks = [1, 2, 7].map((position, i) => ({
      type: 'click',
      productId: 'A',
      query: 'hoodie',
      position,
      at: Date.UTC(2026, 4, 1) + i,
    }));
    const feedback = await app.request('/feedback', {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify(clicks),
    });
    assert.equal(feedback.status, 200, await feedback.clone().text());

    const text = await scrape();
    const search = { route: '/search', method: 'GET', status: '200', mode: 'keyword' };
    assert.equal(sample(text, 'souk_http_requests_total', search), 4);
    assert.equal(sample(text, 'souk_http_requests_total', { route: '/search', status: '400' }), 1);
    assert.equal(
      sample(text, 'souk_http_request_duration_seconds_count', { route: '/search', mode: 'keyword' }),
      4,
    );
    assert.equal(sample(text, 'souk_searches_total', { mode: 'keyword' }), 4);
    assert.equal(sample(text, 'souk_search_zero_results_total', { mode: 'keyword' }), 1);
    assert.equal(sample(text, 'souk_result_cache', { kind: 'hits' }), 2);
    assert.equal(sample(text, 'souk_result_cache', { kind: 'misses' }), 2);
    assert.equal(sample(text, 'souk_result_cache_hit_ratio'), 0.5);
    assert.equal(sample(text, 'souk_index', { kind: 'products' }), 3);
    assert.ok((sample(text, 'souk_index', { kind: 'terms' }) ?? 0) > 0);
    assert.ok((sample(text, 'souk_index', { kind: 'bytes' }) ?? 0) > 0);
    assert.equal(sample(text, 'souk_products_written_total'), 1);
    assert.equal(sample(text, 'souk_feedback_clicks_total', { position: '1' }), 1);
    assert.equal(sample(text, 'souk_feedback_clicks_total', { position: '2-3' }), 1);
    assert.equal(sample(text, 'souk_feedback_clicks_total', { position: '6-10' }), 1);
    assert.equal(sample(text, 'souk_http_requests_total', { route: '/metrics' }), undefined);
  });

  it('keeps one registry per app', async () => {
    const other = createApp(engine, { config: { server: { adminKey: ADMIN_KEY } } });
    const text = await scrape(other);
    assert.equal(sample(text, 'souk_http_requests_total', { route: '/search' }), undefined);
  });
});
