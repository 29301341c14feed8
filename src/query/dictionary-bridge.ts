/**
 * CC-CEDICT as a bilingual bridge: Chinese words → English index terms, English words → Chinese words.
 *
 * The dictionary (124k entries, an 11 MB JS module in `cc-cedict/data/all.js`) is read once, lazily, on
 * the first query that needs it, and boiled down to one string of cleaned glosses per Simplified headword
 * (the JSON parse is the cost, ~0.25 s; the raw module would also keep ~60 MB of objects alive). The
 * English → Chinese inverted map and the pinyin map are derived from it on first use of each direction, so
 * an English-only shop never pays for any of it.
 *
 * Glosses are cleaned the way a translator would read them: surname, variant, "see …", "used in …",
 * classifier and pronunciation notes are not translations; parenthetical notes are dropped; `to ` is
 * stripped from verbs; long descriptive glosses (`a kind of …`) are not search words. English glosses are
 * turned into index terms with the analyser itself, so `dried` meets `dry` exactly as the index stems it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { grow } from '../lexical/growable.ts';
import { analyze } from '../text/analyzer.ts';
import { cutHan } from '../text/chinese-segment.ts';
import { stem } from '../text/stem.ts';

/** One English index term a Chinese word translates to. */
export interface EnglishGloss {
  /** Index term (stemmed, as the analyser makes it). */
  term: string;
  /** Unstemmed word, for the index's surface lookup and for rendering a translation. */
  surface: string;
  /** Agreement of the word's senses on this term, 0…1 (1 for the best-supported term). */
  share: number;
}

/** One Chinese word an English word or phrase translates to. */
export interface ChineseGloss {
  /** Simplified headword (the form the index stores). */
  word: string;
  /** How strongly the English reads as this word, 0…1 (1 for the best candidate). */
  share: number;
}

export interface DictionaryStats {
  /** Simplified headwords (all-Han ones; a headword's entries are merged). */
  words: number;
  /** Milliseconds to read and compact the dictionary file. */
  loadMs: number;
  /** Milliseconds to build the English → Chinese map (0 until first used). */
  englishIndexMs: number;
  /** Milliseconds to build the pinyin map (0 until first used). */
  pinyinIndexMs: number;
}

type RawEntry = [string, string, string, string | string[], number[]?, number[]?];

interface Dictionary {
  /** Simplified headword → entry number. */
  index: Map<string, number>;
  words: string[];
  /** Per entry: CC-CEDICT's senses, '\n'-separated, as the file has them. */
  rawSenses: string[];
  /** Per entry: CC-CEDICT's readings (`shou3 ji1 ke2`), '|'-separated. */
  rawPinyin: string[];
  /** Per entry, filled on first use: see `glossesOf`. */
  glosses: Array<string | undefined>;
  maxWordLength: number;
}

const stats: DictionaryStats = { words: 0, loadMs: 0, englishIndexMs: 0, pinyinIndexMs: 0 };
let dictionary: Dictionary | undefined;
let dictionaryFailed = false;

/** Senses that are cross-references or notes, never translations. */
const NOT_A_TRANSLATION =
  /^\(?(?:(?:old|archaic|ancient|obscure|erhua|japanese|also|same as|taiwan) )?(?:variant\b|see\b|used in\b|written\b|also\b|abbr\.|surname\b|classifier\b|cl:|kangxi radical\b|radical\b|pr\.|euphemism\b|pr\b|name of\b)/;
/** Register notes that make a sense unlikely in product text: kept, but weak. */
const WEAK_SENSE =
  /^(?:lit\.|fig\.|\((?:literary|archaic|old|classical|dialect|slang|vulgar|idiom|buddhism|taoism|onom\.|derog\.|math\.|chemistry|medicine|zoology|botany|astronomy|physics|geology|bird species|fish species|old usage|historical)[^)]*\))/;
/** An alternative longer than this many words is a description, not a translation. */
const MAX_GLOSS_WORDS = 4;

/** The package exports only its ESM entry, so its data file is found along Node's module search path. */
function cedictFile(): string {
  for (const dir of createRequire(import.meta.url).resolve.paths('cc-cedict') ?? []) {
    const file = join(dir, 'cc-cedict', 'data', 'all.js');
    if (existsSync(file)) return file;
  }
  throw new Error('cc-cedict data not found');
}

function isHanWord(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      i++;
      continue;
    }
    if (!((c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)))
      return false;
  }
  return word.length > 0;
}

