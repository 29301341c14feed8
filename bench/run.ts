/**
 * `npm run bench`: ingest throughput, keyword query latency and memory on the Home Depot catalogue
 * (../shared/datasets), plus keyword relevance on the development splits. Writes a markdown table to
 * bench/results/<date>-core.md and prints it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createEngine } from '../src/engine.ts';
import { DATASETS_DIR, measureRelevance } from './relevance.ts';
import { percentile } from '../src/util/percentile.ts';

const progress = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

async function ingestAndQuery(mode: 'memory' | 'sqlite') {
  const file = join(DATASETS_DIR, 'homedepot/products.jsonl');
  const dir = mkdtempSync(join(tmpdir(), 'souk-bench-'));
  const rssBefore = process.memoryUsage().rss;
  const engine = await createEngine({ dataDir: mode === 'memory' ? null : dir });
  try {
    progress(`${mode}: ingesting ${file}`);
    const started = performance.now();
    const report = await engine.ingest(file, {
      onProgress: (p) => {
        if (p.linesRead % 20000 < 5000) progress(`${mode}: ${p.linesRead} lines`);
      },
    });
    const ingestMs = performance.now() - started;
    const queries = readFileSync(join(DATASETS_DIR, 'homedepot/queries.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('\t')[1] ?? '');
    // Warm-up pass (JIT), then the measured pass over every dev query.
    for (const q of queries.slice(0, 500)) await engine.search({ q, limit: 10 });
    const latencies: number[] = [];
    for (let i = 0; i < queries.length; i++) {
      const t = performance.now();
      await engine.search({ q: queries[i]!, limit: 10 });
      latencies.push(performance.now() - t);
      if (i % 3000 === 0) progress(`${mode}: query ${i}/${queries.length}`);
    }
    latencies.sort((a, b) => a - b);
    const stats = await engine.stats();
    const rss = process.memoryUsage().rss;
    let reopenMs: number | undefined;
    if (mode === 'sqlite') {
      await engine.close();
      const t = performance.now();
      const reopened = await createEngine({ dataDir: dir });
      reopenMs = performance.now() - t;
      await reopened.close();
    }
    return {
      products: report.loaded,
      ingestPerSecond: Math.round(report.loaded / (ingestMs / 1000)),
      ingestMs: Math.round(ingestMs),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
      queries: latencies.length,
      indexMb: stats.indexBytes / 1e6,
      rssMb: rss / 1e6,
      rssGrowthMb: (rss - rssBefore) / 1e6,
      reopenMs,
    };
  } finally {
    await engine.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(DATASETS_DIR)) {
  console.log(`skipped: ${DATASETS_DIR} not found`);
  process.exit(0);
}
const date = new Date().toISOString().slice(0, 10);
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const memory = await ingestAndQuery('memory');
const sqlite = await ingestAndQuery('sqlite');
progress('relevance: homedepot');
const homedepot = await measureRelevance('homedepot');
progress('relevance: multicpr');
const multicpr = await measureRelevance('multicpr');
const f = (n: number, digits = 2): string => n.toFixed(digits);
const table = `## souk core benchmark — ${date}

Machine: ${machine}. Home Depot catalogue (${memory.products} products, titles), ${memory.queries} dev queries, keyword search with prefix and typo tolerance, \`limit: 10\`.

| store | ingest (products/s) | ingest (ms) | query p50 (ms) | query p99 (ms) | query mean (ms) | index (MB) | RSS (MB) | reopen from snapshot (ms) |
|---|---|---|---|---|---|---|---|---|
| memory | ${memory.ingestPerSecond} | ${memory.ingestMs} | ${f(memory.p50, 3)} | ${f(memory.p99, 3)} | ${f(memory.mean, 3)} | ${f(memory.indexMb, 1)} | ${f(memory.rssMb, 0)} | – |
| sqlite (durable) | ${sqlite.ingestPerSecond} | ${sqlite.ingestMs} | ${f(sqlite.p50, 3)} | ${f(sqlite.p99, 3)} | ${f(sqlite.mean, 3)} | ${f(sqlite.indexMb, 1)} | ${f(sqlite.rssMb, 0)} | ${f(sqlite.reopenMs ?? 0, 0)} |

Keyword relevance (dev splits):

| set | NDCG@10 | Recall@10 | Recall@100 | MRR@10 | zero-result rate |
|---|---|---|---|---|---|
| homedepot (54,667 products, 9,381 queries; recall at grade ≥ 3) | ${f(homedepot['ndcg@10'], 4)} | ${f(homedepot['recall@10'], 4)} | ${f(homedepot['recall@100'], 4)} | ${f(homedepot['mrr@10'], 4)} | ${f(homedepot.zero_rate, 4)} |
| multicpr-zh (7,552 products, 158 queries) | ${f(multicpr['ndcg@10'], 4)} | ${f(multicpr['recall@10'], 4)} | ${f(multicpr['recall@100'], 4)} | ${f(multicpr['mrr@10'], 4)} | ${f(multicpr.zero_rate, 4)} |
`;
const resultsDir = resolve(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, `${date}-core.md`), table);
console.log(table);
