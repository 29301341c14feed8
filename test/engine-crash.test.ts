/**
 * Crash safety with real processes: `souk ingest` and `souk serve` are killed with SIGKILL at awkward
 * moments, then the data directory is opened again and checked against the SQLite file itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import type { IngestReport, Product, SearchResponse } from '../src/types.ts';
import { runCli, startCliServer, type CliServer } from './helpers/cli-process.ts';
import { fetchJson } from './helpers/http.ts';
import { KeepAliveClient, mapConcurrent } from './helpers/keepalive-client.ts';
import { PACKAGE_ROOT, SOUK_BIN } from './helpers/paths.ts';
import {
  productId,
  random,
  syntheticProduct,
  uniqueToken,
  writeSyntheticCatalogue,
} from './helpers/synthetic-catalogue.ts';
import { assertGapFreeLog, readDb } from './helpers/store-files.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const LINES = 50_000;
/** Products per transaction in `souk ingest` (the engine's default batch size). */
const BATCH = 5000;

let work: string;
const servers: CliServer[] = [];
const engines: Engine[] = [];

before(async () => {
  work = await makeTempDir('souk-engine-crash-');
});

after(async () => {
  await Promise.all(servers.map((server) => server.stop('SIGKILL')));
  for (const engine of engines) await engine.close().catch(() => undefined);
  await removeTempDir(work);
});

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('SOUK_ADMIN_KEY' in extra)) delete env.SOUK_ADMIN_KEY;
  delete env.SOUK_DEBUG;
  return env;
}

interface KilledIngest {
  code: number | null;
  signal: NodeJS.Signals | null;
  killedOnProgress: boolean;
  /** Products the last progress line before the kill reported as loaded: committed, so they must survive. */
  acknowledged: number;
  stderr: string;
  ms: number;
}

/**
 * Runs `souk ingest` and SIGKILLs it as soon as it reports progress (printed at most every 2 s, after a
 * batch has been committed, while the next one is being read or written), or after `fallbackMs` if it has
 * printed nothing by then.
 */
function ingestAndKill(file: string, dataDir: string, fallbackMs: number): Promise<KilledIngest> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [SOUK_BIN, 'ingest', file, '--data', dataDir], {
      cwd: PACKAGE_ROOT,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let killedOnProgress = false;
    let acknowledged = 0;
    const kill = (onProgress: boolean): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killedOnProgress ||= onProgress;
      child.kill('SIGKILL');
    };
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      // Printed only after a batch committed, so whatever it reports must survive the kill.
      for (const match of stderr.matchAll(/ingest: \d+ lines[^\n]*?, (\d+) loaded/g)) {
        acknowledged = Math.max(acknowledged, Number(match[1]));
      }
      if (/ingest: \d+ lines/.test(stderr)) kill(true);
    });
    const fallback = setTimeout(() => kill(false), fallbackMs);
    const hardStop = setTimeout(() => child.kill('SIGKILL'), 55_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(fallback);
      clearTimeout(hardStop);
      resolve({ code, signal, killedOnProgress, acknowledged, stderr, ms: Date.now() - started });
    });
  });
}

async function openEngine(dataDir: string): Promise<Engine> {
  const engine = await createEngine({ dataDir });
  engines.push(engine);
  return engine;
}

async function closeEngine(engine: Engine): Promise<void> {
  await engine.close();
  engines.splice(engines.indexOf(engine), 1);
}

