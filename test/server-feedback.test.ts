import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hono } from 'hono';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import type { FeedbackStats } from '../src/rank/feedback-stats.ts';
import { createApp } from '../src/server/app.ts';

const ADMIN_KEY = 'feedback-key';
const AUTH = { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' };
const T0 = Date.UTC(2026, 4, 1);

let engine: Engine;
let app: Hono;

before(async () => {
  engine = await createEngine({ embedding: { text: { provider: 'none' }, image: { provider: 'none' } } });
  await engine.upsert([{ id: 'A', title: 'Alpine Hoodie', brand: 'Luma', category: ['Men', 'Tops'] }]);
  app = createApp(engine, {
    config: { server: { adminKey: ADMIN_KEY, maxBodyBytes: 4096 } },
    onServerError: (error) => assert.fail(`unexpected server error: ${error.code} ${error.message}`),
  });
});
after(() => engine.close());

async function post(body: unknown, headers: Record<string, string> = AUTH) {
  const response = await app.request('/feedback', {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const errorOf = (body: Record<string, unknown>) =>
  body.error as { code: string; message: string; details: Record<string, unknown> };

describe('POST /feedback', () => {
  it('needs the admin key', async () => {
    const event = { type: 'click', query: 'hoodie', productId: 'A' };
    assert.equal((await post(event, { 'Content-Type': 'application/json' })).status, 401);
    const wrong = await post(event, { Authorization: 'Bearer nope', 'Content-Type': 'application/json' });
    assert.equal(wrong.status, 401);
    assert.equal(errorOf(wrong.body).code, 'UNAUTHORIZED');
    const closed = createApp(engine, { config: { server: {} } });
    const response = await closed.request('/feedback', { method: 'POST', body: JSON.stringify(event) });
    assert.equal(response.status, 401, 'no admin key configured: writes are disabled');
    assert.equal((await engine.stats()).feedback, 0);
  });

  it('takes one event, an array or {events}, and answers {seq, count}', async () => {
    assert.deepEqual(
      (await post({ type: 'impression', query: 'hoodie', productId: 'A', position: 3, at: T0 })).body,
      {
        seq: 1,
        count: 1,
      },
    );
    const pair = [
      { type: 'click', query: 'Hoodie', productId: 'A', position: 3, userId: 'u1', at: T0 + 1 },
      { type: 'purchase', query: 'hoodie', productId: 'A', userId: 'u1', at: new Date(T0 + 2).toISOString() },
    ];
    assert.deepEqual((await post(pair)).body, { seq: 3, count: 2 });
    assert.deepEqual((await post({ events: [pair[0]] })).body, { seq: 4, count: 1 });
    assert.deepEqual((await post([])).body, { seq: 4, count: 0 });
    const stats = (engine as unknown as { feedbackStats: FeedbackStats }).feedbackStats;
    assert.equal(stats.queryProductStats('hoodie').get('A')!.debiasedClicks, 6);
    assert.ok(stats.brandAffinity('u1', 'Luma') > 0);
    assert.equal((await engine.stats()).feedback, 4);
  });

  it('rejects bad events with their path, writing none of the request', async () => {
    const bad = await post({
      events: [
        { type: 'click', query: 'q', productId: 'A' },
        { type: 'click', query: 'q', productId: 'A' },
        { type: 'click', query: 'q', productId: 'A' },
        { type: 'click', query: 'q', productId: 'A', position: 'top' },
      ],
    });
    assert.equal(bad.status, 400);
    const error = errorOf(bad.body);
    assert.equal(error.code, 'INVALID_FIELD');
    assert.equal(error.details.field, 'events[3].position');
    assert.match(error.message, /events\[3\]\.position/);
    const single = await post({ type: 'view', query: 'q', productId: 'A' });
    assert.equal(errorOf(single.body).details.field, 'type');
    const missing = await post([{ type: 'click', productId: 'A' }]);
    assert.equal(errorOf(missing.body).code, 'MISSING_FIELD');
    assert.equal(errorOf(missing.body).details.field, 'events[0].query');
    for (const body of ['{"type": ', '', '42', '{"events": {}}', '[1]']) {
      const response = await post(body);
      assert.equal(response.status, 400, body);
    }
    assert.equal(errorOf((await post('[1]')).body).details.field, 'events[0]');
    assert.equal((await engine.stats()).feedback, 4, 'nothing was written');
  });

  it('bounds the body and the number of events', async () => {
    const many = Array.from({ length: 80 }, (_, i) => ({
      type: 'impression',
      query: 'hoodie',
      productId: 'A',
      position: i + 1,
    }));
    const large = await post(many);
    assert.equal(large.status, 413);
    assert.equal(errorOf(large.body).code, 'PAYLOAD_TOO_LARGE');
    const roomy = createApp(engine, { config: { server: { adminKey: ADMIN_KEY, maxBodyBytes: 1 << 20 } } });
    const response = await roomy.request('/feedback', {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify(Array.from({ length: 10_001 }, () => ({}))),
    });
    assert.equal(response.status, 413);
    assert.match(
      ((await response.json()) as { error: { message: string } }).error.message,
      /at most 10000 events/,
    );
    assert.equal((await engine.stats()).feedback, 4);
  });
});
