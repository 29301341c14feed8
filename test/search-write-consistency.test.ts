/**
 * A search answered while writes land must show one version of the catalogue: found by the load test
 * (test/server-load.test.ts), where a page sorted by price showed prices out of order.
 *
 * Cause (src/engine.ts, `respond`): the page is filtered and ranked on the in-memory doc values, then its
 * products are read from the store with `await store.getMany(...)`. A write commits to the store before it
 * is applied to the index, and the await lets it commit in between, so a hit can show a price that was
 * not the one it was sorted and filtered by (`price < 250` returning a product priced 400), and a product
 * deleted in between silently drops out of a page whose `total` still counts it.
 *
 * Fixed by re-running a search whose page products were written while it ran (src/search/write-tracker.ts).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { random, syntheticProducts } from './helpers/synthetic-catalogue.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const PRODUCTS = 3000;
const ROUNDS = 600;
const MAX_PRICE = 250;

let work: string;
let engine: Engine;

before(async () => {
  work = await makeTempDir('souk-consistency-');
  const file = join(work, 'catalogue.jsonl');
  await writeFile(
    file,
    syntheticProducts(PRODUCTS, 5)
      .map((p) => JSON.stringify(p))
      .join('\n'),
  );
  engine = await createEngine({ embedding: { auto: false }, cache: { enabled: true } });
  await engine.ingest(file);
});

after(async () => {
  await engine?.close();
  await removeTempDir(work);
});

describe('a search concurrent with writes', () => {
  it('shows each hit as it was when the page was filtered and sorted', async () => {
    const rand = random(3);
    const queries = ['blanket tent', 'wool', '', 'lamp mug', 'boots'];
    const problems: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const q = queries[Math.floor(rand() * queries.length)]!;
      const sort = rand() < 0.5 ? ('price:asc' as const) : ('price:desc' as const);
      const searching = engine.search({
        q,
        sort,
        limit: 28,
        filter: `price < ${MAX_PRICE}`,
        highlight: false,
      });
      const writes = Array.from({ length: 3 }, () =>
        engine.patch(`p${Math.floor(rand() * PRODUCTS)}`, { price: Math.round(rand() * 50_000) / 100 }),
      );
      const response = await searching;
      await Promise.all(writes);
      const prices = response.hits.map((hit) => hit.price ?? Number.NaN);
      const sorted = [...prices].sort((a, b) => (sort === 'price:asc' ? a - b : b - a));
      if (JSON.stringify(prices) !== JSON.stringify(sorted)) {
        problems.push(`round ${round} "${q}" ${sort}: prices ${prices.join(', ')}`);
      }
      const outside = prices.filter((price) => !(price < MAX_PRICE));
      if (outside.length > 0)
        problems.push(`round ${round}: price < ${MAX_PRICE} returned ${outside.join(', ')}`);
    }
    assert.deepEqual(problems.slice(0, 5), [], `${problems.length} problems in ${ROUNDS} rounds`);
  });
});
