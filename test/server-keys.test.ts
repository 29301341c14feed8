/**
 * Search keys through a real server on loopback: created, listed and revoked by the admin, stored hashed
 * in the SQLite data directory (they survive a restart), scoped keys confined to their filter, per-key and
 * per-address rate limits (429 RATE_LIMITED with Retry-After), `server.searchKeyRequired` and CORS.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SoukConfig } from '../src/config.ts';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { scopeFilter } from '../src/server/api-keys.ts';
import { createApp } from '../src/server/app.ts';
import { startServer, type RunningServer } from '../src/server/start-server.ts';
import type { Product, SearchResponse } from '../src/types.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const ADMIN_KEY = 'keys-test-admin-key';
const ADMIN = { Authorization: `Bearer ${ADMIN_KEY}` };

const CATALOGUE: Product[] = [
  { id: 'a1', title: 'Running shoe, mesh', brand: 'Acme', price: 89 },
  { id: 'a2', title: 'Trail shoe, waterproof', brand: 'Acme', price: 129 },
  { id: 'n1', title: 'Leather shoe, oxford', brand: 'Nordic', price: 199 },
  { id: 'n2', title: 'Nordic shoe rack', brand: 'Nordic', price: 49 },
  { id: 'w1', title: 'Wooden shoe horn', brand: 'Woodline', price: 9 },
];

interface CreatedKey {
  id: string;
  key: string;
  scope: string;
  filter?: string;
  rateLimit?: { perMinute: number; burst?: number };
}

let dataDir: string;
let engine: Engine;
let server: RunningServer;

async function open(config: SoukConfig['server'] = {}): Promise<void> {
  engine = await createEngine({
    dataDir,
    embedding: { text: { provider: 'none' }, image: { provider: 'none' } },
  });
  server = await startServer(engine, {
    host: '127.0.0.1',
    port: 0,
    config: { server: { adminKey: ADMIN_KEY, ...config } },
    onServerError: (error) => assert.fail(`unexpected server error: ${error.code} ${error.message}`),
  });
}

async function shut(): Promise<void> {
  await server?.close();
  await engine?.close();
}

async function call<T>(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

async function createKey(body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const { status, body: created } = await call<CreatedKey>('/keys', { headers: ADMIN, body });
  assert.equal(status, 201, JSON.stringify(created));
  return created;
}

async function ids(path: string, key?: string, body?: unknown): Promise<string[]> {
  const { status, body: response } = await call<SearchResponse>(path, {
    ...(key ? { headers: bearer(key) } : {}),
    ...(body === undefined ? {} : { body }),
  });
  assert.equal(status, 200, JSON.stringify(response));
  return response.hits.map((hit) => hit.id).sort();
}

function errorCode(body: unknown): string {
  return (body as { error: { code: string } }).error.code;
}

before(async () => {
  dataDir = await makeTempDir();
  await open();
  await engine.upsert(CATALOGUE);
});

after(async () => {
  await shut();
  await removeTempDir(dataDir);
});

describe('search keys', () => {
  it('only the admin key creates, lists and revokes keys', async () => {
    assert.equal((await call('/keys', { body: {} })).status, 401);
    assert.equal((await call('/keys')).status, 401);
    const key = await createKey();
    assert.equal((await call('/keys', { headers: bearer(key.key), body: {} })).status, 401);
    assert.equal((await call('/keys', { headers: bearer(key.key) })).status, 401);
    assert.equal((await call(`/keys/${key.id}`, { method: 'DELETE', headers: bearer(key.key) })).status, 401);
    const bad = await call('/keys', { headers: ADMIN, body: { scope: 'admin' } });
    assert.equal(bad.status, 400);
    const badFilter = await call('/keys', { headers: ADMIN, body: { filter: 'brand = ' } });
    assert.equal(errorCode(badFilter.body), 'INVALID_FILTER');
  });

  it('a created key searches; a wrong or revoked key gets 401 even where search is public', async () => {
    const key = await createKey({ name: 'storefront' });
    assert.equal(key.scope, 'search');
    assert.match(key.key, /^souk_[0-9a-f]{16}_/);
    assert.deepEqual(await ids('/search?q=shoe', key.key), ['a1', 'a2', 'n1', 'n2', 'w1']);
    assert.deepEqual(await ids('/search?q=shoe'), ['a1', 'a2', 'n1', 'n2', 'w1']);
    assert.deepEqual(await ids('/search?q=shoe', ADMIN_KEY), ['a1', 'a2', 'n1', 'n2', 'w1']);
    const wrong = `${key.key.slice(0, -4)}AAAA`;
    const refused = await call('/search?q=shoe', { headers: bearer(wrong) });
    assert.equal(refused.status, 401);
    assert.equal(errorCode(refused.body), 'UNAUTHORIZED');
    assert.equal((await call('/search?q=shoe', { headers: bearer('nonsense') })).status, 401);

    const revoked = await call<{ revoked: string }>(`/keys/${key.id}`, { method: 'DELETE', headers: ADMIN });
    assert.equal(revoked.status, 200);
    assert.equal((await call('/search?q=shoe', { headers: bearer(key.key) })).status, 401);
    assert.equal((await call(`/keys/${key.id}`, { method: 'DELETE', headers: ADMIN })).status, 404);
  });

  it('a scoped key sees only its filter, whatever the request filter says', async () => {
    const key = await createKey({ filter: 'brand = Acme' });
    assert.equal(key.filter, 'brand = "Acme"');
    assert.deepEqual(await ids('/search?q=shoe', key.key), ['a1', 'a2']);
    assert.deepEqual(await ids('/search', key.key), ['a1', 'a2']);
    const widen = encodeURIComponent('brand = Acme OR brand = Nordic');
    assert.deepEqual(await ids(`/search?q=shoe&filter=${widen}`, key.key), ['a1', 'a2']);
    assert.deepEqual(await ids(`/search?q=shoe&filter=${widen}`), ['a1', 'a2', 'n1', 'n2']);
    assert.deepEqual(await ids('/search', key.key, { q: 'shoe', filter: 'NOT brand = Acme' }), []);
    // Text that would close the scope's parentheses is not a valid filter on its own.
    const escape = encodeURIComponent('brand = Acme) OR (brand = Nordic');
    const refused = await call(`/search?q=shoe&filter=${escape}`, { headers: bearer(key.key) });
    assert.equal(refused.status, 400);
    assert.equal(errorCode(refused.body), 'INVALID_FILTER');

    const batch = await call<{ results: SearchResponse[] }>('/search/batch', {
      headers: bearer(key.key),
      body: { queries: [{ q: 'shoe' }, { q: 'shoe', filter: 'brand = Nordic OR brand = Acme' }] },
    });
    assert.equal(batch.status, 200);
    for (const result of batch.body.results) {
      assert.deepEqual(result.hits.map((hit) => hit.id).sort(), ['a1', 'a2']);
    }
    const rerank = await call<{ hits: Array<{ id: string }>; missing?: string[] }>('/rerank', {
      headers: bearer(key.key),
      body: { q: 'shoe', ids: ['n1', 'a1', 'w1'] },
    });
    assert.deepEqual(
      rerank.body.hits.map((hit) => hit.id),
      ['a1'],
    );
    assert.deepEqual(rerank.body.missing?.sort(), ['n1', 'w1']);
    const similar = await call<SearchResponse>('/products/n1/similar', { headers: bearer(key.key) });
    assert.equal(similar.status, 200, JSON.stringify(similar.body));
    for (const hit of similar.body.hits) assert.ok(hit.id.startsWith('a'), hit.id);
    const open = await call<SearchResponse>('/products/n1/similar');
    assert.ok(open.body.hits.some((hit) => !hit.id.startsWith('a')));
    const suggest = await call<{ suggestions: Array<{ text: string }> }>('/suggest?q=sho', {
      headers: bearer(key.key),
    });
    assert.equal(suggest.status, 200);
    assert.ok(suggest.body.suggestions.length > 0);
    for (const s of suggest.body.suggestions) assert.match(s.text, /Running|Trail/);
  });

  it('a key over its rate limit gets 429 RATE_LIMITED with Retry-After', async () => {
    const key = await createKey({ rateLimit: { perMinute: 1, burst: 2 } });
    assert.deepEqual(key.rateLimit, { perMinute: 1, burst: 2 });
    assert.equal((await call('/search?q=shoe', { headers: bearer(key.key) })).status, 200);
    assert.equal((await call('/search?q=shoe', { headers: bearer(key.key) })).status, 200);
    const limited = await call('/search?q=shoe', { headers: bearer(key.key) });
    assert.equal(limited.status, 429);
    assert.equal(errorCode(limited.body), 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // Other keys, the admin and anonymous searches are not affected.
    assert.equal((await call('/search?q=shoe')).status, 200);
    assert.equal((await call('/search?q=shoe', { headers: ADMIN })).status, 200);
    const rejected = await call('/keys', { headers: ADMIN, body: { rateLimit: { perMinute: -1 } } });
    assert.equal(rejected.status, 400);
  });

  it('lists keys without secrets, stores only hashes, and keeps them across a restart', async () => {
    const scoped = await createKey({ filter: 'brand = Nordic', name: 'nordic' });
    const gone = await createKey();
    await call(`/keys/${gone.id}`, { method: 'DELETE', headers: ADMIN });
    const listed = await call<{ keys: Array<Record<string, unknown>> }>('/keys', { headers: ADMIN });
    assert.equal(listed.status, 200);
    const entry = listed.body.keys.find((k) => k.id === scoped.id);
    assert.deepEqual(entry && Object.keys(entry).sort(), ['createdAt', 'filter', 'id', 'name', 'scope']);
    assert.ok(!listed.body.keys.some((k) => k.id === gone.id));
    const text = JSON.stringify(listed.body);
    // `souk_<16 hex id>_<secret>`: the secret is base64url and may itself contain "_".
    const secret = /^souk_[0-9a-f]{16}_(.+)$/.exec(scoped.key)?.[1] ?? '';
    assert.ok(!text.includes(secret || 'missing'));

    const raw = await engine.getServerMeta('api-keys');
    assert.ok(raw !== undefined && raw.includes(scoped.id));
    assert.ok(secret.length > 20 && !raw.includes(secret));

    await shut();
    for (const file of await readdir(dataDir, { recursive: true })) {
      const bytes = await readFile(join(dataDir, file)).catch(() => undefined);
      if (bytes) assert.ok(!bytes.includes(secret), `${file} holds a key secret`);
    }
    await open({ searchKeyRequired: true });
    assert.deepEqual(await ids('/search?q=shoe', scoped.key), ['n1', 'n2']);
    assert.equal((await call('/search?q=shoe', { headers: bearer(gone.key) })).status, 401);
    const anonymous = await call('/search?q=shoe');
    assert.equal(anonymous.status, 401);
    assert.equal(errorCode(anonymous.body), 'UNAUTHORIZED');
    for (const path of ['/suggest?q=sho', '/products/a1/similar']) {
      assert.equal((await call(path)).status, 401, path);
    }
    assert.equal((await call('/search/batch', { body: { queries: [{ q: 'shoe' }] } })).status, 401);
    assert.equal((await call('/rerank', { body: { q: 'shoe', ids: ['a1'] } })).status, 401);
    assert.deepEqual(await ids('/search?q=shoe', ADMIN_KEY), ['a1', 'a2', 'n1', 'n2', 'w1']);
    // Non-search reads stay open.
    assert.equal((await call('/health')).status, 200);
  });

  it('limits anonymous searches per client address when configured', async () => {
    await shut();
    await open({ anonymousRateLimit: { perMinute: 1, burst: 1 } });
    assert.equal((await call('/search?q=shoe')).status, 200);
    const limited = await call('/search?q=shoe');
    assert.equal(limited.status, 429);
    assert.equal(errorCode(limited.body), 'RATE_LIMITED');
    assert.equal((await call('/search?q=shoe', { headers: ADMIN })).status, 200);
  });
});

describe('scopeFilter', () => {
  it('ANDs parsed trees, so the request stays inside the scope', () => {
    assert.equal(scopeFilter(undefined, 'brand = X'), 'brand = X');
    assert.equal(scopeFilter('brand = "A"', undefined), 'brand = "A"');
    assert.equal(scopeFilter('brand = "A"', '  '), 'brand = "A"');
    assert.match(scopeFilter('brand = "A"', 'brand = B OR brand = C') ?? '', /^brand = "A" AND \(.*OR.*\)$/);
    assert.throws(() => scopeFilter('brand = "A"', 'brand = B) OR (brand = C'), { code: 'INVALID_FILTER' });
  });
});

describe('CORS', () => {
  it('sends no CORS headers unless origins are configured', async () => {
    const plain = createApp(engine);
    const response = await plain.request('/search?q=shoe', { headers: { Origin: 'https://shop.example' } });
    assert.equal(response.headers.get('access-control-allow-origin'), null);

    const app = createApp(engine, { config: { server: { cors: { origins: ['https://shop.example'] } } } });
    const preflight = await app.request('/search', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://shop.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type',
      },
    });
    assert.ok(preflight.status === 204 || preflight.status === 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://shop.example');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
    const other = await app.request('/search?q=shoe', { headers: { Origin: 'https://evil.example' } });
    assert.notEqual(other.headers.get('access-control-allow-origin'), 'https://evil.example');

    const any = createApp(engine, { config: { server: { cors: { origins: ['*'] } } } });
    const open = await any.request('/search?q=shoe', { headers: { Origin: 'https://a.example' } });
    assert.equal(open.headers.get('access-control-allow-origin'), '*');
  });
});
