import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../util/seeded-random.ts';
import { pairedRandomizationTest } from './significance.ts';

describe('paired randomisation test', () => {
  it('gives p = 1 for identical systems', () => {
    const values = [0.1, 0.5, 0.9, 0, 1, 0.3];
    assert.equal(pairedRandomizationTest(values, values), 1);
    const many = Array.from({ length: 500 }, (_, i) => (i % 7) / 7);
    assert.equal(pairedRandomizationTest(many, many), 1);
  });

  it('is exact for few queries: hand-counted sign assignments', () => {
    // Differences +1, +1, +1: of the 8 sign assignments only +++ and −−− reach |sum| = 3, so p = 2/8.
    assert.equal(pairedRandomizationTest([0, 0, 0], [1, 1, 1]), 0.25);
    // Differences +1, +1, −1 (|sum| 1): every assignment has |sum| ≥ 1, so p = 1.
    assert.equal(pairedRandomizationTest([0, 0, 1], [1, 1, 0]), 1);
    // Differences 3, 1 (|sum| 4): ++ and −− reach 4, +− and −+ give 2: p = 2/4. Equal queries are ignored.
    assert.equal(pairedRandomizationTest([0, 0, 0.5], [3, 1, 0.5]), 0.5);
    // One differing query can never be significant.
    assert.equal(pairedRandomizationTest([0, 0, 0, 0, 0], [0, 0, 0, 0, -1]), 1);
    // 10 equal positive differences: only all-plus and all-minus, p = 2/1024.
    assert.equal(pairedRandomizationTest(new Array(10).fill(0), new Array(10).fill(0.2)), 2 / 1024);
  });

  it('finds a big consistent difference significant with sampled sign assignments', () => {
    const random = mulberry32(7);
    const a = Array.from({ length: 200 }, () => random() / 2 ** 32);
    const b = a.map((v, i) => v + 0.2 + (i % 5) * 0.01);
    const p = pairedRandomizationTest(a, b);
    assert.ok(p < 0.01, `p = ${p}`);
    assert.equal(p, 1 / 10_001, 'no sampled assignment is as extreme: (0 + 1) / (10,000 + 1)');
    // The direction does not matter (two-sided), and a fixed seed makes it reproducible.
    assert.equal(pairedRandomizationTest(b, a), p);
  });

  it('agrees with the normal approximation of the paired t-test on noisy data', () => {
    for (const seed of [11, 12, 13]) {
      const random = mulberry32(seed);
      const a = Array.from({ length: 300 }, () => random() / 2 ** 32);
      const b = a.map((v) => v + (random() / 2 ** 32 - 0.5) * 0.1);
      const d = b.map((v, i) => v - a[i]!);
      const m = d.reduce((x, y) => x + y, 0) / d.length;
      const sd = Math.sqrt(d.reduce((x, y) => x + (y - m) ** 2, 0) / (d.length - 1));
      const t = m / (sd / Math.sqrt(d.length));
      const approx = 2 * (1 - normalCdf(Math.abs(t)));
      const p = pairedRandomizationTest(a, b, { seed: 3 });
      assert.ok(Math.abs(p - approx) < 0.03, `seed ${seed}: p ${p}, t-test ${approx}`);
      assert.equal(pairedRandomizationTest(a, b, { seed: 3 }), p, 'reproducible');
    }
    assert.throws(() => pairedRandomizationTest([1], [1, 2]), RangeError);
  });
});

/** Φ(x) through the Abramowitz–Stegun 7.1.26 erf approximation (error < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
