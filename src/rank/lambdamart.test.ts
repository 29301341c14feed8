import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datasetNdcg, scoreRows, trainLambdaMart, type RankingDataset } from './lambdamart.ts';
import { seededRandom } from '../util/seeded-random.ts';

/**
 * Queries of 30 candidates, 4 features: the grade depends on feature 0 (a threshold) and on feature 1 only
 * when feature 2 is high (an interaction a linear model cannot express); feature 3 is noise.
 */
function synthetic(queries: number, seed: number): RankingDataset {
  const next = seededRandom(seed);
  const F = 4;
  const perQuery = 30;
  const features = new Float32Array(queries * perQuery * F);
  const labels = new Float32Array(queries * perQuery);
  const offsets = new Int32Array(queries + 1);
  for (let q = 0; q < queries; q++) {
    offsets[q + 1] = (q + 1) * perQuery;
    for (let j = 0; j < perQuery; j++) {
      const row = q * perQuery + j;
      const x = [next(), next(), next(), next()];
      features.set(x, row * F);
      labels[row] = (x[0]! > 0.7 ? 2 : 0) + (x[2]! > 0.5 && x[1]! > 0.8 ? 2 : 0);
    }
  }
  return { features, featureCount: F, labels, offsets };
}

const NAMES = ['threshold', 'interacting', 'gate', 'noise'];

