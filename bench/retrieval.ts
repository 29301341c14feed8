/**
 * Relevance of keyword, semantic and hybrid retrieval on the development splits in ../shared/datasets,
 * with the offline default models (USE-Lite; the dictionary bridge for Chinese):
 * `node --import tsx bench/retrieval.ts [homedepot|multicpr|xling|all] [--config '{…}']`.
 *
 * Each catalogue is ingested and embedded once into `bench/_cache/<name>` (outside git); later runs reuse
 * the stored vectors, so only the first run pays for embedding (Home Depot: about 15 minutes on 2 cores).
 * Writes `bench/results/<date>-retrieval.md` and prints it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { SoukConfig } from '../src/config.ts';
import { createEngine } from '../src/engine.ts';
import { evaluate, type EvaluationResult } from '../src/eval/evaluate.ts';
import { readQrels, readQueries } from '../src/eval/judgment-files.ts';
import type { SearchMode } from '../src/types.ts';
import { DATASETS_DIR } from './relevance.ts';

const CACHE_DIR = resolve(import.meta.dirname, '_cache');
const MODES: SearchMode[] = ['keyword', 'semantic', 'hybrid'];

interface RetrievalSet {
  name: string;
  products: string;
  queries: string;
  qrels: string;
  relevantGrade: number;
}

const SETS: Record<string, RetrievalSet[]> = {
  homedepot: [
    {
      name: 'homedepot',
      products: 'homedepot/products.jsonl',
      queries: 'homedepot/queries.tsv',
      qrels: 'homedepot/qrels.txt',
      relevantGrade: 3,
    },
  ],
  multicpr: [
    {
      name: 'multicpr-zh',
      products: 'multicpr-zh/products.jsonl',
      queries: 'multicpr-zh/queries.tsv',
      qrels: 'multicpr-zh/qrels.txt',
      relevantGrade: 1,
    },
  ],
  xling: ['zh2en', 'zh2en-hard', 'en2zh'].map((split) => ({
    name: `xling ${split}`,
    products: `xling-zh-en/${split === 'en2zh' ? 'products_zh.jsonl' : 'products_en.jsonl'}`,
    queries: `xling-zh-en/${split}/queries.tsv`,
    qrels: `xling-zh-en/${split}/qrels.txt`,
    relevantGrade: 1,
  })),
};

export interface RetrievalRow {
  set: string;
  mode: SearchMode;
  result: EvaluationResult;
}

const progress = (message: string): void => {
  process.stderr.write(`[retrieval] ${message}\n`);
};

export async function measureRetrieval(set: RetrievalSet, config: SoukConfig = {}): Promise<RetrievalRow[]> {
  const cacheName = set.products.replace(/[/.]/g, '_');
  const engine = await createEngine({
    ...config,
    dataDir: join(CACHE_DIR, cacheName),
    embedding: { ...config.embedding, workers: 2, queryCacheSize: 20_000, image: { provider: 'none' } },
  });
  try {
    progress(`${set.name}: ingesting ${set.products}`);
    await engine.ingest(join(DATASETS_DIR, set.products));
    let last = 0;
    const embedded = await engine.embed({
      onProgress: (p) => {
        if (Date.now() - last < 10_000 && p.done < p.total) return;
        last = Date.now();
        progress(`${set.name}: embedded ${p.done}/${p.total} (${p.cached} from cache)`);
      },
    });
    progress(`${set.name}: ${embedded.embedded} embedded, ${embedded.cached} from cache`);
    const queries = readQueries(join(DATASETS_DIR, set.queries));
    const qrels = readQrels(join(DATASETS_DIR, set.qrels));
    const rows: RetrievalRow[] = [];
    for (const mode of MODES) {
      const result = await evaluate(engine, queries, qrels, {
        relevantGrade: set.relevantGrade,
        request: { mode },
        onProgress: (done, total) => {
          if (done % 2000 === 0) progress(`${set.name} ${mode}: ${done}/${total}`);
        },
      });
      progress(`${set.name} ${mode}: NDCG@10 ${result['ndcg@10']} MRR@10 ${result['mrr@10']}`);
      rows.push({ set: set.name, mode, result });
    }
    return rows;
  } finally {
    await engine.close();
  }
}

export function formatRetrievalTable(rows: readonly RetrievalRow[]): string {
  const lines = [
    '| set | mode | NDCG@10 | Recall@10 | Recall@100 | MRR@10 | p50 ms | p99 ms |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { set, mode, result } of rows) {
    lines.push(
      `| ${set} | ${mode} | ${result['ndcg@10'].toFixed(4)} | ${result['recall@10'].toFixed(4)} | ` +
        `${result['recall@100'].toFixed(4)} | ${result['mrr@10'].toFixed(4)} | ${result.p50_ms.toFixed(2)} | ` +
        `${result.p99_ms.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!existsSync(DATASETS_DIR)) {
    console.log(`skipped: ${DATASETS_DIR} not found`);
    process.exit(0);
  }
  const which = process.argv[2] ?? 'all';
  const configIndex = process.argv.indexOf('--config');
  const config = configIndex > 0 ? (JSON.parse(process.argv[configIndex + 1]!) as SoukConfig) : {};
  const names = which === 'all' ? Object.keys(SETS) : [which];
  const rows: RetrievalRow[] = [];
  for (const name of names) {
    const sets = SETS[name];
    if (!sets) throw new Error(`unknown set ${name}; known: ${Object.keys(SETS).join(', ')}`);
    for (const set of sets) rows.push(...(await measureRetrieval(set, config)));
  }
  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const report = [
    `## souk retrieval relevance — ${date}`,
    '',
    `Machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
      'Offline default models: USE-Lite (English, 512-d) for text; Chinese reaches it through the dictionary bridge. ' +
      'Latency includes query embedding (cached after the first mode that embeds a query).',
    '',
    formatRetrievalTable(rows),
    '',
  ].join('\n');
  mkdirSync(resolve(import.meta.dirname, 'results'), { recursive: true });
  const suffix = which === 'all' ? '' : `-${which}`;
  writeFileSync(resolve(import.meta.dirname, 'results', `${date}-retrieval${suffix}.md`), report);
  console.log(report);
}
