import type { Engine } from '../engine-api.ts';
import type { SearchMode, SearchRequest } from '../types.ts';
import { f1At, mean, ndcgAt, precisionAt, recallAt, reciprocalRankAt, relevantCount } from './metrics.ts';
import { pairedRandomizationTest, type PairedTestOptions } from './significance.ts';
import { percentile } from '../util/percentile.ts';

export interface EvaluationOptions {
  /** Grade from which a product counts as relevant for recall, precision, F1 and MRR. Default 1. */
  relevantGrade?: number;
  /** Extra request fields applied to every query. */
  request?: Omit<SearchRequest, 'q' | 'limit'>;
  /** Rank only each query's judged products (`ids`): measures re-ranking, not retrieval. */
  rerankJudged?: boolean;
  /** Results asked for per query (the deepest cut-off is @100). Default 100. */
  limit?: number;
  /** Queries run untimed first (the first ones of the set), so latencies leave out start-up. Default 0. */
  warmup?: number;
  /** Called after every query. */
  onProgress?: (done: number, total: number) => void;
}

/** Per-query metrics: averaged over the queries they are the mean of. */
export const QUERY_METRICS = [
  'ndcg@10',
  'recall@10',
  'recall@100',
  'mrr@10',
  'p@10',
  'f1@10',
  'zero_rate',
] as const;
export type QueryMetric = (typeof QUERY_METRICS)[number];

/** Every key of a result, in output order. */
export const RESULT_KEYS = [...QUERY_METRICS, 'queries', 'p50_ms', 'p99_ms'] as const;
export type ResultKey = (typeof RESULT_KEYS)[number];

export type EvaluationResult = Record<ResultKey, number>;

export interface QueryOutcome {
  qid: string;
  values: Record<QueryMetric, number>;
  /** Hits returned (up to the limit). */
  hits: number;
  ms: number;
}

export interface EvaluationRun {
  result: EvaluationResult;
  /** In query-file order: the pairing used by `compareRuns`. */
  perQuery: QueryOutcome[];
  /** Modes that answered, rankers that ordered the hits (response.ranker), distinct warnings. */
  modes: SearchMode[];
  rankers: string[];
  warnings: string[];
  /** Queries in the query file without judgments, and judged query ids without query text (both skipped). */
  unjudgedQueries: number;
  judgmentsWithoutQuery: number;
  /** Evaluated queries with no judged product at the relevant grade (they score 0 on every metric). */
  withoutRelevant: number;
}

const round = (value: number): number => Math.round(value * 10000) / 10000;

/** Runs every judged query through the engine's real search path and averages the metrics. */
export async function evaluate(
  engine: Engine,
  queries: ReadonlyMap<string, string>,
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
  options: EvaluationOptions = {},
): Promise<EvaluationResult> {
  return (await runEvaluation(engine, queries, qrels, options)).result;
}

