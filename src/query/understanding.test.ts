import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LexicalIndex, termKey } from '../lexical/lexical-index.ts';
import { kthLargest } from '../search/understood-query.ts';
import { analyze } from '../text/analyzer.ts';
import {
  factsFromKeys,
  matchSignals,
  MATCH_SIGNAL_NAMES,
  QueryVocabulary,
  understandQuery,
  type QueryUnderstanding,
} from './understanding.ts';

const keysOf = (text: string): string[] => analyze(text).map((token) => termKey(token));
const signals = (q: string | QueryUnderstanding, title: string, brand?: string, categories?: string[]) =>
  matchSignals(
    typeof q === 'string' ? understandQuery(q) : q,
    factsFromKeys(keysOf(title), brand, categories),
  );

describe('price phrases', () => {
  const cases: Array<[string, { min?: number; max?: number }, string]> = [
    ['dog bed under $50', { max: 50 }, 'dog bed '],
    ['below 50', { max: 50 }, ''],
    ['less than 50 dollars', { max: 50 }, ''],
    ['hoodie up to 40 usd', { max: 40 }, 'hoodie '],
    ['tv over 100', { min: 100 }, 'tv '],
    ['more than $1,000 sofa', { min: 1000 }, 'sofa'],
    ['$20-$30 gift', { min: 20, max: 30 }, 'gift'],
    ['between 20 and 30', { min: 20, max: 30 }, ''],
    ['20 to 30 dollars', { min: 20, max: 30 }, ''],
    ['100元以下', { max: 100 }, ''],
    ['50元以内 狗窝', { max: 50 }, '狗窝'],
    ['100块以上', { min: 100 }, ''],
    ['20到30元', { min: 20, max: 30 }, ''],
    ['低于100元的狗窝', { max: 100 }, '的狗窝'],
    ['狗窝 100以下', { max: 100 }, '狗窝 '],
    ['高于50元', { min: 50 }, ''],
    ['under $50 over $20', { min: 20, max: 50 }, ''],
  ];
  for (const [q, price, text] of cases) {
    it(`"${q}" → ${JSON.stringify(price)}, matched text "${text}"`, () => {
      const u = understandQuery(q);
      assert.deepEqual(u.price, price);
      assert.equal(u.text, text);
      assert.deepEqual(
        u.tokens.map((t) => t.term),
        analyze(text).map((t) => t.term),
      );
    });
  }

  it('leaves numbers that are not prices in the query', () => {
    for (const q of [
      'under 30 in. vanity',
      'over 25 cu. ft. refrigerator',
      '低于100厘米',
      'toys under 5 years',
      'toro power max 726',
      '2x4 8 ft',
      '42cm 狗窝',
      'under cabinet light',
      '20-30 screws',
      'nike 42码',
    ]) {
      const u = understandQuery(q);
      assert.equal(u.price, undefined, q);
      assert.equal(u.text, q, q);
    }
  });

  it('can be turned off', () => {
    const u = understandQuery('dog bed under $50', undefined, { priceFilters: false });
    assert.equal(u.price, undefined);
    assert.equal(u.text, 'dog bed under $50');
  });
});

describe('size words', () => {
  const polarities = (q: string): number[] => understandQuery(q).sizes.map((size) => size.polarity);

  it('reads Chinese and English size words with their polarity', () => {
    assert.deepEqual(polarities('小狗窝'), [-1]);
    assert.deepEqual(polarities('大狗窝'), [1]);
    assert.deepEqual(polarities('狗窝 大号'), [1]);
    assert.deepEqual(polarities('迷你 音箱'), [-1]);
    assert.deepEqual(polarities('中号 收纳箱'), [0]);
    assert.deepEqual(polarities('狗窝 大'), [1]);
    assert.deepEqual(polarities('small dog bed'), [-1]);
    assert.deepEqual(polarities('LARGE storage bins'), [1]);
    assert.deepEqual(polarities('mini fridge'), [-1]);
    assert.deepEqual(polarities('xl hoodie'), [1]);
    assert.deepEqual(polarities('medium moving boxes'), [0]);
  });

  it('reads S/M/L only in a size context', () => {
    assert.deepEqual(polarities('tee size m'), [0]);
    assert.deepEqual(polarities('L码 T恤'), [1]);
    assert.deepEqual(polarities('l bracket'), []);
    assert.deepEqual(polarities('m12 battery'), []);
  });

  it('ignores words of their own and queries naming both sizes', () => {
    assert.deepEqual(polarities('小米手机'), []);
    assert.deepEqual(polarities('大米 10斤'), []);
    assert.deepEqual(polarities('大小可调'), []);
    assert.deepEqual(polarities('little giant small ladder large'), []);
  });
});

describe('measures', () => {
  it('normalises 42cm, 42 cm and 42厘米 to one length', () => {
    const [a, b, c] = ['42cm', '42 cm', '42厘米'].map((q) => understandQuery(q).measures);
    assert.deepEqual(a, [{ dimension: 'length', value: 420, surface: '42cm', number: '42' }]);
    assert.deepEqual(b, a);
    assert.deepEqual(c, a);
  });

  it('converts units within a dimension', () => {
    const [oz] = understandQuery('16 oz hammer').measures;
    const [lb] = understandQuery('1 lb hammer').measures;
    assert.equal(oz?.dimension, 'mass');
    assert.ok(Math.abs(oz!.value - lb!.value) < 1);
    assert.ok(Math.abs(understandQuery('1-1/2 in. pipe').measures[0]!.value - 38.1) < 1e-9);
    assert.equal(understandQuery('55寸电视').measures[0]?.dimension, 'length');
    assert.equal(understandQuery('42码').measures[0]?.dimension, 'shoe');
  });
});

