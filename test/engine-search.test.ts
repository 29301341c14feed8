/**
 * Search behaviour through the public engine API, on a small hand-made catalogue (test/fixtures/shop.jsonl)
 * mixing English, Simplified and Traditional Chinese products. Expected filter results and facet counts are
 * computed here from the fixture itself, not copied from the engine's output.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { SoukError } from '../src/errors.ts';
import type { Product, SearchRequest, SearchResponse } from '../src/types.ts';

const SHOP = fileURLToPath(new URL('./fixtures/shop.jsonl', import.meta.url));
const PRODUCTS: Product[] = readFileSync(SHOP, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Product);
const BY_ID = new Map(PRODUCTS.map((p) => [p.id, p]));

let engine: Engine;

before(async () => {
  engine = await createEngine({ dataDir: null });
  const report = await engine.ingest(SHOP);
  assert.equal(report.loaded, PRODUCTS.length);
  assert.equal(report.rejected, 0, JSON.stringify(report.errors));
});

after(async () => {
  await engine.close();
});

async function search(request: SearchRequest): Promise<SearchResponse> {
  return engine.search({ limit: 1000, ...request });
}

async function ids(request: SearchRequest): Promise<string[]> {
  return (await search(request)).hits.map((hit) => hit.id);
}

/** Ids of the fixture products the predicate accepts, sorted. */
function expected(predicate: (p: Product) => boolean): string[] {
  return PRODUCTS.filter(predicate)
    .map((p) => p.id)
    .sort();
}

function product(id: string): Product {
  const p = BY_ID.get(id);
  assert.ok(p, `fixture has ${id}`);
  return p;
}

function attributeValues(p: Product, name: string): Array<string | number> {
  const value = p.attributes?.[name];
  if (value === undefined || typeof value === 'boolean') return [];
  return Array.isArray(value) ? value : [value];
}

function lower(values: Array<string | number>): string[] {
  return values.map((v) => String(v).toLowerCase());
}

async function rejectsWith(request: SearchRequest, code: string, field?: string): Promise<void> {
  await assert.rejects(engine.search(request), (error: unknown) => {
    assert.ok(error instanceof SoukError, `expected a SoukError for ${JSON.stringify(request)}`);
    assert.equal(error.code, code, JSON.stringify(request));
    if (field !== undefined) assert.equal(error.details.field, field);
    return true;
  });
}

describe('keyword relevance', () => {
  it('ranks the product whose title has the exact word first', async () => {
    assert.equal((await ids({ q: 'ultraboost' }))[0], 'shoe-3');
    assert.equal((await ids({ q: 'grinder' }))[0], 'misc-1');
    assert.equal((await ids({ q: 'beanie' }))[0], 'misc-6');
    // Two title words beat products matching only one of them.
    const hits = await ids({ q: 'yoga leggings' });
    assert.equal(hits[0], 'app-6');
  });

  it('finds products by brand', async () => {
    assert.equal((await ids({ q: 'salomon' }))[0], 'shoe-5');
    assert.deepEqual((await ids({ q: 'spigen' })).slice(0, 2).sort(), ['ph-1', 'ph-2']);
    // Brand and title together: the Nike products come first.
    assert.deepEqual((await ids({ q: 'nike sneakers' }))[0], 'shoe-1');
  });

  it('finds products by a word of their category path', async () => {
    assert.equal((await ids({ q: 'bottoms' }))[0], 'app-6');
    assert.equal((await ids({ q: '猫咪用品' }))[0], 'pet-5');
    const kitchen = await ids({ q: 'kitchen', prefix: false });
    assert.deepEqual(kitchen.slice(0, 2).sort(), ['misc-1', 'misc-2']);
  });

  it('matches Traditional Chinese queries against Simplified titles and vice versa', async () => {
    assert.equal((await ids({ q: '手機殼' }))[0], 'ph-1');
    assert.equal((await ids({ q: '運動鞋' }))[0], 'shoe-2');
    assert.equal((await ids({ q: '镀膜车蜡' }))[0], 'car-1');
    assert.equal((await ids({ q: '汽车美容' }))[0], 'car-1');
    // Same script on both sides still works.
    assert.equal((await ids({ q: '鍍膜車蠟' }))[0], 'car-1');
    assert.equal((await ids({ q: '手机壳' }))[0], 'ph-1');
  });

  it('finds Chinese pet beds by word and ranks the exact one first', async () => {
    const hits = await ids({ q: '小狗窝' });
    assert.equal(hits[0], 'pet-1');
    assert.ok(hits.includes('pet-2'), '大狗窝 shares 狗窝');
    assert.equal((await ids({ q: '狗屋' }))[0], 'pet-4');
    assert.equal((await ids({ q: '狗狗床' }))[0], 'pet-3');
  });

  it('gives a mixed Latin/Chinese/number title back for its own text', async () => {
    assert.equal((await ids({ q: 'Nike运动鞋42码' }))[0], 'shoe-2');
    assert.equal((await ids({ q: '42码' }))[0], 'shoe-2');
  });
});

