import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Hono } from 'hono';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { createApp } from '../src/server/app.ts';
import type { Product, SearchResponse } from '../src/types.ts';
import { LUMA_CATALOGUE, LUMA_IMAGES, LUMA_PRODUCT_COUNT } from './helpers/paths.ts';
import { assertHoodies } from './helpers/luma-assertions.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const ADMIN_KEY = 'test-admin-key';
const MAX_BODY_BYTES = 64 * 1024;
const AUTH = { Authorization: `Bearer ${ADMIN_KEY}` };
const JSON_AUTH = { ...AUTH, 'Content-Type': 'application/json' };

interface ErrorShape {
  error: { code: string; message: string; details: Record<string, unknown> };
}

let dataDir: string;
let engine: Engine;
let app: Hono;

async function getJson<T>(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await app.request(path, init);
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

async function search(query: string): Promise<SearchResponse> {
  const { status, body } = await getJson<SearchResponse>(`/search?${query}`);
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

function assertError(body: unknown, code: string): ErrorShape['error'] {
  const { error } = body as ErrorShape;
  assert.equal(error.code, code, JSON.stringify(body));
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  assert.equal(typeof error.details, 'object');
  return error;
}

before(async () => {
  dataDir = await makeTempDir();
  engine = await createEngine({ dataDir });
  const report = await engine.ingest(LUMA_CATALOGUE);
  assert.equal(report.loaded, LUMA_PRODUCT_COUNT, JSON.stringify(report.errors.slice(0, 3)));
  app = createApp(engine, {
    config: { server: { adminKey: ADMIN_KEY, maxBodyBytes: MAX_BODY_BYTES } },
    onServerError: (error) => assert.fail(`unexpected server error: ${error.code} ${error.message}`),
  });
});

after(async () => {
  await engine?.close();
  await removeTempDir(dataDir);
});

describe('GET /health and /', () => {
  it('reports the product count and change sequence', async () => {
    const { status, body } = await getJson<{ status: string; products: number; seq: number }>('/health');
    assert.equal(status, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.products, LUMA_PRODUCT_COUNT);
    assert.ok(body.seq > 0);
  });

  it('serves the web page with a search box', async () => {
    const response = await app.request('/');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await response.text();
    assert.match(html, /type="search"/);
    assert.match(html, /src="\/web\/app\.js"/);
  });
});

describe('GET /search', () => {
  it('returns Luma hoodies for q=hoodie with the SearchResponse shape', async () => {
    const body = await search('q=hoodie');
    assert.deepEqual(Object.keys(body).sort(), [
      'hits',
      'limit',
      'mode',
      'offset',
      'query',
      'tookMs',
      'total',
    ]);
    assert.equal(body.query, 'hoodie');
    assert.equal(body.mode, 'keyword', 'nothing is embedded here, so keyword search answers');
    assert.equal(body.offset, 0);
    assert.equal(body.limit, 10);
    assert.equal(typeof body.tookMs, 'number');
    assert.ok(body.total >= 10, `total ${body.total}`);
    assert.equal(body.hits.length, 10);
    assertHoodies(body.hits);
    for (const hit of body.hits) {
      assert.equal(typeof hit.id, 'string');
      assert.equal(typeof hit.score, 'number');
      assert.equal(typeof hit.price, 'number');
    }
    const scores = body.hits.map((hit) => hit.score);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
    for (const hit of body.hits) assert.match(hit.highlight ?? '', /<mark>Hoodl?ie<\/mark>/i, hit.highlight);
  });

  it('rewrites local image paths to URLs the app serves, never exposing file paths', async () => {
    const body = await search('q=hoodie&limit=3');
    const text = JSON.stringify(body);
    assert.ok(!text.includes(LUMA_IMAGES), 'response leaks a file path');
    const hit = body.hits[0]!;
    const id = encodeURIComponent(hit.id);
    assert.equal(hit.image, `/products/${id}/images/0`);
    assert.ok(hit.images && hit.images.length >= 1);
    hit.images.forEach((url, n) => assert.equal(url, `/products/${id}/images/${n}`));

    const stored = await engine.get(hit.id);
    const file = stored!.images![0]!;
    const response = await app.request(hit.image);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    assert.match(response.headers.get('cache-control') ?? '', /max-age=\d+/);
    const bytes = new Uint8Array(await response.arrayBuffer());
    assert.equal(bytes.length, (await stat(file)).size);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], 'not a JPEG');

    const etag = response.headers.get('etag');
    assert.ok(etag);
    const revalidated = await app.request(hit.image, { headers: { 'If-None-Match': etag } });
    assert.equal(revalidated.status, 304);

    const last = await app.request(hit.images[hit.images.length - 1]!);
    assert.equal(last.status, 200);
    assert.ok((await last.arrayBuffer()).byteLength > 0);
  });

  it('answers 404 for images a product does not have, and never reads paths from the request', async () => {
    for (const [path, code] of [
      ['/products/MH01/images/99', 'NOT_FOUND'],
      ['/products/MH01/images/-1', 'NOT_FOUND'],
      ['/products/MH01/images/..%2F..%2F..%2Fpackage.json', 'NOT_FOUND'],
      ['/products/MH01/images/%2Fetc%2Fpasswd', 'NOT_FOUND'],
      ['/products/NO-SUCH-PRODUCT/images/0', 'PRODUCT_NOT_FOUND'],
    ] as const) {
      const { status, body } = await getJson(path);
      assert.equal(status, 404, path);
      assertError(body, code);
    }
  });

  it('applies filter, facets, sort and pagination', async () => {
    const filtered = await search(`q=hoodie&filter=${encodeURIComponent('price 50 TO 60')}&limit=50`);
    assert.ok(filtered.total > 0);
    assert.ok(filtered.total < (await search('q=hoodie')).total);
    for (const hit of filtered.hits) assert.ok(hit.price! >= 50 && hit.price! <= 60, `price ${hit.price}`);

    const faceted = await search('q=hoodie&facets=color,category,price');
    assert.ok(faceted.facets, 'facets missing');
    const colors = faceted.facets.color?.values ?? [];
    assert.ok(colors.length > 0);
    assert.ok(
      colors.some((c) => c.value === 'Black' && c.count > 0),
      JSON.stringify(colors),
    );
    const categories = faceted.facets.category?.values ?? [];
    assert.ok(
      categories.some((c) => c.value.includes('Hoodies & Sweatshirts')),
      JSON.stringify(categories),
    );
    assert.ok(faceted.facets.price?.buckets?.length, JSON.stringify(faceted.facets.price));

    const sorted = await search('q=hoodie&sort=price:asc&limit=20');
    const prices = sorted.hits.map((hit) => hit.price!);
    assert.deepEqual(
      prices,
      [...prices].sort((a, b) => a - b),
    );
    const descending = await search('q=hoodie&sort=price:desc&limit=20');
    assert.ok(descending.hits[0]!.price! >= sorted.hits[0]!.price!);

    const all = await search('q=hoodie&limit=10');
    const first = await search('q=hoodie&limit=5&offset=0');
    const second = await search('q=hoodie&limit=5&offset=5');
    assert.equal(second.offset, 5);
    assert.equal(second.limit, 5);
    assert.deepEqual(
      [...first.hits, ...second.hits].map((hit) => hit.id),
      all.hits.map((hit) => hit.id),
    );
    const beyond = await search(`q=hoodie&offset=${all.total}`);
    assert.equal(beyond.hits.length, 0);
    assert.equal(beyond.total, all.total);
  });

  it('accepts prefix and typos switches', async () => {
    const typo = await search('q=hodie&typos=true');
    assert.ok(typo.hits.some((hit) => /Hoodie/.test(hit.title)));
    const strict = await search('q=hodie&typos=false&prefix=false');
    assert.equal(strict.total, 0);
    const prefix = await search('q=hood&prefix=true');
    assert.ok(prefix.total > 0);
  });

  it('rejects bad parameters with 400 INVALID_REQUEST naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['limit=1001', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=x', 'offset'],
      ['sort=cheapest', 'sort'],
      [`q=${'a'.repeat(513)}`, 'q'],
      ['typos=maybe', 'typos'],
      ['prefix=2', 'prefix'],
    ];
    for (const [query, param] of cases) {
      const { status, body } = await getJson(`/search?${query}`);
      assert.equal(status, 400, query);
      const error = assertError(body, 'INVALID_REQUEST');
      assert.equal(error.details.field, param, query);
      assert.match(error.message, new RegExp(`"${param}"`), query);
    }
  });

  it('rejects a filter it cannot parse with 400 INVALID_FILTER', async () => {
    const { status, body } = await getJson(`/search?q=hoodie&filter=${encodeURIComponent('price >= cheap')}`);
    assert.equal(status, 400);
    assertError(body, 'INVALID_FILTER');
  });
});

