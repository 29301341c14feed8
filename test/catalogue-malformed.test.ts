/**
 * A large catalogue with 200 malformed lines scattered through it (broken JSON, non-objects, missing or
 * empty id/title, wrong types, negative prices, out-of-range ratings, nested attributes, lines with two
 * errors, a bad line reusing a good product's id), plus blank lines, CRLF endings and no final newline.
 * Loaded by a real `souk ingest` process and by `POST /products` on a real `souk serve`:
 * - exactly the injected lines are reported, each with file, line, field and error code;
 * - every good product is stored unchanged and found by search; nothing else is stored;
 * - `--strict` writes nothing; a second load writes nothing either.
 * A CSV catalogue with bad rows is checked the same way (cli-e2e.test.ts covers the small fixtures).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { validateProduct } from '../src/catalog/product-schema.ts';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import type { IngestReport, LineError, Product, SearchResponse } from '../src/types.ts';
import { runCli, startCliServer, type CliServer } from './helpers/cli-process.ts';
import { KeepAliveClient, mapConcurrent } from './helpers/keepalive-client.ts';
import { PACKAGE_ROOT } from './helpers/paths.ts';
import { productId, random, syntheticProduct, uniqueToken } from './helpers/synthetic-catalogue.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const GOOD = 2000;
const BAD = 200;
const BLANK = 12;
const ADMIN_KEY = 'malformed-test-admin-key';

interface Expected {
  code: string;
  field?: string;
}

/** One kind of malformed line: its text (given a fresh id and a good product's id) and the errors it must give. */
interface BadKind {
  name: string;
  text(id: string, goodId: string): string;
  expect: Expected[];
  /** The line carries a good product's id (which must keep the good product) instead of its own. */
  reusesGoodId?: true;
}

const title = (id: string) => `Broken ${id} item`;
const BAD_KINDS: BadKind[] = [
  {
    name: 'truncated JSON',
    text: (id) => `{"id": "${id}", "title": "half`,
    expect: [{ code: 'INVALID_JSON' }],
  },
  {
    name: 'trailing garbage',
    text: (id) => `{"id": "${id}", "title": "${title(id)}"} trailing`,
    expect: [{ code: 'INVALID_JSON' }],
  },
  { name: 'JSON array', text: (id) => `["${id}", "${title(id)}"]`, expect: [{ code: 'INVALID_JSON' }] },
  { name: 'JSON string', text: (id) => `"${id}"`, expect: [{ code: 'INVALID_JSON' }] },
  { name: 'JSON null', text: () => 'null', expect: [{ code: 'INVALID_JSON' }] },
  {
    name: 'missing id',
    text: (id) => JSON.stringify({ title: title(id), price: 3 }),
    expect: [{ code: 'MISSING_FIELD', field: 'id' }],
  },
  {
    name: 'empty id',
    text: (id) => JSON.stringify({ id: '  ', title: title(id) }),
    expect: [{ code: 'MISSING_FIELD', field: 'id' }],
  },
  {
    name: 'missing title',
    text: (id) => JSON.stringify({ id, price: 5 }),
    expect: [{ code: 'MISSING_FIELD', field: 'title' }],
  },
  {
    name: 'blank title',
    text: (id) => JSON.stringify({ id, title: '   ' }),
    expect: [{ code: 'MISSING_FIELD', field: 'title' }],
  },
  {
    name: 'boolean id',
    text: (id) => JSON.stringify({ id: true, title: title(id) }),
    expect: [{ code: 'INVALID_FIELD', field: 'id' }],
  },
  {
    name: 'numeric title',
    text: (id) => JSON.stringify({ id, title: 12345 }),
    expect: [{ code: 'INVALID_FIELD', field: 'title' }],
  },
  {
    name: 'price text',
    text: (id) => JSON.stringify({ id, title: title(id), price: 'cheap' }),
    expect: [{ code: 'INVALID_FIELD', field: 'price' }],
  },
  {
    name: 'negative price',
    text: (id) => JSON.stringify({ id, title: title(id), price: -12.5 }),
    expect: [{ code: 'INVALID_FIELD', field: 'price' }],
  },
  {
    name: 'boolean price',
    text: (id) => JSON.stringify({ id, title: title(id), price: true }),
    expect: [{ code: 'INVALID_FIELD', field: 'price' }],
  },
  {
    name: 'rating out of range',
    text: (id) => JSON.stringify({ id, title: title(id), rating: 9 }),
    expect: [{ code: 'INVALID_FIELD', field: 'rating' }],
  },
  {
    name: 'fractional reviews',
    text: (id) => JSON.stringify({ id, title: title(id), reviews: 2.5 }),
    expect: [{ code: 'INVALID_FIELD', field: 'reviews' }],
  },
  {
    name: 'brand object',
    text: (id) => JSON.stringify({ id, title: title(id), brand: { name: 'Acme' } }),
    expect: [{ code: 'INVALID_FIELD', field: 'brand' }],
  },
  {
    name: 'numeric category',
    text: (id) => JSON.stringify({ id, title: title(id), category: 5 }),
    expect: [{ code: 'INVALID_FIELD', field: 'category' }],
  },
  {
    name: 'numeric images',
    text: (id) => JSON.stringify({ id, title: title(id), images: [1, 2] }),
    expect: [{ code: 'INVALID_FIELD', field: 'images' }],
  },
  {
    name: 'nested attribute',
    text: (id) => JSON.stringify({ id, title: title(id), attributes: { dims: { w: 1 } } }),
    expect: [{ code: 'INVALID_FIELD', field: 'attributes.dims' }],
  },
  {
    name: 'negative price and bad rating',
    text: (id) => JSON.stringify({ id, title: title(id), price: -3, rating: -1 }),
    expect: [
      { code: 'INVALID_FIELD', field: 'price' },
      { code: 'INVALID_FIELD', field: 'rating' },
    ],
  },
  {
    // Must not replace or delete the good product that carries this id.
    name: "a good product's id with a negative price",
    text: (_id, goodId) => JSON.stringify({ id: goodId, title: 'Evil twin', price: -1 }),
    expect: [{ code: 'INVALID_FIELD', field: 'price' }],
    reusesGoodId: true,
  },
];