describe('kill -9 during souk ingest', () => {
  it('leaves a consistent store, and a second ingest completes it', { timeout: 60_000 }, async (t) => {
    // If the machine is fast enough to store every line before the kill (the process may still be killed
    // while closing), try again with a bigger catalogue.
    let lines = LINES;
    let file = '';
    let dataDir = '';
    let killed: KilledIngest | undefined;
    let engine: Engine | undefined;
    let db: ReturnType<typeof readDb> | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      file = join(work, `catalogue-${lines}.jsonl`);
      dataDir = join(work, `ingest-data-${attempt}`);
      await writeSyntheticCatalogue(file, lines);
      killed = await ingestAndKill(file, dataDir, 10_000);
      if (killed.signal === 'SIGKILL') {
        // Open it the way the next `souk` command would, which recovers the WAL.
        engine = await openEngine(dataDir);
        db = readDb(dataDir);
        if (db.ids.length < lines) break;
        await closeEngine(engine);
        engine = undefined;
      }
      t.diagnostic(`attempt ${attempt}: ingest of ${lines} lines finished before the kill; retrying bigger`);
      lines *= 4;
    }
    assert.ok(killed);
    assert.equal(killed.signal, 'SIGKILL', `souk ingest was killed (code ${killed.code}): ${killed.stderr}`);
    assert.equal(killed.code, null);
    assert.ok(engine && db, 'the ingest was interrupted before the end');

    const stored = db.ids.length;
    t.diagnostic(
      `killed after ${killed.ms} ms with ${stored} of ${lines} products stored (${killed.acknowledged} reported loaded)`,
    );
    if (killed.killedOnProgress)
      assert.ok(killed.acknowledged > 0, `progress line not understood: ${killed.stderr}`);
    assert.ok(stored < lines, 'the ingest was interrupted before the end');
    if (killed.killedOnProgress) assert.ok(stored > 0, 'at least the reported batch was committed');
    assert.ok(
      stored >= killed.acknowledged,
      `${stored} stored, but the progress line before the kill reported ${killed.acknowledged} loaded`,
    );
    // Each batch is one transaction, written in file order: the store holds whole batches from the start.
    assert.equal(stored % BATCH, 0, `${stored} is a whole number of ${BATCH}-product batches`);
    assert.deepEqual(
      new Set(db.ids),
      new Set(Array.from({ length: stored }, (_, i) => productId(i))),
      'the stored products are the first lines of the file',
    );
    assertGapFreeLog(db);
    assert.equal(db.seqs.length, stored, 'one logged change per stored product');

    const stats = await engine.stats();
    assert.equal(stats.products, stored);
    assert.equal(stats.seq, db.lastSeq);
    let misses = 0;
    for (let i = 0; i < stored; i++) {
      const response: SearchResponse = await engine.search({ q: uniqueToken(i), limit: 2, highlight: false });
      if (response.total !== 1 || response.hits[0]?.id !== productId(i)) {
        misses++;
        if (misses <= 5) t.diagnostic(`${uniqueToken(i)}: ${JSON.stringify(response.hits.map((h) => h.id))}`);
      }
    }
    assert.equal(misses, 0, 'every stored product is found by its unique token');
    assert.equal(
      (await engine.search({ q: uniqueToken(stored) })).total,
      0,
      'unstored products are not found',
    );
    await closeEngine(engine);

    // Ingest the same file again, to the end.
    const again = await runCli(['ingest', file, '--data', dataDir, '--json'], {
      cwd: PACKAGE_ROOT,
      timeoutMs: 60_000,
    });
    assert.equal(again.signal, null, again.stderr);
    assert.equal(again.code, 0, again.stderr);
    const report = JSON.parse(again.stdout) as IngestReport;
    assert.equal(report.rejected, 0);
    assert.equal(report.unchanged, stored, 'products already stored are not rewritten');
    assert.equal(report.loaded, lines - stored);

    const complete = await openEngine(dataDir);
    const after = readDb(dataDir);
    assert.equal(after.ids.length, lines);
    assertGapFreeLog(after);
    assert.equal(after.seqs.length, lines);
    assert.equal((await complete.stats()).products, lines);
    const last = await complete.search({ q: uniqueToken(lines - 1) });
    assert.deepEqual(
      last.hits.map((h) => h.id),
      [productId(lines - 1)],
    );
    for (const i of [0, stored - 1, stored, Math.floor(lines / 2)].filter((i) => i >= 0)) {
      assert.deepEqual(
        (await complete.search({ q: uniqueToken(i) })).hits.map((h) => h.id),
        [productId(i)],
        `product ${i}`,
      );
    }
    await closeEngine(complete);
  });
});

