/**
 * Query understanding: what a shopper's words say beyond the words themselves. Pure (no I/O, no index):
 * the catalogue is seen only through a `QueryVocabulary` of its brand and category names, and a product
 * only through the `CandidateFacts` an engine can read cheaply from its index.
 *
 * - Price phrases (`under $50`, `between 20 and 30`, `100元以下`, `20到30元` …) become a price range and are
 *   removed from the text that is matched; a number that is not part of a price phrase stays a query word.
 * - Size words and their opposites (小/大/中号/迷你/加大…, small/large/medium/mini/XL…, S/M/L after `size`
 *   or before 码/号), each with a polarity: −1 small, 0 medium, +1 large.
 * - Measures: numbers with units, as the analyser already normalises them (`42cm` = `42 cm` = `42厘米`),
 *   converted to a base unit per dimension so that `16 oz` and `1 lb` compare.
 * - Brand and category names of the catalogue's own vocabulary named by the query (longest n-gram of
 *   analysed words and characters), as signals for ranking, never as filters.
 *
 * `matchSignals` compares an understood query with one candidate product; its numbers are features for a
 * learned ranker and drive the engine's default demotion of products whose size or measure conflicts.
 */
import { termKey } from '../lexical/lexical-index.ts';
import { analyze } from '../text/analyzer.ts';
import type { Token } from '../text/token.ts';
import { matchHanUnit, UNITS } from '../text/units.ts';

/** −1 small, 0 medium, +1 large. */
export type SizePolarity = -1 | 0 | 1;

export interface SizeWord {
  /** The word as typed (folded). */
  surface: string;
  polarity: SizePolarity;
}

export interface Measure {
  /** `length` (mm), `area` (mm²), `volume` (ml), `mass` (g), `shoe` (size number), `power` (W), … */
  dimension: string;
  /** In the dimension's base unit. */
  value: number;
  /** The analysed term, e.g. `42cm`, `1-1/2in`, `42码`. */
  surface: string;
  /** The bare number of the term (`42`), as the index keeps it beside the term with the unit. */
  number: string;
}

/**
 * A price range from the query's price phrases. Both bounds are INCLUSIVE: `under $50` keeps a $50
 * product (price ≤ 50), `over 100` and `100元以上` mean price ≥ 100, `between 20 and 30` 20 ≤ price ≤ 30.
 * Shop prices sit on round numbers and just below them, and the filter language's `price 20 TO 50` is
 * inclusive too. Several phrases intersect.
 */
export interface PriceRange {
  min?: number;
  max?: number;
}

export interface QueryUnderstanding {
  /** The query with its price phrases removed: what is matched. */
  text: string;
  /** `analyze(text)`. */
  tokens: Token[];
  price?: PriceRange;
  /** The price phrases found, as typed. */
  pricePhrases: string[];
  /** Size words; empty when the query names sizes of both polarities (大小, little giant). */
  sizes: SizeWord[];
  measures: Measure[];
  /** Display name of a catalogue brand the query names. */
  brand?: string;
  /** Display path of a catalogue category the query names (the segment and its parents). */
  category?: string[];
  /** Normalised values a candidate's brand / category paths are compared with (see matchSignals). */
  brandKeys: string[];
  categoryKeys: string[];
}

