/**
 * The analyser: one function turns product text and query text alike into tokens, so both sides of a
 * match always agree. Text is folded first (see normalize.ts), then scanned once with character-code
 * tests; Chinese runs are collected during the scan and segmented with a single jieba call at the end.
 *
 * Term conventions (what the index stores):
 * - `word`: Latin and other alphabetic words, lower-cased, NFKC, Porter-stemmed (`propelled` → `propel`).
 *   Possessive `'s` is dropped, other apostrophes are removed (`don't` → `dont`). Short letter groups
 *   around `&` stay one term without stemming (`b&d`, `at&t`); longer ones split (`black&decker`).
 *   Words mixing letters and digits (`a75s`, `rs2`, `1080i`) are one term, never stemmed. Hyphens split
 *   words; a hyphenated model code also yields the joined form (`sc-141` → `sc`, `141`, `sc141`), and so
 *   does a two-part word with a one- or two-letter head (`wi-fi` → `wi`, `fi`, `wifi`; `t-shirt`).
 * - `number`: canonical numbers — integers without leading zeros or thousands commas (`1,500` → `1500`),
 *   decimals without trailing zeros (`2.50` → `2.5`, `.5` → `0.5`), fractions (`3/4`) and mixed numbers
 *   (`1-1/2`, `1 1/2`, `1½` → `1-1/2`). A number with a unit gives two tokens at one position: the number
 *   with its canonical unit (`42cm`, `1gal`, `3/4in`, `8ft`, `1.9cuft`, `42码`, `55寸`) and the bare
 *   number (`42`). Compact dimensions also give the joined form (`2x4` → `2`, `4`, `2x4`).
 * - `cjk-word` / `cjk-char` / `cjk-bigram`: for every run of Han characters (after Traditional →
 *   Simplified folding), jieba words of two or more characters plus the dictionary sub-words of long
 *   words, every character, and every pair of adjacent characters.
 *
 * Tokens come out ordered by `position`. Offsets always index the original input.
 */
import {
  CLASS_DIGIT,
  CLASS_HAN,
  CLASS_LETTER,
  CLASS_MARK,
  classOfCodePoint,
  containsCjk,
  detectScript,
  isCjk,
  isHanCodePoint,
} from './char-class.ts';
import { cutHan, isDictBigram, isDictTrigram, warmUpSegmenter } from './chinese-segment.ts';
import { normalizeText, normalizeWithOffsets } from './normalize.ts';
import { HASH_SEED, hashStep, internedStem, internedSurface, internWord, stem } from './stem.ts';
import type { Token, TokenKind } from './token.ts';
import { matchHanUnit, MAX_UNIT_LENGTH, UNITS, type UnitDef } from './units.ts';

export { containsCjk, detectScript, isCjk, normalizeText, warmUpSegmenter };
export type { Script } from './char-class.ts';
export type { Token, TokenKind } from './token.ts';

/** A Han run seen during the scan; its tokens are spliced in once the runs are segmented. */
interface HanRun {
  start: number;
  end: number;
  position: number;
}

interface Scan {
  s: string;
  n: number;
  starts: Int32Array | null;
  ends: Int32Array | null;
  out: Token[];
  pos: number;
  runs: HanRun[] | null;
  runOutIndex: number[] | null;
}

const APOS = 0x27;
const AMP = 0x26;
const DOT = 0x2e;
const SLASH = 0x2f;
const HYPHEN = 0x2d;
const SPACE = 0x20;
const COMMA = 0x2c;
const QUOTE = 0x22;
const X = 0x78;

const SENTINEL = '\0'.repeat(8);

