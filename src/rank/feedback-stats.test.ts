import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FeedbackStats,
  examinationPropensity,
  normalizeFeedbackQuery,
  type FeedbackInput,
  type ProductFacts,
} from './feedback-stats.ts';

const close = (actual: number, expected: number, message?: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${message ?? ''} expected ${expected}, got ${actual}`);

const shown = (productId: string, position: number, query = 'hoodie'): FeedbackInput => ({
  type: 'impression',
  query,
  productId,
  position,
});
const clicked = (productId: string, position: number, query = 'hoodie'): FeedbackInput => ({
  type: 'click',
  query,
  productId,
  position,
});

describe('examinationPropensity', () => {
  it('is (1/position)^η, 1 without a position, floored at minPropensity', () => {
    assert.equal(examinationPropensity(undefined), 1);
    assert.equal(examinationPropensity(1), 1);
    close(examinationPropensity(5), 0.2);
    close(examinationPropensity(4, 0.5), 0.5);
    close(examinationPropensity(100), 0.02);
    close(examinationPropensity(1000), 0.02, 'floored');
    close(examinationPropensity(1000, 1, 0.001), 0.001);
  });
});

describe('FeedbackStats', () => {
  it('weights a click at rank 5 five times a click at rank 1 (hand-computed)', () => {
    const stats = new FeedbackStats();
    stats.add([shown('A', 1), clicked('A', 1), shown('B', 5), clicked('B', 5), shown('C', 5), shown('D', 1)]);
    assert.deepEqual(stats.product('A'), {
      impressions: 1,
      exposure: 1,
      clicks: 1,
      debiasedClicks: 1,
      carts: 0,
      debiasedCarts: 0,
      purchases: 0,
      debiasedPurchases: 0,
    });
    const b = stats.product('B')!;
    close(b.exposure, 0.2);
    close(b.debiasedClicks, 5);
    // popularity = ln(1 + IPS-weighted clicks)
    close(stats.popularity('A'), Math.log(2));
    close(stats.popularity('B'), Math.log(6));
    assert.equal(stats.popularity('unknown'), 0);
    // attractiveness = (clicks + m·a0) / (exposure + m), m = 10, a0 = 0.1
    close(stats.attractiveness('A'), 2 / 11);
    close(stats.attractiveness('B'), 2 / 10.2);
    // An unclicked impression at rank 5 is weaker evidence against C than one at rank 1 against D.
    close(stats.attractiveness('C'), 1 / 10.2);
    close(stats.attractiveness('D'), 1 / 11);
    assert.ok(stats.attractiveness('C') > stats.attractiveness('D'));
    assert.equal(stats.attractiveness('unknown'), 0.1);
  });

  it('counts carts and purchases (3 and 10) and caps deep inverse-propensity weights', () => {
    const stats = new FeedbackStats();
    stats.add([
      { type: 'add_to_cart', query: 'q', productId: 'P', position: 2 },
      { type: 'purchase', query: 'q', productId: 'P' },
      clicked('P', 200, 'q'),
    ]);
    const p = stats.product('P')!;
    close(p.debiasedCarts, 2);
    close(p.debiasedPurchases, 1);
    close(p.debiasedClicks, 50, 'a click at rank 200 weighs at most 1 / 0.02');
    close(stats.popularity('P'), Math.log1p(50 + 3 * 2 + 10 * 1));
    close(stats.attractiveness('P'), (1 + 3 + 10 + 1) / 10);
    const custom = new FeedbackStats({ eta: 0.5, weights: { purchase: 5 } as never });
    custom.add([clicked('P', 4), { type: 'purchase', query: 'q', productId: 'P' }]);
    close(custom.product('P')!.debiasedClicks, 2);
    close(custom.popularity('P'), Math.log1p(2 + 5));
  });

  it('aggregates per normalised query and product for training labels', () => {
    const stats = new FeedbackStats();
    stats.add([
      shown('A', 1, 'Hoodie '),
      shown('A', 3, 'hoodie'),
      clicked('A', 3, 'ＨＯＯＤＩＥ'),
      { type: 'add_to_cart', query: 'hoodie', productId: 'A', position: 3 },
      shown('B', 2, 'hoodie'),
      shown('A', 1, 'jacket'),
    ]);
    assert.equal(normalizeFeedbackQuery('  Hoodie  '), 'hoodie');
    const hoodie = stats.queryProductStats('HOODIE');
    assert.deepEqual([...hoodie.keys()].sort(), ['A', 'B']);
    const a = hoodie.get('A')!;
    assert.equal(a.impressions, 2);
    close(a.exposure, 1 + 1 / 3);
    assert.equal(a.clicks, 1);
    close(a.debiasedClicks, 3);
    assert.equal(a.carts, 1);
    assert.equal(a.purchases, 0);
    a.clicks = 99;
    assert.equal(stats.queryProductStats('hoodie').get('A')!.clicks, 1, 'copies are returned');
    assert.equal(stats.queryProductStats('jacket').get('A')!.impressions, 1);
    assert.equal(stats.queryProductStats('nothing').size, 0);
    assert.deepEqual(stats.queries(), ['hoodie', 'jacket']);
    assert.equal(stats.product('A')!.impressions, 3, 'products add up over queries');
  });

  it('gives a user affinity to the brands and category levels of what they chose (hand-computed)', () => {
    const facts: Record<string, ProductFacts> = {
      P1: { category: ['Men', 'Tops', 'Hoodies'], brand: 'Luma' },
      P2: { category: ['Men', 'Bottoms'], brand: 'Nike' },
      P3: { category: ['Women', 'Tops'], brand: 'Luma' },
    };
    const stats = new FeedbackStats();
    stats.add(
      [
        { type: 'click', query: 'hoodie', productId: 'P1', position: 4, userId: 'u1' },
        { type: 'purchase', query: 'shorts', productId: 'P2', userId: 'u1' },
        { type: 'impression', query: 'tops', productId: 'P3', position: 1, userId: 'u1' },
        { type: 'click', query: 'x', productId: 'not-in-catalogue', userId: 'u1' },
        { type: 'click', query: 'tops', productId: 'P3', userId: 'u2' },
      ],
      (id) => facts[id],
    );
    // u1: total weight 1 + 10 = 11 (the impression and the unknown product do not count), smoothed by 5.
    close(stats.brandAffinity('u1', 'Nike'), 10 / 16);
    close(stats.brandAffinity('u1', ' LUMA '), 1 / 16);
    assert.equal(stats.brandAffinity('u1', 'Adidas'), 0);
    // Men 11, Men > Bottoms 10, Men > Bottoms > Shorts 0.
    close(stats.categoryAffinity('u1', ['Men', 'Bottoms', 'Shorts']), (11 / 16 + 10 / 16 + 0) / 3);
    close(stats.categoryAffinity('u1', ['men', 'tops', 'hoodies']), (11 / 16 + 1 / 16 + 1 / 16) / 3);
    assert.equal(stats.categoryAffinity('u1', ['Women']), 0);
    close(stats.affinity('u1', ['Men', 'Bottoms', 'Shorts'], 'Nike'), ((21 / 48) * 1 + 10 / 16) / 2);
    close(stats.affinity('u1', undefined, 'Nike'), 10 / 16);
    close(stats.affinity('u1', ['Men'], undefined), 11 / 16);
    assert.equal(stats.affinity('u1', [], undefined), 0);
    assert.equal(stats.affinity('nobody', ['Men'], 'Nike'), 0);
    close(stats.affinity('u2', ['Women', 'Tops'], 'Luma'), 1 / 6);
    for (const value of [
      stats.affinity('u1', ['Men', 'Bottoms'], 'Nike'),
      stats.affinity('u2', ['Women'], 'Luma'),
    ]) {
      assert.ok(value >= 0 && value <= 1);
    }
    // Without product facts, events still count everywhere but in affinity.
    const blind = new FeedbackStats();
    blind.add([{ type: 'click', query: 'q', productId: 'P1', userId: 'u1' }]);
    assert.equal(blind.hasUser('u1'), false);
    assert.equal(blind.product('P1')!.clicks, 1);
  });

  it('adds incrementally: two batches give what one batch gives', () => {
    const events: FeedbackInput[] = [];
    for (let i = 0; i < 200; i++) {
      events.push({
        ...(i % 3 === 0 ? clicked(`p${i % 7}`, 1 + (i % 9)) : shown(`p${i % 7}`, 1 + (i % 9))),
        seq: i + 1,
      });
    }
    const once = new FeedbackStats();
    once.add(events);
    const twice = new FeedbackStats();
    twice.add(events.slice(0, 77));
    twice.add(events.slice(77));
    for (let p = 0; p < 7; p++) assert.deepEqual(twice.product(`p${p}`), once.product(`p${p}`));
    assert.equal(twice.lastSeq, 200);
    assert.equal(twice.events, 200);
    assert.deepEqual(twice.summary().byType, { impression: 133, click: 67, add_to_cart: 0, purchase: 0 });
  });

  it('stays within its memory bounds, dropping the least recently updated entries', () => {
    const stats = new FeedbackStats({
      maxProducts: 3,
      maxQueries: 2,
      maxProductsPerQuery: 2,
      maxQueryPairs: 3,
      maxUsers: 2,
      maxKeysPerUser: 2,
    });
    // Past a bound, entries go a tenth of the bound at a time (here: down to 1 of 2, 2 of 3).
    stats.add([shown('a', 1, 'q1'), shown('b', 1, 'q1'), shown('c', 1, 'q1')]);
    assert.deepEqual(
      [...stats.queryProductStats('q1').keys()],
      ['c'],
      'the newest product of the query stays',
    );
    stats.add([shown('a', 1, 'q2'), shown('d', 1, 'q2')]);
    assert.deepEqual(stats.queries(), ['q1', 'q2']);
    assert.equal(stats.summary().queryProductPairs, 3);
    assert.deepEqual([...stats.queryProductStats('q2').keys()], ['a', 'd']);
    // A third query: too many queries and pairs; the least recently updated ones go.
    stats.add([shown('x', 1, 'q3')]);
    assert.deepEqual(stats.queries(), ['q3']);
    assert.equal(stats.summary().queryProductPairs, 1);
    stats.add([shown('x', 1, 'q4')]);
    assert.deepEqual(stats.queries(), ['q3', 'q4']);
    // Products: a, b, c, then a again; d made 4 > 3, leaving the two most recent (a, d); then x.
    assert.equal(stats.product('b'), undefined);
    assert.equal(stats.product('c'), undefined);
    assert.equal(stats.product('a')!.impressions, 2);
    assert.equal(stats.product('x')!.impressions, 2);
    assert.ok(stats.summary().products <= 3);
    const facts = (id: string): ProductFacts => ({ category: [`cat-${id}`], brand: `brand-${id}` });
    stats.add(
      [
        { type: 'click', query: 'q', productId: '1', userId: 'u1' },
        { type: 'click', query: 'q', productId: '2', userId: 'u1' },
        { type: 'click', query: 'q', productId: '3', userId: 'u1' },
        { type: 'click', query: 'q', productId: '1', userId: 'u2' },
        { type: 'click', query: 'q', productId: '1', userId: 'u3' },
      ],
      facts,
    );
    assert.ok(stats.summary().users <= 2);
    assert.equal(stats.hasUser('u1'), false);
    assert.ok(stats.hasUser('u3'));
    assert.equal(stats.brandAffinity('u1', 'brand-1'), 0);
    // Per user, past maxKeysPerUser the lightest key goes, not the heaviest.
    const keys = new FeedbackStats({ maxKeysPerUser: 2 });
    keys.add(
      [
        { type: 'purchase', query: 'q', productId: 'heavy', userId: 'u' },
        { type: 'click', query: 'q', productId: 'light', userId: 'u' },
        { type: 'click', query: 'q', productId: 'new', userId: 'u' },
      ],
      (id) => ({ brand: id }),
    );
    assert.ok(keys.brandAffinity('u', 'heavy') > 0);
    assert.equal(keys.brandAffinity('u', 'light'), 0);
    assert.ok(keys.brandAffinity('u', 'new') > 0);
  });
});