const HAS_LETTERS = /[a-z]{2}/;
const NON_ASCII_OR_BAR = /[|\u0080-\uffff]/;
const HAN_OR_BAR = /[\u2e80-\u9fff\uf900-\ufaff\ud800-\udfff|]+/g;
const EDGE_PUNCTUATION = /^[\s~]+|[\s.:!?"~]+$/g;

/**
 * A sense's usable alternatives ('\t'-joined, with a leading '~' when the sense is weak), or '' when it
 * translates nothing. Notes in parentheses or brackets and Chinese cross-references go first, so their
 * commas do not split the sense ("shell (of an egg, nut, crab etc)" is one alternative, `shell`).
 */
function cleanSense(raw: string): string {
  const sense = raw.toLowerCase();
  if (NOT_A_TRANSLATION.test(sense)) return '';
  const weak = WEAK_SENSE.test(sense);
  let text = sense.startsWith('lit. ') || sense.startsWith('fig. ') ? sense.slice(5) : sense;
  for (let guard = 0; guard < 3 && (text.includes('(') || text.includes('[')); guard++) {
    text = text.replace(/\([^()]*\)/g, ' ').replace(/\[[^[\]]*\]/g, ' ');
  }
  if (NON_ASCII_OR_BAR.test(text)) text = text.replace(HAN_OR_BAR, ' ');
  const alternatives: string[] = [];
  for (const part of text.split(/[;,]/)) {
    let cleaned = part.trim();
    if (cleaned.startsWith('to ')) cleaned = cleaned.slice(3);
    else if (cleaned.startsWith('a ')) cleaned = cleaned.slice(2);
    else if (cleaned.startsWith('an ')) cleaned = cleaned.slice(3);
    else if (cleaned.startsWith('the ')) cleaned = cleaned.slice(4);
    cleaned = cleaned.replace(EDGE_PUNCTUATION, '');
    if (cleaned.includes('  ')) cleaned = cleaned.replace(/\s+/g, ' ');
    if (!HAS_LETTERS.test(cleaned) || glossWords(cleaned) > MAX_GLOSS_WORDS) continue;
    if (NOT_A_TRANSLATION.test(cleaned)) continue;
    alternatives.push(cleaned);
  }
  if (alternatives.length === 0) return '';
  return (weak ? '~' : '') + alternatives.join('\t');
}

function tonelessPinyin(pinyin: string): string | undefined {
  const syllables: string[] = [];
  for (const raw of pinyin.toLowerCase().split(' ')) {
    const syllable = raw.replace(/[1-5]$/, '').replace('u:', 'v');
    if (!/^[a-z]+$/.test(syllable)) return undefined;
    syllables.push(syllable);
  }
  return syllables.join(' ');
}

function load(): Dictionary | undefined {
  if (dictionary !== undefined || dictionaryFailed) return dictionary;
  const started = performance.now();
  let raw: { all: RawEntry[] };
  try {
    const source = readFileSync(cedictFile(), 'utf8');
    raw = JSON.parse(source.slice(source.indexOf('{'), source.lastIndexOf('}') + 1)) as { all: RawEntry[] };
  } catch {
    // No dictionary data: the bridge is simply off, search itself keeps working.
    dictionaryFailed = true;
    return undefined;
  }
  const index = new Map<string, number>();
  const words: string[] = [];
  const rawSenses: string[] = [];
  const rawPinyin: string[] = [];
  // Entries of one headword are spread over readings (长 cháng "long", zhǎng "to grow"); lower-case
  // readings are common words, capitalised ones names, so common senses come first.
  const common: RawEntry[] = [];
  const names: RawEntry[] = [];
  for (const entry of raw.all) {
    if (!isHanWord(entry[1])) continue;
    const first = entry[2].charCodeAt(0);
    (first >= 0x41 && first <= 0x5a ? names : common).push(entry);
  }
  let maxWordLength = 1;
  // Senses and readings are kept raw and cleaned on first use: cleaning all 200k senses up front would
  // double the load time for the few hundred words a session looks up.
  for (const entries of [common, names]) {
    for (const entry of entries) {
      const word = entry[1];
      const english = typeof entry[3] === 'string' ? entry[3] : entry[3].join('\n');
      const at = index.get(word);
      if (at === undefined) {
        index.set(word, words.length);
        words.push(word);
        rawSenses.push(english);
        rawPinyin.push(entry[2]);
        maxWordLength = Math.max(maxWordLength, word.length);
      } else {
        rawSenses[at] += `\n${english}`;
        rawPinyin[at] += `|${entry[2]}`;
      }
    }
  }
  dictionary = {
    index,
    words,
    rawSenses,
    rawPinyin,
    glosses: new Array<string | undefined>(words.length),
    maxWordLength,
  };
  stats.words = words.length;
  stats.loadMs = Math.round(performance.now() - started);
  return dictionary;
}

/** Cleaned senses of entry `at` ('\n' between senses, '\t' between alternatives, '~' before weak ones). */
function glossesOf(dict: Dictionary, at: number): string {
  let cleaned = dict.glosses[at];
  if (cleaned === undefined) {
    cleaned = dict.rawSenses[at]!.split('\n').map(cleanSense).filter(Boolean).join('\n');
    dict.glosses[at] = cleaned;
  }
  return cleaned;
}

/** Distinct toneless readings of entry `at`. */
function readingsOf(dict: Dictionary, at: number): string[] {
  const out: string[] = [];
  for (const raw of dict.rawPinyin[at]!.split('|')) {
    const reading = tonelessPinyin(raw);
    if (reading !== undefined && !out.includes(reading)) out.push(reading);
  }
  return out;
}

/** Loads the dictionary now (e.g. when a catalogue with Chinese products opens) instead of on first use. */
export function warmUpDictionary(): boolean {
  return load() !== undefined;
}

export function dictionaryStats(): Readonly<DictionaryStats> {
  return stats;
}

/** Whether CC-CEDICT has the (Simplified) headword, translated or not. */
export function isDictionaryWord(word: string): boolean {
  return load()?.index.has(word) ?? false;
}

/** Whether CC-CEDICT has the (Simplified) word with at least one translation. */
export function hasTranslation(word: string): boolean {
  const dict = load();
  if (dict === undefined) return false;
  const at = dict.index.get(word);
  return at !== undefined && glossesOf(dict, at) !== '';
}

/** The cleaned senses of a Simplified word, each a list of alternative English glosses. */
export function senses(word: string): string[][] {
  const dict = load();
  const at = dict?.index.get(word);
  if (dict === undefined || at === undefined || glossesOf(dict, at) === '') return [];
  return glossesOf(dict, at)
    .split('\n')
    .map((sense) => sense.replace(/^~/, '').split('\t'));
}

/** Function words and CEDICT's own shorthand: glue in a gloss, not something a product is called. */
const ENGLISH_STOPWORDS = new Set(
  (
    'a an the of to and or in on at for with by from as into onto up out off over about per via ' +
    "sb sth sb's sth's one one's oneself someone something somebody etc eg ie e.g i.e is are be being " +
    'been was were it its this that these those which who whom whose what used use form lit fig coll ' +
    'abbr also esp especially usually often some any all no not very certain various kind thing things ' +
    'make do get have has having'
  ).split(' '),
);

const PLAIN_WORDS = /^[a-z ]+$/;

/**
 * The analysed content words of an English gloss or query: (term, surface) pairs in order. Plain
 * lower-case words are stemmed directly (what the analyser does with them, without its scan); anything
 * else goes through the analyser.
 */
export function englishTerms(text: string): Array<{ term: string; surface: string }> {
  const out: Array<{ term: string; surface: string }> = [];
  if (PLAIN_WORDS.test(text)) {
    for (const surface of text.split(' ')) {
      if (surface === '' || ENGLISH_STOPWORDS.has(surface)) continue;
      out.push({ term: stem(surface), surface });
    }
    return out;
  }
  for (const token of analyze(text)) {
    if (token.kind !== 'word' || ENGLISH_STOPWORDS.has(token.surface)) continue;
    out.push({ term: token.term, surface: token.surface });
  }
  return out;
}

function glossWords(alternative: string): number {
  let words = 1;
  for (let i = 0; i < alternative.length; i++) if (alternative.charCodeAt(i) === 0x20) words++;
  return words;
}

/** Weight of the i-th sense: CEDICT lists a word's senses roughly from the most common. */
function senseWeight(i: number, weak: boolean): number {
  return (weak ? 0.3 : 1) / (1 + 0.25 * i);
}

const englishCache = new Map<string, EnglishGloss[]>();
const ENGLISH_CACHE_LIMIT = 50_000;

/**
 * English index terms for a Simplified Chinese word, best first. A term's share is how many of the word's
 * senses agree on it (weighted towards the first senses), relative to the best term: 壳 → shell 1,
 * case 0.6, casing 0.6, housing 0.6.
 */
export function translateWord(word: string): EnglishGloss[] {
  const cached = englishCache.get(word);
  if (cached !== undefined) return cached;
  const dict = load();
  const at = dict?.index.get(word);
  const out: EnglishGloss[] = [];
  if (dict !== undefined && at !== undefined && glossesOf(dict, at) !== '') {
    const support = new Map<string, { surface: string; score: number; first: number }>();
    glossesOf(dict, at)
      .split('\n')
      .forEach((sense, i) => {
        const weak = sense.startsWith('~');
        const weight = senseWeight(i, weak);
        const seen = new Set<string>();
        for (const alternative of (weak ? sense.slice(1) : sense).split('\t')) {
          const terms = englishTerms(alternative);
          // In a phrase gloss ("cell phone case") every word is evidence, but less than a one-word gloss;
          // a gloss that loses function words ("in case") says less still.
          const phraseWeight =
            (terms.length > 1 ? 0.7 : 1) * (glossWords(alternative) > terms.length ? 0.5 : 1);
          for (const { term, surface } of terms) {
            if (seen.has(term)) continue;
            seen.add(term);
            const entry = support.get(term);
            if (entry === undefined) support.set(term, { surface, score: weight * phraseWeight, first: i });
            else entry.score += weight * phraseWeight;
          }
        }
      });
    let best = 0;
    for (const entry of support.values()) best = Math.max(best, entry.score);
    for (const [term, entry] of support)
      out.push({ term, surface: entry.surface, share: entry.score / best });
    out.sort((a, b) => b.share - a.share || a.term.localeCompare(b.term));
  }
  if (englishCache.size >= ENGLISH_CACHE_LIMIT) englishCache.clear();
  englishCache.set(word, out);
  return out;
}

/** A piece of a Chinese run and whether the dictionary translates it. */
export interface ChineseSegment {
  word: string;
  /** Offset of the piece in the run. */
  start: number;
  known: boolean;
}

/**
 * Splits a Simplified Han run into dictionary words: jieba's words where CC-CEDICT knows them, otherwise
 * the split of jieba's word into the fewest dictionary words (a single unknown character costs more than
 * a known one, so 大眼兔 becomes 大眼 + 兔 rather than three characters).
 */
export function segmentChinese(run: string): ChineseSegment[] {
  const dict = load();
  const out: ChineseSegment[] = [];
  if (dict === undefined) return out;
  let offset = 0;
  for (const piece of cutHan(run)) {
    const start = offset;
    offset += piece.length;
    if (!isHanWord(piece)) continue;
    if (hasTranslation(piece)) {
      out.push({ word: piece, start, known: true });
      continue;
    }
    for (const part of splitIntoWords(piece, dict.maxWordLength))
      out.push({ ...part, start: start + part.start });
  }
  return out;
}

function splitIntoWords(text: string, maxLength: number): ChineseSegment[] {
  const n = text.length;
  const cost = new Float64Array(n + 1).fill(Infinity);
  const back = new Int32Array(n + 1);
  cost[0] = 0;
  for (let i = 0; i < n; i++) {
    if (cost[i] === Infinity) continue;
    for (let j = i + 1; j <= Math.min(n, i + maxLength); j++) {
      const known = hasTranslation(text.slice(i, j));
      if (!known && j > i + 1) continue;
      const step = known ? 1 : 1.5;
      if (cost[i]! + step < cost[j]!) {
        cost[j] = cost[i]! + step;
        back[j] = i;
      }
    }
  }
  const out: ChineseSegment[] = [];
  for (let j = n; j > 0; j = back[j]!) {
    const i = back[j]!;
    const word = text.slice(i, j);
    out.push({ word, start: i, known: hasTranslation(word) });
  }
  return out.reverse();
}

// English → Chinese

interface EnglishIndex {
  /** English term, or terms joined by ' ' for a phrase gloss → key number. */
  keys: Map<string, number>;
  /** Postings of key k: `entries` / `strengths` from `starts[k]` to `ends[k]`. */
  starts: Int32Array;
  ends: Int32Array;
  entries: Int32Array;
  strengths: Float32Array;
  /** Longest phrase gloss, in terms. */
  maxPhrase: number;
  /** English terms that are the whole gloss of two or more headwords: real English words, unlike the
   *  names and transcriptions glosses also contain (`Xiao`, `gou`). */
  vocabulary: Set<string>;
}

let englishIndex: EnglishIndex | undefined;

/**
 * For every English gloss, the words it translates. A one-word gloss is strong evidence; a phrase gloss
 * is indexed whole (`rose gold` → 玫瑰金), by its last two words (`phone case` → 手机壳 from "cell phone
 * case") and, weaker, by its last word, the head of an English noun phrase (`knitting wool` → 毛线 under
 * `wool`). A word with many senses is a weaker translation of any one of them: 包 (wrap, bag, bundle,
 * contract, …) is a worse answer to `bag` than 袋子 (bag). Postings are packed in typed arrays (CSR):
 * a million small arrays would cost more than the dictionary itself.
 */
function buildEnglishIndex(dict: Dictionary): EnglishIndex {
  const started = performance.now();
  const keys = new Map<string, number>();
  let postingKeys = new Int32Array(1 << 18);
  let postingEntries = new Int32Array(1 << 18);
  let postingStrengths = new Float32Array(1 << 18);
  let count = 0;
  const wholeGlossOf = new Map<string, number>();
  const vocabulary = new Set<string>();
  const add = (key: string, entry: number, strength: number): void => {
    let id = keys.get(key);
    if (id === undefined) keys.set(key, (id = keys.size));
    if (count === postingKeys.length) {
      postingKeys = grow(postingKeys, count * 2);
      postingEntries = grow(postingEntries, count * 2);
      postingStrengths = grow(postingStrengths, count * 2);
    }
    postingKeys[count] = id;
    postingEntries[count] = entry;
    postingStrengths[count++] = strength;
  };
  let maxPhrase = 1;
  for (let entry = 0; entry < dict.words.length; entry++) {
    const text = glossesOf(dict, entry);
    if (text === '') continue;
    const senseList = text.split('\n');
    const spread = 1 / Math.sqrt(Math.sqrt(senseList.length));
    for (let i = 0; i < senseList.length; i++) {
      const sense = senseList[i]!;
      const weak = sense.startsWith('~');
      const weight = senseWeight(i, weak) * spread;
      for (const alternative of (weak ? sense.slice(1) : sense).split('\t')) {
        const terms = englishTerms(alternative);
        if (terms.length === 0 || terms.length > 3) continue;
        // "in case", "take charge of": the function words carried the meaning the content word lacks.
        const strength = glossWords(alternative) > terms.length ? weight * 0.5 : weight;
        if (terms.length === 1) {
          const term = terms[0]!.term;
          add(term, entry, strength);
          if (wholeGlossOf.get(term) === undefined) wholeGlossOf.set(term, entry);
          else if (wholeGlossOf.get(term) !== entry) vocabulary.add(term);
          continue;
        }
        maxPhrase = Math.max(maxPhrase, terms.length);
        add(terms.map((t) => t.term).join(' '), entry, strength);
        if (terms.length === 3) add(`${terms[1]!.term} ${terms[2]!.term}`, entry, strength * 0.7);
        add(terms[terms.length - 1]!.term, entry, strength * 0.4);
      }
    }
  }
  // Counting sort by key; within a key entries stay in order, so repeats of one word are adjacent.
  const starts = new Int32Array(keys.size + 1);
  for (let k = 0; k < count; k++) starts[postingKeys[k]! + 1]!++;
  for (let k = 0; k < keys.size; k++) starts[k + 1]! += starts[k]!;
  const fill = starts.slice(0, keys.size);
  const entries = new Int32Array(count);
  const strengths = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const key = postingKeys[k]!;
    const start = starts[key]!;
    const at = fill[key]!;
    if (at > start && entries[at - 1] === postingEntries[k]) {
      strengths[at - 1] = Math.max(strengths[at - 1]!, postingStrengths[k]!);
      continue;
    }
    entries[at] = postingEntries[k]!;
    strengths[at] = postingStrengths[k]!;
    fill[key] = at + 1;
  }
  // Best translations first, shorter words before longer at equal strength, so a lookup can stop early.
  const order: number[] = [];
  for (let key = 0; key < keys.size; key++) {
    const start = starts[key]!;
    const end = fill[key]!;
    if (end - start < 2) continue;
    order.length = 0;
    for (let k = start; k < end; k++) order.push(k);
    order.sort(
      (a, b) =>
        strengths[b]! - strengths[a]! || dict.words[entries[a]!]!.length - dict.words[entries[b]!]!.length,
    );
    const sortedEntries = order.map((k) => entries[k]!);
    const sortedStrengths = order.map((k) => strengths[k]!);
    entries.set(sortedEntries, start);
    strengths.set(sortedStrengths, start);
  }
  stats.englishIndexMs = Math.round(performance.now() - started);
  return { keys, starts, ends: fill, entries, strengths, maxPhrase, vocabulary };
}

