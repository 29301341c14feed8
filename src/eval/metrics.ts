/**
 * Ranking metrics over one query's ranked ids and its graded judgments (grade 0 = not relevant).
 * NDCG uses linear gain (gain = grade) and the log2 discount, with the ideal ordering built from the judged grades.
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

/** Share of the products graded ≥ `minGrade` found in the first k. */
export function recallAt(ranked: readonly string[], judgments: Judgments, k: number, minGrade = 1): number {
  let relevant = 0;
  for (const grade of judgments.values()) if (grade >= minGrade) relevant++;
  if (relevant === 0) return 0;
  let found = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++)
    if ((judgments.get(ranked[i]!) ?? 0) >= minGrade) found++;
  return found / relevant;
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
