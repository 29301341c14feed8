/**
 * Fusing ranked candidate lists from several retrievers (lexical BM25F, text vectors, image vectors) into
 * one list. Pure: lists in, scores out.
 *
 * - Reciprocal-rank fusion (default): a candidate at 1-based rank r in a list of weight w gains
 *   w / (k + r). It needs no score calibration between retrievers whose scores live on different scales
 *   (BM25 is unbounded, cosine is −1…1), which is why it is the robust default.
 * - Score fusion: each list's scores are min-max normalised to 0…1 within the list, then summed with the
 *   weights. It keeps how much better the first hit is than the second, which RRF discards.
 */
import { topK } from '../search/top-k.ts';

export interface RankedList {
  /** Document numbers, best first. */
  docIds: ArrayLike<number>;
  /** Scores parallel to docIds (used by score fusion; RRF only needs the order). */
  scores: ArrayLike<number>;
  weight: number;
}

export interface FusionOptions {
  method: 'rrf' | 'score';
  /** RRF constant. */
  k: number;
}

export interface FusedList {
  docIds: Int32Array;
  scores: Float32Array;
}

/** Fuses the lists; the result is in no particular order (the engine's top-k selection orders it). */
export function fuse(lists: readonly RankedList[], options: FusionOptions): FusedList {
  const fused = new Map<number, number>();
  for (const list of lists) {
    const n = list.docIds.length;
    if (n === 0 || list.weight === 0) continue;
    if (options.method === 'rrf') {
      for (let rank = 0; rank < n; rank++) {
        const docId = list.docIds[rank]!;
        fused.set(docId, (fused.get(docId) ?? 0) + list.weight / (options.k + rank + 1));
      }
      continue;
    }
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const score = list.scores[i]!;
      if (score < min) min = score;
      if (score > max) max = score;
    }
    const range = max - min;
    for (let i = 0; i < n; i++) {
      const docId = list.docIds[i]!;
      // A list whose scores are all equal says nothing about order: every member gets the full weight.
      const normalised = range > 0 ? (list.scores[i]! - min) / range : 1;
      fused.set(docId, (fused.get(docId) ?? 0) + list.weight * normalised);
    }
  }
  const docIds = new Int32Array(fused.size);
  const scores = new Float32Array(fused.size);
  let i = 0;
  for (const [docId, score] of fused) {
    docIds[i] = docId;
    scores[i++] = score;
  }
  return { docIds, scores };
}

/** Orders parallel arrays by score, best first (ties by smaller document number), keeping at most `limit`. */
export function rankByScore(
  docIds: ArrayLike<number>,
  scores: ArrayLike<number>,
  limit = Infinity,
): { docIds: Int32Array; scores: Float32Array } {
  // Ties by document number, so equal scores keep a stable order across runs.
  const better = (a: number, b: number): boolean =>
    scores[a]! > scores[b]! || (scores[a] === scores[b] && docIds[a]! < docIds[b]!);
  // The best `limit` of a long list (a common word matches 100k+ products at 1M) without sorting all.
  const order = topK(docIds.length, limit, better, scores);
  const n = order.length;
  const outIds = new Int32Array(n);
  const outScores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    outIds[i] = docIds[order[i]!]!;
    outScores[i] = scores[order[i]!]!;
  }
  return { docIds: outIds, scores: outScores };
}
