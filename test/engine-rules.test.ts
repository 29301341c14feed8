/**
 * Search rules through the engine: synonyms (one-way, two-way, multi-word, Chinese) and merchandising
 * (pin, hide, boost, bury) in keyword and hybrid search, with filters, sort orders, live writes and
 * persistence across a restart.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { SoukError } from '../src/errors.ts';
import type { Rules } from '../src/rank/rules.ts';
import type { Product, SearchRequest, SearchResponse } from '../src/types.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';
import { createWordHashEmbedder } from './helpers/word-hash-embedder.ts';

const CATALOGUE: Product[] = [
  { id: 'sofa1', title: 'Leather sofa, three seats', brand: 'Nordic', price: 899 },
  { id: 'sofa2', title: 'Velvet sofa bed', brand: 'Nordic', price: 499 },
  { id: 'tv1', title: 'Oak TV stand', brand: 'Woodline', price: 149 },
  { id: 'tv2', title: 'Smart television 55 inch', brand: 'Vizo', price: 399 },
  { id: 'tv3', title: 'Television TV wall mount', brand: 'Mounty', price: 39 },
  { id: 'phone1', title: 'Acme smartphone 128 GB', brand: 'Acme', price: 299 },
  { id: 'phone2', title: 'iPhone 15 leather case', brand: 'Casey', price: 29 },
  { id: 'zh1', title: '华为电话 黑色', brand: 'Huawei', price: 199 },
  { id: 'lamp', title: 'Brass floor lamp', brand: 'Lumen', price: 89 },
  { id: 'rug', title: 'Wool rug, grey', brand: 'Nordic', price: 129 },
];

const SYNONYMS: Rules['synonyms'] = [
  { terms: ['sofa', 'couch'] },
  { terms: ['tv', 'television'] },
  { terms: ['手机', '电话'] },
  { from: 'iphone', to: ['smartphone'] },
];

let root: string;
const engines: Engine[] = [];
before(async () => {
  root = await makeTempDir('souk-rules-');
});
after(async () => {
  for (const engine of engines) await engine.close().catch(() => undefined);
  await removeTempDir(root);
});

async function open(dataDir: string | null = null, hybrid = false): Promise<Engine> {
  const engine = hybrid
    ? await createEngine(
        { dataDir, embedding: { image: { provider: 'none' } } },
        { textEmbedder: createWordHashEmbedder() },
      )
    : await createEngine({ dataDir, embedding: { text: { provider: 'none' }, image: { provider: 'none' } } });
  engines.push(engine);
  return engine;
}

async function catalogue(dataDir: string | null = null, hybrid = false): Promise<Engine> {
  const engine = await open(dataDir, hybrid);
  await engine.upsert(CATALOGUE);
  if (hybrid) await engine.embed();
  return engine;
}

const ids = (response: SearchResponse): string[] => response.hits.map((hit) => hit.id);
const scoreOf = (response: SearchResponse, id: string): number => {
  const hit = response.hits.find((h) => h.id === id);
  assert.ok(hit, `${id} in ${ids(response).join(',')}`);
  return hit.score;
};
const keyword = (q: string, extra: SearchRequest = {}): SearchRequest => ({
  q,
  mode: 'keyword',
  prefix: false,
  typos: false,
  limit: 20,
  ...extra,
});

describe('synonyms in keyword search', () => {
  let engine: Engine;
  before(async () => {
    engine = await catalogue();
  });

  it('finds nothing new before rules are set; getRules is empty', async () => {
    assert.deepEqual(await engine.getRules(), { synonyms: [], merchandising: [] });
    assert.deepEqual(ids(await engine.search(keyword('couch'))), []);
    assert.deepEqual(ids(await engine.search(keyword('手机'))), []);
  });

  it('two-way: couch finds sofas (just below what sofa scores), television finds TV and back', async () => {
    await engine.setRules({ synonyms: SYNONYMS, merchandising: [] });
    const couch = await engine.search(keyword('couch'));
    const sofa = await engine.search(keyword('sofa'));
    assert.deepEqual(ids(couch).sort(), ['sofa1', 'sofa2']);
    assert.deepEqual(ids(couch), ids(sofa));
    assert.ok(scoreOf(couch, 'sofa1') < scoreOf(sofa, 'sofa1'), 'a synonym scores below the word itself');
    assert.ok(scoreOf(couch, 'sofa1') >= 0.85 * scoreOf(sofa, 'sofa1'), 'but only slightly');
    assert.equal(couch.hits[0]?.highlight?.includes('<mark>'), true, 'the synonym is highlighted');

    assert.deepEqual(ids(await engine.search(keyword('tv'))).sort(), ['tv1', 'tv2', 'tv3']);
    assert.deepEqual(ids(await engine.search(keyword('televisions'))).sort(), ['tv1', 'tv2', 'tv3']);
  });

  it('one-way: iphone also finds smartphones, smartphone does not find iPhone cases', async () => {
    // Both, the phone first: its title's head is "smartphone", the case's is "leather case".
    assert.deepEqual(ids(await engine.search(keyword('iphone'))), ['phone1', 'phone2']);
    assert.deepEqual(ids(await engine.search(keyword('smartphone'))), ['phone1']);
  });

  it('Chinese: 手机 finds 电话', async () => {
    assert.deepEqual(ids(await engine.search(keyword('手机'))), ['zh1']);
    assert.deepEqual(ids(await engine.search(keyword('华为手机'))), ['zh1']);
  });

  it('does not inflate coverage: a product with both the word and its synonym is not counted twice', async () => {
    // tv3 says "Television TV" but no stand: it still covers half of "tv stand", below tv1.
    const withRules = await engine.search(keyword('tv stand'));
    assert.equal(ids(withRules)[0], 'tv1');
    await engine.setRules({ synonyms: [], merchandising: [] });
    const plain = await engine.search(keyword('tv stand'));
    const television = await engine.search(keyword('television stand'));
    await engine.setRules({ synonyms: SYNONYMS, merchandising: [] });
    const best = Math.max(scoreOf(plain, 'tv3'), 0.9 * scoreOf(television, 'tv3'));
    assert.ok(Math.abs(scoreOf(withRules, 'tv3') - best) < 1e-3, `${scoreOf(withRules, 'tv3')} vs ${best}`);
    assert.ok(scoreOf(withRules, 'tv1') > scoreOf(withRules, 'tv3'));
  });

  it('multi-word phrases', async () => {
    await engine.setRules({ synonyms: [{ terms: ['floor lamp', 'standing light'] }], merchandising: [] });
    assert.equal(ids(await engine.search(keyword('standing light')))[0], 'lamp');
    assert.deepEqual(ids(await engine.search(keyword('light'))), [], 'only the whole phrase');
    await engine.setRules({ synonyms: SYNONYMS, merchandising: [] });
  });

  it('keeps the request filter', async () => {
    assert.deepEqual(ids(await engine.search(keyword('couch', { filter: 'price < 600' }))), ['sofa2']);
  });
});

describe('merchandising in keyword search', () => {
  let engine: Engine;
  before(async () => {
    engine = await catalogue();
  });

  it('pins, hides, boosts and buries for the queries a rule matches', async () => {
    const before = await engine.search(keyword('sofa'));
    assert.deepEqual(ids(before), ['sofa2', 'sofa1']);
    await engine.setRules({
      synonyms: [{ terms: ['tv', 'television'] }],
      merchandising: [
        { id: 'rug-on-sofas', query: { equals: 'sofas' }, pin: [{ id: 'rug', position: 1 }] },
        { query: { contains: 'sofa' }, boost: [{ filter: 'price > 600', factor: 10 }] },
        { query: { equals: 'tv' }, hide: ['tv3'], bury: [{ filter: 'brand = Woodline', factor: 0.01 }] },
      ],
    });
    const sofa = await engine.search(keyword('sofa'));
    assert.deepEqual(ids(sofa), ['rug', 'sofa1', 'sofa2'], 'pinned even though it does not match');
    assert.equal(sofa.total, 3);
    assert.ok(!ids(await engine.search(keyword('velvet sofa bed'))).includes('rug'), 'equals: no pin');
    const tv = await engine.search(keyword('TV'));
    assert.deepEqual(ids(tv), ['tv2', 'tv1']);
    assert.equal(tv.total, 2);
    assert.deepEqual(ids(await engine.search(keyword('lamp'))), ['lamp'], 'other queries are untouched');
  });

  it('pins page by page, respects the request filter, and only for relevance order', async () => {
    await engine.setRules({
      synonyms: [],
      merchandising: [{ query: { equals: '' }, pin: [{ id: 'lamp', position: 3 }], hide: ['rug'] }],
    });
    const all = await engine.search({ limit: 20 });
    assert.equal(all.total, CATALOGUE.length - 1);
    assert.equal(ids(all)[2], 'lamp');
    assert.ok(!ids(all).includes('rug'));
    const page = await engine.search({ limit: 2, offset: 2 });
    assert.equal(ids(page)[0], 'lamp');

    const filtered = await engine.search({ filter: 'brand = Nordic', limit: 20 });
    assert.deepEqual(
      ids(filtered).sort(),
      ['sofa1', 'sofa2'],
      'the filter keeps the pin out, rug stays hidden',
    );

    const byPrice = await engine.search({ sort: 'price:asc', limit: 20 });
    const prices = byPrice.hits.map((hit) => hit.price ?? 0);
    assert.deepEqual(
      prices,
      [...prices].sort((a, b) => a - b),
      'no pin in a price order',
    );
    assert.ok(!ids(byPrice).includes('rug'), 'hidden in every order');
  });

  it('applies boost filters to values first written after the rules were set', async () => {
    await engine.setRules({
      synonyms: [],
      merchandising: [{ boost: [{ filter: 'brand = Zed', factor: 100 }] }],
    });
    await engine.upsert({ id: 'sofa3', title: 'Small sofa', brand: 'Zed', price: 10 });
    assert.equal(ids(await engine.search(keyword('sofa')))[0], 'sofa3');
    await engine.delete('sofa3');
  });

  it('pins a product that the next write replaces, and drops a deleted one', async () => {
    await engine.setRules({
      synonyms: [],
      merchandising: [{ query: { equals: 'sofa' }, pin: [{ id: 'lamp', position: 1 }] }],
    });
    await engine.patch('lamp', { price: 79 });
    assert.equal(ids(await engine.search(keyword('sofa')))[0], 'lamp');
    await engine.delete('lamp');
    assert.deepEqual(ids(await engine.search(keyword('sofa'))), ['sofa2', 'sofa1']);
  });

  it('refuses invalid rules and keeps the current ones', async () => {
    const current = await engine.getRules();
    await assert.rejects(
      engine.setRules({ synonyms: [], merchandising: [{ pin: [{ id: 'x', position: 0 }] }] } as Rules),
      (error: unknown) =>
        error instanceof SoukError &&
        error.code === 'INVALID_REQUEST' &&
        error.details.field === 'merchandising[0].pin[0].position',
    );
    assert.deepEqual(await engine.getRules(), current);
  });
});

describe('rules in hybrid search', () => {
  let engine: Engine;
  before(async () => {
    engine = await catalogue(null, true);
  });

  it('synonyms reach the lexical list of hybrid search', async () => {
    const request: SearchRequest = { q: 'telly', mode: 'hybrid', prefix: false, typos: false, limit: 5 };
    const before = await engine.search(request);
    assert.equal(before.mode, 'hybrid');
    assert.ok(!['tv1', 'tv2', 'tv3'].includes(ids(before)[0] ?? ''), ids(before).join(','));
    await engine.setRules({ synonyms: [{ terms: ['telly', 'tv', 'television'] }], merchandising: [] });
    const after = await engine.search(request);
    assert.deepEqual(ids(after).slice(0, 3).sort(), ['tv1', 'tv2', 'tv3']);
  });

  it('merchandising applies after fusion', async () => {
    await engine.setRules({
      synonyms: [],
      merchandising: [
        { query: { contains: 'sofa' }, pin: [{ id: 'rug', position: 1 }], hide: ['sofa1'] },
        { query: { contains: 'sofa' }, boost: [{ filter: 'id = lamp', factor: 1000 }] },
      ],
    });
    const response = await engine.search({ q: 'sofa', mode: 'hybrid', limit: 20 });
    assert.equal(response.mode, 'hybrid');
    assert.equal(ids(response)[0], 'rug');
    assert.ok(!ids(response).includes('sofa1'));
    assert.ok(ids(response).indexOf('lamp') <= 2, ids(response).join(','));
    assert.equal(response.total, response.hits.length);
  });
});

describe('rules persistence', () => {
  it('survives a restart of a data directory', async () => {
    const dataDir = join(root, 'persist');
    const rules: Rules = {
      synonyms: SYNONYMS,
      merchandising: [{ id: 'r1', query: { regex: '^couch' }, pin: [{ id: 'lamp', position: 1 }] }],
    };
    let engine = await catalogue(dataDir);
    assert.deepEqual(await engine.setRules(rules), rules);
    await engine.close();
    engine = await open(dataDir);
    assert.deepEqual(await engine.getRules(), rules);
    assert.deepEqual(ids(await engine.search(keyword('couch'))), ['lamp', 'sofa2', 'sofa1']);
    await engine.setRules({ synonyms: [], merchandising: [] });
    await engine.close();
    engine = await open(dataDir);
    assert.deepEqual(await engine.getRules(), { synonyms: [], merchandising: [] });
    assert.deepEqual(ids(await engine.search(keyword('couch'))), []);
  });
});
