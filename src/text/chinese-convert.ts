/**
 * Traditional → Simplified Chinese folding with OpenCC's Taiwan profile (`{ from: 'tw', to: 'cn' }`).
 *
 * Why not call `OpenCC.Converter` directly: it costs ~14 µs per title (string splitting and joining in
 * three passes), over a third of the Chinese indexing budget, and its output length may differ from its
 * input, which would break the offsets the highlighter needs. This module loads the same dictionaries and
 * applies the same algorithm (segment with TSPhrases, then TW variants, then phrases and characters, each
 * by longest match inside a segment), but on an array of code points in place, and keeps only entries whose
 * replacement has as many code points as the source (in opencc-js 1.4.2 every entry does). So code point i
 * of the output always comes from code point i of the input. The test suite checks parity with OpenCC on
 * real Taiwan product titles.
 *
 * Why `tw` rather than `twp`: `twp` also rewrites Taiwan vocabulary (滑鼠→鼠标, 隨身碟→U盘), but many of
 * those rewrites change length and some are wrong outside IT (執行→运行). Vocabulary bridging belongs in a
 * synonym layer, not in character folding.
 */
import { configs } from 'opencc-js/preset/t2cn';

interface TrieNode {
  next: Map<number, TrieNode> | undefined;
  /** Replacement code points when a dictionary key ends here. */
  value: number[] | undefined;
}

interface Trie {
  /** First level for BMP code points, as a dense array: most characters start no key, and an array read
   *  beats a map miss. */
  rootBmp: Array<TrieNode | undefined>;
  rootAstral: Map<number, TrieNode>;
}

/** Anything indexable that holds code points: the analyser passes a reused Int32Array. */
export interface CodePointBuffer {
  [index: number]: number;
  readonly length: number;
}

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const cp = s.codePointAt(i)!;
    out.push(cp);
    if (cp > 0xffff) i++;
  }
  return out;
}

/** Flattens opencc-js's dictionary shapes: "k v|k v" strings, possibly nested in (groups of) arrays. */
function collectEntries(source: unknown, out: Array<[string, string]>): void {
  if (typeof source === 'string') {
    if (source === '') return;
    for (const line of source.split('|')) {
      const parts = line.split(' ');
      const key = parts[0];
      const value = parts[1];
      if (key !== undefined && value !== undefined && key !== '') out.push([key, value]);
    }
  } else if (Array.isArray(source)) {
    for (const item of source) collectEntries(item, out);
  }
}

/** Builds a longest-match trie; earlier entries win, like OpenCC's dictionary groups. */
function buildTrie(groups: unknown, keysOnly = false): Trie {
  const entries: Array<[string, string]> = [];
  collectEntries(groups, entries);
  const rootBmp: Array<TrieNode | undefined> = new Array<TrieNode | undefined>(0x10000).fill(undefined);
  const rootAstral = new Map<number, TrieNode>();
  for (const [key, value] of entries) {
    const keyCps = codePoints(key);
    const valueCps = codePoints(value);
    if (keyCps.length === 0) continue;
    if (!keysOnly && keyCps.length !== valueCps.length) continue;
    const first = keyCps[0]!;
    let node = first <= 0xffff ? rootBmp[first] : rootAstral.get(first);
    if (node === undefined) {
      node = { next: undefined, value: undefined };
      if (first <= 0xffff) rootBmp[first] = node;
      else rootAstral.set(first, node);
    }
    for (let k = 1; k < keyCps.length; k++) {
      const level: Map<number, TrieNode> = (node.next ??= new Map());
      let child: TrieNode | undefined = level.get(keyCps[k]!);
      if (child === undefined) {
        child = { next: undefined, value: undefined };
        level.set(keyCps[k]!, child);
      }
      node = child;
    }
    node.value ??= keysOnly ? keyCps : valueCps;
  }
  return { rootBmp, rootAstral };
}

/** Length of the longest key matching `cps` at `i` without crossing `end`, or 0; sets `matchValue`. */
let matchValue: number[] | undefined;
function matchLongest(trie: Trie, cps: CodePointBuffer, i: number, end: number): number {
  const first = cps[i]!;
  let node = first <= 0xffff ? trie.rootBmp[first] : trie.rootAstral.get(first);
  let best = 0;
  let j = i;
  while (node !== undefined) {
    j++;
    if (node.value !== undefined) {
      best = j - i;
      matchValue = node.value;
    }
    if (j >= end || node.next === undefined) break;
    node = node.next.get(cps[j]!);
  }
  return best;
}

interface Converter {
  segmentation: Trie;
  stages: Trie[];
}

let converter: Converter | undefined;

function getConverter(): Converter {
  if (converter !== undefined) return converter;
  const config = configs['tw2s'];
  if (config === undefined) throw new Error('opencc-js preset has no tw2s configuration');
  converter = {
    segmentation: buildTrie(config.segmentation, true),
    stages: config.conversionChain.map((group) => buildTrie(group)),
  };
  return converter;
}

let widthChanged = false;

function convertRange(trie: Trie, cps: CodePointBuffer, start: number, end: number): void {
  let i = start;
  while (i < end) {
    const len = matchLongest(trie, cps, i, end);
    if (len === 0) {
      i++;
      continue;
    }
    const value = matchValue!;
    for (let k = 0; k < len; k++) {
      const before = cps[i + k]!;
      const after = value[k]!;
      if (before > 0xffff !== after > 0xffff) widthChanged = true;
      cps[i + k] = after;
    }
    i += len;
  }
}

function convertSegment(stages: Trie[], cps: CodePointBuffer, start: number, end: number): void {
  for (const stage of stages) convertRange(stage, cps, start, end);
}

/**
 * Folds the first `count` code points of `cps` from Traditional to Simplified in place; code point i of
 * the result comes from code point i of the input. Returns whether any code point moved between the BMP
 * and the supplementary planes (its UTF-16 length changed).
 */
export function toSimplifiedInPlace(cps: CodePointBuffer, count = cps.length): boolean {
  const { segmentation, stages } = getConverter();
  widthChanged = false;
  // OpenCC converts each TSPhrases segment (and each stretch between them) separately, so a variant
  // phrase never matches across a phrase boundary.
  let pending = 0;
  let i = 0;
  while (i < count) {
    const len = matchLongest(segmentation, cps, i, count);
    if (len === 0) {
      i++;
      continue;
    }
    if (pending < i) convertSegment(stages, cps, pending, i);
    convertSegment(stages, cps, i, i + len);
    i += len;
    pending = i;
  }
  if (pending < count) convertSegment(stages, cps, pending, count);
  return widthChanged;
}

/** Traditional → Simplified for a whole string (same number of code points out as in). */
export function toSimplified(text: string): string {
  const cps = codePoints(text);
  toSimplifiedInPlace(cps);
  return fromCodePoints(cps);
}

export function fromCodePoints(cps: readonly number[]): string {
  let out = '';
  for (let i = 0; i < cps.length; i += 4096) {
    out += String.fromCodePoint(...cps.slice(i, i + 4096));
  }
  return out;
}
