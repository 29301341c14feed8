/**
 * Paired significance test for comparing two systems on the same queries: a two-sided paired randomisation
 * (sign-flip) test on the mean of the per-query differences. Under the null hypothesis the two systems are
 * exchangeable on every query, so each difference is equally likely to have either sign; the p-value is the
 * share of sign assignments whose mean difference is at least as far from 0 as the observed one.
 *
 * With few queries (2^n ≤ permutations) every assignment is enumerated and the p-value is exact; otherwise
 * `permutations` random assignments from a seeded generator are drawn and p = (hits + 1) / (permutations + 1),
 * so the result is reproducible and never 0.
 */
import { mulberry32 } from '../util/seeded-random.ts';

export interface PairedTestOptions {
  /** Random sign assignments to draw when exact enumeration would need more. Default 10,000. */
  permutations?: number;
  /** Seed of the generator (mulberry32). Default 42. */
  seed?: number;
}

export const DEFAULT_PERMUTATIONS = 10_000;
export const DEFAULT_SEED = 42;

/** Two-sided p-value that `a` and `b` (per-query values of two systems, same order) have the same mean. */
export function pairedRandomizationTest(
  a: readonly number[],
  b: readonly number[],
  options: PairedTestOptions = {},
): number {
  if (a.length !== b.length)
    throw new RangeError(`paired samples differ in length: ${a.length} and ${b.length}`);
  const permutations = options.permutations ?? DEFAULT_PERMUTATIONS;
  if (!Number.isInteger(permutations) || permutations < 1) throw new RangeError('permutations must be ≥ 1');
  // Queries where both systems agree contribute 0 to every assignment's sum: leave them out.
  const diffs: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const d = b[i]! - a[i]!;
    if (!Number.isFinite(d)) throw new RangeError(`difference ${i} is not finite`);
    if (d !== 0) diffs.push(d);
  }
  const n = diffs.length;
  if (n === 0) return 1;
  let observed = 0;
  for (const d of diffs) observed += d;
  observed = Math.abs(observed);
  // Sums equal to the observed one up to rounding count as "at least as extreme".
  const threshold = observed - 1e-9 * Math.max(1, observed);

  if (n < 31 && 2 ** n <= permutations) {
    const patterns = 2 ** n;
    let hits = 0;
    for (let mask = 0; mask < patterns; mask++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += mask & (1 << i) ? -diffs[i]! : diffs[i]!;
      if (Math.abs(sum) >= threshold) hits++;
    }
    return hits / patterns;
  }

  const random = mulberry32(options.seed ?? DEFAULT_SEED);
  const values = Float64Array.from(diffs);
  let hits = 0;
  for (let p = 0; p < permutations; p++) {
    let sum = 0;
    let bits = 0;
    for (let i = 0; i < n; i++) {
      if ((i & 31) === 0) bits = random();
      sum += bits & (1 << (i & 31)) ? -values[i]! : values[i]!;
    }
    if (Math.abs(sum) >= threshold) hits++;
  }
  return (hits + 1) / (permutations + 1);
}