interface Catalogue {
  /** File content, lines joined with "\n" (some good lines end in "\r"), no final newline. */
  text: string;
  good: Product[];
  /** 1-based line number → the errors expected on it. */
  bad: Map<number, Expected[]>;
  /** Ids carried by bad lines that must not be stored. */
  badIds: string[];
  lines: number;
}

function buildCatalogue(seed = 7): Catalogue {
  const rand = random(seed);
  const slots: Array<'good' | 'bad' | 'blank'> = [
    ...Array<'good'>(GOOD - 1).fill('good'),
    ...Array<'bad'>(BAD).fill('bad'),
    ...Array<'blank'>(BLANK).fill('blank'),
  ];
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  // The last line is a good product without a newline after it: it must not be lost.
  slots.push('good');
  const lines: string[] = [];
  const good: Product[] = [];
  const bad = new Map<number, Expected[]>();
  const badIds: string[] = [];
  let badCount = 0;
  for (const slot of slots) {
    const line = lines.length + 1;
    if (slot === 'good') {
      const product = syntheticProduct(good.length);
      good.push(product);
      lines.push(JSON.stringify(product) + (good.length % 97 === 0 ? '\r' : ''));
    } else if (slot === 'blank') {
      lines.push(line % 2 === 0 ? '' : '   \t');
    } else {
      const kind = BAD_KINDS[badCount % BAD_KINDS.length]!;
      const id = `bad-${badCount}`;
      const goodId = productId(Math.max(0, good.length - 1));
      lines.push(kind.text(id, goodId));
      bad.set(line, kind.expect);
      if (!kind.reusesGoodId) badIds.push(id);
      badCount++;
    }
  }
  assert.equal(badCount, BAD);
  assert.equal(good.length, GOOD);
  return { text: lines.join('\n'), good, bad, badIds, lines: lines.length };
}

/** Errors grouped by line, each line's errors as sorted `code:field` strings. */
function byLine(
  errors: ReadonlyArray<{ line?: number; code: string; field?: string }>,
): Map<number, string[]> {
  const grouped = new Map<number, string[]>();
  for (const error of errors) {
    assert.ok(error.line !== undefined, `error without a line: ${JSON.stringify(error)}`);
    const list = grouped.get(error.line) ?? [];
    list.push(`${error.code}:${error.field ?? ''}`);
    grouped.set(error.line, list);
  }
  for (const list of grouped.values()) list.sort();
  return grouped;
}

function expectedByLine(bad: Map<number, Expected[]>): Map<number, string[]> {
  return new Map(
    [...bad].map(([line, expected]) => [line, expected.map((e) => `${e.code}:${e.field ?? ''}`).sort()]),
  );
}

