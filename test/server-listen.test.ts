import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { startServer, type RunningServer } from '../src/server/start-server.ts';
import type { SearchResponse } from '../src/types.ts';
import { fetchJson } from './helpers/http.ts';
import { LUMA_CATALOGUE, LUMA_PRODUCT_COUNT } from './helpers/paths.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

let dataDir: string;
let engine: Engine;
let server: RunningServer | undefined;

before(async () => {
  dataDir = await makeTempDir();
  engine = await createEngine({ dataDir });
  await engine.ingest(LUMA_CATALOGUE);
});

after(async () => {
  await server?.close();
  await engine?.close();
  await removeTempDir(dataDir);
});

it('serves the API over real HTTP on a loopback ephemeral port and closes cleanly', async () => {
  server = await startServer(engine, { port: 0, config: { server: { adminKey: 'k' } } });
  assert.equal(server.host, '127.0.0.1');
  assert.ok(server.port > 0);
  assert.equal(server.url, `http://127.0.0.1:${server.port}`);

  const health = await fetchJson<{ status: string; products: number }>(`${server.url}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual([health.body.status, health.body.products], ['ok', LUMA_PRODUCT_COUNT]);

  const search = await fetchJson<SearchResponse>(`${server.url}/search?q=hoodie&limit=3`);
  assert.equal(search.status, 200);
  assert.equal(search.body.hits.length, 3);
  const image = search.body.hits[0]?.image ?? '';
  assert.ok(image.startsWith('/products/'), image);
  const photo = await fetch(new URL(image, server.url));
  assert.equal(photo.status, 200);
  assert.equal(photo.headers.get('content-type'), 'image/jpeg');
  assert.ok((await photo.arrayBuffer()).byteLength > 1000);

  const unauthorised = await fetchJson(`${server.url}/products/X`, { method: 'DELETE' });
  assert.equal(unauthorised.status, 401);

  // A keep-alive connection left open by fetch must not hold close() up.
  const started = Date.now();
  await server.close();
  assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
  await assert.rejects(fetch(`${server.url}/health`, { signal: AbortSignal.timeout(2000) }));
});

it('reports a port already in use as a clear error', async () => {
  const first = await startServer(engine, { port: 0 });
  try {
    await assert.rejects(startServer(engine, { port: first.port }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INVALID_REQUEST');
      assert.match(error.message, /already in use/);
      return true;
    });
  } finally {
    await first.close();
  }
});
