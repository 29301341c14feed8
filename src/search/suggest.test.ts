import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { termKey } from '../lexical/lexical-index.ts';
import { analyze } from '../text/analyzer.ts';
import {
  matchQuality,
  pinyinPrefixReadings,
  pinyinSegmentations,
  rankSuggestions,
  type CatalogueFrequency,
  type SuggestionCandidate,
} from './suggest.ts';

/** Term frequencies of a few titles, as the lexical index would count them (one per title). */
function catalogue(titles: string[]): CatalogueFrequency {
  const counts = new Map<string, number>();
  for (const title of titles) {
    for (const key of new Set(analyze(title).map((token) => termKey(token)))) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return { frequency: (key) => counts.get(key) ?? 0 };
}

const PET_SHOP = catalogue(['小狗窝 冬季保暖', '小狗玩具 磨牙', '小猫抓板', '狗粮 成犬', '手机壳 透明']);

describe('matchQuality', () => {
  it('ranks a continuation at the start above one at a later word, above words in any order', () => {
    assert.equal(matchQuality('hood', 'hoodie'), 1);
    assert.equal(matchQuality('hood', 'chaz kangeroo hoodie'), 0.8);
    assert.equal(matchQuality('hoodie chaz', 'chaz kangeroo hoodie'), 0.6);
    assert.equal(matchQuality('jacket', 'chaz kangeroo hoodie'), 0);
  });

  it('matches Chinese anywhere and pinyin readings', () => {
    assert.equal(matchQuality('狗窝', '小狗窝 冬季保暖'), 0.7);
    assert.equal(matchQuality('xiaog', '小狗窝', ['小狗']), 0.9);
    assert.equal(matchQuality('xiaog', '可爱小狗', ['小狗']), 0.6);
    assert.equal(matchQuality('xiaog', '小猫', ['小狗']), 0);
  });
});

describe('rankSuggestions', () => {
  const candidates: SuggestionCandidate[] = [
    { text: 'hoodie', source: 'query', weight: 10 },
    { text: 'hoodie women', source: 'query', weight: 2 },
    { text: 'Chaz Kangeroo Hoodie', source: 'product', weight: 5 },
    { text: 'Hoodie', source: 'product', weight: 5 },
    { text: 'jacket', source: 'query', weight: 50 },
  ];

  it('keeps matching texts once, popular queries first, within limit', () => {
    const ranked = rankSuggestions(
      'Hood',
      candidates.filter((c) => c.text !== 'jacket'),
      { limit: 3 },
    );
    assert.deepEqual(
      ranked.map((s) => [s.text, s.source]),
      [
        ['hoodie', 'query'],
        ['Chaz Kangeroo Hoodie', 'product'],
        ['hoodie women', 'query'],
      ],
    );
    for (const s of ranked) assert.ok(s.score > 0 && s.score <= 1);
    assert.deepEqual(
      ranked.map((s) => s.score),
      ranked.map((s) => s.score).sort((a, b) => b - a),
    );
  });

  it('an empty prefix lists the popular queries', () => {
    const ranked = rankSuggestions(
      '',
      candidates.filter((c) => c.source === 'query'),
      { limit: 2 },
    );
    assert.deepEqual(
      ranked.map((s) => s.text),
      ['jacket', 'hoodie'],
    );
  });
});

describe('pinyin prefixes', () => {
  it('splits letters into syllables with a partial last one', () => {
    const pieces = pinyinSegmentations('xiaog');
    assert.ok(pieces.some((p) => p.length === 2 && p[0]![0] === 'xiao' && p[1]!.includes('gou')));
    assert.deepEqual(pinyinSegmentations('hoodie'), []);
  });

  it('reads xiaog as 小狗 in a pet shop, and English letters as nothing', () => {
    assert.equal(pinyinPrefixReadings('xiaog', PET_SHOP)[0], '小狗');
    assert.equal(pinyinPrefixReadings('xiaogouwo', PET_SHOP)[0], '小狗窝');
    assert.deepEqual(pinyinPrefixReadings('hood', PET_SHOP), []);
  });
});