/** `evaluate` with the per-query values and what was noticed on the way. */
export async function runEvaluation(
  engine: Engine,
  queries: ReadonlyMap<string, string>,
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
  options: EvaluationOptions = {},
): Promise<EvaluationRun> {
  const minGrade = options.relevantGrade ?? 1;
  const limit = options.limit ?? 100;
  const judgedQueries = [...queries].filter(([qid]) => qrels.has(qid));
  const requestFor = (text: string, judgments: ReadonlyMap<string, number>): SearchRequest => {
    const request: SearchRequest = { highlight: false, ...options.request, q: text, limit };
    // Sorted, so products the query does not reach (ranked last in the given order) are not in grade order.
    if (options.rerankJudged) request.ids = [...judgments.keys()].sort();
    return request;
  };

  for (const [qid, text] of judgedQueries.slice(0, options.warmup ?? 0)) {
    await engine.search(requestFor(text, qrels.get(qid)!));
  }

  const perQuery: QueryOutcome[] = [];
  const modes = new Set<SearchMode>();
  const rankers = new Set<string>();
  const warnings = new Set<string>();
  let withoutRelevant = 0;
  for (const [qid, text] of judgedQueries) {
    const judgments = qrels.get(qid)!;
    const started = performance.now();
    const response = await engine.search(requestFor(text, judgments));
    const ms = performance.now() - started;
    modes.add(response.mode);
    if (response.ranker !== undefined) rankers.add(response.ranker);
    for (const warning of response.warnings ?? []) warnings.add(warning);
    const ranked = response.hits.map((hit) => hit.id);
    if (relevantCount(judgments, minGrade) === 0) withoutRelevant++;
    perQuery.push({
      qid,
      hits: ranked.length,
      ms,
      values: {
        'ndcg@10': ndcgAt(ranked, judgments, 10),
        'recall@10': recallAt(ranked, judgments, 10, minGrade),
        'recall@100': recallAt(ranked, judgments, 100, minGrade),
        'mrr@10': reciprocalRankAt(ranked, judgments, 10, minGrade),
        'p@10': precisionAt(ranked, judgments, 10, minGrade),
        'f1@10': f1At(ranked, judgments, 10, minGrade),
        zero_rate: ranked.length === 0 ? 1 : 0,
      },
    });
    options.onProgress?.(perQuery.length, judgedQueries.length);
  }
  if (judgedQueries.length === 0) options.onProgress?.(0, 0);
  let judgmentsWithoutQuery = 0;
  for (const qid of qrels.keys()) if (!queries.has(qid)) judgmentsWithoutQuery++;
  return {
    result: summarise(perQuery),
    perQuery,
    modes: [...modes],
    rankers: [...rankers],
    warnings: [...warnings],
    unjudgedQueries: queries.size - judgedQueries.length,
    judgmentsWithoutQuery,
    withoutRelevant,
  };
}

/** Means of the per-query metrics (rounded to 4 decimals), the query count and latency percentiles. */
export function summarise(perQuery: readonly QueryOutcome[]): EvaluationResult {
  const latencies = perQuery.map((q) => q.ms).sort((a, b) => a - b);
  const result = {} as EvaluationResult;
  for (const metric of QUERY_METRICS) result[metric] = round(mean(perQuery.map((q) => q.values[metric])));
  result.queries = perQuery.length;
  result.p50_ms = round(percentile(latencies, 50));
  result.p99_ms = round(percentile(latencies, 99));
  return result;
}

/** How many distinct judged products of the given queries the catalogue does not hold. */
export async function judgedNotInCatalogue(
  engine: Engine,
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
  qids: Iterable<string>,
): Promise<{ judged: number; missing: number }> {
  const ids = new Set<string>();
  for (const qid of qids) for (const id of qrels.get(qid)?.keys() ?? []) ids.add(id);
  let missing = 0;
  for (const id of ids) if ((await engine.get(id)) === undefined) missing++;
  return { judged: ids.size, missing };
}

export interface Comparison {
  baseline: EvaluationResult;
  other: EvaluationResult;
  /** other − baseline. */
  difference: EvaluationResult;
  /** Paired two-sided p-value per per-query metric; null for the query count and latency percentiles. */
  p_value: Record<ResultKey, number | null>;
}

/** Compares two runs over the same queries: differences and paired randomisation tests per metric. */
export function compareRuns(
  baseline: EvaluationRun,
  other: EvaluationRun,
  options: PairedTestOptions = {},
): Comparison {
  const a = baseline.perQuery;
  const b = other.perQuery;
  if (a.length !== b.length || a.some((q, i) => q.qid !== b[i]!.qid)) {
    throw new RangeError('compared runs must cover the same queries in the same order');
  }
  const difference = {} as EvaluationResult;
  const pValue = {} as Record<ResultKey, number | null>;
  for (const key of RESULT_KEYS) {
    difference[key] = round(other.result[key] - baseline.result[key]);
    pValue[key] = null;
  }
  for (const metric of QUERY_METRICS) {
    // From the unrounded per-query values, so rounding cannot hide or invent a difference.
    difference[metric] = round(mean(b.map((q) => q.values[metric])) - mean(a.map((q) => q.values[metric])));
    pValue[metric] = round(
      pairedRandomizationTest(
        a.map((q) => q.values[metric]),
        b.map((q) => q.values[metric]),
        options,
      ),
    );
  }
  return { baseline: baseline.result, other: other.result, difference, p_value: pValue };
}
