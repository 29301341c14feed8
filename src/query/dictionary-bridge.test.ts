import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../text/analyzer.ts';
import {
  charactersForSyllable,
  chineseFor,
  dictionaryStats,
  englishTerms,
  hasTranslation,
  isEnglishTerm,
  pinyinSyllables,
  segmentChinese,
  senses,
  translateWord,
  warmUpDictionary,
  wordsForPinyin,
} from './dictionary-bridge.ts';

/** The index term the analyser makes of an English word. */
function indexTerm(word: string): string {
  const token = analyze(word)[0];
  assert.ok(token, word);
  return token.term;
}

function terms(word: string): string[] {
  return translateWord(word).map((gloss) => gloss.term);
}

describe('dictionary bridge', () => {
  it('loads CC-CEDICT once and reports its size and cost', () => {
    assert.equal(warmUpDictionary(), true);
    const stats = dictionaryStats();
    assert.ok(stats.words > 100_000, `${stats.words} headwords`);
    assert.ok(stats.loadMs > 0);
    const again = performance.now();
    assert.equal(warmUpDictionary(), true);
    const secondMs = performance.now() - again;
    assert.ok(secondMs < stats.loadMs / 5, `a second load is free: ${secondMs} ms after ${stats.loadMs} ms`);
  });

  it('translates 手机壳 to phone and case, as the index stems them', () => {
    const glossed = terms('手机壳');
    assert.ok(glossed.includes(indexTerm('phone')), glossed.join());
    assert.ok(glossed.includes(indexTerm('case')), glossed.join());
    assert.ok(terms('狗').includes(indexTerm('dogs')));
    // "dried food" and "dry" meet the index's own stems.
    assert.ok(terms('干').includes(indexTerm('dried')));
  });

  it('ranks the sense most senses agree on first', () => {
    const shell = translateWord('壳');
    assert.equal(shell[0]?.term, indexTerm('shell'));
    assert.equal(shell[0]?.share, 1);
    assert.ok(shell.every((gloss) => gloss.share > 0 && gloss.share <= 1));
    assert.ok(shell.some((gloss) => gloss.term === indexTerm('case') && gloss.share < 1));
  });

  it('drops notes, cross-references, surnames and classifier senses', () => {
    // 壳: "(coll.) shell (of an egg, nut, crab etc)" and "Taiwan pr. [ke2]".
    for (const noise of ['egg', 'nut', 'crab', 'taiwan', 'pr'])
      assert.ok(!terms('壳').includes(noise), noise);
    // 张 is also a surname, 个 a classifier: neither sense is a translation.
    assert.ok(!terms('张').includes('zhang'));
    assert.ok(!senses('个').some((sense) => sense.some((gloss) => gloss.includes('classifier'))));
    // "to keep warm": verbs lose their `to`.
    assert.deepEqual(senses('保暖'), [['keep warm']]);
    for (const sense of senses('包'))
      for (const gloss of sense) assert.doesNotMatch(gloss, /[()[\]|\u4e00-\u9fff]|^to /);
  });

  it('knows which words have translations', () => {
    assert.equal(hasTranslation('牙刷'), true);
    assert.equal(hasTranslation('乹'), false, 'only an old variant');
    assert.equal(hasTranslation('xyz'), false);
  });

  it('segments a run into dictionary words, covering it exactly', () => {
    const run = '大眼兔硅胶壳';
    const segments = segmentChinese(run);
    assert.equal(segments.map((s) => s.word).join(''), run);
    const words = segments.map((s) => s.word);
    for (const word of ['兔', '硅胶', '壳']) assert.ok(words.includes(word), words.join('/'));
    for (const segment of segments)
      assert.equal(run.slice(segment.start, segment.start + segment.word.length), segment.word);
    assert.ok(segments.every((s) => s.known));
  });

  it('finds Chinese words for English words and phrases, best first', () => {
    const dog = chineseFor(indexTerm('dog'), () => true);
    assert.ok(
      dog.some((c) => c.word === '狗'),
      dog.map((c) => c.word).join(),
    );
    // The catalogue decides which candidates exist.
    const inShop = new Set(['床', '狗', '沙发']);
    const bed = chineseFor(indexTerm('bed'), (word) => inShop.has(word));
    assert.deepEqual(
      bed.map((c) => c.word),
      ['床'],
    );
    assert.equal(bed[0]!.share, 1);
    // "cell phone case" answers the phrase "phone case".
    const phoneCase = chineseFor(`${indexTerm('phone')} ${indexTerm('case')}`, () => true);
    assert.equal(phoneCase[0]?.word, '手机壳');
  });

  it('respects the candidate limit and the share floor', () => {
    const all = chineseFor(indexTerm('warm'), () => true, 50);
    assert.ok(all.length > 3);
    assert.equal(chineseFor(indexTerm('warm'), () => true, 2).length, 2);
    const strong = chineseFor(indexTerm('warm'), () => true, 50, 0.9);
    assert.ok(strong.length < all.length);
    assert.ok(strong.every((c) => c.share >= 0.9));
    assert.deepEqual(
      chineseFor(indexTerm('warm'), () => false),
      [],
    );
    assert.deepEqual(
      chineseFor('qqqzzz', () => true),
      [],
    );
  });

  it('turns glosses into content words with the analyser’s stems', () => {
    assert.deepEqual(englishTerms('take charge of the bags'), [
      { term: indexTerm('take'), surface: 'take' },
      { term: indexTerm('charge'), surface: 'charge' },
      { term: indexTerm('bags'), surface: 'bags' },
    ]);
    // Not plain lower-case words: the analyser itself (possessive dropped, hyphen split).
    assert.deepEqual(
      englishTerms("Women's T-Shirt").map((t) => t.term),
      analyze("Women's T-Shirt").map((t) => t.term),
    );
  });

  it('tells English words from names and transcriptions in glosses', () => {
    assert.equal(isEnglishTerm(indexTerm('long')), true);
    assert.equal(isEnglishTerm(indexTerm('women')), true);
    assert.equal(isEnglishTerm('xiao'), false);
    assert.equal(isEnglishTerm('gou'), false);
  });

  it('maps toneless pinyin to words', () => {
    assert.ok(wordsForPinyin('xiaogou').includes('小狗'));
    assert.ok(wordsForPinyin('gouwo').includes('狗窝'));
    assert.ok(wordsForPinyin('nv').includes('女'), 'ü is written v');
    assert.deepEqual(wordsForPinyin('qqq'), []);
    const syllables = pinyinSyllables();
    for (const syllable of ['zhuang', 'xiao', 'nv', 'a']) assert.ok(syllables.has(syllable), syllable);
    assert.ok(!syllables.has('xiaog'));
    const gou = charactersForSyllable('gou');
    assert.ok(gou.every((char) => [...char].length === 1));
    assert.ok(gou.indexOf('狗') >= 0 && gou.indexOf('狗') < gou.indexOf('耇'), 'common characters first');
  });
});
