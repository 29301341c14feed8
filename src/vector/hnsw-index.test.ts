import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG, type VectorConfig } from '../config.ts';
import {
  clusteredVectors,
  cosine,
  randomVector,
  referenceTop,
  seeded,
  vectorIndexContract,
} from '../../test/vector-index-contract.ts';
import { AutoVectorIndex, createVectorIndex, deserializeVectorIndex } from './create-vector-index.ts';
import { ExactIndex } from './exact-index.ts';
import { HnswIndex } from './hnsw-index.ts';

const config = (overrides: Partial<VectorConfig>): VectorConfig => ({
  ...DEFAULT_CONFIG.vector,
  ...overrides,
});

vectorIndexContract('HnswIndex int8 (default)', (dims) => new HnswIndex(dims), {
  tolerance: 1.5e-2,
  deserialize: (bytes) => HnswIndex.deserialize(bytes),
  runs: 60,
});
vectorIndexContract(
  'HnswIndex int8, always through the graph',
  (dims) => new HnswIndex(dims, { exactScanBudget: 0, expansionSearch: 400 }),
  { tolerance: 1.5e-2, deserialize: (bytes) => HnswIndex.deserialize(bytes), runs: 60 },
);
// b1 is left out of the contract: on its tiny vectors (2-32 dims) sign bits tie massively and the
// graph fragments; it is tested at realistic sizes below.
vectorIndexContract('HnswIndex f16', (dims) => new HnswIndex(dims, { quantization: 'f16' }), {
  tolerance: 2e-3,
  deserialize: (bytes) => HnswIndex.deserialize(bytes),
  runs: 30,
});
vectorIndexContract(
  'HnswIndex int8 graph, f32 store, half-dimension first stage',
  (dims) => new HnswIndex(dims, { storage: 'f32', firstStageDims: Math.max(1, dims >> 1) }),
  { tolerance: 1e-5, deserialize: (bytes) => HnswIndex.deserialize(bytes), runs: 30 },
);
vectorIndexContract(
  'createVectorIndex hnsw f32',
  (dims) => createVectorIndex(dims, config({ index: 'hnsw', quantization: 'f32' })),
  {
    tolerance: 1e-5,
    deserialize: (bytes) => deserializeVectorIndex(bytes),
    runs: 30,
  },
);
vectorIndexContract(
  'createVectorIndex auto (switching at 10, mid-switch in the property test)',
  (dims) => createVectorIndex(dims, config({ exactBelow: 10 })),
  { tolerance: 1.5e-2, deserialize: (bytes) => deserializeVectorIndex(bytes), runs: 60 },
);
vectorIndexContract(
  'createVectorIndex auto (switching at 100)',
  (dims) => createVectorIndex(dims, config({ exactBelow: 100 })),
  {
    tolerance: 1.5e-2,
    deserialize: (bytes) => deserializeVectorIndex(bytes),
    runs: 30,
  },
);

function recallAt10(
  index: HnswIndex,
  vectors: Map<number, Float32Array>,
  queries: Float32Array[],
  filter?: (key: number) => boolean,
): number {
  let hits = 0;
  for (const query of queries) {
    const truth = new Set(referenceTop(vectors, query, 10, filter).map((h) => h.key));
    const found = index.search(query, 10, filter ? { filter } : undefined);
    assert.equal(found.length, 10);
    if (filter) assert.ok(found.every((h) => filter(h.key)));
    for (const hit of found) if (truth.has(hit.key)) hits++;
  }
  return hits / (queries.length * 10);
}

