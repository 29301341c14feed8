/**
 * Query understanding in the engine's search path (see src/query/understanding.ts for what is read): the
 * catalogue's brand and category vocabulary kept from the doc values, the price phrases' filter, the
 * default demotion of candidates whose size or measure conflicts with the query's, per-candidate signals
 * for a learned ranker, and "did you mean".
 *
 * What a candidate says about size and measures is read from its index term ids; what each term id says
 * is computed once per index and cached, so a candidate costs a walk over its distinct terms.
 */
import type { UnderstandingConfig } from '../config.ts';
import type { DocValues } from '../filter/doc-values.ts';
import type { LexicalIndex } from '../lexical/lexical-index.ts';
import { termKey } from '../lexical/lexical-index.ts';
import {
  hasSizeOrMeasure,
  matchSignals,
  measureOfKey,
  QueryVocabulary,
  sizeKeyRole,
  understandQuery,
  type CandidateFacts,
  type MatchSignals,
  type Measure,
  type QueryUnderstanding,
} from '../query/understanding.ts';
import { analyze } from '../text/analyzer.ts';
import type { Token } from '../text/token.ts';

/** Ranking feature names (src/rank/features.ts) of the signals, in MATCH_SIGNAL_NAMES order. */
export const RANKING_SIGNAL_NAMES = {
  sizeMatch: 'size_match',
  sizeConflict: 'size_conflict',
  measureMatch: 'measure_match',
  measureConflict: 'measure_conflict',
  brandMatch: 'brand_match',
  categoryMatch: 'category_match',
} as const satisfies Record<keyof MatchSignals, string>;

export type RankingSignalName = (typeof RANKING_SIGNAL_NAMES)[keyof MatchSignals];

// What one term id says, as bits: sizeKeyRole flags (low byte), a measure, a bare number.
const COMPUTED = 1 << 16;
const MEASURE = 1 << 8;
const BARE_NUMBER = 1 << 9;
const SIZE_BITS = 0xff;
const BARE_NUMBER_KEY = /^[\d./-]+$/;

interface TermFacts {
  roles: Int32Array;
  measures: Map<number, Measure>;
}

const termFacts = new WeakMap<LexicalIndex, TermFacts>();

function factsOfIndex(index: LexicalIndex): TermFacts {
  let facts = termFacts.get(index);
  if (facts === undefined) {
    facts = { roles: new Int32Array(Math.max(1024, index.vocabularySize)), measures: new Map() };
    termFacts.set(index, facts);
  }
  return facts;
}

function roleOf(index: LexicalIndex, facts: TermFacts, termId: number): number {
  if (termId >= facts.roles.length) {
    const roles = new Int32Array(Math.max(termId + 1, facts.roles.length * 2));
    roles.set(facts.roles);
    facts.roles = roles;
  }
  let role = facts.roles[termId]!;
  if (role !== 0) return role;
  const key = index.termKeyOf(termId) ?? '';
  role = COMPUTED | sizeKeyRole(key);
  const measure = measureOfKey(key);
  if (measure !== undefined) {
    role |= MEASURE;
    facts.measures.set(termId, measure);
  } else if (BARE_NUMBER_KEY.test(key)) role |= BARE_NUMBER;
  facts.roles[termId] = role;
  return role;
}

interface VocabularyState {
  vocabulary: QueryVocabulary;
  seen: { brand: number; category: number };
  last: { brand: string | undefined; category: string | undefined };
}

const vocabularies = new WeakMap<DocValues, VocabularyState>();

/**
 * The query vocabulary of the doc values' brands and categories, brought up to date with the values seen
 * since the last query (the dictionary only grows; a remap that renumbered it starts it over).
 */
export function vocabularyOf(values: DocValues): QueryVocabulary {
  let state = vocabularies.get(values);
  const fresh = (): VocabularyState => ({
    vocabulary: new QueryVocabulary(),
    seen: { brand: 0, category: 0 },
    last: { brand: undefined, category: undefined },
  });
  state ??= fresh();
  for (const field of ['brand', 'category'] as const) {
    const seen = state.seen[field];
    const n = values.valueCount(field);
    if (seen > 0 && (n < seen || values.valueAt(field, seen - 1)?.key !== state.last[field])) {
      state = fresh();
      return vocabularyOfFresh(values, state);
    }
  }
  return vocabularyOfFresh(values, state);
}

