import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyAdapter,
  batchLoss,
  evaluateAdapter,
  identityWeights,
  trainAdapter,
  type AdapterExample,
} from './embedding-adapter.ts';
import { seededRandom } from '../util/seeded-random.ts';

function unit(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const scale = 1 / Math.sqrt(sum);
  return vector.map((x) => x * scale);
}

function randomUnit(dims: number, random: () => number): Float32Array {
  return unit(Float32Array.from({ length: dims }, () => random() * 2 - 1));
}

/** A random rotation-like map: a signed permutation (orthogonal, far from the identity). */
function signedPermutation(dims: number, random: () => number): { rotate(v: Float32Array): Float32Array } {
  const order = Array.from({ length: dims }, (_, i) => i);
  for (let i = dims - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const signs = order.map(() => (random() < 0.5 ? -1 : 1));
  return { rotate: (v) => Float32Array.from(order, (from, i) => v[from]! * signs[i]!) };
}

/** Queries are rotated (and slightly noisy) copies of their positives: the right map undoes the rotation. */
function rotatedSet(dims: number, count: number, seed: number): AdapterExample[] {
  const random = seededRandom(seed);
  const rotation = signedPermutation(dims, random);
  const positives = Array.from({ length: count }, () => randomUnit(dims, random));
  return positives.map((positive, i) => {
    const noise = randomUnit(dims, random).map((x) => x * 0.1);
    const query = unit(rotation.rotate(positive).map((x, k) => x + noise[k]!));
    const negatives = [1, 2, 3].map((step) => positives[(i + step * 7) % count]!);
    return { query, positive, negatives, group: i, item: i };
  });
}

/** Mean reciprocal rank of each query's positive among all positives, under the adapter. */
function meanReciprocalRank(weights: Float32Array, examples: readonly AdapterExample[]): number {
  let total = 0;
  for (const example of examples) {
    const q = applyAdapter(weights, example.query);
    const score = (v: Float32Array): number => v.reduce((sum, x, k) => sum + x * q[k]!, 0);
    const own = score(example.positive);
    const rank = 1 + examples.filter((other) => score(other.positive) > own).length;
    total += 1 / rank;
  }
  return total / examples.length;
}

describe('embedding adapter', () => {
  it('maps a vector through the identity to exactly itself', () => {
    const random = seededRandom(3);
    for (const dims of [3, 16, 512]) {
      const vector = randomUnit(dims, random);
      assert.deepEqual(applyAdapter(identityWeights(dims), vector), vector);
    }
  });

  it('normalises the mapped vector', () => {
    const weights = Float32Array.from([2, 0, 0, 3]);
    const [x, y] = applyAdapter(weights, Float32Array.from([0.6, 0.8]));
    assert.ok(Math.abs(x! - 1.2 / Math.sqrt(1.2 ** 2 + 2.4 ** 2)) < 1e-7 && Math.abs(y! - 2 * x!) < 1e-7);
  });

  it('computes the gradient of the contrastive loss (checked against finite differences)', () => {
    const dims = 5;
    const random = seededRandom(11);
    const examples: AdapterExample[] = Array.from({ length: 4 }, (_, i) => ({
      query: randomUnit(dims, random),
      positive: randomUnit(dims, random),
      negatives: [randomUnit(dims, random), randomUnit(dims, random)],
      group: i < 2 ? 0 : i, // the first two share a query: they must not be each other's negatives
    }));
    const weights = new Float64Array(identityWeights(dims)).map((x) => x + (random() - 0.5) * 0.4);
    const grad = new Float64Array(dims * dims);
    const temperature = 0.2;
    batchLoss(weights, dims, examples, temperature, grad);
    const meanLoss = (w: Float64Array): number => batchLoss(w, dims, examples, temperature).loss / 4;
    for (let i = 0; i < dims * dims; i++) {
      const plus = Float64Array.from(weights);
      const minus = Float64Array.from(weights);
      plus[i]! += 1e-6;
      minus[i]! -= 1e-6;
      const numeric = (meanLoss(plus) - meanLoss(minus)) / 2e-6;
      assert.ok(Math.abs(numeric - grad[i]!) < 1e-5, `weight ${i}: ${numeric} vs ${grad[i]}`);
    }
  });

  it('learns to undo a rotation of the queries: loss falls, positives rise to the top', async () => {
    const dims = 16;
    const examples = rotatedSet(dims, 400, 5);
    const before = meanReciprocalRank(identityWeights(dims), examples);
    const progress: number[] = [];
    const { weights, report } = await trainAdapter(examples, dims, {
      epochs: 30,
      batchSize: 32,
      learningRate: 0.01,
      temperature: 0.1,
      identityWeight: 1e-4,
      validationShare: 0.2,
      patience: 3,
      seed: 7,
      onProgress: (p) => {
        if (p.epochDone) progress.push(p.epoch);
      },
    });
    const after = meanReciprocalRank(weights, examples);
    assert.ok(before < 0.1, `identity MRR ${before}`);
    assert.ok(after > 0.8, `trained MRR ${after}`);
    assert.ok(report.validation, 'validation was measured');
    assert.ok(
      report.validation.after.loss < report.validation.before.loss / 2,
      JSON.stringify(report.validation),
    );
    assert.ok(report.validation.after.accuracy > 0.9);
    assert.equal(report.trainExamples + report.validationExamples, 400);
    assert.ok(report.bestEpoch >= 1);
    assert.deepEqual(
      progress,
      report.history.map((epoch) => epoch.epoch),
    );
    const losses = report.history.map((epoch) => epoch.trainLoss);
    assert.ok(losses.at(-1)! < losses[0]!, `training loss ${losses.join(', ')}`);
  });

  it('is deterministic for a seed', async () => {
    const examples = rotatedSet(8, 100, 9);
    const options = { epochs: 3, batchSize: 16, learningRate: 0.01, seed: 4 };
    const a = await trainAdapter(examples, 8, options);
    const b = await trainAdapter(examples, 8, options);
    assert.deepEqual(a.weights, b.weights);
    assert.deepEqual(a.report, b.report);
    const c = await trainAdapter(examples, 8, { ...options, seed: 5 });
    assert.notDeepEqual(a.weights, c.weights);
  });

  it('stays near the identity under a strong regulariser, and keeps the identity when nothing helps', async () => {
    const examples = rotatedSet(8, 100, 12);
    const free = await trainAdapter(examples, 8, { epochs: 5, learningRate: 0.01, identityWeight: 1e-4 });
    const held = await trainAdapter(examples, 8, { epochs: 5, learningRate: 0.01, identityWeight: 100 });
    assert.ok(
      held.report.distanceFromIdentity < free.report.distanceFromIdentity / 4,
      `${held.report.distanceFromIdentity} vs ${free.report.distanceFromIdentity}`,
    );

    // Queries equal to their positives: the identity is already right, and training must not move from it.
    const random = seededRandom(2);
    const easy: AdapterExample[] = Array.from({ length: 60 }, (_, i) => {
      const v = randomUnit(8, random);
      return { query: v, positive: v, negatives: [], group: i, item: i };
    });
    const kept = await trainAdapter(easy, 8, { epochs: 3, learningRate: 0.5, validationShare: 0.3 });
    const identity = evaluateAdapter(identityWeights(8), 8, easy);
    const trained = evaluateAdapter(kept.weights, 8, easy);
    assert.ok(trained.loss <= identity.loss + 0.05, `${trained.loss} vs ${identity.loss}`);
    assert.ok(kept.report.validation!.after.loss <= kept.report.validation!.before.loss);
  });
});