describe('HnswIndex at scale', () => {
  const random = seeded(77);
  const dims = 64;
  const n = 20_000;
  // Queries come from the same clusters as the catalogue (the last 100 vectors, kept out of the index).
  const data = clusteredVectors(random, n + 100, dims, 200);
  const queries = data.splice(n);
  const vectors = new Map(data.map((v, key) => [key, v]));
  const flat = new Float32Array(n * dims);
  data.forEach((v, i) => flat.set(v, i * dims));
  const index = new HnswIndex(dims);
  index.upsertMany(
    Array.from({ length: n }, (_, i) => i),
    flat,
  );

  it('reaches recall@10 ≥ 0.95 against exact search on 20k clustered 64-d vectors', () => {
    assert.equal(index.size, n);
    const recall = recallAt10(index, vectors, queries);
    assert.ok(recall >= 0.95, `recall@10 = ${recall}`);
  });

  it('still returns k hits under a 1% filter, and finds them with high recall under 10% and 30%', () => {
    const onePercent = (key: number): boolean => (key * 2654435761) % 100 === 42;
    const tenPercent = (key: number): boolean => key % 10 === 3;
    const thirtyPercent = (key: number): boolean => key % 10 < 3;
    // Both filter paths, forced, and the cost model's choice.
    for (const path of ['auto', 'graph', 'exact'] as const) {
      index.options.filterPath = path;
      assert.ok(recallAt10(index, vectors, queries.slice(0, 20), onePercent) >= 0.97, `${path} 1%`);
      assert.ok(recallAt10(index, vectors, queries.slice(0, 20), tenPercent) >= 0.95, `${path} 10%`);
      assert.ok(recallAt10(index, vectors, queries.slice(0, 20), thirtyPercent) >= 0.95, `${path} 30%`);
    }
    index.options.filterPath = 'auto';
    // A filter passing fewer than k keys returns just those, through either path.
    const three = (key: number): boolean => key === 10 || key === 5000 || key === 19_999;
    for (const path of ['graph', 'exact'] as const) {
      index.options.filterPath = path;
      assert.deepEqual(
        index
          .search(queries[0]!, 10, { filter: three })
          .map((h) => h.key)
          .sort((a, b) => a - b),
        [10, 5000, 19_999],
      );
    }
    index.options.filterPath = 'auto';
  });

  it('survives a serialize/deserialize round trip without rebuilding', () => {
    const bytes = index.serialize();
    const t = performance.now();
    const restored = HnswIndex.deserialize(bytes);
    const loadMs = performance.now() - t;
    assert.deepEqual(restored.search(queries[0]!, 10), index.search(queries[0]!, 10));
    // A rebuild of 20k vectors takes seconds; a load takes milliseconds.
    assert.ok(loadMs < 1000, `load took ${loadMs} ms`);
  });
});

describe('HnswIndex with a b1 (sign-bit) graph', () => {
  it('re-scores Hamming candidates to recall@10 ≥ 0.95 and survives growth, filters and a reload', () => {
    const random = seeded(41);
    const dims = 64;
    const n = 20_000;
    const data = clusteredVectors(random, n + 100, dims, 200);
    const queries = data.splice(n);
    const vectors = new Map(data.map((v, key) => [key, v]));
    // Grown one upsert at a time from empty: the graph is re-centred once at 4096 vectors.
    const index = new HnswIndex(dims, { quantization: 'b1', rescoreCandidates: 200 });
    data.forEach((v, key) => index.upsert(key, v));
    assert.equal(index.store.storage, 'int8');
    const recall = recallAt10(index, vectors, queries);
    assert.ok(recall >= 0.95, `b1 recall@10 = ${recall}`);
    assert.ok(recallAt10(index, vectors, queries.slice(0, 20), (key) => key % 10 === 3) >= 0.95);
    const restored = HnswIndex.deserialize(index.serialize());
    assert.deepEqual(restored.search(queries[0]!, 10), index.search(queries[0]!, 10));
    restored.upsert(n, queries[1]!);
    assert.equal(restored.search(queries[1]!, 1)[0]!.key, n);
    // Sign bits of padded widths: 12 dimensions use two bytes with the last four bits constant.
    const odd = new HnswIndex(12, { quantization: 'b1', exactScanBudget: 0 });
    const oddVectors = new Map<number, Float32Array>();
    for (let key = 0; key < 500; key++) {
      const v = randomVector(random, 12);
      oddVectors.set(key, v);
      odd.upsert(key, v);
    }
    assert.ok(
      recallAt10(
        odd,
        oddVectors,
        queries.slice(0, 10).map(() => randomVector(random, 12)),
      ) >= 0.8,
    );
  });
});