describe('POST /search', () => {
  it('takes the same fields as a JSON body', async () => {
    const viaGet = await search('q=jacket&facets=color&sort=price:asc&limit=4&offset=1');
    const { status, body } = await getJson<SearchResponse>('/search', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ q: 'jacket', facets: ['color'], sort: 'price:asc', limit: 4, offset: 1 }),
    });
    assert.equal(status, 200);
    assert.deepEqual(
      body.hits.map((hit) => hit.id),
      viaGet.hits.map((hit) => hit.id),
    );
    assert.deepEqual(body.facets, viaGet.facets);
    assert.ok(body.hits.every((hit) => hit.image?.startsWith('/products/')));
  });

  it('rejects invalid JSON, wrong types and unknown fields', async () => {
    const post = (body: string) =>
      getJson('/search', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    let result = await post('{"q": "hoodie",');
    assert.equal(result.status, 400);
    assertError(result.body, 'INVALID_JSON');

    result = await post(JSON.stringify({ q: 'hoodie', limit: '10' }));
    assert.equal(result.status, 400);
    assert.equal(assertError(result.body, 'INVALID_REQUEST').details.field, 'limit');

    result = await post(JSON.stringify({ query: 'hoodie' }));
    assert.equal(result.status, 400);
    assert.equal(assertError(result.body, 'INVALID_REQUEST').details.field, 'query');
  });
});

