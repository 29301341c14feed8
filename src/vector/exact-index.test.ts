import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomVector, referenceTop, seeded, vectorIndexContract } from '../../test/vector-index-contract.ts';
import { ExactIndex, halfDecodeTable, toHalf, TopK } from './exact-index.ts';
import { createVectorIndex, deserializeVectorIndex } from './create-vector-index.ts';
import { DEFAULT_CONFIG } from '../config.ts';

vectorIndexContract('ExactIndex f32', (dims) => new ExactIndex(dims), {
  tolerance: 1e-5,
  deserialize: (bytes) => ExactIndex.deserialize(bytes),
});
vectorIndexContract('ExactIndex f16', (dims) => new ExactIndex(dims, { storage: 'f16' }), {
  tolerance: 2e-3,
  deserialize: (bytes) => ExactIndex.deserialize(bytes),
});
vectorIndexContract('ExactIndex int8', (dims) => new ExactIndex(dims, { storage: 'int8' }), {
  tolerance: 1.5e-2,
  deserialize: (bytes) => ExactIndex.deserialize(bytes),
});
vectorIndexContract(
  'createVectorIndex exact',
  (dims) => createVectorIndex(dims, { ...DEFAULT_CONFIG.vector, index: 'exact' }),
  { tolerance: 1e-5, deserialize: (bytes) => deserializeVectorIndex(bytes) },
);

describe('ExactIndex internals', () => {
  it('rounds floats to the nearest half and decodes them back', () => {
    const table = halfDecodeTable();
    for (const x of [0, 1, -1, 0.5, 65504, 1e-5, -3.14159, 6e-8, 2 ** -14]) {
      const back = table[toHalf(x)]!;
      assert.ok(Math.abs(back - x) <= Math.abs(x) * 2 ** -11 + 6e-8, `${x} -> ${back}`);
    }
    assert.equal(table[toHalf(1e6)], Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(table[toHalf(Number.NaN)]!));
    // Every half survives a round trip through float.
    for (let h = 0; h < 65536; h++) {
      const x = table[h]!;
      if (!Number.isNaN(x)) assert.equal(toHalf(x), h === 0x8000 ? 0x8000 : h);
    }
  });

  it('keeps the k best pairs with ties broken by the smaller key', () => {
    const random = seeded(9);
    const top = new TopK(5);
    const all: Array<{ key: number; score: number }> = [];
    for (let key = 0; key < 200; key++) {
      const score = Math.round(random() * 20) / 20;
      all.push({ key, score });
      top.offer(score, key);
    }
    all.sort((a, b) => b.score - a.score || a.key - b.key);
    assert.deepEqual(top.hits(), all.slice(0, 5));
  });

  it('estimates the share of keys a filter accepts', () => {
    const random = seeded(10);
    const index = new ExactIndex(4);
    for (let key = 0; key < 20000; key++) index.upsert(key, randomVector(random, 4));
    const share = index.estimateSelectivity((key) => key % 10 === 0);
    assert.ok(share > 0.06 && share < 0.14, String(share));
    assert.equal(
      index.estimateSelectivity(() => false),
      0,
    );
  });

  it('converts between storages keeping keys and slots', () => {
    const random = seeded(11);
    const index = new ExactIndex(16);
    for (let key = 0; key < 100; key++) index.upsert(key, randomVector(random, 16));
    for (let key = 0; key < 100; key += 3) index.remove(key);
    const int8 = index.convert('int8');
    assert.equal(int8.size, index.size);
    assert.deepEqual(int8.keys(), index.keys());
    const query = randomVector(random, 16);
    assert.deepEqual(
      int8.search(query, 5).map((h) => h.key),
      index.search(query, 5).map((h) => h.key),
    );
  });

  it('gives the same results through the native f32 scan, with freed slots, as the reference', () => {
    const random = seeded(12);
    const dims = 16;
    const index = new ExactIndex(dims);
    const vectors = new Map<number, Float32Array>();
    for (let key = 0; key < 9000; key++) {
      const v = randomVector(random, dims);
      vectors.set(key, v);
      index.upsert(key, v);
    }
    const check = (): void => {
      for (let q = 0; q < 10; q++) {
        const query = randomVector(random, dims);
        const expected = referenceTop(vectors, query, 10).map((h) => h.key);
        assert.deepEqual(
          index.search(query, 10).map((h) => h.key),
          expected,
        );
      }
    };
    check();
    // A few freed slots (native scan over-fetches past them), then many (JavaScript scan).
    for (let key = 0; key < 9000; key += 9) {
      index.remove(key);
      vectors.delete(key);
    }
    check();
    for (let key = 1; key < 9000; key += 2) {
      index.remove(key);
      vectors.delete(key);
    }
    check();
  });

  it('gives reference results through the gathered native scan (filters, several chunks, freed slots)', () => {
    const random = seeded(14);
    const dims = 512;
    const vectors = new Map<number, Float32Array>();
    for (let key = 0; key < 10_000; key++) vectors.set(key, randomVector(random, dims));
    for (const storage of ['f32', 'int8'] as const) {
      const index = new ExactIndex(dims, { storage });
      for (const [key, v] of vectors) index.upsert(key, v);
      for (let key = 0; key < 10_000; key += 3) index.remove(key);
      const live = new Map([...vectors].filter(([key]) => key % 3 !== 0));
      const tolerance = storage === 'f32' ? 1e-5 : 2e-3;
      const filters: Array<((key: number) => boolean) | undefined> = [
        undefined,
        (key) => key % 2 === 1,
        (key) => key % 100 === 1,
        (key) => key < 40,
        () => false,
      ];
      for (const filter of filters) {
        for (let q = 0; q < 3; q++) {
          const query = randomVector(random, dims);
          const hits = index.search(query, 10, filter ? { filter } : undefined);
          const expected = referenceTop(live, query, 10, filter);
          assert.equal(hits.length, expected.length);
          hits.forEach((hit, i) => {
            assert.ok(!filter || filter(hit.key));
            assert.ok(Math.abs(hit.score - expected[i]!.score) <= 2 * tolerance, `${storage} rank ${i}`);
          });
        }
      }
    }
  });

  it('upserts many rows at once', () => {
    const index = new ExactIndex(2);
    index.upsertMany([4, 9], Float32Array.of(1, 0, 0, 1));
    assert.equal(index.size, 2);
    assert.equal(index.search(Float32Array.of(0.1, 1), 1)[0]!.key, 9);
    assert.throws(() => index.upsertMany([1, 2], new Float32Array(3)), { code: 'INVALID_REQUEST' });
  });

  it('accepts keys beyond the dense range', () => {
    const index = new ExactIndex(2);
    index.upsert(2 ** 30, Float32Array.of(1, 0));
    index.upsert(5, Float32Array.of(0, 1));
    assert.ok(index.has(2 ** 30));
    assert.equal(index.search(Float32Array.of(1, 0.1), 1)[0]!.key, 2 ** 30);
    const back = ExactIndex.deserialize(index.serialize());
    assert.ok(back.has(2 ** 30) && back.has(5));
    back.remove(2 ** 30);
    assert.equal(back.size, 1);
    assert.ok(index.byteSize() < 1e6);
  });
});