/** Longest word kept; longer letter soup (base64, hashes) is not searchable text. */
const MAX_TERM_LENGTH = 100;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isAsciiLetter(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

/** Letter, digit or mark at `i` (text is already lower-cased). */
function isAlnumAt(s: string, i: number): boolean {
  if (i < 0 || i >= s.length) return false;
  const c = s.charCodeAt(i);
  if (c < 0x80) return isAsciiLetter(c) || isDigit(c);
  const cls = classOfCodePoint(s.codePointAt(i)!);
  return cls === CLASS_LETTER || cls === CLASS_MARK || cls === CLASS_DIGIT;
}

function isLetterAt(s: string, i: number): boolean {
  if (i < 0 || i >= s.length) return false;
  const c = s.charCodeAt(i);
  if (c < 0x80) return isAsciiLetter(c);
  return classOfCodePoint(s.codePointAt(i)!) === CLASS_LETTER;
}

/** Strips leading zeros (keeping one) from a digit string. */
function trimLeadingZeros(digits: string): string {
  let k = 0;
  while (k < digits.length - 1 && digits.charCodeAt(k) === 0x30) k++;
  return k === 0 ? digits : digits.slice(k);
}

function digitsEnd(s: string, i: number): number {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

// Results of parseNumber, kept in module state to avoid an allocation per number.
let numberEnd = 0;
let numberCanonical = '';

/** A fraction `a/b` at `i` not followed by more digits or slashes (dates): returns its end or -1. */
function fractionEnd(s: string, i: number): number {
  const slash = digitsEnd(s, i);
  if (slash === i || s.charCodeAt(slash) !== SLASH || !isDigit(s.charCodeAt(slash + 1))) return -1;
  const end = digitsEnd(s, slash + 1);
  const after = s.charCodeAt(end);
  if (after === SLASH || after === DOT) return -1;
  return end;
}

function canonicalFraction(s: string, start: number, end: number): string {
  const slash = s.indexOf('/', start);
  return trimLeadingZeros(s.slice(start, slash)) + '/' + trimLeadingZeros(s.slice(slash + 1, end));
}

/**
 * Parses the number at `i` (a digit, or a dot before a digit): integer with optional thousands commas,
 * decimal, fraction, or mixed number. Sets `numberEnd` and `numberCanonical`.
 */
function parseNumber(s: string, i: number): void {
  let j = digitsEnd(s, i);
  let integer = s.slice(i, j);
  // Thousands separators: only well-formed groups, so "1,5" (a list, or a European decimal) stays apart.
  if (j - i <= 3 && j > i) {
    while (
      s.charCodeAt(j) === COMMA &&
      isDigit(s.charCodeAt(j + 1)) &&
      isDigit(s.charCodeAt(j + 2)) &&
      isDigit(s.charCodeAt(j + 3)) &&
      !isDigit(s.charCodeAt(j + 4))
    ) {
      integer += s.slice(j + 1, j + 4);
      j += 4;
    }
  }
  const plainInteger = j === i + integer.length;
  const c = s.charCodeAt(j);
  if (c === DOT && isDigit(s.charCodeAt(j + 1))) {
    const fracEnd = digitsEnd(s, j + 1);
    let fraction = s.slice(j + 1, fracEnd);
    let k = fraction.length;
    while (k > 0 && fraction.charCodeAt(k - 1) === 0x30) k--;
    fraction = fraction.slice(0, k);
    const whole = integer === '' ? '0' : trimLeadingZeros(integer);
    numberCanonical = fraction === '' ? whole : whole + '.' + fraction;
    numberEnd = fracEnd;
    return;
  }
  if (plainInteger && integer !== '') {
    if (c === SLASH) {
      const end = fractionEnd(s, i);
      if (end > 0) {
        numberCanonical = canonicalFraction(s, i, end);
        numberEnd = end;
        return;
      }
    } else if ((c === HYPHEN || c === SPACE) && isDigit(s.charCodeAt(j + 1))) {
      const end = fractionEnd(s, j + 1);
      if (end > 0) {
        numberCanonical = trimLeadingZeros(integer) + '-' + canonicalFraction(s, j + 1, end);
        numberEnd = end;
        return;
      }
    }
  }
  numberCanonical = integer === '' ? '0' : trimLeadingZeros(integer);
  numberEnd = j;
}

function letterRunEnd(s: string, i: number): number {
  while (i < s.length && isAsciiLetter(s.charCodeAt(i))) i++;
  return i;
}

// Result of matchUnit: the canonical unit and the end of its span.
let unitEnd = 0;
let unitCanonical = '';

/**
 * An English unit whose letters start at `i`: the whole letter run must be a unit (so `2 mini` is not
 * `2m`), not followed by a digit or `-digit` (`2-in-1` is not two inches). A trailing abbreviation dot
 * joins the span. Two-word units (`cu. ft.`, `sq ft`, `fl oz`) combine.
 */
function matchUnit(s: string, i: number, attached: boolean): boolean {
  const end = letterRunEnd(s, i);
  if (end === i || end - i > MAX_UNIT_LENGTH) return false;
  const next = s.charCodeAt(end);
  if (isDigit(next) || (next >= 0x80 && isAlnumAt(s, end))) return false;
  if (next === HYPHEN && isDigit(s.charCodeAt(end + 1))) return false;
  const def: UnitDef | undefined = UNITS.get(s.slice(i, end));
  if (def === undefined || (!attached && !def.spaced)) return false;
  let k = end;
  if (s.charCodeAt(k) === DOT && !isDigit(s.charCodeAt(k + 1))) k++;
  if (def.combines !== undefined) {
    while (s.charCodeAt(k) === SPACE) k++;
    const secondEnd = letterRunEnd(s, k);
    if (secondEnd === k || isAlnumAt(s, secondEnd)) return false;
    const second = UNITS.get(s.slice(k, secondEnd));
    const combined = second === undefined ? undefined : def.combines[second.canonical];
    if (combined === undefined) return false;
    k = secondEnd;
    if (s.charCodeAt(k) === DOT && !isDigit(s.charCodeAt(k + 1))) k++;
    unitCanonical = combined;
  } else {
    unitCanonical = def.canonical;
  }
  unitEnd = k;
  return true;
}

/** The unit right after a number ending at `j`, if any; sets `unitEnd`/`unitCanonical`. */
function unitAfterNumber(s: string, j: number): boolean {
  const c = s.charCodeAt(j);
  if (isAsciiLetter(c)) return matchUnit(s, j, true);
  if (c === QUOTE) {
    unitCanonical = 'in';
    unitEnd = j + 1;
    return true;
  }
  if (c === APOS) {
    if (s.charCodeAt(j + 1) === APOS) {
      unitCanonical = 'in';
      unitEnd = j + 2;
      return true;
    }
    if (isLetterAt(s, j + 1)) return false;
    unitCanonical = 'ft';
    unitEnd = j + 1;
    return true;
  }
  if (c === 0x25) {
    unitCanonical = '%';
    unitEnd = j + 1;
    return true;
  }
  if (c === 0xb0) {
    unitCanonical = 'deg';
    unitEnd = j + 1;
    return true;
  }
  if (c >= 0x3400) {
    const han = matchHanUnit(s, j);
    if (han === undefined) return false;
    unitCanonical = han.canonical;
    unitEnd = j + han.length;
    return true;
  }
  if (c === SPACE || c === HYPHEN) {
    let k = j + 1;
    if (c === SPACE) while (s.charCodeAt(k) === SPACE) k++;
    const d = s.charCodeAt(k);
    if (isAsciiLetter(d)) return matchUnit(s, k, false);
    if (c === SPACE && d >= 0x3400) {
      const han = matchHanUnit(s, k);
      if (han === undefined) return false;
      unitCanonical = han.canonical;
      unitEnd = k + han.length;
      return true;
    }
  }
  return false;
}

// What the last scanned hyphen-group part contributes to a joined compound.
let partText = '';
let partHasDigit = false;

/**
 * Scans the number at `i` with its unit, or a token that starts with digits and continues with letters
 * (`3d`, `1080i`), or a compact dimension (`2x4`). Returns the end.
 */
function scanNumber(scan: Scan, i: number): number {
  const s = scan.s;
  parseNumber(s, i);
  const j = numberEnd;
  const c = s.charCodeAt(j);

  if (c === X) {
    if (isDigit(s.charCodeAt(j + 1))) return scanDimensions(scan, i);
    if (!isAlnumAt(s, j + 1)) {
      // "34.5x 24": the x separates dimensions.
      let k = j + 1;
      while (s.charCodeAt(k) === SPACE) k++;
      if (isDigit(s.charCodeAt(k))) {
        emitNumber(scan, i, j, false);
        return j + 1;
      }
    }
  }
  const hasUnit = unitAfterNumber(s, j);
  // Digits running into letters that are not a unit: one alphanumeric term (3d, 1st, 1080i, 4runner).
  if (!hasUnit && isAlnumAt(s, j) && s.charCodeAt(i) !== DOT) return scanWord(scan, i);
  return emitNumber(scan, i, j, hasUnit);
}

/** Emits the number just parsed (spanning `i`..`j`), with the unit just matched when `hasUnit`. */
function emitNumber(scan: Scan, i: number, j: number, hasUnit: boolean): number {
  const canonical = numberCanonical;
  const position = scan.pos++;
  partText = canonical;
  partHasDigit = true;
  if (hasUnit) {
    const term = canonical + unitCanonical;
    emit(scan, term, term, 'number', i, unitEnd, position);
    emit(scan, canonical, canonical, 'number', i, j, position);
    return unitEnd;
  }
  emit(scan, canonical, canonical, 'number', i, j, position);
  return j;
}

/**
 * Compact dimensions (`2x4`, `30x18x12`): each side is a number token, and the joined form is kept too
 * so a query for "2x4" matches it exactly. Only the last side may carry a unit.
 */
function scanDimensions(scan: Scan, i: number): number {
  const s = scan.s;
  const firstIndex = scan.out.length;
  const firstPosition = scan.pos;
  let joined = numberCanonical;
  emitNumber(scan, i, numberEnd, false);
  let start = numberEnd + 1;
  for (;;) {
    parseNumber(s, start);
    joined += 'x' + numberCanonical;
    if (s.charCodeAt(numberEnd) === X && isDigit(s.charCodeAt(numberEnd + 1))) {
      emitNumber(scan, start, numberEnd, false);
      start = numberEnd + 1;
      continue;
    }
    break;
  }
  const j = numberEnd;
  const hasUnit = unitAfterNumber(s, j);
  const end = emitNumber(scan, start, j, hasUnit);
  if (joined.length <= MAX_TERM_LENGTH) {
    scan.out.splice(firstIndex + 1, 0, makeToken(scan, joined, joined, 'number', i, j, firstPosition));
  }
  partText = joined;
  partHasDigit = true;
  return end;
}

function makeToken(
  scan: Scan,
  term: string,
  surface: string,
  kind: TokenKind,
  start: number,
  end: number,
  position: number,
): Token {
  return {
    term,
    surface,
    kind,
    start: scan.starts === null ? start : scan.starts[start]!,
    end: scan.ends === null ? end : scan.ends[end - 1]!,
    position,
  };
}

function emit(
  scan: Scan,
  term: string,
  surface: string,
  kind: TokenKind,
  start: number,
  end: number,
  position: number,
): void {
  scan.out.push(makeToken(scan, term, surface, kind, start, end, position));
}

/**
 * Scans a word starting with a letter (or digits running into letters) at `i`; returns the end. Handles
 * internal apostrophes, possessives, `&` acronyms, and the dimension `x` between numbers.
 */
function scanWord(scan: Scan, i: number): number {
  const s = scan.s;
  const n = scan.n;
  let j = i;
  let hasDigit = false;
  let hasLetter = false;
  let nonAscii = false;
  let apostrophes = false;
  let ampersand = false;
  let spanEnd = -1;
  let hash = HASH_SEED;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c < 0x80) {
      if (isAsciiLetter(c)) {
        hasLetter = true;
        hash = hashStep(hash, c);
        j++;
        continue;
      }
      if (isDigit(c)) {
        hasDigit = true;
        j++;
        continue;
      }
      if (c === DOT && hasDigit && isDigit(s.charCodeAt(j - 1)) && isDigit(s.charCodeAt(j + 1))) {
        j++;
        continue;
      }
      if (c === APOS && isLetterAt(s, j + 1) && j > i && isLetterAt(s, j - 1)) {
        if (s.charCodeAt(j + 1) === 0x73 && !isAlnumAt(s, j + 2)) {
          spanEnd = j + 2; // possessive 's: part of the span, not of the term
          break;
        }
        apostrophes = true;
        j++;
        continue;
      }
      if (c === AMP && !hasDigit && !apostrophes && j - i <= 3 && isAsciiLetter(s.charCodeAt(j + 1))) {
        const after = letterRunEnd(s, j + 1);
        if (after - (j + 1) <= 3 && !isAlnumAt(s, after)) {
          ampersand = true;
          j = after;
        }
      }
      break;
    }
    const cp = s.codePointAt(j)!;
    const cls = classOfCodePoint(cp);
    if (cls === CLASS_LETTER || cls === CLASS_MARK) {
      hasLetter = true;
      nonAscii = true;
      j += cp > 0xffff ? 2 : 1;
      continue;
    }
    break;
  }
  if (spanEnd < 0) spanEnd = j;

  // "3 in. x 8 ft.", "48 in. W x 24 in. D": a lone x before a number, after a number or a one-letter
  // dimension label, separates dimensions rather than being a word.
  if (j === i + 1 && s.charCodeAt(i) === X) {
    const last = scan.out[scan.out.length - 1];
    if (last !== undefined && (last.kind === 'number' || last.surface.length === 1)) {
      let k = j;
      while (s.charCodeAt(k) === SPACE) k++;
      if (isDigit(s.charCodeAt(k)) || (s.charCodeAt(k) === DOT && isDigit(s.charCodeAt(k + 1)))) {
        partText = '';
        partHasDigit = false;
        return spanEnd;
      }
    }
  }

  if (!hasDigit && !nonAscii && !apostrophes && !ampersand) {
    // A plain word: the common case, served from the interning table without allocating.
    const entry = internWord(s, i, j, hash);
    if (entry >= 0) {
      partText = internedSurface(entry);
      partHasDigit = false;
      emit(scan, internedStem(entry), partText, 'word', i, spanEnd, scan.pos++);
      return spanEnd;
    }
  }

  let surface = s.slice(i, j);
  if (apostrophes) surface = surface.replaceAll("'", '');
  if (nonAscii) surface = surface.normalize('NFC');
  partText = surface;
  partHasDigit = hasDigit;
  if (surface.length > MAX_TERM_LENGTH || !hasLetter) {
    scan.pos++;
    return spanEnd;
  }
  const term = hasDigit || ampersand || nonAscii ? surface : stem(surface);
  emit(scan, term, surface, 'word', i, spanEnd, scan.pos++);
  return spanEnd;
}

