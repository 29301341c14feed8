/**
 * Normalisation with an offset map. Text is folded one code point at a time (NFKC, lower case, a few
 * extra folds, HTML entities decoded, Traditional → Simplified) and every UTF-16 unit of the result
 * remembers the span of the original code point it came from, so tokens found in the folded text can be
 * highlighted in the original one. Per-code-point NFKC differs from whole-string NFKC only in composing
 * combining sequences, which the tokenizer redoes (NFC) on the words that contain marks.
 */
import { isHanCodePoint } from './char-class.ts';
import { toSimplifiedInPlace } from './chinese-convert.ts';

export interface NormalizedText {
  /** The folded text. */
  text: string;
  /** For each UTF-16 unit of `text`, the offset in the original where its source starts; null = identity. */
  starts: Int32Array | null;
  /** For each UTF-16 unit of `text`, the offset in the original where its source ends; null = identity. */
  ends: Int32Array | null;
}

const SPACE = [0x20];
const APOSTROPHE = [0x27];
const QUOTE = [0x22];
const HYPHEN = [0x2d];

/**
 * Folds applied instead of NFKC. Curly quotes and primes become the ASCII marks the number parser reads
 * as feet/inches (NFKC would turn ″ into two primes); dashes become hyphens; × is the dimension `x`;
 * trademark signs would otherwise decompose into letters glued to the brand (Nike™ → niketm).
 */
const SPECIAL_FOLDS = new Map<number, number[]>([
  [0x2018, APOSTROPHE],
  [0x2019, APOSTROPHE],
  [0x201b, APOSTROPHE],
  [0x2032, APOSTROPHE],
  [0x00b4, APOSTROPHE],
  [0x201c, QUOTE],
  [0x201d, QUOTE],
  [0x201f, QUOTE],
  [0x2033, QUOTE],
  [0x2010, HYPHEN],
  [0x2011, HYPHEN],
  [0x2012, HYPHEN],
  [0x2013, HYPHEN],
  [0x2014, HYPHEN],
  [0x2015, HYPHEN],
  [0x2212, HYPHEN],
  [0x00d7, [0x78]],
  [0x2122, SPACE],
  [0x2120, SPACE],
  [0x2121, SPACE],
  [0x00ae, SPACE],
  [0x00a9, SPACE],
  // Full case folding of the two letters toLowerCase leaves alone.
  [0x00df, [0x73, 0x73]],
  [0x1e9e, [0x73, 0x73]],
  [0x03c2, [0x03c3]],
]);

function computeFold(cp: number): number[] {
  const special = SPECIAL_FOLDS.get(cp);
  if (special !== undefined) return special;
  const folded = String.fromCodePoint(cp).normalize('NFKC').toLowerCase();
  const out: number[] = [];
  for (let i = 0; i < folded.length; i++) {
    let c = folded.codePointAt(i)!;
    if (c > 0xffff) i++;
    if (c === 0x2044) c = 0x2f; // fraction slash from ½ → 1⁄2
    const again = SPECIAL_FOLDS.get(c);
    if (again !== undefined) out.push(...again);
    else out.push(c);
  }
  return out;
}

// Single-code-point folds (the vast majority) live in a typed array: value = folded code point + 1.
const BMP_SIMPLE = new Int32Array(0x10000);
const COMPLEX = new Map<number, number[]>();

/** The folded code points for one non-ASCII code point, or a number when it folds to exactly one. */
function foldCodePoint(cp: number): number | number[] {
  if (cp < 0x10000) {
    const simple = BMP_SIMPLE[cp]!;
    if (simple > 0) return simple - 1;
    if (simple < 0) return COMPLEX.get(cp)!;
  } else {
    const cached = COMPLEX.get(cp);
    if (cached !== undefined) return cached;
  }
  const folded = computeFold(cp);
  if (cp < 0x10000) {
    if (folded.length === 1) {
      BMP_SIMPLE[cp] = folded[0]! + 1;
      return folded[0]!;
    }
    BMP_SIMPLE[cp] = -1;
  }
  COMPLEX.set(cp, folded);
  return folded;
}

