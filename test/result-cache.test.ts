/**
 * Result-page cache: answers repeat from the cache (counted), and every write drops exactly the pages it
 * can change, so a cached engine always answers like one without a cache.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { canonicalJson, ResultCache } from '../src/search/result-cache.ts';
import type { Product, SearchRequest, SearchResponse } from '../src/types.ts';
import { createWordHashEmbedder } from './helpers/word-hash-embedder.ts';

const KEYWORD_ONLY = {
  dataDir: null,
  embedding: { text: { provider: 'none' as const }, image: { provider: 'none' as const } },
};

const CATALOGUE: Product[] = [
  { id: 'h1', title: 'Black Zip Hoodie', brand: 'Acme', price: 40, attributes: { color: 'Black' } },
  { id: 'h2', title: 'Grey Pullover Hoodie', brand: 'Acme', price: 55, attributes: { color: 'Grey' } },
  { id: 'h3', title: 'Kids Hoodie', brand: 'Tiny', price: 25, attributes: { color: 'Blue' } },
  { id: 't1', title: 'Trail Running Shoe', brand: 'Fleet', price: 89, attributes: { color: 'Blue' } },
  { id: 't2', title: 'Canvas Tote Bag', brand: 'Acme', price: 19, attributes: { color: 'Beige' } },
  { id: 't3', title: 'Water Bottle', brand: 'Fleet', price: 12, attributes: { color: 'Black' } },
];

/**
 * The answer without timings and scores: a cached page keeps the scores of when it was computed, while
 * collection statistics (product count, average field lengths) move a little with every write.
 */
function comparable(response: SearchResponse): Omit<SearchResponse, 'tookMs'> {
  const { tookMs: _took, ...rest } = response;
  return { ...rest, hits: rest.hits.map(({ score: _score, ...hit }) => hit) as SearchResponse['hits'] };
}

describe('result cache, keyword engine', () => {
  let cached: Engine;
  let plain: Engine;
  const hoodie: SearchRequest = { q: 'hoodie', facets: ['brand', 'color', 'price'], limit: 2 };

  before(async () => {
    cached = await createEngine({ ...KEYWORD_ONLY, cache: { enabled: true } });
    plain = await createEngine(KEYWORD_ONLY);
    await cached.upsert(CATALOGUE);
    await plain.upsert(CATALOGUE);
  });
  after(async () => {
    await cached.close();
    await plain.close();
  });

  async function expectSame(request: SearchRequest): Promise<SearchResponse> {
    const got = await cached.search(request);
    assert.deepEqual(comparable(got), comparable(await plain.search(request)));
    return got;
  }
  async function write(step: (engine: Engine) => Promise<unknown>): Promise<void> {
    await step(cached);
    await step(plain);
  }
  /** Searches `hoodie` and says whether the answer came from the cache. */
  async function hoodieFromCache(): Promise<boolean> {
    const before = cached.cacheStats().hits;
    await expectSame(hoodie);
    return cached.cacheStats().hits === before + 1;
  }

  it('serves a repeated request from the cache, whatever the key order and whitespace', async () => {
    const stats0 = cached.cacheStats();
    assert.equal(stats0.enabled, true);
    assert.equal(await hoodieFromCache(), false);
    assert.equal(await hoodieFromCache(), true);
    const reordered = await cached.search({ limit: 2, facets: ['brand', 'color', 'price'], q: 'hoodie' });
    assert.equal(reordered.hits.length, 2);
    assert.equal(cached.cacheStats().hits, stats0.hits + 2);
    await cached.search({ ...hoodie, q: 'zip hoodie' });
    await cached.search({ ...hoodie, q: 'zip   hoodie' });
    const stats = cached.cacheStats();
    assert.equal(stats.hits, stats0.hits + 3, 'whitespace runs are one space');
    assert.ok(stats.hitRatio > 0 && stats.hitRatio < 1);
    // Another page is another entry.
    assert.equal(cached.cacheStats().entries, 2);
    await expectSame({ ...hoodie, offset: 2 });
    assert.equal(cached.cacheStats().entries, 3);
  });

  it('keeps the page when an unrelated product changes', async () => {
    await hoodieFromCache();
    await write((engine) => engine.patch('t1', { price: 79 }));
    await write((engine) => engine.upsert({ id: 'n1', title: 'Steel Water Flask', price: 30 }));
    await write((engine) => engine.delete('t3'));
    assert.equal(await hoodieFromCache(), true);
  });

  it('drops the page when a product on it changes', async () => {
    const page = await cached.search(hoodie);
    assert.equal(await hoodieFromCache(), true);
    await write((engine) => engine.patch(page.hits[0]!.id, { price: 99 }));
    assert.equal(await hoodieFromCache(), false);
    assert.equal(await hoodieFromCache(), true);
  });

  it('drops the page when a product off the page changes its facets or total', async () => {
    // limit 2: one of the three hoodies is not on the page, but it counts in the facets.
    const page = await cached.search(hoodie);
    const off = ['h1', 'h2', 'h3'].find((id) => !page.hits.some((hit) => hit.id === id))!;
    assert.equal(await hoodieFromCache(), true);
    await write((engine) => engine.patch(off, { attributes: { color: 'Red' } }));
    assert.equal(await hoodieFromCache(), false);
  });

  it('drops the page when a new product matches the query, or an old one starts to', async () => {
    assert.equal(await hoodieFromCache(), true);
    await write((engine) => engine.upsert({ id: 'h4', title: 'Fleece Hoodie', brand: 'Nord', price: 70 }));
    assert.equal(await hoodieFromCache(), false);
    assert.equal(await hoodieFromCache(), true);
    // An existing product whose new version enters the result.
    await write((engine) => engine.patch('t2', { title: 'Canvas Tote Bag with Hoodie Print' }));
    assert.equal(await hoodieFromCache(), false);
    assert.equal(await hoodieFromCache(), true);
  });

  it('drops the page when a product leaves the result or is deleted', async () => {
    await write((engine) => engine.patch('t2', { title: 'Canvas Tote Bag' }));
    assert.equal(await hoodieFromCache(), false);
    assert.equal(await hoodieFromCache(), true);
    await write((engine) => engine.delete('h4'));
    assert.equal(await hoodieFromCache(), false);
    assert.equal(await hoodieFromCache(), true);
  });

  it('tracks filters, typo and prefix expansions, and browsing', async () => {
    const requests: SearchRequest[] = [
      { q: 'hoodie', filter: 'price < 50' },
      { q: 'hoodei' },
      { q: 'hoo' },
      { q: '', filter: 'brand = Acme', sort: 'price:asc' },
    ];
    for (const request of requests) await expectSame(request);
    // Enters the price filter.
    await write((engine) => engine.patch('h2', { price: 45 }));
    // A new product reached only through a typo or a prefix, and a browsing filter.
    await write((engine) => engine.upsert({ id: 'h5', title: 'Hoodies Bundle', brand: 'Acme', price: 49 }));
    for (const request of requests) await expectSame(request);
    await write((engine) => engine.patch('t1', { brand: 'Acme' }));
    for (const request of requests) await expectSame(request);
  });

  it('clears on rules changes and equals the uncached answers after random writes', async () => {
    await expectSame(hoodie);
    await write((engine) =>
      engine
        .setRules({
          synonyms: [],
          merchandising: [{ query: { equals: 'hoodie' }, pin: [{ id: 't3', position: 1 }] }],
        })
        .catch(() => undefined),
    );
    await expectSame(hoodie);
    await write((engine) => engine.setRules({ synonyms: [], merchandising: [] }));
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const words = ['hoodie', 'black', 'shoe', 'bag', 'water', 'kids'];
    const requests: SearchRequest[] = words.flatMap((word) => [
      { q: word, facets: ['brand'] },
      { q: word, limit: 1, offset: 1 },
    ]);
    for (let round = 0; round < 40; round++) {
      for (const request of requests) await expectSame(request);
      const id = `r${random(6)}`;
      const op = random(3);
      if (op === 0) await write((engine) => engine.delete(id));
      else {
        const title = `${words[random(words.length)]} ${words[random(words.length)]}`;
        const product = { id, title, brand: ['Acme', 'Nord'][random(2)]!, price: random(100) };
        await write((engine) => engine.upsert(product));
      }
    }
    assert.ok(cached.cacheStats().hits > 0);
    assert.ok(cached.cacheStats().invalidated > 0);
  });
});

