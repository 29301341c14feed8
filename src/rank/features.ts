/**
 * Ranking features for (query, candidate) pairs. Pure: the engine gathers the evidence (lexical per-field
 * scores, vector similarities, product values, feedback aggregates, query-understanding signals) and this
 * module turns it into one fixed-width row per candidate. Names are stored with every trained model, so a
 * model only ever reads features by the names it was trained with (`projectFeatures`).
 */

import { EXPLAIN_EXTRA, explainWidth } from '../lexical/lexical-index.ts';
import { TITLE_PROXIMITY_FEATURES } from './title-proximity.ts';

/** Query-understanding and feedback signals per candidate (0 when unknown). */
export const SIGNAL_NAMES = [
  'size_match',
  'size_conflict',
  'measure_match',
  'measure_conflict',
  'brand_match',
  'category_match',
  'popularity',
  'popularity_log',
  'user_category_affinity',
  'user_brand_affinity',
] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

/**
 * Features read from a model's learned term associations: rows are computed without them and training
 * fills these columns in (out of fold), so they have fixed names to be found by.
 */
export const ASSOCIATION_FEATURES = ['assoc_missing', 'assoc_all'] as const;

export interface CandidateEvidence {
  /** Field names of the lexical index, in its order. */
  fields: readonly string[];
  /** `LexicalIndex.explain` rows (explainWidth(fields.length) per candidate). */
  explain: Float32Array;
  /** Retrieval (fused or lexical) score, in retrieved order (candidate 0 ranked first). */
  retrievalScores: Float32Array;
  /** Lexical BM25F score (0 when the words did not match it). */
  lexicalScores: Float32Array;
  /** Cosine with the query's text / image vector; NaN when either vector is missing. */
  textSimilarity: Float32Array;
  imageSimilarity: Float32Array;
  /** NaN when missing. */
  price: Float64Array;
  rating: Float64Array;
  reviews: Float64Array;
  titleLength: Float32Array;
  /** 0 (oldest write) … 1 (newest write) among live products. */
  recency: Float32Array;
  /** Share of the query words' character trigrams found in the product's indexed words (misspellings, compounds). */
  trigramOverlap: Float32Array;
  /**
   * Coverage of the query's head word (the query read like a title: what the shopper wants) in the
   * candidate's title head and in its title.
   */
  queryHead: { inHead: Float32Array; inTitle: Float32Array };
  /** `TITLE_PROXIMITY_FEATURES.length` numbers per candidate (rank/title-proximity.ts). */
  titleProximity: Float32Array;
  /** Learned query-word → product-word associations (rank/term-associations.ts); 0 without a table. */
  associations: { missing: Float32Array; all: Float32Array };
  /** Per signal name, one value per candidate. */
  signals: Partial<Record<SignalName, Float32Array>>;
  query: { terms: number; hasNumber: boolean; cjk: boolean; matches: number };
}

export function featureNames(fields: readonly string[]): string[] {
  return [
    'retrieval_rank_inverse',
    'retrieval_score_relative',
    'lexical_score',
    'lexical_score_relative',
    ...fields.map((field) => `bm25_${field}`),
    ...fields.map((field) => `coverage_${field}`),
    ...EXPLAIN_EXTRA,
    'text_similarity',
    'text_similarity_gap',
    'image_similarity',
    'price_log',
    'price_relative_log',
    'rating',
    'reviews_log',
    'title_length',
    'recency',
    'trigram_overlap',
    'query_head_in_title_head',
    'query_head_in_title',
    ...TITLE_PROXIMITY_FEATURES,
    ...ASSOCIATION_FEATURES,
    'query_terms',
    'query_matches_log',
    'query_has_number',
    'query_cjk',
    ...SIGNAL_NAMES,
  ];
}

function median(values: Float64Array): number {
  const known = Array.from(values).filter((value) => Number.isFinite(value) && value > 0);
  if (known.length === 0) return NaN;
  known.sort((a, b) => a - b);
  return known[known.length >> 1]!;
}

function maxOf(values: ArrayLike<number>): number {
  let best = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > best) best = values[i]!;
  return best;
}

/** One row of `featureNames(fields).length` numbers per candidate, candidates in retrieved order. */
export function buildFeatures(evidence: CandidateEvidence): Float32Array {
  const F = evidence.fields.length;
  const names = featureNames(evidence.fields);
  const width = names.length;
  const explainColumns = explainWidth(F);
  const C = evidence.retrievalScores.length;
  const out = new Float32Array(C * width);
  const topRetrieval = maxOf(evidence.retrievalScores);
  const topLexical = maxOf(evidence.lexicalScores);
  let topText = -Infinity;
  for (const similarity of evidence.textSimilarity) {
    if (!Number.isNaN(similarity) && similarity > topText) topText = similarity;
  }
  const medianPrice = median(evidence.price);
  for (let c = 0; c < C; c++) {
    const row = c * width;
    let j = 0;
    const put = (value: number): void => {
      out[row + j++] = Number.isFinite(value) ? value : -1;
    };
    put(1 / (1 + c));
    put(topRetrieval > 0 ? evidence.retrievalScores[c]! / topRetrieval : 0);
    put(evidence.lexicalScores[c]!);
    put(topLexical > 0 ? evidence.lexicalScores[c]! / topLexical : 0);
    for (let k = 0; k < explainColumns; k++) put(evidence.explain[c * explainColumns + k]!);
    const text = evidence.textSimilarity[c]!;
    put(text);
    put(Number.isNaN(text) ? -1 : topText - text);
    put(evidence.imageSimilarity[c]!);
    const price = evidence.price[c]!;
    put(Number.isFinite(price) && price >= 0 ? Math.log1p(price) : -1);
    put(Number.isFinite(price) && price > 0 && medianPrice > 0 ? Math.log(price / medianPrice) : 0);
    put(evidence.rating[c]!);
    put(Math.log1p(Number.isFinite(evidence.reviews[c]!) ? evidence.reviews[c]! : 0));
    put(evidence.titleLength[c]!);
    put(evidence.recency[c]!);
    put(evidence.trigramOverlap[c]!);
    put(evidence.queryHead.inHead[c]!);
    put(evidence.queryHead.inTitle[c]!);
    const proximity = TITLE_PROXIMITY_FEATURES.length;
    for (let k = 0; k < proximity; k++) put(evidence.titleProximity[c * proximity + k]!);
    put(evidence.associations.missing[c]!);
    put(evidence.associations.all[c]!);
    put(evidence.query.terms);
    put(Math.log1p(evidence.query.matches));
    put(evidence.query.hasNumber ? 1 : 0);
    put(evidence.query.cjk ? 1 : 0);
    for (const name of SIGNAL_NAMES) put(evidence.signals[name]?.[c] ?? 0);
  }
  return out;
}

/**
 * Reorders feature columns from the engine's current names into a model's names (a model trained before a
 * feature existed ignores it; a feature the model knows but the engine no longer computes reads as -1).
 */
export function projectFeatures(
  rows: Float32Array,
  from: readonly string[],
  to: readonly string[],
): Float32Array {
  if (from.length === to.length && from.every((name, i) => name === to[i])) return rows;
  const index = new Map(from.map((name, i) => [name, i]));
  const count = rows.length / from.length;
  const out = new Float32Array(count * to.length);
  const columns = to.map((name) => index.get(name) ?? -1);
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < to.length; j++) {
      const column = columns[j]!;
      out[r * to.length + j] = column < 0 ? -1 : rows[r * from.length + column]!;
    }
  }
  return out;
}
