/**
 * Persistence through the public engine API on a real SQLite store in temp directories: reopening,
 * index snapshots (current, stale, corrupt, from the future), replay of the change log, and vacuum.
 * A memory engine fed the same operations is the reference for what every search must return.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { openSqliteStore } from '../src/store/sqlite-store.ts';
import type { EngineStats, Product, ProductPatch, SearchRequest, SearchResponse } from '../src/types.ts';
import { syntheticProduct, syntheticProducts, uniqueToken } from './helpers/synthetic-catalogue.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const SNAPSHOT_FILE = 'index.snapshot';

let root: string;
let dirCount = 0;
const open: Engine[] = [];

before(async () => {
  root = await makeTempDir('souk-engine-persist-');
});

after(async () => {
  for (const engine of open) await engine.close().catch(() => undefined);
  await removeTempDir(root);
});

function freshDir(): string {
  return join(root, `data-${++dirCount}`);
}

async function openEngine(dataDir: string | null): Promise<Engine> {
  const engine = await createEngine({ dataDir });
  open.push(engine);
  return engine;
}

async function closeEngine(engine: Engine): Promise<void> {
  await engine.close();
  open.splice(open.indexOf(engine), 1);
}

type Operation =
  | { kind: 'upsert'; products: Product[] }
  | { kind: 'patch'; id: string; patch: ProductPatch }
  | { kind: 'delete'; ids: string[] };

async function apply(engines: Engine[], operations: Operation[]): Promise<void> {
  for (const operation of operations) {
    for (const engine of engines) {
      if (operation.kind === 'upsert') await engine.upsert(structuredClone(operation.products));
      else if (operation.kind === 'patch') await engine.patch(operation.id, structuredClone(operation.patch));
      else await engine.delete(operation.ids);
    }
  }
}

/** Updates, patches (including field removal) and deletes touching products 0 … n-1 of seed 1. */
function laterOperations(n: number, seed = 7): Operation[] {
  const ops: Operation[] = [];
  // New products.
  ops.push({ kind: 'upsert', products: syntheticProducts(20, 1, n) });
  // Patches: a new title word, a removed price, a different brand.
  for (let i = 3; i < n; i += 11) {
    ops.push({
      kind: 'patch',
      id: `p${i}`,
      patch: { title: `patched zeppelin ${uniqueToken(i)}`, price: null, brand: 'Patchco' },
    });
  }
  // Full replacements with different content (a different seed).
  ops.push({
    kind: 'upsert',
    products: Array.from({ length: 10 }, (_, k) => ({
      ...syntheticProduct(5 + k * 7, seed),
      id: `p${5 + k * 7}`,
    })),
  });
  // Deletes, including an id that does not exist.
  ops.push({ kind: 'delete', ids: [...Array.from({ length: 12 }, (_, k) => `p${2 + k * 8}`), 'nope'] });
  // A patch after a delete of another product, and a re-created deleted product.
  ops.push({
    kind: 'patch',
    id: 'p1',
    patch: { rating: 5, attributes: { color: ['Zeppelin'], width_cm: 77 } },
  });
  ops.push({
    kind: 'upsert',
    products: [{ id: 'p2', title: `resurrected zeppelin ${uniqueToken(2)}`, price: 1 }],
  });
  return ops;
}

function requests(count: number): SearchRequest[] {
  return [
    // Browsing everything fits one page only for the small catalogues.
    count < 900 ? {} : { filter: 'rating >= 4.9' },
    { q: 'hoodie', filter: 'brand = Acme' },
    { q: 'wool jacket', filter: 'price < 200' },
    { q: 'zeppelin', facets: ['brand', 'color'] },
    { q: 'lanter', filter: 'category = Outdoor' },
    { q: 'blankt' },
    { q: uniqueToken(1) },
    { q: uniqueToken(3) },
    { q: uniqueToken(count - 1) },
    { q: uniqueToken(count + 5) },
    { filter: 'brand = Patchco', facets: ['brand', 'category', 'color', 'price', 'width_cm'] },
    { filter: 'NOT price EXISTS AND category = Home', sort: 'rating:desc' },
    { filter: 'width_cm >= 95', sort: 'price:asc', facets: ['price'] },
    { q: 'mug', filter: 'color IN [Red, Blue]', sort: 'price:desc' },
  ];
}