/**
 * Scans a hyphen group (`Self-Propelled`, `SC-141`, `2-in-1`) part by part, then adds the joined form
 * when the group looks like a model code or a split word (see the module comment). Returns the end.
 */
function scanGroup(scan: Scan, i: number): number {
  const s = scan.s;
  const firstIndex = scan.out.length;
  const firstPosition = scan.pos;
  const firstIsWord = isLetterAt(s, i);
  let parts = 0;
  let joined = '';
  let anyDigit = false;
  let firstOutEnd = firstIndex;
  let j = i;
  for (;;) {
    const c = s.charCodeAt(j);
    const partStart = j;
    j = isDigit(c) || c === DOT ? scanNumber(scan, j) : scanWord(scan, j);
    // Every scanner consumes at least one character; this guard makes a future slip a lost character
    // rather than an endless loop.
    if (j <= partStart) j = partStart + 1;
    parts++;
    if (parts === 1) firstOutEnd = scan.out.length;
    joined += partText;
    if (partHasDigit) anyDigit = true;
    if (s.charCodeAt(j) === HYPHEN && isAlnumAt(s, j + 1) && partText !== '') {
      j++;
      continue;
    }
    break;
  }
  // Letters only: join two-part words with a one- or two-letter head (t-shirt, wi-fi, o-ring), not
  // phrases like built-in or two-in-one.
  const shortHead = parts === 2 && (scan.out[firstIndex]?.surface.length ?? Infinity) <= 2;
  if (
    parts >= 2 &&
    firstIsWord &&
    firstOutEnd > firstIndex &&
    (anyDigit || shortHead) &&
    joined.length <= MAX_TERM_LENGTH &&
    joined !== scan.out[firstIndex]?.term
  ) {
    const term = anyDigit ? joined : stem(joined);
    scan.out.splice(firstOutEnd, 0, makeToken(scan, term, joined, 'word', i, j, firstPosition));
  }
  return j;
}

