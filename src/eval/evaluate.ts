import type { Engine } from '../engine-api.ts';
import type { SearchRequest } from '../types.ts';
import { mean, ndcgAt, recallAt, reciprocalRankAt } from './metrics.ts';

export interface EvaluationOptions {
  /** Grade from which a product counts as relevant for recall and MRR. */
  relevantGrade?: number;
  /** Extra request fields applied to every query. */
  request?: Omit<SearchRequest, 'q' | 'limit'>;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluationResult {
  'ndcg@10': number;
  'recall@10': number;
  'recall@100': number;
  'mrr@10': number;
  zero_rate: number;
  queries: number;
  p50_ms: number;
  p99_ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs every judged query through the engine's real search path and averages the metrics. */
export async function evaluate(
  engine: Engine,
  queries: ReadonlyMap<string, string>,
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
  options: EvaluationOptions = {},
): Promise<EvaluationResult> {
  const minGrade = options.relevantGrade ?? 1;
  const ndcg: number[] = [];
  const recall10: number[] = [];
  const recall100: number[] = [];
  const rr: number[] = [];
  const latencies: number[] = [];
  let zero = 0;
  let done = 0;
  const judgedQueries = [...queries].filter(([qid]) => qrels.has(qid));
  for (const [qid, text] of judgedQueries) {
    const judgments = qrels.get(qid)!;
    const started = performance.now();
    const response = await engine.search({ highlight: false, ...options.request, q: text, limit: 100 });
    latencies.push(performance.now() - started);
    const ranked = response.hits.map((hit) => hit.id);
    if (ranked.length === 0) zero++;
    ndcg.push(ndcgAt(ranked, judgments, 10));
    recall10.push(recallAt(ranked, judgments, 10, minGrade));
    recall100.push(recallAt(ranked, judgments, 100, minGrade));
    rr.push(reciprocalRankAt(ranked, judgments, 10, minGrade));
    if (++done % 200 === 0) options.onProgress?.(done, judgedQueries.length);
  }
  options.onProgress?.(done, judgedQueries.length);
  latencies.sort((a, b) => a - b);
  const round = (value: number): number => Math.round(value * 10000) / 10000;
  return {
    'ndcg@10': round(mean(ndcg)),
    'recall@10': round(mean(recall10)),
    'recall@100': round(mean(recall100)),
    'mrr@10': round(mean(rr)),
    zero_rate: round(zero / Math.max(1, judgedQueries.length)),
    queries: judgedQueries.length,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
  };
}
