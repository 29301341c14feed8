import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DATASETS } from '../../test/helpers/shared-datasets.ts';
import { describe, it } from 'node:test';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import * as OpenCC from 'opencc-js/t2cn';
import { analyze } from './analyzer.ts';
import { toSimplified } from './chinese-convert.ts';

const XLING = join(SHARED_DATASETS, 'xling-zh-en/products_zh.jsonl');
const MULTICPR = join(SHARED_DATASETS, 'multicpr-zh/products.jsonl');

function titles(file: string, limit: number): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, limit)
    .map((line) => String((JSON.parse(line) as { title?: unknown }).title ?? ''));
}

const SAMPLES = [
  '鍍膜車蠟(強力撥水型)',
  '手機殼 軟殼 掛繩殼',
  '低糖芒果乾 250g',
  '著作權 乾燥劑 頭髮 裡面 臺灣',
  '一口吃個胖子',
  '二噁英檢測',
  '新豪轩门窗 斯图加特78系统',
];

describe('Traditional → Simplified folding', () => {
  it('matches OpenCC tw→cn exactly', () => {
    const reference = OpenCC.Converter({ from: 'tw', to: 'cn' });
    const texts = [...SAMPLES, ...titles(XLING, 11_000), ...titles(MULTICPR, 2_000)].map((t) =>
      t.normalize('NFKC'),
    );
    let differences = 0;
    const examples: string[] = [];
    for (const text of texts) {
      const expected = reference(text);
      const actual = toSimplified(text);
      if (actual !== expected) {
        differences++;
        if (examples.length < 5) examples.push(`${text}: ${actual} ≠ ${expected}`);
      }
    }
    assert.equal(differences, 0, examples.join('\n'));
  });

  it('keeps the number of code points, so offsets stay aligned', () => {
    for (const text of SAMPLES) assert.equal([...toSimplified(text)].length, [...text].length);
    assert.equal(toSimplified('二噁英'), '二𫫇英');
  });

  it('gives identical tokens for Traditional and Simplified spellings', () => {
    const pairs: Array<[string, string]> = [
      ['鍍膜車蠟', '镀膜车蜡'],
      ['手機殼', '手机壳'],
      ['運動鞋42碼', '运动鞋42码'],
      ['電動牙刷', '电动牙刷'],
    ];
    for (const [traditional, simplified] of pairs) {
      const strip = (text: string) => analyze(text).map((t) => [t.term, t.kind, t.start, t.end, t.position]);
      assert.deepEqual(strip(traditional), strip(simplified), traditional);
    }
  });

  it('leaves Latin text untouched', () => {
    assert.equal(toSimplified('Nike Air 42'), 'Nike Air 42');
  });
});

describe('segmentation', () => {
  it('finds the same words as jieba cutForSearch', () => {
    const jieba = Jieba.withDict(dict);
    const runs = new Set<string>();
    for (const title of [...SAMPLES, ...titles(MULTICPR, 3_000), ...titles(XLING, 1_000)]) {
      // Han runs not preceded by a digit (a number would take a leading unit character for itself).
      for (const match of toSimplified(title.normalize('NFKC')).matchAll(/(?<![0-9\s])[\u4e00-\u9fff]+/g)) {
        runs.add(match[0]);
      }
    }
    assert.ok(runs.size >= SAMPLES.length);
    let compared = 0;
    for (const run of runs) {
      const expected = jieba
        .cutForSearch(run, true)
        .filter((word) => word.length >= 2)
        .sort();
      const actual = analyze(run)
        .filter((t) => t.kind === 'cjk-word')
        .map((t) => t.term)
        .sort();
      assert.deepEqual(actual, expected, run);
      compared++;
    }
    assert.ok(compared > 0);
  });

  it('emits every character and every adjacent pair of a run', () => {
    const text = '斯图加特78系统';
    const tokens = analyze(text);
    assert.deepEqual(
      tokens.filter((t) => t.kind === 'cjk-char').map((t) => t.term),
      ['斯', '图', '加', '特', '系', '统'],
    );
    assert.deepEqual(
      tokens.filter((t) => t.kind === 'cjk-bigram').map((t) => t.term),
      ['斯图', '图加', '加特', '系统'],
    );
    const number = tokens.find((t) => t.kind === 'number')!;
    assert.equal(number.term, '78');
    assert.equal(number.position, 4);
    const system = tokens.find((t) => t.kind === 'cjk-word' && t.term === '系统')!;
    assert.deepEqual([system.start, system.end, system.position], [6, 8, 5]);
  });

  it('maps every token of real titles back to its original text', () => {
    const reference = OpenCC.Converter({ from: 'tw', to: 'cn' });
    for (const title of [...SAMPLES, ...titles(XLING, 300), ...titles(MULTICPR, 300)]) {
      // Folding depends on context (著作 keeps 著, a lone 著 becomes 着), so compare against the whole title.
      const folded = reference(title.normalize('NFKC'));
      for (const token of analyze(title)) {
        const original = title.slice(token.start, token.end);
        assert.ok(original.length > 0, title);
        if (token.kind.startsWith('cjk')) {
          assert.equal([...original].length, [...token.term].length, `${title}: ${original}`);
          assert.ok(folded.includes(token.term), `${title}: ${token.term}`);
        }
      }
    }
  });
});
