import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createEngine } from '../src/engine.ts';
import type { Product } from '../src/types.ts';

// Words whose stem is the word itself, so the reference can match by plain splitting.
const WORDS = ['red', 'blue', 'hat', 'wool', 'sock', 'boot', 'lamp', 'desk', 'cotton', 'green'];
const BRANDS = ['Acme', 'Zenith', 'Orbit'];
const IDS = Array.from({ length: 40 }, (_, i) => `p${i}`);

const textArb = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));
const productArb: fc.Arbitrary<Product> = fc.record(
  {
    id: fc.constantFrom(...IDS),
    title: textArb,
    description: textArb,
    brand: fc.constantFrom(...BRANDS),
    price: fc.integer({ min: 0, max: 100 }),
    attributes: fc.record({ color: fc.constantFrom('Red', 'Black') }),
  },
  { requiredKeys: ['id', 'title'] },
);

type Operation =
  | { kind: 'upsert'; products: Product[] }
  | { kind: 'patch'; id: string; patch: { title?: string; brand?: string | null; price?: number | null } }
  | { kind: 'delete'; ids: string[] }
  | { kind: 'vacuum' };

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(productArb, { minLength: 1, maxLength: 4 })
      .map((products) => ({ kind: 'upsert' as const, products })),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('patch' as const),
      id: fc.constantFrom(...IDS),
      patch: fc.record(
        {
          title: textArb,
          brand: fc.oneof(fc.constantFrom(...BRANDS), fc.constant(null)),
          price: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(null)),
        },
        { requiredKeys: [] },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom(...IDS), { minLength: 1, maxLength: 3 })
      .map((ids) => ({ kind: 'delete' as const, ids })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'vacuum' as const }) },
);

/** The naive reference: a Map of products, searched by scanning. */
function referenceMatches(
  reference: Map<string, Product>,
  word: string,
  filter?: (p: Product) => boolean,
): string[] {
  const out: string[] = [];
  for (const product of reference.values()) {
    const attributes = Object.values(product.attributes ?? {}).map(String);
    const text = [product.title, product.description ?? '', product.brand ?? '', ...attributes]
      .join(' ')
      .toLowerCase();
    if (text.split(/\s+/).includes(word) && (!filter || filter(product))) out.push(product.id);
  }
  return out.sort();
}

async function check(operations: Operation[]): Promise<void> {
  const engine = await createEngine({ dataDir: null });
  const reference = new Map<string, Product>();
  try {
    for (const operation of operations) {
      if (operation.kind === 'upsert') {
        await engine.upsert(operation.products);
        for (const product of operation.products) reference.set(product.id, structuredClone(product));
      } else if (operation.kind === 'patch') {
        const current = reference.get(operation.id);
        if (!current) {
          await assert.rejects(engine.patch(operation.id, operation.patch), { code: 'PRODUCT_NOT_FOUND' });
          continue;
        }
        await engine.patch(operation.id, operation.patch);
        const next: Record<string, unknown> = { ...current };
        for (const [key, value] of Object.entries(operation.patch)) {
          if (value === null) delete next[key];
          else next[key] = value;
        }
        reference.set(operation.id, next as unknown as Product);
      } else if (operation.kind === 'delete') {
        const result = await engine.delete(operation.ids);
        const existing = new Set(operation.ids.filter((id) => reference.has(id)));
        assert.equal(result.count, existing.size);
        for (const id of operation.ids) reference.delete(id);
      } else {
        await engine.vacuum();
      }
    }
    const stats = await engine.stats();
    assert.equal(stats.products, reference.size);
    const browse = await engine.search({ limit: 1000 });
    assert.deepEqual(browse.hits.map((hit) => hit.id).sort(), [...reference.keys()].sort());
    for (const word of WORDS) {
      const response = await engine.search({
        q: word,
        limit: 1000,
        prefix: false,
        typos: false,
        highlight: false,
      });
      assert.deepEqual(
        response.hits.map((hit) => hit.id).sort(),
        referenceMatches(reference, word),
        `query ${word}`,
      );
      assert.equal(response.total, response.hits.length);
      const filtered = await engine.search({
        q: word,
        filter: 'brand = acme AND price <= 50',
        limit: 1000,
        prefix: false,
        typos: false,
      });
      assert.deepEqual(
        filtered.hits.map((hit) => hit.id).sort(),
        referenceMatches(
          reference,
          word,
          (p) => p.brand === 'Acme' && p.price !== undefined && p.price <= 50,
        ),
        `filtered query ${word}`,
      );
    }
    const faceted = await engine.search({ facets: ['brand'], limit: 0 });
    for (const brand of BRANDS) {
      const expected = [...reference.values()].filter((p) => p.brand === brand).length;
      const counted = faceted.facets?.brand?.values?.find((v) => v.value === brand)?.count ?? 0;
      assert.equal(counted, expected, `facet ${brand}`);
    }
    // Every stored product the reference holds is returned as it was written.
    for (const [id, product] of reference) assert.equal((await engine.get(id))?.title, product.title);
  } finally {
    await engine.close();
  }
}

describe('live updates against a naive reference', () => {
  it('agrees after random upserts, patches, deletes and vacuums (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(operationArb, { minLength: 50, maxLength: 300 }), check), {
      numRuns: 25,
    });
  });

  it('agrees after a long run of several thousand operations', async () => {
    const operations = fc.sample(operationArb, { numRuns: 4000, seed: 42 });
    await check(operations);
  });
});