/** Compares reported errors with the injected ones: the same set of lines, and per line the same errors. */
function assertReported(
  errors: ReadonlyArray<{ line?: number; code: string; field?: string }>,
  bad: Map<number, Expected[]>,
): void {
  const got = byLine(errors);
  const want = expectedByLine(bad);
  const gotLines = [...got.keys()].sort((a, b) => a - b);
  const wantLines = [...want.keys()].sort((a, b) => a - b);
  assert.deepEqual(gotLines, wantLines, 'the reported lines are exactly the injected bad lines');
  const mismatches = wantLines
    .filter((line) => JSON.stringify(got.get(line)) !== JSON.stringify(want.get(line)))
    .map(
      (line) => `line ${line}: got ${JSON.stringify(got.get(line))}, want ${JSON.stringify(want.get(line))}`,
    );
  assert.deepEqual(mismatches, [], 'every bad line reports its code and field');
}

/** The product as the validator normalises it, which is what the store must hold. */
function normalised(product: Product): Product {
  const { product: valid, errors } = validateProduct(product);
  assert.ok(valid, JSON.stringify(errors));
  return valid;
}

function storedIds(dataDir: string): { ids: string[]; lastSeq: number } {
  const db = new Database(join(dataDir, 'souk.db'), { readonly: true, fileMustExist: true });
  try {
    const ids = db.prepare('SELECT id FROM products').pluck().all() as string[];
    const lastSeq =
      (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").pluck().get() as
        number | undefined) ?? 0;
    return { ids, lastSeq };
  } finally {
    db.close();
  }
}

let work: string;
let catalogue: Catalogue;
let file: string;
let csvDataDir: string;
const servers: CliServer[] = [];
const engines: Engine[] = [];

before(async () => {
  work = await makeTempDir('souk-malformed-');
  catalogue = buildCatalogue();
  file = join(work, 'mixed.jsonl');
  csvDataDir = join(work, 'csv-data');
  await writeFile(file, catalogue.text);
});

after(async () => {
  await Promise.all(servers.map((server) => server.stop('SIGKILL')));
  for (const engine of engines) await engine.close().catch(() => undefined);
  await removeTempDir(work);
});

/** Opens the data directory in-process and checks it holds exactly the good products, each findable. */
async function assertExactlyTheGoodProducts(dataDir: string, good: readonly Product[]): Promise<void> {
  const { ids } = storedIds(dataDir);
  assert.deepEqual(
    [...ids].sort(),
    good.map((p) => p.id).sort(),
    'the store holds exactly the good products, nothing from a bad line',
  );
  const engine = await createEngine({ dataDir, embedding: { auto: false } });
  engines.push(engine);
  try {
    const changed: string[] = [];
    for (const product of good) {
      if (!isDeepStrictEqual(await engine.get(product.id), normalised(product))) changed.push(product.id);
    }
    assert.deepEqual(changed.slice(0, 10), [], `${changed.length} good products are not stored as loaded`);
    const missed: string[] = [];
    for (const product of good) {
      const token = product.title.split(' ').pop()!;
      const response = await engine.search({ q: token, limit: 2, highlight: false });
      if (response.total !== 1 || response.hits[0]?.id !== product.id) missed.push(product.id);
    }
    assert.deepEqual(missed.slice(0, 10), [], `${missed.length} good products are not found by their token`);
  } finally {
    await engine.close();
    engines.splice(engines.indexOf(engine), 1);
  }
}

