/**
 * Search rules a shop sets by hand: synonyms and merchandising (pin, hide, boost, bury) per query pattern.
 * Pure: validation, compilation and the two transformations the engine calls, synonym variants of a query
 * (before lexical matching) and merchandising of a ranked result (after fusion, just before the page is cut).
 *
 * Synonyms are query variants, not extra query terms: `tv stand` with `tv ↔ television` is also matched as
 * `television stand`, and each product keeps the best of its scores (a variant's scaled by SYNONYM_WEIGHT
 * per substituted phrase). A product that says both "TV" and "television" is therefore not counted twice,
 * and every variant is scored with its own coordination, so a synonym never inflates a product's coverage
 * of the query words (adding the synonym's words as terms would: they would add to the query word's own
 * credit whenever a product has both).
 */
import { SoukError } from '../errors.ts';
import { parseFilter, type FilterNode } from '../filter/filter-parser.ts';
import { topK } from '../search/top-k.ts';
import { analyze, normalizeText, type Token } from '../text/analyzer.ts';

// ---------------------------------------------------------------------------------------------------
// The JSON format

/** Two-way: every phrase finds what the others find. */
export interface SynonymGroup {
  terms: string[];
}

/** One-way: a query with `from` also finds what `to` finds, not the reverse. */
export interface OneWaySynonym {
  from: string;
  to: string[];
}

export type SynonymEntry = SynonymGroup | OneWaySynonym;

/**
 * When a rule applies, judged on the query the shopper typed. `equals` / `contains` compare analysed words
 * (case, width, plurals and Traditional/Simplified Chinese folded: `equals: "tv"` matches `TVs`; `contains`
 * needs the pattern's words in a row, Chinese by characters). `regex` is a JavaScript regular expression
 * (case-insensitive) tested against the normalised query text (NFKC, lower case, single spaces, trimmed).
 * A rule without `query` applies to every query, including the empty one (browsing); `equals: ""` applies
 * to the empty query only.
 */
export interface QueryPattern {
  equals?: string;
  contains?: string;
  regex?: string;
}

export interface Pin {
  id: string;
  /** 1-based position in the whole result (not per page). */
  position: number;
}

export interface ScoreAdjustment {
  /** Filter expression (the search filter language) selecting the products. */
  filter: string;
  /** Multiplies the score: greater than 1 for `boost`, between 0 and 1 for `bury`. */
  factor: number;
}

export interface MerchandisingRule {
  /** A name for the rule (shown back, not interpreted). */
  id?: string;
  query?: QueryPattern;
  pin?: Pin[];
  hide?: string[];
  boost?: ScoreAdjustment[];
  bury?: ScoreAdjustment[];
}

export interface Rules {
  synonyms: SynonymEntry[];
  merchandising: MerchandisingRule[];
}

export const EMPTY_RULES: Rules = { synonyms: [], merchandising: [] };
/** Store metadata key the engine keeps the rules under (JSON). */
export const RULES_META_KEY = 'rules';

/** Score of a synonym variant relative to the query as typed, per substituted phrase. */
export const SYNONYM_WEIGHT = 0.9;
/** Most variants one query is matched as (the query itself not counted). */
export const MAX_VARIANTS = 16;
export const MAX_PIN_POSITION = 1000;
const MAX_SYNONYM_ENTRIES = 10_000;
const MAX_RULES = 1000;
const MAX_LIST = 1000;
const MAX_PHRASE_LENGTH = 200;
const MAX_REGEX_LENGTH = 500;
const MAX_FACTOR = 1000;

// ---------------------------------------------------------------------------------------------------
// Validation

function invalid(path: string, message: string, extra: Record<string, unknown> = {}): SoukError {
  return new SoukError('INVALID_REQUEST', `rules: ${path} ${message}`, { field: path, ...extra });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const where = path === '' ? key : `${path}.${key}`;
      throw invalid(where, `is not a known field (expected ${allowed.join(', ')})`);
    }
  }
}