describe('/products', () => {
  const product: Product = {
    id: 'TEST-1',
    title: 'Zephyrine Trail Parka',
    description: 'A test parka for the API suite.',
    brand: 'Souk Test',
    category: ['Men', 'Tops', 'Jackets'],
    price: 123.5,
    currency: 'USD',
    attributes: { color: ['Teal'] },
  };

  it('returns a stored product with image URLs, and 404 for a missing one', async () => {
    const { status, body } = await getJson<Product>('/products/MH01');
    assert.equal(status, 200);
    assert.equal(body.id, 'MH01');
    assert.equal(body.image, '/products/MH01/images/0');
    assert.ok(body.images?.every((url, n) => url === `/products/MH01/images/${n}`));

    const missing = await getJson('/products/NOPE');
    assert.equal(missing.status, 404);
    assert.equal(assertError(missing.body, 'PRODUCT_NOT_FOUND').details.id, 'NOPE');
  });

  it('refuses writes without the right admin key', async () => {
    const body = JSON.stringify(product);
    const attempts: Array<Record<string, string>> = [
      { 'Content-Type': 'application/json' },
      { 'Content-Type': 'application/json', Authorization: 'Bearer wrong-key' },
      { 'Content-Type': 'application/json', Authorization: ADMIN_KEY },
    ];
    for (const headers of attempts) {
      const response = await app.request('/products/TEST-1', { method: 'PUT', headers, body });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
      assertError(await response.json(), 'UNAUTHORIZED');
    }
    for (const [method, path] of [
      ['PATCH', '/products/MH01'],
      ['DELETE', '/products/MH01'],
      ['POST', '/products'],
    ] as const) {
      const response = await app.request(path, { method, body: method === 'DELETE' ? null : '{}' });
      assert.equal(response.status, 401, `${method} ${path}`);
    }
    assert.equal((await app.request('/products/TEST-1')).status, 404);
    assert.equal((await app.request('/products/MH01')).status, 200);
  });

  it('refuses every write when no admin key is configured, saying how to set one', async () => {
    const open = createApp(engine);
    const response = await open.request('/products/TEST-1', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer anything' },
      body: JSON.stringify(product),
    });
    assert.equal(response.status, 401);
    const error = assertError(await response.json(), 'UNAUTHORIZED');
    assert.match(error.message, /SOUK_ADMIN_KEY/);
    assert.match(error.message, /--admin-key/);
  });

  it('creates, patches and deletes a product, each visible to the next search', async () => {
    const { id: _id, ...withoutId } = product;
    const put = await getJson<{ seq: number; count: number }>('/products/TEST-1', {
      method: 'PUT',
      headers: JSON_AUTH,
      body: JSON.stringify(withoutId),
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.count, 1);
    assert.ok(put.body.seq > 0);

    const got = await getJson<Product>('/products/TEST-1');
    assert.equal(got.status, 200);
    assert.equal(got.body.title, product.title);
    assert.equal(got.body.price, 123.5);

    let found = await search('q=zephyrine');
    assert.deepEqual(
      found.hits.map((hit) => hit.id),
      ['TEST-1'],
    );

    const patched = await getJson<Product>('/products/TEST-1', {
      method: 'PATCH',
      headers: JSON_AUTH,
      body: JSON.stringify({ title: 'Quillon Summit Parka', price: null }),
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.title, 'Quillon Summit Parka');
    assert.equal(patched.body.price, undefined);
    assert.equal(patched.body.brand, 'Souk Test');

    found = await search('q=quillon');
    assert.deepEqual(
      found.hits.map((hit) => [hit.id, hit.title, hit.price]),
      [['TEST-1', 'Quillon Summit Parka', undefined]],
    );
    assert.equal((await search('q=zephyrine&typos=false')).total, 0);

    const removed = await getJson<{ seq: number; count: number }>('/products/TEST-1', {
      method: 'DELETE',
      headers: AUTH,
    });
    assert.equal(removed.status, 200);
    assert.equal(removed.body.count, 1);
    assert.ok(removed.body.seq > put.body.seq);

    assert.equal((await search('q=quillon')).total, 0);
    const gone = await getJson('/products/TEST-1');
    assert.equal(gone.status, 404);
    assertError(gone.body, 'PRODUCT_NOT_FOUND');
    const again = await getJson('/products/TEST-1', { method: 'DELETE', headers: AUTH });
    assert.equal(again.status, 404);
    assertError(again.body, 'PRODUCT_NOT_FOUND');
  });

  it('validates PUT and PATCH bodies', async () => {
    let result = await getJson('/products/TEST-2', {
      method: 'PUT',
      headers: JSON_AUTH,
      body: JSON.stringify({ ...product, id: 'OTHER' }),
    });
    assert.equal(result.status, 400);
    assert.equal(assertError(result.body, 'INVALID_FIELD').details.field, 'id');

    result = await getJson('/products/TEST-2', {
      method: 'PUT',
      headers: JSON_AUTH,
      body: JSON.stringify({ id: 'TEST-2', price: 3 }),
    });
    assert.equal(result.status, 400);
    assert.equal(assertError(result.body, 'MISSING_FIELD').details.field, 'title');

    result = await getJson('/products/TEST-2', { method: 'PUT', headers: JSON_AUTH, body: '{"id": ' });
    assert.equal(result.status, 400);
    assertError(result.body, 'INVALID_JSON');

    result = await getJson('/products/MH01', {
      method: 'PATCH',
      headers: JSON_AUTH,
      body: JSON.stringify({ price: 'free' }),
    });
    assert.equal(result.status, 400);
    assert.equal(assertError(result.body, 'INVALID_FIELD').details.field, 'price');

    result = await getJson('/products/MH01', {
      method: 'PATCH',
      headers: JSON_AUTH,
      body: JSON.stringify({ titel: 'typo' }),
    });
    assert.equal(result.status, 400);
    assert.equal(assertError(result.body, 'INVALID_FIELD').details.field, 'titel');

    result = await getJson('/products/NOPE', {
      method: 'PATCH',
      headers: JSON_AUTH,
      body: JSON.stringify({ price: 1 }),
    });
    assert.equal(result.status, 404);
    assertError(result.body, 'PRODUCT_NOT_FOUND');
    assert.equal((await getJson<Product>('/products/MH01')).body.price, 52);
  });

  it('stores the valid products of a batch and reports the invalid ones by index and field', async () => {
    const batch = [
      { id: 'BATCH-1', title: 'Batchwick Fleece One', price: 10 },
      { id: 'BATCH-2', price: 20 },
      { id: 'BATCH-3', title: 'Batchwick Fleece Three', price: 'twenty' },
      { id: 'BATCH-4', title: 'Batchwick Fleece Four', price: 40 },
    ];
    const { status, body } = await getJson<{
      seq: number;
      count: number;
      errors: Array<{ index: number; id?: string; field?: string; code: string; message: string }>;
    }>('/products', { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(batch) });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.count, 2);
    assert.deepEqual(
      body.errors.map(({ index, id, field, code }) => ({ index, id, field, code })),
      [
        { index: 1, id: 'BATCH-2', field: 'title', code: 'MISSING_FIELD' },
        { index: 2, id: 'BATCH-3', field: 'price', code: 'INVALID_FIELD' },
      ],
    );
    assert.equal((await app.request('/products/BATCH-1')).status, 200);
    assert.equal((await app.request('/products/BATCH-2')).status, 404);
    assert.equal((await app.request('/products/BATCH-3')).status, 404);
    assert.equal((await app.request('/products/BATCH-4')).status, 200);
    assert.deepEqual(
      (await search('q=batchwick&sort=price:asc')).hits.map((hit) => hit.id),
      ['BATCH-1', 'BATCH-4'],
    );
  });

  it('accepts {"products": [...]} and JSON Lines batches', async () => {
    const wrapped = await getJson<{ count: number; errors: unknown[] }>('/products', {
      method: 'POST',
      headers: JSON_AUTH,
      body: JSON.stringify({ products: [{ id: 'BATCH-5', title: 'Batchwick Fleece Five' }] }),
    });
    assert.equal(wrapped.status, 200);
    assert.equal(wrapped.body.count, 1);
    assert.deepEqual(wrapped.body.errors, []);

    const lines = [
      JSON.stringify({ id: 'BATCH-6', title: 'Batchwick Fleece Six' }),
      '',
      '{"id": "BATCH-7", "title": ',
      JSON.stringify({ id: 'BATCH-8', title: 'Batchwick Fleece Eight' }),
    ].join('\n');
    const ndjson = await getJson<{
      count: number;
      errors: Array<{ index: number; line?: number; code: string }>;
    }>('/products', {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/x-ndjson' },
      body: lines,
    });
    assert.equal(ndjson.status, 200, JSON.stringify(ndjson.body));
    assert.equal(ndjson.body.count, 2);
    assert.deepEqual(
      ndjson.body.errors.map(({ index, line, code }) => ({ index, line, code })),
      [{ index: 1, line: 3, code: 'INVALID_JSON' }],
    );
    assert.equal((await app.request('/products/BATCH-8')).status, 200);

    const notABatch = await getJson('/products', { method: 'POST', headers: JSON_AUTH, body: '"hello"' });
    assert.equal(notABatch.status, 400);
    assertError(notABatch.body, 'INVALID_REQUEST');
  });

  it('serves only local image files that belong to the product', async () => {
    const result = await getJson('/products/IMG-1', {
      method: 'PUT',
      headers: JSON_AUTH,
      body: JSON.stringify({
        id: 'IMG-1',
        title: 'Image edge cases',
        image: 'https://cdn.example.com/img-1.jpg',
        images: ['https://cdn.example.com/img-1.jpg', '/etc/passwd', `${LUMA_IMAGES}does-not-exist.jpg`],
      }),
    });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    const got = await getJson<Product>('/products/IMG-1');
    assert.equal(got.body.image, 'https://cdn.example.com/img-1.jpg');
    assert.deepEqual(got.body.images, [
      'https://cdn.example.com/img-1.jpg',
      '/products/IMG-1/images/1',
      '/products/IMG-1/images/2',
    ]);
    for (const n of [0, 1, 2]) {
      const response = await app.request(`/products/IMG-1/images/${n}`);
      assert.equal(response.status, 404, `image ${n}`);
    }
  });

  it('handles ids that need URL encoding', async () => {
    const id = 'SKU 7/ä?#';
    const path = `/products/${encodeURIComponent(id)}`;
    const put = await getJson(path, {
      method: 'PUT',
      headers: JSON_AUTH,
      body: JSON.stringify({ title: 'Odd id product', image: `${LUMA_IMAGES}m/h/mh01-gray_main.jpg` }),
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const got = await getJson<Product>(path);
    assert.equal(got.body.id, id);
    assert.equal(got.body.image, `${path}/images/main`);
    const image = await app.request(got.body.image!);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/jpeg');
  });
});

describe('limits and unknown routes', () => {
  it('refuses a body over the limit with 413, declared or streamed', async () => {
    const big = JSON.stringify([{ id: 'BIG', title: 'x'.repeat(MAX_BODY_BYTES) }]);
    const declared = await getJson('/products', { method: 'POST', headers: JSON_AUTH, body: big });
    assert.equal(declared.status, 413);
    assertError(declared.body, 'PAYLOAD_TOO_LARGE');

    // No Content-Length: the limit must hold while the body streams in.
    let sent = 0;
    const chunk = new TextEncoder().encode('x'.repeat(8192));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.length;
        if (sent > 10 * MAX_BODY_BYTES) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const streamed = await getJson('/search', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    assertError(streamed.body, 'PAYLOAD_TOO_LARGE');
    assert.ok(sent < 2 * MAX_BODY_BYTES, `read ${sent} bytes before refusing`);
    assert.equal((await app.request('/products/BIG')).status, 404);
  });

  it('answers unknown routes with 404 NOT_FOUND in the error shape', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/products'],
      ['DELETE', '/search'],
    ]) {
      const { status, body, headers } = await getJson(path!, { method: method! });
      assert.equal(status, 404, `${method} ${path}`);
      assert.match(headers.get('content-type') ?? '', /application\/json/);
      assertError(body, 'NOT_FOUND');
    }
  });
});