type Result = Omit<SearchResponse, 'tookMs'>;

async function results(engine: Engine, count: number): Promise<Result[]> {
  const out: Result[] = [];
  for (const request of requests(count)) {
    const { tookMs: _took, ...rest } = await engine.search({ limit: 1000, ...request });
    assert.ok(rest.total <= 1000, `request ${JSON.stringify(request)} fits one page (${rest.total})`);
    out.push(rest);
  }
  return out;
}

/**
 * Results in a form that does not depend on how ties were broken or which spelling of a facet value was
 * seen first (an index rebuilt from the store numbers documents in store order, not in update order).
 */
function canonical(list: Result[]): unknown[] {
  return list.map((r) => ({
    total: r.total,
    hits: r.hits.map((h) => `${h.score.toFixed(3)} ${h.id} ${h.title} ${h.price ?? '-'}`).sort(),
    facets: Object.fromEntries(
      Object.entries(r.facets ?? {}).map(([name, facet]) => [
        name,
        {
          values: (facet.values ?? []).map((v) => `${v.value.toLowerCase()}=${v.count}`).sort(),
          buckets: facet.buckets,
          min: facet.min,
          max: facet.max,
        },
      ]),
    ),
  }));
}

/** Every field of stats() but where it is stored (directory, store kind) and the memory estimate. */
function logicalStats(stats: EngineStats): Omit<EngineStats, 'dataDir' | 'indexBytes' | 'store'> {
  const { dataDir: _dir, indexBytes: _bytes, store: _store, ...rest } = stats;
  return rest;
}

async function fileId(path: string): Promise<string> {
  const s = await stat(path);
  return `${s.ino}:${s.mtimeMs}:${s.size}`;
}

describe('reopening a data directory', () => {
  it('gives the same results and stats after upsert, patch, delete, close and reopen', async () => {
    const dir = freshDir();
    const n = 300;
    const engine = await openEngine(dir);
    const reference = await openEngine(null);
    await apply(
      [engine, reference],
      [{ kind: 'upsert', products: syntheticProducts(n) }, ...laterOperations(n)],
    );

    const before = await results(engine, n);
    const statsBefore = await engine.stats();
    assert.deepEqual(
      canonical(before),
      canonical(await results(reference, n)),
      'sqlite engine = memory engine',
    );
    assert.equal(statsBefore.dataDir, dir);
    assert.ok(statsBefore.deletedPendingVacuum > 0, 'the updates left tombstones');
    await closeEngine(engine);

    const reopened = await openEngine(dir);
    assert.deepEqual(await results(reopened, n), before);
    const statsAfter = await reopened.stats();
    assert.deepEqual(logicalStats(statsAfter), logicalStats(statsBefore));
    assert.equal(statsAfter.dataDir, dir);
    assert.equal(statsAfter.products, (await reference.stats()).products);

    const patched = await reopened.get('p3');
    assert.equal(patched?.title, `patched zeppelin ${uniqueToken(3)}`);
    assert.equal(patched?.brand, 'Patchco');
    assert.equal(patched && 'price' in patched, false, 'price was removed by the patch');
    assert.deepEqual(patched?.category, syntheticProduct(3).category, 'untouched fields are kept');
    assert.deepEqual((await reopened.get('p1'))?.attributes, { color: ['Zeppelin'], width_cm: 77 });
    assert.equal(await reopened.get('p10'), undefined, 'p10 was deleted');
    assert.equal((await reopened.get('p2'))?.title, `resurrected zeppelin ${uniqueToken(2)}`);
    assert.equal((await reopened.search({ q: uniqueToken(10) })).total, 0);

    // Writes after the reopen are durable too.
    await reopened.upsert({ id: 'late', title: 'late arrival quokka' });
    await closeEngine(reopened);
    const third = await openEngine(dir);
    assert.deepEqual(
      (await third.search({ q: 'quokka' })).hits.map((h) => h.id),
      ['late'],
    );
    assert.equal((await third.stats()).products, statsAfter.products + 1);
    await closeEngine(third);
  });
});

