import { readFileSync } from 'node:fs';
import { analyze } from '../src/text/analyzer.ts';
const products = readFileSync('/work/shared/datasets/homedepot/products.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const analyzed = products.map((p) => analyze(p.title));
let n = 0;
for (const a of analyzed) n += a.length;
console.log('tokens', n, 'sample', JSON.stringify(analyzed[1]!.slice(0, 3)));
for (let r = 0; r < 3; r++) {
  const m = new Map<string, number>();
  let t = performance.now();
  for (const a of analyzed)
    for (const tok of a) {
      let id = m.get(tok.term);
      if (id === undefined) m.set(tok.term, m.size);
    }
  console.log('map', (performance.now() - t).toFixed(0), 'ms', m.size);
  const s = new Set<string>();
  t = performance.now();
  for (const a of analyzed)
    for (const tok of a) {
      if (!s.has(tok.surface)) s.add(tok.surface);
    }
  console.log('set', (performance.now() - t).toFixed(0), 'ms', s.size);
}
