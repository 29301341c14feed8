/**
 * Speed guards on a 60k-product catalogue (Luma products repeated with distinct ids and shifted prices).
 * Limits are ~10× the measured times so a slow CI machine passes but an accidental O(n·values) string
 * path does not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Product } from '../src/types.ts';
import { DocValues } from '../src/filter/doc-values.ts';
import { parseFilter } from '../src/filter/filter-parser.ts';

const LUMA: Product[] = readFileSync(new URL('../examples/luma/products.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Product);

function catalogue(n: number): Product[] {
  const out: Product[] = [];
  for (let i = 0; i < n; i++) {
    const p = LUMA[i % LUMA.length] as Product;
    const copy = Math.floor(i / LUMA.length);
    out.push({
      ...p,
      id: `${p.id}-${copy}`,
      brand: `Brand ${copy % 300}`,
      price:
        p.price === undefined ? undefined : Math.round(p.price * (0.5 + ((copy * 7) % 40) / 10) * 100) / 100,
    });
  }
  return out;
}

function median(times: number[]): number {
  const s = times.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time(runs: number, fn: () => void): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

test('facets and filters over 50k documents stay within a few milliseconds', (t) => {
  const products = catalogue(60_000);
  const dv = new DocValues();
  const t0 = performance.now();
  products.forEach((p, i) => dv.set(i, p));
  const buildMs = performance.now() - t0;

  const docIds = new Int32Array(50_000);
  for (let i = 0; i < docIds.length; i++) docIds[i] = i + 5_000;

  const facetMs = time(15, () => dv.facets(docIds, ['category', 'color', 'price']));
  const facet6Ms = time(15, () =>
    dv.facets(docIds, ['category', 'color', 'size', 'material', 'brand', 'price']),
  );

  const expr =
    '(category = Tops OR category = "Women > Bottoms") AND color IN [Red, Blue, Black] AND price 20 TO 80 AND NOT size = XS';
  let matched = 0;
  const filterMs = time(15, () => {
    const p = dv.compile(parseFilter(expr));
    matched = 0;
    for (let i = 0; i < docIds.length; i++) if (p(docIds[i] as number)) matched++;
  });
  const browseMs = time(15, () => dv.matchingDocs(parseFilter('brand = "Brand 7" AND category = Jackets')));

  t.diagnostic(
    `build 60k: ${buildMs.toFixed(0)} ms; facets(3 fields, 50k docs): ${facetMs.toFixed(2)} ms; ` +
      `facets(6 fields): ${facet6Ms.toFixed(2)} ms; compile+evaluate over 50k: ${filterMs.toFixed(2)} ms ` +
      `(${matched} match); matchingDocs over 60k: ${browseMs.toFixed(2)} ms; ${JSON.stringify(dv.stats())}`,
  );
  assert.ok(matched > 0 && matched < docIds.length);
  assert.ok(facetMs < 60, `facets took ${facetMs} ms`);
  assert.ok(filterMs < 60, `filter took ${filterMs} ms`);
  assert.ok(browseMs < 60, `matchingDocs took ${browseMs} ms`);
});
