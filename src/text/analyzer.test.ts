import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyze } from './analyzer.ts';
import type { Token, TokenKind } from './token.ts';

function terms(text: string, kind?: TokenKind): string[] {
  return analyze(text)
    .filter((token) => kind === undefined || token.kind === kind)
    .map((token) => token.term);
}

function find(text: string, term: string): Token {
  const token = analyze(text).find((t) => t.term === term);
  assert.ok(token, `no token ${term} in ${JSON.stringify(text)}: ${terms(text).join(' ')}`);
  return token;
}

/** Terms of the index side must include every term of the query side. */
function assertMatches(indexText: string, queryText: string): void {
  const indexed = new Set(terms(indexText));
  for (const term of terms(queryText)) {
    assert.ok(indexed.has(term), `${JSON.stringify(queryText)} → ${term} not in ${[...indexed].join(' ')}`);
  }
}

describe('English words', () => {
  it('case-folds and stems, keeping the unstemmed surface', () => {
    const tokens = analyze('Self-Propelled Lawn MOWERS');
    assert.deepEqual(
      tokens.map((t) => [t.term, t.surface, t.kind]),
      [
        ['self', 'self', 'word'],
        ['propel', 'propelled', 'word'],
        ['lawn', 'lawn', 'word'],
        ['mower', 'mowers', 'word'],
      ],
    );
    assert.deepEqual(
      tokens.map((t) => t.position),
      [0, 1, 2, 3],
    );
  });

  it('stems index and query forms to the same term', () => {
    assert.deepEqual(terms('lighting'), terms('lights'));
    assert.deepEqual(terms('Faucets'), terms('faucet'));
  });

  it('drops possessive s and joins other apostrophes', () => {
    assert.deepEqual(terms("Men's Boots"), ['men', 'boot']);
    assert.deepEqual(terms('men’s'), ['men']);
    assert.deepEqual(terms("O'Neill don't"), ['oneil', 'dont']);
    const men = find("Women's", 'women');
    assert.equal(men.surface, 'women');
    assert.deepEqual([men.start, men.end], [0, 7]);
  });

  it('keeps short ampersand acronyms whole and splits longer words', () => {
    assert.deepEqual(terms('B&D Tools'), ['b&d', 'tool']);
    assert.deepEqual(terms('AT&T'), ['at&t']);
    assert.deepEqual(terms('Black&Decker'), ['black', 'decker']);
    assert.deepEqual(terms('Black & Decker'), ['black', 'decker']);
  });

  it('decodes HTML entities, mapping offsets to the whole entity', () => {
    const text = 'K&amp;H Pet &quot;Lectro&quot; Mat';
    assert.deepEqual(terms(text), ['k&h', 'pet', 'lectro', 'mat']);
    const kh = find(text, 'k&h');
    assert.equal(text.slice(kh.start, kh.end), 'K&amp;H');
    assert.deepEqual(terms('Dogs &#38; Cats &#x27;n&#x27;'), ['dog', 'cat', 'n']);
    assert.deepEqual(terms('A&nbsp;B &bogus; C'), ['a', 'b', 'bogu', 'c']);
  });

  it('splits hyphenated words and joins those with a one- or two-letter head', () => {
    assert.deepEqual(terms('Strong-Tie'), ['strong', 'tie']);
    assert.deepEqual(terms('Twist-in Built-In Two-in-One'), [
      'twist',
      'in',
      'built',
      'in',
      'two',
      'in',
      'on',
    ]);
    assert.deepEqual(terms('Wi-Fi'), ['wi', 'wifi', 'fi']);
    assert.deepEqual(terms('T-Shirts'), ['t', 'tshirt', 'shirt']);
    assert.ok(terms('t-shirt').includes('tshirt'));
    assert.ok(terms('tshirts').includes('tshirt'));
  });

  it('keeps letter-digit model numbers as one unstemmed term', () => {
    assert.deepEqual(terms('OPPO A75 A75s U2 RS2 LED'), ['oppo', 'a75', 'a75s', 'u2', 'rs2', 'led']);
    assert.deepEqual(terms('R4.2 duct'), ['r4.2', 'duct']);
    assert.deepEqual(terms('1080i 3D 4runner'), ['1080i', '3d', '4runner']);
  });

  it('splits hyphenated model codes and also keeps them joined', () => {
    const tokens = analyze('#SC-141 Tugboat');
    assert.deepEqual(
      tokens.map((t) => [t.term, t.kind, t.position]),
      [
        ['sc', 'word', 0],
        ['sc141', 'word', 0],
        ['141', 'number', 1],
        ['tugboat', 'word', 2],
      ],
    );
    assertMatches('BEHR DeckOver #SC-141', 'sc141');
    assertMatches('BEHR DeckOver #SC-141', 'sc-141');
    assertMatches('BEHR DeckOver #SC-141', 'SC 141');
    assertMatches('WD-40 Smart Straw', 'wd40');
  });

  it('does not build a compound when the group starts with a number', () => {
    assert.deepEqual(terms('2-in-1'), ['2', 'in', '1']);
    assert.deepEqual(terms('2-Light'), ['2', 'light']);
  });

  it('folds full-width forms, ligatures and diacritic composition', () => {
    assert.deepEqual(terms('ＮＩＫＥ Ａｉｒ'), ['nike', 'air']);
    assert.deepEqual(terms('ﬁne'), ['fine']);
    assert.deepEqual(terms('Straße STRASSE'), ['strass', 'strass']);
    assert.deepEqual(terms('Cafe\u0301 café'), ['café', 'café']);
    assert.deepEqual(terms('Nike™ Air®'), ['nike', 'air']);
  });

  it('tokenises other alphabets without stemming', () => {
    assert.deepEqual(terms('Кроссовки Nike'), ['кроссовки', 'nike']);
    assert.deepEqual(terms('ΣΟΦΙΑ'), ['σοφια']);
  });
});

