import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { SoukError } from '../errors.ts';
import type { FacetResult, Product } from '../types.ts';
import { DocValues } from './doc-values.ts';
import { ATTRIBUTE_PREFIX, formatFilter, parseFilter } from './filter-parser.ts';
import type { FilterNode, FilterValue } from './filter-parser.ts';
import { normalizeValue, parseNumber } from './normalize-value.ts';

const LUMA: Product[] = readFileSync(new URL('../../examples/luma/products.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Product);

const SAMPLE: Product[] = [
  {
    id: 'MH01',
    title: 'Chaz Kangeroo Hoodie',
    brand: 'Luma',
    category: ['Men', 'Tops', 'Hoodies & Sweatshirts'],
    categories: [
      ['Men', 'Tops', 'Hoodies & Sweatshirts'],
      ['Collections', 'Eco Friendly'],
    ],
    price: 52,
    currency: 'USD',
    rating: 4,
    reviews: 3,
    lang: 'en',
    attributes: {
      material: 'Wool',
      color: ['Black', 'Gray', 'Orange'],
      size: ['XS', 'S', 'M', 'L', 'XL'],
      eco_collection: 'Yes',
      width: 30,
    },
  },
  {
    id: 'WH02',
    title: 'Teton Pullover Hoodie',
    brand: 'LUMA',
    category: ['Women', 'Tops', 'Hoodies & Sweatshirts'],
    price: 10,
    rating: 3.5,
    attributes: { color: ['Red', 'blue'], size: ['S', 'M'], width: '32' },
  },
  {
    id: 'MP01',
    title: 'Caesar Warm-Up Pant',
    brand: 'Nike',
    category: ['Men', 'Bottoms', 'Pants'],
    price: 50,
    attributes: { Color: 'Blue', size: [32, 33, 34], new: true },
  },
  {
    id: 'WT03',
    title: 'Desiree Fitness Tee',
    category: ['Women', 'Tops', 'Tees'],
    price: 9.99,
    lang: 'zh',
    attributes: { color: ['Purple'], size: 'XS', eco_collection: 'No' },
  },
  {
    id: 'G01',
    title: 'Strive Shoulder Pack',
    brand: 'Ｌｕｍａ',
    category: ['Gear', 'Bags'],
    attributes: { 'Strap Bags': ['Adjustable'], color: [], material: '' },
  },
  { id: 'X1', title: 'bare' },
];

function build(products: Product[]): DocValues {
  const dv = new DocValues();
  products.forEach((p, i) => dv.set(i, p));
  return dv;
}

function ids(dv: DocValues, products: Product[], expr: string): string[] {
  const docs = Array.from(dv.matchingDocs(parseFilter(expr)));
  const viaCompile = products.map((_, i) => i).filter(dv.compile(parseFilter(expr)));
  assert.deepEqual(docs, viaCompile, `matchingDocs and compile disagree on ${expr}`);
  return docs.map((d) => (products[d] as Product).id).sort();
}

test('category: root, path prefix at each level, and segment name at any level', () => {
  const dv = build(SAMPLE);
  const q = (e: string): string[] => ids(dv, SAMPLE, e);
  assert.deepEqual(q('category = Men'), ['MH01', 'MP01']);
  assert.deepEqual(q('category = "Men > Tops"'), ['MH01']);
  assert.deepEqual(q('category = Men > Tops > Hoodies & Sweatshirts'), ['MH01']);
  assert.deepEqual(q('category = "men>TOPS>hoodies  &  sweatshirts"'), ['MH01']);
  assert.deepEqual(q('category = Tops'), ['MH01', 'WH02', 'WT03']);
  assert.deepEqual(q('category = Hoodies & Sweatshirts'), ['MH01', 'WH02']);
  assert.deepEqual(q('category = Eco Friendly'), ['MH01']);
  assert.deepEqual(q('category = Collections'), ['MH01']);
  // A path with ">" is anchored at the root.
  assert.deepEqual(q('category = "Tops > Hoodies & Sweatshirts"'), []);
  assert.deepEqual(q('category IN [Pants, Gear > Bags]'), ['G01', 'MP01']);
  assert.deepEqual(q('category != Tops'), ['G01', 'MP01', 'X1']);
  assert.deepEqual(q('category NOT EXISTS'), ['X1']);
});

test('strings compare case-insensitively after NFKC', () => {
  const dv = build(SAMPLE);
  const q = (e: string): string[] => ids(dv, SAMPLE, e);
  assert.deepEqual(q('brand = luma'), ['G01', 'MH01', 'WH02']);
  assert.deepEqual(q('Brand = "LUMA"'), ['G01', 'MH01', 'WH02']);
  assert.deepEqual(q('brand != Luma'), ['MP01', 'WT03', 'X1']);
  assert.deepEqual(q('lang = ZH'), ['WT03']);
  assert.deepEqual(q('currency = usd'), ['MH01']);
  assert.deepEqual(q('id = mh01'), ['MH01']);
  assert.deepEqual(q('id IN [MH01, x1, nope]'), ['MH01', 'X1']);
  assert.deepEqual(q('id != MH01'), ['G01', 'MP01', 'WH02', 'WT03', 'X1']);
  assert.deepEqual(q('brand = Adidas'), []);
  assert.deepEqual(q('brand = Adidas OR brand = nike'), ['MP01']);
});

test('numbers: ranges and boundaries, missing values', () => {
  const dv = build(SAMPLE);
  const q = (e: string): string[] => ids(dv, SAMPLE, e);
  assert.deepEqual(q('price 10 TO 50'), ['MP01', 'WH02']);
  assert.deepEqual(q('price 9.99 TO 10'), ['WH02', 'WT03']);
  assert.deepEqual(q('price 50 TO 10'), []);
  assert.deepEqual(q('price > 10'), ['MH01', 'MP01']);
  assert.deepEqual(q('price >= 10'), ['MH01', 'MP01', 'WH02']);
  assert.deepEqual(q('price < 10'), ['WT03']);
  assert.deepEqual(q('price <= 10'), ['WH02', 'WT03']);
  assert.deepEqual(q('price = 9.99'), ['WT03']);
  assert.deepEqual(q('price IN [52, 50]'), ['MH01', 'MP01']);
  assert.deepEqual(q('price != 50'), ['G01', 'MH01', 'WH02', 'WT03', 'X1']);
  assert.deepEqual(q('NOT price EXISTS'), ['G01', 'X1']);
  assert.deepEqual(q('price EXISTS AND NOT price > 0'), []);
  assert.deepEqual(q('rating >= 3.5'), ['MH01', 'WH02']);
  assert.deepEqual(q('reviews EXISTS'), ['MH01']);
});

test('attributes: arrays, IN, numeric strings, booleans, names with spaces', () => {
  const dv = build(SAMPLE);
  const q = (e: string): string[] => ids(dv, SAMPLE, e);
  assert.deepEqual(q('color IN [red, BLUE]'), ['MP01', 'WH02']);
  assert.deepEqual(q('attributes.color = Gray'), ['MH01']);
  assert.deepEqual(q('color NOT IN [Blue]'), ['G01', 'MH01', 'WT03', 'X1']);
  assert.deepEqual(q('color EXISTS'), ['MH01', 'MP01', 'WH02', 'WT03']);
  assert.deepEqual(q('size = 32'), ['MP01']);
  assert.deepEqual(q('size = "32"'), ['MP01']);
  assert.deepEqual(q('size >= 33'), ['MP01']);
  assert.deepEqual(q('size = s'), ['MH01', 'WH02']);
  assert.deepEqual(q('width >= 31'), ['WH02']);
  assert.deepEqual(q('width 30 TO 31'), ['MH01']);
  assert.deepEqual(q('width = 30.0'), ['MH01']);
  assert.deepEqual(q('new = true'), ['MP01']);
  assert.deepEqual(q('"strap bags" = adjustable'), ['G01']);
  assert.deepEqual(q('material EXISTS'), ['MH01']);
  assert.deepEqual(q('nonexistent = x'), []);
  assert.deepEqual(q('nonexistent != x'), SAMPLE.map((p) => p.id).sort());
});

test('boolean combinations', () => {
  const dv = build(SAMPLE);
  const q = (e: string): string[] => ids(dv, SAMPLE, e);
  assert.deepEqual(q('category = Tops AND price < 20'), ['WH02', 'WT03']);
  assert.deepEqual(q('category = Tops AND NOT price < 20'), ['MH01']);
  assert.deepEqual(q('brand = Nike OR category = Gear AND color EXISTS'), ['MP01']);
  assert.deepEqual(q('(brand = Nike OR category = Gear) AND NOT color EXISTS'), ['G01']);
  assert.deepEqual(q('NOT (brand EXISTS OR lang EXISTS)'), ['X1']);
  assert.deepEqual(q(''), SAMPLE.map((p) => p.id).sort());
});

test('predicates reject docIds that are not set', () => {
  const dv = build(SAMPLE);
  dv.remove(0);
  for (const e of ['', 'brand != x', 'NOT price EXISTS', 'category = Men']) {
    const p = dv.compile(parseFilter(e));
    for (const d of [0, -1, 1.5, 6, 1e9, NaN]) assert.equal(p(d), false, `${e} on ${d}`);
  }
  assert.equal(dv.has(0), false);
  assert.equal(dv.has(1), true);
  assert.deepEqual(ids(dv, SAMPLE, 'brand = luma'), ['G01', 'WH02']);
  assert.ok(Number.isNaN(dv.price(0)));
});

test('set replaces earlier values for the same docId', () => {
  const dv = build(SAMPLE);
  dv.set(2, { id: 'MP01', title: 'renamed', brand: 'Adidas', price: 75, attributes: { color: 'Green' } });
  assert.deepEqual(ids(dv, SAMPLE, 'brand = Nike'), []);
  assert.deepEqual(ids(dv, SAMPLE, 'brand = Adidas AND price = 75 AND color = green'), ['MP01']);
  assert.deepEqual(ids(dv, SAMPLE, 'category = Men'), ['MH01']);
  const f = dv.facets([0, 1, 2, 3, 4, 5], ['brand', 'color']);
  assert.deepEqual(f.brand?.values, [
    { value: 'Luma', count: 3 },
    { value: 'Adidas', count: 1 },
  ]);
  assert.equal(f.color?.values?.find((v) => v.value === 'Green')?.count, 1);
  assert.equal(dv.docCount, 6);
});

test('sort keys', () => {
  const dv = build(SAMPLE);
  assert.equal(dv.price(0), 52);
  assert.equal(dv.rating(1), 3.5);
  assert.equal(dv.reviews(0), 3);
  assert.ok(Number.isNaN(dv.price(4)));
  assert.ok(Number.isNaN(dv.rating(2)));
  assert.ok(Number.isNaN(dv.price(999)));
});

// ---------------------------------------------------------------------------------------------------
// Facets

type Counts = Map<string, number>;

/** Naive facet count straight from the products, keyed by normalised value. */
function naiveCounts(products: Product[], docs: number[], field: string): Counts {
  const counts: Counts = new Map();
  for (const d of docs) {
    for (const v of new Set(naiveStrings(products[d] as Product, field)))
      counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

function checkFacet(result: FacetResult | undefined, naive: Counts, maxValues: number, label: string): void {
  assert.ok(result?.values, label);
  const expected = [...naive]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxValues)
    .map(([value, count]) => ({ value, count }));
  const actual = result.values.map((v) => ({ value: normalizeValue(v.value), count: v.count }));
  assert.deepEqual(actual, expected, label);
}

test('facet counts over a filtered subset equal a naive count', () => {
  const dv = build(LUMA);
  const docs = Array.from(dv.matchingDocs(parseFilter('price < 60 AND category = Tops')));
  assert.ok(docs.length > 20 && docs.length < LUMA.length);
  const fields = ['category', 'color', 'size', 'material', 'climate', 'brand', 'attributes.pattern'];
  const result = dv.facets(docs, fields);
  for (const f of fields) {
    checkFacet(result[f], naiveCounts(LUMA, docs, f), f === 'category' ? 100 : 20, f);
  }
  const top3 = dv.facets(docs, ['color'], { maxValues: 3 });
  checkFacet(top3.color, naiveCounts(LUMA, docs, 'color'), 3, 'color top 3');
  assert.deepEqual(dv.facets(docs, ['nothing', '']), { nothing: { values: [] }, '': { values: [] } });
});

test('facets on random subsets equal a naive count', () => {
  const dv = build(LUMA);
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: LUMA.length - 1 })),
      fc.integer({ min: 1, max: 30 }),
      (docs, k) => {
        const result = dv.facets(docs, ['category', 'color', 'size', 'climate'], { maxValues: k });
        for (const f of ['category', 'color', 'size', 'climate'])
          checkFacet(result[f], naiveCounts(LUMA, docs, f), k, f);
      },
    ),
    { numRuns: 200 },
  );
});

