import { createEngine } from '../src/engine.ts';
import { readQrels, readQueries } from '../src/eval/judgment-files.ts';
const dir = `/work/shared/datasets/multicpr-zh`;
const engine = await createEngine({ dataDir: null });
await engine.ingest(`${dir}/products.jsonl`);
const queries = readQueries(`${dir}/queries.tsv`);
const qrels = readQrels(`${dir}/qrels.txt`);
const ranks: number[] = [];
for (const [qid, text] of queries) {
  const j = qrels.get(qid)!;
  const r = await engine.search({ q: text, limit: 100 });
  const rank = r.hits.findIndex((h) => j.has(h.id));
  ranks.push(rank);
  if (rank >= 1 && rank < 10) {
    console.log(`\n### ${text} rank=${rank + 1}`);
    for (const h of r.hits.slice(0, rank + 1))
      console.log(`  ${j.has(h.id) ? 'GOLD' : '    '} ${h.score} ${h.highlight}`);
  }
}
console.log(
  'rank1',
  ranks.filter((r) => r === 0).length,
  '2-10',
  ranks.filter((r) => r > 0 && r < 10).length,
  '11-100',
  ranks.filter((r) => r >= 10).length,
  'miss',
  ranks.filter((r) => r < 0).length,
);
await engine.close();