export interface UnderstandOptions {
  /** Read price phrases into `price` (default true). */
  priceFilters?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Price phrases

const NUM = String.raw`(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)`;
const CUR_PRE = String.raw`(?:us\$|\$|usd ?|¥|rmb ?|€|£)`;
const CUR_POST = String.raw`(?: ?(?:dollars?|bucks?|usd|rmb|yuan|euros?|eur|元|块钱|块|美元|美金|欧元))`;
/** A price: optional currency, number, optional currency; group names carry which side had one. */
const price = (n: number): string =>
  String.raw`(${CUR_PRE})?\s*${NUM.replace('(', `(?<n${n}>`)}(${CUR_POST})?`;
/** Not running into letters, digits or units: `under 50cm` is a length. */
const END = String.raw`(?![\d.,]*\d)(?![a-z%°"'])`;

const MAX_WORDS = String.raw`under|below|less than|cheaper than|no more than|not more than|up to|at most|<=|<|≤`;
const MIN_WORDS = String.raw`over|above|more than|at least|starting at|>=|>|≥`;
/** Only with a currency: `power max 726` is a model name. */
const MAX_WORDS_PRICED = 'max|maximum';
const MIN_WORDS_PRICED = 'min|minimum|from';
const ZH_MAX = '低于|少于|不超过|不到|小于|不高于|最多|最高|便宜于';
const ZH_MIN = '高于|大于|超过|多于|不低于|至少|最低';
const ZH_CUR = '(?:元|块钱|块|rmb)';

interface PricePattern {
  re: RegExp;
  kind: 'range' | 'max' | 'min';
  /** Whether a phrase without any currency is still a price. */
  bare: boolean;
  /** A cheap test the text must pass before the pattern is tried. */
  needs: RegExp;
}

const PRICE_PATTERNS: PricePattern[] = [
  {
    re: new RegExp(String.raw`\bbetween\s+${price(1)}\s+(?:and|to|-)\s+${price(2)}${END}`, 'g'),
    kind: 'range',
    bare: true,
    needs: /between/,
  },
  {
    re: new RegExp(String.raw`\bfrom\s+${price(1)}\s+to\s+${price(2)}${END}`, 'g'),
    kind: 'range',
    bare: false,
    needs: /from/,
  },
  {
    re: new RegExp(String.raw`(?<![\w.])${price(1)}\s*(?:-|–|—|~|to)\s*${price(2)}${END}`, 'g'),
    kind: 'range',
    bare: false,
    needs: /\d\s*(?:[-–—~]|to)\s*\D{0,4}\d/,
  },
  {
    re: new RegExp(
      String.raw`(?<![\w.])${NUM.replace('(', '(?<n1>')}\s*${ZH_CUR}?\s*(?:到|至|-|~|～|—)\s*${NUM.replace('(', '(?<n2>')}\s*${ZH_CUR}(?:\s*之间)?`,
      'g',
    ),
    kind: 'range',
    bare: true,
    needs: /[到至~～—-]/,
  },
  {
    re: new RegExp(String.raw`(?:^|(?<=[\s,]))(?:${MAX_WORDS})\s*${price(1)}${END}`, 'g'),
    kind: 'max',
    bare: true,
    needs: new RegExp(MAX_WORDS),
  },
  {
    re: new RegExp(String.raw`(?:^|(?<=[\s,]))(?:${MIN_WORDS})\s*${price(1)}${END}`, 'g'),
    kind: 'min',
    bare: true,
    needs: new RegExp(MIN_WORDS),
  },
  {
    re: new RegExp(String.raw`(?:^|(?<=[\s,]))(?:${MAX_WORDS_PRICED})\s*${price(1)}${END}`, 'g'),
    kind: 'max',
    bare: false,
    needs: /max/,
  },
  {
    re: new RegExp(String.raw`(?:^|(?<=[\s,]))(?:${MIN_WORDS_PRICED})\s*${price(1)}${END}`, 'g'),
    kind: 'min',
    bare: false,
    needs: /min|from/,
  },
  {
    re: new RegExp(
      String.raw`(?<![\w.])${NUM.replace('(', '(?<n1>')}\s*(?:${ZH_CUR}\s*(?:以下|以内|之内|内)|以下|以内)`,
      'g',
    ),
    kind: 'max',
    bare: true,
    needs: /以下|以内|之内|内/,
  },
  {
    re: new RegExp(String.raw`(?<![\w.])${NUM.replace('(', '(?<n1>')}\s*${ZH_CUR}?\s*(?:以上|之上)`, 'g'),
    kind: 'min',
    bare: true,
    needs: /以上|之上/,
  },
  {
    re: new RegExp(String.raw`(?:${ZH_MAX})\s*${price(1)}${END}`, 'g'),
    kind: 'max',
    bare: true,
    needs: new RegExp(ZH_MAX),
  },
  {
    re: new RegExp(String.raw`(?:${ZH_MIN})\s*${price(1)}${END}`, 'g'),
    kind: 'min',
    bare: true,
    needs: new RegExp(ZH_MIN),
  },
];

/** Words after a bare number that say it counts something else (`under 5 years`). */
const NOT_PRICE_AFTER = new Set([
  'year',
  'years',
  'yr',
  'yrs',
  'old',
  'month',
  'months',
  'people',
  'person',
  'persons',
  'players',
  'seats',
  'minutes',
  'mins',
  'hours',
  'days',
  'percent',
]);
const HAS_HAN = /[\u3400-\u9fff]/;
const HAS_DIGIT = /\d/;
/** Something every price phrase has: a currency, a comparison word or a Chinese price word. */
const PRICE_TRIGGER =
  /[$¥€£<>≤≥元块以之低少超到至便高大多最\uffe5\uff04]|usd|rmb|yuan|dollar|buck|euro|under|below|less|cheaper|more|up to|at most|at least|max|min|over|above|between|from|starting/i;

function parseAmount(raw: string | undefined): number {
  return raw === undefined ? NaN : Number(raw.replaceAll(',', ''));
}

/** Whether the text right after a currency-less phrase makes its number a measure or a count. */
function followedByUnit(s: string, end: number): boolean {
  let k = end;
  while (s.charCodeAt(k) === 0x20) k++;
  if (k >= s.length) return false;
  if (s.charCodeAt(k) >= 0x3400) return matchHanUnit(s, k) !== undefined;
  const word = /^[a-z]+/.exec(s.slice(k, k + 16))?.[0];
  if (word === undefined) return false;
  return UNITS.has(word) || NOT_PRICE_AFTER.has(word);
}

/** Full-width ASCII folded to ASCII and lower-cased, keeping every offset (one UTF-16 unit each). */
function foldForPrices(q: string): string {
  const folded = q.replace(/[\uff01-\uff5e]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0));
  const lower = folded.toLowerCase();
  return lower.length === q.length ? lower : folded;
}

interface PriceSpan {
  start: number;
  end: number;
  min?: number;
  max?: number;
}

/** The price phrases of a query (see PriceRange for the bounds), in text order, without overlaps. */
export function findPricePhrases(q: string): PriceSpan[] {
  if (!HAS_DIGIT.test(q) || !PRICE_TRIGGER.test(q)) return [];
  const s = foldForPrices(q);
  const spans: PriceSpan[] = [];
  const overlaps = (start: number, end: number): boolean =>
    spans.some((span) => start < span.end && span.start < end);
  for (const pattern of PRICE_PATTERNS) {
    if (!pattern.needs.test(s)) continue;
    pattern.re.lastIndex = 0;
    for (const match of s.matchAll(pattern.re)) {
      const start = match.index;
      const end = start + match[0].length;
      if (overlaps(start, end)) continue;
      const text = match[0];
      const hasCurrency = /[$¥€£元块]|usd|rmb|yuan|dollar|buck|euro|eur/.test(text);
      if (!hasCurrency && (!pattern.bare || followedByUnit(s, end))) continue;
      const a = parseAmount(match.groups?.n1);
      const b = parseAmount(match.groups?.n2);
      if (!Number.isFinite(a)) continue;
      const span: PriceSpan = { start, end };
      if (pattern.kind === 'range') {
        if (!Number.isFinite(b)) continue;
        span.min = Math.min(a, b);
        span.max = Math.max(a, b);
      } else if (pattern.kind === 'max') span.max = a;
      else span.min = a;
      spans.push(span);
    }
  }
  return spans.sort((x, y) => x.start - y.start);
}

// ---------------------------------------------------------------------------------------------------
// Size words

/**
 * Size vocabulary: English words (analysed, so stems and joined forms match the index's terms) and
 * Chinese words (as jieba words and as character bigrams, so a title segmented either way is read).
 * 小 and 大 on their own are read from character bigrams (see `sizeKeyRole`).
 */
const SIZE_WORDS: ReadonlyArray<readonly [string, SizePolarity]> = [
  ['small', -1],
  ['tiny', -1],
  ['mini', -1],
  ['petite', -1],
  ['xs', -1],
  ['xxs', -1],
  ['xxxs', -1],
  ['x-small', -1],
  ['迷你', -1],
  ['小号', -1],
  ['小码', -1],
  ['小型', -1],
  ['微型', -1],
  ['小款', -1],
  ['medium', 0],
  ['中号', 0],
  ['中码', 0],
  ['中型', 0],
  ['中等', 0],
  ['中款', 0],
  ['large', 1],
  ['big', 1],
  ['giant', 1],
  ['jumbo', 1],
  ['huge', 1],
  ['oversized', 1],
  ['xl', 1],
  ['xxl', 1],
  ['xxxl', 1],
  ['2xl', 1],
  ['3xl', 1],
  ['4xl', 1],
  ['5xl', 1],
  ['x-large', 1],
  ['大号', 1],
  ['大码', 1],
  ['加大', 1],
  ['特大', 1],
  ['超大', 1],
  ['大型', 1],
  ['巨型', 1],
  ['大款', 1],
];

/** Letter sizes that are sizes only next to `size` or 码/号 in a query (`size m`, `L码`). */
const LETTER_SIZES = new Map<string, SizePolarity>([
  ['s', -1],
  ['m', 0],
  ['l', 1],
]);
const SIZE_CONTEXT_BEFORE = new Set(['size', 'sz', 'talla']);
const SIZE_CONTEXT_AFTER = new Set(['码', '号']);

/** Bigrams starting with 小 / 大 that are words of their own, not sizes (小米 is a brand, 大衣 a coat). */
const NOT_SIZE_BIGRAMS = new Set(
  (
    '小米 小时 小说 小吃 小麦 小区 小姐 小心 小学 小提 小苏 小白 小黑 小熊 小天 小度 小鹏 小猪 小黄 小龙 ' +
    '小清 小香 小众 小葱 小鲜 小资 小家 小便 小丑 小品 小组 小编 小雏 小新 ' +
    '大米 大学 大衣 大众 大蒜 大豆 大师 大全 大王 大人 大陆 大理 大闸 大红 大牌 大气 大家 大概 大量 大白 ' +
    '大宝 大疆 大金 大自 大叔 大妈 大姨 大使 大麦 大枣 大葱 大头 大道 大厦 大会 大赛 大礼 大促 大片 大神 ' +
    '大爷 大侠 大象 大熊 大黄 大地 大方 大胆 大唐 大明 大清 大话 大海'
  ).split(' '),
);

/** Bit flags of what one index key says about size (0 = nothing). */
export const SIZE_SMALL = 1;
export const SIZE_MEDIUM = 2;
export const SIZE_LARGE = 4;
const CHAR_SMALL = 8;
const CHAR_LARGE = 16;
const START_SMALL = 32;
const START_LARGE = 64;

const POLARITY_FLAG: Record<SizePolarity, number> = { [-1]: SIZE_SMALL, 0: SIZE_MEDIUM, 1: SIZE_LARGE };

let sizeKeys: Map<string, number> | undefined;

/** Index keys of the size vocabulary → polarity flag. */
function sizeKeyTable(): Map<string, number> {
  if (sizeKeys !== undefined) return sizeKeys;
  const table = new Map<string, number>();
  for (const [word, polarity] of SIZE_WORDS) {
    const flag = POLARITY_FLAG[polarity];
    if (HAS_HAN.test(word)) {
      table.set(word, flag);
      if ([...word].length === 2) table.set(termKey({ term: word, kind: 'cjk-bigram' }), flag);
      continue;
    }
    const tokens = analyze(word);
    // `x-large` gives x, xlarg, larg: the joined form is the one that names the size.
    const token = tokens.find((t) => t.surface === word.replace('-', '')) ?? tokens[0];
    if (token !== undefined) table.set(termKey(token), flag);
  }
  sizeKeys = table;
  return table;
}

/**
 * What one index key says about size, as bit flags: a size word's polarity; for 小 / 大 the character
 * itself and whether a bigram starts with it (a size unless it is a word of its own, like 小米).
 * Combine the flags of all a text's keys with `|` and read them with `sizePolarities`.
 */
export function sizeKeyRole(key: string): number {
  const known = sizeKeyTable().get(key);
  if (known !== undefined) return known;
  const first = key.charCodeAt(0);
  if (key.length === 1) return first === 0x5c0f ? CHAR_SMALL : first === 0x5927 ? CHAR_LARGE : 0;
  if (first === 0x0002 && key.length === 3) {
    const lead = key.charCodeAt(1);
    if (lead !== 0x5c0f && lead !== 0x5927) return 0;
    const start = lead === 0x5c0f ? START_SMALL : START_LARGE;
    if (NOT_SIZE_BIGRAMS.has(key.slice(1))) return start;
    return start | (lead === 0x5c0f ? SIZE_SMALL : SIZE_LARGE);
  }
  return 0;
}

/**
 * The polarities (SIZE_SMALL | SIZE_MEDIUM | SIZE_LARGE) that OR-ed key roles state: size words, bigrams
 * like 小狗 / 大号, and a 小 or 大 no bigram starts with (at the end of a run: 狗窝 大).
 */
export function sizePolarities(flags: number): number {
  let out = flags & (SIZE_SMALL | SIZE_MEDIUM | SIZE_LARGE);
  if (flags & CHAR_SMALL && !(flags & START_SMALL)) out |= SIZE_SMALL;
  if (flags & CHAR_LARGE && !(flags & START_LARGE)) out |= SIZE_LARGE;
  return out;
}

function polarityOfFlag(flag: number): SizePolarity {
  return flag === SIZE_SMALL ? -1 : flag === SIZE_MEDIUM ? 0 : 1;
}

/** Size words of analysed query tokens (empty when they name both small and large sizes). */
function querySizes(tokens: readonly Token[]): SizeWord[] {
  const found: SizeWord[] = [];
  const starts = new Set<number>();
  let flags = 0;
  let charFlags = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const role = sizeKeyRole(termKey(token));
    if (role !== 0) {
      charFlags |= role;
      const direct = role & (SIZE_SMALL | SIZE_MEDIUM | SIZE_LARGE);
      // A bigram (小狗, 大号) names its size by its first character.
      const surface = token.kind === 'cjk-bigram' ? token.surface.charAt(0) : token.surface;
      // One size per place in the text (迷你 is both a jieba word and a bigram).
      if (direct !== 0 && !starts.has(token.start)) {
        starts.add(token.start);
        found.push({ surface, polarity: polarityOfFlag(direct) });
        flags |= direct;
      }
      continue;
    }
    const letter = token.kind === 'word' ? LETTER_SIZES.get(token.surface) : undefined;
    if (letter === undefined) continue;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    if (
      (before !== undefined && before.kind === 'word' && SIZE_CONTEXT_BEFORE.has(before.surface)) ||
      (after !== undefined && after.kind === 'cjk-char' && SIZE_CONTEXT_AFTER.has(after.term))
    ) {
      found.push({ surface: token.surface, polarity: letter });
      flags |= POLARITY_FLAG[letter];
    }
  }
  // A standalone 小 / 大 (no bigram starts with it) is a size too.
  const standalone = sizePolarities(charFlags) & ~flags;
  for (const [flag, surface] of [
    [SIZE_SMALL, '小'],
    [SIZE_LARGE, '大'],
  ] as const) {
    if (standalone & flag) {
      found.push({ surface, polarity: polarityOfFlag(flag) });
      flags |= flag;
    }
  }
  if (flags & SIZE_SMALL && flags & SIZE_LARGE) return [];
  return found;
}