describe('kill -9 of souk serve after acknowledged writes', () => {
  it('keeps every acknowledged PUT, PATCH and DELETE', { timeout: 60_000 }, async () => {
    const dataDir = join(work, 'serve-data');
    const key = 'crash-test-admin-key';
    const env = { SOUK_ADMIN_KEY: key };
    const server = await startCliServer(['serve', '--data', dataDir, '--port', '0'], {
      cwd: PACKAGE_ROOT,
      env,
      timeoutMs: 30_000,
    });
    servers.push(server);
    assert.match(server.url, /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/, 'loopback only');
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    const unauthorised = await fetch(`${server.url}/products/x`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'no key' }),
    });
    assert.equal(unauthorised.status, 401);
    await unauthorised.body?.cancel();

    for (let i = 0; i < 5; i++) {
      const put = await fetchJson<{ seq: number; count: number }>(`${server.url}/products/pre-${i}`, {
        method: 'PUT',
        headers: auth,
        body: JSON.stringify({ title: `early wombat ${i}`, price: i }),
      });
      assert.equal(put.status, 200);
    }
    const patched = await fetchJson<Product>(`${server.url}/products/pre-1`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ title: 'patched wombat', price: null }),
    });
    assert.equal(patched.status, 200);
    const deleted = await fetchJson(`${server.url}/products/pre-2`, { method: 'DELETE', headers: auth });
    assert.equal(deleted.status, 200);

    // The write under test: kill the server the moment its acknowledgement arrives.
    const put = await fetchJson<{ seq: number; count: number }>(`${server.url}/products/x`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ title: 'Acknowledged Platypus Lamp', price: 42, brand: 'Durable' }),
    });
    const exit = await server.stop('SIGKILL');
    assert.equal(put.status, 200);
    assert.equal(put.body.count, 1);
    assert.equal(exit.signal, 'SIGKILL');

    // Restart the server on the same directory and read everything back over HTTP.
    const restarted = await startCliServer(['serve', '--data', dataDir, '--port', '0'], {
      cwd: PACKAGE_ROOT,
      env,
      timeoutMs: 30_000,
    });
    servers.push(restarted);
    const x = await fetchJson<Product>(`${restarted.url}/products/x`);
    assert.equal(x.status, 200);
    assert.equal(x.body.title, 'Acknowledged Platypus Lamp');
    assert.equal(x.body.price, 42);
    const search = await fetchJson<SearchResponse>(`${restarted.url}/search?q=platypus`);
    assert.deepEqual(
      search.body.hits.map((h) => h.id),
      ['x'],
    );
    const wombats = await fetchJson<SearchResponse>(`${restarted.url}/search?q=wombat&limit=10`);
    assert.deepEqual(wombats.body.hits.map((h) => h.id).sort(), ['pre-0', 'pre-1', 'pre-3', 'pre-4']);
    const pre1 = await fetchJson<Product>(`${restarted.url}/products/pre-1`);
    assert.equal(pre1.body.title, 'patched wombat');
    assert.equal(pre1.body.price, undefined);
    assert.equal((await fetchJson(`${restarted.url}/products/pre-2`)).status, 404);
    assert.equal(put.body.seq, 8, 'five puts, a patch and a delete came first');
    await restarted.stop('SIGTERM');
    servers.splice(servers.indexOf(restarted), 1);
    servers.splice(servers.indexOf(server), 1);

    const db = readDb(dataDir);
    assertGapFreeLog(db);
    assert.equal(db.lastSeq, put.body.seq);
    assert.deepEqual(db.ids.sort(), ['pre-0', 'pre-1', 'pre-3', 'pre-4', 'x']);
  });
});

/** What a product id should hold: a product (its title, price and version token) or nothing. */
type Expected = { title: string; price: number; token: string } | 'absent';

interface TrackedId {
  /** State after the last acknowledged write (the catalogue's product before any write). */
  acked: Expected;
  /** State if the write in flight at the kill was applied; undefined when none was in flight. */
  inFlight?: Expected;
  /** Version tokens of titles this id had and no longer has (acknowledged or not). */
  superseded: string[];
}

/** One token per product version, same shape as uniqueToken so it is kept whole and never typo-matched. */
function versionToken(worker: number, n: number): string {
  return `ver${String(worker * 100_000 + n).padStart(7, '0')}q`;
}