test('facet values keep the first-seen casing and category lists every prefix', () => {
  const dv = build(SAMPLE);
  const all = [0, 1, 2, 3, 4, 5];
  const f = dv.facets(all, ['category', 'brand', 'color']);
  assert.deepEqual(f.brand?.values, [
    { value: 'Luma', count: 3 },
    { value: 'Nike', count: 1 },
  ]);
  assert.deepEqual(f.category?.values, [
    { value: 'Men', count: 2 },
    { value: 'Women', count: 2 },
    { value: 'Women > Tops', count: 2 },
    { value: 'Collections', count: 1 },
    { value: 'Collections > Eco Friendly', count: 1 },
    { value: 'Gear', count: 1 },
    { value: 'Gear > Bags', count: 1 },
    { value: 'Men > Bottoms', count: 1 },
    { value: 'Men > Bottoms > Pants', count: 1 },
    { value: 'Men > Tops', count: 1 },
    { value: 'Men > Tops > Hoodies & Sweatshirts', count: 1 },
    { value: 'Women > Tops > Hoodies & Sweatshirts', count: 1 },
    { value: 'Women > Tops > Tees', count: 1 },
  ]);
  // "blue" (WH02) was seen before "Blue" (MP01, under the "Color" key).
  assert.deepEqual(f.color?.values?.slice(0, 1), [{ value: 'blue', count: 2 }]);
});

