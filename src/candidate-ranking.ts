/**
 * The learned-ranking stage between retrieval and the page: gathers per-candidate evidence from the
 * engine's indexes (through `RankingSources`, so this file knows no store, model or HTTP), builds feature
 * rows and re-orders the top candidates by a ranker's scores. The same rows feed training, so what a model
 * learns from is exactly what it later sees.
 */
import type { DocValues } from './filter/doc-values.ts';
import {
  explainWidth,
  termKey,
  type LexicalIndex,
  type MatchOptions,
  type QueryTerm,
} from './lexical/lexical-index.ts';
import { buildFeatures, featureNames, projectFeatures, type SignalName } from './rank/features.ts';
import type { Ranker } from './rank/ranker-models.ts';
import { associationFeatures, type TermAssociations } from './rank/term-associations.ts';
import type { UnderstoodQuery } from './search/understood-query.ts';
import { proximityQueryWords, titleProximity, TITLE_PROXIMITY_FEATURES } from './rank/title-proximity.ts';
import { analyze, containsCjk } from './text/analyzer.ts';
import type { Token } from './text/token.ts';
import { isHeadWord, titleHeadTokens } from './text/title-head.ts';

export interface RankingSources {
  index: LexicalIndex;
  values: DocValues;
  fields: readonly string[];
  expansion: Pick<
    MatchOptions,
    'maxExpansions' | 'prefixWeight' | 'typoWeights' | 'typoExactPrefix' | 'typoMaxFrequency'
  >;
  textVectorOf(docId: number): Float32Array | undefined;
  imageVectorOf(docId: number): Float32Array | undefined;
  /** The candidates' titles, in order (undefined for a product gone meanwhile): the index keeps no word order. */
  titlesOf(docIds: Int32Array): Promise<Array<string | undefined>>;
  /** Query-understanding and feedback signals for the candidates (missing ones read as 0). */
  signals?(query: RankingQuery, docIds: Int32Array): Partial<Record<SignalName, Float32Array>> | undefined;
}

export interface RankingQuery {
  q: string;
  tokens: readonly Token[];
  /** Planned lexical query terms (with expansions' settings); empty when the words were not matched. */
  terms: readonly QueryTerm[];
  lexical?: { docIds: Int32Array; scores: Float32Array } | undefined;
  textVector?: Float32Array | undefined;
  imageVector?: Float32Array | undefined;
  userId?: string | undefined;
  /** Size, measure, brand and category reading of the query (its per-candidate signals are features). */
  understood?: UnderstoodQuery | undefined;
}

/** Entries of the `n` best scores, best first (ties by position). */
export function topEntries(scores: Float32Array, n: number): Int32Array {
  const entries = Array.from({ length: scores.length }, (_, i) => i);
  entries.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return Int32Array.from(entries.slice(0, n));
}

function cosine(a: Float32Array | undefined, b: Float32Array | undefined): number {
  if (!a || !b || a.length !== b.length) return NaN;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : NaN;
}

/** Padded character trigrams of a word (`hoodie` → ` ho`, `hoo`, …, `ie `). */
function addTrigrams(word: string, into: Set<string>): void {
  const padded = ` ${word} `;
  for (let i = 0; i + 3 <= padded.length; i++) into.add(padded.slice(i, i + 3));
}

/** Latin words and numbers only: Chinese is matched by characters and bigrams already. */
function isLatinKey(key: string): boolean {
  return key !== '' && !containsCjk(key) && key.charCodeAt(0) !== 2;
}

function trigramOverlap(index: LexicalIndex, tokens: readonly Token[], docIds: Int32Array): Float32Array {
  const out = new Float32Array(docIds.length);
  const wanted = new Set<string>();
  for (const token of tokens) if (isLatinKey(token.term)) addTrigrams(token.term, wanted);
  if (wanted.size === 0) return out;
  docIds.forEach((docId, i) => {
    const have = new Set<string>();
    for (const termId of index.documentTermIds(docId)) {
      const key = index.termKeyOf(termId);
      if (key !== undefined && isLatinKey(key)) addTrigrams(key, have);
    }
    let shared = 0;
    for (const trigram of wanted) if (have.has(trigram)) shared++;
    out[i] = shared / wanted.size;
  });
  return out;
}

