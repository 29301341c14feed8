import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TermTrie } from './term-trie.ts';

/** Optimal-string-alignment distance, the reference for the trie walk. */
function osaDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => i || j),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

describe('TermTrie', () => {
  it('completes prefixes shortest first, up to a limit', () => {
    const trie = new TermTrie();
    ['hoodie', 'hood', 'hoodies', 'hat', 'hoo'].forEach((word, i) => trie.insert(word, i));
    const found: number[] = [];
    trie.forEachPrefix('hoo', 10, (value) => found.push(value));
    assert.deepEqual(found, [4, 1, 0, 2]);
    const limited: number[] = [];
    trie.forEachPrefix('hoo', 2, (value) => limited.push(value));
    assert.deepEqual(limited, [4, 1]);
    trie.forEachPrefix('x', 10, () => assert.fail('no completions expected'));
  });

  it('finds exactly the words within the edit distance (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 7 }), {
          maxLength: 40,
        }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 7 }),
        fc.integer({ min: 1, max: 2 }),
        (words, query, maxDistance) => {
          const trie = new TermTrie();
          words.forEach((word, i) => trie.insert(word, i));
          const found = new Map<number, number>();
          trie.forEachWithin(query, maxDistance, (value, distance) => found.set(value, distance));
          const expected = new Map<number, number>();
          words.forEach((word, i) => {
            const distance = osaDistance(query, word);
            if (distance <= maxDistance && word !== '') expected.set(i, distance);
          });
          assert.deepEqual(new Map([...found].sort()), new Map([...expected].sort()));
        },
      ),
      { numRuns: 300 },
    );
  });
});