test('price facet: automatic 1-2-5 buckets and caller boundaries, exact counts', () => {
  const dv = build(LUMA);
  const all = LUMA.map((_, i) => i);
  const prices = LUMA.map((p) => p.price).filter((p): p is number => typeof p === 'number');
  const count = (lo: number, hi: number): number => prices.filter((p) => p >= lo && p < hi).length;
  const f = dv.facets(all, ['price']);
  assert.deepEqual(f.price, {
    min: Math.min(...prices),
    max: Math.max(...prices),
    buckets: [
      { min: 0, max: 10, count: count(0, 10) },
      { min: 10, max: 20, count: count(10, 20) },
      { min: 20, max: 50, count: count(20, 50) },
      { min: 50, count: count(50, Infinity) },
    ],
  });
  const custom = dv.facets(all, ['price'], { priceBuckets: [100, 25, 50] });
  assert.deepEqual(custom.price?.buckets, [
    { min: 5, max: 25, count: count(0, 25) },
    { min: 25, max: 50, count: count(25, 50) },
    { min: 50, max: 100, count: count(50, 100) },
    { min: 100, count: 0 },
  ]);
  const sum = (r: FacetResult | undefined): number => (r?.buckets ?? []).reduce((s, b) => s + b.count, 0);
  assert.equal(sum(f.price), prices.length);
  assert.equal(sum(custom.price), prices.length);

  // Over a subset the range, and so the buckets, follow the subset.
  const cheap = Array.from(dv.matchingDocs(parseFilter('price 40 TO 80')));
  const sub = dv.facets(cheap, ['price']).price;
  assert.deepEqual(
    sub?.buckets?.map((b) => b.min),
    [40, 50, 60, 70],
  );
  assert.equal(sum(sub), cheap.length);

  const rating = dv.facets(all, ['rating', 'reviews']);
  const rated = LUMA.filter((p) => typeof p.rating === 'number').length;
  assert.equal(sum(rating.rating), rated);
  assert.equal(rating.rating?.max, Math.max(...LUMA.map((p) => p.rating ?? -Infinity)));
  assert.deepEqual(dv.facets([], ['price']), { price: { buckets: [] } });
});

