import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { containsCjk, detectScript, isCjk, normalizeText } from './analyzer.ts';
import { normalizeWithOffsets } from './normalize.ts';

describe('normalizeText', () => {
  it('applies NFKC, case folding and whitespace collapsing', () => {
    assert.equal(normalizeText('  Hoodies  &  Sweatshirts '), 'hoodies & sweatshirts');
    assert.equal(normalizeText('ＮＩＫＥ'), 'nike');
    assert.equal(normalizeText('Straße'), 'strasse');
    assert.equal(normalizeText('ﬁne\u00a0China'), 'fine china');
    assert.equal(normalizeText('Cafe\u0301'), normalizeText('Café'));
  });

  it('decodes HTML entities and folds quotes and dashes', () => {
    assert.equal(normalizeText('K&amp;H'), 'k&h');
    assert.equal(normalizeText('Men’s – Tops'), "men's - tops");
    assert.equal(normalizeText('AT&T'), 'at&t');
  });

  it('folds Traditional Chinese to Simplified', () => {
    assert.equal(normalizeText('手機殼'), '手机壳');
    assert.equal(normalizeText('鍍膜車蠟'), normalizeText('镀膜车蜡'));
    assert.equal(normalizeText('運動 鞋'), '运动 鞋');
  });

  it('is idempotent outside Chinese', () => {
    // OpenCC's tw→cn tables themselves are not idempotent for a few characters (麼→么→幺), so Han text is
    // left out; each side of a comparison is folded exactly once anyway.
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }).filter((text) => !containsCjk(text)),
        (text) => {
          const once = normalizeText(text);
          assert.equal(normalizeText(once), once);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('normalizeWithOffsets', () => {
  it('leaves plain ASCII on the identity map', () => {
    const result = normalizeWithOffsets('Plain ASCII 42');
    assert.equal(result.text, 'plain ascii 42');
    assert.equal(result.starts, null);
  });

  it('maps every folded unit back to its source character', () => {
    const text = 'ﬁ＆&amp;😀車';
    const result = normalizeWithOffsets(text);
    assert.equal(result.text, 'fi&&😀车');
    assert.deepEqual(Array.from(result.starts!), [0, 0, 1, 2, 7, 7, 9]);
    assert.deepEqual(Array.from(result.ends!), [1, 1, 2, 7, 9, 9, 10]);
  });
});

describe('script helpers', () => {
  it('containsCjk and isCjk', () => {
    assert.equal(containsCjk('Nike运动鞋'), true);
    assert.equal(containsCjk('Nike'), false);
    assert.equal(containsCjk('𠀀'), true);
    assert.equal(containsCjk('カタカナ'), false);
    assert.equal(isCjk('运动鞋'), true);
    assert.equal(isCjk('运动鞋42'), false);
    assert.equal(isCjk(''), false);
  });

  it('detectScript', () => {
    assert.equal(detectScript('运动鞋'), 'cjk');
    assert.equal(detectScript('Nike Air 42'), 'latin');
    assert.equal(detectScript('ＮＩＫＥ ４２'), 'latin');
    assert.equal(detectScript('Nike运动鞋'), 'mixed');
    assert.equal(detectScript('Кроссовки'), 'other');
    assert.equal(detectScript('!!! ...'), 'none');
  });
});