function checkArray(value: unknown, path: string, min: number, max = MAX_LIST): unknown[] {
  if (!Array.isArray(value)) throw invalid(path, 'must be an array');
  if (value.length < min) throw invalid(path, `must have at least ${min} item${min === 1 ? '' : 's'}`);
  if (value.length > max) throw invalid(path, `must have at most ${max} items`);
  return value;
}

function checkString(value: unknown, path: string, max = MAX_PHRASE_LENGTH): string {
  if (typeof value !== 'string') throw invalid(path, 'must be a string');
  if (value.length > max) throw invalid(path, `must be at most ${max} characters`);
  return value;
}

/** A synonym phrase: a string with at least one searchable word. */
function checkPhrase(value: unknown, path: string): string {
  const phrase = checkString(value, path);
  if (baseTerms(analyze(phrase)).length === 0) throw invalid(path, 'must contain a searchable word');
  return phrase;
}

function checkSynonym(value: unknown, path: string): SynonymEntry {
  if (!isObject(value))
    throw invalid(path, 'must be an object: {"terms": [...]} or {"from": ..., "to": [...]}');
  if ('terms' in value) {
    checkKeys(value, ['terms'], path);
    const terms = checkArray(value.terms, `${path}.terms`, 2, 100).map((term, i) =>
      checkPhrase(term, `${path}.terms[${i}]`),
    );
    return { terms };
  }
  if ('from' in value || 'to' in value) {
    checkKeys(value, ['from', 'to'], path);
    const from = checkPhrase(value.from, `${path}.from`);
    const to = checkArray(value.to, `${path}.to`, 1, 100).map((term, i) =>
      checkPhrase(term, `${path}.to[${i}]`),
    );
    return { from, to };
  }
  throw invalid(path, 'must have "terms" (two-way) or "from" and "to" (one-way)');
}

function checkPattern(value: unknown, path: string): QueryPattern {
  if (!isObject(value)) throw invalid(path, 'must be an object with one of equals, contains, regex');
  checkKeys(value, ['equals', 'contains', 'regex'], path);
  const given = Object.keys(value);
  if (given.length !== 1) throw invalid(path, 'must have exactly one of equals, contains, regex');
  if (value.equals !== undefined) return { equals: checkString(value.equals, `${path}.equals`) };
  if (value.contains !== undefined) {
    const contains = checkString(value.contains, `${path}.contains`);
    if (baseTerms(analyze(contains)).length === 0)
      throw invalid(`${path}.contains`, 'must contain a searchable word');
    return { contains };
  }
  const regex = checkString(value.regex, `${path}.regex`, MAX_REGEX_LENGTH);
  try {
    new RegExp(regex, 'iu');
  } catch (error) {
    throw invalid(`${path}.regex`, `is not a valid regular expression: ${(error as Error).message}`);
  }
  return { regex };
}

function checkId(value: unknown, path: string): string {
  const id = checkString(value, path, 1000);
  if (id === '') throw invalid(path, 'must be a non-empty product id');
  return id;
}

function checkAdjustments(value: unknown, path: string, kind: 'boost' | 'bury'): ScoreAdjustment[] {
  return checkArray(value, path, 0, 100).map((item, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(item)) throw invalid(at, 'must be an object {"filter": ..., "factor": ...}');
    checkKeys(item, ['filter', 'factor'], at);
    const filter = checkString(item.filter, `${at}.filter`, 4096);
    if (filter.trim() === '') throw invalid(`${at}.filter`, 'must be a filter expression');
    try {
      parseFilter(filter);
    } catch (error) {
      const cause = error instanceof SoukError ? error : undefined;
      throw invalid(`${at}.filter`, `is not a valid filter: ${cause?.message ?? String(error)}`, {
        position: cause?.details.position,
      });
    }
    const factor = item.factor;
    const ok =
      typeof factor === 'number' &&
      Number.isFinite(factor) &&
      (kind === 'boost' ? factor > 1 && factor <= MAX_FACTOR : factor > 0 && factor < 1);
    if (!ok) {
      throw invalid(
        `${at}.factor`,
        kind === 'boost'
          ? `must be a number greater than 1 and at most ${MAX_FACTOR} (the score is multiplied by it)`
          : 'must be a number between 0 and 1, exclusive (the score is multiplied by it)',
      );
    }
    return { filter, factor };
  });
}

