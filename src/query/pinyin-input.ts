/**
 * Pinyin typed in Latin letters (`xiaogouwo`, `xiao gou wo`, `gouwo`) read as the Chinese it spells,
 * the way a pinyin input method does it, with the catalogue as the language model: every syllable can be
 * any character with that reading (CC-CEDICT's readings, tones ignored), and the best reading is the
 * chain of characters whose neighbours most often stand together in the catalogue's own titles (its
 * character bigrams). So `gouwo` becomes 狗窝 in a pet shop, not 购我, and a shop that sells no 窝 never
 * gets it.
 *
 * English words that happen to spell pinyin (`long`, `pan`, `women`, `china`) must keep their English
 * meaning: single syllables are never read as pinyin, and a reading weighs much less when the query's own
 * words are in the catalogue or in the dictionary's English vocabulary.
 */
import type { QueryTerm } from '../lexical/lexical-index.ts';
import { termKey } from '../lexical/lexical-index.ts';
import { analyze } from '../text/analyzer.ts';
import type { Token } from '../text/token.ts';
import {
  charactersForSyllable,
  isEnglishTerm,
  pinyinSyllables,
  wordsForPinyin,
} from './dictionary-bridge.ts';

export interface PinyinContext {
  /** Live products containing an index term key. */
  frequency(key: string): number;
  readonly size: number;
}

/** Readings CC-CEDICT has for interjections and erhua: as pinyin input they only let English words parse. */
const NOT_INPUT_SYLLABLES = new Set(['hm', 'hng', 'm', 'n', 'ng', 'r', 'xx', 'o', 'lo', 'yo', 'ei']);
/** Typists write ü as u after n and l (`nu` for nǚ as well as nǔ). */
const U_FOR_V = new Map([
  ['nu', 'nv'],
  ['lu', 'lv'],
  ['nue', 'nve'],
  ['lue', 'lve'],
]);
const LONGEST_SYLLABLE = 6;
/** Characters considered per syllable: the ones the catalogue uses most. */
const CANDIDATES_PER_SYLLABLE = 16;
/** Characters of a syllable looked up in the catalogue, most common first. */
const CHARACTERS_SCANNED = 40;
/** Viterbi scores (natural-log scale): each character costs, its catalogue frequency pays back a little,
 *  a catalogue bigram pays its log frequency, a dictionary word the catalogue never writes (狗窝 in a shop
 *  without one) pays as a rare bigram, and any other pair costs. */
const CHARACTER_COST = 2;
const CHARACTER_FREQUENCY = 0.3;
const DICTIONARY_PAIR = 0.7;
const UNSEEN_PAIR = -3;
/** Longest letter run read as pinyin (a title pasted in Latin letters is not typed pinyin). */
const MAX_LETTERS = 40;

let inputSyllables: Set<string> | undefined;

function syllables(): Set<string> {
  if (inputSyllables === undefined) {
    inputSyllables = new Set([...pinyinSyllables()].filter((syllable) => !NOT_INPUT_SYLLABLES.has(syllable)));
  }
  return inputSyllables;
}

/**
 * Every way to split the letter groups into syllables is a path through this lattice: `edges[i]` lists
 * the syllables starting at letter i. Syllables never cross a space the shopper typed.
 */
function syllableLattice(groups: readonly string[]): { letters: string; edges: string[][] } | undefined {
  const valid = syllables();
  const letters = groups.join('');
  const edges: string[][] = Array.from({ length: letters.length }, () => []);
  let offset = 0;
  for (const group of groups) {
    for (let i = 0; i < group.length; i++) {
      for (let length = 1; length <= LONGEST_SYLLABLE && i + length <= group.length; length++) {
        const syllable = group.slice(i, i + length);
        if (valid.has(syllable)) edges[offset + i]!.push(syllable);
      }
    }
    offset += group.length;
  }
  // Every group must split completely into syllables, or it is not pinyin.
  const reachable = new Uint8Array(letters.length + 1);
  reachable[0] = 1;
  for (let i = 0; i < letters.length; i++) {
    if (reachable[i] === 0) continue;
    for (const syllable of edges[i]!) reachable[i + syllable.length] = 1;
  }
  return reachable[letters.length] === 1 ? { letters, edges } : undefined;
}