describe('brand and category names', () => {
  const vocabulary = new QueryVocabulary();
  vocabulary.addBrand('under armour', 'Under Armour');
  vocabulary.addBrand('宠乐', '宠乐');
  vocabulary.addCategory('宠物用品', '宠物用品');
  vocabulary.addCategory('宠物用品 > 狗窝', '宠物用品 > 狗窝');
  vocabulary.addCategory('men > hoodies & sweatshirts', 'Men > Hoodies & Sweatshirts');

  it('finds the longest catalogue names among the query words', () => {
    const u = understandQuery('Under Armour hoodie', vocabulary);
    assert.equal(u.brand, 'Under Armour');
    assert.deepEqual(u.category, ['Men', 'Hoodies & Sweatshirts']);
    const zh = understandQuery('宠乐小狗窝', vocabulary);
    assert.equal(zh.brand, '宠乐');
    assert.deepEqual(zh.category, ['宠物用品', '狗窝']);
    assert.equal(understandQuery('under cabinet light', vocabulary).brand, undefined);
  });

  it('gives brand and category signals, never a filter', () => {
    const u = understandQuery('宠乐 狗窝', vocabulary);
    assert.equal(u.price, undefined);
    const facts = factsFromKeys(keysOf('大狗窝'), '宠乐', ['宠物用品', '宠物用品 > 狗窝']);
    assert.equal(matchSignals(u, facts).brandMatch, 1);
    assert.equal(matchSignals(u, facts).categoryMatch, 1);
    const other = factsFromKeys(keysOf('猫爬架'), '萌宠家', ['宠物用品']);
    assert.equal(matchSignals(u, other).brandMatch, 0);
    assert.equal(matchSignals(u, other).categoryMatch, 0);
  });
});

describe('matchSignals', () => {
  it('names its signals', () => {
    assert.deepEqual(Object.keys(signals('x', 'y')).sort(), [...MATCH_SIGNAL_NAMES].sort());
  });

  it('matches and conflicts sizes', () => {
    assert.equal(signals('小狗窝', '小狗窝 42cm').sizeMatch, 1);
    assert.equal(signals('小狗窝', '大狗窝 58cm').sizeConflict, 1);
    assert.equal(signals('小狗窝', '户外狗屋 40cm').sizeConflict, 0);
    assert.equal(signals('small dog bed', 'Large Dog Bed').sizeConflict, 1);
    assert.equal(signals('small dog bed', 'Medium Dog Bed').sizeConflict, 0.5);
    // A product offering both sizes does not conflict.
    assert.equal(signals('small tee', 'Tee XS S M L XL').sizeConflict, 0);
    // 小米 is a brand, not a size.
    assert.equal(signals('大号 手环', '小米手环').sizeConflict, 0);
  });

  it('compares measures of one dimension within the tolerance', () => {
    assert.equal(signals('狗窝 42cm', '小狗窝 42cm').measureMatch, 1);
    assert.ok(signals('狗窝 42cm', '狗屋 40cm').measureMatch > 0);
    assert.equal(signals('狗窝 42cm', '狗屋 40cm').measureConflict, 0);
    assert.equal(signals('狗窝 42cm', '大狗窝 58cm').measureConflict, 1);
    assert.equal(signals('42厘米 狗窝', '大狗窝 58 cm').measureConflict, 1);
    // Other dimensions say nothing; a bare number of a dimension pair escapes.
    assert.equal(signals('狗窝 42cm', 'Nike 42码').measureConflict, 0);
    assert.equal(signals('狗窝 42cm', '狗窝 42 x 58cm').measureConflict, 0);
    assert.equal(signals('16 oz hammer', '1 lb. Hammer').measureConflict, 0);
  });
});

describe('LexicalIndex.correction and kthLargest', () => {
  it('finds the closest, most frequent catalogue word', () => {
    const index = new LexicalIndex({ fields: ['title'], boosts: [1], b: [0.75], k1: 1.2 });
    ['Full Zip Hoodie', 'Zip Fleece Hoodie', 'Hoodie Zipper', 'Hooded Towel'].forEach((title, i) =>
      index.upsert(`p${i}`, [analyze(title)]),
    );
    assert.equal(index.correction('hodie', 1)?.surface, 'hoodie');
    assert.equal(index.correction('zipp', 1)?.surface, 'zip');
    assert.equal(index.correction('hoodie', 1)?.surface, undefined);
    assert.equal(index.correction('xyzzy', 1), undefined);
  });

  it('selects the k-th largest value', () => {
    const values = Float32Array.from([5, 1, 9, 3, 9, 7, 2]);
    assert.equal(kthLargest(values, 1), 9);
    assert.equal(kthLargest(values, 2), 9);
    assert.equal(kthLargest(values, 3), 7);
    assert.equal(kthLargest(values, 7), 1);
    for (let trial = 0; trial < 50; trial++) {
      const random = Float32Array.from({ length: 100 }, () => Math.round(Math.random() * 20));
      const sorted = [...random].sort((a, b) => b - a);
      const k = 1 + Math.floor(Math.random() * 100);
      assert.equal(kthLargest(random, k), sorted[k - 1]);
    }
  });
});
