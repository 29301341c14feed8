import { createEngine } from '../src/engine.ts';
import { readFileSync } from 'node:fs';
const engine = await createEngine({ dataDir: null });
await engine.ingest('/work/shared/datasets/homedepot/products.jsonl');
const qs = readFileSync('/work/shared/datasets/homedepot/queries.tsv', 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split('\t')[1]!)
  .slice(0, 3000);
const t = performance.now();
for (const q of qs) await engine.search({ q, limit: 10 });
console.log(((performance.now() - t) / qs.length).toFixed(3), 'ms/query');
await engine.close();