function vocabularyOfFresh(values: DocValues, state: VocabularyState): QueryVocabulary {
  for (const field of ['brand', 'category'] as const) {
    const n = values.valueCount(field);
    for (let i = state.seen[field]; i < n; i++) {
      const value = values.valueAt(field, i)!;
      if (field === 'brand') state.vocabulary.addBrand(value.key, value.display);
      else state.vocabulary.addCategory(value.key, value.display);
    }
    state.seen[field] = n;
    state.last[field] = n > 0 ? values.valueAt(field, n - 1)!.key : undefined;
  }
  vocabularies.set(values, state);
  return state.vocabulary;
}

const NO_MEASURES: readonly Measure[] = [];
const NO_NUMBERS: ReadonlySet<string> = new Set();

/** A search request's query as understood, bound to the index and doc values that answer it. */
export class UnderstoodQuery {
  constructor(
    readonly understanding: QueryUnderstanding,
    private readonly index: LexicalIndex,
    private readonly values: DocValues,
    private readonly config: UnderstandingConfig,
  ) {
    this.wantedNumbers = new Set(understanding.measures.map((measure) => measure.number));
  }

  private readonly wantedNumbers: ReadonlySet<string>;

  /** The text to match (the query without its price phrases). */
  get text(): string {
    return this.understanding.text;
  }

  get tokens(): Token[] {
    return this.understanding.tokens;
  }

  /** The request's filter AND the price phrases' range (inclusive bounds; products without a price fail). */
  filter(base: ((docId: number) => boolean) | undefined): ((docId: number) => boolean) | undefined {
    const price = this.understanding.price;
    if (price === undefined) return base;
    const min = price.min ?? -Infinity;
    const max = price.max ?? Infinity;
    const values = this.values;
    const inRange = (docId: number): boolean => {
      const value = values.price(docId);
      return value >= min && value <= max;
    };
    return base ? (docId) => inRange(docId) && base(docId) : inRange;
  }

  /** What the index and doc values say about a candidate (brand and categories only when `withValues`). */
  facts(docId: number, withValues = true): CandidateFacts {
    const index = this.index;
    const cache = factsOfIndex(index);
    let sizeFlags = 0;
    let measures: Measure[] | undefined;
    let numbers: Set<string> | undefined;
    // Only the bare numbers of the query's measures matter (matchSignals' `42` of `42 x 58cm`).
    const wanted = this.wantedNumbers;
    for (const termId of index.documentTermIds(docId)) {
      const role = roleOf(index, cache, termId);
      if (role === COMPUTED) continue;
      sizeFlags |= role & SIZE_BITS;
      if (role & MEASURE) (measures ??= []).push(cache.measures.get(termId)!);
      else if (role & BARE_NUMBER && wanted.size > 0) {
        const key = index.termKeyOf(termId)!;
        if (wanted.has(key)) (numbers ??= new Set()).add(key);
      }
    }
    const facts: CandidateFacts = {
      sizeFlags,
      measures: measures ?? NO_MEASURES,
      numbers: numbers ?? NO_NUMBERS,
    };
    if (withValues) {
      facts.brand = this.values.docValuesOf(docId, 'brand')[0];
      facts.categories = this.values.docValuesOf(docId, 'category');
    }
    return facts;
  }

  /** The understanding's signals for one candidate (see MatchSignals). */
  signals(docId: number): MatchSignals {
    return matchSignals(this.understanding, this.facts(docId), this.config.measureTolerance);
  }

  /** Signals of candidates as columns under their ranking feature names (RANKING_SIGNAL_NAMES). */
  signalColumns(docIds: ArrayLike<number>): Record<RankingSignalName, Float32Array> {
    const columns = Object.fromEntries(
      Object.values(RANKING_SIGNAL_NAMES).map((name) => [name, new Float32Array(docIds.length)]),
    ) as Record<RankingSignalName, Float32Array>;
    const u = this.understanding;
    if (!hasSizeOrMeasure(u) && u.brandKeys.length === 0 && u.categoryKeys.length === 0) return columns;
    for (let i = 0; i < docIds.length; i++) {
      const signals = this.signals(docIds[i]!);
      for (const [name, column] of Object.entries(RANKING_SIGNAL_NAMES) as Array<
        [keyof MatchSignals, RankingSignalName]
      >) {
        columns[column][i] = signals[name];
      }
    }
    return columns;
  }