const NAMED_ENTITIES = new Map<string, number>([
  ['amp', 0x26],
  ['quot', 0x22],
  ['apos', 0x27],
  ['lt', 0x3c],
  ['gt', 0x3e],
  ['nbsp', 0x20],
  ['reg', 0xae],
  ['trade', 0x2122],
  ['copy', 0xa9],
  ['deg', 0xb0],
  ['times', 0xd7],
  ['frac12', 0xbd],
  ['frac14', 0xbc],
  ['frac34', 0xbe],
  ['ndash', 0x2013],
  ['mdash', 0x2014],
  ['lsquo', 0x2018],
  ['rsquo', 0x2019],
  ['ldquo', 0x201c],
  ['rdquo', 0x201d],
  ['hellip', 0x2026],
  ['eacute', 0xe9],
]);

let entityLength = 0;
/**
 * Decodes the HTML entity starting with the `&` at `i` (scraped catalogues are full of `&amp;` and
 * `&quot;`). Returns the code point and sets `entityLength`, or returns -1.
 */
function decodeEntity(s: string, i: number): number {
  const limit = Math.min(s.length, i + 12);
  let j = i + 1;
  while (j < limit && s.charCodeAt(j) !== 0x3b) j++;
  if (j >= limit || j === i + 1) return -1;
  const body = s.slice(i + 1, j);
  let cp: number | undefined;
  if (body.charCodeAt(0) === 0x23) {
    const hex = body.charCodeAt(1) === 0x78 || body.charCodeAt(1) === 0x58;
    const digits = body.slice(hex ? 2 : 1);
    if (digits.length === 0 || !(hex ? /^[0-9a-f]+$/i : /^[0-9]+$/).test(digits)) return -1;
    cp = parseInt(digits, hex ? 16 : 10);
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  } else {
    cp = NAMED_ENTITIES.get(body.toLowerCase());
    if (cp === undefined) return -1;
  }
  entityLength = j + 1 - i;
  return cp;
}

function isVulgarFraction(cp: number): boolean {
  return (cp >= 0xbc && cp <= 0xbe) || (cp >= 0x2150 && cp <= 0x215e);
}

/** Needs the slow path: non-ASCII, or an `&` that may start an entity. */
function needsFullFold(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0x26) return true;
  }
  return false;
}

// Scratch buffers reused across calls (analysis is synchronous, so one set suffices): the folded code
// points and, for each, the span of the original code point it came from.
let cpBuf = new Int32Array(256);
let fromBuf = new Int32Array(256);
let toBuf = new Int32Array(256);

function grow(needed: number): void {
  let size = cpBuf.length;
  while (size < needed) size *= 2;
  const cps = new Int32Array(size);
  const from = new Int32Array(size);
  const to = new Int32Array(size);
  cps.set(cpBuf);
  from.set(fromBuf);
  to.set(toBuf);
  cpBuf = cps;
  fromBuf = from;
  toBuf = to;
}

function codePointsToString(cps: Int32Array, count: number, astral: boolean): string {
  if (count <= 8192) {
    const view = cps.subarray(0, count);
    return astral
      ? String.fromCodePoint(...view)
      : String.fromCharCode.apply(null, view as unknown as number[]);
  }
  let out = '';
  for (let k = 0; k < count; k += 8192) {
    const view = cps.subarray(k, Math.min(count, k + 8192));
    out += astral
      ? String.fromCodePoint(...view)
      : String.fromCharCode.apply(null, view as unknown as number[]);
  }
  return out;
}

