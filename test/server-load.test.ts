/**
 * Load test against a real `souk serve` child on 127.0.0.1 (random port): 50 concurrent keep-alive
 * clients for SOUK_LOAD_SECONDS seconds (default 60) mix searches (varied queries, filters, facets, sorts,
 * pages, GET and POST), requests that must be refused (bad filter, bad sort), and writes with the admin
 * key (PATCH of catalogue products, PUT and DELETE of the client's own products). Asserts:
 * - every response has the expected status (zero errors, no 5xx, no timeouts);
 * - read-your-write: once a write is acknowledged, GET /products/:id and a search by the product's token
 *   show it (new price, new title, or gone);
 * - flat memory: the server's resident set (/proc/<pid>/status), sampled twice a second after a warm-up,
 *   averages no more than 1.5x and 150 MB above the first third in the last third;
 * - the server is still alive and healthy afterwards and logged no server error.
 * Requests/s, latency percentiles and memory figures are reported as diagnostics.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SearchResponse } from '../src/types.ts';
import { runCli, startCliServer, type CliServer } from './helpers/cli-process.ts';
import { KeepAliveClient, residentBytes } from './helpers/keepalive-client.ts';
import { PACKAGE_ROOT } from './helpers/paths.ts';
import {
  BRANDS,
  COLORS,
  productId,
  random,
  syntheticProduct,
  uniqueToken,
  WORDS,
  writeSyntheticCatalogue,
} from './helpers/synthetic-catalogue.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const SECONDS = Number(process.env.SOUK_LOAD_SECONDS ?? 60);
const CLIENTS = 50;
const CATALOGUE = 5000;
/** Products each client creates and deletes again, so the catalogue stays the same size. */
const OWN_IDS = 8;
const ADMIN_KEY = 'load-test-admin-key';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };
const SAMPLE_MS = 500;
/** Memory bounds: last third's mean RSS against the first third's (after warm-up). */
const MAX_RSS_RATIO = 1.5;
const MAX_RSS_GROWTH = 150 * 1024 * 1024;

const FILTERS = [
  'brand = Acme',
  'price 10 TO 200',
  'price >= 100',
  'color = Red',
  'category = Outdoor',
  'category = Men > Tops',
  'brand IN [Acme, Zenith, Orbit]',
  'NOT brand = Orbit',
  'rating >= 3 AND price < 300',
  'width_cm > 50',
  'rating EXISTS',
  '(color = Blue OR color = Green) AND NOT price EXISTS',
];
const FACETS = ['brand', 'category', 'color', 'price', 'rating', 'width_cm'];
const SORTS = ['relevance', 'price:asc', 'price:desc', 'rating:desc', 'rating:asc'];
const TYPOS = ['jaket', 'hoodei', 'blanket lamp', 'leathr boots', 'cotton', 'kettel'];

let work: string;
let server: CliServer;

before(async () => {
  work = await makeTempDir('souk-load-');
  const file = join(work, 'catalogue.jsonl');
  await writeSyntheticCatalogue(file, CATALOGUE, 5);
  const dataDir = join(work, 'data');
  const ingest = await runCli(['ingest', file, '--data', dataDir], { cwd: PACKAGE_ROOT, timeoutMs: 60_000 });
  assert.equal(ingest.code, 0, ingest.stderr);
  server = await startCliServer(
    ['serve', '--data', dataDir, '--host', '127.0.0.1', '--port', '0', '--no-embed', '--log-level', 'silent'],
    { cwd: PACKAGE_ROOT, env: { SOUK_ADMIN_KEY: ADMIN_KEY }, timeoutMs: 30_000 },
  );
});

after(async () => {
  await server?.stop('SIGKILL');
  await removeTempDir(work);
});

type Kind = 'search' | 'post-search' | 'refused' | 'patch' | 'put' | 'delete' | 'read';

class Recorder {
  readonly latencies: number[] = [];
  readonly counts = new Map<Kind, number>();
  readonly errors: string[] = [];
  errorCount = 0;
  /** Sorted pages whose prices are out of order: a write landed between ranking and reading the hits. */
  readonly mixedPages: string[] = [];