describe('index snapshots', () => {
  it('writes index.snapshot on close and loads it on reopen (5,000 products)', async (t) => {
    const dir = freshDir();
    const n = 5000;
    const engine = await openEngine(dir);
    const ingestStarted = performance.now();
    for (let from = 0; from < n; from += 1000) await engine.upsert(syntheticProducts(1000, 1, from));
    const ingestMs = performance.now() - ingestStarted;
    await apply([engine], laterOperations(n));
    const before = await results(engine, n);
    const statsBefore = await engine.stats();
    assert.ok(statsBefore.deletedPendingVacuum > 0);
    await closeEngine(engine);

    const snapshotPath = join(dir, SNAPSHOT_FILE);
    const written = await fileId(snapshotPath);
    assert.ok((await stat(snapshotPath)).size > 64, 'snapshot has data');

    let started = performance.now();
    const loaded = await openEngine(dir);
    const loadMs = performance.now() - started;
    assert.deepEqual(await results(loaded, n), before);
    const loadedStats = await loaded.stats();
    assert.deepEqual(logicalStats(loadedStats), logicalStats(statsBefore));
    // Tombstones survive only in a snapshot: a rebuild from the store has none. So this reopen loaded it.
    assert.equal(loadedStats.deletedPendingVacuum, statsBefore.deletedPendingVacuum);
    await closeEngine(loaded);
    assert.equal(
      await fileId(snapshotPath),
      written,
      'nothing changed, so close did not rewrite the snapshot',
    );

    // The same data without the snapshot: a rebuild from the store gives the same answers.
    const copy = freshDir();
    await mkdir(copy);
    await copyFile(join(dir, 'souk.db'), join(copy, 'souk.db'));
    started = performance.now();
    const rebuilt = await openEngine(copy);
    const rebuildMs = performance.now() - started;
    assert.deepEqual(canonical(await results(rebuilt, n)), canonical(before));
    const rebuiltStats = await rebuilt.stats();
    assert.equal(rebuiltStats.products, statsBefore.products);
    assert.equal(rebuiltStats.deletedPendingVacuum, 0);
    assert.equal(rebuiltStats.seq, statsBefore.seq);
    await closeEngine(rebuilt);
    t.diagnostic(
      `5,000 products: upserts ${ingestMs.toFixed(0)} ms, reopen from snapshot ${loadMs.toFixed(0)} ms, ` +
        `reopen with rebuild ${rebuildMs.toFixed(0)} ms`,
    );
  });

  it('replays the change log written after an older snapshot', async () => {
    const dir = freshDir();
    const n = 100;
    const engine = await openEngine(dir);
    const reference = await openEngine(null);
    const first: Operation[] = [{ kind: 'upsert', products: syntheticProducts(n) }];
    await apply([engine, reference], first);
    await engine.snapshot();
    const snapshotPath = join(dir, SNAPSHOT_FILE);
    const old = await readFile(snapshotPath);
    const oldSeq = (await engine.stats()).seq;

    const later = laterOperations(n);
    await apply([engine, reference], later);
    const statsBefore = await engine.stats();
    assert.ok(statsBefore.seq > oldSeq);
    await closeEngine(engine);
    assert.notDeepEqual(await readFile(snapshotPath), old, 'close wrote a newer snapshot');

    // Put the old snapshot back: the engine must load it and replay every change after it.
    await writeFile(snapshotPath, old);
    const reopened = await openEngine(dir);
    const expected = await results(reference, n);
    // Same operations in the same order give the same document numbers, so even ties come out the same.
    assert.deepEqual(await results(reopened, n), expected);
    const stats = await reopened.stats();
    assert.deepEqual(logicalStats(stats), logicalStats(await reference.stats()));
    assert.ok(
      stats.deletedPendingVacuum > 0,
      'loaded the old snapshot and replayed (a rebuild has no tombstones)',
    );
    assert.equal(stats.seq, statsBefore.seq);
    await closeEngine(reopened);

    // The replay counted as changes, so close wrote a snapshot at the current seq; it loads cleanly.
    assert.notDeepEqual(await readFile(snapshotPath), old);
    const again = await openEngine(dir);
    assert.deepEqual(await results(again, n), expected);
    await closeEngine(again);
  });

  const corruptions: Array<[string, (path: string) => Promise<void>]> = [
    ['truncated to half', async (path) => truncate(path, Math.floor((await stat(path)).size / 2))],
    ['truncated inside the header', async (path) => truncate(path, 20)],
    [
      'with flipped bytes in the data',
      async (path) => {
        const bytes = await readFile(path);
        for (let i = 100; i < bytes.length; i += Math.max(1, Math.floor(bytes.length / 7))) bytes[i]! ^= 0xff;
        await writeFile(path, bytes);
      },
    ],
    [
      'with a flipped seq in the header',
      async (path) => {
        const bytes = await readFile(path);
        bytes[16]! ^= 0x01;
        await writeFile(path, bytes);
      },
    ],
    ['replaced by an empty file', async (path) => writeFile(path, '')],
    ['replaced by text', async (path) => writeFile(path, 'this is not a snapshot\n'.repeat(100))],
  ];
  for (const [what, corrupt] of corruptions) {
    it(`rebuilds from the store when the snapshot is ${what}`, async () => {
      const dir = freshDir();
      const n = 200;
      const engine = await openEngine(dir);
      const reference = await openEngine(null);
      await apply(
        [engine, reference],
        [{ kind: 'upsert', products: syntheticProducts(n) }, ...laterOperations(n)],
      );
      await closeEngine(engine);
      const snapshotPath = join(dir, SNAPSHOT_FILE);
      await corrupt(snapshotPath);

      const reopened = await openEngine(dir);
      const expected = canonical(await results(reference, n));
      assert.deepEqual(canonical(await results(reopened, n)), expected);
      const stats = await reopened.stats();
      assert.equal(stats.products, (await reference.stats()).products);
      assert.equal(stats.deletedPendingVacuum, 0, 'rebuilt from the store');
      // Still writable, and the next close replaces the bad snapshot with a good one.
      await reopened.upsert({ id: 'after-corruption', title: 'okapi after corruption' });
      await reference.upsert({ id: 'after-corruption', title: 'okapi after corruption' });
      await closeEngine(reopened);
      assert.ok((await stat(snapshotPath)).size > 64);

      const third = await openEngine(dir);
      assert.deepEqual(canonical(await results(third, n)), canonical(await results(reference, n)));
      assert.deepEqual(
        (await third.search({ q: 'okapi' })).hits.map((h) => h.id),
        ['after-corruption'],
      );
      await closeEngine(third);
    });
  }

  it('rebuilds when the snapshot file is intact but its content is not an index', async () => {
    const dir = freshDir();
    const n = 50;
    const engine = await openEngine(dir);
    const reference = await openEngine(null);
    await apply([engine, reference], [{ kind: 'upsert', products: syntheticProducts(n) }]);
    const seq = (await engine.stats()).seq;
    await closeEngine(engine);
    // A well-formed snapshot file (right header, length and checksum) holding garbage.
    const store = await openSqliteStore(dir);
    await store.writeSnapshot('index', seq, new TextEncoder().encode('garbage '.repeat(1000)));
    await store.close();

    const reopened = await openEngine(dir);
    assert.deepEqual(canonical(await results(reopened, n)), canonical(await results(reference, n)));
    assert.equal((await reopened.stats()).products, n);
    await closeEngine(reopened);
  });

  it('rejects a snapshot whose seq is ahead of the log and rebuilds from the store', async () => {
    const n = 100;
    // Directory A: 100 products of seed 1, then patches, so its snapshot's seq is past 100.
    const dirA = freshDir();
    const a = await openEngine(dirA);
    await a.upsert(syntheticProducts(n, 1));
    for (let i = 0; i < 20; i++) await a.patch(`p${i}`, { title: `ahead aardvark ${uniqueToken(i)}` });
    const seqA = (await a.stats()).seq;
    await closeEngine(a);
    // Directory B: 100 different products (seed 2) under the same ids; same count, lower seq.
    const dirB = freshDir();
    const b = await openEngine(dirB);
    const reference = await openEngine(null);
    await apply([b, reference], [{ kind: 'upsert', products: syntheticProducts(n, 2) }]);
    const seqB = (await b.stats()).seq;
    assert.ok(seqA > seqB, `${seqA} > ${seqB}`);
    await closeEngine(b);

    await copyFile(join(dirA, SNAPSHOT_FILE), join(dirB, SNAPSHOT_FILE));
    const reopened = await openEngine(dirB);
    assert.equal((await reopened.search({ q: 'aardvark' })).total, 0, "A's index must not be used");
    assert.deepEqual(canonical(await results(reopened, n)), canonical(await results(reference, n)));
    for (let i = 0; i < n; i += 9) {
      const hits = (await reopened.search({ q: uniqueToken(i) })).hits;
      assert.deepEqual(
        hits.map((h) => h.title),
        [syntheticProduct(i, 2).title],
      );
    }
    const stats = await reopened.stats();
    assert.equal(stats.seq, seqB);
    assert.equal(stats.products, n);
    await closeEngine(reopened);
  });
});

