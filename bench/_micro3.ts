import { readFileSync } from 'node:fs';
import { analyze } from '../src/text/analyzer.ts';
import { LexicalIndex } from '../src/lexical/lexical-index.ts';
const products = readFileSync('/work/shared/datasets/homedepot/products.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const analyzed = products.map((p) => [analyze(p.title), [], [], [], []]);
for (let round = 0; round < 3; round++) {
  const index = new LexicalIndex({
    fields: ['title', 'brand', 'category', 'attributes', 'description'],
    boosts: [3, 2, 1.5, 1, 0.5],
    b: [0.75, 0.3, 0.5, 0.5, 0.75],
    k1: 1.2,
  });
  let t = performance.now();
  for (const a of analyzed) for (const tok of a[0]!) (index as any).intern(tok);
  const t1 = performance.now() - t;
  t = performance.now();
  for (const a of analyzed) for (const tok of a[0]!) (index as any).intern(tok);
  const t2 = performance.now() - t;
  t = performance.now();
  products.forEach((p, i) => index.upsert(p.id, analyzed[i]!));
  const t3 = performance.now() - t;
  console.log(`intern-cold ${t1.toFixed(0)} intern-warm ${t2.toFixed(0)} upsert ${t3.toFixed(0)}`);
}