test('numeric attribute facet: values plus buckets counting each document once per bucket', () => {
  const products: Product[] = [
    { id: 'a', title: 'a', attributes: { width: [10, 12, 48] } },
    { id: 'b', title: 'b', attributes: { width: '30' } },
    { id: 'c', title: 'c', attributes: { width: 45 } },
    { id: 'd', title: 'd', attributes: { size: 'M' } },
  ];
  const dv = build(products);
  const f = dv.facets([0, 1, 2, 3], ['width', 'size']);
  assert.equal(f.width?.min, 10);
  assert.equal(f.width?.max, 48);
  assert.deepEqual(f.width?.buckets, [
    { min: 10, max: 20, count: 1 },
    { min: 20, max: 30, count: 0 },
    { min: 30, max: 40, count: 1 },
    { min: 40, count: 2 },
  ]);
  assert.equal(f.width?.values?.length, 5);
  assert.equal(f.size?.buckets, undefined);
});

// ---------------------------------------------------------------------------------------------------
// Remap, snapshots

const PROBES = [
  'category = Tops',
  'category = "Women > Bottoms"',
  'color IN [Red, Blue] AND price < 40',
  'size >= 32',
  'NOT rating EXISTS OR rating > 4',
  'price 20 TO 45 AND material != Cotton',
  'id IN [MH01, WS03, WP10]',
  'climate = Spring AND NOT eco_collection = Yes',
];