/** Longest English phrase gloss the dictionary has, in analysed terms (1 before anything is loaded). */
export function maxEnglishPhrase(): number {
  const dict = load();
  if (dict === undefined) return 1;
  englishIndex ??= buildEnglishIndex(dict);
  return englishIndex.maxPhrase;
}

/** Whether an analysed English term is an English word (the whole gloss of two or more headwords). */
export function isEnglishTerm(term: string): boolean {
  const dict = load();
  if (dict === undefined) return false;
  englishIndex ??= buildEnglishIndex(dict);
  return englishIndex.vocabulary.has(term);
}

/**
 * Chinese words for an English index term or phrase (terms joined by ' '), best first, keeping those
 * `accept` admits (the catalogue's own vocabulary): at most `limit`, none weaker than `minShare` of the
 * best one admitted. Shares are relative to that best one.
 */
export function chineseFor(
  key: string,
  accept: (word: string) => boolean,
  limit = 8,
  minShare = 0,
): ChineseGloss[] {
  const dict = load();
  if (dict === undefined) return [];
  englishIndex ??= buildEnglishIndex(dict);
  const id = englishIndex.keys.get(key);
  if (id === undefined) return [];
  const { starts, ends, entries, strengths } = englishIndex;
  const out: ChineseGloss[] = [];
  let best = 0;
  // Postings are sorted by strength, so the first admitted word is the best and the scan stops early.
  for (let k = starts[id]!; k < ends[id]! && out.length < limit; k++) {
    const strength = strengths[k]!;
    if (best > 0 && strength < minShare * best) break;
    const word = dict.words[entries[k]!]!;
    if (!accept(word)) continue;
    if (best === 0) best = strength;
    out.push({ word, share: strength / best });
  }
  return out;
}