describe('prefix search', () => {
  const HOODIES = ['app-1', 'app-2', 'app-3'];
  const mentionsHoodie = (id: string): boolean => {
    const p = product(id);
    return /hoodie/i.test([p.title, ...(p.category ?? [])].join(' '));
  };

  it('completes the last word as it is typed', async () => {
    const hits = await ids({ q: 'hoo' });
    for (const id of HOODIES) assert.ok(hits.includes(id), `hoo finds ${id}`);
    for (const id of hits) assert.ok(mentionsHoodie(id), `${id} mentions hoodie`);
    assert.equal((await ids({ q: 'ultrab' }))[0], 'shoe-3');
    assert.equal((await ids({ q: 'marco lightw' }))[0], 'app-2');
  });

  it('does not complete when prefix is false', async () => {
    const response = await search({ q: 'hoo', prefix: false });
    assert.equal(response.total, 0);
    assert.deepEqual(response.hits, []);
    assert.equal((await search({ q: 'ultrab', prefix: false })).total, 0);
  });

  it('only completes the last word', async () => {
    // "hoo" is not the last word, so it must match exactly (and nothing is called "hoo").
    const response = await search({ q: 'hoo pullover' });
    assert.equal(response.hits[0]?.id, 'app-1');
    assert.equal(response.total, 1);
  });
});

describe('typo tolerance', () => {
  it('finds words with one typo (transposition, deletion)', async () => {
    const hoodei = await ids({ q: 'hoodei' });
    for (const id of ['app-1', 'app-2', 'app-3']) assert.ok(hoodei.includes(id), `hoodei finds ${id}`);
    assert.deepEqual((await ids({ q: 'sneakrs' })).slice(0, 2).sort(), ['shoe-1', 'shoe-3']);
    assert.equal((await ids({ q: 'ultraboots', prefix: false }))[0], 'shoe-3');
  });

  it('does not correct typos when typos is false', async () => {
    assert.equal((await search({ q: 'hoodei', typos: false })).total, 0);
    assert.equal((await search({ q: 'sneakrs', typos: false })).total, 0);
  });

  it('does not correct a three-letter word', async () => {
    // Controls: the correct spellings match.
    assert.equal((await ids({ q: 'hat' }))[0], 'misc-6');
    assert.equal((await ids({ q: 'mug' }))[0], 'misc-2');
    for (const q of ['hst', 'mgu', 'nug']) {
      assert.equal((await search({ q })).total, 0, q);
      assert.equal((await search({ q, prefix: false })).total, 0, q);
    }
  });

  it('never treats numbers as typos', async () => {
    const cmTitles = (list: string[]): string[] => list.filter((id) => /\d+cm/.test(product(id).title));
    const h43 = await ids({ q: '43cm' });
    assert.ok(!h43.includes('pet-1'), '43cm must not find 小狗窝 42cm');
    assert.deepEqual(cmTitles(h43), []);
    assert.equal((await search({ q: '59cm' })).total, 0, '59cm must not find 58cm');
    assert.deepEqual(await ids({ q: '31cm' }), []);
    const h30 = await ids({ q: '30cm' });
    assert.deepEqual(cmTitles(h30), ['pet-3']);
    // Words with digits (model codes) get no typos either: "3m" is one edit from "2m".
    assert.ok((await ids({ q: '2m' })).includes('misc-3'));
    assert.ok(!(await ids({ q: '3m' })).includes('misc-3'));
  });
});

describe('numbers with units', () => {
  for (const q of ['42cm', '42 cm', '42厘米', '42 厘米', '42CM', '42公分']) {
    it(`"${q}" finds 小狗窝 42cm first`, async () => {
      const hits = await ids({ q });
      assert.equal(hits[0], 'pet-1', `${q}: ${hits.join(',')}`);
      assert.ok(!hits.includes('pet-2'), `${q} must not find 大狗窝 58cm`);
      assert.ok(!hits.includes('pet-4'), `${q} must not find 狗屋 40cm`);
    });
  }

  it('matches the unit on the other side too: "58厘米" finds 大狗窝 58cm', async () => {
    assert.equal((await ids({ q: '58厘米' }))[0], 'pet-2');
    assert.equal((await ids({ q: '40 cm' }))[0], 'pet-4');
  });
});

describe('candidate sets (ids)', () => {
  it('ranks only the given products, matched ones first, every given one present', async () => {
    const given = ['pet-3', 'pet-1', 'pet-2', 'no-such-product'];
    const response = await search({ q: '小狗窝', ids: given });
    const got = response.hits.map((hit) => hit.id);
    assert.deepEqual([...got].sort(), ['pet-1', 'pet-2', 'pet-3']);
    assert.equal(got[0], 'pet-1');
    assert.equal(response.total, 3);
  });

  it('keeps the filter on a candidate set and rejects ids that are not strings', async () => {
    const got = await ids({ q: '狗', ids: ['pet-1', 'pet-2'], filter: 'price < 80' });
    assert.deepEqual(got, ['pet-1']);
    await assert.rejects(
      search({ q: 'x', ids: [1 as unknown as string] }),
      (error: unknown) => error instanceof SoukError && error.code === 'INVALID_REQUEST',
    );
  });
});