  note(kind: Kind, ms: number): void {
    this.latencies.push(ms);
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  fail(message: string): void {
    this.errorCount++;
    if (this.errors.length < 20) this.errors.push(message);
  }
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** A token like uniqueToken, for one version of a product a client wrote. */
function versionToken(client: number, n: number): string {
  return `lod${String(client * 1_000_000 + n).padStart(8, '0')}q`;
}

async function runClient(
  client: number,
  http: KeepAliveClient,
  deadline: number,
  recorder: Recorder,
): Promise<void> {
  const rand = random(9000 + client);
  // Catalogue products only this client writes, so what it reads back must be what it wrote.
  const owned = Array.from({ length: CATALOGUE / CLIENTS }, (_, k) => k * CLIENTS + client);
  const own: Array<{ id: string; token: string } | undefined> = Array.from(
    { length: OWN_IDS },
    () => undefined,
  );
  let version = 0;

  const expect = async (
    kind: Kind,
    method: string,
    path: string,
    status: number,
    options: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<unknown> => {
    let reply;
    try {
      reply = await http.request(method, path, options);
    } catch (error) {
      recorder.fail(`${method} ${path}: ${String(error)}`);
      return undefined;
    }
    recorder.note(kind, reply.ms);
    if (reply.status !== status) {
      recorder.fail(`${method} ${path}: ${reply.status} (expected ${status}) ${reply.text.slice(0, 300)}`);
      return undefined;
    }
    try {
      return JSON.parse(reply.text) as unknown;
    } catch {
      recorder.fail(`${method} ${path}: body is not JSON`);
      return undefined;
    }
  };
  const searchFor = async (token: string): Promise<SearchResponse | undefined> =>
    (await expect('read', 'GET', `/search?q=${token}&typos=false&prefix=false&highlight=false`, 200)) as
      SearchResponse | undefined;

  while (Date.now() < deadline) {
    const roll = rand();
    if (roll < 0.66) {
      // A search as a shopper's page would send it.
      const params = new URLSearchParams();
      const q =
        rand() < 0.15
          ? pick(rand, TYPOS)
          : Array.from({ length: Math.floor(rand() * 3) }, () => pick(rand, WORDS)).join(' ');
      params.set('q', q);
      if (rand() < 0.5) params.set('filter', pick(rand, FILTERS));
      if (rand() < 0.4) params.set('facets', FACETS.filter(() => rand() < 0.4).join(','));
      const sort = rand() < 0.4 ? pick(rand, SORTS) : undefined;
      if (sort) params.set('sort', sort);
      const limit = 1 + Math.floor(rand() * 30);
      params.set('limit', String(limit));
      if (rand() < 0.4) params.set('offset', String(limit * Math.floor(rand() * 5)));
      const path = `/search?${params}`;
      const body = (await expect('search', 'GET', path, 200)) as SearchResponse | undefined;
      if (body) {
        if (!Array.isArray(body.hits) || typeof body.total !== 'number' || body.hits.length > limit) {
          recorder.fail(`${path}: malformed response ${JSON.stringify(body).slice(0, 200)}`);
        } else if (sort === 'price:asc' || sort === 'price:desc') {
          const prices = body.hits.map((h) => h.price).filter((p): p is number => p !== undefined);
          const sorted = [...prices].sort((a, b) => (sort === 'price:asc' ? a - b : b - a));
          // Known engine issue (see test/search-write-consistency.test.ts): reported, not failed, here.
          if (JSON.stringify(prices) !== JSON.stringify(sorted)) recorder.mixedPages.push(path);
        }
      }
    } else if (roll < 0.72) {
      const body = JSON.stringify({
        q: pick(rand, WORDS),
        filter: pick(rand, FILTERS),
        facets: ['brand', 'color'],
        limit: 10,
        offset: Math.floor(rand() * 3) * 10,
      });
      await expect('post-search', 'POST', '/search', 200, {
        body,
        headers: { 'content-type': 'application/json' },
      });
    } else if (roll < 0.75) {
      // Requests that must be refused with a client error, under load too.
      if (rand() < 0.5) {
        const body = (await expect(
          'refused',
          'GET',
          `/search?q=wool&filter=${encodeURIComponent('price >')}`,
          400,
        )) as { error?: { code?: string } } | undefined;
        if (body && body.error?.code !== 'INVALID_FILTER')
          recorder.fail(`bad filter: ${JSON.stringify(body)}`);
      } else {
        const body = (await expect('refused', 'GET', '/search?q=wool&sort=cheapest', 400)) as
          { error?: { code?: string } } | undefined;
        if (body && body.error?.code !== 'INVALID_REQUEST')
          recorder.fail(`bad sort: ${JSON.stringify(body)}`);
      }
    } else if (roll < 0.87) {
      // PATCH one of this client's catalogue products, then read it back directly and through search.
      const index = pick(rand, owned);
      const id = productId(index);
      const price = Math.round(rand() * 100_000) / 100;
      const original = syntheticProduct(index, 5);
      const title = `${original.title} ${versionToken(client, version++)}`;
      const patched = (await expect('patch', 'PATCH', `/products/${id}`, 200, {
        body: JSON.stringify({ price, title }),
        headers: JSON_AUTH,
      })) as { price?: number; title?: string } | undefined;
      if (!patched) continue;
      if (patched.price !== price || patched.title !== title)
        recorder.fail(`PATCH ${id} answered ${JSON.stringify(patched)}`);
      const read = (await expect('read', 'GET', `/products/${id}`, 200)) as
        { price?: number; title?: string } | undefined;
      if (read && (read.price !== price || read.title !== title)) {
        recorder.fail(`GET ${id} after PATCH: ${read.price} / ${read.title}, wrote ${price} / ${title}`);
      }
      const found = await searchFor(uniqueToken(index));
      const hit = found?.hits.find((h) => h.id === id);
      if (found && (!hit || hit.price !== price)) {
        recorder.fail(
          `search ${uniqueToken(index)} after PATCH ${id} to ${price}: ${JSON.stringify(found.hits)}`,
        );
      }
    } else {
      // PUT a product of this client's own, or DELETE one it created; read back both ways.
      const slot = Math.floor(rand() * OWN_IDS);
      const current = own[slot];
      const id = `load-${client}-${slot}`;
      if (current === undefined || rand() < 0.4) {
        const token = versionToken(client, version++);
        const price = Math.round(rand() * 10_000) / 100;
        const brand = pick(rand, BRANDS);
        const product = {
          id,
          title: `load ${pick(rand, WORDS)} ${token}`,
          price,
          brand,
          attributes: { color: [pick(rand, COLORS)] },
        };
        const put = await expect('put', 'PUT', `/products/${id}`, 200, {
          body: JSON.stringify(product),
          headers: JSON_AUTH,
        });
        if (!put) continue;
        own[slot] = { id, token };
        const read = (await expect('read', 'GET', `/products/${id}`, 200)) as { title?: string } | undefined;
        if (read && read.title !== product.title) recorder.fail(`GET ${id} after PUT: ${read.title}`);
        const found = await searchFor(token);
        if (found && !found.hits.some((h) => h.id === id && h.price === price)) {
          recorder.fail(`search ${token} after PUT ${id}: ${JSON.stringify(found.hits)}`);
        }
        if (current !== undefined) {
          const stale = await searchFor(current.token);
          if (stale?.hits.some((h) => h.id === id))
            recorder.fail(`old version ${current.token} of ${id} still found`);
        }
      } else {
        const deleted = await expect('delete', 'DELETE', `/products/${id}`, 200, { headers: AUTH });
        if (!deleted) continue;
        own[slot] = undefined;
        await expect('read', 'GET', `/products/${id}`, 404);
        const found = await searchFor(current.token);
        if (found?.hits.some((h) => h.id === id))
          recorder.fail(`deleted ${id} still found by ${current.token}`);
      }
    }
  }
}

describe(`load: ${CLIENTS} clients for ${SECONDS} s against souk serve`, () => {
  it(
    'answers every request as expected, shows every acknowledged write, and keeps memory flat',
    { timeout: SECONDS * 1000 + 120_000 },
    async (t) => {
      const pid = server.child.pid;
      assert.ok(pid !== undefined);
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'loopback only');
      const http = new KeepAliveClient(server.url, { maxSockets: CLIENTS });
      const recorder = new Recorder();
      const started = Date.now();
      const deadline = started + SECONDS * 1000;

      const samples: Array<{ at: number; rss: number }> = [];
      const sampler = setInterval(() => {
        void residentBytes(pid).then((rss) => {
          if (rss !== undefined) samples.push({ at: Date.now() - started, rss });
        });
      }, SAMPLE_MS);
      try {
        await Promise.all(Array.from({ length: CLIENTS }, (_, c) => runClient(c, http, deadline, recorder)));
      } finally {
        clearInterval(sampler);
      }
      const elapsed = (Date.now() - started) / 1000;

      const health = await http.json<{ status: string; products: number }>('GET', '/health');
      http.close();
      const sorted = [...recorder.latencies].sort((a, b) => a - b);
      const total = sorted.length;
      const counts = Object.fromEntries(recorder.counts);
      t.diagnostic(
        `${total} requests in ${elapsed.toFixed(1)} s: ${(total / elapsed).toFixed(0)} requests/s`,
      );
      t.diagnostic(`by kind: ${JSON.stringify(counts)}`);
      t.diagnostic(
        `${recorder.mixedPages.length} price-sorted pages showed a concurrent write's prices out of order` +
          (recorder.mixedPages.length > 0 ? ` (first: ${recorder.mixedPages[0]})` : ''),
      );
      t.diagnostic(
        `latency ms: p50 ${percentile(sorted, 50).toFixed(1)}, p90 ${percentile(sorted, 90).toFixed(1)}, ` +
          `p99 ${percentile(sorted, 99).toFixed(1)}, max ${(sorted[total - 1] ?? 0).toFixed(1)}`,
      );

      assert.equal(server.child.exitCode, null, 'the server is still running');
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'ok');
      assert.ok(
        health.body.products >= CATALOGUE && health.body.products <= CATALOGUE + CLIENTS * OWN_IDS,
        `${health.body.products} products`,
      );
      assert.deepEqual(
        recorder.errors,
        [],
        `${recorder.errorCount} requests did not get the expected answer`,
      );
      assert.ok(total > 20 * SECONDS, `only ${total} requests in ${SECONDS} s`);
      for (const kind of ['search', 'post-search', 'refused', 'patch', 'put', 'delete'] as const) {
        assert.ok((recorder.counts.get(kind) ?? 0) > 0, `no ${kind} requests were made`);
      }
      assert.doesNotMatch(server.stderr(), /failed: \[/, 'the server logged no server error');

      // Memory: skip the warm-up (caches, JIT, first allocations), then compare the last third with the first.
      const warmUpMs = Math.max(3000, SECONDS * 1000 * 0.15);
      const steady = samples.filter((s) => s.at >= warmUpMs);
      assert.ok(steady.length >= 6, `only ${steady.length} memory samples after warm-up`);
      const third = Math.floor(steady.length / 3);
      const mean = (xs: typeof steady) => xs.reduce((sum, s) => sum + s.rss, 0) / xs.length;
      const first = mean(steady.slice(0, third));
      const last = mean(steady.slice(steady.length - third));
      const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
      t.diagnostic(
        `server RSS: first third ${mb(first)}, last third ${mb(last)} (${(last / first).toFixed(2)}x), ` +
          `max ${mb(Math.max(...samples.map((s) => s.rss)))}, ${samples.length} samples`,
      );
      assert.ok(last <= first * MAX_RSS_RATIO, `RSS grew from ${mb(first)} to ${mb(last)}`);
      assert.ok(last - first <= MAX_RSS_GROWTH, `RSS grew by ${mb(last - first)}`);
    },
  );
});
