import assert from 'node:assert/strict';
import type { SearchHit } from '../../src/types.ts';

/**
 * The Luma catalogue has 14 "…Hoodie" titles plus "Mona Pullover Hoodlie" (a typo in the source data),
 * so the first ten hits for "hoodie" must all be hoodies and at most one may be the misspelt one.
 */
export function assertHoodies(hits: readonly SearchHit[]): void {
  const top = hits.slice(0, 10);
  assert.ok(top.length > 0, 'no hits');
  for (const hit of top) assert.match(hit.title, /Hoodl?ie\b/, hit.title);
  assert.ok(top.filter((hit) => hit.title.includes('Hoodie')).length >= top.length - 1);
}
