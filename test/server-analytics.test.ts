import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hono } from 'hono';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { createApp } from '../src/server/app.ts';

const ADMIN_KEY = 'analytics-key';
const AUTH = { Authorization: `Bearer ${ADMIN_KEY}` };

let engine: Engine;
let app: Hono;

before(async () => {
  engine = await createEngine({ embedding: { text: { provider: 'none' }, image: { provider: 'none' } } });
  await engine.upsert([
    { id: 'A', title: 'Alpine Hoodie', brand: 'Luma' },
    { id: 'B', title: 'Trail Tent', brand: 'Luma' },
  ]);
  app = createApp(engine, {
    config: { server: { adminKey: ADMIN_KEY } },
    onServerError: (error) => assert.fail(`unexpected server error: ${error.code} ${error.message}`),
  });
});
after(() => engine.close());

async function get(path: string, headers: Record<string, string> = AUTH) {
  const response = await app.request(path, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('GET /analytics/*', () => {
  it('needs the admin key', async () => {
    assert.equal((await get('/analytics/queries', {})).status, 401);
    assert.equal((await get('/analytics/products', { Authorization: 'Bearer wrong' })).status, 401);
  });

  it('counts the searches the server answered', async () => {
    for (const q of ['hoodie', 'Hoodie', 'tent', 'zzqx']) {
      assert.equal((await app.request(`/search?q=${q}`)).status, 200);
    }
    const post = await app.request('/search', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ q: 'zzqx' }),
    });
    assert.equal(post.status, 200);
    const popular = await get('/analytics/queries?period=24h&limit=2');
    assert.equal(popular.status, 200);
    const queries = popular.body.queries as Array<{ query: string; searches: number }>;
    assert.deepEqual(
      queries.map((q) => [q.query, q.searches]),
      [
        ['zzqx', 2],
        ['hoodie', 2],
      ],
    );
    const empty = await get('/analytics/no-results?period=all');
    assert.deepEqual(
      (empty.body.queries as Array<{ query: string }>).map((q) => q.query),
      ['zzqx'],
    );
  });

  it('ranks clicked products from the feedback log by period', async () => {
    const now = Date.now();
    await engine.feedback([
      { type: 'click', query: 'hoodie', productId: 'A', position: 1 },
      { type: 'click', query: 'tent', productId: 'B', position: 1 },
      { type: 'click', query: 'tent', productId: 'B', position: 2 },
      { type: 'impression', query: 'tent', productId: 'A', position: 2 },
      { type: 'click', query: 'old', productId: 'A', at: now - 10 * 24 * 3_600_000 },
      { type: 'click', query: 'old', productId: 'A', at: now - 10 * 24 * 3_600_000 },
    ]);
    const day = await get('/analytics/products?period=24h');
    assert.deepEqual(
      (day.body.products as Array<{ productId: string; clicks: number }>).map((p) => [p.productId, p.clicks]),
      [
        ['B', 2],
        ['A', 1],
      ],
    );
    const month = await get('/analytics/products?period=30d');
    assert.deepEqual(
      (month.body.products as Array<{ productId: string; clicks: number }>).map((p) => [
        p.productId,
        p.clicks,
      ]),
      [
        ['A', 3],
        ['B', 2],
      ],
    );
  });

  it('names a bad parameter', async () => {
    const bad = await get('/analytics/queries?period=1y');
    assert.equal(bad.status, 400);
    assert.equal((bad.body.error as { details: { field: string } }).details.field, 'period');
  });
});