describe('HnswIndex first stage on truncated dimensions', () => {
  it('finds the exact top 10 when the leading dimensions carry most of the signal (Matryoshka)', () => {
    const random = seeded(31);
    const dims = 64;
    const n = 10_000;
    // Component i scaled by 1 / (1 + i / 8): the first 32 dimensions carry ~90% of the variance.
    const data = clusteredVectors(random, n + 50, dims, 300).map((v) => v.map((x, i) => x / (1 + i / 8)));
    const queries = data.splice(n);
    const vectors = new Map(data.map((v, key) => [key, v]));
    const flat = new Float32Array(n * dims);
    data.forEach((v, i) => flat.set(v, i * dims));
    const index = new HnswIndex(dims, { firstStageDims: 32, exactScanBudget: 0 });
    index.upsertMany(
      Array.from({ length: n }, (_, i) => i),
      flat,
    );
    assert.ok(recallAt10(index, vectors, queries) >= 0.95);
    const restored = HnswIndex.deserialize(index.serialize());
    assert.equal(restored.options.firstStageDims, 32);
    assert.deepEqual(restored.search(queries[0]!, 10), index.search(queries[0]!, 10));
  });
});

describe('HnswIndex maintenance', () => {
  it('keeps results right through heavy removal (graph rebuild from tombstones)', () => {
    const random = seeded(12);
    const dims = 16;
    const index = new HnswIndex(dims);
    const vectors = new Map<number, Float32Array>();
    for (let key = 0; key < 5000; key++) {
      const v = randomVector(random, dims);
      vectors.set(key, v);
      index.upsert(key, v);
    }
    for (let key = 0; key < 5000; key++) {
      if (key % 5 !== 0) {
        index.remove(key);
        vectors.delete(key);
      }
    }
    assert.equal(index.size, 1000);
    for (let q = 0; q < 20; q++) {
      const query = randomVector(random, dims);
      const expected = referenceTop(vectors, query, 10).map((h) => h.key);
      const found = index.search(query, 10).map((h) => h.key);
      assert.ok(found.filter((key) => expected.includes(key)).length >= 9);
      assert.ok(found.every((key) => key % 5 === 0));
    }
    // Replacing every vector many times does not grow the graph without bound (usearch reuses nodes).
    for (let round = 0; round < 3; round++) {
      for (const key of vectors.keys()) index.upsert(key, randomVector(random, dims));
    }
    assert.equal(index.size, 1000);
  });

  it('upsertMany keeps the last vector of a repeated key and replaces existing ones', () => {
    const index = new HnswIndex(2);
    index.upsert(1, Float32Array.of(1, 0));
    index.upsertMany([1, 2, 2], Float32Array.of(0, 1, 1, 0, -1, 0));
    assert.equal(index.size, 2);
    assert.deepEqual(index.search(Float32Array.of(0, 1), 1)[0]!.key, 1);
    assert.deepEqual(index.search(Float32Array.of(-1, 0), 1)[0]!.key, 2);
    assert.throws(() => index.upsertMany([1], new Float32Array(3)), { code: 'INVALID_REQUEST' });
  });
});