function bigramKey(pair: string): string {
  return termKey({ term: pair, kind: 'cjk-bigram' });
}

interface Candidate {
  char: string;
  /** log of the catalogue frequency of the character. */
  weight: number;
}

function candidatesFor(
  syllable: string,
  context: PinyinContext,
  cache: Map<string, Candidate[]>,
): Candidate[] {
  const cached = cache.get(syllable);
  if (cached !== undefined) return cached;
  const out: Candidate[] = [];
  for (const reading of [syllable, U_FOR_V.get(syllable)]) {
    if (reading === undefined) continue;
    // Common characters first, so a syllable with a hundred characters (shi, yi) costs a bounded scan.
    const chars = charactersForSyllable(reading);
    for (let k = 0; k < chars.length && k < CHARACTERS_SCANNED; k++) {
      const frequency = context.frequency(chars[k]!);
      if (frequency > 0) out.push({ char: chars[k]!, weight: Math.log(1 + frequency) });
    }
  }
  out.sort((a, b) => b.weight - a.weight);
  out.length = Math.min(out.length, CANDIDATES_PER_SYLLABLE);
  cache.set(syllable, out);
  return out;
}

/** A reading of the letters: Chinese characters, and the syllable count behind them. */
export interface PinyinReading {
  chinese: string;
  syllables: number;
  /** Adjacent character pairs of the reading that the catalogue uses or the dictionary has as a word. */
  knownBigrams: number;
}

/**
 * The best Chinese reading of letter groups (one per typed word) against the catalogue, or undefined
 * when they do not spell pinyin or the catalogue has no characters for them. Viterbi over (letter
 * position, character): a character scores the log of its catalogue frequency, a pair of neighbours the
 * log of their bigram's frequency (a dictionary word the catalogue lacks scores as if seen once), and
 * any other pair costs a fixed penalty.
 */
export function readPinyin(groups: readonly string[], context: PinyinContext): PinyinReading | undefined {
  const lattice = syllableLattice(groups);
  if (lattice === undefined) return undefined;
  const { letters, edges } = lattice;
  const n = letters.length;
  const candidates = new Map<string, Candidate[]>();
  const dictionaryPairs = new Map<string, Set<string>>();
  interface State {
    char: string;
    syllable: string;
    score: number;
    previous: State | undefined;
    syllables: number;
    bigrams: number;
  }
  // States ending at each letter position, at most one per character.
  const ending: State[][] = Array.from({ length: n + 1 }, () => []);
  const start: State = { char: '', syllable: '', score: 0, previous: undefined, syllables: 0, bigrams: 0 };
  ending[0]!.push(start);
  for (let p = 0; p < n; p++) {
    const before = ending[p]!;
    if (before.length === 0) continue;
    for (const syllable of edges[p]!) {
      const target = ending[p + syllable.length]!;
      for (const candidate of candidatesFor(syllable, context, candidates)) {
        let best: State | undefined;
        let bestScore = -Infinity;
        let bestBigram = false;
        for (const state of before) {
          let score = state.score + candidate.weight * CHARACTER_FREQUENCY - CHARACTER_COST;
          let bigram = false;
          if (state !== start) {
            const pair = state.char + candidate.char;
            const frequency = context.frequency(bigramKey(pair));
            if (frequency > 0) {
              score += Math.log(1 + frequency);
              bigram = true;
            } else if (dictionaryPairsFor(state.syllable, syllable, dictionaryPairs).has(pair)) {
              score += DICTIONARY_PAIR;
              bigram = true;
            } else {
              score += UNSEEN_PAIR;
            }
          }
          if (score > bestScore) {
            bestScore = score;
            best = state;
            bestBigram = bigram;
          }
        }
        if (best === undefined) continue;
        const at = target.findIndex((state) => state.char === candidate.char);
        if (at >= 0 && target[at]!.score >= bestScore) continue;
        const state: State = {
          char: candidate.char,
          syllable,
          score: bestScore,
          previous: best,
          syllables: best.syllables + 1,
          bigrams: best.bigrams + (bestBigram ? 1 : 0),
        };
        if (at >= 0) target[at] = state;
        else target.push(state);
      }
    }
  }
  let end: State | undefined;
  for (const state of ending[n]!) if (end === undefined || state.score > end.score) end = state;
  if (end === undefined || end === start) return undefined;
  let chinese = '';
  for (let state: State | undefined = end; state !== undefined && state !== start; state = state.previous) {
    chinese = state.char + chinese;
  }
  return { chinese, syllables: end.syllables, knownBigrams: end.bigrams };
}