/**
 * Where the query's head word (the query read like a title, see text/title-head.ts: "fan" in "hampton
 * ceiling fan" and in "ceiling fan with light"; else its last word that is not a number or a model code)
 * occurs in each candidate: `inHead[i]` is its coverage of the candidate's title head (1 when it is one of
 * the head words), `inTitle[i]` the same for the title. Both 0 without such a word or without those fields.
 */
function queryHeadMatches(
  sources: RankingSources,
  query: RankingQuery,
  docIds: Int32Array,
): { inHead: Float32Array; inTitle: Float32Array } {
  const C = docIds.length;
  const inHead = new Float32Array(C);
  const inTitle = new Float32Array(C);
  // Read like a title: "wall tile for bathroom" wants a tile, "ceiling fan with light" a fan.
  const heads = titleHeadTokens(query.q, query.tokens);
  let head: Token | undefined = heads[heads.length - 1];
  if (head === undefined) {
    for (const token of query.tokens) if (isHeadWord(token)) head = token;
  }
  const term = head && query.terms.find((t) => t.term === head.term && t.alternativeCredit === undefined);
  const F = sources.fields.length;
  const headField = sources.fields.indexOf('titleHead');
  const titleField = sources.fields.indexOf('title');
  if (!term || headField < 0 || titleField < 0 || C === 0) return { inHead, inTitle };
  const width = explainWidth(F);
  const rows = sources.index.explain([term], docIds, sources.expansion);
  for (let i = 0; i < C; i++) {
    inHead[i] = rows[i * width + F + headField]!;
    inTitle[i] = rows[i * width + F + titleField]!;
  }
  return { inHead, inTitle };
}

/**
 * The title proximity features (rank/title-proximity.ts) of every candidate, one row per candidate. The
 * titles are read from the store only when the query has words they could place (not for Chinese queries).
 */
async function titleProximityColumns(
  sources: RankingSources,
  query: RankingQuery,
  docIds: Int32Array,
): Promise<Float32Array> {
  const width = TITLE_PROXIMITY_FEATURES.length;
  const out = new Float32Array(docIds.length * width).fill(-1);
  const words = proximityQueryWords(query.tokens);
  if (words.length === 0 || docIds.length === 0) return out;
  const titles = await sources.titlesOf(docIds);
  titles.forEach((title, i) => {
    if (title !== undefined) titleProximity(words, analyze(title), out, i * width);
  });
  return out;
}

/**
 * Index keys that term associations are learned over: words, numbers and Chinese words — not single Chinese
 * characters nor character bigrams, which are other readings of those words.
 */
function isAssociationKey(key: string): boolean {
  if (key === '' || key.charCodeAt(0) === 2) return false;
  return !(key.length === 1 && containsCjk(key));
}

/** The query's own terms (not alternatives), as association keys, each once. */
export function associationQueryTerms(terms: readonly QueryTerm[]): string[] {
  const out = new Set<string>();
  for (const term of terms) {
    if (term.alternativeCredit !== undefined) continue;
    const key = termKey(term);
    if (isAssociationKey(key)) out.add(key);
  }
  return [...out];
}

/** A product's indexed terms (every field), as association keys. */
export function productAssociationTerms(index: LexicalIndex, docId: number): Set<string> {
  const out = new Set<string>();
  for (const termId of index.documentTermIds(docId)) {
    const key = index.termKeyOf(termId);
    if (key !== undefined && isAssociationKey(key)) out.add(key);
  }
  return out;
}

function associationColumns(
  index: LexicalIndex,
  query: RankingQuery,
  docIds: Int32Array,
  associations: TermAssociations | undefined,
): { missing: Float32Array; all: Float32Array } {
  const missing = new Float32Array(docIds.length);
  const all = new Float32Array(docIds.length);
  if (!associations || associations.size === 0) return { missing, all };
  const queryTerms = associationQueryTerms(query.terms);
  docIds.forEach((docId, i) => {
    const features = associationFeatures(associations, queryTerms, productAssociationTerms(index, docId));
    missing[i] = features.missing;
    all[i] = features.all;
  });
  return { missing, all };
}

export function rankingFeatureNames(sources: Pick<RankingSources, 'fields'>): string[] {
  return featureNames(sources.fields);
}