/** `exactDisplay` false: facet values compare normalised, since display forms are first-seen casing. */
function sameResults(a: DocValues, b: DocValues, docIds: number[], exactDisplay = true): void {
  for (const e of PROBES) {
    assert.deepEqual(
      Array.from(a.matchingDocs(parseFilter(e))),
      Array.from(b.matchingDocs(parseFilter(e))),
      e,
    );
  }
  const fields = ['category', 'color', 'size', 'price', 'rating', 'material'];
  const norm = (r: Record<string, FacetResult>): Record<string, FacetResult> =>
    exactDisplay
      ? r
      : Object.fromEntries(
          Object.entries(r).map(([k, v]) => [
            k,
            { ...v, values: v.values?.map((x) => ({ value: normalizeValue(x.value), count: x.count })) },
          ]),
        );
  assert.deepEqual(norm(a.facets(docIds, fields)), norm(b.facets(docIds, fields)));
  for (const d of docIds) {
    assert.ok(Object.is(a.price(d), b.price(d)));
    assert.ok(Object.is(a.rating(d), b.rating(d)));
  }
}

test('remap after removing documents matches a fresh build', () => {
  const dv = build(LUMA);
  const mapping = new Int32Array(LUMA.length).fill(-1);
  const kept: Product[] = [];
  LUMA.forEach((p, d) => {
    if (d % 3 === 1 || p.id.startsWith('MH')) {
      dv.remove(d);
    } else {
      mapping[d] = kept.length;
      kept.push(p);
    }
  });
  const before = dv.stats().distinctValues;
  dv.remap(mapping, kept.length);
  const fresh = build(kept);
  assert.equal(dv.docCount, kept.length);
  assert.equal(dv.docIdLimit, kept.length);
  sameResults(
    dv,
    fresh,
    kept.map((_, i) => i),
    false,
  );
  assert.equal(dv.stats().distinctValues, fresh.stats().distinctValues);
  assert.ok(dv.stats().distinctValues <= before);
  // Still writable after the remap.
  dv.set(kept.length, LUMA[1] as Product);
  fresh.set(kept.length, LUMA[1] as Product);
  sameResults(dv, fresh, kept.map((_, i) => i).concat(kept.length), false);
});

test('remap rejects bad mappings and leaves the values untouched', () => {
  const dv = build(SAMPLE);
  const expect = (mapping: number[], size: number): void =>
    assert.throws(
      () => dv.remap(Int32Array.from(mapping), size),
      (e: unknown) => e instanceof SoukError && e.code === 'INTERNAL',
    );
  expect([0, 0, 1, 2, 3, 4], 6);
  expect([0, 1, 2], 6);
  expect([0, 1, 2, 3, 4, 9], 6);
  expect([0, 1, 2, 3, 4, 5], -1);
  assert.deepEqual(ids(dv, SAMPLE, 'brand = luma'), ['G01', 'MH01', 'WH02']);
});

