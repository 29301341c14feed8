import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EmbedReport, EngineStats, IngestReport, SearchResponse } from '../src/types.ts';
import { runCli, startCliServer, type CliServer } from './helpers/cli-process.ts';
import { fetchJson, waitForOk } from './helpers/http.ts';
import { LUMA_CATALOGUE, LUMA_IMAGES, LUMA_PRODUCT_COUNT, PACKAGE_ROOT } from './helpers/paths.ts';
import { assertHoodies } from './helpers/luma-assertions.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const product = (id: string, title: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, title, price: 10, image: 'images/photo.jpg', images: ['images/photo.jpg'], ...extra });

let work: string;
let lumaData: string;
const servers: CliServer[] = [];

before(async () => {
  work = await makeTempDir('souk-cli-');
  await mkdir(join(work, 'images'));
  await copyFile(join(LUMA_IMAGES, 'm/h/mh01-gray_main.jpg'), join(work, 'images', 'photo.jpg'));
  await writeFile(
    join(work, 'good.jsonl'),
    [
      product('G1', 'Alpine Wool Beanie', { attributes: { color: ['Red'] } }),
      product('G2', 'Harbor Rain Jacket', { price: 80, attributes: { color: ['Blue'] } }),
      product('G3', 'Summit Fleece Hoodie', { price: 55, attributes: { color: ['Blue'] } }),
    ].join('\n') + '\n',
  );
  await writeFile(
    join(work, 'bad.jsonl'),
    [
      product('B1', 'Valid Canvas Tote'),
      JSON.stringify({ id: 'B2', price: 5 }),
      '{"id": "B3", "title": ',
      product('B4', 'Bad Price Scarf', { price: 'cheap' }),
      product('B5', 'Valid Leather Belt'),
    ].join('\n') + '\n',
  );
  const many = Array.from({ length: 60 }, (_, i) => JSON.stringify({ id: `M${i}` }));
  await writeFile(
    join(work, 'many-bad.jsonl'),
    [product('OK', 'The Only Good One'), ...many].join('\n') + '\n',
  );

  lumaData = join(work, 'luma-data');
  const ingest = await runCli(['ingest', LUMA_CATALOGUE, '--data', lumaData]);
  assert.equal(ingest.code, 0, ingest.stderr);
});

after(async () => {
  await Promise.all(servers.map((server) => server.stop('SIGKILL')));
  await removeTempDir(work);
});

