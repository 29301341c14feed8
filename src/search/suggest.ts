/**
 * Query suggestions (autocomplete): candidates are popular queries from the feedback aggregates and titles
 * of products the prefix finds; this module decides which of them continue what was typed and in which
 * order. Pinyin typed in Latin letters (`xiaog`) is read as the Chinese it may start (小狗) against the
 * catalogue's own characters and bigrams, so Chinese candidates match it too.
 */
import { termKey } from '../lexical/lexical-index.ts';
import { charactersForSyllable, pinyinSyllables } from '../query/dictionary-bridge.ts';

export type SuggestionSource = 'query' | 'product';

export interface Suggestion {
  text: string;
  source: SuggestionSource;
  /** In (0, 1]: how well the text continues the prefix, times its popularity within its source. */
  score: number;
}

export interface SuggestionCandidate {
  text: string;
  source: SuggestionSource;
  /** Popularity (feedback weight of a query, retrieval score of a product); 0 or more. */
  weight: number;
}

export interface RankSuggestionsOptions {
  limit: number;
  /** Chinese strings the prefix may spell as pinyin (`pinyinPrefixReadings`). */
  chinesePrefixes?: readonly string[];
}

/** Popular queries come before product titles of the same match quality. */
const SOURCE_FACTOR: Record<SuggestionSource, number> = { query: 1, product: 0.8 };
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/** NFKC, lower case, single spaces. */
export function normalizeSuggestText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * How well `text` continues `prefix`, 0 when it does not: 1 for a text starting with the prefix, 0.8 when
 * the prefix starts a later word, 0.6 when its words all appear (the last as a word prefix), 0.7 for
 * Chinese contained anywhere; a pinyin reading scores 0.9 at the start and 0.6 inside. Normalised inputs.
 */
export function matchQuality(prefix: string, text: string, chinesePrefixes: readonly string[] = []): number {
  if (prefix === '') return 1;
  if (text.startsWith(prefix)) return 1;
  let best = 0;
  if (text.includes(` ${prefix}`)) best = 0.8;
  else if (CJK.test(prefix) && text.includes(prefix)) best = 0.7;
  else if (wordsMatch(prefix, text)) best = 0.6;
  for (const chinese of chinesePrefixes) {
    if (text.startsWith(chinese)) best = Math.max(best, 0.9);
    else if (text.includes(chinese)) best = Math.max(best, 0.6);
  }
  return best;
}

function wordsMatch(prefix: string, text: string): boolean {
  const words = prefix.split(' ');
  const textWords = text.split(/[\s,.;:!?()[\]/|-]+/).filter((w) => w !== '');
  const last = words.pop() ?? '';
  return (
    words.every((word) => textWords.includes(word)) &&
    textWords.some((word) => word.startsWith(last) && !words.includes(word))
  );
}

/**
 * The suggestions for `prefix`, best first: each distinct text once (its best source), score = match
 * quality × source factor × (0.5 + 0.5 × weight / the source's highest weight); ties go to the shorter text.
 */