test('serialize round trip gives identical results', () => {
  const dv = build(LUMA);
  dv.remove(5);
  dv.remove(17);
  dv.set(3, { ...(LUMA[40] as Product), id: 'REPLACED', brand: 'Ｎｅｗ' });
  const bytes = dv.serialize();
  const copy = DocValues.deserialize(bytes);
  const all = LUMA.map((_, i) => i);
  sameResults(dv, copy, all);
  assert.equal(copy.docCount, dv.docCount);
  assert.equal(copy.has(5), false);
  assert.deepEqual(ids(copy, LUMA, 'id = replaced'), [LUMA[3]?.id]);
  assert.deepEqual(copy.facets([3], ['brand']).brand?.values, [{ value: 'Ｎｅｗ', count: 1 }]);
  // Serialising the copy gives the same bytes, and a view at an odd offset reads the same.
  assert.deepEqual(copy.serialize(), bytes);
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  sameResults(dv, DocValues.deserialize(shifted.subarray(3)), all);
  // The copy keeps working as a writable store.
  copy.set(500, LUMA[0] as Product);
  assert.equal(copy.docIdLimit, 501);
  assert.equal(copy.compile(parseFilter('id = MH01'))(500), true);
  // Empty stores round-trip too.
  assert.equal(DocValues.deserialize(new DocValues().serialize()).docCount, 0);
});

test('deserialize rejects damaged snapshots with SNAPSHOT_INVALID only', () => {
  const bytes = build(SAMPLE).serialize();
  const rejects = (b: Uint8Array): void =>
    assert.throws(
      () => DocValues.deserialize(b),
      (e: unknown) => e instanceof SoukError && e.code === 'SNAPSHOT_INVALID',
    );
  rejects(bytes.subarray(0, 10));
  rejects(bytes.subarray(0, bytes.length - 8));
  const badMagic = bytes.slice();
  badMagic[0] = 0;
  rejects(badMagic);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, v) => {
      const b = bytes.slice();
      b[i] = v;
      try {
        DocValues.deserialize(b).facets([0, 1, 2, 3, 4, 5], ['category', 'color', 'price']);
      } catch (error) {
        assert.ok(error instanceof SoukError && error.code === 'SNAPSHOT_INVALID', String(error));
      }
    }),
    { numRuns: 500 },
  );
});

test('pool compaction after many replacements keeps results exact', () => {
  const dv = build(LUMA);
  for (let round = 0; round < 20; round++) {
    LUMA.forEach((p, d) => dv.set(d, round % 2 === 0 ? (LUMA[(d + 1) % LUMA.length] as Product) : p));
  }
  const stats = dv.stats();
  assert.ok(stats.garbageEntries < stats.poolEntries + 65536, JSON.stringify(stats));
  sameResults(
    dv,
    build(LUMA),
    LUMA.map((_, i) => i),
  );
});

// ---------------------------------------------------------------------------------------------------
// Property: compile(parse(expr)) agrees with a naive evaluator over random products and expressions.