describe('filters', () => {
  async function filtered(filter: string, q?: string): Promise<string[]> {
    const response = await search({ filter, ...(q === undefined ? {} : { q }) });
    assert.equal(response.total, response.hits.length);
    return response.hits.map((hit) => hit.id).sort();
  }

  it('filters by category at level 1, level 2 and by segment name', async () => {
    const level1 = await filtered('category = 宠物用品');
    assert.deepEqual(
      level1,
      expected((p) => p.category?.[0] === '宠物用品'),
    );
    assert.equal(level1.length, 5);
    const level2 = expected((p) => p.category?.[0] === '宠物用品' && p.category[1] === '狗狗用品');
    assert.equal(level2.length, 4);
    assert.deepEqual(await filtered('category = "宠物用品 > 狗狗用品"'), level2);
    assert.deepEqual(await filtered('category = 宠物用品 > 狗狗用品'), level2);
    assert.deepEqual(
      await filtered('category = Men > Tops'),
      expected((p) => p.category?.[0] === 'Men' && p.category[1] === 'Tops'),
    );
    // A bare segment name matches that segment at any level, under any root.
    assert.deepEqual(await filtered('category = 狗窝'), ['pet-1', 'pet-2']);
    assert.deepEqual(
      await filtered('category = Tops'),
      expected((p) => (p.category ?? []).includes('Tops')),
    );
    assert.deepEqual(await filtered('category = "hoodies & sweatshirts"'), [
      'app-1',
      'app-2',
      'app-3',
      'app-4',
    ]);
    // Extra paths in `categories` count too.
    assert.deepEqual(await filtered('category = "For Him"'), ['ph-2']);
    assert.deepEqual(await filtered('category = Gifts > "For Him"'), ['ph-2']);
    // A level-2 name is not a root.
    assert.deepEqual(await filtered('category = "Tops > Tees"'), []);
  });

  it('filters by brand case-insensitively', async () => {
    const adidas = expected((p) => p.brand?.toLowerCase() === 'adidas');
    assert.deepEqual(adidas, ['shoe-3', 'shoe-4']);
    for (const f of ['brand = ADIDAS', 'brand = adidas', 'brand = "AdIdAs"'])
      assert.deepEqual(await filtered(f), adidas);
    assert.deepEqual(await filtered('brand = nike'), ['shoe-1', 'shoe-2']);
    assert.deepEqual(await filtered('brand = 萌宠家'), ['pet-3', 'pet-4', 'pet-5']);
  });

  it('filters a price range with both ends included', async () => {
    const inRange = await filtered('price 10 TO 50');
    assert.deepEqual(
      inRange,
      expected((p) => p.price !== undefined && p.price >= 10 && p.price <= 50),
    );
    assert.ok(inRange.includes('app-5'), 'price 10 is included');
    assert.ok(inRange.includes('app-6'), 'price 50 is included');
    assert.ok(!inRange.includes('misc-3'), 'price 9.99 is below');
    assert.deepEqual(await filtered('price >= 10 AND price <= 50'), inRange);
    assert.deepEqual(
      await filtered('price > 10 AND price < 50'),
      inRange.filter((id) => id !== 'app-5' && id !== 'app-6'),
    );
    assert.deepEqual(await filtered('price 29.9 TO 29.9'), ['ph-1']);
  });

  it('filters attributes with IN, NOT and OR with parentheses', async () => {
    assert.deepEqual(
      await filtered('color IN [black, white]'),
      expected((p) => lower(attributeValues(p, 'color')).some((c) => c === 'black' || c === 'white')),
    );
    assert.deepEqual(await filtered('color IN ["灰色"]'), ['pet-1', 'pet-2']);
    assert.deepEqual(await filtered('attributes.color IN [Purple]'), ['app-1']);
    assert.deepEqual(
      await filtered('NOT brand = Luma'),
      expected((p) => p.brand !== 'Luma'),
    );
    assert.deepEqual(
      await filtered('color NOT IN [black, white]'),
      expected((p) => !lower(attributeValues(p, 'color')).some((c) => c === 'black' || c === 'white')),
    );
    assert.deepEqual(
      await filtered('NOT price EXISTS'),
      expected((p) => p.price === undefined),
    );
    // Parentheses change the meaning: AND binds tighter than OR.
    assert.deepEqual(await filtered('(brand = Nike OR brand = Adidas) AND price > 100'), [
      'shoe-1',
      'shoe-3',
    ]);
    assert.deepEqual(await filtered('brand = Nike OR brand = Adidas AND price > 100'), [
      'shoe-1',
      'shoe-2',
      'shoe-3',
    ]);
    assert.deepEqual(
      await filtered('NOT (category = Shoes OR category = 宠物用品) AND price < 20'),
      expected(
        (p) =>
          p.category?.[0] !== 'Shoes' &&
          p.category?.[0] !== '宠物用品' &&
          p.price !== undefined &&
          p.price < 20,
      ),
    );
  });

  it('filters a numeric attribute by comparison', async () => {
    const wide = expected((p) => attributeValues(p, 'width_cm').some((w) => Number(w) >= 40));
    assert.deepEqual(wide, ['pet-1', 'pet-2', 'pet-4', 'pet-5']);
    assert.deepEqual(await filtered('width_cm >= 40'), wide);
    assert.deepEqual(await filtered('attributes.width_cm >= 40'), wide);
    assert.deepEqual(await filtered('width_cm 40 TO 58'), ['pet-1', 'pet-2', 'pet-4']);
    assert.deepEqual(await filtered('width_cm < 40'), ['pet-3']);
  });

  it('applies filters to query results', async () => {
    assert.deepEqual(await filtered('category = Women', 'hoodie'), ['app-1']);
    assert.deepEqual(await filtered('price < 100', '狗窝'), ['pet-1', 'pet-2', 'pet-3']);
    const beds = await filtered('width_cm >= 42', '狗窝');
    assert.ok(beds.includes('pet-1') && beds.includes('pet-2'));
    for (const id of beds) assert.ok(attributeValues(product(id), 'width_cm').some((w) => Number(w) >= 42));
    // shoe-2 is Nike's 运动鞋: the dictionary bridge reads "sneakers" as 运动鞋 too.
    assert.deepEqual(await filtered('brand = Nike', 'sneakers'), ['shoe-1', 'shoe-2']);
  });

  it('rejects an invalid filter with INVALID_FILTER and the position of the problem', async () => {
    const cases: Array<[string, number]> = [
      ['price >= 10 AND', 15],
      ['price >= ', 9],
      ['price > abc', 8],
      ['brand == x', 7],
      ['AND', 0],
    ];
    for (const [filter, position] of cases) {
      await assert.rejects(search({ filter }), (error: unknown) => {
        assert.ok(error instanceof SoukError, filter);
        assert.equal(error.code, 'INVALID_FILTER', filter);
        assert.equal(error.details.position, position, `${filter}: ${error.message}`);
        return true;
      });
    }
    for (const filter of ['(brand = Nike', 'color IN [red', 'brand = Nike)', 'price 10 TO']) {
      await assert.rejects(search({ filter }), (error: unknown) => {
        assert.ok(error instanceof SoukError, filter);
        assert.equal(error.code, 'INVALID_FILTER', filter);
        const position = error.details.position;
        assert.equal(typeof position, 'number', filter);
        assert.ok(
          (position as number) >= 0 && (position as number) <= filter.length,
          `${filter}: ${position}`,
        );
        return true;
      });
    }
  });
});