/** Records the Han run at `i`; its tokens are produced after the scan. Returns the end. */
function scanHanRun(scan: Scan, i: number): number {
  const s = scan.s;
  const n = scan.n;
  let j = i;
  let chars = 0;
  while (j < n) {
    const cp = s.codePointAt(j)!;
    if (!isHanCodePoint(cp)) break;
    j += cp > 0xffff ? 2 : 1;
    chars++;
  }
  if (scan.runs === null) {
    scan.runs = [];
    scan.runOutIndex = [];
  }
  scan.runs.push({ start: i, end: j, position: scan.pos });
  scan.runOutIndex!.push(scan.out.length);
  scan.pos += chars;
  return j;
}

interface HanWord {
  start: number;
  end: number;
}

const NO_WORDS: HanWord[] = [];

/**
 * Segments all runs with one jieba call; returns each run's words (two or more characters, with the
 * dictionary sub-words of longer ones) ordered by start.
 */
function segmentRuns(s: string, runs: HanRun[]): HanWord[][] {
  const result: HanWord[][] = [];
  let worthIt = false;
  let joinedLength = -1;
  for (const run of runs) {
    result.push(run.end - run.start >= 2 ? [] : NO_WORDS);
    if (run.end - run.start >= 2) worthIt = true;
    joinedLength += run.end - run.start + 1;
  }
  if (!worthIt) return result;
  let joined: string;
  if (runs.length === 1) joined = s.slice(runs[0]!.start, runs[0]!.end);
  else {
    joined = '';
    for (let r = 0; r < runs.length; r++)
      joined += (r === 0 ? '' : ' ') + s.slice(runs[r]!.start, runs[r]!.end);
  }
  const words = cutHan(joined);

  // jieba's words tile its input; check that they do before trusting the offsets computed from lengths.
  let total = 0;
  for (const word of words) total += word.length;
  if (total !== joinedLength) return runs.map(() => NO_WORDS);

  let runIndex = 0;
  let run = runs[0]!;
  let start = run.start;
  for (const word of words) {
    const len = word.length;
    if (start >= run.end) {
      // The separator between two runs; anything else means the words do not line up with the runs.
      if (word !== ' ' || runIndex + 1 >= runs.length) return runs.map(() => NO_WORDS);
      run = runs[++runIndex]!;
      start = run.start;
      continue;
    }
    const wordStart = start;
    start += len;
    if (start > run.end) return runs.map(() => NO_WORDS);
    if (len < 2) continue;
    const first = word.charCodeAt(0);
    if (len === 2 && first >= 0xd800 && first <= 0xdbff) continue; // one supplementary-plane character
    const list = result[runIndex]!;
    list.push({ start: wordStart, end: start });
    // Search-engine sub-words; the dictionary holds BMP words only, so astral words have none.
    if (len > 2 && !hasSurrogate(word)) {
      for (let k = 0; k + 1 < len; k++) {
        if (len > 3 && k + 2 < len && isDictTrigram(s, wordStart + k)) {
          list.push({ start: wordStart + k, end: wordStart + k + 3 });
        }
        if (isDictBigram(s, wordStart + k)) list.push({ start: wordStart + k, end: wordStart + k + 2 });
      }
    }
  }
  return result;
}