describe('createVectorIndex / deserializeVectorIndex', () => {
  const random = seeded(13);
  const dims = 16;
  const data = Array.from({ length: 300 }, () => randomVector(random, dims));

  it('auto switches from exact to HNSW past exactBelow, over later writes, and stays auto after a reload', () => {
    const auto = createVectorIndex(dims, config({ exactBelow: 100 })) as AutoVectorIndex;
    const live = new Map<number, Float32Array>();
    const check = (): void => {
      const query = randomVector(random, dims);
      assert.deepEqual(
        auto.search(query, 5).map((h) => h.key),
        referenceTop(live, query, 5).map((h) => h.key),
      );
    };
    for (let key = 0; key <= 100; key++) {
      auto.upsert(key, data[key]!);
      live.set(key, data[key]!);
    }
    // Past the threshold: the exact index keeps serving while the graph is filled.
    assert.equal(auto.kind, 'exact');
    assert.ok(auto.switching);
    let writes = 0;
    for (let key = 101; auto.switching; key++, writes++) {
      if (key % 3 === 0) {
        auto.remove(key - 50);
        live.delete(key - 50);
      } else {
        auto.upsert(key, data[key]!);
        live.set(key, data[key]!);
      }
      // Replace a key that may or may not have been copied yet.
      auto.upsert(
        key - 90,
        data[key - 90]!.map((x) => -x),
      );
      live.set(
        key - 90,
        data[key - 90]!.map((x) => -x),
      );
      check();
    }
    assert.ok(writes > 0 && writes < 20, `switch took ${writes} writes`);
    assert.equal(auto.kind, 'hnsw');
    assert.equal(auto.size, live.size);
    for (const [key, v] of live) assert.ok(cosine(auto.get(key)!, v) > 0.99);
    check();
    const restored = deserializeVectorIndex(auto.serialize()) as AutoVectorIndex;
    assert.ok(restored instanceof AutoVectorIndex);
    assert.equal(restored.kind, 'hnsw');
    assert.equal(restored.size, live.size);
    // An exact-phase auto index reloads as auto; a bulk upsert copies 16 stored vectors per vector written,
    // so one of 150 finishes the switch.
    const small = createVectorIndex(dims, config({ exactBelow: 200 })) as AutoVectorIndex;
    data.slice(0, 150).forEach((v, key) => small.upsert(key, v));
    const reloaded = deserializeVectorIndex(small.serialize()) as AutoVectorIndex;
    assert.equal(reloaded.kind, 'exact');
    reloaded.upsertMany(
      Array.from({ length: 150 }, (_, i) => 150 + i),
      Float32Array.from(data.slice(150).flatMap((v) => Array.from(v))),
    );
    assert.equal(reloaded.kind, 'hnsw');
    assert.equal(reloaded.size, 300);
    assert.equal(reloaded.search(data[299]!, 1)[0]!.key, 299);
  });

  it('adapts a saved index to a changed config, reusing the graph when it still fits', () => {
    const hnsw = createVectorIndex(dims, config({ index: 'hnsw' }));
    data.forEach((v, key) => hnsw.upsert(key, v));
    const bytes = hnsw.serialize();
    const same = deserializeVectorIndex(bytes, config({ index: 'hnsw', expansionSearch: 200 }));
    assert.ok(same instanceof HnswIndex && same.options.expansionSearch === 200);
    const exact = deserializeVectorIndex(bytes, config({ index: 'exact' }));
    assert.ok(exact instanceof ExactIndex && exact.storage === 'f32');
    const f16 = deserializeVectorIndex(bytes, config({ index: 'hnsw', quantization: 'f16' }));
    assert.ok(f16 instanceof HnswIndex && f16.options.quantization === 'f16');
    const auto = deserializeVectorIndex(bytes, config({ index: 'auto', exactBelow: 1000 }));
    assert.ok(auto instanceof AutoVectorIndex && auto.kind === 'hnsw');
    const autoExact = deserializeVectorIndex(
      createVectorIndex(dims, config({ index: 'exact' })).serialize(),
      config({ index: 'auto' }),
    );
    assert.ok(autoExact instanceof AutoVectorIndex && autoExact.kind === 'exact');
    for (const index of [same, exact, f16, auto]) {
      assert.equal(index.size, 300);
      assert.equal(index.search(data[7]!, 1)[0]!.key, 7);
    }
  });
});