describe('souk ingest of a catalogue with 200 malformed lines', () => {
  it('reports exactly the bad lines with file, line, field and code, and loads every good product', async (t) => {
    const dataDir = join(work, 'ingest-data');
    const started = Date.now();
    const result = await runCli(['ingest', file, '--data', dataDir, '--json'], { cwd: PACKAGE_ROOT });
    t.diagnostic(`ingest of ${catalogue.lines} lines took ${Date.now() - started} ms`);
    assert.equal(result.code, 65, `exit 65 when lines were rejected: ${result.stderr}`);
    const report = JSON.parse(result.stdout) as IngestReport;
    assert.equal(report.loaded, GOOD);
    assert.equal(report.rejected, BAD);
    assert.equal(report.unchanged, 0);
    assert.equal(report.seq, GOOD, 'one change per good product and none for a bad line');
    assertReported(report.errors, catalogue.bad);
    for (const error of report.errors) {
      assert.equal(error.file, file, 'each error names the file');
      assert.ok(
        error.message.startsWith(`${basename(file)}:${error.line}: `),
        `the message starts with file:line: ${error.message}`,
      );
    }
    await assertExactlyTheGoodProducts(dataDir, catalogue.good);

    // Loading the same file again writes nothing, reports the same lines, and prints them for people:
    // `file:line: field "x": message [CODE]`, the first 50, then how many more.
    const again = await runCli(['ingest', file, '--data', dataDir], { cwd: PACKAGE_ROOT });
    assert.equal(again.code, 65, again.stderr);
    assert.match(again.stdout, new RegExp(`^loaded 0, unchanged ${GOOD}, rejected ${BAD}$`, 'm'));
    const printed = again.stderr.split('\n').filter((line) => line.startsWith(`${file}:`));
    assert.equal(printed.length, 50, again.stderr);
    const firstErrors = report.errors.slice(0, 50);
    printed.forEach((line, i) => {
      const error = firstErrors[i]!;
      const field = error.field === undefined ? '' : `field "${error.field}": `;
      assert.ok(line.startsWith(`${file}:${error.line}: ${field}`), `${line} names line ${error.line}`);
      assert.ok(line.endsWith(`[${error.code}]`), line);
    });
    assert.match(again.stderr, new RegExp(`… and ${report.errors.length - 50} more`));
    assert.equal(storedIds(dataDir).lastSeq, GOOD, 'the second load wrote nothing');
  });
});

describe('souk ingest of a CSV catalogue with bad rows, then --strict', () => {
  it('reports exactly the bad rows and loads every good one', async () => {
    const rand = random(11);
    const rows = ['id,title,price,rating,brand'];
    const bad = new Map<number, Expected[]>();
    const good: Product[] = [];
    const badRows: Array<[string, Expected[]]> = [
      ['x{n},Too few columns,1', [{ code: 'INVALID_CSV' }]],
      ['x{n},Price text,abc,,Acme', [{ code: 'INVALID_FIELD', field: 'price' }]],
      ['x{n},Negative price,-3,,Acme', [{ code: 'INVALID_FIELD', field: 'price' }]],
      ['x{n},Rating too high,1,9,Acme', [{ code: 'INVALID_FIELD', field: 'rating' }]],
      [',No id,1,,Acme', [{ code: 'MISSING_FIELD', field: 'id' }]],
      ['x{n},,1,,Acme', [{ code: 'MISSING_FIELD', field: 'title' }]],
      ['x{n},"Bad "quote" here",1,,Acme', [{ code: 'INVALID_CSV' }]],
      ['x{n},Too many,1,2,Acme,extra', [{ code: 'INVALID_CSV' }]],
    ];
    let badCount = 0;
    for (let i = 0; i < 400; i++) {
      if (rand() < 0.1) {
        const [text, expected] = badRows[badCount % badRows.length]!;
        rows.push(text.replace('{n}', String(badCount)));
        bad.set(rows.length, expected);
        badCount++;
      }
      const product: Product = {
        id: `c${i}`,
        title: `Csv item ${uniqueToken(i)}`,
        price: Math.round(rand() * 10_000) / 100,
        brand: 'Acme',
      };
      good.push(product);
      rows.push(`${product.id},${product.title},${product.price},,${product.brand}`);
    }
    assert.ok(badCount >= 16, `${badCount} bad rows`);
    const csv = join(work, 'mixed.csv');
    await writeFile(csv, rows.join('\n') + '\n');
    const dataDir = csvDataDir;
    const result = await runCli(['ingest', csv, '--data', dataDir, '--json'], { cwd: PACKAGE_ROOT });
    assert.equal(result.code, 65, result.stderr);
    const report = JSON.parse(result.stdout) as IngestReport;
    assert.equal(report.rejected, badCount);
    assert.equal(report.loaded, good.length);
    assertReported(report.errors, bad);
    assert.ok(report.errors.every((e: LineError) => e.file === csv));
    await assertExactlyTheGoodProducts(dataDir, good);
  });

  it('with --strict writes nothing to a data directory that holds products, and lists the bad lines', async () => {
    // The CSV test above filled csvDataDir; the mixed JSONL file would add 2000 products to it.
    const before = storedIds(csvDataDir);
    assert.ok(before.ids.length > 0);
    const result = await runCli(['ingest', file, '--data', csvDataDir, '--strict'], { cwd: PACKAGE_ROOT });
    assert.equal(result.code, 65, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`^error \\[STRICT_LOAD_FAILED\\]: .*${BAD} bad line\\(s\\), nothing was loaded`, 'm'),
    );
    const printed = result.stderr.split('\n').filter((line) => line.startsWith(`${file}:`));
    assert.equal(printed.length, 50);
    const firstBadLines = [...catalogue.bad.keys()].sort((a, b) => a - b).slice(0, 50);
    const printedLines = [...new Set(printed.map((line) => Number(/^[^:]+:(\d+):/.exec(line)?.[1])))];
    assert.deepEqual(printedLines, firstBadLines.slice(0, printedLines.length));
    assert.doesNotMatch(result.stdout, /loaded/);

    const after = storedIds(csvDataDir);
    assert.deepEqual(after.ids.sort(), before.ids.sort(), 'strict mode wrote no product');
    assert.equal(after.lastSeq, before.lastSeq, 'strict mode logged no change');
  });
});

