/**
 * Benchmarks of the vector side (`npm run bench`, after the core benchmark): embedding throughput of the
 * offline models, Luma image→product recall, vector index latency and recall at 54k and 1M synthetic vectors,
 * and keyword / semantic / hybrid query latency with query embedding on Home Depot.
 * `node --import tsx bench/semantic-bench.ts [--quick]` (`--quick`: 54k vectors only, fewer queries).
 * Writes `bench/results/<date>-semantic.md` and prints it; progress goes to stderr.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createUseLiteEmbedder } from '../src/embed/use-lite-embedder.ts';
import { createVisualDescriptorEmbedder } from '../src/embed/visual-descriptor.ts';
import { createEngine } from '../src/engine.ts';
import type { SearchMode } from '../src/types.ts';
import { formatImageRecall, LUMA_DIR, loadLumaPhotoSets, measureLumaImageRecall } from './image-recall.ts';
import { DATASETS_DIR } from './relevance.ts';
import { formatVectorBench, runVectorBench } from './vector-bench.ts';
import { percentile } from '../src/util/percentile.ts';

const quick = process.argv.includes('--quick');
const progress = (message: string): void => {
  process.stderr.write(`[semantic-bench] ${message}\n`);
};
const f = (n: number, digits = 2): string => n.toFixed(digits);

async function embeddingThroughput(): Promise<string> {
  const titles = readFileSync(join(DATASETS_DIR, 'homedepot/products.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, quick ? 256 : 1024)
    .map((line) => (JSON.parse(line) as { title: string }).title);
  const rows = ['| model | inputs | workers | per second | ms per input |', '|---|---|---|---|---|'];
  for (const workers of [1, 2]) {
    progress(`USE-Lite, ${workers} worker(s), ${titles.length} Home Depot titles`);
    const embedder = await createUseLiteEmbedder({ workers });
    await embedder.embed(titles.slice(0, 32), 'document');
    const started = performance.now();
    await embedder.embed(titles, 'document');
    const ms = performance.now() - started;
    await embedder.close();
    rows.push(
      `| USE-Lite (text) | ${titles.length} titles | ${workers} | ${f((titles.length / ms) * 1000, 0)} | ${f(ms / titles.length)} |`,
    );
  }
  const photos = loadLumaPhotoSets(LUMA_DIR)
    .flatMap((set) => [set.primary, ...set.others])
    .slice(0, 200)
    .map((path) => new Uint8Array(readFileSync(path)));
  progress(`visual descriptor, ${photos.length} Luma photos`);
  const visual = createVisualDescriptorEmbedder();
  await visual.embedImages(photos.slice(0, 8));
  const started = performance.now();
  for (let i = 0; i < photos.length; i += 16) await visual.embedImages(photos.slice(i, i + 16));
  const ms = performance.now() - started;
  await visual.close();
  rows.push(
    `| visual descriptor (image) | ${photos.length} photos | – | ${f((photos.length / ms) * 1000, 0)} | ${f(ms / photos.length)} |`,
  );
  return rows.join('\n');
}

async function queryLatency(): Promise<string> {
  const dataDir = resolve(import.meta.dirname, '_cache', 'homedepot_products_jsonl');
  // No query-vector cache: every query is embedded, as a first query would be.
  const engine = await createEngine({
    dataDir,
    embedding: { queryCacheSize: 0, image: { provider: 'none' } },
  });
  try {
    await engine.ingest(join(DATASETS_DIR, 'homedepot/products.jsonl'));
    let last = 0;
    await engine.embed({
      onProgress: (p) => {
        if (Date.now() - last < 10_000) return;
        last = Date.now();
        progress(`embedding Home Depot (first run only): ${p.done}/${p.total}`);
      },
    });
    const queries = readFileSync(join(DATASETS_DIR, 'homedepot/queries.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('\t')[1] ?? '')
      .slice(0, quick ? 300 : 2000);
    const rows = ['| mode | queries | p50 (ms) | p99 (ms) | mean (ms) |', '|---|---|---|---|---|'];
    for (const mode of ['keyword', 'semantic', 'hybrid'] as SearchMode[]) {
      for (const q of queries.slice(0, 50)) await engine.search({ q, mode, limit: 10 });
      const latencies: number[] = [];
      for (const q of queries) {
        const started = performance.now();
        await engine.search({ q, mode, limit: 10 });
        latencies.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      const mean = latencies.reduce((sum, x) => sum + x, 0) / latencies.length;
      rows.push(
        `| ${mode} | ${latencies.length} | ${f(percentile(latencies, 50))} | ${f(percentile(latencies, 99))} | ${f(mean)} |`,
      );
      progress(`query latency ${mode}: p50 ${f(percentile(latencies, 50))} ms`);
    }
    return rows.join('\n');
  } finally {
    await engine.close();
  }
}

if (!existsSync(DATASETS_DIR)) {
  console.log(`skipped: ${DATASETS_DIR} not found`);
  process.exit(0);
}
const date = new Date().toISOString().slice(0, 10);
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const throughput = await embeddingThroughput();
progress('Luma image→product recall');
const visual = createVisualDescriptorEmbedder();
const imageRecall = formatImageRecall(visual, await measureLumaImageRecall(visual));
await visual.close();
progress(`vector indexes${quick ? ' (quick)' : ' (54k and 1M; the 1M build takes several minutes)'}`);
const vectors = runVectorBench({ quick });
const latency = await queryLatency();
const report = `## souk semantic and image benchmark — ${date}

Machine: ${machine}.

### Embedding throughput

${throughput}

### Luma image → product (query with each non-primary photo; the index holds each product's primary photo)

${imageRecall}

### Vector indexes (synthetic clustered vectors, fixed seed)

${formatVectorBench(vectors.rows, vectors.crossover)}

### Query latency on Home Depot (54,667 products, USE-Lite, every query embedded, \`limit: 10\`)

${latency}
`;
mkdirSync(resolve(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(resolve(import.meta.dirname, 'results', `${date}-semantic.md`), report);
console.log(report);