describe('LambdaMART', () => {
  it('learns a threshold and an interaction: held-out NDCG@10 near 1, far above the noise feature alone', () => {
    const train = synthetic(200, 1);
    const test = synthetic(100, 2);
    const model = trainLambdaMart(train, NAMES, { trees: 60, minLeafRows: 20 });
    const learned = datasetNdcg(test, scoreRows(model, test.features, 4));
    const noise = datasetNdcg(
      test,
      Array.from({ length: test.labels.length }, (_, i) => test.features[i * 4 + 3]!),
    );
    assert.ok(learned > 0.95, `learned NDCG ${learned}`);
    assert.ok(noise < 0.7, `noise NDCG ${noise}`);
  });

  it('continues training from an ensemble: keeps its trees, adds at most the asked number', () => {
    const train = synthetic(100, 3);
    const first = trainLambdaMart(train, NAMES, { trees: 5, minLeafRows: 20 });
    const more = trainLambdaMart(train, NAMES, { trees: 10, minLeafRows: 20 }, first);
    assert.equal(more.trees.length, first.trees.length + more.addedTrees);
    assert.ok(more.addedTrees > 0 && more.addedTrees <= 10);
    assert.deepEqual(more.trees.slice(0, first.trees.length), first.trees);
    const before = datasetNdcg(train, scoreRows(first, train.features, 4));
    const after = datasetNdcg(train, scoreRows(more, train.features, 4));
    assert.ok(after >= before, `${after} < ${before}`);
  });

  it('stops early and cuts back to the best validation NDCG', () => {
    const model = trainLambdaMart(synthetic(60, 4), NAMES, {
      trees: 200,
      earlyStopping: 10,
      minLeafRows: 5,
      validation: synthetic(60, 5),
    });
    assert.ok(model.trees.length < 200);
    const validation = synthetic(60, 5);
    const ndcg = datasetNdcg(validation, scoreRows(model, validation.features, 4));
    assert.ok(Math.abs(ndcg - model.validationNdcg!) < 1e-9);
  });

  it('learns nothing from rows of weight 0 (row weights scale the gradients)', () => {
    const data = synthetic(50, 6);
    data.weights = new Float32Array(data.labels.length);
    assert.equal(trainLambdaMart(data, NAMES, { trees: 20, minLeafRows: 20 }).trees.length, 0);
    data.weights.fill(1);
    assert.ok(trainLambdaMart(data, NAMES, { trees: 20, minLeafRows: 20 }).trees.length > 0);
  });

  it("takes NDCG's ideal from judgedGrades when given: judged products that were not retrieved count", () => {
    // Two queries of two rows; query 0 retrieved one of its three judged products, query 1 none of its one.
    const data: RankingDataset = {
      features: new Float32Array(4),
      featureCount: 1,
      labels: Float32Array.from([2, 0, 0, 0]),
      offsets: Int32Array.from([0, 2, 4]),
    };
    const scores = [1, 0, 1, 0];
    assert.equal(datasetNdcg(data, scores), 1); // query 1 has no positive row: counted as 1
    data.judgedGrades = [Float32Array.from([2, 2, 1]), Float32Array.from([1])];
    const ideal = 2 + 2 / Math.log2(3) + 1 / 2;
    assert.ok(Math.abs(datasetNdcg(data, scores) - (2 / ideal + 0) / 2) < 1e-9);
  });

  it("weighs a query's gradients by its judged ideal: queries that retrieved little of what is relevant matter less", () => {
    // Queries of kind A want feature 0, of kind B feature 1, and nothing tells the kinds apart. B queries
    // are twice as many, so plain LambdaMART follows feature 1; with judgedGrades saying B queries have
    // many more relevant products than were retrieved (each B query's NDCG can move little), feature 0 wins.
    const next = seededRandom(7);
    const perQuery = 20;
    const kinds = Array.from({ length: 150 }, (_, q) => (q % 3 === 0 ? 'A' : 'B'));
    const features = new Float32Array(kinds.length * perQuery * 2);
    const labels = new Float32Array(kinds.length * perQuery);
    const offsets = new Int32Array(kinds.length + 1);
    kinds.forEach((kind, q) => {
      offsets[q + 1] = (q + 1) * perQuery;
      for (let j = 0; j < perQuery; j++) {
        const row = q * perQuery + j;
        const relevant = j < 2;
        const wanted = relevant ? 0.6 + 0.4 * next() : 0.7 * next();
        const other = relevant ? 0.4 * next() : next();
        features.set(kind === 'A' ? [wanted, other] : [other, wanted], row * 2);
        labels[row] = relevant ? 1 : 0;
      }
    });
    const data: RankingDataset = { features, featureCount: 2, labels, offsets };
    const kindA = (model: ReturnType<typeof trainLambdaMart>): number => {
      const scores = scoreRows(model, features, 2);
      let sum = 0;
      kinds.forEach((kind, q) => {
        if (kind !== 'A') return;
        const rows = Array.from({ length: perQuery }, (_, j) => q * perQuery + j);
        rows.sort((a, b) => scores[b]! - scores[a]! || a - b);
        sum += rows.slice(0, 2).filter((row) => labels[row]! > 0).length / 2;
      });
      return sum / kinds.filter((kind) => kind === 'A').length;
    };
    const options = { trees: 30, minLeafRows: 20 };
    const plain = kindA(trainLambdaMart(data, ['f0', 'f1'], options));
    data.judgedGrades = kinds.map((kind) => new Float32Array(kind === 'A' ? 2 : 200).fill(1));
    const weighted = kindA(trainLambdaMart(data, ['f0', 'f1'], options));
    assert.ok(plain < 0.5, `plain model finds ${plain} of kind A's relevant rows on top`);
    assert.ok(weighted > 0.8, `judged-ideal model finds ${weighted} of kind A's relevant rows on top`);
  });

  it('draws the features each tree may split on from a seed (featureFraction)', () => {
    const data = synthetic(100, 8);
    const splitFeatures = (model: ReturnType<typeof trainLambdaMart>): number[][] =>
      model.trees.map((tree) => [...new Set(tree.filter((node) => node.f >= 0).map((node) => node.f))]);
    const all = trainLambdaMart(data, NAMES, { trees: 20, minLeafRows: 20 });
    assert.deepEqual(trainLambdaMart(data, NAMES, { trees: 20, minLeafRows: 20, featureFraction: 1 }), all);
    const half = trainLambdaMart(data, NAMES, { trees: 20, minLeafRows: 20, featureFraction: 0.5, seed: 3 });
    assert.deepEqual(
      trainLambdaMart(data, NAMES, { trees: 20, minLeafRows: 20, featureFraction: 0.5, seed: 3 }),
      half,
    );
    assert.notDeepEqual(half.trees, all.trees);
    // Some tree could not use every feature the full model's trees use.
    assert.ok(splitFeatures(half).some((used) => used.length < 4));
    const test = synthetic(100, 9);
    assert.ok(datasetNdcg(test, scoreRows(half, test.features, 4)) > 0.9);
  });
});
