import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { termKey, type QueryTerm } from '../lexical/lexical-index.ts';
import { planQuery } from '../search/query-plan.ts';
import { analyze } from '../text/analyzer.ts';
import { DEFAULT_CONFIG } from '../config.ts';
import { pinyinTerms, readPinyin, type PinyinContext } from './pinyin-input.ts';

/** Document frequencies of a few titles, keyed as the index keys them. */
function catalogue(titles: readonly string[]): PinyinContext {
  const frequency = new Map<string, number>();
  for (const title of titles) {
    for (const key of new Set(analyze(title).map(termKey))) frequency.set(key, (frequency.get(key) ?? 0) + 1);
  }
  return { size: titles.length, frequency: (key) => frequency.get(key) ?? 0 };
}

const PET_SHOP = catalogue([
  '小狗窝 宠物床 可拆洗',
  '狗窝 冬季保暖 大号',
  '小狗玩具 磨牙',
  '猫窝 封闭式',
  '购物袋 环保',
  '手机壳 软壳',
  '我们的故事 DVD',
  'Long sleeve women shirt',
]);

function plan(text: string): { tokens: ReturnType<typeof analyze>; planned: QueryTerm[] } {
  const tokens = analyze(text);
  return { tokens, planned: planQuery(text, tokens, DEFAULT_CONFIG.search) };
}

function spelled(text: string, context: PinyinContext = PET_SHOP) {
  const { tokens, planned } = plan(text);
  return pinyinTerms(tokens, planned, context, 0.8);
}

describe('readPinyin', () => {
  it('reads pinyin as the characters the catalogue writes together', () => {
    assert.equal(readPinyin(['xiaogouwo'], PET_SHOP)?.chinese, '小狗窝');
    assert.equal(readPinyin(['xiao', 'gou', 'wo'], PET_SHOP)?.chinese, '小狗窝');
    assert.equal(readPinyin(['gouwo'], PET_SHOP)?.chinese, '狗窝');
    assert.equal(readPinyin(['shoujike'], PET_SHOP)?.chinese, '手机壳');
  });

  it('picks among homophones by the catalogue (gouwu is shopping here, not a dog nest)', () => {
    assert.equal(readPinyin(['gouwudai'], PET_SHOP)?.chinese, '购物袋');
  });

  it('splits syllables the way the catalogue reads them (xian vs xi an)', () => {
    const shop = catalogue(['西安特产 肉夹馍', '西安凉皮', '西安腊牛肉', '新鲜水果']);
    assert.equal(readPinyin(['xian'], shop)?.chinese, '西安');
    assert.equal(readPinyin(['xinxian'], shop)?.chinese, '新鲜');
    // A pair seen once does not outweigh a character of its own: one syllable, the usual reading.
    assert.equal(readPinyin(['xian'], catalogue(['西安特产', '新鲜水果']))?.syllables, 1);
  });

  it('counts the syllables and the neighbours the catalogue knows', () => {
    const reading = readPinyin(['xiaogouwo'], PET_SHOP);
    assert.equal(reading?.syllables, 3);
    assert.equal(reading?.knownBigrams, 2);
  });

  it('rejects letters that do not spell pinyin or characters the shop lacks', () => {
    assert.equal(readPinyin(['dog'], PET_SHOP), undefined);
    assert.equal(readPinyin(['iphone'], PET_SHOP), undefined);
    assert.equal(readPinyin(['xiaogouwo'], catalogue(['red shoes'])), undefined);
  });
});

describe('pinyinTerms', () => {
  it('turns xiaogouwo into the Chinese index keys of 小狗窝', () => {
    const { terms, reading } = spelled('xiaogouwo');
    assert.equal(reading, '小狗窝');
    const keys = new Set(terms.map(termKey));
    for (const key of ['小', '狗', '窝', termKey({ term: '小狗', kind: 'cjk-bigram' })])
      assert.ok(keys.has(key), key);
    // Never more than a native Chinese query gives the same keys.
    const native = new Map(plan('小狗窝').planned.map((term) => [termKey(term), term.weight]));
    for (const term of terms) assert.ok(term.weight <= (native.get(termKey(term)) ?? 0), termKey(term));
    assert.ok(terms.every((term) => !term.prefix && term.maxTypos === 0));
  });

  it('reads each pinyin run apart from the words that are not pinyin', () => {
    const { reading } = spelled('DVD xiaogou 2');
    assert.equal(reading, '小狗');
  });

  it('never reads a single syllable (long, pan, gou)', () => {
    for (const query of ['long', 'pan', 'gou']) assert.deepEqual(spelled(query).terms, [], query);
  });

  it('leaves English words the catalogue has alone (women is not 我们 here)', () => {
    assert.deepEqual(spelled('women').terms, []);
    // Where nothing else matches, the reading is a weak fallback.
    const shop = catalogue(['我们的故事 DVD', '他们的歌']);
    const fallback = spelled('women', shop);
    assert.equal(fallback.reading, '我们');
    const strong = spelled('xiaogouwo');
    const weakest = Math.max(...fallback.terms.map((term) => term.weight));
    assert.ok(weakest < Math.min(...strong.terms.map((term) => term.weight)));
  });

  it('does nothing for text that is not letters', () => {
    assert.deepEqual(spelled('小狗窝').terms, []);
    assert.deepEqual(spelled('2x4 12').terms, []);
    assert.deepEqual(spelled('').terms, []);
  });
});
