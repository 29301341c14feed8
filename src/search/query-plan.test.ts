import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG } from '../config.ts';
import { LexicalIndex } from '../lexical/lexical-index.ts';
import { analyze } from '../text/analyzer.ts';
import { planQuery } from './query-plan.ts';

function plan(text: string) {
  return planQuery(text, analyze(text), DEFAULT_CONFIG.search);
}

describe('planQuery', () => {
  it('merges duplicate terms and marks the word being typed as a prefix', () => {
    const terms = plan('red shoe red sho');
    assert.deepEqual(
      terms.map((term) => [term.term, term.prefix]),
      [
        ['red', false],
        ['shoe', false],
        ['sho', true],
      ],
    );
  });

  it('counts Chinese characters, not their bigrams and words, towards coverage', () => {
    const terms = plan('纸袋子');
    const chars = terms.filter((term) => term.kind === 'cjk-char');
    assert.deepEqual(
      chars.map((term) => term.term),
      ['纸', '袋', '子'],
    );
    for (const term of chars) assert.equal(term.alternativeCredit, undefined);
    const readings = terms.filter((term) => term.kind === 'cjk-bigram' || term.kind === 'cjk-word');
    assert.ok(readings.length > 0);
    for (const term of readings) {
      assert.equal(term.alternativeCredit, 0, term.term);
      assert.ok(term.weight > 0, 'bigrams and words still add score');
    }
  });

  it('lets a Latin brand in a Chinese query count as much as the Chinese it sits beside', () => {
    const index = new LexicalIndex({ fields: ['title'], boosts: [1], b: [0.75], k1: 1.2 });
    const titles: Record<string, string> = {
      brand: 'Adidas 专柜 包装纸袋 手提袋',
      other: '卡通礼品袋 手提纸袋子 生日礼物袋',
      filler1: '手提袋 帆布袋',
      filler2: '礼品盒 包装盒',
      filler3: '牛皮纸 信封',
      filler4: 'Nike 运动鞋',
    };
    for (const [id, title] of Object.entries(titles)) index.upsert(id, [analyze(title)]);
    const result = index.match(plan('adidas纸袋子'), {
      maxExpansions: 20,
      prefixWeight: 0.8,
      typoWeights: [0.6, 0.4],
      typoExactPrefix: 1,
      typoMaxFrequency: 5,
      coordination: 1,
    });
    const ranked = [...result.docIds]
      .map((docId, i) => ({ id: index.externalId(docId), score: result.scores[i]! }))
      .sort((a, b) => b.score - a.score);
    assert.equal(ranked[0]?.id, 'brand');
  });
});