async function stats(dataDir: string): Promise<EngineStats> {
  const result = await runCli(['stats', '--data', dataDir, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as EngineStats;
}

describe('souk ingest', () => {
  it('loads a good file, then skips every unchanged product on the next run', async () => {
    const dataDir = join(work, 'good-data');
    let result = await runCli(['ingest', join(work, 'good.jsonl'), '--data', dataDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^loaded 3, unchanged 0, rejected 0$/m);

    result = await runCli(['ingest', 'good.jsonl', '--data', 'good-data'], { cwd: work });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^loaded 0, unchanged 3, rejected 0$/m);

    result = await runCli(['ingest', join(work, 'good.jsonl'), '--data', dataDir, '--json']);
    assert.equal(result.code, 0);
    const report = JSON.parse(result.stdout) as IngestReport;
    assert.deepEqual([report.loaded, report.unchanged, report.rejected], [0, 3, 0]);
    assert.equal((await stats(dataDir)).products, 3);
  });

  it('loads the good lines of a file with bad ones, reports each bad line and exits 65', async () => {
    const dataDir = join(work, 'bad-data');
    const result = await runCli(['ingest', join(work, 'bad.jsonl'), '--data', dataDir]);
    assert.equal(result.code, 65, result.stderr);
    assert.match(result.stdout, /^loaded 2, unchanged 0, rejected 3$/m);
    const lines = result.stderr.split('\n').filter((line) => line.includes('bad.jsonl:'));
    assert.equal(lines.length, 3, result.stderr);
    assert.match(lines[0]!, /bad\.jsonl:2: field "title": .*\[MISSING_FIELD\]$/);
    assert.match(lines[1]!, /bad\.jsonl:3: .*\[INVALID_JSON\]$/);
    assert.match(lines[2]!, /bad\.jsonl:4: field "price": .*\[INVALID_FIELD\]$/);
    assert.equal((await stats(dataDir)).products, 2);
  });

  it('lists the first 50 rejected lines and counts the rest', async () => {
    const result = await runCli(['ingest', join(work, 'many-bad.jsonl'), '--data', join(work, 'many-data')]);
    assert.equal(result.code, 65);
    const reported = result.stderr.split('\n').filter((line) => /many-bad\.jsonl:\d+: /.test(line));
    assert.equal(reported.length, 50);
    assert.match(result.stderr, /… and 10 more/);
    assert.match(result.stdout, /loaded 1, unchanged 0, rejected 60/);
  });

  it('with --strict loads nothing when a line is bad and exits 65', async () => {
    const dataDir = join(work, 'strict-data');
    const result = await runCli(['ingest', join(work, 'bad.jsonl'), '--data', dataDir, '--strict']);
    assert.equal(result.code, 65, result.stderr);
    assert.match(result.stderr, /^error \[STRICT_LOAD_FAILED\]: /m);
    assert.match(result.stderr, /bad\.jsonl:2: field "title": .*\[MISSING_FIELD\]/);
    assert.equal((await stats(dataDir)).products, 0);
  });

  it('exits 66 for a catalogue that does not exist', async () => {
    const result = await runCli([
      'ingest',
      join(work, 'missing.jsonl'),
      '--data',
      join(work, 'missing-data'),
    ]);
    assert.equal(result.code, 66, result.stderr);
    assert.match(result.stderr, /^error \[FILE_NOT_FOUND\]: /m);
  });
});

describe('souk search and stats', () => {
  it('prints exactly the SearchResponse JSON with --json', async () => {
    const result = await runCli(['search', 'hoodie', '--data', lumaData, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const response = JSON.parse(result.stdout) as SearchResponse;
    assert.equal(response.query, 'hoodie');
    assert.equal(response.hits.length, 10);
    assert.ok(response.total >= 10);
    assertHoodies(response.hits);
    assert.equal(typeof response.hits[0]?.score, 'number');
    assert.equal(typeof response.hits[0]?.id, 'string');
  });

  it('applies --filter, --facets, --sort, --limit and --offset', async () => {
    const filtered = await runCli([
      'search',
      'hoodie',
      '--data',
      lumaData,
      '--filter',
      'price 50 TO 60',
      '--facets',
      'color,price',
      '--sort',
      'price:asc',
      '--limit',
      '5',
      '--offset',
      '1',
      '--json',
    ]);
    assert.equal(filtered.code, 0, filtered.stderr);
    const response = JSON.parse(filtered.stdout) as SearchResponse;
    assert.equal(response.offset, 1);
    assert.equal(response.limit, 5);
    assert.ok(response.hits.length > 0 && response.hits.length <= 5);
    const prices = response.hits.map((hit) => hit.price!);
    assert.ok(
      prices.every((price) => price >= 50 && price <= 60),
      String(prices),
    );
    assert.deepEqual(
      prices,
      [...prices].sort((a, b) => a - b),
    );
    assert.ok(response.facets?.color?.values?.some((value) => value.count > 0));
    assert.ok(response.facets?.price);
  });

  it('prints a readable table with facet counts', async () => {
    const result = await runCli([
      'search',
      'hoodie',
      '--data',
      lumaData,
      '--facets',
      'color',
      '--limit',
      '3',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\d+ results for "hoodie" \(1–3 shown/);
    assert.match(result.stdout, /^#\s+score\s+id\s+title\s+price$/m);
    assert.match(result.stdout, /^\s*1\s+\d+\.\d{3}\s+\S+\s+.*Hoodl?ie.*\s\d+\.\d\d USD$/m);
    assert.match(result.stdout, /^facets:\n {2}color: \w+ \(\d+\)/m);
  });

  it('shows stats as text and JSON', async () => {
    assert.equal((await stats(lumaData)).products, LUMA_PRODUCT_COUNT);
    const text = await runCli(['stats', '--data', lumaData]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`^products\\s+${LUMA_PRODUCT_COUNT}$`, 'm'));
  });

  it('exits 2 for usage errors and bad query options', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['search', 'hoodie'], /Pass --data <dir> \(SQLite\) or --store postgres:\/\/…/],
      [['search', 'hoodie', '--data', lumaData, '--limit', 'ten'], /--limit/],
      [['search', 'hoodie', '--data', lumaData, '--sort', 'cheapest'], /--sort/],
      [['search', 'hoodie', '--data', lumaData, '--bogus'], /unknown option '--bogus'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [[], /Usage: souk/],
      [
        ['search', 'hoodie', '--data', lumaData, '--filter', 'price >= cheap'],
        /^error \[INVALID_FILTER\]: /m,
      ],
    ];
    for (const [args, pattern] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `souk ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern, args.join(' '));
      const engineError = args.includes('--filter') || (args[0] === 'search' && !args.includes('--data'));
      if (args.length > 0 && !engineError) assert.match(result.stderr, /^error \[USAGE\]: /m);
    }
  });

  it('exits 66 when the data directory does not exist', async () => {
    const result = await runCli(['search', 'hoodie', '--data', join(work, 'no-such-dir')]);
    assert.equal(result.code, 66);
    assert.match(result.stderr, /^error \[FILE_NOT_FOUND\]: No data directory at .*no-such-dir/m);
  });

  it('prints --version and --help with exit 0', async () => {
    const manifest = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), manifest.version);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['ingest', 'search', 'serve', 'stats', 'demo'])
      assert.match(help.stdout, new RegExp(command));
  });
});

describe('souk embed and vector search', () => {
  it('embeds with progress, then searches by meaning and by photo; a second run embeds nothing', async () => {
    const dataDir = join(work, 'embed-data');
    const ingest = await runCli(['ingest', LUMA_CATALOGUE, '--data', dataDir, '--embed'], {
      timeoutMs: 120_000,
    });
    assert.equal(ingest.code, 0, ingest.stderr);
    assert.match(
      ingest.stdout,
      /embedded 370, from cache 0, failed 0 \(text: 191 vectors; image: 179 vectors\)/,
    );
    assert.match(ingest.stderr, /embed text: 191\/191/, 'progress on stderr');

    const again = await runCli(['embed', '--data', dataDir, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const report = JSON.parse(again.stdout) as EmbedReport;
    assert.deepEqual([report.embedded, report.cached, report.spaces.text?.vectors], [0, 0, 191]);

    const semantic = await runCli([
      'search',
      'hooded sweatshirt',
      '--data',
      dataDir,
      '--mode',
      'semantic',
      '--json',
    ]);
    assert.equal(semantic.code, 0, semantic.stderr);
    const response = JSON.parse(semantic.stdout) as SearchResponse;
    assert.equal(response.mode, 'semantic');
    assert.match(response.hits[0]?.title ?? '', /Hoodie|Sweatshirt/);

    const photo = join(LUMA_IMAGES, 'm/h/mh07-gray_back.jpg');
    const byImage = await runCli(['search', '--image', photo, '--data', dataDir, '--json']);
    assert.equal(byImage.code, 0, byImage.stderr);
    assert.ok((JSON.parse(byImage.stdout) as SearchResponse).hits.some((hit) => hit.id === 'MH07'));

    const missing = await runCli(['search', '--image', join(work, 'nope.jpg'), '--data', dataDir]);
    assert.equal(missing.code, 65, missing.stderr);
    assert.match(missing.stderr, /error \[INVALID_IMAGE\]: image file .*nope\.jpg does not exist/);
  });
});

describe('souk serve and souk demo', () => {
  it('serves a data directory until SIGTERM, then exits 0', async () => {
    const server = await startCliServer(['serve', '--data', lumaData, '--port', '0'], {
      env: { SOUK_ADMIN_KEY: 'env-secret' },
    });
    servers.push(server);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await waitForOk(`${server.url}/health`);
    await checkLumaSearch(server.url);

    const write = await fetchJson<{ count: number }>(`${server.url}/products/CLI-1`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer env-secret', 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Served Write Test' }),
    });
    assert.equal(write.status, 200);
    assert.equal(write.body.count, 1);

    const exit = await server.stop('SIGTERM');
    assert.deepEqual([exit.code, exit.signal], [0, null], server.stderr());
    assert.ok(exit.ms < 5000, `took ${exit.ms} ms to stop`);
    // The write made while serving was durable across the shutdown.
    const after = await runCli(['search', 'served write', '--data', lumaData, '--json']);
    assert.equal((JSON.parse(after.stdout) as SearchResponse).hits[0]?.id, 'CLI-1');
  });

  it('demo loads the Luma catalogue from any cwd, serves it, and skips unchanged products next time', async () => {
    const dataDir = join(work, 'demo-data');
    const first = await startCliServer(['demo', '--port', '0', '--data', dataDir], { cwd: work });
    servers.push(first);
    assert.match(first.stdout(), new RegExp(`demo: loaded ${LUMA_PRODUCT_COUNT}, unchanged 0, rejected 0`));
    assert.match(first.stdout(), /embedded 370, from cache 0, failed 0/);
    assert.match(first.stdout(), /writes are disabled/);
    await waitForOk(`${first.url}/health`);
    assert.match(first.stdout(), new RegExp(`${first.url.replace(/\./g, '\\.')}/search\\?q=hoodie`));
    const health = await fetchJson<{ products: number }>(`${first.url}/health`);
    assert.equal(health.body.products, LUMA_PRODUCT_COUNT);
    await checkLumaSearch(first.url);
    const landing = await fetch(`${first.url}/`);
    assert.match(await landing.text(), /<form/);
    let exit = await first.stop('SIGINT');
    assert.deepEqual([exit.code, exit.signal], [0, null], first.stderr());

    const second = await startCliServer(['demo', '--port', '0', '--data', dataDir], { cwd: work });
    servers.push(second);
    assert.match(second.stdout(), new RegExp(`demo: loaded 0, unchanged ${LUMA_PRODUCT_COUNT}, rejected 0`));
    assert.match(
      second.stdout(),
      /embedded 0, from cache 0, failed 0/,
      'vectors come back with the snapshot',
    );
    const hybrid = await fetchJson<SearchResponse>(`${second.url}/search?q=hoodie`);
    assert.equal(hybrid.body.mode, 'hybrid');
    await waitForOk(`${second.url}/health`);
    exit = await second.stop('SIGTERM');
    assert.equal(exit.code, 0, second.stderr());
    assert.ok(exit.ms < 5000);
  });
});

async function checkLumaSearch(url: string): Promise<void> {
  const { status, body } = await fetchJson<SearchResponse>(`${url}/search?q=hoodie`);
  assert.equal(status, 200);
  assert.ok(body.hits.length > 0);
  assertHoodies(body.hits);
  for (const hit of body.hits.slice(0, 3)) {
    const image = hit.image ?? '';
    assert.ok(image.startsWith('/products/'), image);
    const photo = await fetch(new URL(image, url), { signal: AbortSignal.timeout(5000) });
    assert.equal(photo.status, 200);
    assert.equal(photo.headers.get('content-type'), 'image/jpeg');
    assert.ok((await photo.arrayBuffer()).byteLength > 0);
  }
}
