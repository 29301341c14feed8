/**
 * Scale-out: several engines (replicas) on one PostgreSQL store, each with its own indexes, following
 * each other's writes through LISTEN/NOTIFY and the change-log sequence. A real server
 * (test/helpers/postgres-server.ts); in-process replicas for the fine-grained checks, and two
 * `souk serve --store` processes for the whole path.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SoukConfig } from '../src/config.ts';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import type { Product, SearchResponse } from '../src/types.ts';
import { runCli, startCliServer, type CliServer } from './helpers/cli-process.ts';
import { fetchJson } from './helpers/http.ts';
import { startPostgres, type PostgresServer } from './helpers/postgres-server.ts';

let server: PostgresServer | undefined;
const work = mkdtempSync(join(tmpdir(), 'souk-replicas-'));
const engines: Engine[] = [];
const servers: CliServer[] = [];

before(async (t) => {
  server = await startPostgres(t as never);
});
after(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  for (const engine of engines) await engine.close().catch(() => undefined);
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function replica(schema: string, extra: SoukConfig = {}): Promise<Engine> {
  const engine = await createEngine({
    dataDir: null,
    ...extra,
    store: { url: server!.url, schema, pollIntervalMs: 0, ...extra.store },
  });
  engines.push(engine);
  return engine;
}

const ids = (response: SearchResponse): string[] => response.hits.map((hit) => hit.id);

/** Polls `check` until it holds (returns the time it took) or fails after `timeoutMs`. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function product(id: string, title: string, extra: Partial<Product> = {}): Product {
  return { id, title, brand: 'Acme', category: ['Home', 'Kitchen'], price: 10, ...extra };
}

/**
 * What a replica's indexes say about a query set. `ordered`: the ranking itself (replicas that applied
 * the same log); otherwise the matched set, because a replica rebuilt from a scan numbers its documents
 * in another order, which only changes how equal scores are ordered.
 */
async function view(engine: Engine, queries: string[], ordered: boolean): Promise<unknown> {
  const out: unknown[] = [];
  for (const q of queries) {
    const r = await engine.search({ q, limit: 50, facets: ['brand'] });
    out.push({ q, total: r.total, ids: ordered ? ids(r) : ids(r).sort(), facets: r.facets });
  }
  return out;
}