describe('facets', () => {
  function expectedValueCounts(matched: Product[], valuesOf: (p: Product) => string[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const p of matched) {
      for (const value of new Set(valuesOf(p).map((v) => v.toLowerCase()))) {
        counts.set(value, (counts.get(value) ?? 0) + 1);
      }
    }
    return counts;
  }

  function categoryPrefixes(p: Product): string[] {
    const out: string[] = [];
    for (const path of [p.category ?? [], ...(p.categories ?? [])]) {
      for (let i = 1; i <= path.length; i++) out.push(path.slice(0, i).join(' > '));
    }
    return out;
  }

  function actualValueCounts(
    values: Array<{ value: string; count: number }> | undefined,
  ): Map<string, number> {
    assert.ok(values, 'facet has values');
    const counts = new Map<string, number>();
    for (const { value, count } of values) {
      assert.ok(!counts.has(value.toLowerCase()), `value ${value} listed once`);
      counts.set(value.toLowerCase(), count);
    }
    // Most frequent first.
    for (let i = 1; i < values.length; i++) assert.ok(values[i - 1]!.count >= values[i]!.count);
    return counts;
  }

  async function checkFacets(request: SearchRequest): Promise<SearchResponse> {
    const all = await search({ ...request, limit: 1000 });
    const matched = all.hits.map((hit) => product(hit.id));
    assert.equal(matched.length, all.total);
    // A small page: facets still count the whole result, not the page.
    const response = await search({ ...request, limit: 2, facets: ['brand', 'category', 'color', 'price'] });
    assert.equal(response.total, all.total);
    const facets = response.facets;
    assert.ok(facets, 'facets returned');
    assert.deepEqual(
      actualValueCounts(facets.brand?.values),
      expectedValueCounts(matched, (p) => (p.brand === undefined ? [] : [p.brand])),
    );
    assert.deepEqual(
      actualValueCounts(facets.category?.values),
      expectedValueCounts(matched, categoryPrefixes),
    );
    assert.deepEqual(
      actualValueCounts(facets.color?.values),
      expectedValueCounts(matched, (p) => attributeValues(p, 'color').map(String)),
    );

    const prices = matched.flatMap((p) => (p.price === undefined ? [] : [p.price]));
    const price = facets.price;
    assert.ok(price?.buckets, 'price buckets');
    assert.equal(price.min, Math.min(...prices));
    assert.equal(price.max, Math.max(...prices));
    let total = 0;
    price.buckets.forEach((bucket, i) => {
      const last = i === price.buckets!.length - 1;
      assert.equal(bucket.max === undefined, last, 'only the last bucket is open-ended');
      if (!last) assert.equal(bucket.max, price.buckets![i + 1]!.min, 'buckets are contiguous');
      const inBucket = prices.filter((v) => v >= bucket.min && (bucket.max === undefined || v < bucket.max));
      assert.equal(bucket.count, inBucket.length, `bucket ${bucket.min}..${bucket.max ?? ''}`);
      total += bucket.count;
    });
    assert.equal(total, prices.length, 'every priced product is in one bucket');
    return response;
  }

  it('counts brand, category, colour and price buckets over a filtered browse', async () => {
    const response = await checkFacets({ filter: 'price 10 TO 100' });
    // Brand values differing only in case are one value.
    const adidas = response.facets?.brand?.values?.filter((v) => v.value.toLowerCase() === 'adidas');
    assert.equal(adidas?.length, 1);
    assert.equal(adidas?.[0]?.count, 1);
  });

  it('counts over the results of a query with a filter', async () => {
    await checkFacets({ q: 'shoes', filter: 'NOT brand = Salomon' });
    await checkFacets({ q: 'hoodie' });
    const pets = await checkFacets({ filter: 'category = 宠物用品' });
    assert.deepEqual(
      pets.facets?.category?.values?.find((v) => v.value === '宠物用品 > 狗狗用品 > 狗窝'),
      { value: '宠物用品 > 狗狗用品 > 狗窝', count: 2 },
    );
  });

  it('counts over the whole catalogue when browsing, and facets a numeric attribute', async () => {
    await checkFacets({});
    const response = await search({ filter: 'category = 宠物用品', facets: ['width_cm'], limit: 0 });
    const width = response.facets?.width_cm;
    assert.equal(width?.min, 30);
    assert.equal(width?.max, 60);
    const bucketTotal = (width?.buckets ?? []).reduce((sum, b) => sum + b.count, 0);
    assert.equal(bucketTotal, 5);
  });
});

