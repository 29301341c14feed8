/**
 * The HTTP API of vector retrieval on the Luma catalogue: retrieval modes and weights, image upload
 * (multipart and raw, over a real loopback socket too) with its limits, and similar products.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hono } from 'hono';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { createApp } from '../src/server/app.ts';
import { startServer } from '../src/server/start-server.ts';
import type { SearchResponse } from '../src/types.ts';
import { LUMA_CATALOGUE, LUMA_IMAGES } from './helpers/paths.ts';
import { createWordHashEmbedder } from './helpers/word-hash-embedder.ts';

const MAX_IMAGE_BYTES = 200_000;
const config = { server: { maxImageBytes: MAX_IMAGE_BYTES } };
let engine: Engine;
let app: Hono;
let photo: Uint8Array;

before(async () => {
  // The word-hash text embedder keeps this fast; photos go through the real visual descriptor.
  engine = await createEngine({ dataDir: null }, { textEmbedder: createWordHashEmbedder() });
  await engine.ingest(LUMA_CATALOGUE);
  const report = await engine.embed();
  assert.equal(report.failed, 0);
  app = createApp(engine, {
    config,
    onServerError: (error) => assert.fail(`unexpected server error: ${error.code} ${error.message}`),
  });
  photo = new Uint8Array(await readFile(join(LUMA_IMAGES, 'm/h/mh07-gray_back.jpg')));
});

after(() => engine.close());

async function json<T>(response: Response | Promise<Response>): Promise<{ status: number; body: T }> {
  const settled = await response;
  return { status: settled.status, body: (await settled.json()) as T };
}

function form(fields: Record<string, string | Blob>): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}

const errorCode = (body: unknown): string => (body as { error: { code: string } }).error.code;

describe('retrieval modes over HTTP', () => {
  it('answers each mode and says which one answered', async () => {
    for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
      const { status, body } = await json<SearchResponse>(
        app.request(`/search?q=hooded+sweatshirt&mode=${mode}`),
      );
      assert.equal(status, 200);
      assert.equal(body.mode, mode);
      assert.ok(body.hits.length > 0);
    }
    const posted = await json<SearchResponse>(
      app.request('/search', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ q: 'hoodie', mode: 'semantic', weights: { text: 2 } }),
      }),
    );
    assert.equal(posted.body.mode, 'semantic');
  });

  it('rejects unknown modes and weights with INVALID_REQUEST', async () => {
    for (const query of ['mode=fuzzy', 'weights=color:1', 'weights=text:-2', 'weights=text']) {
      const { status, body } = await json(app.request(`/search?q=hoodie&${query}`));
      assert.equal(status, 400, query);
      assert.equal(errorCode(body), 'INVALID_REQUEST', query);
    }
  });
});

describe('POST /search/image', () => {
  it('finds the product of an uploaded photo, with image URLs in the hits', async () => {
    const { status, body } = await json<SearchResponse>(
      app.request('/search/image', { method: 'POST', body: form({ image: new Blob([photo]) }) }),
    );
    assert.equal(status, 200);
    assert.equal(body.mode, 'image');
    assert.ok(
      body.hits.some((hit) => hit.id === 'MH07'),
      body.hits.map((h) => h.id).join(','),
    );
    assert.match(body.hits[0]?.image ?? '', /^\/products\/.+\/images\//);
  });

  it('takes the photo as the raw body too, and search parameters from the form', async () => {
    const raw = await json<SearchResponse>(
      app.request('/search/image?limit=3', {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: photo,
      }),
    );
    assert.equal(raw.status, 200);
    assert.equal(raw.body.hits.length, 3);
    const filtered = await json<SearchResponse>(
      app.request('/search/image', {
        method: 'POST',
        body: form({ image: new Blob([photo]), filter: 'category = Women', limit: '5' }),
      }),
    );
    assert.equal(filtered.status, 200);
    for (const hit of filtered.body.hits) assert.equal(hit.category?.[0], 'Women', hit.title);
    const withText = await json<SearchResponse>(
      app.request('/search/image', { method: 'POST', body: form({ image: new Blob([photo]), q: 'hoodie' }) }),
    );
    assert.equal(withText.body.mode, 'hybrid');
  });

  it('refuses what is not an acceptable image, naming why', async () => {
    const cases: Array<[string, RequestInit, number, string]> = [
      [
        'text file',
        { method: 'POST', body: form({ image: new Blob(['not an image']) }) },
        400,
        'INVALID_IMAGE',
      ],
      ['no image field', { method: 'POST', body: form({ q: 'hoodie' }) }, 400, 'INVALID_REQUEST'],
      [
        'too large',
        { method: 'POST', body: form({ image: new Blob([photo, new Uint8Array(MAX_IMAGE_BYTES)]) }) },
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'JSON body',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
        415,
        'UNSUPPORTED_FORMAT',
      ],
      [
        'broken JPEG',
        { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo.subarray(0, 200) },
        400,
        'INVALID_IMAGE',
      ],
    ];
    for (const [what, init, status, code] of cases) {
      const response = await json(app.request('/search/image', init));
      assert.equal(response.status, status, what);
      assert.equal(errorCode(response.body), code, what);
    }
  });

  it('accepts a multipart upload over a real loopback socket', async () => {
    const server = await startServer(engine, { port: 0, config });
    try {
      const { status, body } = await json<SearchResponse>(
        fetch(`${server.url}/search/image?limit=10`, {
          method: 'POST',
          body: form({ image: new Blob([photo]) }),
        }),
      );
      assert.equal(status, 200);
      assert.ok(body.hits.some((hit) => hit.id === 'MH07'));
    } finally {
      await server.close();
    }
  });
});

describe('GET /products/{id}/similar', () => {
  it('recommends other products like this one', async () => {
    const { status, body } = await json<SearchResponse>(app.request('/products/MH01/similar?limit=4'));
    assert.equal(status, 200);
    assert.equal(body.hits.length, 4);
    assert.ok(!body.hits.some((hit) => hit.id === 'MH01'));
    for (const hit of body.hits) assert.match(hit.category?.join(' > ') ?? '', /^Men > Tops/, hit.title);
  });

  it('filters recommendations and answers 404 for an unknown product', async () => {
    const { body } = await json<SearchResponse>(app.request('/products/MH01/similar?filter=price+%3C+40'));
    for (const hit of body.hits) assert.ok(hit.price! < 40);
    const missing = await json(app.request('/products/NOPE/similar'));
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing.body), 'PRODUCT_NOT_FOUND');
  });
});