function hasSurrogate(word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

function emitRun(scan: Scan, run: HanRun, words: HanWord[]): void {
  const s = scan.s;
  let position = run.position;
  let w = 0;
  for (let u = run.start; u < run.end;) {
    const width = s.charCodeAt(u) >= 0xd800 && s.charCodeAt(u) <= 0xdbff ? 2 : 1;
    const ch = s.slice(u, u + width);
    emit(scan, ch, ch, 'cjk-char', u, u + width, position);
    const next = u + width;
    if (next < run.end) {
      const nextWidth = s.charCodeAt(next) >= 0xd800 && s.charCodeAt(next) <= 0xdbff ? 2 : 1;
      const bigram = s.slice(u, next + nextWidth);
      emit(scan, bigram, bigram, 'cjk-bigram', u, next + nextWidth, position);
    }
    while (w < words.length && words[w]!.start === u) {
      const word = words[w]!;
      const term = s.slice(word.start, word.end);
      emit(scan, term, term, 'cjk-word', word.start, word.end, position);
      w++;
    }
    u = next;
    position++;
  }
}

/**
 * Analyses product or query text into tokens (see the module comment for the term conventions).
 * Never throws on any string input.
 */
export function analyze(text: string): Token[] {
  if (text.length === 0) return [];
  const normalized = normalizeWithOffsets(text);
  const n = normalized.text.length;
  // Lookahead reads past the end would return NaN and make V8 deoptimise the scanners ("out of bounds")
  // until it gives up on them; a few NULs (class OTHER, like any separator) keep every read in bounds.
  const s = normalized.text + SENTINEL;
  const scan: Scan = {
    s,
    n,
    starts: normalized.starts,
    ends: normalized.ends,
    out: [],
    pos: 0,
    runs: null,
    runOutIndex: null,
  };
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (isAsciiLetter(c)) i = scanGroup(scan, i);
      else if (isDigit(c)) i = scanGroup(scan, i);
      else if (c === DOT && isDigit(s.charCodeAt(i + 1)) && !isAlnumAt(s, i - 1)) i = scanGroup(scan, i);
      else i++;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const cls = classOfCodePoint(cp);
    if (cls === CLASS_HAN) i = scanHanRun(scan, i);
    else if (cls === CLASS_LETTER) i = scanGroup(scan, i);
    else i += cp > 0xffff ? 2 : 1;
  }
  if (scan.runs === null) return scan.out;

  // Splice each run's tokens in where the run was met, keeping the output ordered by position.
  const runs = scan.runs;
  const runOutIndex = scan.runOutIndex!;
  const words = segmentRuns(s, runs);
  const scanned = scan.out;
  scan.out = [];
  let copied = 0;
  for (let r = 0; r < runs.length; r++) {
    const at = runOutIndex[r]!;
    while (copied < at) scan.out.push(scanned[copied++]!);
    emitRun(scan, runs[r]!, words[r]!);
  }
  while (copied < scanned.length) scan.out.push(scanned[copied++]!);
  return scan.out;
}