describe('sorting', () => {
  function checkOrder(
    hits: SearchResponse['hits'],
    key: (id: string) => number | undefined,
    direction: 1 | -1,
  ): void {
    let seenMissing = false;
    let previous: number | undefined;
    for (const hit of hits) {
      const value = key(hit.id);
      if (value === undefined) {
        seenMissing = true;
        continue;
      }
      assert.ok(!seenMissing, `${hit.id} (${value}) comes after a product without the sort key`);
      if (previous !== undefined)
        assert.ok(direction * (value - previous) >= 0, `${hit.id}: ${previous} then ${value}`);
      previous = value;
    }
  }

  const price = (id: string): number | undefined => product(id).price;
  const rating = (id: string): number | undefined => product(id).rating;

  it('sorts by price both ways with missing prices last', async () => {
    for (const [sort, direction] of [
      ['price:asc', 1],
      ['price:desc', -1],
    ] as const) {
      const response = await search({ sort });
      assert.equal(response.total, PRODUCTS.length);
      checkOrder(response.hits, price, direction);
      assert.deepEqual(
        response.hits
          .slice(-2)
          .map((h) => h.id)
          .sort(),
        expected((p) => p.price === undefined),
        `${sort}: products without a price last`,
      );
    }
    assert.equal((await search({ sort: 'price:asc' })).hits[0]?.id, 'misc-3');
    assert.equal((await search({ sort: 'price:desc' })).hits[0]?.id, 'misc-5');
  });

  it('sorts by rating both ways with missing ratings last', async () => {
    for (const [sort, direction] of [
      ['rating:desc', -1],
      ['rating:asc', 1],
    ] as const) {
      const response = await search({ sort });
      checkOrder(response.hits, rating, direction);
      assert.deepEqual(
        response.hits
          .slice(-2)
          .map((h) => h.id)
          .sort(),
        expected((p) => p.rating === undefined),
      );
    }
    assert.equal((await search({ sort: 'rating:desc' })).hits[0]?.id, 'pet-5');
  });

  it('sorts the hits of a query and of a filter', async () => {
    const response = await search({ q: 'shoes', sort: 'price:asc' });
    assert.ok(response.total >= 4);
    checkOrder(response.hits, price, 1);
    const filtered = await search({ filter: 'category = 宠物用品', sort: 'price:desc' });
    assert.deepEqual(
      filtered.hits.map((h) => h.id),
      ['pet-4', 'pet-2', 'pet-1', 'pet-3', 'pet-5'],
    );
  });

  it('rejects an unknown sort order', async () => {
    await rejectsWith({ sort: 'price' as never }, 'INVALID_SORT');
    await rejectsWith({ sort: 'title:asc' as never }, 'INVALID_SORT');
  });
});