describe('numbers and units', () => {
  const equivalent: Array<[string, string[]]> = [
    ['42cm', ['42cm', '42 cm', '42-cm', '42 CM', '42厘米', '42公分', '42 centimeters', '４２ｃｍ', '42㎝']],
    ['1gal', ['1-gal.', '1 gal', '1 gallon', '1 Gal.', '1gal']],
    ['3/4in', ['3/4 in.', '3/4 inch', '3/4"', '3/4in', '3/4 inches']],
    ['8ft', ['8 ft.', '8 feet', "8'", '8-ft', '8 foot', '8′']],
    ['1.9cuft', ['1.9 cu. ft.', '1.9 cu ft', '1.9 cubic feet', '1.9 cu. feet', '1.90 cu. ft.']],
    ['42码', ['42码', '42碼', '42 码']],
    ['55寸', ['55寸']],
    ['55in', ['55吋', '55 inch', '55英寸']],
    ['15a', ['15a', '15 amp', '15-Amp', '15 amps']],
    ['18v', ['18V', '18-Volt', '18 volts']],
    ['1500w', ['1,500-Watt', '1500 watts', '1500W', '1500瓦']],
    ['2pk', ['2-Pack', '2 pack', '2pk', '2 PK']],
    ['500g', ['500g', '500 grams', '500克']],
    ['2kg', ['2kg', '2 kg', '2公斤', '2千克']],
    ['1l', ['1L', '1 liter', '1升']],
    ['12.5floz', ['12.5 fl. oz.', '12.5 fl oz', '12.5 fluid ounces']],
    ['200sqft', ['200 sq. ft.', '200 sq ft', '200 square feet', '200sqft']],
    ['1-1/2in', ['1-1/2 in.', '1 1/2 in', '1½"', '1-1/2"']],
    ['100%', ['100%']],
    ['3个', ['3个']],
  ];
  for (const [canonical, forms] of equivalent) {
    it(`${forms.join(' | ')} → ${canonical}`, () => {
      for (const form of forms) {
        const numbers = terms(form, 'number');
        assert.ok(numbers.includes(canonical), `${form} → ${numbers.join(' ')}`);
      }
    });
  }

  it('emits the bare number at the same position as the number with its unit', () => {
    const tokens = analyze('Dog Bed 42 cm');
    const withUnit = tokens.find((t) => t.term === '42cm')!;
    const bare = tokens.find((t) => t.term === '42')!;
    assert.equal(withUnit.kind, 'number');
    assert.equal(bare.kind, 'number');
    assert.equal(withUnit.position, bare.position);
    assert.equal(withUnit.position, 2);
    assert.deepEqual([withUnit.start, withUnit.end], [8, 13]);
    assert.deepEqual([bare.start, bare.end], [8, 10]);
    // A query for the bare number finds the product with a unit.
    assertMatches('Dog Bed 42cm', '42');
  });

  it('canonicalises decimals, fractions and thousands', () => {
    assert.deepEqual(terms('0.5 .5 2.50 2.0 007, 3/4 03/04'), ['0.5', '0.5', '2.5', '2', '7', '3/4', '3/4']);
    assert.deepEqual(terms('7 3/4'), ['7-3/4']);
    assert.deepEqual(terms('1,500 1,5 12,345,678'), ['1500', '1', '5', '12345678']);
  });

  it('does not read a unit word without a number, or an article as amperes', () => {
    assert.deepEqual(terms('Kit in Chrome'), ['kit', 'in', 'chrome']);
    assert.deepEqual(terms('Pack of 2 a day'), ['pack', 'of', '2', 'a', 'dai']);
    assert.deepEqual(terms('feet cm gallon', 'word'), ['feet', 'cm', 'gallon']);
    assert.deepEqual(terms('2 minis'), ['2', 'mini']);
  });

  it('separates dimensions at x', () => {
    assert.deepEqual(terms('3 in. x 8 ft.'), ['3in', '3', '8ft', '8']);
    assert.deepEqual(terms('20 in x 26 in'), ['20in', '20', '26in', '26']);
    assert.deepEqual(terms('12 in. × 12 in.'), ['12in', '12', '12in', '12']);
    assert.deepEqual(terms('48 in. W x 24 in. D'), ['48in', '48', 'w', '24in', '24', 'd']);
    assert.deepEqual(terms('Model X 100'), ['model', 'x', '100']);
    const compact = analyze('2x4 Lumber');
    assert.deepEqual(
      compact.map((t) => [t.term, t.position]),
      [
        ['2', 0],
        ['2x4', 0],
        ['4', 1],
        ['lumber', 2],
      ],
    );
    assert.deepEqual(terms('30x18x12 in.'), ['30', '30x18x12', '18', '12in', '12']);
  });

  it('keeps shoe and screen sizes and counters, and leaves the rest of the Chinese run alone', () => {
    assert.deepEqual(terms('5米长', 'number'), ['5m', '5']);
    assert.deepEqual(terms('5米长', 'cjk-char'), ['长']);
    assert.deepEqual(terms('2015年', 'number'), ['2015']);
    assert.deepEqual(terms('2015年', 'cjk-char'), ['年']);
  });

  it('covers a Home Depot title', () => {
    assert.deepEqual(terms('Whirlpool 1.9 cu. ft. Over the Range Convection Microwave in Stainless Steel'), [
      'whirlpool',
      '1.9cuft',
      '1.9',
      'over',
      'the',
      'rang',
      'convect',
      'microwav',
      'in',
      'stainless',
      'steel',
    ]);
  });
});

