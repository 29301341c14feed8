import { createEngine } from '../src/engine.ts';
import { ndcgAt } from '../src/eval/metrics.ts';
import { readQrels, readQueries } from '../src/eval/judgment-files.ts';
const set = process.argv[2] ?? 'homedepot';
const dir = `/work/shared/datasets/${set}`;
const engine = await createEngine({ dataDir: null });
await engine.ingest(`${dir}/products.jsonl`);
const queries = readQueries(`${dir}/queries.tsv`);
const qrels = readQrels(`${dir}/qrels.txt`);
let shown = 0;
const entries = [...queries].filter(([q]) => qrels.has(q));
for (
  let i = 0;
  i < entries.length && shown < Number(process.argv[3] ?? 25);
  i += Number(process.argv[4] ?? 7)
) {
  const [qid, text] = entries[i]!;
  const j = qrels.get(qid)!;
  const r = await engine.search({ q: text, limit: 10 });
  const n = ndcgAt(
    r.hits.map((h) => h.id),
    j,
    10,
  );
  if (n > 0.3) continue;
  shown++;
  console.log(`\n### ${text}  ndcg=${n.toFixed(2)} total=${r.total}`);
  for (const h of r.hits.slice(0, 4)) console.log(`  got [${j.get(h.id) ?? '-'}] ${h.title}`);
  const best = [...j].sort((a, b) => b[1] - a[1]).slice(0, 3);
  for (const [id, g] of best) console.log(`  want [${g}] ${(await engine.get(id))?.title}`);
}
await engine.close();
