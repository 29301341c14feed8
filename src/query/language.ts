/**
 * Language of a query or product text, from its script alone: no statistical model, so it is instant and
 * deterministic, and it only has to tell apart what the cross-lingual bridge treats differently.
 *
 * - Any Han character makes the text Chinese: Chinese titles routinely carry Latin brand names and model
 *   codes (`OPPO A75 手机壳`), while English titles practically never carry Han. Kana makes it Japanese,
 *   Hangul Korean, whatever the other characters are.
 * - Traditional vs Simplified: characters that OpenCC's Taiwan → Simplified folding changes (機, 殼) are
 *   Traditional evidence; characters its Simplified → Traditional table changes (机, 壳) are Simplified
 *   evidence. A few Simplified-table characters are also everyday Traditional ones (台, 干, 后), so
 *   Traditional evidence wins ties. Text with neither (大小, 手) is plain `zh`.
 * - Latin letters with no Han are `en`: the bridge only knows English, and for a shopper's query in
 *   another Latin-script language English is still the best guess.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { classOfCodePoint, CLASS_LETTER, isHanCodePoint } from '../text/char-class.ts';
import { toSimplified } from '../text/chinese-convert.ts';

export type Language =
  /** Chinese in Simplified characters. */
  | 'zh-Hans'
  /** Chinese in Traditional characters. */
  | 'zh-Hant'
  /** Chinese whose characters are the same in both scripts. */
  | 'zh'
  | 'ja'
  | 'ko'
  /** Latin letters (no Han, kana or Hangul). */
  | 'en'
  /** Letters of another alphabet (Cyrillic, Greek, Arabic…) and no Han or Latin. */
  | 'other'
  /** No letters at all (digits, punctuation, empty). */
  | 'none';

export interface LanguageProfile {
  language: Language;
  /** Han characters. */
  han: number;
  /** Latin letters (ASCII, Latin-1 and Latin Extended, fullwidth). */
  latin: number;
  /** Han characters only Traditional text uses / only Simplified text uses. */
  traditional: number;
  simplified: number;
  /** Chinese (or Japanese) text that also has Latin letters: brand names, model codes, mixed queries. */
  mixed: boolean;
}

/** Whether a language is one of the Chinese variants. */
export function isChinese(language: Language): boolean {
  return language === 'zh' || language === 'zh-Hans' || language === 'zh-Hant';
}

// Per BMP code point: 0 not computed yet, 1 neutral, 2 Traditional evidence, 3 Simplified evidence.
const NEUTRAL = 1;
const TRADITIONAL = 2;
const SIMPLIFIED = 3;
const hanScript = new Uint8Array(0x10000);
let simplifiedOnly: Set<number> | undefined;

/**
 * Characters OpenCC's Simplified → Traditional character table changes. Read from opencc-js's own data
 * file rather than imported: its preset module pulls in every regional table (~30 ms, ~2 MB) for one
 * 32 kB list.
 */
function simplifiedCharacters(): Set<number> {
  if (simplifiedOnly !== undefined) return simplifiedOnly;
  simplifiedOnly = new Set();
  try {
    const preset = createRequire(import.meta.url).resolve('opencc-js/preset/cn2t');
    const source = readFileSync(new URL('../dict/STCharacters.js', `file://${preset}`), 'utf8');
    const body = source.slice(source.indexOf('"') + 1, source.lastIndexOf('"'));
    for (const pair of body.split('|')) {
      const [from, to] = pair.split(' ');
      if (from === undefined || to === undefined || from === to) continue;
      const cp = from.codePointAt(0)!;
      if (from.length === (cp > 0xffff ? 2 : 1)) simplifiedOnly.add(cp);
    }
  } catch {
    // Without the table every character is script-neutral or Traditional: detection degrades to zh / zh-Hant.
  }
  return simplifiedOnly;
}

function scriptOfHan(cp: number): number {
  if (cp <= 0xffff) {
    const cached = hanScript[cp]!;
    if (cached !== 0) return cached;
  }
  const ch = String.fromCodePoint(cp);
  let script = NEUTRAL;
  if (toSimplified(ch) !== ch) script = TRADITIONAL;
  else if (simplifiedCharacters().has(cp)) script = SIMPLIFIED;
  if (cp <= 0xffff) hanScript[cp] = script;
  return script;
}

function isKana(cp: number): boolean {
  return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x31f0 && cp <= 0x31ff) || (cp >= 0xff66 && cp <= 0xff9d);
}

function isHangul(cp: number): boolean {
  return (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0x3130 && cp <= 0x318f);
}

function isLatinLetter(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  if ((cp >= 0xff21 && cp <= 0xff3a) || (cp >= 0xff41 && cp <= 0xff5a)) return true;
  return ((cp >= 0xc0 && cp < 0x250) || (cp >= 0x1e00 && cp <= 0x1eff)) && cp !== 0xd7 && cp !== 0xf7;
}

/** Script counts and the language they point to (see the module comment for the rules). */
export function languageProfile(text: string): LanguageProfile {
  let han = 0;
  let latin = 0;
  let traditional = 0;
  let simplified = 0;
  let kana = 0;
  let hangul = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    if (cp < 0x80) {
      if (isLatinLetter(cp)) latin++;
      continue;
    }
    if (isHanCodePoint(cp)) {
      han++;
      const script = scriptOfHan(cp);
      if (script === TRADITIONAL) traditional++;
      else if (script === SIMPLIFIED) simplified++;
    } else if (isKana(cp)) kana++;
    else if (isHangul(cp)) hangul++;
    else if (isLatinLetter(cp)) latin++;
    else if (classOfCodePoint(cp) === CLASS_LETTER) other++;
  }
  let language: Language;
  if (kana > 0) language = 'ja';
  else if (hangul > 0) language = 'ko';
  else if (han > 0) {
    if (traditional > 0 && traditional >= simplified) language = 'zh-Hant';
    else if (simplified > 0) language = 'zh-Hans';
    else language = 'zh';
  } else if (latin > 0) language = 'en';
  else if (other > 0) language = 'other';
  else language = 'none';
  const mixed = (han > 0 || kana > 0 || hangul > 0) && latin > 0;
  return { language, han, latin, traditional, simplified, mixed };
}

/** The language of `text`: `zh-Hans`, `zh-Hant`, `zh`, `ja`, `ko`, `en`, `other` or `none`. */
export function detectLanguage(text: string): Language {
  return languageProfile(text).language;
}
