import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { topK } from './top-k.ts';

describe('topK', () => {
  it('returns the k best in order, like a full sort (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 })), fc.integer({ min: 0, max: 30 }), (values, k) => {
        const better = (a: number, b: number): boolean =>
          values[a]! > values[b]! || (values[a] === values[b] && a < b);
        const expected = values
          .map((_, i) => i)
          .sort((a, b) => (better(a, b) ? -1 : 1))
          .slice(0, k);
        assert.deepEqual(topK(values.length, k, better), expected);
        assert.deepEqual(topK(values.length, k, better, values), expected, 'with keys to pass over');
      }),
    );
  });

  it('with keys, calls the comparison only for entries that can enter', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 10_007);
    let calls = 0;
    const better = (a: number, b: number): boolean => {
      calls++;
      return values[a]! > values[b]! || (values[a] === values[b] && a < b);
    };
    const plain = topK(values.length, 10, better);
    const plainCalls = calls;
    calls = 0;
    assert.deepEqual(topK(values.length, 10, better, values), plain);
    assert.ok(calls < plainCalls / 5, `${calls} comparisons against ${plainCalls}`);
  });
});
