import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketIndex, cleanBoundaries, niceBoundaries, niceCeil, niceFloor } from './numeric-buckets.ts';

test('1-2-5 rounding', () => {
  assert.equal(niceCeil(0.8), 1);
  assert.equal(niceCeil(1.2), 2);
  assert.equal(niceCeil(3), 5);
  assert.equal(niceCeil(5), 5);
  assert.equal(niceCeil(7), 10);
  assert.equal(niceCeil(0.016), 0.02);
  assert.equal(niceFloor(52), 50);
  assert.equal(niceFloor(4.99), 2);
  assert.equal(niceFloor(0), 0);
  assert.equal(niceFloor(-3), -5);
});

test('automatic boundaries', () => {
  // Luma prices: 1-2-5 ladder from 0.
  assert.deepEqual(niceBoundaries(5, 99), [0, 10, 20, 50]);
  assert.deepEqual(niceBoundaries(0, 3000), [0, 100, 200, 500, 1000, 2000]);
  assert.deepEqual(niceBoundaries(0, 30), [0, 1, 2, 5, 10, 20]);
  // Narrow ranges: equal 1-2-5 steps aligned to the step.
  assert.deepEqual(niceBoundaries(40, 80), [40, 50, 60, 70]);
  assert.deepEqual(niceBoundaries(1, 5), [1, 2, 3, 4]);
  assert.deepEqual(niceBoundaries(0.01, 0.09), [0, 0.02, 0.04, 0.06, 0.08]);
  assert.deepEqual(niceBoundaries(-5, 5), [-6, -4, -2, 0, 2, 4]);
  // One distinct value: a single open bucket.
  assert.deepEqual(niceBoundaries(52, 52), [50]);
});

test('boundaries always cover [min, max] with few buckets', () => {
  fc.assert(
    fc.property(
      fc.double({ min: -1e9, max: 1e9, noNaN: true }),
      fc.double({ min: -1e9, max: 1e9, noNaN: true }),
      (a, b) => {
        const min = Math.min(a, b);
        const max = Math.max(a, b);
        const bounds = niceBoundaries(min, max);
        assert.ok(bounds.length >= 1, `${min}..${max}: ${bounds.join(',')}`);
        assert.ok((bounds[0] as number) <= min, `${min}..${max}: ${bounds.join(',')}`);
        for (let i = 1; i < bounds.length; i++) assert.ok((bounds[i] as number) > (bounds[i - 1] as number));
        assert.ok(bounds.length <= 8, `${min}..${max}: ${bounds.join(',')}`);
        assert.ok((bounds.at(-1) as number) <= max);
        for (const v of [min, max, (min + max) / 2]) {
          const i = bucketIndex(bounds, v);
          assert.ok(i >= 0 && i < bounds.length);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('bucketIndex and cleanBoundaries', () => {
  const b = [0, 10, 20, 50];
  assert.equal(bucketIndex(b, -1), -1);
  assert.equal(bucketIndex(b, 0), 0);
  assert.equal(bucketIndex(b, 9.99), 0);
  assert.equal(bucketIndex(b, 10), 1);
  assert.equal(bucketIndex(b, 50), 3);
  assert.equal(bucketIndex(b, 1e9), 3);
  assert.deepEqual(cleanBoundaries([50, 25, NaN, 25, Infinity, 100]), [25, 50, 100]);
});
