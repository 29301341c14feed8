import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { f1At, mean, ndcgAt, precisionAt, recallAt, reciprocalRankAt, relevantCount } from './metrics.ts';

const close = (actual: number, expected: number, tolerance = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) < tolerance, `${actual} ≠ ${expected}`);

// Judged: a=3, b=2, c=0 (judged not relevant), d=1, x=2 (not in any ranking: e.g. missing from the catalogue).
const judged = new Map([
  ['a', 3],
  ['b', 2],
  ['c', 0],
  ['d', 1],
  ['x', 2],
]);

describe('metrics', () => {
  it('NDCG: linear gain, log2 discount, ideal from every judged grade', () => {
    // Ranked: c (0), b (2), z (unjudged), a (3).
    // DCG@10 = 0/log2(2) + 2/log2(3) + 0 + 3/log2(5) = 1.261860 + 1.292030 = 2.553890
    // ideal grades 3, 2, 2, 1: IDCG = 3 + 2/log2(3) + 2/log2(4) + 1/log2(5) = 3 + 1.261860 + 1 + 0.430677
    // = 5.692536, so NDCG@10 = 2.553890 / 5.692536 = 0.448638
    const dcg = 2 / Math.log2(3) + 3 / Math.log2(5);
    const idcg = 3 + 2 / Math.log2(3) + 1 + 1 / Math.log2(5);
    close(ndcgAt(['c', 'b', 'z', 'a'], judged, 10), dcg / idcg);
    close(ndcgAt(['c', 'b', 'z', 'a'], judged, 10), 0.448638, 1e-6);
    // @2 sees only c and b; the ideal @2 is 3 + 2/log2(3).
    close(ndcgAt(['c', 'b', 'z', 'a'], judged, 2), 2 / Math.log2(3) / (3 + 2 / Math.log2(3)));
    close(ndcgAt(['a', 'b', 'x', 'd'], judged, 10), 1);
    assert.equal(ndcgAt([], judged, 10), 0);
    assert.equal(ndcgAt(['a'], new Map([['a', 0]]), 10), 0, 'nothing relevant judged: 0, not NaN');
  });

  it('recall, precision and F1 at k with a grade threshold', () => {
    const ranked = ['c', 'b', 'z', 'a'];
    assert.equal(relevantCount(judged), 4);
    assert.equal(relevantCount(judged, 2), 3);
    // grade ≥ 1: relevant a, b, d, x; found b, a.
    close(recallAt(ranked, judged, 10), 2 / 4);
    close(precisionAt(ranked, judged, 10), 2 / 10);
    close(f1At(ranked, judged, 10), (2 * 0.2 * 0.5) / (0.2 + 0.5)); // 0.285714…
    close(f1At(ranked, judged, 10), 0.285714, 1e-6);
    // @2: found b only. P = 1/2, R = 1/4, F1 = 2·(1/2)(1/4)/(3/4) = 1/3.
    close(precisionAt(ranked, judged, 2), 0.5);
    close(recallAt(ranked, judged, 2), 0.25);
    close(f1At(ranked, judged, 2), 1 / 3);
    // grade ≥ 3: only a counts.
    close(recallAt(ranked, judged, 10, 3), 1);
    close(precisionAt(ranked, judged, 10, 3), 0.1);
    close(f1At(ranked, judged, 10, 3), (2 * 0.1 * 1) / 1.1);
    // Nothing relevant found: all 0.
    assert.equal(f1At(['c', 'z'], judged, 10), 0);
    assert.equal(recallAt(['a'], new Map([['a', 0]]), 10), 0);
  });

  it('MRR: reciprocal rank of the first relevant product within k', () => {
    const ranked = ['c', 'z', 'd', 'a'];
    close(reciprocalRankAt(ranked, judged, 10), 1 / 3);
    close(reciprocalRankAt(ranked, judged, 10, 2), 1 / 4);
    assert.equal(reciprocalRankAt(ranked, judged, 2), 0);
    assert.equal(mean([1, 0.5, 0]), 0.5);
    assert.equal(mean([]), 0);
  });
});