describe('POST /products with the same malformed lines (JSON Lines body)', () => {
  it('reports exactly the bad lines, writes every good product, and a repeat writes nothing', async (t) => {
    const dataDir = join(work, 'serve-data');
    const server = await startCliServer(
      [
        'serve',
        '--data',
        dataDir,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--no-embed',
        '--log-level',
        'silent',
      ],
      { cwd: PACKAGE_ROOT, env: { SOUK_ADMIN_KEY: ADMIN_KEY }, timeoutMs: 30_000 },
    );
    servers.push(server);
    const client = new KeepAliveClient(server.url, { maxSockets: 8 });
    try {
      const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/x-ndjson' };
      interface BatchReply {
        seq: number;
        count: number;
        errors: Array<{
          index: number;
          line?: number;
          id?: string;
          field?: string;
          code: string;
          message: string;
        }>;
      }
      const posted = await client.json<BatchReply>('POST', '/products', {
        body: catalogue.text,
        headers,
        timeoutMs: 30_000,
      });
      t.diagnostic(`POST /products of ${catalogue.lines} lines took ${Math.round(posted.ms)} ms`);
      assert.equal(posted.status, 200, JSON.stringify(posted.body).slice(0, 500));
      assert.equal(posted.body.count, GOOD);
      assert.equal(posted.body.seq, GOOD);
      assertReported(posted.body.errors, catalogue.bad);
      assert.ok(posted.body.errors.every((e) => typeof e.message === 'string' && e.message.length > 0));

      const health = await client.json<{ products: number; seq: number }>('GET', '/health');
      assert.deepEqual([health.status, health.body.products, health.body.seq], [200, GOOD, GOOD]);
      const missed = (
        await mapConcurrent(catalogue.good, 8, async (product) => {
          const token = product.title.split(' ').pop()!;
          const reply = await client.json<SearchResponse>(
            'GET',
            `/search?q=${token}&limit=2&highlight=false`,
          );
          const ok = reply.status === 200 && reply.body.total === 1 && reply.body.hits[0]?.id === product.id;
          return ok ? undefined : product.id;
        })
      ).filter((id) => id !== undefined);
      assert.deepEqual(missed.slice(0, 10), [], `${missed.length} good products not found over HTTP`);
      const leaked = (
        await mapConcurrent(catalogue.badIds, 8, async (id) => {
          const reply = await client.request('GET', `/products/${id}`);
          return reply.status === 404 ? undefined : `${id}: ${reply.status}`;
        })
      ).filter((id) => id !== undefined);
      assert.deepEqual(leaked, [], 'no product from a bad line is readable');

      const repeat = await client.json<BatchReply>('POST', '/products', {
        body: catalogue.text,
        headers,
        timeoutMs: 30_000,
      });
      assert.equal(repeat.status, 200);
      assert.equal(repeat.body.count, 0, 'unchanged products are not rewritten');
      assert.equal(repeat.body.seq, GOOD);
      assertReported(repeat.body.errors, catalogue.bad);
    } finally {
      client.close();
    }
    const stopped = await server.stop('SIGTERM');
    servers.splice(servers.indexOf(server), 1);
    assert.equal(stopped.code, 0, server.stderr());
    assert.deepEqual(
      storedIds(dataDir).ids.sort(),
      catalogue.good.map((p) => p.id).sort(),
      'the store holds exactly the good products',
    );
  });
});