function checkRule(value: unknown, path: string): MerchandisingRule {
  if (!isObject(value)) throw invalid(path, 'must be an object');
  checkKeys(value, ['id', 'query', 'pin', 'hide', 'boost', 'bury'], path);
  const rule: MerchandisingRule = {};
  if (value.id !== undefined) rule.id = checkString(value.id, `${path}.id`);
  if (value.query !== undefined) rule.query = checkPattern(value.query, `${path}.query`);
  if (value.pin !== undefined) {
    rule.pin = checkArray(value.pin, `${path}.pin`, 0).map((item, i) => {
      const at = `${path}.pin[${i}]`;
      if (!isObject(item)) throw invalid(at, 'must be an object {"id": ..., "position": ...}');
      checkKeys(item, ['id', 'position'], at);
      const id = checkId(item.id, `${at}.id`);
      const position = item.position;
      if (
        typeof position !== 'number' ||
        !Number.isInteger(position) ||
        position < 1 ||
        position > MAX_PIN_POSITION
      )
        throw invalid(`${at}.position`, `must be an integer from 1 to ${MAX_PIN_POSITION}`);
      return { id, position };
    });
  }
  if (value.hide !== undefined) {
    rule.hide = checkArray(value.hide, `${path}.hide`, 0).map((id, i) => checkId(id, `${path}.hide[${i}]`));
  }
  if (value.boost !== undefined) rule.boost = checkAdjustments(value.boost, `${path}.boost`, 'boost');
  if (value.bury !== undefined) rule.bury = checkAdjustments(value.bury, `${path}.bury`, 'bury');
  return rule;
}

/**
 * Checks a rules document and returns a clean copy (only known fields). Missing `synonyms` or
 * `merchandising` are empty. Throws SoukError INVALID_REQUEST naming the field path, e.g.
 * `merchandising[2].pin[0].position`.
 */
export function validateRules(input: unknown): Rules {
  if (!isObject(input)) {
    throw new SoukError(
      'INVALID_REQUEST',
      'rules: expected an object {"synonyms": [...], "merchandising": [...]}',
      {
        field: 'rules',
      },
    );
  }
  checkKeys(input, ['synonyms', 'merchandising'], '');
  const synonyms = checkArray(input.synonyms ?? [], 'synonyms', 0, MAX_SYNONYM_ENTRIES).map((entry, i) =>
    checkSynonym(entry, `synonyms[${i}]`),
  );
  const merchandising = checkArray(input.merchandising ?? [], 'merchandising', 0, MAX_RULES).map((rule, i) =>
    checkRule(rule, `merchandising[${i}]`),
  );
  return { synonyms, merchandising };
}

// ---------------------------------------------------------------------------------------------------
// Compilation

interface Phrase {
  terms: string[];
  /** Phrases (as written) the query is also matched as when it contains this one. */
  alternatives: Map<string, string>;
}

interface CompiledRule {
  matches: (normalised: string, terms: readonly string[]) => boolean;
  pins: Pin[];
  hide: string[];
  adjustments: Array<{ filter: FilterNode; factor: number }>;
}

export interface CompiledRules {
  /** The validated rules, as `getRules` returns them. */
  readonly rules: Rules;
  /** Phrases by their first term. */
  readonly phrases: ReadonlyMap<string, readonly Phrase[]>;
  readonly merchandising: readonly CompiledRule[];
}

/** The searchable units of a text in order: words, numbers and single Chinese characters. */
function baseTokens(tokens: readonly Token[]): Token[] {
  return tokens
    .filter((token) => token.kind === 'word' || token.kind === 'number' || token.kind === 'cjk-char')
    .sort((a, b) => a.start - b.start);
}