describe('vacuum', () => {
  it('drops tombstones without changing results, and stays vacuumed after reopen', async () => {
    const dir = freshDir();
    const n = 300;
    const engine = await openEngine(dir);
    const reference = await openEngine(null);
    await apply(
      [engine, reference],
      [{ kind: 'upsert', products: syntheticProducts(n) }, ...laterOperations(n)],
    );
    await engine.delete(Array.from({ length: 40 }, (_, k) => `p${200 + k}`));
    await reference.delete(Array.from({ length: 40 }, (_, k) => `p${200 + k}`));
    const before = await results(engine, n);
    const statsBefore = await engine.stats();
    assert.ok(statsBefore.deletedPendingVacuum >= 40, `${statsBefore.deletedPendingVacuum} tombstones`);

    await engine.vacuum();
    const statsAfter = await engine.stats();
    assert.equal(statsAfter.deletedPendingVacuum, 0);
    assert.equal(statsAfter.products, statsBefore.products);
    assert.equal(statsAfter.seq, statsBefore.seq);
    assert.deepEqual(canonical(await results(engine, n)), canonical(before));
    assert.deepEqual(canonical(await results(engine, n)), canonical(await results(reference, n)));
    // Writes after the vacuum land in the renumbered index.
    const extra: Operation[] = [
      { kind: 'upsert', products: [{ id: 'post-vacuum', title: 'post vacuum narwhal', price: 3 }] },
      { kind: 'patch', id: 'p1', patch: { title: `narwhal patched ${uniqueToken(1)}` } },
      { kind: 'delete', ids: ['p0'] },
    ];
    await apply([engine, reference], extra);
    const expected = canonical(await results(reference, n));
    assert.deepEqual(canonical(await results(engine, n)), expected);
    await closeEngine(engine);

    const reopened = await openEngine(dir);
    assert.deepEqual(canonical(await results(reopened, n)), expected);
    const reopenedStats = await reopened.stats();
    assert.equal(reopenedStats.products, (await reference.stats()).products);
    assert.ok(reopenedStats.deletedPendingVacuum <= 2, `only the 2 post-vacuum updates left tombstones`);
    await closeEngine(reopened);
  });

  it('keeps a vacuum done after the last snapshot across a reopen', async () => {
    const dir = freshDir();
    const n = 200;
    const engine = await openEngine(dir);
    const reference = await openEngine(null);
    await apply(
      [engine, reference],
      [{ kind: 'upsert', products: syntheticProducts(n) }, ...laterOperations(n)],
    );
    await engine.snapshot();
    assert.ok((await engine.stats()).deletedPendingVacuum > 0);
    await engine.vacuum();
    assert.equal((await engine.stats()).deletedPendingVacuum, 0);
    await closeEngine(engine);

    const reopened = await openEngine(dir);
    assert.deepEqual(canonical(await results(reopened, n)), canonical(await results(reference, n)));
    assert.equal(
      (await reopened.stats()).deletedPendingVacuum,
      0,
      'the vacuum is lost: close() wrote no snapshot after it, so the pre-vacuum snapshot was loaded',
    );
    await closeEngine(reopened);
  });
});