/** Folds `input` for analysis and maps every unit of the result back to the original. */
export function normalizeWithOffsets(input: string): NormalizedText {
  if (!needsFullFold(input)) return { text: input.toLowerCase(), starts: null, ends: null };

  const n = input.length;
  let count = 0;
  // Offsets stay the identity while every source character folds to exactly one character of the same
  // UTF-16 width (the usual case: case folding, full-width forms, Traditional → Simplified); then no map
  // needs to be built at all.
  let identity = true;
  let astral = false;
  let hasHan = false;
  let i = 0;
  while (i < n) {
    if (count + 8 > cpBuf.length) grow(count + 8);
    const c = input.charCodeAt(i);
    if (c < 0x80 && c !== 0x26) {
      cpBuf[count] = c >= 0x41 && c <= 0x5a ? c + 32 : c;
      fromBuf[count] = i;
      toBuf[count++] = i + 1;
      i++;
      continue;
    }
    let cp: number;
    let width: number;
    if (c === 0x26) {
      const decoded = decodeEntity(input, i);
      if (decoded < 0) {
        cp = c;
        width = 1;
      } else {
        cp = decoded;
        width = entityLength;
        identity = false;
      }
    } else {
      cp = input.codePointAt(i)!;
      width = cp > 0xffff ? 2 : 1;
    }
    const end = i + width;
    if (cp < 0x80) {
      cpBuf[count] = cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
      fromBuf[count] = i;
      toBuf[count++] = end;
    } else if (cp >= 0x4e00 && cp <= 0x9fff) {
      // Unified ideographs are their own NFKC and lower case.
      hasHan = true;
      cpBuf[count] = cp;
      fromBuf[count] = i;
      toBuf[count++] = end;
    } else {
      const folded = foldCodePoint(cp);
      if (typeof folded === 'number') {
        if (!hasHan && isHanCodePoint(folded)) hasHan = true;
        if (folded > 0xffff) astral = true;
        if (folded > 0xffff !== cp > 0xffff) identity = false;
        cpBuf[count] = folded;
        fromBuf[count] = i;
        toBuf[count++] = end;
      } else {
        identity = false;
        if (count + folded.length + 1 > cpBuf.length) grow(count + folded.length + 1);
        // 1½ is one and a half, not 11/2: join a vulgar fraction to a preceding digit with a hyphen, the
        // way catalogues write mixed numbers (1-1/2).
        if (isVulgarFraction(cp) && count > 0) {
          const prev = cpBuf[count - 1]!;
          if (prev >= 0x30 && prev <= 0x39) {
            cpBuf[count] = 0x2d;
            fromBuf[count] = i;
            toBuf[count++] = end;
          }
        }
        for (const f of folded) {
          if (!hasHan && isHanCodePoint(f)) hasHan = true;
          if (f > 0xffff) astral = true;
          cpBuf[count] = f;
          fromBuf[count] = i;
          toBuf[count++] = end;
        }
      }
    }
    i = end;
  }

  if (hasHan && toSimplifiedInPlace(cpBuf, count)) {
    // Some character changed between the BMP and the supplementary planes (rare ideographs).
    identity = false;
    astral = false;
    for (let k = 0; k < count; k++) if (cpBuf[k]! > 0xffff) astral = true;
  }

  const text = codePointsToString(cpBuf, count, astral);
  if (identity) return { text, starts: null, ends: null };
  const starts = new Int32Array(text.length);
  const ends = new Int32Array(text.length);
  let u = 0;
  for (let k = 0; k < count; k++) {
    starts[u] = fromBuf[k]!;
    ends[u++] = toBuf[k]!;
    if (cpBuf[k]! > 0xffff) {
      starts[u] = fromBuf[k]!;
      ends[u++] = toBuf[k]!;
    }
  }
  return { text, starts, ends };
}

const WHITESPACE_RUNS = /\s+/g;

/**
 * The canonical form of a short text for exact comparisons (filter values, facet values): the same folds
 * as the analyser (NFKC, lower case, ß→ss, HTML entities, curly quotes and dashes, Traditional →
 * Simplified Chinese), whitespace runs collapsed to one space, and trimmed.
 */
export function normalizeText(text: string): string {
  let folded = normalizeWithOffsets(text).text;
  if (needsFullFold(folded)) folded = folded.normalize('NFC');
  return folded.replace(WHITESPACE_RUNS, ' ').trim();
}