function baseTerms(tokens: readonly Token[]): string[] {
  return baseTokens(tokens).map((token) => token.term);
}

const termsKey = (terms: readonly string[]): string => terms.join('\u0001');

function containsRun(terms: readonly string[], run: readonly string[]): boolean {
  outer: for (let i = 0; i + run.length <= terms.length; i++) {
    for (let j = 0; j < run.length; j++) if (terms[i + j] !== run[j]) continue outer;
    return true;
  }
  return false;
}

function compilePattern(pattern: QueryPattern | undefined): CompiledRule['matches'] {
  if (pattern === undefined) return () => true;
  if (pattern.equals !== undefined) {
    const key = termsKey(baseTerms(analyze(pattern.equals)));
    return (_, terms) => termsKey(terms) === key;
  }
  if (pattern.contains !== undefined) {
    const run = baseTerms(analyze(pattern.contains));
    return (_, terms) => containsRun(terms, run);
  }
  const regex = new RegExp(pattern.regex ?? '', 'iu');
  return (normalised) => regex.test(normalised);
}

/** Validates (see validateRules) and prepares rules for searching. */
export function compileRules(input: unknown): CompiledRules {
  const rules = validateRules(input);
  const byKey = new Map<string, Phrase>();
  const phraseOf = (text: string): Phrase => {
    const terms = baseTerms(analyze(text));
    const key = termsKey(terms);
    let phrase = byKey.get(key);
    if (phrase === undefined) byKey.set(key, (phrase = { terms, alternatives: new Map() }));
    return phrase;
  };
  const link = (from: string, to: string): void => {
    const phrase = phraseOf(from);
    const key = termsKey(baseTerms(analyze(to)));
    if (key !== termsKey(phrase.terms) && !phrase.alternatives.has(key)) phrase.alternatives.set(key, to);
  };
  for (const entry of rules.synonyms) {
    if ('terms' in entry) {
      for (const from of entry.terms) for (const to of entry.terms) link(from, to);
    } else {
      for (const to of entry.to) link(entry.from, to);
    }
  }
  const phrases = new Map<string, Phrase[]>();
  for (const phrase of byKey.values()) {
    if (phrase.alternatives.size === 0) continue;
    const first = phrase.terms[0]!;
    const list = phrases.get(first) ?? [];
    list.push(phrase);
    phrases.set(first, list);
  }
  // Longest phrase first: `flat screen tv` wins over `tv` where both match.
  for (const list of phrases.values()) list.sort((a, b) => b.terms.length - a.terms.length);
  const merchandising = rules.merchandising.map((rule): CompiledRule => ({
    matches: compilePattern(rule.query),
    pins: rule.pin ?? [],
    hide: rule.hide ?? [],
    adjustments: [...(rule.boost ?? []), ...(rule.bury ?? [])].map(({ filter, factor }) => ({
      filter: parseFilter(filter),
      factor,
    })),
  }));
  return { rules, phrases, merchandising };
}

export const NO_RULES: CompiledRules = compileRules(EMPTY_RULES);

// ---------------------------------------------------------------------------------------------------
// Synonyms

export interface QueryVariant {
  /** The query text with synonym phrases substituted (analyse and plan it like a typed query). */
  text: string;
  /** SYNONYM_WEIGHT per substituted phrase. */
  weight: number;
}

const CJK_EDGE = /[\p{Script=Han}]/u;

/** Text to put between two pieces so that words stay apart, and Chinese characters together. */
function joiner(left: string, right: string): string {
  if (left === '' || right === '') return '';
  const a = left.at(-1)!;
  const b = right[0]!;
  if (/\s/.test(a) || /\s/.test(b)) return '';
  return CJK_EDGE.test(a) && CJK_EDGE.test(b) ? '' : ' ';
}

