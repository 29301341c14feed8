/**
 * Ranking metrics over one query's ranked ids and its graded judgments (grade ≤ 0 = not relevant).
 * NDCG uses linear gain (gain = grade) and the log2 discount, with the ideal ordering built from the judged grades
 * (judged products missing from the catalogue included, as is standard). Recall, precision, F1 and MRR count a
 * product as relevant from `minGrade` up. A query without any relevant judged product scores 0 on every metric.
 */
export type Judgments = ReadonlyMap<string, number>;

export function ndcgAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    const grade = judgments.get(ranked[i]!) ?? 0;
    if (grade > 0) dcg += grade / Math.log2(i + 2);
  }
  const ideal = [...judgments.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += ideal[i]! / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Judged products graded ≥ `minGrade`. */
export function relevantCount(judgments: Judgments, minGrade = 1): number {
  let relevant = 0;
  for (const grade of judgments.values()) if (grade >= minGrade) relevant++;
  return relevant;
}

/** Products graded ≥ `minGrade` among the first k. */
export function relevantInTop(
  ranked: readonly string[],
  judgments: Judgments,
  k: number,
  minGrade = 1,
): number {
  let found = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++)
    if ((judgments.get(ranked[i]!) ?? 0) >= minGrade) found++;
  return found;
}

/** Share of the products graded ≥ `minGrade` found in the first k. */
export function recallAt(ranked: readonly string[], judgments: Judgments, k: number, minGrade = 1): number {
  const relevant = relevantCount(judgments, minGrade);
  return relevant === 0 ? 0 : relevantInTop(ranked, judgments, k, minGrade) / relevant;
}

/** Share of the first k positions holding a product graded ≥ `minGrade` (positions past the end count as misses). */
export function precisionAt(
  ranked: readonly string[],
  judgments: Judgments,
  k: number,
  minGrade = 1,
): number {
  return k <= 0 ? 0 : relevantInTop(ranked, judgments, k, minGrade) / k;
}

/** Harmonic mean of precision@k and recall@k: 2PR / (P + R), 0 when both are 0. */
export function f1At(ranked: readonly string[], judgments: Judgments, k: number, minGrade = 1): number {
  const p = precisionAt(ranked, judgments, k, minGrade);
  const r = recallAt(ranked, judgments, k, minGrade);
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/** Reciprocal rank of the first product graded ≥ `minGrade` within the first k. */
export function reciprocalRankAt(
  ranked: readonly string[],
  judgments: Judgments,
  k: number,
  minGrade = 1,
): number {
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    if ((judgments.get(ranked[i]!) ?? 0) >= minGrade) return 1 / (i + 1);
  }
  return 0;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}