describe('Chinese', () => {
  it('segments 运动鞋 into words, characters and bigrams', () => {
    const tokens = analyze('运动鞋');
    const byKind = (kind: TokenKind) => tokens.filter((t) => t.kind === kind).map((t) => t.term);
    assert.deepEqual(byKind('cjk-word').sort(), ['运动', '运动鞋']);
    assert.deepEqual(byKind('cjk-char'), ['运', '动', '鞋']);
    assert.deepEqual(byKind('cjk-bigram'), ['运动', '动鞋']);
    const word = tokens.find((t) => t.kind === 'cjk-word' && t.term === '运动鞋')!;
    assert.deepEqual([word.start, word.end, word.position], [0, 3, 0]);
    const char = tokens.find((t) => t.kind === 'cjk-char' && t.term === '鞋')!;
    assert.deepEqual([char.start, char.end, char.position], [2, 3, 2]);
  });

  it('segments 小狗窝 and 铝合金窗', () => {
    assert.ok(terms('小狗窝', 'cjk-word').includes('狗窝'));
    assert.deepEqual(terms('小狗窝', 'cjk-bigram'), ['小狗', '狗窝']);
    const aluminium = terms('铝合金窗', 'cjk-word');
    assert.ok(aluminium.includes('铝合金'), aluminium.join(' '));
    assert.ok(aluminium.includes('合金'), aluminium.join(' '));
    assert.ok(!aluminium.includes('窗'), 'single characters are not words');
    assert.deepEqual(terms('铝合金窗', 'cjk-bigram'), ['铝合', '合金', '金窗']);
  });

  it('keeps search-mode sub-words at their own offsets', () => {
    const text = '新豪轩门窗 铝合金窗内开内倒落地窗';
    for (const token of analyze(text)) {
      assert.equal(text.slice(token.start, token.end), token.term, `${token.kind} ${token.term}`);
    }
    const words = analyze(text).filter((t) => t.kind === 'cjk-word');
    assert.ok(words.some((t) => t.term === '落地窗'));
    assert.ok(words.some((t) => t.term === '落地'));
  });

  it('folds Traditional to Simplified with offsets into the original', () => {
    assert.deepEqual(terms('鍍膜車蠟'), terms('镀膜车蜡'));
    assert.deepEqual(terms('手機殼'), terms('手机壳'));
    const text = 'SOFT 99 鍍膜車蠟(強力撥水型)';
    const wax = analyze(text).find((t) => t.kind === 'cjk-word' && t.term === '车蜡')!;
    assert.equal(text.slice(wax.start, wax.end), '車蠟');
  });

  it('analyses mixed text', () => {
    const tokens = analyze('Nike运动鞋42码');
    assert.deepEqual(terms('Nike运动鞋42码', 'word'), ['nike']);
    assert.deepEqual(terms('Nike运动鞋42码', 'number'), ['42码', '42']);
    assert.ok(terms('Nike运动鞋42码', 'cjk-word').includes('运动鞋'));
    assert.deepEqual(terms('Nike运动鞋42码', 'cjk-char'), ['运', '动', '鞋']);
    const size = tokens.find((t) => t.term === '42码')!;
    assert.deepEqual([size.start, size.end], [7, 10]);
    // Positions never go backwards.
    for (let k = 1; k < tokens.length; k++) assert.ok(tokens[k]!.position >= tokens[k - 1]!.position);

    assert.deepEqual(terms('小狗窝42cm', 'number'), ['42cm', '42']);
    assert.deepEqual(terms('小狗窝42cm', 'cjk-char'), ['小', '狗', '窝']);
    assertMatches('小狗窝42cm', '小狗窝 42 厘米');
  });

  it('handles supplementary-plane ideographs as single characters', () => {
    const text = '𠀀𠀁';
    const chars = analyze(text).filter((t) => t.kind === 'cjk-char');
    assert.deepEqual(
      chars.map((t) => [t.start, t.end]),
      [
        [0, 2],
        [2, 4],
      ],
    );
  });
});

