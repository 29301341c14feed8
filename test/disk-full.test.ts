/**
 * A full disk gives clear errors through the real `souk` commands, and loses nothing acknowledged.
 *
 * The disk: a real 64 MB tmpfs when this process may mount one (root outside a locked-down container),
 * filled with a filler file; otherwise (or with SOUK_TEST_DISK_FULL=pages) the store's SQLite connections
 * in the child are capped with `PRAGMA max_page_count` (test/helpers/sqlite-page-limit.cjs), which makes
 * SQLite fail the growing write with SQLITE_FULL just as a full disk does. Either way:
 * - `souk ingest` exits 75 with `error [DISK_FULL]` naming the data directory; what was loaded before is
 *   intact, the index matches the store, and the load completes once space is freed;
 * - `souk serve` answers the write that does not fit with 507 DISK_FULL, nothing half-written shows, reads
 *   keep working, it stops cleanly and restarts while the disk is still full, and writes work again once
 *   space is freed; every acknowledged write is kept and the change log stays gap-free.
 * An ingest stopped by a full disk keeps whole batches from the start of the file: each batch goes to the
 * store only after the one before committed.
 */
import assert from 'node:assert/strict';
import { chmodSync, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Product, SearchResponse } from '../src/types.ts';
import { runCli, startCliServer, type CliServer } from './helpers/cli-process.ts';
import { KeepAliveClient } from './helpers/keepalive-client.ts';
import { PACKAGE_ROOT } from './helpers/paths.ts';
import { assertGapFree, readDb, runCommand as run } from './helpers/store-files.ts';
import {
  productId,
  syntheticProducts,
  uniqueToken,
  writeSyntheticCatalogue,
} from './helpers/synthetic-catalogue.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const PAGE_LIMIT_HOOK = join(PACKAGE_ROOT, 'test/helpers/sqlite-page-limit.cjs');
const ADMIN_KEY = 'disk-full-admin-key';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
/** Products per transaction in `souk ingest`. */
const BATCH = 5000;
const FIRST = 500;
const SECOND = 12_000;
const asRoot = process.getuid?.() === 0;

let work: string;
const mounts: string[] = [];
const servers: CliServer[] = [];

before(async () => {
  work = await makeTempDir('souk-disk-full-');
  chmodSync(work, 0o755);
});

after(async () => {
  await Promise.all(servers.map((server) => server.stop('SIGKILL')));
  for (const mount of mounts.reverse()) run('umount', ['-l', mount]);
  await removeTempDir(work);
});

// ---- how the disk is made full ------------------------------------------------------------------------

interface DiskLimit {
  name: string;
  /** Directory on the limited disk for a test's data directories. */
  root: string;
  /** True when filling takes effect for processes already running (a real disk); false for the page cap. */
  live: boolean;
  /** Makes the disk full except for about `bytes`. */
  fill(bytes: number): Promise<void>;
  /** Frees the space again. */
  free(): Promise<void>;
  /** Environment for `souk` children started from now on. */
  env(): Record<string, string>;
}

