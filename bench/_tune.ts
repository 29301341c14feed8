import { createEngine } from '../src/engine.ts';
import { evaluate } from '../src/eval/evaluate.ts';
import { readQrels, readQueries } from '../src/eval/judgment-files.ts';
const set = process.argv[2] ?? 'homedepot';
const dir = `/work/shared/datasets/${set}`;
const base = JSON.parse(process.argv[3] ?? '{}');
const variants: Record<string, unknown>[] = JSON.parse(process.argv[4] ?? '[{}]');
const engine = await createEngine({ ...base, dataDir: null });
await engine.ingest(`${dir}/products.jsonl`);
const queries = readQueries(`${dir}/queries.tsv`);
const qrels = readQrels(`${dir}/qrels.txt`);
const config = (engine as unknown as { config: { search: Record<string, unknown> } }).config;
const original = { ...config.search };
for (const variant of variants) {
  Object.assign(config.search, original, variant);
  const r = await evaluate(engine, queries, qrels, { relevantGrade: set === 'homedepot' ? 3 : 1 });
  console.log(
    JSON.stringify(variant),
    'ndcg',
    r['ndcg@10'],
    'mrr',
    r['mrr@10'],
    'r100',
    r['recall@100'],
    'p50',
    r.p50_ms,
  );
}
await engine.close();