/**
 * The variants a query is also matched as: each synonym phrase found in it (whole words in a row, Chinese
 * by characters, longest first, not overlapping) replaced by each of its alternatives, one or more at a
 * time (fewest substitutions first, at most MAX_VARIANTS). `tokens` are `analyze(text)`. A substitution
 * at the end of the text gets a trailing space: a synonym is never completed as a prefix.
 */
export function synonymVariants(
  compiled: CompiledRules,
  text: string,
  tokens: readonly Token[],
): QueryVariant[] {
  if (compiled.phrases.size === 0) return [];
  const base = baseTokens(tokens);
  const found: Array<{ start: number; end: number; alternatives: string[] }> = [];
  for (let i = 0; i < base.length;) {
    let matched: Phrase | undefined;
    for (const phrase of compiled.phrases.get(base[i]!.term) ?? []) {
      if (i + phrase.terms.length > base.length) continue;
      if (phrase.terms.every((term, j) => base[i + j]!.term === term)) {
        matched = phrase;
        break;
      }
    }
    if (matched === undefined) {
      i++;
      continue;
    }
    const last = base[i + matched.terms.length - 1]!;
    found.push({ start: base[i]!.start, end: last.end, alternatives: [...matched.alternatives.values()] });
    i += matched.terms.length;
  }
  if (found.length === 0) return [];

  // Choices per occurrence (-1 keeps the query's own words), enumerated by number of substitutions.
  const combinations: number[][] = [];
  const walk = (at: number, chosen: number[], substitutions: number, wanted: number): void => {
    if (combinations.length >= MAX_VARIANTS) return;
    if (at === found.length) {
      if (substitutions === wanted) combinations.push([...chosen]);
      return;
    }
    const remaining = found.length - at;
    if (substitutions < wanted) {
      found[at]!.alternatives.forEach((_, k) => {
        chosen.push(k);
        walk(at + 1, chosen, substitutions + 1, wanted);
        chosen.pop();
      });
    }
    if (substitutions + remaining > wanted) {
      chosen.push(-1);
      walk(at + 1, chosen, substitutions, wanted);
      chosen.pop();
    }
  };
  for (let wanted = 1; wanted <= found.length && combinations.length < MAX_VARIANTS; wanted++) {
    walk(0, [], 0, wanted);
  }

  const seen = new Set<string>([normalizeText(text)]);
  const variants: QueryVariant[] = [];
  for (const choice of combinations) {
    let out = '';
    let copied = 0;
    let substitutions = 0;
    found.forEach((occurrence, k) => {
      const pick = choice[k]!;
      if (pick < 0) return;
      const replacement = occurrence.alternatives[pick]!;
      const before = text.slice(copied, occurrence.start);
      out += before;
      out += joiner(out, replacement) + replacement;
      copied = occurrence.end;
      substitutions++;
    });
    const rest = text.slice(copied);
    out += rest === '' ? ' ' : joiner(out, rest) + rest;
    const key = normalizeText(out);
    if (seen.has(key)) continue;
    seen.add(key);
    variants.push({ text: out, weight: Math.pow(SYNONYM_WEIGHT, substitutions) });
  }
  return variants;
}

export interface LexicalMatches {
  docIds: Int32Array;
  scores: Float32Array;
  matchedKeys: Set<string>;
  bestCoverage: number;
}

/**
 * The query's matches merged with its variants': each product keeps its best score (a variant's
 * multiplied by its weight), matched terms are pooled (for highlighting), coverage is the best any
 * variant reached.
 */
export function mergeVariantMatches<T extends LexicalMatches>(
  original: T,
  variants: ReadonlyArray<LexicalMatches & { weight: number }>,
): T {
  if (variants.length === 0) return original;
  const best = new Map<number, number>();
  for (let i = 0; i < original.docIds.length; i++) best.set(original.docIds[i]!, original.scores[i]!);
  const matchedKeys = new Set(original.matchedKeys);
  let bestCoverage = original.bestCoverage;
  for (const variant of variants) {
    for (let i = 0; i < variant.docIds.length; i++) {
      const docId = variant.docIds[i]!;
      const score = variant.scores[i]! * variant.weight;
      const known = best.get(docId);
      if (known === undefined || score > known) best.set(docId, score);
    }
    for (const key of variant.matchedKeys) matchedKeys.add(key);
    bestCoverage = Math.max(bestCoverage, variant.bestCoverage);
  }
  const docIds = new Int32Array(best.size);
  const scores = new Float32Array(best.size);
  let n = 0;
  for (const [docId, score] of best) {
    docIds[n] = docId;
    scores[n++] = score;
  }
  return { ...original, docIds, scores, matchedKeys, bestCoverage };
}