async function tmpfsLimit(): Promise<DiskLimit | string> {
  if (process.env.SOUK_TEST_DISK_FULL === 'pages') return 'SOUK_TEST_DISK_FULL=pages';
  if (!asRoot) return 'not root, cannot mount a tmpfs';
  const root = join(work, 'tmpfs');
  mkdirSync(root);
  const mounted = run('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'tmpfs', root]);
  if (!mounted.ok) return `mount -t tmpfs refused: ${mounted.output.trim()}`;
  mounts.push(root);
  const filler = join(root, 'filler');
  return {
    name: 'a 64 MB tmpfs filled with a filler file',
    root,
    live: true,
    async fill(bytes) {
      const fs = await statfs(root);
      let remaining = fs.bavail * fs.bsize - bytes;
      const chunk = Buffer.alloc(1024 * 1024);
      const fd = openSync(filler, 'a');
      try {
        while (remaining > 0) {
          const n = Math.min(chunk.length, remaining);
          writeSync(fd, chunk, 0, n);
          remaining -= n;
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
    },
    async free() {
      await rm(filler, { force: true });
    },
    env: () => ({}),
  };
}

function pageLimit(name = 'paged'): DiskLimit {
  const root = join(work, name);
  mkdirSync(root);
  let freePages: number | undefined;
  return {
    name: 'SQLite max_page_count in the souk child (no tmpfs)',
    root,
    live: false,
    async fill(bytes) {
      freePages = Math.ceil(bytes / 4096);
    },
    async free() {
      freePages = undefined;
    },
    env: (): Record<string, string> =>
      freePages === undefined
        ? {}
        : {
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${PAGE_LIMIT_HOOK}`.trim(),
            SOUK_TEST_SQLITE_FREE_PAGES: String(freePages),
          },
  };
}

describe('a full disk', () => {
  let limit: DiskLimit;
  let dataDir: string;
  let first: string;
  let second: string;

  before(async () => {
    const tmpfs = await tmpfsLimit();
    limit = typeof tmpfs === 'string' ? pageLimit() : tmpfs;
    dataDir = join(limit.root, 'data');
    first = join(work, 'first.jsonl');
    second = join(work, 'second.jsonl');
    await writeSyntheticCatalogue(first, FIRST, 1);
    // Other products (ids and tokens after the first catalogue's), so nothing in it is "unchanged".
    const products = syntheticProducts(SECOND, 2, FIRST);
    await writeFile(second, products.map((p) => JSON.stringify(p)).join('\n') + '\n');
  });

  it('stops souk ingest with DISK_FULL (exit 75), keeps what was loaded, and a retry completes', async (t) => {
    t.diagnostic(`disk full by ${limit.name}`);
    const loaded = await runCli(['ingest', first, '--data', dataDir], { cwd: PACKAGE_ROOT });
    assert.equal(loaded.code, 0, loaded.stderr);

    await limit.fill(4 * 1024 * 1024);
    const full = await runCli(['ingest', second, '--data', dataDir], { cwd: PACKAGE_ROOT, env: limit.env() });
    assert.equal(full.code, 75, `exit 75 (disk full): ${full.stderr}`);
    assert.match(
      full.stderr,
      new RegExp(
        `^error \\[DISK_FULL\\]: No space left on device while writing products in data directory ${dataDir}`,
        'm',
      ),
    );
    await limit.free();

    // The first catalogue is intact and the second load was stopped part way.
    const db = readDb(dataDir);
    const ids = new Set(db.ids);
    const firstIds = Array.from({ length: FIRST }, (_, i) => productId(i));
    assert.deepEqual(
      firstIds.filter((id) => !ids.has(id)),
      [],
      'every product loaded before is still stored',
    );
    const added = db.ids.length - FIRST;
    t.diagnostic(`the full disk stopped the second load after ${added} products`);
    assert.ok(added < SECOND, 'the second load was stopped');
    // Which batches those are is checked by the next test (whole batches from the start of the file).
    assertGapFree(dataDir);

    const engine = await createEngine({ dataDir, embedding: { auto: false } });
    try {
      assert.equal((await engine.stats()).products, db.ids.length, 'the index holds what the store holds');
      const sample = [
        0,
        FIRST - 1,
        ...Array.from({ length: SECOND / 100 }, (_, k) => FIRST + k * 100 + (k % 100)),
      ];
      for (const i of sample) {
        const hits = (await engine.search({ q: uniqueToken(i), highlight: false })).hits.map((h) => h.id);
        assert.deepEqual(hits, ids.has(productId(i)) ? [productId(i)] : [], `product ${i}`);
      }
    } finally {
      await engine.close();
    }

    const retry = await runCli(['ingest', second, '--data', dataDir, '--json'], { cwd: PACKAGE_ROOT });
    assert.equal(retry.code, 0, retry.stderr);
    assert.equal(readDb(dataDir).ids.length, FIRST + SECOND);
    assertGapFree(dataDir);
  });

  it(
    'leaves whole batches from the start of the file when a full disk stops souk ingest',
    { timeout: 60_000 },
    async (t) => {
      // Always the page cap, on an empty directory: it makes "batch 2 (5000) does not fit, batch 3 (2000)
      // does" deterministic.
      const dir = join(work, 'batches');
      const capped = pageLimit('batches-cap');
      await capped.fill(4 * 1024 * 1024);
      const full = await runCli(['ingest', second, '--data', dir], { cwd: PACKAGE_ROOT, env: capped.env() });
      assert.equal(full.code, 75, full.stderr);
      const ids = new Set(readDb(dir).ids);
      const added = ids.size;
      t.diagnostic(`${added} products of the file stored`);
      assert.equal(added % BATCH, 0, `${added} is a whole number of ${BATCH}-product batches`);
      const prefix = Array.from({ length: added }, (_, i) => productId(FIRST + i));
      assert.deepEqual(
        prefix.filter((id) => !ids.has(id)).slice(0, 5),
        [],
        'the stored part is the start of the file',
      );
    },
  );

  it('makes souk serve answer 507 DISK_FULL for writes that do not fit while reads keep working', async (t) => {
    const serve = (env: Record<string, string>) =>
      startCliServer(
        [
          'serve',
          '--data',
          dataDir,
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--no-embed',
          '--log-level',
          'silent',
        ],
        {
          cwd: PACKAGE_ROOT,
          env: { SOUK_ADMIN_KEY: ADMIN_KEY, ...env },
          timeoutMs: 30_000,
        },
      );
    const acknowledged = new Map<string, string>();
    const tokens = new Map<string, string>();
    const tokenOf = (id: string) => {
      if (!tokens.has(id)) tokens.set(id, `dsk${String(tokens.size).padStart(7, '0')}q`);
      return tokens.get(id)!;
    };
    const put = async (client: KeepAliveClient, id: string, bulk: number) => {
      const title = `Stored ${id} ${tokenOf(id)} ${'word '.repeat(bulk)}`.trim();
      const reply = await client.json<{ seq?: number; error?: { code: string; message: string } }>(
        'PUT',
        `/products/${id}`,
        {
          body: JSON.stringify({ title, price: 5 }),
          headers: AUTH,
        },
      );
      if (reply.status === 200) acknowledged.set(id, title);
      return reply;
    };

    if (!limit.live) await limit.fill(64 * 1024);
    let server = await serve(limit.env());
    servers.push(server);
    let client = new KeepAliveClient(server.url, { maxSockets: 4 });
    for (let i = 0; i < 3; i++) assert.equal((await put(client, `before-${i}`, 10)).status, 200);
    if (limit.live) await limit.fill(96 * 1024);

    // Write ~8 KB products until one does not fit.
    let refused: Awaited<ReturnType<typeof put>> | undefined;
    let failedId = '';
    for (let i = 0; i < 500 && refused === undefined; i++) {
      const reply = await put(client, `fill-${i}`, 1600);
      if (reply.status !== 200) {
        refused = reply;
        failedId = `fill-${i}`;
      }
    }
    assert.ok(refused, 'a write was refused before 500 products');
    t.diagnostic(`${acknowledged.size} writes acknowledged before ${failedId} was refused`);
    assert.equal(refused.status, 507, JSON.stringify(refused.body));
    assert.equal(refused.body.error?.code, 'DISK_FULL');
    assert.ok(refused.body.error?.message.includes(dataDir), refused.body.error?.message);

    // Reads keep working, and nothing of the refused write shows.
    const checkReads = async (c: KeepAliveClient) => {
      const health = await c.json<{ products: number }>('GET', '/health');
      assert.equal(health.status, 200);
      assert.equal(health.body.products, FIRST + SECOND + acknowledged.size);
      for (const [id, title] of acknowledged) {
        const got = await c.json<Product>('GET', `/products/${id}`);
        assert.equal(got.status, 200, id);
        assert.equal(got.body.title, title);
      }
      const found = await c.json<SearchResponse>('GET', '/search?q=stored+before&limit=5');
      assert.equal(found.status, 200);
      assert.ok(found.body.hits.some((h) => h.id === 'before-0'));
      const old = await c.json<SearchResponse>('GET', `/search?q=${uniqueToken(7)}&filter=price+%3E%3D+0`);
      assert.deepEqual(
        old.body.hits.map((h) => h.id),
        [productId(7)],
      );
      assert.equal(
        (await c.request('GET', `/products/${failedId}`)).status,
        404,
        'the refused product is not stored',
      );
      const failed = await c.json<SearchResponse>(
        'GET',
        `/search?q=${tokenOf(failedId)}&typos=false&prefix=false`,
      );
      assert.equal(failed.body.total, 0, 'the refused product is not indexed');
      const one = [...acknowledged.keys()].find((id) => id.startsWith('fill-')) ?? 'before-2';
      const hit = await c.json<SearchResponse>('GET', `/search?q=${tokenOf(one)}&typos=false&prefix=false`);
      assert.deepEqual(
        hit.body.hits.map((h) => h.id),
        [one],
        'an acknowledged product is indexed',
      );
    };
    await checkReads(client);

    // A patch either fits or is refused whole.
    const patch = await client.json<{ title?: string; error?: { code: string } }>(
      'PATCH',
      '/products/before-1',
      {
        body: JSON.stringify({ title: `Patched ${'word '.repeat(2000)}`.trim() }),
        headers: AUTH,
      },
    );
    assert.ok(
      patch.status === 200 || (patch.status === 507 && patch.body.error?.code === 'DISK_FULL'),
      String(patch.status),
    );
    if (patch.status === 200) acknowledged.set('before-1', patch.body.title!);
    assert.equal(
      (await client.json<Product>('GET', '/products/before-1')).body.title,
      acknowledged.get('before-1'),
    );

    // It stops cleanly and starts again while the disk is still full, and serves the same reads.
    client.close();
    const stopped = await server.stop('SIGTERM');
    assert.equal(stopped.code, 0, server.stderr().slice(-2000));
    servers.splice(servers.indexOf(server), 1);
    server = await serve(limit.env());
    servers.push(server);
    client = new KeepAliveClient(server.url, { maxSockets: 4 });
    await checkReads(client);

    // Once space is freed, writes work again.
    await limit.free();
    if (!limit.live) {
      client.close();
      assert.equal((await server.stop('SIGTERM')).code, 0);
      servers.splice(servers.indexOf(server), 1);
      server = await serve(limit.env());
      servers.push(server);
      client = new KeepAliveClient(server.url, { maxSockets: 4 });
    }
    assert.equal(
      (await put(client, failedId, 1600)).status,
      200,
      'the refused write succeeds after freeing space',
    );
    await checkReadsAfterFree(client, acknowledged);
    client.close();
    assert.equal((await server.stop('SIGTERM')).code, 0);
    servers.splice(servers.indexOf(server), 1);
    const stored = new Set(readDb(dataDir).ids);
    assert.deepEqual(
      [...acknowledged.keys()].filter((id) => !stored.has(id)),
      [],
      'every acknowledged write is stored',
    );
    assertGapFree(dataDir);
  });
});

async function checkReadsAfterFree(
  client: KeepAliveClient,
  acknowledged: Map<string, string>,
): Promise<void> {
  for (const [id, title] of acknowledged) {
    const got = await client.json<Product>('GET', `/products/${id}`);
    assert.equal(got.body.title, title, id);
  }
}