function stringForm(v: unknown): string | undefined {
  if (typeof v === 'string') return normalizeValue(v) || undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

function categoryKeys(p: Product): string[] {
  const keys: string[] = [];
  for (const path of [p.category ?? [], ...(p.categories ?? [])]) {
    const segs = path.map(normalizeValue).filter((s) => s !== '');
    for (let i = 1; i <= segs.length; i++) keys.push(segs.slice(0, i).join(' > '));
  }
  return keys;
}

function naiveStrings(p: Product, field: string): string[] {
  if (field === 'category') return categoryKeys(p);
  if (field === 'brand' || field === 'lang' || field === 'currency' || field === 'id') {
    const s = stringForm(p[field]);
    return s === undefined ? [] : [s];
  }
  const name = normalizeValue(
    field.startsWith(ATTRIBUTE_PREFIX) ? field.slice(ATTRIBUTE_PREFIX.length) : field,
  );
  const out: string[] = [];
  for (const [k, v] of Object.entries(p.attributes ?? {})) {
    if (normalizeValue(k) !== name) continue;
    for (const x of Array.isArray(v) ? v : [v]) {
      const s = stringForm(x);
      if (s !== undefined) out.push(s);
    }
  }
  return out;
}

function naiveEval(node: FilterNode, p: Product): boolean {
  switch (node.type) {
    case 'all':
      return true;
    case 'and':
      return node.children.every((c) => naiveEval(c, p));
    case 'or':
      return node.children.some((c) => naiveEval(c, p));
    case 'not':
      return !naiveEval(node.child, p);
    default:
      break;
  }
  if (node.type === 'compare' && node.op === '!=') return !naiveEval({ ...node, op: '=' }, p);
  const f = node.field;
  if (f === 'price' || f === 'rating' || f === 'reviews') {
    const raw = p[f];
    const v = typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined;
    if (v === undefined) return false;
    switch (node.type) {
      case 'exists':
        return true;
      case 'range':
        return v >= node.min && v <= node.max;
      case 'in':
        return node.values.includes(v);
      case 'compare':
        return cmp(node.op, v, node.value as number);
    }
  }
  const values = naiveStrings(p, f);
  const isCategory = f === 'category';
  const equals = (x: FilterValue): boolean => {
    if (isCategory) {
      const s = String(x);
      if (s.includes('>')) {
        const key = s
          .split('>')
          .map(normalizeValue)
          .filter((t) => t !== '')
          .join(' > ');
        return values.includes(key);
      }
      const name = normalizeValue(s);
      return values.some((k) => k.split(' > ').at(-1) === name);
    }
    if (typeof x === 'number') return values.some((s) => parseNumber(s) === x);
    return values.includes(normalizeValue(x));
  };
  const nums = isCategory ? [] : values.map(parseNumber).filter((n) => !Number.isNaN(n));
  switch (node.type) {
    case 'exists':
      return values.length > 0;
    case 'in':
      return node.values.some(equals);
    case 'range':
      return nums.some((n) => n >= node.min && n <= node.max);
    case 'compare':
      return node.op === '=' ? equals(node.value) : nums.some((n) => cmp(node.op, n, node.value as number));
  }
}

function cmp(op: string, v: number, x: number): boolean {
  return op === '=' ? v === x : op === '>' ? v > x : op === '>=' ? v >= x : op === '<' ? v < x : v <= x;
}

const SEGMENTS = ['Men', 'Women', 'Tops', 'tops', 'Bottoms', 'Hoodies & Sweatshirts', 'Gear', '10'];
const STRINGS = [
  'Red',
  'red',
  'RED',
  'Blue',
  'Light Blue',
  'S',
  'M',
  '10',
  '10.0',
  '32',
  '-1.5',
  'true',
  'Ünï',
  'ｕｎｉ',
  '',
];
const NUMBERS = [0, 5, 9.99, 10, 25, 32, 50, 100, -1.5, 3.5, 4.3];

const pathArb = fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 3 });
const attrValueArb = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.constantFrom(...NUMBERS),
  fc.boolean(),
  fc.array(fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS)), { maxLength: 3 }),
);
const productArb: fc.Arbitrary<Product> = fc.record(
  {
    id: fc.constantFrom('A1', 'a1', 'B2', '10', '007', 'Ünï'),
    title: fc.constant('t'),
    brand: fc.constantFrom('Nike', 'NIKE', 'Adidas', 'Ｌｕｍａ', 'Luma', '10'),
    category: pathArb,
    categories: fc.array(pathArb, { maxLength: 2 }),
    price: fc.constantFrom(...NUMBERS),
    rating: fc.constantFrom(1, 3.5, 4.3, 5),
    reviews: fc.nat(20),
    lang: fc.constantFrom('en', 'zh', 'zh-Hant'),
    currency: fc.constantFrom('USD', 'eur'),
    attributes: fc.dictionary(fc.constantFrom('color', 'Color', 'size', 'width', 'eco'), attrValueArb, {
      maxKeys: 3,
    }),
  },
  { requiredKeys: ['id', 'title'] },
);

const NUMERIC = ['price', 'rating', 'reviews'];
const fieldArb = fc.constantFrom(
  'brand',
  'category',
  'price',
  'rating',
  'reviews',
  'lang',
  'currency',
  'id',
  'attributes.color',
  'attributes.size',
  'attributes.width',
  'attributes.eco',
  'attributes.missing',
);
const VALUES = [
  ...STRINGS.filter((s) => s !== ''),
  ...SEGMENTS,
  'Men > Tops',
  'men>tops>10',
  'Nike',
  'a1',
  '007',
  'zh-hant',
];
const numberArb = fc.constantFrom(...NUMBERS);
const valueArb = (field: string): fc.Arbitrary<FilterValue> =>
  NUMERIC.includes(field) ? numberArb : fc.oneof(fc.constantFrom(...VALUES), numberArb);