// ---------------------------------------------------------------------------------------------------
// Measures

/** Canonical unit (as units.ts writes it) → dimension and factor to the dimension's base unit. */
const UNIT_DIMENSIONS: ReadonlyMap<string, readonly [string, number]> = new Map<
  string,
  readonly [string, number]
>([
  ['mm', ['length', 1]],
  ['cm', ['length', 10]],
  ['m', ['length', 1000]],
  ['km', ['length', 1e6]],
  ['in', ['length', 25.4]],
  ['ft', ['length', 304.8]],
  ['yd', ['length', 914.4]],
  ['mi', ['length', 1609344]],
  ['mil', ['length', 0.0254]],
  // 寸 on a shop page is an inch (screens, luggage, wheels), not the old 3.33 cm.
  ['寸', ['length', 25.4]],
  ['sqmm', ['area', 1]],
  ['sqcm', ['area', 100]],
  ['sqm', ['area', 1e6]],
  ['sqin', ['area', 645.16]],
  ['sqft', ['area', 92903.04]],
  ['sqyd', ['area', 836127.36]],
  ['ml', ['volume', 1]],
  ['cc', ['volume', 1]],
  ['l', ['volume', 1000]],
  ['gal', ['volume', 3785.41]],
  ['qt', ['volume', 946.353]],
  ['pt', ['volume', 473.176]],
  ['floz', ['volume', 29.5735]],
  ['cucm', ['volume', 1]],
  ['cuin', ['volume', 16.3871]],
  ['cuft', ['volume', 28316.8]],
  ['cuyd', ['volume', 764555]],
  ['cum', ['volume', 1e6]],
  ['mg', ['mass', 0.001]],
  ['g', ['mass', 1]],
  ['kg', ['mass', 1000]],
  ['lb', ['mass', 453.592]],
  ['oz', ['mass', 28.3495]],
  ['ton', ['mass', 907185]],
  ['斤', ['mass', 500]],
  ['码', ['shoe', 1]],
  ['w', ['power', 1]],
  ['kw', ['power', 1000]],
  ['hp', ['power', 745.7]],
  ['v', ['voltage', 1]],
  ['a', ['current', 1]],
  ['mah', ['charge', 1]],
  ['ah', ['charge', 1000]],
  ['kwh', ['energy', 1]],
  ['btu', ['heat', 1]],
  ['lm', ['light', 1]],
  ['kb', ['data', 1e3]],
  ['mb', ['data', 1e6]],
  ['gb', ['data', 1e9]],
  ['tb', ['data', 1e12]],
  ['hz', ['frequency', 1]],
  ['khz', ['frequency', 1e3]],
  ['mhz', ['frequency', 1e6]],
  ['ghz', ['frequency', 1e9]],
  ['mp', ['resolution', 1]],
  ['psi', ['pressure', 1]],
  ['rpm', ['speed', 1]],
  ['cfm', ['airflow', 1]],
  ['gpm', ['flow', 1]],
  ['gpf', ['flush', 1]],
  ['awg', ['gauge', 1]],
  ['db', ['sound', 1]],
  ['mph', ['velocity', 1]],
]);

