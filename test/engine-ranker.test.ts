/**
 * The learned ranker through the public engine API: trained from judgments on a generated catalogue where
 * keyword scores systematically prefer the wrong product (the relevant one has a longer title but the best
 * rating), stored as versions that survive a restart, used by search, switched off and back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { SoukError } from '../src/errors.ts';
import { rankingCatalogue } from './helpers/ranking-catalogue.ts';

const GROUPS = 60;

const DATA = mkdtempSync(join(tmpdir(), 'souk-ranker-'));
const { products, queries, qrels, relevantOf } = rankingCatalogue(GROUPS);
const CONFIG = { dataDir: DATA, ranker: { minLeafRows: 5, trees: 40, holdout: 0.3 } };
let engine: Engine;

before(async () => {
  engine = await createEngine(CONFIG);
  await engine.upsert(products);
});

after(async () => {
  await engine.close();
  rmSync(DATA, { recursive: true, force: true });
});

describe('learned ranker', () => {
  it('starts without a model: search answers in retrieval order with no ranker', async () => {
    const response = await engine.search({ q: 'lamp0' });
    assert.equal(response.ranker, undefined);
    assert.notEqual(response.hits[0]!.id, relevantOf('lamp0'));
    assert.deepEqual(engine.rankerModels(), { active: undefined, models: [] });
  });

  it('trains from judgments, becomes active and lifts holdout NDCG', async () => {
    const report = await engine.trainRanker({ queries, qrels });
    assert.equal(report.version, 'r1');
    assert.equal(report.active, true);
    assert.ok(report.holdoutQueries > 5 && report.trainQueries > 20, JSON.stringify(report));
    assert.ok(report.holdoutNdcgAfter > report.holdoutNdcgBefore + 0.2, JSON.stringify(report));
    assert.equal(engine.rankerModels().active, 'r1');
  });

  it('search uses the active model: the relevant product comes first, for queries it never saw too', async () => {
    let first = 0;
    for (const q of queries.values()) {
      const response = await engine.search({ q });
      assert.equal(response.ranker, 'r1');
      if (response.hits[0]?.id === relevantOf(q)) first++;
    }
    assert.ok(first >= GROUPS * 0.9, `${first} of ${GROUPS}`);
  });

  it('ranker "none" gives the retrieval order back; an unknown version is RANKER_NOT_FOUND', async () => {
    const plain = await engine.search({ q: 'lamp0', ranker: 'none' });
    assert.equal(plain.ranker, undefined);
    assert.notEqual(plain.hits[0]!.id, relevantOf('lamp0'));
    await assert.rejects(
      engine.search({ q: 'lamp0', ranker: 'r99' }),
      (error: unknown) => error instanceof SoukError && error.code === 'RANKER_NOT_FOUND',
    );
  });

  it('sorting by price ignores the ranker, and filters still hold', async () => {
    const response = await engine.search({ q: 'lamp0', sort: 'price:asc', filter: 'price >= 11' });
    assert.equal(response.ranker, undefined);
    assert.deepEqual(
      response.hits.map((hit) => hit.price),
      [11, 12, 13, 14],
    );
  });

  it('keeps versions across a restart; switching back to none and to r1 is one call each', async () => {
    await engine.trainRanker({ queries, qrels, trees: 5, activate: false });
    await engine.close();
    engine = await createEngine(CONFIG);
    const { active, models } = engine.rankerModels();
    assert.equal(active, 'r1');
    assert.deepEqual(
      models.map((model) => [model.version, model.source]),
      [
        ['r1', 'judgments'],
        ['r2', 'judgments'],
      ],
    );
    await engine.activateRanker('none');
    assert.equal((await engine.search({ q: 'lamp0' })).ranker, undefined);
    await engine.activateRanker('r2');
    assert.equal((await engine.search({ q: 'lamp0' })).ranker, 'r2');
    await engine.activateRanker('r1');
  });
});