describe('result cache, vector answers', () => {
  it('drops semantic answers when vectors change', async () => {
    const config = { dataDir: null, embedding: { image: { provider: 'none' as const } } };
    const cached = await createEngine(
      { ...config, cache: { enabled: true } },
      { textEmbedder: createWordHashEmbedder() },
    );
    const plain = await createEngine(config, { textEmbedder: createWordHashEmbedder() });
    try {
      for (const engine of [cached, plain]) {
        await engine.upsert(CATALOGUE);
        await engine.embed();
      }
      const request: SearchRequest = { q: 'sweatshirt', mode: 'semantic', limit: 3 };
      const same = async (): Promise<void> =>
        assert.deepEqual(comparable(await cached.search(request)), comparable(await plain.search(request)));
      await same();
      const hits = cached.cacheStats().hits;
      await same();
      assert.equal(cached.cacheStats().hits, hits + 1);
      for (const engine of [cached, plain]) {
        await engine.upsert({ id: 'v1', title: 'Hooded Top', price: 33 });
        await engine.embed();
      }
      await same();
      assert.equal(cached.cacheStats().hits, hits + 1, 'a new vector drops the semantic page');
    } finally {
      await cached.close();
      await plain.close();
    }
  });
});

describe('ResultCache', () => {
  it('evicts the least recently used entry and ignores answers from before an invalidation', () => {
    const cache = new ResultCache(2);
    const entry = (key: string, ids: string[]) => ({
      key,
      request: {},
      response: { hits: [], total: 0, offset: 0, limit: 10, query: key, mode: 'keyword' as const, tookMs: 0 },
      pageIds: new Set(ids),
      vector: false,
      volatile: false,
    });
    cache.set(entry('a', ['p1']), cache.epoch);
    cache.set(entry('b', ['p2']), cache.epoch);
    assert.ok(cache.get('a'));
    cache.set(entry('c', ['p1']), cache.epoch);
    assert.equal(cache.get('b'), undefined);
    const epoch = cache.epoch;
    cache.dropShowing(['p1']);
    assert.equal(cache.size, 0);
    cache.set(entry('d', []), epoch);
    assert.equal(cache.size, 0, 'stale answer not stored');
    assert.deepEqual(
      { ...cache.stats(), hitRatio: undefined },
      {
        enabled: true,
        entries: 0,
        maxEntries: 2,
        hits: 1,
        misses: 1,
        hitRatio: undefined,
        invalidated: 2,
        evicted: 1,
      },
    );
    assert.equal(canonicalJson({ b: 1, a: [1, { d: undefined, c: 2 }] }), '{"a":[1,{"c":2}],"b":1}');
  });
});