const MEASURE_KEY = /^(\d+(?:\.\d+)?|\d+\/\d+|\d+-\d+\/\d+)([^\d./-].*)$/;

function numberValue(text: string): number {
  const mixed = text.indexOf('-');
  if (mixed > 0) return Number(text.slice(0, mixed)) + numberValue(text.slice(mixed + 1));
  const slash = text.indexOf('/');
  if (slash > 0) {
    const denominator = Number(text.slice(slash + 1));
    return denominator === 0 ? NaN : Number(text.slice(0, slash)) / denominator;
  }
  return Number(text);
}

/** The measure an index key names (`42cm`, `1-1/2in`, `42码`), if it is a number with a known unit. */
export function measureOfKey(key: string): Measure | undefined {
  const c = key.charCodeAt(0);
  if (c < 0x30 || c > 0x39) return undefined;
  const match = MEASURE_KEY.exec(key);
  if (match === null) return undefined;
  const dimension = UNIT_DIMENSIONS.get(match[2]!);
  if (dimension === undefined) return undefined;
  const amount = numberValue(match[1]!);
  if (!Number.isFinite(amount)) return undefined;
  return { dimension: dimension[0], value: amount * dimension[1], surface: key, number: match[1]! };
}

function queryMeasures(tokens: readonly Token[]): Measure[] {
  const out: Measure[] = [];
  for (const token of tokens) {
    if (token.kind !== 'number') continue;
    const measure = measureOfKey(token.term);
    if (measure !== undefined && !out.some((m) => m.surface === measure.surface)) out.push(measure);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Brand and category vocabulary

/**
 * Name units of analysed text: the first word or number at each position and every Han character, so
 * a name and a query analysed alike give the same units (`Under Armour` → `under armour`, 宠乐 → `宠 乐`).
 */
function nameUnits(tokens: readonly Token[]): string[] {
  const units: string[] = [];
  let lastPosition = -1;
  for (const token of tokens) {
    if (token.kind === 'cjk-char') {
      units.push(token.term);
      lastPosition = token.position;
    } else if ((token.kind === 'word' || token.kind === 'number') && token.position !== lastPosition) {
      units.push(token.term);
      lastPosition = token.position;
    }
  }
  return units;
}

interface NamedValue<T> {
  value: T;
  /** Normalised values of the catalogue this name stands for. */
  keys: string[];
}

const MAX_NAME_UNITS = 8;

/**
 * The catalogue's brand names and category segments, by their name units. Built from the normalised
 * keys and display forms the engine's doc values hold; entries are only ever added.
 */
export class QueryVocabulary {
  readonly brands = new Map<string, NamedValue<string>>();
  readonly categories = new Map<string, NamedValue<string[]>>();
  private longest = 0;

  get size(): number {
    return this.brands.size + this.categories.size;
  }

  /** A brand value: `key` as doc values normalise it, `display` as the catalogue writes it. */
  addBrand(key: string, display: string): void {
    this.add(this.brands, display, key, display);
  }

  /** A category path value (`a > b > c`, every prefix is one value) and its display form. */
  addCategory(pathKey: string, pathDisplay: string): void {
    const segments = pathDisplay.split(' > ');
    const last = segments[segments.length - 1]!;
    this.add(this.categories, last, pathKey, segments);
    // `Hoodies & Sweatshirts` is named by either of its parts as well.
    const parts = last.split(/\s+(?:&|and|\/)\s+|\s*[&/、,，]\s*/).filter((part) => part !== '');
    if (parts.length > 1) for (const part of parts) this.add(this.categories, part, pathKey, segments);
  }

  private add<T>(map: Map<string, NamedValue<T>>, name: string, key: string, value: T): void {
    const units = nameUnits(analyze(name));
    if (units.length === 0 || units.length > MAX_NAME_UNITS) return;
    const unitKey = units.join(' ');
    const entry = map.get(unitKey);
    if (entry === undefined) map.set(unitKey, { value, keys: [key] });
    else if (!entry.keys.includes(key)) entry.keys.push(key);
    if (units.length > this.longest) this.longest = units.length;
  }

  /** The longest brand and category names among the query's unit n-grams. */
  lookup(tokens: readonly Token[]): { brand?: NamedValue<string>; category?: NamedValue<string[]> } {
    const found: { brand?: NamedValue<string>; category?: NamedValue<string[]> } = {};
    if (this.size === 0) return found;
    const units = nameUnits(tokens);
    let brandLength = 0;
    let categoryLength = 0;
    for (let i = 0; i < units.length; i++) {
      let key = '';
      for (let n = 1; n <= this.longest && i + n <= units.length; n++) {
        key = n === 1 ? units[i]! : `${key} ${units[i + n - 1]!}`;
        if (n > brandLength) {
          const brand = this.brands.get(key);
          if (brand !== undefined) {
            found.brand = brand;
            brandLength = n;
          }
        }
        if (n > categoryLength) {
          const category = this.categories.get(key);
          if (category !== undefined) {
            found.category = category;
            categoryLength = n;
          }
        }
      }
    }
    return found;
  }
}

const EMPTY_VOCABULARY = new QueryVocabulary();

// ---------------------------------------------------------------------------------------------------
// The understanding of a query

/**
 * Reads a query: price phrases out of the matched text, size words, measures, and the catalogue brand
 * and category it names. Costs a few microseconds beyond analysing the text.
 */
export function understandQuery(
  q: string,
  vocabulary: QueryVocabulary = EMPTY_VOCABULARY,
  options: UnderstandOptions = {},
): QueryUnderstanding {
  let text = q;
  let priceRange: PriceRange | undefined;
  const pricePhrases: string[] = [];
  if (options.priceFilters ?? true) {
    const spans = findPricePhrases(q);
    if (spans.length > 0) {
      priceRange = {};
      let rest = '';
      let copied = 0;
      for (const span of spans) {
        pricePhrases.push(q.slice(span.start, span.end).trim());
        rest += `${q.slice(copied, span.start)} `;
        copied = span.end;
        if (span.min !== undefined) priceRange.min = Math.max(priceRange.min ?? -Infinity, span.min);
        if (span.max !== undefined) priceRange.max = Math.min(priceRange.max ?? Infinity, span.max);
      }
      const tail = q.slice(copied);
      // The words before a trailing price phrase are complete: a space keeps the last one from being
      // read as a prefix being typed.
      text = `${rest}${tail}`.replace(/\s+/g, ' ').trimStart();
      if (tail.trim() !== '') text = text.trimEnd() + (/\s$/.test(q) ? ' ' : '');
      else if (text.trim() === '') text = '';
    }
  }
  const tokens = analyze(text);
  const understanding: QueryUnderstanding = {
    text,
    tokens,
    pricePhrases,
    sizes: querySizes(tokens),
    measures: queryMeasures(tokens),
    brandKeys: [],
    categoryKeys: [],
  };
  if (priceRange !== undefined) understanding.price = priceRange;
  const named = vocabulary.lookup(tokens);
  if (named.brand !== undefined) {
    understanding.brand = named.brand.value;
    understanding.brandKeys = named.brand.keys;
  }
  if (named.category !== undefined) {
    understanding.category = named.category.value;
    understanding.categoryKeys = named.category.keys;
  }
  return understanding;
}

// ---------------------------------------------------------------------------------------------------
// Signals for one candidate

/** What an engine can read cheaply about a candidate product (from its index terms and doc values). */
export interface CandidateFacts {
  /** OR-ed `sizeKeyRole` of the product's index keys (or `factsFromKeys` computes it). */
  sizeFlags: number;
  /** Measures among the product's index keys. */
  measures: readonly Measure[];
  /** Bare numbers among the product's index keys (`42` of `42 x 58cm`). */
  numbers: ReadonlySet<string>;
  /** Normalised brand, as doc values keep it. */
  brand?: string | undefined;
  /** Normalised category paths, every prefix (`宠物用品 > 狗狗用品`), as doc values keep them. */
  categories?: readonly string[] | undefined;
}

/** Numeric signals of how a candidate fits the understood query; the names are ranking feature names. */
export interface MatchSignals {
  /** 1 when the product states a size of the query's polarity. */
  sizeMatch: number;
  /** 1 when the product states only the opposite size (小 vs 大), 0.5 a neighbouring one (small vs medium). */
  sizeConflict: number;
  /** 0 … 1: how close the product's nearest measure comes to the query's, per measured dimension. */
  measureMatch: number;
  /** Share of the query's measures for which the product states that dimension but no value within tolerance. */
  measureConflict: number;
  /** 1 when the product's brand is the brand the query names. */
  brandMatch: number;
  /** 1 when the product is in (or under) the category the query names. */
  categoryMatch: number;
}

export const MATCH_SIGNAL_NAMES = [
  'sizeMatch',
  'sizeConflict',
  'measureMatch',
  'measureConflict',
  'brandMatch',
  'categoryMatch',
] as const satisfies ReadonlyArray<keyof MatchSignals>;

/** Relative difference above which two measures of one dimension conflict (42 vs 58 cm: yes; 42 vs 40: no). */
export const DEFAULT_MEASURE_TOLERANCE = 0.15;

/** Candidate facts from a product's index keys (the engine reads the same from term ids, cached). */
export function factsFromKeys(
  keys: Iterable<string>,
  brand?: string,
  categories?: readonly string[],
): CandidateFacts {
  let sizeFlags = 0;
  const measures: Measure[] = [];
  const numbers = new Set<string>();
  for (const key of keys) {
    sizeFlags |= sizeKeyRole(key);
    const measure = measureOfKey(key);
    if (measure !== undefined) measures.push(measure);
    else if (/^\d/.test(key) && !/[a-z]/.test(key)) numbers.add(key);
  }
  return { sizeFlags, measures, numbers, brand, categories };
}

/** Whether the understanding has anything `matchSignals` can find in a candidate's terms. */
export function hasSizeOrMeasure(understanding: QueryUnderstanding): boolean {
  return understanding.sizes.length > 0 || understanding.measures.length > 0;
}

/** How a candidate fits the understood query (see MatchSignals). */
export function matchSignals(
  understanding: QueryUnderstanding,
  facts: CandidateFacts,
  tolerance = DEFAULT_MEASURE_TOLERANCE,
): MatchSignals {
  const signals: MatchSignals = {
    sizeMatch: 0,
    sizeConflict: 0,
    measureMatch: 0,
    measureConflict: 0,
    brandMatch: 0,
    categoryMatch: 0,
  };
  if (understanding.sizes.length > 0) {
    const product = sizePolarities(facts.sizeFlags);
    if (product !== 0) {
      let nearest = 2;
      for (const size of understanding.sizes) {
        for (const polarity of [-1, 0, 1] as const) {
          if (product & POLARITY_FLAG[polarity])
            nearest = Math.min(nearest, Math.abs(polarity - size.polarity));
        }
      }
      if (nearest === 0) signals.sizeMatch = 1;
      else signals.sizeConflict = nearest / 2;
    }
  }
  if (understanding.measures.length > 0 && facts.measures.length > 0) {
    let stated = 0;
    let conflicts = 0;
    let closeness = 0;
    for (const wanted of understanding.measures) {
      let best = Infinity;
      for (const measure of facts.measures) {
        if (measure.dimension !== wanted.dimension) continue;
        const difference =
          Math.abs(measure.value - wanted.value) / Math.max(measure.value, wanted.value, 1e-12);
        if (difference < best) best = difference;
      }
      if (best === Infinity) continue;
      stated++;
      if (best <= tolerance) closeness += 1 - best / tolerance;
      else if (!facts.numbers.has(wanted.number)) conflicts++;
    }
    if (stated > 0) {
      signals.measureMatch = closeness / stated;
      signals.measureConflict = conflicts / stated;
    }
  }
  if (facts.brand !== undefined && understanding.brandKeys.includes(facts.brand)) signals.brandMatch = 1;
  if (facts.categories !== undefined && understanding.categoryKeys.length > 0) {
    for (const path of facts.categories) {
      if (understanding.categoryKeys.includes(path)) {
        signals.categoryMatch = 1;
        break;
      }
    }
  }
  return signals;
}