  /**
   * The default ranking adjustment: among the `depth` best candidates, one whose size is the opposite of
   * the query's (or whose measures conflict) has its score multiplied by the configured penalty (a
   * neighbouring size: its square root). Returns new scores, or the same array when nothing changed.
   */
  adjust(docIds: Int32Array, scores: Float32Array, depth: number): Float32Array {
    const u = this.understanding;
    const { sizeConflictPenalty, measureConflictPenalty, measureTolerance } = this.config;
    if (!this.config.enabled || !hasSizeOrMeasure(u) || docIds.length === 0) return scores;
    if (sizeConflictPenalty === 1 && measureConflictPenalty === 1) return scores;
    // Every candidate scoring at least the depth-th best score (ties may add a few).
    const floor = docIds.length <= depth ? -Infinity : kthLargest(scores, depth);
    let out: Float32Array | undefined;
    for (let entry = 0; entry < docIds.length; entry++) {
      const score = scores[entry]!;
      if (!(score > 0) || score < floor) continue;
      const signals = matchSignals(u, this.facts(docIds[entry]!, false), measureTolerance);
      const factor =
        Math.pow(sizeConflictPenalty, signals.sizeConflict) *
        Math.pow(measureConflictPenalty, signals.measureConflict);
      if (factor === 1) continue;
      out ??= Float32Array.from(scores);
      out[entry] = score * factor;
    }
    return out ?? scores;
  }
}

/** The k-th largest of the values (1-based k ≤ length), by quickselect on a copy: linear on average. */
export function kthLargest(values: Float32Array, k: number): number {
  const a = Float32Array.from(values);
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target]!;
}

/** Understands a query for one search (`config.enabled` false: the text as typed, nothing read into it). */
export function understandSearch(
  q: string,
  config: UnderstandingConfig,
  index: LexicalIndex,
  values: DocValues,
): UnderstoodQuery {
  const understanding: QueryUnderstanding = config.enabled
    ? understandQuery(q, vocabularyOf(values), { priceFilters: config.priceFilters })
    : {
        text: q,
        tokens: analyze(q),
        pricePhrases: [],
        sizes: [],
        measures: [],
        brandKeys: [],
        categoryKeys: [],
      };
  return new UnderstoodQuery(understanding, index, values, config);
}

/** A correction must be this many times more frequent than a word the catalogue has (a rare word). */
const RARE_FACTOR = 100;
/**
 * When the query finds nothing, words from this many letters get two edits ("marrazi" → "marazzi"): any
 * guess beats an empty page, and a suggestion is only made when some product has every corrected word.
 */
const NO_HITS_TWO_TYPOS_MIN_LENGTH = 5;

/**
 * "Did you mean": every word of the query the catalogue does not have (or has far less often than a
 * spelling one or two edits away) replaced by its best correction from the index's vocabulary, when the
 * corrected query finds more than `total` products (`count` runs it; it should count none unless some
 * product has every corrected word). Words get one edit from `oneTypoMinLength` letters, two from
 * `twoTyposMinLength`, as typo matching does (from 5 letters when the query found nothing). Price phrases are
 * kept, at the end.
 */
export function suggestQuery(
  understood: UnderstoodQuery,
  index: LexicalIndex,
  total: number,
  count: (text: string, tokens: Token[]) => number,
  lengths: { oneTypoMinLength: number; twoTyposMinLength: number },
): string | undefined {
  const { text, tokens, pricePhrases } = understood.understanding;
  let corrected = '';
  let copied = 0;
  for (const token of tokens) {
    if (token.kind !== 'word' || token.start < copied || /\d/.test(token.surface)) continue;
    const length = [...token.surface].length;
    if (length < lengths.oneTypoMinLength) continue;
    const frequency = index.frequency(termKey(token));
    const twoTypos =
      length >= lengths.twoTyposMinLength || (total === 0 && length >= NO_HITS_TWO_TYPOS_MIN_LENGTH);
    const maxDistance = twoTypos ? 2 : 1;
    // One edit anywhere (a wrong first letter too); two edits keep the first letter, as typo matching does.
    const best = index.correction(token.surface, maxDistance, maxDistance === 1 ? 0 : 1);
    if (best === undefined || best.frequency < Math.max(1, RARE_FACTOR * frequency)) continue;
    corrected += text.slice(copied, token.start) + best.surface;
    copied = token.end;
  }
  if (copied === 0) return undefined;
  corrected = (corrected + text.slice(copied)).replace(/\s+/g, ' ').trim();
  if (count(corrected, analyze(corrected)) <= total) return undefined;
  return [corrected, ...pricePhrases].join(' ');
}