describe('replicas on one PostgreSQL store', () => {
  it('a write through any replica is visible on every replica; lag is measured', async (t) => {
    if (!server) return;
    const schema = server.schema();
    const a = await replica(schema);
    const b = await replica(schema);
    await a.upsert(Array.from({ length: 200 }, (_, i) => product(`p${i}`, `steel kettle model ${i}`)));
    await eventually("b sees a's batch", async () => (await b.search({ q: 'kettle' })).total === 200);

    const lags: number[] = [];
    for (let i = 0; i < 40; i++) {
      const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
      const word = `marker${i}x`;
      await writer.upsert(product(`m${i}`, `${word} teapot`));
      // The writer itself sees its write at once (read-your-write) …
      assert.deepEqual(ids(await writer.search({ q: word })), [`m${i}`]);
      // … and the other replica within a bounded lag.
      lags.push(
        await eventually(`replica sees ${word}`, async () => (await reader.search({ q: word })).total === 1),
      );
    }
    lags.sort((x, y) => x - y);
    const p50 = lags[Math.floor(lags.length / 2)]!;
    const max = lags[lags.length - 1]!;
    t.diagnostic(
      `replication lag over ${lags.length} writes: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    );
    assert.ok(max < 2000, `lag ${max} ms`);

    await b.patch('p1', { title: 'copper kettle model 1', price: 99 });
    await a.delete('p2');
    await eventually('patch and delete reach the other replica', async () => {
      const copperOnA = ids(await a.search({ q: 'copper' }));
      const onB = (await b.search({ q: 'kettle' })).total;
      return copperOnA.join() === 'p1' && onB === 199;
    });
    assert.equal((await a.get('p1'))?.price, 99);
    const sa = await a.stats();
    const sb = await b.stats();
    assert.equal(sa.store, 'postgres');
    assert.equal(sa.appliedSeq, sa.seq);
    assert.equal(sb.appliedSeq, sb.seq);
  });

  it('concurrent writes to the same products through two replicas leave both identical to the store', async () => {
    if (!server) return;
    const schema = server.schema();
    const a = await replica(schema);
    const b = await replica(schema);
    const words = ['red', 'blue', 'green', 'large', 'small'];
    let random = 12345;
    const next = (n: number): number => {
      random = (random * 1103515245 + 12345) % 2147483648;
      return random % n;
    };
    const plans = [a, b].map(() =>
      Array.from({ length: 60 }, () => ({
        op: next(10),
        id: `q${next(30)}`,
        word: words[next(words.length)]!,
        price: next(100),
      })),
    );
    await Promise.all(
      [a, b].map(async (engine, e) => {
        for (const step of plans[e]!) {
          if (step.op < 6) {
            await engine.upsert(product(step.id, `${step.word} mug`, { price: step.price, brand: `B${e}` }));
          } else if (step.op < 8) {
            await engine.patch(step.id, { price: step.price }).catch(() => undefined); // may not exist
          } else {
            await engine.delete(step.id);
          }
        }
      }),
    );
    const queries = ['mug', ...words];
    const seq = (await a.stats()).seq;
    await eventually('both replicas applied everything', async () => {
      const [sa, sb] = [await a.stats(), await b.stats()];
      return sa.appliedSeq === seq && sb.appliedSeq === seq;
    });
    assert.deepEqual(await view(b, queries, true), await view(a, queries, true));
    // And equal to a replica built from scratch out of the store's products.
    const fresh = await replica(schema);
    assert.deepEqual(await view(fresh, queries, false), await view(a, queries, false));
  });

  it('catches up after losing the notification connection, without gaps or duplicates', async () => {
    if (!server) return;
    const schema = server.schema();
    const a = await replica(schema);
    const b = await replica(schema);
    await a.upsert(product('base', 'base lamp'));
    await eventually('b has the base product', async () => (await b.search({ q: 'lamp' })).total === 1);
    // Cut every replica's LISTEN connection, as a network failure or a server restart would.
    await server.admin(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'souk-listen'",
    );
    // Written while nobody listens (polling is off in these replicas: only the reconnect can find them).
    for (let i = 0; i < 20; i++) await a.upsert(product(`gap${i}`, `gap lamp ${i}`));
    await a.delete('gap3');
    await eventually(
      'b catches up after reconnecting',
      async () => (await b.search({ q: 'gap' })).total === 19,
      15_000,
    );
    const sb = await b.stats();
    assert.equal(sb.appliedSeq, (await a.stats()).seq);
    assert.equal(sb.products, 20);
    // Notifications work again after the reconnect.
    await a.upsert(product('after', 'after reconnect lamp'));
    await eventually(
      'b hears new writes again',
      async () => (await b.search({ q: 'reconnect' })).total === 1,
    );
  });

  it('a replica restarted from its snapshot replays only what it missed', async () => {
    if (!server) return;
    const schema = server.schema();
    const dir = join(work, `snap-${schema}`);
    const a = await replica(schema);
    let b = await replica(schema, { dataDir: dir });
    await a.upsert(Array.from({ length: 50 }, (_, i) => product(`s${i}`, `oak table ${i}`)));
    await eventually('b has the tables', async () => (await b.search({ q: 'oak' })).total === 50);
    await b.close(); // writes b's snapshot into its own directory
    assert.ok(
      readdirSync(dir).some((name) => name.endsWith('.snapshot')),
      'the replica wrote a snapshot',
    );
    await a.upsert(product('s50', 'oak table 50'));
    await a.delete('s0');
    b = await replica(schema, { dataDir: dir });
    assert.equal((await b.search({ q: 'oak' })).total, 50);
    assert.deepEqual(ids(await b.search({ q: 'oak table 50' })).slice(0, 1), ['s50']);
    assert.equal(await b.get('s0'), undefined);
  });

  it('rules and feedback written on one replica reach the others', async () => {
    if (!server) return;
    const schema = server.schema();
    const a = await replica(schema);
    const b = await replica(schema);
    await a.upsert([
      product('r1', 'garden hose'),
      product('r2', 'garden hose reel'),
      product('r3', 'garden hose pro'),
    ]);
    await eventually('b has the hoses', async () => (await b.search({ q: 'hose' })).total === 3);
    await a.setRules({
      synonyms: [],
      merchandising: [{ query: { equals: 'hose' }, pin: [{ id: 'r3', position: 1 }] }],
    });
    await eventually("b applies a's pin", async () => ids(await b.search({ q: 'hose' }))[0] === 'r3');
    await b.feedback({ type: 'click', query: 'hose', productId: 'r2', position: 2 });
    await eventually("a counts b's feedback", async () => (await a.stats()).feedback === 1);
  });
});

describe('two souk serve processes on one PostgreSQL store', () => {
  it('serve, write through one, search on the other', { timeout: 90_000 }, async () => {
    if (!server) return;
    // A database of its own: the commands below use the default schema.
    const schema = server.schema();
    await server.admin(`CREATE DATABASE ${schema}`);
    const url = server.url.replace(/\/souk$/, `/${schema}`);
    const config = join(work, `serve-${schema}.json`);
    writeFileSync(config, JSON.stringify({ store: { pollIntervalMs: 500 } }));
    const catalogue = join(work, `catalogue-${schema}.jsonl`);
    writeFileSync(
      catalogue,
      [product('c1', 'walnut bookshelf'), product('c2', 'pine bookshelf')]
        .map((p) => JSON.stringify(p))
        .join('\n') + '\n',
    );
    const ingest = await runCli(['ingest', catalogue, '--store', url]);
    assert.equal(ingest.code, 0, ingest.stderr);
    const env = { SOUK_ADMIN_KEY: 'replica-test-key', SOUK_STORE: url };
    const one = await startCliServer(['serve', '--port', '0', '--config', config], { env });
    servers.push(one);
    const two = await startCliServer(
      ['serve', '--port', '0', '--config', config, '--data', join(work, `r2-${schema}`)],
      {
        env,
      },
    );
    servers.push(two);
    const search = async (s: CliServer, q: string) =>
      (await fetchJson(`${s.url}/search?q=${encodeURIComponent(q)}`)).body as SearchResponse;
    const health = await fetchJson<{ store: string; seq: number; appliedSeq: number }>(`${two.url}/health`);
    assert.deepEqual([health.body.store, health.body.appliedSeq], ['postgres', health.body.seq]);
    assert.equal((await search(one, 'bookshelf')).total, 2);
    assert.equal((await search(two, 'bookshelf')).total, 2);
    const put = await fetch(`${one.url}/products/c3`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: 'Bearer replica-test-key' },
      body: JSON.stringify(product('c3', 'cherry bookshelf')),
    });
    assert.equal(put.status, 200, await put.text());
    const lag = await eventually('the second server finds the product written through the first', async () =>
      ids(await search(two, 'cherry')).includes('c3'),
    );
    assert.ok(lag < 3000, `lag ${lag} ms`);
    const del = await fetch(`${two.url}/products/c1`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer replica-test-key' },
    });
    assert.equal(del.status, 200, await del.text());
    await eventually(
      'the first server drops the product deleted through the second',
      async () => !ids(await search(one, 'bookshelf')).includes('c1'),
    );
  });
});