// ---------------------------------------------------------------------------------------------------
// Merchandising

export interface MerchandisingContext {
  /** Relevance order: pins apply only then (another sort order has no positions to pin to). */
  relevance: boolean;
  /** Current document number of a live product. */
  docIdOf(id: string): number | undefined;
  /** Whether the request (its filter and id restriction) admits a product: a pinned product must pass. */
  accepts(docId: number): boolean;
  /** A predicate for a rule's filter, compiled against the current document values. */
  compile(filter: FilterNode): (docId: number) => boolean;
}

export interface Ranked {
  docIds: Int32Array;
  scores: Float32Array;
}

/** The merchandising rules whose query pattern matches the query, in rule order. */
export function matchingRules(compiled: CompiledRules, query: string): readonly CompiledRule[] {
  if (compiled.merchandising.length === 0) return [];
  const normalised = normalizeText(query);
  const terms = baseTerms(analyze(query));
  return compiled.merchandising.filter((rule) => rule.matches(normalised, terms));
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The smallest float32 greater than x (x a float32 value). */
function nextUp(x: number): number {
  if (x === Infinity || Number.isNaN(x)) return x;
  if (x === -Infinity) return -3.4028234663852886e38;
  if (x === 0) return 1.401298464324817e-45;
  F32[0] = x;
  if (x > 0) U32[0]!++;
  else U32[0]!--;
  return F32[0]!;
}

/**
 * Applies the merchandising rules matching `query` to a ranked result (products in any order with
 * scores; the engine orders by score, then document number):
 *
 * - `hide` removes the products (whatever the sort order; hiding wins over pinning);
 * - `boost` / `bury` multiply the scores of the products their filter selects (factors of several
 *   adjustments multiply; a browse result, whose scores are all 0, is scored 1 first so they order it;
 *   a negative score is divided instead, so a boost still lifts it);
 * - `pin` puts products at fixed 1-based positions of the relevance order, whether or not they matched
 *   the query, as long as they exist and pass the request's filter; a position past the end of the result
 *   becomes the last one; of two pins on one position the first (in rule order) keeps it and the other
 *   takes the next free one; a product pinned twice keeps its first pin. Pinned products are given scores
 *   just above the product that follows them, so the scores still order the result. Pins are ignored
 *   for other sort orders.
 *
 * The returned lists are the whole result, so totals and facets count pinned and hidden products right.
 */
export function applyMerchandising(
  compiled: CompiledRules,
  query: string,
  ranked: Ranked,
  context: MerchandisingContext,
): Ranked {
  const rules = matchingRules(compiled, query);
  if (rules.length === 0) return ranked;

  const hidden = new Set<number>();
  for (const rule of rules) {
    for (const id of rule.hide) {
      const docId = context.docIdOf(id);
      if (docId !== undefined) hidden.add(docId);
    }
  }
  const pinned = new Map<number, number>(); // docId → 0-based slot
  const takenSlots = new Set<number>();
  if (context.relevance) {
    for (const rule of rules) {
      for (const pin of rule.pins) {
        const docId = context.docIdOf(pin.id);
        if (docId === undefined || hidden.has(docId) || pinned.has(docId) || !context.accepts(docId))
          continue;
        let slot = pin.position - 1;
        while (takenSlots.has(slot)) slot++;
        takenSlots.add(slot);
        pinned.set(docId, slot);
      }
    }
  }

  // Hidden products out, pinned ones in (at the end for now).
  let docIds: Int32Array = ranked.docIds;
  let scores: Float32Array = ranked.scores;
  if (hidden.size > 0 || pinned.size > 0) {
    const missing = new Set(pinned.keys());
    // Document numbers outside the range of the hidden and pinned ones need no set lookup.
    let low = Infinity;
    let high = -Infinity;
    for (const docId of [...hidden, ...missing]) {
      low = Math.min(low, docId);
      high = Math.max(high, docId);
    }
    const source = ranked.docIds;
    const n = source.length;
    const keep = new Uint8Array(n);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const docId = source[i]!;
      if (docId >= low && docId <= high) {
        if (hidden.has(docId)) continue;
        missing.delete(docId);
      }
      keep[i] = 1;
      kept++;
    }
    docIds = new Int32Array(kept + missing.size);
    scores = new Float32Array(kept + missing.size);
    let at = 0;
    for (let i = 0; i < n; i++) {
      if (keep[i] === 0) continue;
      docIds[at] = source[i]!;
      scores[at++] = ranked.scores[i]!;
    }
    for (const docId of missing) {
      docIds[at] = docId;
      scores[at++] = -Infinity;
    }
  }

  const adjustments = rules.flatMap((rule) => rule.adjustments);
  if (adjustments.length > 0) {
    if (scores === ranked.scores) scores = Float32Array.from(scores);
    let allZero = true;
    for (const score of scores) if (score !== 0 && score !== -Infinity) allZero = false;
    const factors = new Float64Array(docIds.length).fill(1);
    for (const { filter, factor } of adjustments) {
      const accepts = context.compile(filter);
      for (let i = 0; i < docIds.length; i++) if (accepts(docIds[i]!)) factors[i]! *= factor;
    }
    for (let i = 0; i < docIds.length; i++) {
      const base = allZero && scores[i] === 0 ? 1 : scores[i]!;
      const factor = factors[i]!;
      if (factor !== 1 || allZero) scores[i] = base >= 0 ? base * factor : base / factor;
    }
  }

  if (pinned.size > 0) placePins(docIds, scores, pinned);
  return { docIds, scores };
}

