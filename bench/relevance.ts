/**
 * Relevance on the development splits in ../shared/datasets (keyword search alone):
 * `node --import tsx bench/relevance.ts [homedepot|multicpr|all] [--config '{"k1":1.2}']`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createEngine } from '../src/engine.ts';
import type { SoukConfig } from '../src/config.ts';
import { evaluate } from '../src/eval/evaluate.ts';
import { readQrels, readQueries } from '../src/eval/judgment-files.ts';

export const DATASETS_DIR = resolve(import.meta.dirname, '../../shared/datasets');

export const RELEVANCE_SETS = {
  homedepot: {
    folder: 'homedepot',
    products: 'products.jsonl',
    queries: 'queries.tsv',
    qrels: 'qrels.txt',
    relevantGrade: 3,
  },
  multicpr: {
    folder: 'multicpr-zh',
    products: 'products.jsonl',
    queries: 'queries.tsv',
    qrels: 'qrels.txt',
    relevantGrade: 1,
  },
} as const;

export async function measureRelevance(name: keyof typeof RELEVANCE_SETS, config: SoukConfig = {}) {
  const set = RELEVANCE_SETS[name];
  const dir = join(DATASETS_DIR, set.folder);
  const engine = await createEngine({ ...config, dataDir: null });
  try {
    const started = performance.now();
    await engine.ingest(join(dir, set.products));
    const ingestMs = performance.now() - started;
    const result = await evaluate(
      engine,
      readQueries(join(dir, set.queries)),
      readQrels(join(dir, set.qrels)),
      {
        relevantGrade: set.relevantGrade,
      },
    );
    return { ...result, ingest_ms: Math.round(ingestMs) };
  } finally {
    await engine.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!existsSync(DATASETS_DIR)) {
    console.log(`skipped: ${DATASETS_DIR} not found`);
    process.exit(0);
  }
  const which = process.argv[2] ?? 'all';
  const configIndex = process.argv.indexOf('--config');
  const config = configIndex > 0 ? (JSON.parse(process.argv[configIndex + 1]!) as SoukConfig) : {};
  const names =
    which === 'all'
      ? (Object.keys(RELEVANCE_SETS) as Array<keyof typeof RELEVANCE_SETS>)
      : [which as keyof typeof RELEVANCE_SETS];
  for (const name of names) console.log(name, JSON.stringify(await measureRelevance(name, config)));
}
