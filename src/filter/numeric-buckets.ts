/**
 * Bucket boundaries for numeric facets (price, rating, numeric attributes).
 *
 * Automatic boundaries come from the min and max of the values being counted:
 * - wide ranges (min is 0, or max ≥ 10 × min, values not negative): a 1-2-5 ladder (…, 10, 20, 50, 100,
 *   200, 500, …) strictly between min and max, at most the 5 highest rungs and none below max / 100,
 *   with a first bucket starting at 0. Prices are roughly log-normally spread, so equal-ratio steps put
 *   a useful share of products in each bucket: 5..99 gives 0–10, 10–20, 20–50, 50+.
 * - narrow ranges (or negative values): equal steps of a 1-2-5 size giving about 5 buckets, aligned
 *   to the step: 40..80 gives 40–50, 50–60, 60–70, 70+; ratings 1..5 give 1–2, 2–3, 3–4, 4+.
 * - a single distinct value: one open bucket from that value rounded down to a 1-2-5 rung.
 * The last bucket is always open-ended (no `max`), so the largest value always falls in it.
 */

const LADDER = [1, 2, 5];

function rung(m: number, e: number): number {
  return Number((m * Math.pow(10, e)).toPrecision(12));
}

/** Smallest 1-2-5 rung ≥ x, for x > 0. */
export function niceCeil(x: number): number {
  let e = Math.floor(Math.log10(x));
  for (let guard = 0; guard < 4; guard++, e++) {
    for (const m of LADDER) {
      const v = rung(m, e);
      if (v >= x) return v;
    }
  }
  return rung(1, e);
}

/** Largest 1-2-5 rung ≤ x for x > 0; 0 stays 0; negatives mirror niceCeil. */
export function niceFloor(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  if (x < 0) return -niceCeil(-x);
  let e = Math.ceil(Math.log10(x));
  for (let guard = 0; guard < 4; guard++, e--) {
    for (let k = LADDER.length - 1; k >= 0; k--) {
      const v = rung(LADDER[k] as number, e);
      if (v <= x) return v;
    }
  }
  return x;
}

/** Ascending lower bounds b0 < b1 < …; bucket i is [b_i, b_i+1), the last is [b_last, ∞). */
export function niceBoundaries(min: number, max: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(max > min)) return [niceFloor(min)];
  if (min >= 0 && (min === 0 || max >= 10 * min)) {
    const low = Math.max(min, max / 100);
    const rungs: number[] = [];
    const eHigh = Math.ceil(Math.log10(max));
    // max / 100 underflows to 0 for subnormal max; a bounded loop keeps the ladder finite regardless.
    const eLow = low > 0 ? Math.floor(Math.log10(low)) - 1 : eHigh - 3;
    for (let e = Math.max(eLow, eHigh - 4); e <= eHigh; e++) {
      for (const m of LADDER) {
        const v = rung(m, e);
        if (v > low && v < max && v > min) rungs.push(v);
      }
    }
    if (rungs.length > 0) return [0, ...rungs.slice(-5)];
  }
  const step = niceCeil((max - min) / 5);
  if (!Number.isFinite(step) || step <= 0) return [min];
  const k0 = Math.floor(min / step);
  const bounds: number[] = [];
  for (let i = 0; i < 12; i++) {
    // Multiplying (rather than adding steps) and rounding to 15 digits keeps 0.1-steps free of
    // 0.30000000000000004; when the step is below the values' float precision the bounds collapse and
    // the loop stops.
    const b = Number(((k0 + i) * step).toPrecision(15));
    if (i > 0 && (b >= max || b <= (bounds[i - 1] as number))) break;
    bounds.push(b);
  }
  // Rounding to 12 digits may lift the first bound above min by a hair; min must stay in a bucket.
  if ((bounds[0] as number) > min) bounds[0] = min;
  return bounds;
}

/**
 * Caller-supplied boundaries, cleaned: finite, sorted, deduplicated. Values below the first boundary
 * get their own leading bucket (see DocValues.facets), so `[25, 50, 100]` never loses a product.
 */
export function cleanBoundaries(bounds: readonly number[]): number[] {
  const out = bounds.filter((b) => typeof b === 'number' && Number.isFinite(b)).sort((a, b) => a - b);
  return out.filter((b, i) => i === 0 || b !== out[i - 1]);
}

/** Index of the bucket holding v: the number of bounds ≤ v, minus one (−1 when v < bounds[0]). */
export function bucketIndex(bounds: readonly number[], v: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bounds[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