describe('pagination', () => {
  const requests: SearchRequest[] = [
    {},
    { sort: 'price:asc' },
    { sort: 'rating:desc', filter: 'price < 200' },
    { q: '4' },
    { q: 'shoes hoodie sneakers tee' },
    { q: '狗' },
  ];
  for (const request of requests) {
    it(`pages through ${JSON.stringify(request)} without gaps or repeats`, async () => {
      const whole = await search({ ...request, limit: 1000 });
      assert.ok(whole.total >= 3, `enough hits (${whole.total})`);
      const pageSize = 2;
      const seen: string[] = [];
      for (let offset = 0; offset < whole.total + pageSize; offset += pageSize) {
        const page = await search({ ...request, offset, limit: pageSize });
        assert.equal(page.total, whole.total, 'total is the same on every page');
        assert.equal(page.offset, offset);
        assert.equal(page.limit, pageSize);
        assert.equal(page.hits.length, Math.max(0, Math.min(pageSize, whole.total - offset)));
        for (const hit of page.hits) assert.ok(!seen.includes(hit.id), `${hit.id} on two pages`);
        seen.push(...page.hits.map((hit) => hit.id));
      }
      assert.deepEqual(
        seen,
        whole.hits.map((hit) => hit.id),
      );
    });
  }

  it('returns no hits but the total past the end and with limit 0', async () => {
    const past = await search({ q: 'hoodie', offset: 100, limit: 10 });
    assert.equal(past.hits.length, 0);
    assert.equal(past.total, (await search({ q: 'hoodie' })).total);
    const none = await search({ filter: 'brand = Luma', limit: 0 });
    assert.equal(none.hits.length, 0);
    assert.equal(none.total, expected((p) => p.brand === 'Luma').length);
  });

  it('uses the default page size of 10', async () => {
    const response = await engine.search({});
    assert.equal(response.limit, 10);
    assert.equal(response.hits.length, 10);
    assert.equal(response.total, PRODUCTS.length);
  });
});