describe('kill -9 of souk serve during concurrent writes', () => {
  it(
    'restarts with every acknowledged write and indexes that match the store',
    { timeout: 90_000 },
    async (t) => {
      const CATALOGUE = 2000;
      const WORKERS = 16;
      const dataDir = join(work, 'concurrent-data');
      const file = join(work, 'concurrent.jsonl');
      await writeSyntheticCatalogue(file, CATALOGUE, 3);
      // The ingest ends with an index snapshot, so the restart below must replay the change log on top of it.
      const ingest = await runCli(['ingest', file, '--data', dataDir], {
        cwd: PACKAGE_ROOT,
        timeoutMs: 60_000,
      });
      assert.equal(ingest.code, 0, ingest.stderr);

      const key = 'concurrent-crash-admin-key';
      const serveArgs = ['serve', '--data', dataDir, '--port', '0', '--no-embed', '--log-level', 'silent'];
      const server = await startCliServer(serveArgs, {
        cwd: PACKAGE_ROOT,
        env: { SOUK_ADMIN_KEY: key },
        timeoutMs: 30_000,
      });
      servers.push(server);
      const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

      const tracked = new Map<string, TrackedId>();
      const track = (id: string): TrackedId => {
        let entry = tracked.get(id);
        if (!entry) {
          const index = Number(id.slice(1));
          const original = syntheticProduct(index, 3);
          entry = {
            acked: id.startsWith('p')
              ? { title: original.title, price: original.price ?? -1, token: uniqueToken(index) }
              : 'absent',
            superseded: [],
          };
          tracked.set(id, entry);
        }
        return entry;
      };
      let stop = false;
      let acknowledged = 0;
      let maxSeq = 0;

      const worker = async (w: number): Promise<void> => {
        const rand = random(1000 + w);
        const owned = Array.from({ length: CATALOGUE / WORKERS }, (_, k) => productId(k * WORKERS + w));
        const created: string[] = [];
        for (let n = 0; !stop; n++) {
          const roll = rand();
          const token = versionToken(w, n);
          const price = Math.round(rand() * 100_000) / 100;
          let id: string;
          let next: Expected;
          let send: () => Promise<Response>;
          if (roll < 0.45) {
            id = owned[Math.floor(rand() * owned.length)]!;
            const entry = track(id);
            if (entry.acked === 'absent') continue;
            next = { title: `patched ${token}`, price, token };
            send = () =>
              fetch(`${server.url}/products/${id}`, {
                method: 'PATCH',
                headers: auth,
                body: JSON.stringify({ title: next === 'absent' ? '' : next.title, price }),
              });
          } else if (roll < 0.85 || created.length === 0) {
            id = `n${w}-${created.length}`;
            created.push(id);
            next = { title: `created ${token}`, price, token };
            send = () =>
              fetch(`${server.url}/products/${id}`, {
                method: 'PUT',
                headers: auth,
                body: JSON.stringify({ title: `created ${token}`, price }),
              });
          } else {
            const pool = rand() < 0.5 ? created : owned;
            id = pool[Math.floor(rand() * pool.length)]!;
            if (track(id).acked === 'absent') continue;
            next = 'absent';
            send = () => fetch(`${server.url}/products/${id}`, { method: 'DELETE', headers: auth });
          }
          const entry = track(id);
          entry.inFlight = next;
          let response: Response;
          try {
            response = await send();
            const body = (await response.json()) as { seq?: number };
            if (typeof body.seq === 'number') maxSeq = Math.max(maxSeq, body.seq);
          } catch {
            return; // the server was killed while this write was in flight: it may or may not have applied
          }
          assert.equal(response.status, 200, `${id}: ${response.status}`);
          if (entry.acked !== 'absent') entry.superseded.push(entry.acked.token);
          entry.acked = next;
          delete entry.inFlight;
          acknowledged++;
        }
      };

      const writeStart = Date.now();
      const writers = Array.from({ length: WORKERS }, (_, w) => worker(w));
      // Kill once enough writes were acknowledged (or after 8 s on a slow machine), with writes in flight.
      const deadline = Date.now() + 8000;
      while (acknowledged < 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const exit = await server.stop('SIGKILL');
      stop = true;
      await Promise.all(writers);
      assert.equal(exit.signal, 'SIGKILL');
      const inFlight = [...tracked.values()].filter((entry) => entry.inFlight !== undefined).length;
      t.diagnostic(
        `killed after ${Date.now() - writeStart} ms with ${acknowledged} writes acknowledged and ${inFlight} in flight`,
      );
      const checkStart = Date.now();
      assert.ok(acknowledged >= 50, `only ${acknowledged} writes acknowledged before the kill`);

      const restarted = await startCliServer(serveArgs, {
        cwd: PACKAGE_ROOT,
        env: { SOUK_ADMIN_KEY: key },
        timeoutMs: 30_000,
      });
      servers.push(restarted);
      const client = new KeepAliveClient(restarted.url, { maxSockets: 16 });
      const getJson = <T>(path: string) => client.json<T>('GET', path);
      const problems: string[] = [];
      let appliedInFlight = 0;
      const check = async ([id, entry]: [string, TrackedId]): Promise<void> => {
        const got = await getJson<Product>(`/products/${id}`);
        const state: Expected =
          got.status === 404 ? 'absent' : { title: got.body.title, price: got.body.price ?? -1, token: '' };
        const same = (a: Expected, b: Expected | undefined) =>
          b !== undefined &&
          (a === 'absent' || b === 'absent' ? a === b : a.title === b.title && a.price === b.price);
        let current: Expected;
        if (same(state, entry.acked)) current = entry.acked;
        else if (same(state, entry.inFlight)) {
          current = entry.inFlight!;
          appliedInFlight++;
        } else {
          problems.push(
            `${id}: stored ${JSON.stringify(state)}, acknowledged ${JSON.stringify(entry.acked)}`,
          );
          return;
        }
        // The index agrees with the store: the current version is found by its token with its price, and
        // no older version of the product is found by its token.
        if (current !== 'absent') {
          const found = await getJson<SearchResponse>(
            `/search?q=${current.token}&typos=false&prefix=false&highlight=false`,
          );
          const hit = found.body.hits.find((h) => h.id === id);
          if (!hit || hit.price !== (current.price === -1 ? undefined : current.price)) {
            problems.push(`${id}: search for ${current.token} gave ${JSON.stringify(found.body.hits)}`);
          }
        }
        const stale = [
          ...entry.superseded,
          ...(entry.inFlight && current !== entry.inFlight && entry.inFlight !== 'absent'
            ? [entry.inFlight.token]
            : []),
        ];
        if (current === 'absent' && entry.acked !== 'absent') stale.push(entry.acked.token);
        for (const token of stale) {
          if (current !== 'absent' && token === current.token) continue;
          const found = await getJson<SearchResponse>(
            `/search?q=${token}&typos=false&prefix=false&highlight=false`,
          );
          if (found.body.hits.some((h) => h.id === id))
            problems.push(`${id}: stale version ${token} still found`);
        }
      };
      const entries = [...tracked];
      await mapConcurrent(entries, 16, check);
      client.close();
      t.diagnostic(
        `${tracked.size} ids checked in ${Date.now() - checkStart} ms; ${appliedInFlight} in-flight writes were applied`,
      );
      assert.deepEqual(
        problems.slice(0, 10),
        [],
        `${problems.length} ids disagree with the acknowledged writes`,
      );

      const expectedProducts = CATALOGUE + [...tracked].filter(([id]) => id.startsWith('n')).length;
      const health = await fetchJson<{ products: number; seq: number }>(`${restarted.url}/health`);
      const db = readDb(dataDir);
      assert.equal(health.body.products, db.ids.length, 'the index holds as many products as the store');
      assert.ok(db.ids.length <= expectedProducts);
      assert.ok(health.body.seq >= maxSeq, `seq ${health.body.seq} is behind acknowledged seq ${maxSeq}`);
      assertGapFreeLog(db);
      await restarted.stop('SIGTERM');
      servers.splice(servers.indexOf(restarted), 1);
      servers.splice(servers.indexOf(server), 1);
    },
  );
});