/** Rewrites the scores of the result's head so that the score order puts every pinned product in its slot. */
function placePins(docIds: Int32Array, scores: Float32Array, pinned: ReadonlyMap<number, number>): void {
  const better = (a: number, b: number): boolean =>
    scores[a]! > scores[b]! || (scores[a] === scores[b] && docIds[a]! < docIds[b]!);
  const entryOf = new Map<number, number>();
  for (let entry = 0; entry < docIds.length && entryOf.size < pinned.size; entry++) {
    if (pinned.has(docIds[entry]!)) entryOf.set(docIds[entry]!, entry);
  }
  let lastSlot = 0;
  for (const slot of pinned.values()) lastSlot = Math.max(lastSlot, slot);
  // The unpinned products that can come before the last pin, and the first one that cannot.
  const unpinnedTop = topK(docIds.length, lastSlot + 1 + pinned.size, better).filter(
    (entry) => !pinned.has(docIds[entry]!),
  );
  const bySlot = [...pinned].sort((a, b) => a[1] - b[1]);
  const head: number[] = [];
  let u = 0;
  let p = 0;
  while (p < bySlot.length) {
    const [docId, slot] = bySlot[p]!;
    if (head.length >= slot || u >= unpinnedTop.length) {
      head.push(entryOf.get(docId)!);
      p++;
    } else {
      head.push(unpinnedTop[u++]!);
    }
  }
  // Strictly decreasing scores along the head, all above the best product after it.
  let lower = u < unpinnedTop.length ? scores[unpinnedTop[u]!]! : -Infinity;
  for (let i = head.length - 1; i >= 0; i--) {
    const entry = head[i]!;
    const own = scores[entry]!;
    const score = own > lower ? own : lower === -Infinity ? 0 : nextUp(lower);
    scores[entry] = score;
    lower = scores[entry]!;
  }
}
