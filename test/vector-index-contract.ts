/**
 * Behaviour every VectorIndex implementation must share, checked against a naive float64 reference.
 * Quantised storage changes scores slightly, so each implementation states its score tolerance and
 * rankings are compared by reference score rank for rank (near-ties may swap, real gaps may not).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { VectorHit, VectorIndex } from '../src/vector/vector-index.ts';

export interface ContractOptions {
  /** Largest allowed |stored score − exact cosine| (quantisation). */
  tolerance: number;
  deserialize: (bytes: Uint8Array) => VectorIndex;
  /** Property-test runs (each builds an index from scratch). */
  runs?: number;
}

/** xorshift32: fixed-seed randomness so failures reproduce. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

export function randomVector(random: () => number, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) v[i] = gaussian(random);
  return v;
}

/** Vectors around `clusters` random centres, like embeddings of products in categories. */
export function clusteredVectors(
  random: () => number,
  n: number,
  dims: number,
  clusters: number,
): Float32Array[] {
  const centres = Array.from({ length: clusters }, () => randomVector(random, dims));
  return Array.from({ length: n }, () => {
    const centre = centres[Math.floor(random() * clusters)]!;
    const v = randomVector(random, dims);
    for (let i = 0; i < dims; i++) v[i] = centre[i]! + 0.7 * v[i]!;
    return v;
  });
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Exact top-k by cosine over a reference map (ties by smaller key). */
export function referenceTop(
  vectors: Map<number, Float32Array>,
  query: Float32Array,
  k: number,
  filter?: (key: number) => boolean,
): VectorHit[] {
  const all: VectorHit[] = [];
  for (const [key, v] of vectors) if (!filter || filter(key)) all.push({ key, score: cosine(query, v) });
  all.sort((a, b) => b.score - a.score || a.key - b.key);
  return all.slice(0, k);
}

function assertRanking(
  hits: VectorHit[],
  expected: VectorHit[],
  vectors: Map<number, Float32Array>,
  query: Float32Array,
  tolerance: number,
): void {
  assert.equal(hits.length, expected.length, 'number of hits');
  assert.equal(new Set(hits.map((h) => h.key)).size, hits.length, 'no duplicate keys');
  for (let i = 0; i < hits.length; i++) {
    const hit = hits[i]!;
    const stored = vectors.get(hit.key);
    assert.ok(stored, `hit ${hit.key} is a live key`);
    const exact = cosine(query, stored);
    assert.ok(Math.abs(hit.score - exact) <= tolerance, `score of ${hit.key}: ${hit.score} vs ${exact}`);
    assert.ok(
      Math.abs(exact - expected[i]!.score) <= 2 * tolerance,
      `rank ${i}: key ${hit.key} (${exact}) where exact search has ${expected[i]!.key} (${expected[i]!.score})`,
    );
    if (i > 0) assert.ok(hits[i - 1]!.score >= hit.score, 'best first');
  }
}

export function vectorIndexContract(
  name: string,
  create: (dims: number) => VectorIndex,
  options: ContractOptions,
): void {
  const { tolerance } = options;

  describe(`VectorIndex contract: ${name}`, () => {
    it('upserts, replaces, removes and reports size and membership', () => {
      const random = seeded(1);
      const index = create(8);
      assert.equal(index.dims, 8);
      assert.equal(index.size, 0);
      assert.equal(index.has(3), false);
      assert.deepEqual(index.search(randomVector(random, 8), 5), []);
      const a = randomVector(random, 8);
      const b = randomVector(random, 8);
      index.upsert(3, a);
      index.upsert(7, b);
      assert.equal(index.size, 2);
      assert.ok(index.has(3) && index.has(7) && !index.has(5));
      // Replacing keeps the size and changes the vector.
      index.upsert(3, b);
      assert.equal(index.size, 2);
      assert.ok(cosine(index.get(3)!, b) > 1 - tolerance);
      index.remove(3);
      index.remove(3);
      index.remove(42);
      assert.equal(index.size, 1);
      assert.equal(index.has(3), false);
      assert.equal(index.get(3), undefined);
      assert.deepEqual(
        index.search(b, 10).map((h) => h.key),
        [7],
      );
      // A removed key can come back, and its slot is reused without disturbing the others.
      index.upsert(3, a);
      assert.equal(index.size, 2);
      assert.equal(index.search(a, 1)[0]!.key, 3);
      assert.ok(index.byteSize() > 0);
    });

    it('rejects vectors of the wrong length and invalid keys', () => {
      const index = create(4);
      assert.throws(() => index.upsert(1, new Float32Array(3)), { code: 'INVALID_REQUEST' });
      assert.throws(() => index.upsert(-1, new Float32Array(4)), { code: 'INVALID_REQUEST' });
      assert.throws(() => index.upsert(1.5, new Float32Array(4)), { code: 'INVALID_REQUEST' });
      assert.throws(() => index.search(new Float32Array(5), 3), { code: 'INVALID_REQUEST' });
      assert.equal(index.size, 0);
    });

    it('ranks by exact cosine order on random sets', () => {
      const random = seeded(2);
      for (const [n, dims] of [
        [50, 4],
        [400, 16],
        [1500, 32],
      ] as const) {
        const index = create(dims);
        const vectors = new Map<number, Float32Array>();
        for (let i = 0; i < n; i++) {
          const key = i * 3 + 1;
          const v = randomVector(random, dims);
          vectors.set(key, v);
          index.upsert(key, v);
        }
        for (let q = 0; q < 20; q++) {
          const query = randomVector(random, dims);
          for (const k of [1, 10, 60]) {
            assertRanking(index.search(query, k), referenceTop(vectors, query, k), vectors, query, tolerance);
          }
        }
        // k beyond the size returns everything.
        assert.equal(index.search(randomVector(random, dims), n + 10).length, n);
        assert.deepEqual(index.search(randomVector(random, dims), 0), []);
      }
    });

    it('scores listed keys exactly and leaves out keys without a vector', () => {
      const random = seeded(3);
      const index = create(16);
      const vectors = new Map<number, Float32Array>();
      for (let key = 0; key < 30; key++) {
        const v = randomVector(random, 16);
        vectors.set(key, v);
        index.upsert(key, v);
      }
      index.remove(4);
      vectors.delete(4);
      const query = randomVector(random, 16);
      const hits = index.score(query, [9, 4, 100, 0, 29]);
      assert.deepEqual(
        hits.map((h) => h.key),
        [9, 0, 29],
      );
      for (const hit of hits)
        assert.ok(Math.abs(hit.score - cosine(query, vectors.get(hit.key)!)) <= tolerance);
      assert.deepEqual(index.score(query, new Int32Array(0)), []);
    });

    it('returns the stored vector, normalised and close to the original', () => {
      const random = seeded(4);
      const index = create(32);
      const v = randomVector(random, 32);
      index.upsert(11, v);
      const back = index.get(11)!;
      assert.equal(back.length, 32);
      let norm = 0;
      for (let i = 0; i < 32; i++) norm += v[i]! * v[i]!;
      norm = Math.sqrt(norm);
      for (let i = 0; i < 32; i++)
        assert.ok(Math.abs(back[i]! - v[i]! / norm) <= tolerance, `component ${i}`);
      assert.ok(cosine(back, v) >= 1 - tolerance);
      // Mutating the returned copy does not change the index.
      back.fill(0);
      assert.ok(cosine(index.get(11)!, v) >= 1 - tolerance);
    });

    it('filters: k hits when at least k keys pass, never a rejected key', () => {
      const random = seeded(5);
      const dims = 16;
      const n = 3000;
      const index = create(dims);
      const vectors = new Map<number, Float32Array>();
      for (let key = 0; key < n; key++) {
        const v = randomVector(random, dims);
        vectors.set(key, v);
        index.upsert(key, v);
      }
      const filters: Array<[string, (key: number) => boolean]> = [
        ['1%', (key) => key % 100 === 17],
        ['10%', (key) => key % 10 === 3],
        ['50%', (key) => key % 2 === 0],
        ['a contiguous range', (key) => key >= 1200 && key < 1260],
        ['exactly 4 keys', (key) => key === 5 || key === 900 || key === 1777 || key === 2999],
        ['none', () => false],
      ];
      for (const [label, filter] of filters) {
        for (let q = 0; q < 5; q++) {
          const query = randomVector(random, dims);
          const hits = index.search(query, 10, { filter });
          const expected = referenceTop(vectors, query, 10, filter);
          assert.ok(
            hits.every((h) => filter(h.key)),
            `${label}: rejected key returned`,
          );
          assert.equal(hits.length, expected.length, `${label}: hit count`);
          assertRanking(hits, expected, vectors, query, tolerance);
        }
      }
    });

    it('serializes and deserializes to an index with the same results', () => {
      const random = seeded(6);
      const dims = 24;
      const index = create(dims);
      const vectors = clusteredVectors(random, 3000, dims, 20);
      vectors.forEach((v, key) => index.upsert(key, v));
      for (let key = 0; key < 3000; key += 7) index.remove(key);
      const bytes = index.serialize();
      assert.ok(bytes instanceof Uint8Array);
      const restored = options.deserialize(bytes);
      assert.equal(restored.dims, dims);
      assert.equal(restored.size, index.size);
      for (let q = 0; q < 10; q++) {
        const query = randomVector(random, dims);
        assert.deepEqual(restored.search(query, 10), index.search(query, 10));
        const filter = (key: number): boolean => key % 50 === 1;
        assert.deepEqual(restored.search(query, 10, { filter }), index.search(query, 10, { filter }));
        assert.deepEqual(restored.score(query, [1, 7, 8]), index.score(query, [1, 7, 8]));
      }
      assert.deepEqual(restored.get(8), index.get(8));
      assert.equal(restored.has(7), false);
      // The restored index keeps working: freed slots are reused, new keys are searchable.
      const extra = randomVector(random, dims);
      restored.upsert(7, extra);
      restored.upsert(5000, randomVector(random, dims));
      assert.equal(restored.size, index.size + 2);
      assert.equal(restored.search(extra, 1)[0]!.key, 7);
      assert.throws(() => options.deserialize(bytes.subarray(0, 50)), { code: 'SNAPSHOT_INVALID' });
    });

    it('matches a naive reference after random upserts and removes (property)', () => {
      const dims = 6;
      const op = fc.oneof(
        fc.record({
          kind: fc.constant('upsert' as const),
          key: fc.integer({ min: 0, max: 40 }),
          vector: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: dims, maxLength: dims }),
        }),
        fc.record({ kind: fc.constant('remove' as const), key: fc.integer({ min: 0, max: 40 }) }),
        // A bulk write, where a key may repeat (its last row wins).
        fc.record({
          kind: fc.constant('upsertMany' as const),
          rows: fc.array(
            fc.record({
              key: fc.integer({ min: 0, max: 40 }),
              vector: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), {
                minLength: dims,
                maxLength: dims,
              }),
            }),
            { minLength: 1, maxLength: 12 },
          ),
        }),
      );
      // Zero vectors have no direction; keep them out of the ranking comparison.
      const directed = (values: number[]): Float32Array => {
        const v = Float32Array.from(values);
        if (v.every((x) => Math.abs(x) < 1e-3)) v[0] = 1;
        return v;
      };
      fc.assert(
        fc.property(
          fc.array(op, { maxLength: 120, size: 'large' }),
          fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: dims, maxLength: dims }),
          fc.integer({ min: 1, max: 12 }),
          (ops, rawQuery, k) => {
            const index = create(dims);
            const reference = new Map<number, Float32Array>();
            for (const o of ops) {
              if (o.kind === 'upsert') {
                const v = directed(o.vector);
                index.upsert(o.key, v);
                reference.set(o.key, v);
              } else if (o.kind === 'upsertMany') {
                const rows = o.rows.map((row) => directed(row.vector));
                const flat = new Float32Array(rows.length * dims);
                rows.forEach((v, i) => flat.set(v, i * dims));
                index.upsertMany(
                  o.rows.map((row) => row.key),
                  flat,
                );
                o.rows.forEach((row, i) => reference.set(row.key, rows[i]!));
              } else {
                index.remove(o.key);
                reference.delete(o.key);
              }
            }
            assert.equal(index.size, reference.size);
            for (let key = 0; key <= 40; key++) {
              assert.equal(index.has(key), reference.has(key));
              const stored = index.get(key);
              if (reference.has(key)) assert.ok(cosine(stored!, reference.get(key)!) >= 1 - 2 * tolerance);
              else assert.equal(stored, undefined);
            }
            const query = Float32Array.from(rawQuery);
            query[0] = query[0]! + 0.01;
            assertRanking(
              index.search(query, k),
              referenceTop(reference, query, k),
              reference,
              query,
              tolerance,
            );
            const even = (key: number): boolean => key % 2 === 0;
            assertRanking(
              index.search(query, k, { filter: even }),
              referenceTop(reference, query, k, even),
              reference,
              query,
              tolerance,
            );
          },
        ),
        { numRuns: options.runs ?? 100, seed: 20261201 },
      );
    });
  });
}
