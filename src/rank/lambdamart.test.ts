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
});