// Pinyin

let pinyinIndex: Map<string, string[]> | undefined;
let syllables: Set<string> | undefined;
let charactersBySyllable: Map<string, string[]> | undefined;

function buildPinyinIndex(dict: Dictionary): Map<string, string[]> {
  const started = performance.now();
  const index = new Map<string, string[]>();
  syllables = new Set();
  // How many headwords use each character: a character's share of the vocabulary, a fair stand-in for
  // how common it is, to try the likely characters of a syllable first.
  const productivity = new Map<string, number>();
  for (let entry = 0; entry < dict.words.length; entry++) {
    const word = dict.words[entry]!;
    for (const char of word) productivity.set(char, (productivity.get(char) ?? 0) + 1);
    for (const reading of readingsOf(dict, entry)) {
      for (const syllable of reading.split(' ')) syllables.add(syllable);
      const key = reading.replaceAll(' ', '');
      const list = index.get(key);
      if (list === undefined) index.set(key, [word]);
      else if (!list.includes(word)) list.push(word);
    }
  }
  charactersBySyllable = new Map();
  for (const syllable of syllables) {
    const chars = (index.get(syllable) ?? []).filter((word) => [...word].length === 1);
    chars.sort((a, b) => (productivity.get(b) ?? 0) - (productivity.get(a) ?? 0));
    charactersBySyllable.set(syllable, chars);
  }
  stats.pinyinIndexMs = Math.round(performance.now() - started);
  return index;
}

/** Characters read `syllable` (toneless), the most productive in the dictionary first. */
export function charactersForSyllable(syllable: string): readonly string[] {
  const dict = load();
  if (dict === undefined) return [];
  pinyinIndex ??= buildPinyinIndex(dict);
  return charactersBySyllable!.get(syllable) ?? [];
}

/** Simplified words whose toneless pinyin, syllables joined without spaces, is `letters` (`xiaogou`). */
export function wordsForPinyin(letters: string): readonly string[] {
  const dict = load();
  if (dict === undefined) return [];
  pinyinIndex ??= buildPinyinIndex(dict);
  return pinyinIndex.get(letters) ?? [];
}

/** Toneless pinyin syllables (`v` for ü), from the dictionary's own readings. */
export function pinyinSyllables(): ReadonlySet<string> {
  const dict = load();
  if (dict === undefined) return new Set();
  pinyinIndex ??= buildPinyinIndex(dict);
  return syllables!;
}
