/**
 * Character classes for the tokenizer. The hot loops call `classOfCodePoint` once per character, so ASCII
 * and the Han blocks are answered by comparisons and everything else by a lazily filled table: a Unicode
 * property regex runs at most once per distinct code point.
 */

export const CLASS_OTHER = 0;
export const CLASS_LETTER = 1;
export const CLASS_DIGIT = 2;
export const CLASS_HAN = 3;
/** Combining marks: they continue a word but never start one. */
export const CLASS_MARK = 4;
export const CLASS_SPACE = 5;

export type CharClass = 0 | 1 | 2 | 3 | 4 | 5;

/**
 * Han ideographs: the unified blocks and their extensions, plus the compatibility blocks (NFKC maps most
 * of those to unified ones, but a dozen are unified ideographs in their own right). This is the set jieba
 * segments; kana and hangul are left to the word tokenizer.
 */
export function isHanCodePoint(cp: number): boolean {
  if (cp < 0x3400) return false;
  if (cp <= 0x4dbf) return true;
  if (cp < 0x4e00) return false;
  if (cp <= 0x9fff) return true;
  if (cp < 0xf900) return false;
  if (cp <= 0xfaff) return true;
  return cp >= 0x20000 && cp <= 0x323af;
}

const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) ASCII_CLASS[c] = CLASS_LETTER;
  else if (c >= 0x30 && c <= 0x39) ASCII_CLASS[c] = CLASS_DIGIT;
  else if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) ASCII_CLASS[c] = CLASS_SPACE;
  else ASCII_CLASS[c] = CLASS_OTHER;
}

const LETTER_RE = /^[\p{L}\p{N}]$/u;
const MARK_RE = /^\p{M}$/u;
const SPACE_RE = /^\s$/u;

function computeClass(cp: number): CharClass {
  if (isHanCodePoint(cp)) return CLASS_HAN;
  // Variation selectors and joiners decorate emoji; as marks they would glue emoji debris onto words.
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) || cp === 0x200d) return CLASS_OTHER;
  const ch = String.fromCodePoint(cp);
  // Non-ASCII digits (Arabic-Indic, Devanagari…) count as letters: they never carry units here.
  if (LETTER_RE.test(ch)) return CLASS_LETTER;
  if (MARK_RE.test(ch)) return CLASS_MARK;
  if (SPACE_RE.test(ch)) return CLASS_SPACE;
  return CLASS_OTHER;
}

// 0 means "not computed yet", otherwise class + 1.
const BMP_CLASS = new Uint8Array(0x10000);
const ASTRAL_CLASS = new Map<number, CharClass>();

export function classOfCodePoint(cp: number): CharClass {
  if (cp < 128) return ASCII_CLASS[cp] as CharClass;
  if (cp >= 0x4e00 && cp <= 0x9fff) return CLASS_HAN;
  if (cp < 0x10000) {
    const cached = BMP_CLASS[cp]!;
    if (cached !== 0) return (cached - 1) as CharClass;
    const computed = computeClass(cp);
    BMP_CLASS[cp] = computed + 1;
    return computed;
  }
  let cached = ASTRAL_CLASS.get(cp);
  if (cached === undefined) {
    cached = computeClass(cp);
    ASTRAL_CLASS.set(cp, cached);
  }
  return cached;
}

/** True when `text` contains at least one Han ideograph. */
export function containsCjk(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x3400) continue;
    const cp = text.codePointAt(i)!;
    if (isHanCodePoint(cp)) return true;
    if (cp > 0xffff) i++;
  }
  return false;
}

/** True when `text` is non-empty and every code point in it is a Han ideograph. */
export function isCjk(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (!isHanCodePoint(cp)) return false;
    if (cp > 0xffff) i++;
  }
  return true;
}

export type Script = 'cjk' | 'latin' | 'mixed' | 'other' | 'none';

/**
 * The writing system of the letters in `text`: `cjk` (Han only), `latin` (Latin letters and digits only),
 * `other` (other alphabets, possibly with Latin), `mixed` (Han plus anything alphabetic), `none` (no
 * letters or digits at all). Punctuation and spaces are ignored.
 */
export function detectScript(text: string): Script {
  let han = false;
  let latin = false;
  let other = false;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    const cls = classOfCodePoint(cp);
    if (cls === CLASS_HAN) han = true;
    else if (cls === CLASS_DIGIT) latin = true;
    else if (cls === CLASS_LETTER) {
      if (cp < 0x250 || (cp >= 0xff10 && cp <= 0xff5a) || (cp >= 0x1e00 && cp <= 0x1eff)) latin = true;
      else other = true;
    }
  }
  if (han) return latin || other ? 'mixed' : 'cjk';
  if (other) return 'other';
  return latin ? 'latin' : 'none';
}