/**
 * Feature rows (in `rankingFeatureNames` order) for candidates given in retrieved order. Without
 * `associations` (a model's learned table) the association columns are 0: training fills them in.
 */
export async function candidateFeatures(
  sources: RankingSources,
  query: RankingQuery,
  docIds: Int32Array,
  retrievalScores: Float32Array,
  associations?: TermAssociations,
): Promise<Float32Array> {
  const C = docIds.length;
  const titleProximity = await titleProximityColumns(sources, query, docIds);
  const lexicalScores = new Float32Array(C);
  if (query.lexical) {
    const slot = new Map<number, number>();
    docIds.forEach((docId, i) => slot.set(docId, i));
    const { docIds: matched, scores } = query.lexical;
    for (let i = 0; i < matched.length; i++) {
      const at = slot.get(matched[i]!);
      if (at !== undefined) lexicalScores[at] = scores[i]!;
    }
  }
  const textSimilarity = new Float32Array(C);
  const imageSimilarity = new Float32Array(C);
  const price = new Float64Array(C);
  const rating = new Float64Array(C);
  const reviews = new Float64Array(C);
  const titleLength = new Float32Array(C);
  const recency = new Float32Array(C);
  const limit = Math.max(1, sources.index.documentNumberLimit - 1);
  for (let i = 0; i < C; i++) {
    const docId = docIds[i]!;
    textSimilarity[i] = cosine(query.textVector, sources.textVectorOf(docId));
    imageSimilarity[i] = cosine(query.imageVector, sources.imageVectorOf(docId));
    price[i] = sources.values.price(docId);
    rating[i] = sources.values.rating(docId);
    reviews[i] = sources.values.reviews(docId);
    titleLength[i] = sources.index.fieldLength(docId, 0);
    recency[i] = docId / limit;
  }
  let terms = 0;
  for (const term of query.terms) if (term.alternativeCredit === undefined) terms++;
  return buildFeatures({
    fields: sources.fields,
    explain: sources.index.explain(query.terms, docIds, sources.expansion),
    retrievalScores,
    lexicalScores,
    textSimilarity,
    imageSimilarity,
    price,
    rating,
    reviews,
    titleLength,
    recency,
    trigramOverlap: trigramOverlap(sources.index, query.tokens, docIds),
    queryHead: queryHeadMatches(sources, query, docIds),
    titleProximity,
    associations: associationColumns(sources.index, query, docIds, associations),
    signals: sources.signals?.(query, docIds) ?? {},
    query: {
      terms,
      matches: query.lexical?.docIds.length ?? 0,
      hasNumber: query.tokens.some((token) => token.kind === 'number'),
      cjk: containsCjk(query.q),
    },
  });
}

/**
 * Re-orders the `n` best candidates by the ranker; the rest keep their order below them. Scores of the
 * re-ranked ones become the ranker's (shifted above every other candidate).
 */
export async function rerankCandidates(
  sources: RankingSources,
  query: RankingQuery,
  ranked: { docIds: Int32Array; scores: Float32Array },
  n: number,
  ranker: Ranker,
): Promise<{ docIds: Int32Array; scores: Float32Array }> {
  const top = topEntries(ranked.scores, n);
  const docIds = Int32Array.from(top, (entry) => ranked.docIds[entry]!);
  const retrievalScores = Float32Array.from(top, (entry) => ranked.scores[entry]!);
  const rows = projectFeatures(
    await candidateFeatures(sources, query, docIds, retrievalScores, ranker.associations),
    rankingFeatureNames(sources),
    ranker.featureNames,
  );
  const modelScores = ranker.score(rows);
  const chosen = new Set(top);
  let restBest = -Infinity;
  for (let i = 0; i < ranked.scores.length; i++) {
    if (!chosen.has(i) && ranked.scores[i]! > restBest) restBest = ranked.scores[i]!;
  }
  let modelWorst = Infinity;
  for (const score of modelScores) modelWorst = Math.min(modelWorst, score);
  const shift = (Number.isFinite(restBest) ? restBest + 1 : 1) - modelWorst;
  const scores = Float32Array.from(ranked.scores);
  top.forEach((entry, i) => (scores[entry] = modelScores[i]! + shift));
  return { docIds: ranked.docIds, scores };
}
