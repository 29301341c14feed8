import { productEmbeddingText } from '../embed/product-inputs.ts';
import type { Engine } from '../engine-api.ts';
import { SoukError } from '../errors.ts';
import type { SearchMode } from '../types.ts';

/**
 * Training data for embedding models from judged queries: for each relevant product of a query, one
 * example with the query, the product's text and hard negatives — products souk's own search ranks high
 * for the query that the judgments do not call relevant.
 *
 * Texts are what the text space embeds (`productEmbeddingText`: title, brand, category path, descriptive
 * attributes), so a model fine-tuned on them sees products as souk will show them to it.
 */
export interface TrainingPair {
  query: string;
  /** Embedding text of a product graded ≥ the relevant grade. */
  positive: string;
  /** Embedding texts of the hard negatives, best-ranked first. */
  negatives: string[];
  /** With `withIds`: the query id and product ids. */
  qid?: string;
  positiveId?: string;
  negativeIds?: string[];
}

export type PairSearchMode = Exclude<SearchMode, 'image'>;

export interface TrainingPairOptions {
  /** Grade from which a judged product is a positive. Default 1. */
  relevantGrade?: number;
  /** Hard negatives per pair (fewer when the search finds fewer eligible products). Default 5. */
  negatives?: number;
  /** Search mode the negatives come from; default the engine's (hybrid once products are embedded). */
  mode?: PairSearchMode | undefined;
  /** How many hits are looked at for negatives. Default max(30, 3 × negatives). */
  depth?: number;
  /** Adds `qid`, `positiveId` and `negativeIds`. */
  withIds?: boolean;
  /** Called after every query with how many were done and how many there are. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface TrainingPairSummary {
  /** Judged queries read, and those with at least one relevant product in the catalogue. */
  queries: number;
  queriesWithPairs: number;
  pairs: number;
  /** Negatives written over all pairs, and pairs that got fewer than asked. */
  negatives: number;
  shortOfNegatives: number;
  /** Relevant product ids the catalogue does not hold (skipped). */
  missingProducts: number;
  /** The search mode the negatives came from. */
  mode: SearchMode | undefined;
}

const MODES: readonly PairSearchMode[] = ['keyword', 'semantic', 'hybrid'];

/**
 * Calls `onPair` for every (query, relevant product) of the judged queries, in the order of the queries
 * file and then of the qrels. Negatives are hits of the query that are unjudged or judged 0; products
 * graded between 1 and the relevant grade are neither positive nor negative (partly relevant), and a hit
 * whose text equals a positive's (a duplicate listing) is never a negative. Unjudged hits may still be
 * relevant (judgments are sparse): that noise is the price of negatives the model actually confuses.
 */
export async function forEachTrainingPair(
  engine: Engine,
  queries: ReadonlyMap<string, string>,
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
  options: TrainingPairOptions,
  onPair: (pair: TrainingPair) => void | Promise<void>,
): Promise<TrainingPairSummary> {
  const relevantGrade = options.relevantGrade ?? 1;
  const wanted = options.negatives ?? 5;
  const depth = options.depth ?? Math.max(30, 3 * wanted);
  if (!Number.isInteger(wanted) || wanted < 0) {
    throw new SoukError('INVALID_REQUEST', 'negatives must be a non-negative integer', {
      field: 'negatives',
    });
  }
  if (options.mode !== undefined && !MODES.includes(options.mode)) {
    throw new SoukError('INVALID_REQUEST', `mode must be one of ${MODES.join(', ')}`, { field: 'mode' });
  }
  const summary: TrainingPairSummary = {
    queries: 0,
    queriesWithPairs: 0,
    pairs: 0,
    negatives: 0,
    shortOfNegatives: 0,
    missingProducts: 0,
    mode: options.mode,
  };
  const texts = new Map<string, string | undefined>();
  const textOf = async (id: string): Promise<string | undefined> => {
    if (texts.has(id)) return texts.get(id);
    const product = await engine.get(id);
    const text = product ? productEmbeddingText(product) : undefined;
    if (texts.size > 50_000) texts.clear();
    texts.set(id, text);
    return text;
  };
  const judged = [...queries].filter(([qid, text]) => qrels.has(qid) && text.trim() !== '');
  let done = 0;
  for (const [qid, query] of judged) {
    summary.queries++;
    const judgments = qrels.get(qid)!;
    const positives: Array<{ id: string; text: string }> = [];
    for (const [id, grade] of judgments) {
      if (grade < relevantGrade) continue;
      const text = await textOf(id);
      if (text === undefined) summary.missingProducts++;
      else positives.push({ id, text });
    }
    if (positives.length > 0) {
      const negatives: Array<{ id: string; text: string }> = [];
      if (wanted > 0) {
        const response = await engine.search({
          q: query,
          limit: depth,
          highlight: false,
          ...(options.mode ? { mode: options.mode } : {}),
        });
        summary.mode ??= response.mode;
        const seen = new Set(positives.map((positive) => normalise(positive.text)));
        for (const hit of response.hits) {
          if (negatives.length >= wanted) break;
          if ((judgments.get(hit.id) ?? 0) > 0) continue;
          const text = await textOf(hit.id);
          if (text === undefined || seen.has(normalise(text))) continue;
          seen.add(normalise(text));
          negatives.push({ id: hit.id, text });
        }
      }
      summary.queriesWithPairs++;
      for (const positive of positives) {
        const pair: TrainingPair = {
          query,
          positive: positive.text,
          negatives: negatives.map((negative) => negative.text),
        };
        if (options.withIds) {
          pair.qid = qid;
          pair.positiveId = positive.id;
          pair.negativeIds = negatives.map((negative) => negative.id);
        }
        summary.pairs++;
        summary.negatives += negatives.length;
        if (negatives.length < wanted) summary.shortOfNegatives++;
        await onPair(pair);
      }
    }
    options.onProgress?.(++done, judged.length);
  }
  return summary;
}

/** All pairs in memory (see `forEachTrainingPair`). */
export async function collectTrainingPairs(
  engine: Engine,
  queries: ReadonlyMap<string, string>,
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
  options: TrainingPairOptions = {},
): Promise<{ pairs: TrainingPair[]; summary: TrainingPairSummary }> {
  const pairs: TrainingPair[] = [];
  const summary = await forEachTrainingPair(engine, queries, qrels, options, (pair) => {
    pairs.push(pair);
  });
  return { pairs, summary };
}

function normalise(text: string): string {
  return text.trim().toLowerCase();
}
