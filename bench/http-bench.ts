/**
 * HTTP benchmark: `node --import tsx bench/http-bench.ts [--duration 10] [--connections 1,8] [--only luma]`.
 *
 * Serves a catalogue on a loopback port from a child process (the load generator, autocannon, runs in
 * this one) and measures, per case and number of connections, for `duration` seconds:
 * - keyword: `mode=keyword`, rotating through distinct queries, result cache off;
 * - hybrid: `mode=hybrid` with query embedding on every request (query-vector cache 0, result cache off);
 * - cached: one hybrid query repeated with the result cache on (after one warm-up request).
 * Catalogues: the Luma demo (examples/luma, ingested and embedded into a temp dir) and, when
 * ../shared/datasets exists, Home Depot: the embedded data dir bench/_cache/homedepot_products_jsonl
 * (built by bench/retrieval.ts) copied to a temp dir, or, without it, the raw products (keyword only).
 * Client latency (autocannon, includes HTTP) and server time (inside the fetch handler) are reported.
 * Writes bench/results/<date>-http.md; progress on stderr.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import type { SoukConfig } from '../src/config.ts';
import { createEngine } from '../src/engine.ts';
import { spawn } from 'node:child_process';
import { DATASETS_DIR } from './relevance.ts';
import { percentile } from '../src/util/percentile.ts';

const progress = (message: string): void => {
  process.stderr.write(`[http-bench] ${message}\n`);
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const DURATION = Number(arg('duration', '10'));
const CONNECTIONS = arg('connections', '1,8').split(',').map(Number);
const ONLY = arg('only', '');

const ROOT = resolve(import.meta.dirname, '..');
const NO_IMAGES = { image: { provider: 'none' as const } };

interface Served {
  port: number;
  products: number;
  vectors: number;
  times(): Promise<number[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function serveInChild(config: SoukConfig): Promise<Served> {
  const worker = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'http-bench-server.ts'), JSON.stringify(config)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const waitFor = (type: string) =>
    new Promise<Record<string, unknown>>((resolveMessage, reject) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (message.type !== type) return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolveMessage(message);
      };
      const onExit = (code: number | null) => reject(new Error(`server process exited (${code})`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
  progress('starting the server process');
  const ready = await waitFor('ready');
  return {
    port: ready.port as number,
    products: ready.products as number,
    vectors: ready.vectors as number,
    async times() {
      const answer = waitFor('times');
      worker.send({ type: 'times' });
      return (await answer).times as number[];
    },
    async reset() {
      const answer = waitFor('reset');
      worker.send({ type: 'reset' });
      await answer;
    },
    async close() {
      const answer = waitFor('closed');
      worker.send({ type: 'close' });
      await answer;
    },
  };
}

interface Row {
  catalogue: string;
  products: number;
  case: string;
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  serverP50: number;
  serverP99: number;
  errors: number;
}

async function runCase(
  served: Served,
  catalogue: string,
  name: string,
  paths: string[],
  connections: number,
): Promise<Row> {
  // Warm-up (JIT, the first embedding), not measured.
  for (const path of paths.slice(0, 20))
    await fetch(`http://127.0.0.1:${served.port}${path}`).then((r) => r.text());
  await served.reset();
  let next = 0;
  progress(`${catalogue}: ${name}, ${connections} connection(s), ${DURATION} s`);
  const result = await autocannon({
    url: `http://127.0.0.1:${served.port}`,
    connections,
    duration: DURATION,
    requests: [
      {
        setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length]! }),
      },
    ],
  });
  const times = (await served.times()).sort((a, b) => a - b);
  const row: Row = {
    catalogue,
    products: served.products,
    case: name,
    connections,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverP50: Math.round(percentile(times, 50) * 100) / 100,
    serverP99: Math.round(percentile(times, 99) * 100) / 100,
    errors: result.errors + result.non2xx,
  };
  progress(
    `${catalogue} ${name} c=${connections}: ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ` +
      `server p50 ${row.serverP50} ms p99 ${row.serverP99} ms, errors ${row.errors}`,
  );
  return row;
}

const searchPath = (q: string, mode: string) => `/search?q=${encodeURIComponent(q)}&mode=${mode}&limit=10`;

async function benchCatalogue(
  catalogue: string,
  dataDir: string,
  queries: string[],
  hybrid: boolean,
): Promise<Row[]> {
  const rows: Row[] = [];
  const uncached = await serveInChild({
    dataDir,
    cache: { enabled: false },
    embedding: { ...NO_IMAGES, queryCacheSize: 0 },
  });
  try {
    progress(`${catalogue}: ${uncached.products} products, ${uncached.vectors} text vectors`);
    const canHybrid = hybrid && uncached.vectors > 0;
    for (const connections of CONNECTIONS) {
      rows.push(
        await runCase(
          uncached,
          catalogue,
          'keyword',
          queries.map((q) => searchPath(q, 'keyword')),
          connections,
        ),
      );
      if (canHybrid) {
        rows.push(
          await runCase(
            uncached,
            catalogue,
            'hybrid (query embedded)',
            queries.map((q) => searchPath(q, 'hybrid')),
            connections,
          ),
        );
      }
    }
  } finally {
    await uncached.close();
  }
  const cached = await serveInChild({ dataDir, cache: { enabled: true }, embedding: NO_IMAGES });
  try {
    const mode = hybrid && cached.vectors > 0 ? 'hybrid' : 'keyword';
    const path = searchPath(queries[0] ?? 'hoodie', mode);
    for (const connections of CONNECTIONS) {
      rows.push(await runCase(cached, catalogue, `cached (${mode}, same query)`, [path], connections));
    }
  } finally {
    await cached.close();
  }
  return rows;
}

function lumaQueries(): string[] {
  const seen = new Set<string>();
  const lines = readFileSync(join(ROOT, 'examples/luma/products.jsonl'), 'utf8').trim().split('\n');
  for (const line of lines) {
    const words = (JSON.parse(line) as { title: string }).title.toLowerCase().split(/\s+/);
    seen.add(words.slice(-1).join(' '));
    seen.add(words.slice(-2).join(' '));
    seen.add(words.join(' '));
  }
  return [...seen];
}

async function prepareLuma(dir: string): Promise<void> {
  progress('luma: ingesting and embedding examples/luma');
  const engine = await createEngine({ dataDir: dir, embedding: NO_IMAGES });
  try {
    await engine.ingest(join(ROOT, 'examples/luma/products.jsonl'));
    progress('luma: ingested; embedding');
    const report = await engine.embed({ spaces: ['text'] });
    progress(`luma: ${report.embedded} embedded`);
  } finally {
    await engine.close();
  }
}

const loadBefore = loadavg()[0] ?? 0;
const temp = mkdtempSync(join(tmpdir(), 'souk-http-bench-'));
const rows: Row[] = [];
try {
  if (!ONLY || ONLY === 'luma') {
    const lumaDir = join(temp, 'luma');
    await prepareLuma(lumaDir);
    rows.push(...(await benchCatalogue('Luma', lumaDir, lumaQueries(), true)));
  }
  const hdQueries = join(DATASETS_DIR, 'homedepot/queries.tsv');
  if ((!ONLY || ONLY === 'homedepot') && existsSync(hdQueries)) {
    const queries = readFileSync(hdQueries, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('\t')[1] ?? '')
      .filter(Boolean);
    const embedded = join(ROOT, 'bench/_cache/homedepot_products_jsonl');
    const hdDir = join(temp, 'homedepot');
    if (existsSync(join(embedded, 'souk.db'))) {
      progress(`homedepot: copying ${embedded} to ${hdDir}`);
      cpSync(embedded, hdDir, { recursive: true });
      rows.push(...(await benchCatalogue('Home Depot', hdDir, queries, true)));
    } else {
      progress('homedepot: no embedded data dir, ingesting products (keyword only)');
      const engine = await createEngine({ dataDir: hdDir, embedding: NO_IMAGES });
      await engine.ingest(join(DATASETS_DIR, 'homedepot/products.jsonl'));
      await engine.close();
      rows.push(...(await benchCatalogue('Home Depot', hdDir, queries, false)));
    }
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}

const date = new Date().toISOString().slice(0, 10);
const table = [
  `# HTTP benchmark (${date})`,
  '',
  `Loopback, ${DURATION} s per case, autocannon on the main thread, server in a child process; ${cpus().length} CPUs ` +
    `(${cpus()[0]?.model ?? 'unknown'}), load average before the run ${loadBefore.toFixed(1)} (shared machine). ` +
    'Latency in ms: client (autocannon, whole milliseconds, includes HTTP) and server (fetch handler).',
  '',
  '| catalogue | products | case | conn | req/s | p50 | p99 | server p50 | server p99 | errors |',
  '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.catalogue} | ${r.products} | ${r.case} | ${r.connections} | ${r.rps} | ${r.p50} | ${r.p99} | ` +
      `${r.serverP50} | ${r.serverP99} | ${r.errors} |`,
  ),
  '',
].join('\n');
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const out = join(ROOT, `bench/results/${date}-http.md`);
writeFileSync(out, table);
process.stdout.write(table);
progress(`wrote ${out}`);
