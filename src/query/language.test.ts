import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectLanguage, isChinese, languageProfile } from './language.ts';

describe('detectLanguage', () => {
  it('tells Traditional from Simplified by the characters OpenCC changes', () => {
    assert.equal(detectLanguage('手機殼 軟殼'), 'zh-Hant');
    assert.equal(detectLanguage('手机壳 软壳'), 'zh-Hans');
    assert.equal(detectLanguage('高露潔 雙效潔淨牙刷單支'), 'zh-Hant');
  });

  it('calls Chinese that reads the same in both scripts plain zh', () => {
    assert.equal(detectLanguage('大小'), 'zh');
    assert.equal(detectLanguage('牙刷'), 'zh');
  });

  it('lets Traditional evidence win a tie (台 is in the Simplified table but common in Taiwan)', () => {
    const profile = languageProfile('台灣');
    assert.equal(profile.traditional, 1);
    assert.equal(profile.simplified, 1);
    assert.equal(profile.language, 'zh-Hant');
    assert.equal(detectLanguage('台湾'), 'zh-Hans');
  });

  it('treats Han with Latin brand names as Chinese, marked mixed', () => {
    const profile = languageProfile('OPPO A75 手机壳');
    assert.equal(profile.language, 'zh-Hans');
    assert.equal(profile.mixed, true);
    assert.equal(profile.latin, 5); // O P P O A: letters, not digits
    assert.equal(languageProfile('手机壳').mixed, false);
  });

  it('reads Latin letters as English, accented or fullwidth too', () => {
    assert.equal(detectLanguage('dog bed'), 'en');
    assert.equal(detectLanguage('Café crème'), 'en');
    assert.equal(detectLanguage('ＮＩＫＥ'), 'en');
    assert.equal(languageProfile('dog bed').mixed, false);
  });

  it('recognises Japanese, Korean, other alphabets and text without letters', () => {
    assert.equal(detectLanguage('ワンピース'), 'ja');
    assert.equal(detectLanguage('日本製 ワンピース'), 'ja');
    assert.equal(detectLanguage('원피스'), 'ko');
    assert.equal(detectLanguage('платье'), 'other');
    assert.equal(detectLanguage('12345 !?'), 'none');
    assert.equal(detectLanguage(''), 'none');
  });

  it('counts astral Han characters once', () => {
    const profile = languageProfile('𰻝𰻝面');
    assert.equal(profile.han, 3);
    assert.ok(isChinese(profile.language));
  });

  it('isChinese covers exactly the Chinese variants', () => {
    assert.deepEqual(
      (['zh', 'zh-Hans', 'zh-Hant', 'ja', 'ko', 'en', 'other', 'none'] as const).filter(isChinese),
      ['zh', 'zh-Hans', 'zh-Hant'],
    );
  });
});
