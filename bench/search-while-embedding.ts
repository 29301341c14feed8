/**
 * Hybrid search latency while the engine embeds a backlog: `node --import tsx bench/search-while-embedding.ts
 * [--products 3000] [--queries 40]`. An in-memory engine with USE-Lite embeds the first 200 Home Depot titles,
 * then measures hybrid searches (query-vector cache off, so every search embeds its query) when idle and while
 * `embed()` drains the remaining products — the case of a live catalogue taking a bulk upsert. A search's
 * query shares the embedding worker with the drain, so this measures how long it waits for it.
 * Writes bench/results/<date>-search-while-embedding.md; progress on stderr.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine.ts';
import { readQueries } from '../src/eval/judgment-files.ts';
import type { Product } from '../src/types.ts';
import { percentile } from '../src/util/percentile.ts';
import { DATASETS_DIR } from './relevance.ts';

const { values: args } = parseArgs({
  options: { products: { type: 'string', default: '3000' }, queries: { type: 'string', default: '40' } },
});
const progress = (message: string): void =>
  void process.stderr.write(`[search-while-embedding] ${message}\n`);
const file = join(DATASETS_DIR, 'homedepot/products.jsonl');
if (!existsSync(file)) {
  progress(`skipped: ${file} not found`);
  process.exit(0);
}
const products = readFileSync(file, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .slice(0, Number(args.products))
  .map((line) => JSON.parse(line) as Product);
const queries = [...readQueries(join(DATASETS_DIR, 'homedepot/queries.tsv')).values()].slice(
  0,
  Number(args.queries) * 2,
);

const engine = await createEngine({
  dataDir: null,
  embedding: { image: { provider: 'none' }, queryCacheSize: 0 },
});
try {
  await engine.upsert(products.slice(0, 200));
  await engine.embed();
  const measure = async (from: number): Promise<{ p50: number; p90: number; max: number }> => {
    const times: number[] = [];
    for (const q of queries.slice(from, from + Number(args.queries))) {
      const started = performance.now();
      await engine.search({ q, mode: 'hybrid' });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 50), p90: percentile(times, 90), max: times[times.length - 1]! };
  };
  progress('idle');
  const idle = await measure(0);
  await engine.upsert(products.slice(200));
  progress(`embedding ${products.length - 200} products while searching`);
  let drained = false;
  const drain = engine.embed().then((report) => {
    drained = true;
    return report;
  });
  const busy = await measure(Number(args.queries));
  const stillDraining = !drained;
  await drain;
  const ms = (x: number): string => x.toFixed(1);
  const date = new Date().toISOString().slice(0, 10);
  const table = [
    `## Hybrid search while embedding — ${date}`,
    '',
    `${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}. In-memory engine, USE-Lite (1 worker), ` +
      `${args.queries} Home Depot dev queries each case, query-vector cache off; the drain embeds ` +
      `${products.length - 200} titles${stillDraining ? ' (still running when the searches ended)' : ' (it ended before the searches did: raise --products)'}.`,
    '',
    '| case | p50 ms | p90 ms | max ms |',
    '|---|---:|---:|---:|',
    `| idle | ${ms(idle.p50)} | ${ms(idle.p90)} | ${ms(idle.max)} |`,
    `| while embedding | ${ms(busy.p50)} | ${ms(busy.p90)} | ${ms(busy.max)} |`,
    '',
  ].join('\n');
  process.stdout.write(`${table}\n`);
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${date}-search-while-embedding.md`), table);
} finally {
  await engine.close();
}