/** Two-character dictionary words read `first second` (狗窝 for gou + wo). */
function dictionaryPairsFor(first: string, second: string, cache: Map<string, Set<string>>): Set<string> {
  const key = `${first} ${second}`;
  let pairs = cache.get(key);
  if (pairs === undefined) {
    pairs = new Set();
    for (const word of wordsForPinyin(first + second)) if (word.length === 2) pairs.add(word);
    cache.set(key, pairs);
  }
  return pairs;
}

/** Share of a Chinese reading's weight per kind of index term, as a native Chinese query weighs them. */
const KIND_SHARE = { 'cjk-word': 0.25, 'cjk-char': 0.7, 'cjk-bigram': 0.25, word: 0, number: 0 } as const;

/**
 * Chinese query terms for a query typed in pinyin, and the Chinese it was read as. Each run of typed words
 * that all spell pinyin is read on its own (`nike yundongxie` reads `yundongxie`); a run of one syllable
 * (a homophone lottery, and most short English words) or one whose characters the catalogue never writes
 * together gives nothing. `weight` scales the terms relative to a native Chinese query.
 */
export function pinyinTerms(
  tokens: readonly Token[],
  planned: readonly QueryTerm[],
  context: PinyinContext,
  weight: number,
): { terms: QueryTerm[]; reading: string | undefined } {
  // Whether the query's own words find anything: then English words among them are English.
  const nativeFound = planned.some(
    (term) => term.alternativeCredit === undefined && context.frequency(termKey(term)) > 0,
  );
  const runs: string[][] = [];
  let run: string[] = [];
  for (const token of tokens) {
    const spellsPinyin =
      token.kind === 'word' &&
      /^[a-z]+$/.test(token.surface) &&
      syllableLattice([token.surface]) !== undefined;
    if (spellsPinyin) {
      run.push(token.surface);
      continue;
    }
    if (run.length > 0) runs.push(run);
    run = [];
  }
  if (run.length > 0) runs.push(run);
  const terms = new Map<string, QueryTerm>();
  const readings: string[] = [];
  for (const groups of runs) {
    if (groups.reduce((sum, group) => sum + group.length, 0) > MAX_LETTERS) continue;
    // English words keep their English meaning (`women`, `china`): read as pinyin only when the query
    // finds nothing in the catalogue otherwise, and then weakly.
    const english = groups.filter((group) => isEnglishTerm(stemOf(group))).length;
    if (english === groups.length && nativeFound) continue;
    const reading = readPinyin(groups, context);
    if (reading === undefined || reading.syllables < 2 || reading.knownBigrams === 0) continue;
    let scale = weight * (reading.knownBigrams / (reading.syllables - 1));
    if (english === groups.length) scale *= 0.15;
    else if (english > 0) scale *= 0.5;
    readings.push(reading.chinese);
    for (const token of analyze(reading.chinese)) {
      const key = termKey(token);
      if (terms.has(key) || context.frequency(key) === 0) continue;
      terms.set(key, {
        term: token.term,
        surface: token.surface,
        kind: token.kind,
        weight: scale * KIND_SHARE[token.kind],
        prefix: false,
        maxTypos: 0,
      });
    }
  }
  return { terms: [...terms.values()], reading: readings.length > 0 ? readings.join(' ') : undefined };
}

function stemOf(word: string): string {
  return analyze(word)[0]?.term ?? word;
}