const leafArb: fc.Arbitrary<FilterNode> = fieldArb.chain((field) =>
  fc.oneof(
    fc.record({
      type: fc.constant('compare' as const),
      field: fc.constant(field),
      op: fc.constantFrom('=' as const, '!=' as const),
      value: valueArb(field),
    }),
    fc.record({
      type: fc.constant('compare' as const),
      field: fc.constant(field),
      op: fc.constantFrom('>' as const, '>=' as const, '<' as const, '<=' as const),
      value: numberArb,
    }),
    fc.record({
      type: fc.constant('range' as const),
      field: fc.constant(field),
      min: numberArb,
      max: numberArb,
    }),
    fc.record({
      type: fc.constant('in' as const),
      field: fc.constant(field),
      values: fc.array(valueArb(field), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ type: fc.constant('exists' as const), field: fc.constant(field) }),
  ),
);

const { node: nodeArb } = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.record({
      type: fc.constant('and' as const),
      children: fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
    }),
    fc.record({
      type: fc.constant('or' as const),
      children: fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
    }),
    fc.record({ type: fc.constant('not' as const), child: tie('node') }),
  ),
}));

/** Prints like a person would: bare words where the grammar allows, keywords in random case. */
function casualFormat(node: FilterNode, kw: (k: string) => string): string {
  const bareOk = (s: string): boolean =>
    s.split(' ').every((w) => /^[^\s()[\],"=<>!]+$/.test(w) && !/^(and|or)$/i.test(w)) &&
    Number.isNaN(parseNumber(s)) &&
    s === s.trim() &&
    !s.includes('  ');
  const value = (v: FilterValue): string => {
    if (typeof v === 'number') return String(v);
    const parts = v.split(' > ');
    if (parts.every(bareOk) && !v.includes('>', v.lastIndexOf(' > ') + 3)) return parts.join(' > ');
    return formatFilter({ type: 'compare', field: 'x', op: '=', value: v }).slice(4);
  };
  const field = (f: string): string => formatFilter({ type: 'exists', field: f }).replace(/ EXISTS$/, '');
  const wrap = (c: FilterNode): string =>
    c.type === 'and' || c.type === 'or' ? `(${casualFormat(c, kw)})` : casualFormat(c, kw);
  switch (node.type) {
    case 'all':
      return '';
    case 'and':
    case 'or':
      return node.children.map(wrap).join(` ${kw(node.type.toUpperCase())} `);
    case 'not':
      return `${kw('NOT')} ${wrap(node.child)}`;
    case 'compare':
      return `${field(node.field)} ${node.op} ${value(node.value)}`;
    case 'range':
      return `${field(node.field)} ${node.min} ${kw('TO')} ${node.max}`;
    case 'in':
      return `${field(node.field)} ${kw('IN')} [${node.values.map(value).join(', ')}]`;
    case 'exists':
      return `${field(node.field)} ${kw('EXISTS')}`;
  }
}

test('property: compiled filters agree with a naive evaluator', () => {
  fc.assert(
    fc.property(
      fc.array(productArb, { minLength: 1, maxLength: 25 }),
      nodeArb,
      fc.boolean(),
      fc.array(fc.nat(24), { maxLength: 3 }),
      (products, node, casual, removed) => {
        const expr = casual
          ? casualFormat(node, (k) => (k.length % 2 === 0 ? k.toLowerCase() : k))
          : formatFilter(node);
        const parsed = parseFilter(expr);
        // fast-check records have a null prototype; compare plain copies.
        assert.deepEqual(parsed, JSON.parse(JSON.stringify(node)), expr);
        const dv = build(products);
        for (const d of removed) dv.remove(d);
        const p = dv.compile(parsed);
        const matching = Array.from(dv.matchingDocs(parsed));
        const expected: number[] = [];
        products.forEach((prod, d) => {
          const want = !removed.includes(d) && naiveEval(parsed, prod);
          assert.equal(p(d), want, `${expr} on ${JSON.stringify(prod)}`);
          if (want) expected.push(d);
        });
        assert.deepEqual(matching, expected, expr);
        // The snapshot evaluates the same.
        const copy = DocValues.deserialize(dv.serialize());
        assert.deepEqual(Array.from(copy.matchingDocs(parsed)), expected, `${expr} after snapshot`);
      },
    ),
    { numRuns: 1500 },
  );
});