describe('offsets and edge cases', () => {
  it('returns nothing for empty, blank, punctuation or emoji input', () => {
    for (const text of ['', '   ', '\t\n', '...!?', '—–-', '😀👍🏽', '()[]{}', '。，！']) {
      assert.deepEqual(analyze(text), [], JSON.stringify(text));
    }
  });

  it('slices words out of the original text even after NFKC changes lengths', () => {
    const text = 'ﬁne ＮＩＫＥ ４２ｃｍ Ⅻ ㎏ café';
    const words = analyze(text);
    const slices = words.map((t) => [t.term, text.slice(t.start, t.end)]);
    assert.deepEqual(slices, [
      ['fine', 'ﬁne'],
      ['nike', 'ＮＩＫＥ'],
      ['42cm', '４２ｃｍ'],
      ['42', '４２'],
      ['xii', 'Ⅻ'],
      ['kg', '㎏'],
      ['café', 'café'],
    ]);
  });

  it('drops emoji between words', () => {
    assert.deepEqual(terms('dog😀bed 🐶 toy'), ['dog', 'bed', 'toi']);
  });

  it('is deterministic: query text gives the same tokens as index text', () => {
    const text = 'BEHR Premium 1-gal. #SC-141 运动鞋42码';
    assert.deepEqual(analyze(text), analyze(text));
  });

  it('never throws and keeps offsets inside the original for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const tokens = analyze(text);
        let last = -1;
        for (const token of tokens) {
          assert.ok(token.start >= 0 && token.start < token.end && token.end <= text.length);
          assert.ok(token.term.length > 0 && token.surface.length > 0);
          assert.ok(token.position >= last);
          last = token.position;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on text built from the characters the tokenizer cares about', () => {
    const pieces = fc.constantFrom(
      ...'0123456789aAxX.-/ \'"&;,%°½×ﬁＡ４厘米码寸运动鞋鍍膜車蠟𠀀😀\u0301'.split(''),
      '&amp;',
      '&#39;',
      ' cu. ft.',
      ' sq ',
      ' in.',
      "'s",
      '-1/2',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        for (const token of analyze(text)) {
          assert.ok(
            token.start >= 0 && token.start < token.end && token.end <= text.length,
            JSON.stringify(text),
          );
        }
      }),
      { numRuns: 3000 },
    );
  });
});
