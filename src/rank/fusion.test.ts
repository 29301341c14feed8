import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuse, rankByScore, type RankedList } from './fusion.ts';

const list = (docIds: number[], scores: number[], weight = 1): RankedList => ({ docIds, scores, weight });

function asMap(result: { docIds: Int32Array; scores: Float32Array }): Map<number, number> {
  return new Map([...result.docIds].map((docId, i) => [docId, result.scores[i]!]));
}

describe('fusion', () => {
  it('reciprocal-rank fusion adds weight / (k + rank) per list', () => {
    const fused = asMap(
      fuse([list([1, 2, 3], [9, 5, 1]), list([3, 1], [0.9, 0.8], 2)], { method: 'rrf', k: 60 }),
    );
    assert.ok(Math.abs(fused.get(1)! - (1 / 61 + 2 / 62)) < 1e-7);
    assert.ok(Math.abs(fused.get(2)! - 1 / 62) < 1e-7);
    assert.ok(Math.abs(fused.get(3)! - (1 / 63 + 2 / 61)) < 1e-7);
    // 3 is first in the heavier list, so it overtakes 1 despite being last in the other.
    const ranked = rankByScore([...fused.keys()], [...fused.values()]);
    assert.deepEqual([...ranked.docIds], [3, 1, 2]);
  });

  it('a weight of zero ignores a list, and an empty list changes nothing', () => {
    const fused = asMap(
      fuse([list([1, 2], [2, 1]), list([2], [1], 0), list([], [])], { method: 'rrf', k: 1 }),
    );
    assert.deepEqual([...fused.keys()].sort(), [1, 2]);
    assert.ok(Math.abs(fused.get(2)! - 1 / 3) < 1e-7);
  });

  it('score fusion min-max normalises each list before the weighted sum', () => {
    const fused = asMap(
      fuse([list([1, 2, 3], [10, 6, 2]), list([2, 3], [0.9, 0.5], 0.5)], { method: 'score', k: 60 }),
    );
    assert.ok(Math.abs(fused.get(1)! - 1) < 1e-6);
    assert.ok(Math.abs(fused.get(2)! - (0.5 + 0.5)) < 1e-6);
    assert.ok(Math.abs(fused.get(3)! - 0) < 1e-6);
  });

  it('score fusion gives a list of equal scores its full weight', () => {
    const fused = asMap(fuse([list([4, 5], [0.3, 0.3], 2)], { method: 'score', k: 60 }));
    assert.equal(fused.get(4), 2);
    assert.equal(fused.get(5), 2);
  });

  it('rankByScore orders best first, ties by document number, and truncates', () => {
    const ranked = rankByScore([7, 3, 5, 1], [0.5, 0.9, 0.5, 0.1], 3);
    assert.deepEqual([...ranked.docIds], [3, 5, 7]);
    assert.deepEqual(
      [...ranked.scores].map((s) => Math.round(s * 10) / 10),
      [0.9, 0.5, 0.5],
    );
  });
});