export function rankSuggestions(
  prefix: string,
  candidates: readonly SuggestionCandidate[],
  options: RankSuggestionsOptions,
): Suggestion[] {
  const typed = normalizeSuggestText(prefix);
  const chinese = options.chinesePrefixes ?? [];
  const maxWeight: Record<SuggestionSource, number> = { query: 0, product: 0 };
  for (const candidate of candidates) {
    maxWeight[candidate.source] = Math.max(maxWeight[candidate.source], candidate.weight);
  }
  const best = new Map<string, Suggestion>();
  for (const candidate of candidates) {
    const text = candidate.text.replace(/\s+/g, ' ').trim();
    const key = normalizeSuggestText(text);
    if (key === '') continue;
    const quality = matchQuality(typed, key, chinese);
    if (quality === 0) continue;
    const top = maxWeight[candidate.source];
    const popularity = top > 0 ? Math.max(0, candidate.weight) / top : 1;
    const score = quality * SOURCE_FACTOR[candidate.source] * (0.5 + 0.5 * popularity);
    const seen = best.get(key);
    if (seen === undefined || score > seen.score) {
      best.set(key, { text, source: candidate.source, score: Math.round(score * 10_000) / 10_000 });
    }
  }
  return [...best.values()]
    .sort(
      (a, b) =>
        b.score - a.score ||
        a.text.length - b.text.length ||
        (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
    )
    .slice(0, Math.max(0, options.limit));
}

/** Live products containing an index term key (the lexical index answers it). */
export interface CatalogueFrequency {
  frequency(key: string): number;
}

const NOT_INPUT_SYLLABLES = new Set(['hm', 'hng', 'm', 'n', 'ng', 'r', 'xx', 'o', 'lo', 'yo', 'ei']);
const LONGEST_SYLLABLE = 6;
const MAX_LETTERS = 24;
const MAX_SEGMENTATIONS = 16;
const CHARACTERS_PER_SYLLABLE = 16;
const BEAM = 8;

let syllableTable: { valid: Set<string>; byPrefix: Map<string, string[]> } | undefined;

function syllables(): { valid: Set<string>; byPrefix: Map<string, string[]> } {
  if (syllableTable === undefined) {
    const valid = new Set([...pinyinSyllables()].filter((s) => !NOT_INPUT_SYLLABLES.has(s)));
    const byPrefix = new Map<string, string[]>();
    for (const syllable of valid) {
      for (let length = 1; length <= syllable.length; length++) {
        const head = syllable.slice(0, length);
        const list = byPrefix.get(head);
        if (list) list.push(syllable);
        else byPrefix.set(head, [syllable]);
      }
    }
    syllableTable = { valid, byPrefix };
  }
  return syllableTable;
}

/**
 * Ways to split letters into pinyin syllables, every one complete but the last, which may be the start of
 * a syllable (`xiaog` → [xiao, g…]); each piece lists the syllables it may be. At least two pieces.
 */
export function pinyinSegmentations(letters: string): string[][][] {
  const { valid, byPrefix } = syllables();
  const out: string[][][] = [];
  const walk = (position: number, pieces: string[][]): void => {
    if (out.length >= MAX_SEGMENTATIONS) return;
    for (let length = LONGEST_SYLLABLE; length >= 1; length--) {
      const end = position + length;
      if (end > letters.length) continue;
      const piece = letters.slice(position, end);
      if (end === letters.length) {
        const options = byPrefix.get(piece);
        if (options && pieces.length >= 1) out.push([...pieces, options]);
      } else if (valid.has(piece)) {
        walk(end, [...pieces, [piece]]);
      }
    }
  };
  if (/^[a-z]+$/.test(letters) && letters.length <= MAX_LETTERS) walk(0, []);
  return out;
}

/**
 * The Chinese the typed letters most likely start in this catalogue, best first: characters the catalogue
 * uses for each syllable, chained through character bigrams the catalogue's titles contain (a chain the
 * catalogue never writes is no reading). Empty for letters that are not pinyin.
 */
export function pinyinPrefixReadings(letters: string, catalogue: CatalogueFrequency, max = 3): string[] {
  const charCache = new Map<string, Array<{ char: string; weight: number }>>();
  const charsOf = (options: readonly string[]): Array<{ char: string; weight: number }> => {
    const cacheKey = options.join(',');
    const cached = charCache.get(cacheKey);
    if (cached) return cached;
    const found = new Map<string, number>();
    for (const syllable of options) {
      for (const char of charactersForSyllable(syllable)) {
        if (found.has(char)) continue;
        const frequency = catalogue.frequency(termKey({ term: char, kind: 'cjk-char' }));
        if (frequency > 0) found.set(char, Math.log(1 + frequency));
      }
    }
    const list = [...found]
      .map(([char, weight]) => ({ char, weight }))
      .sort((a, b) => b.weight - a.weight)
      .slice(0, CHARACTERS_PER_SYLLABLE);
    charCache.set(cacheKey, list);
    return list;
  };
  const readings = new Map<string, number>();
  for (const pieces of pinyinSegmentations(letters)) {
    let beam: Array<{ text: string; score: number }> = [{ text: '', score: 0 }];
    for (const piece of pieces) {
      const next: Array<{ text: string; score: number }> = [];
      for (const state of beam) {
        for (const { char, weight } of charsOf(piece)) {
          if (state.text === '') {
            next.push({ text: char, score: weight });
            continue;
          }
          const pair = state.text.slice(-1) + char;
          const frequency = catalogue.frequency(termKey({ term: pair, kind: 'cjk-bigram' }));
          if (frequency > 0)
            next.push({ text: state.text + char, score: state.score + 2 * Math.log(1 + frequency) });
        }
      }
      beam = next.sort((a, b) => b.score - a.score).slice(0, BEAM);
      if (beam.length === 0) break;
    }
    for (const state of beam) {
      if ([...state.text].length !== pieces.length) continue;
      readings.set(state.text, Math.max(readings.get(state.text) ?? -Infinity, state.score));
    }
  }
  return [...readings]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([text]) => text);
}