describe('highlighting', () => {
  const unescape = (s: string): string =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');

  /** The highlight is the escaped title with <mark> tags: nothing else is raw HTML. */
  function checkHighlight(title: string, highlight: string | undefined): string[] {
    assert.ok(highlight !== undefined, `highlight for ${title}`);
    const withoutMarks = highlight.replace(/<\/?mark>/g, '');
    assert.ok(!/[<>"']/.test(withoutMarks), `raw HTML left in ${highlight}`);
    assert.ok(!/&(?!(amp|lt|gt|quot|#39);)/.test(withoutMarks), `unescaped & in ${highlight}`);
    assert.equal(unescape(withoutMarks), title);
    assert.doesNotMatch(highlight, /<mark><\/mark>/);
    assert.doesNotMatch(highlight, /<mark>[^<]*<mark>/, 'marks do not nest');
    return [...highlight.matchAll(/<mark>(.*?)<\/mark>/g)].map((m) => unescape(m[1]!));
  }

  it('wraps the matched words in <mark> and escapes the rest', async () => {
    const grinder = (await search({ q: 'salt grinder' })).hits[0];
    assert.equal(grinder?.id, 'misc-1');
    assert.equal(grinder.highlight, '<mark>Salt</mark> &amp; Pepper <mark>Grinder</mark> &lt;Set of 2&gt;');
    const mug = (await search({ q: 'coffee mug' })).hits[0];
    assert.equal(mug?.id, 'misc-2');
    assert.equal(mug.highlight, '&quot;Mom&#39;s&quot; <mark>Coffee</mark> <mark>Mug</mark> &amp; Coaster');
    const cable = (await search({ q: 'cable' })).hits[0];
    assert.equal(cable?.id, 'misc-3');
    assert.equal(cable.highlight, 'USB-C <mark>Cable</mark> 2m &lt;fast&gt; &#39;charge&#39;');
  });

  it('marks the original text of prefix, typo and cross-script matches', async () => {
    const marked = async (q: string, id: string): Promise<string[]> => {
      const hit = (await search({ q })).hits.find((h) => h.id === id);
      assert.ok(hit, `${q} finds ${id}`);
      return checkHighlight(hit.title, hit.highlight);
    };
    assert.deepEqual(await marked('hoo', 'app-1'), ['Hoodie']);
    assert.deepEqual(await marked('sneakrs', 'shoe-3'), ['Sneakers']);
    assert.deepEqual(await marked('镀膜车蜡', 'car-1').then((m) => m.slice(0, 1)), ['鍍膜車蠟']);
    assert.ok((await marked('42厘米', 'pet-1')).includes('42cm'));
  });

  it('keeps every highlight a faithful, escaped copy of the title', async () => {
    for (const q of [
      'salt',
      'mom',
      'set of 2',
      'charge',
      'usb c',
      'mug coaster',
      '狗窝',
      'nike 42',
      'hoodie',
    ]) {
      const response = await search({ q });
      for (const hit of response.hits) {
        const marks = checkHighlight(hit.title, hit.highlight);
        // A hit found through its title shows at least one mark; others may match other fields only.
        if (marks.length === 0)
          assert.ok(
            response.hits.some((h) => h.highlight?.includes('<mark>')),
            q,
          );
      }
    }
    // Browsing matches no words: the highlight is just the escaped title.
    for (const hit of (await search({ filter: 'brand = KitchenPro' })).hits) {
      assert.deepEqual(checkHighlight(hit.title, hit.highlight), []);
    }
  });

  it('leaves the highlight out when highlight is false', async () => {
    const response = await search({ q: 'grinder', highlight: false });
    assert.equal(response.hits[0]?.id, 'misc-1');
    assert.equal(response.hits[0]?.highlight, undefined);
  });
});

describe('request validation', () => {
  it('rejects bad limits and offsets with INVALID_REQUEST', async () => {
    for (const limit of [-1, 1001, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
      await rejectsWith({ limit }, 'INVALID_REQUEST', 'limit');
    }
    for (const offset of [-1, 0.5, Number.NaN, '2' as unknown as number]) {
      await rejectsWith({ offset }, 'INVALID_REQUEST', 'offset');
    }
    await rejectsWith({ q: 'x'.repeat(513) }, 'INVALID_REQUEST', 'q');
  });

  it('accepts the boundary values', async () => {
    assert.equal((await engine.search({ limit: 1000 })).hits.length, PRODUCTS.length);
    assert.equal((await engine.search({ limit: 0 })).hits.length, 0);
    const longest = 'hoodie '.repeat(80).slice(0, 512);
    assert.equal(longest.length, 512);
    assert.ok((await engine.search({ q: longest })).hits.some((hit) => hit.id === 'app-1'));
  });
});

describe('empty query', () => {
  it('browses everything', async () => {
    for (const request of [{}, { q: '' }, { q: '   ' }] as SearchRequest[]) {
      const response = await search(request);
      assert.equal(response.total, PRODUCTS.length);
      assert.deepEqual(response.hits.map((hit) => hit.id).sort(), PRODUCTS.map((p) => p.id).sort());
    }
  });

  it('browses with filters and facets', async () => {
    const response = await search({
      q: '',
      filter: 'lang = zh OR lang = zh-Hant',
      facets: ['brand', 'lang'],
    });
    const zh = expected((p) => p.lang === 'zh' || p.lang === 'zh-Hant');
    assert.deepEqual(response.hits.map((hit) => hit.id).sort(), zh);
    assert.equal(response.total, zh.length);
    const langs = new Map(response.facets?.lang?.values?.map((v) => [v.value.toLowerCase(), v.count]));
    assert.equal(langs.get('zh'), expected((p) => p.lang === 'zh').length);
    assert.equal(langs.get('zh-hant'), 1);
    const brandTotal = (response.facets?.brand?.values ?? []).reduce((sum, v) => sum + v.count, 0);
    assert.equal(brandTotal, zh.length, 'every product has one brand');
  });

  it('returns the hit fields of the stored product', async () => {
    const response = await search({ filter: 'id = ph-2' });
    assert.equal(response.hits.length, 1);
    const hit = response.hits[0]!;
    const stored = product('ph-2');
    assert.equal(hit.title, stored.title);
    assert.equal(hit.brand, stored.brand);
    assert.deepEqual(hit.category, stored.category);
    assert.equal(hit.price, stored.price);
    assert.equal(hit.currency, stored.currency);
    assert.equal(hit.rating, stored.rating);
  });
});

describe('query understanding', () => {
  it('ranks 小狗窝 42cm first and 大狗窝 58cm below 狗屋 40cm for the query 小狗窝', async () => {
    const hits = await ids({ q: '小狗窝' });
    assert.equal(hits[0], 'pet-1', hits.join(','));
    assert.ok(hits.includes('pet-2') && hits.includes('pet-4'), hits.join(','));
    assert.ok(
      hits.indexOf('pet-2') > hits.indexOf('pet-4'),
      `大狗窝 must rank below 狗屋: ${hits.join(',')}`,
    );
    // The opposite query demotes the small one the same way.
    const large = await ids({ q: '大狗窝' });
    assert.equal(large[0], 'pet-2');
    assert.ok(large.indexOf('pet-1') > large.indexOf('pet-4'), large.join(','));
  });

  it('leaves the order alone when the query names no size', async () => {
    const plain = await ids({ q: '狗窝' });
    assert.deepEqual(plain.slice(0, 2).sort(), ['pet-1', 'pet-2']);
  });

  it('reads 100元以下 as a price filter and the rest as the query', async () => {
    const response = await search({ q: '狗窝 100元以下' });
    assert.deepEqual(response.hits.map((hit) => hit.id).sort(), ['pet-1', 'pet-2', 'pet-3']);
    assert.ok(response.hits.every((hit) => (hit.price ?? Infinity) <= 100));
    assert.equal(response.query, '狗窝 100元以下');
    assert.deepEqual(await ids({ q: '狗窝 60元以下' }), ['pet-1', 'pet-3']);
  });

  it('keeps a number that is not a price as a query word', async () => {
    assert.equal((await ids({ q: '42cm' }))[0], 'pet-1');
    assert.equal((await ids({ q: 'Nike运动鞋42码' }))[0], 'shoe-2');
  });
});

describe('query understanding on a small English catalogue', () => {
  const CATALOGUE: Product[] = [
    { id: 'bed-s', title: 'Small Dog Bed Plush 20 in.', price: 35, category: ['Pets', 'Dog Beds'] },
    { id: 'bed-l', title: 'Large Dog Bed Orthopedic 40 in.', price: 89, category: ['Pets', 'Dog Beds'] },
    { id: 'bed-m', title: 'Dog Bed with Bolster', price: 45, category: ['Pets', 'Dog Beds'] },
    { id: 'crate', title: 'Dog Crate Folding Metal', price: 60, category: ['Pets', 'Crates'] },
    { id: 'hood-1', title: 'Full Zip Hoodie', brand: 'Luma', price: 52, category: ['Men', 'Hoodies'] },
    { id: 'hood-2', title: 'Zip Fleece Hoodie', brand: 'Acme', price: 48, category: ['Men', 'Hoodies'] },
    { id: 'tee', title: 'Cotton Tee', brand: 'Luma', price: 12, category: ['Men', 'Tees'] },
  ];
  let shop: Engine;
  before(async () => {
    shop = await createEngine({ dataDir: null });
    await shop.upsert(CATALOGUE);
  });
  after(async () => {
    await shop.close();
  });
  const found = async (request: SearchRequest): Promise<string[]> =>
    (await shop.search({ limit: 100, ...request })).hits.map((hit) => hit.id);

  it('demotes the large dog bed for "small dog bed" and the small one for "large dog bed"', async () => {
    const small = await found({ q: 'small dog bed' });
    assert.equal(small[0], 'bed-s');
    assert.ok(small.indexOf('bed-l') > small.indexOf('bed-m'), small.join(','));
    const large = await found({ q: 'large dog bed' });
    assert.equal(large[0], 'bed-l');
    assert.ok(large.indexOf('bed-s') > large.indexOf('bed-m'), large.join(','));
  });

  it('applies "under $50" as a price filter on top of the request filter', async () => {
    const response = await shop.search({ q: 'dog bed under $50' });
    assert.deepEqual(response.hits.map((hit) => hit.id).sort(), ['bed-m', 'bed-s']);
    assert.deepEqual(await found({ q: 'dog bed under $50', filter: 'price > 40' }), ['bed-m']);
    assert.deepEqual((await found({ q: 'dog between 40 and 90' })).sort(), ['bed-l', 'bed-m', 'crate']);
    // Only a price phrase: the filtered catalogue, browsed.
    assert.deepEqual((await found({ q: 'under $15' })).sort(), ['tee']);
  });

  it('turns price reading off with understanding.priceFilters: false', async () => {
    const plain = await createEngine({ dataDir: null, understanding: { priceFilters: false } });
    try {
      await plain.upsert(CATALOGUE);
      const hits = (await plain.search({ q: 'dog bed under $50', limit: 100 })).hits.map((hit) => hit.id);
      assert.ok(hits.includes('bed-l'), hits.join(','));
    } finally {
      await plain.close();
    }
  });

  it('proposes "hoodie zip" for "hodie zipp" when the query finds nothing', async () => {
    const response = await shop.search({ q: 'hodie zipp', typos: false });
    assert.equal(response.total, 0);
    assert.equal(response.suggestion, 'hoodie zip');
    const fine = await shop.search({ q: 'hoodie zip', typos: false });
    assert.ok(fine.total >= 2);
    assert.equal(fine.suggestion, undefined);
  });

  it('reaches two edits for a five-letter word when the query finds nothing ("hudie" → "hoodie")', async () => {
    // One edit from 4 letters and two from 8 is what typo matching allows: "hudie" matches nothing.
    const response = await shop.search({ q: 'hudie' });
    assert.equal(response.total, 0);
    assert.equal(response.suggestion, 'hoodie');
    // A query that finds something keeps the narrower rule: no two-edit guesses beside real hits.
    assert.equal((await shop.search({ q: 'hudie tee' })).suggestion, undefined);
  });
});

describe('title heads (what the product is)', () => {
  const CATALOGUE: Product[] = [
    { id: 'remote', title: 'Hampton Bay Ceiling Fan Remote Control' },
    { id: 'wall', title: 'Hampton Bay Ceiling Fan Wall Control' },
    { id: 'fan', title: 'Hampton Bay Littleton 42 in. White Ceiling Fan' },
    { id: 'kit', title: 'Hampton Bay Ceiling Fan Light Kit with Frosted Glass' },
  ];
  const order = async (config: Parameters<typeof createEngine>[0], q: string): Promise<string[]> => {
    const engine = await createEngine({ dataDir: null, ...config });
    try {
      await engine.upsert(CATALOGUE);
      return (await engine.search({ q, limit: 10 })).hits.map((hit) => hit.id);
    } finally {
      await engine.close();
    }
  };

  it('ranks the ceiling fan above the remotes, controls and kits made for ceiling fans', async () => {
    assert.equal((await order({}, 'hampton ceiling fan'))[0], 'fan');
    assert.equal((await order({}, 'ceiling fan remote'))[0], 'remote');
    assert.equal((await order({}, 'fan light kit'))[0], 'kit');
  });

  it('is the titleHead field: with its boost at 0 the shorter accessory titles win', async () => {
    const plain = await order({ fields: { titleHead: { boost: 0, b: 0 } } }, 'hampton ceiling fan');
    assert.notEqual(plain[0], 'fan', plain.join(','));
  });
});
