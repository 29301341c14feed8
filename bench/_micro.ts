import { readFileSync } from 'node:fs';
import { analyze } from '../src/text/analyzer.ts';
import { LexicalIndex } from '../src/lexical/lexical-index.ts';
import { DocValues } from '../src/filter/doc-values.ts';
const products = readFileSync('/work/shared/datasets/homedepot/products.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
for (let round = 0; round < 3; round++) {
  let t = performance.now();
  const analyzed = products.map((p) => [analyze(p.title), [], [], [], []]);
  const ta = performance.now() - t;
  t = performance.now();
  const index = new LexicalIndex({
    fields: ['title', 'brand', 'category', 'attributes', 'description'],
    boosts: [3, 2, 1.5, 1, 0.5],
    b: [0.75, 0.3, 0.5, 0.5, 0.75],
    k1: 1.2,
  });
  products.forEach((p, i) => index.upsert(p.id, analyzed[i]!));
  const ti = performance.now() - t;
  t = performance.now();
  const values = new DocValues();
  products.forEach((p, i) => values.set(i, p));
  const tv = performance.now() - t;
  t = performance.now();
  const json = products.map((p) => JSON.stringify(p));
  const tj = performance.now() - t;
  console.log(
    `analyze ${ta.toFixed(0)}ms index ${ti.toFixed(0)}ms docvalues ${tv.toFixed(0)}ms stringify ${tj.toFixed(0)}ms`,
  );
}
