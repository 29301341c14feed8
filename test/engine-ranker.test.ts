/**
 * The learned ranker through the public engine API: trained from judgments on a generated catalogue where
 * keyword scores systematically prefer the wrong product (the relevant one has a longer title but the best
 * rating), stored as versions that survive a restart, used by search, switched off and back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import { engineFixture } from './helpers/engine-fixture.ts';
import { SoukError } from '../src/errors.ts';
import type { RankingRows } from '../src/ranker-training.ts';
import { rankingCatalogue } from './helpers/ranking-catalogue.ts';

const GROUPS = 60;

const DATA = mkdtempSync(join(tmpdir(), 'souk-ranker-'));
const { products, queries, qrels, relevantOf } = rankingCatalogue(GROUPS);
const CONFIG = {
  dataDir: DATA,
  ranker: {
    minLeafRows: 5,
    trees: 40,
    holdout: 0.3,
    // Updates are started by hand here, except in the test of the automatic trigger.
    online: { enabled: false, trees: 30, learningRate: 0.5, tolerance: 0 },
  },
};
const fixture = engineFixture(CONFIG, products);

describe('learned ranker', () => {
  it('starts without a model: search answers in retrieval order with no ranker', async () => {
    const response = await fixture.engine.search({ q: 'lamp0' });
    assert.equal(response.ranker, undefined);
    assert.notEqual(response.hits[0]!.id, relevantOf('lamp0'));
    assert.deepEqual(fixture.engine.rankerModels(), { active: undefined, models: [] });
  });

  it('trains from judgments, becomes active and lifts holdout NDCG', async () => {
    const report = await fixture.engine.trainRanker({ queries, qrels });
    assert.equal(report.version, 'r1');
    assert.equal(report.active, true);
    assert.ok(report.holdoutQueries > 5 && report.trainQueries > 20, JSON.stringify(report));
    assert.ok(report.holdoutNdcgAfter > report.holdoutNdcgBefore + 0.2, JSON.stringify(report));
    assert.equal(fixture.engine.rankerModels().active, 'r1');
  });

  it('search uses the active model: the relevant product comes first, for queries it never saw too', async () => {
    let first = 0;
    for (const q of queries.values()) {
      const response = await fixture.engine.search({ q });
      assert.equal(response.ranker, 'r1');
      if (response.hits[0]?.id === relevantOf(q)) first++;
    }
    assert.ok(first >= GROUPS * 0.9, `${first} of ${GROUPS}`);
  });

  it('ranker "none" gives the retrieval order back; an unknown version is RANKER_NOT_FOUND', async () => {
    const plain = await fixture.engine.search({ q: 'lamp0', ranker: 'none' });
    assert.equal(plain.ranker, undefined);
    assert.notEqual(plain.hits[0]!.id, relevantOf('lamp0'));
    await assert.rejects(
      fixture.engine.search({ q: 'lamp0', ranker: 'r99' }),
      (error: unknown) => error instanceof SoukError && error.code === 'RANKER_NOT_FOUND',
    );
  });

  it('sorting by price ignores the ranker, and filters still hold', async () => {
    const response = await fixture.engine.search({ q: 'lamp0', sort: 'price:asc', filter: 'price >= 11' });
    assert.equal(response.ranker, undefined);
    assert.deepEqual(
      response.hits.map((hit) => hit.price),
      [11, 12, 13, 14],
    );
  });

  it('keeps versions across a restart; switching back to none and to r1 is one call each', async () => {
    await fixture.engine.trainRanker({ queries, qrels, trees: 5, activate: false });
    await fixture.restart();
    const { active, models } = fixture.engine.rankerModels();
    assert.equal(active, 'r1');
    assert.deepEqual(
      models.map((model) => [model.version, model.source]),
      [
        ['r1', 'judgments'],
        ['r2', 'judgments'],
      ],
    );
    await fixture.engine.activateRanker('none');
    assert.equal((await fixture.engine.search({ q: 'lamp0' })).ranker, undefined);
    await fixture.engine.activateRanker('r2');
    assert.equal((await fixture.engine.search({ q: 'lamp0' })).ranker, 'r2');
    await fixture.engine.activateRanker('r1');
  });

  it('an online update from feedback that agrees with the judgments is kept as a new active version', async () => {
    const events = [...queries.values()].flatMap((q) => [
      { type: 'impression' as const, query: q, productId: relevantOf(q), position: 3 },
      { type: 'click' as const, query: q, productId: relevantOf(q), position: 3 },
    ]);
    await fixture.engine.feedback(events);
    const report = await fixture.engine.updateRanker();
    assert.ok(report, 'an active model to update');
    assert.equal(report.accepted, true, report.reason);
    assert.equal(report.base, 'r1');
    assert.ok(report.addedTrees > 0 && report.addedTrees <= 30);
    const { active, models } = fixture.engine.rankerModels();
    assert.equal(active, report.version);
    const info = models.find((model) => model.version === active)!;
    assert.equal(info.source, 'online');
    assert.equal(info.parent, 'r1');
    assert.equal(info.trees, models.find((model) => model.version === 'r1')!.trees + report.addedTrees);
  });

  it('the holdout guard rejects an update from feedback that contradicts the judgments', async () => {
    const before = fixture.engine.rankerModels();
    // Every query's purchases go to a product the judges did not rate relevant.
    const wrong = (q: string): string => relevantOf(q).replace(/p(\d)$/, (_, j) => `p${(Number(j) + 1) % 5}`);
    const events = [...queries.values()].flatMap((q) =>
      Array.from({ length: 5 }, () => ({
        type: 'purchase' as const,
        query: q,
        productId: wrong(q),
        position: 1,
      })),
    );
    await fixture.engine.feedback(events);
    const report = await fixture.engine.updateRanker();
    assert.equal(report?.accepted, false);
    assert.match(report!.reason!, /holdout NDCG@10 would drop/);
    assert.ok(report!.holdoutNdcgAfter < report!.holdoutNdcgBefore);
    assert.deepEqual(fixture.engine.rankerModels(), before);
  });
});

describe('ranker from feedback alone', () => {
  it('learns from clicks, debiased by position, and updates by itself after enough new events', async () => {
    const { products: items, queries: texts, relevantOf: clicked } = rankingCatalogue(40);
    const local = await createEngine({
      dataDir: null,
      ranker: { minLeafRows: 5, trees: 30, online: { enabled: true, minEvents: 40, trees: 5 } },
    });
    try {
      await local.upsert(items);
      // Shoppers scroll down to the well-rated product and click it (shown at rank 4 by keyword order).
      const events = [...texts.values()].flatMap((q) => [
        { type: 'impression' as const, query: q, productId: clicked(q), position: 4 },
        { type: 'click' as const, query: q, productId: clicked(q), position: 4 },
      ]);
      await local.feedback(events);
      const report = await local.trainRankerFromFeedback();
      assert.equal(report.version, 'r1');
      assert.equal(local.rankerModels().models[0]!.source, 'feedback');
      let first = 0;
      for (const q of texts.values()) if ((await local.search({ q })).hits[0]?.id === clicked(q)) first++;
      assert.ok(first >= 36, `${first} of 40`);

      // Enough new events start an update by themselves; the feedback holdout guards it.
      await local.feedback(events.slice(0, 40));
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && local.rankerModels().active === 'r1') {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { active, models } = local.rankerModels();
      assert.equal(active, 'r2');
      assert.equal(models[1]!.source, 'online');
      assert.equal(models[1]!.parent, 'r1');
    } finally {
      await local.close();
    }
  });
});

describe('ranking features', () => {
  /** One feature's value for every candidate row, in row order. */
  const featureColumn = (data: RankingRows, name: string): number[] => {
    const at = data.featureNames.indexOf(name);
    assert.ok(at >= 0, name);
    return Array.from({ length: data.labels.length }, (_, r) => data.features[r * data.featureCount + at]!);
  };

  it('carry the shopper’s own affinity to brand and category, and popularity from feedback', async () => {
    const local = await createEngine({ dataDir: null });
    try {
      await local.upsert([
        { id: 'a', title: 'trail shoe', brand: 'Peak', category: ['Shoes', 'Trail'] },
        { id: 'b', title: 'trail shoe', brand: 'Flat', category: ['Shoes', 'Road'] },
        { id: 'c', title: 'peak cap', brand: 'Peak', category: ['Hats'] },
        { id: 'd', title: 'gaiters', brand: 'Other', category: ['Shoes', 'Trail'] },
      ]);
      await local.feedback([
        { type: 'purchase', query: 'cap', productId: 'c', position: 1, userId: 'u1' },
        { type: 'click', query: 'gaiters', productId: 'd', position: 1, userId: 'u1' },
        { type: 'click', query: 'trail', productId: 'a', position: 2, userId: 'u2' },
      ]);
      const rows = async (userId?: string) => {
        const request = userId === undefined ? {} : { userId };
        const data = await local.rankingExamples([{ q: 'trail shoe', labels: new Map(), request }]);
        return { column: (name: string) => featureColumn(data, name), count: data.labels.length };
      };
      const u1 = await rows('u1');
      // a and b match "trail shoe" in the title equally (document order breaks the tie), d only in its category.
      assert.equal(u1.count, 3);
      const [brandA, brandB] = u1.column('user_brand_affinity');
      assert.ok(brandA! > 0 && brandB === 0, `${brandA} ${brandB}`);
      const [categoryA, categoryB] = u1.column('user_category_affinity');
      // b shares the first level (Shoes) of the path u1 clicked in, a the whole path.
      assert.ok(categoryA! > categoryB! && categoryB! > 0, `${categoryA} ${categoryB}`);
      const anonymous = await rows();
      assert.deepEqual(anonymous.column('user_brand_affinity'), [0, 0, 0]);
      const [popularA, popularB] = anonymous.column('popularity_log');
      assert.ok(popularA! > 0 && popularB === 0);
    } finally {
      await local.close();
    }
  });

  it('say whether the query’s head word names the candidate (its title head) or only appears in its title', async () => {
    const local = await createEngine({ dataDir: null });
    try {
      await local.upsert([
        { id: 'remote', title: 'Hampton Bay Ceiling Fan Remote Control' },
        { id: 'fan', title: 'Hampton Bay Littleton 42 in. White Ceiling Fan' },
        { id: 'kit', title: 'Hampton Bay Ceiling Fan Light Kit with Frosted Glass' },
      ]);
      const columns = async (q: string) => {
        const data = await local.rankingExamples([{ q, labels: new Map() }]);
        return {
          head: featureColumn(data, 'query_head_in_title_head'),
          title: featureColumn(data, 'query_head_in_title'),
        };
      };
      // "fan" is the head of one title and a word of all three; a trailing size does not hide it.
      for (const q of ['hampton ceiling fan', 'ceiling fan 42 in.']) {
        const { head, title } = await columns(q);
        assert.deepEqual([...head].sort(), [0, 0, 1], q);
        assert.deepEqual(title, [1, 1, 1], q);
      }
      // The query is read like a title: in "fan for hampton bay" the head is "fan", not "bay".
      assert.deepEqual([...(await columns('fan for hampton bay')).head].sort(), [0, 0, 1]);
      // "kit" heads only the light kit; a query without a word has no head.
      assert.deepEqual([...(await columns('fan light kit')).head].sort(), [0, 0, 1]);
      assert.deepEqual(
        (await columns('42')).head.filter((value) => value !== 0),
        [],
      );
    } finally {
      await local.close();
    }
  });

  it('read word order back from the stored titles: the phrase "light kit" against its words apart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-proximity-'));
    const local = await createEngine({ dataDir: dir });
    try {
      await local.upsert([
        { id: 'phrase', title: 'Hampton Bay Ceiling Fan Light Kit' },
        { id: 'apart', title: 'LED Light, Ceiling Fan Remote Kit' },
      ]);
      const data = await local.rankingExamples([{ q: 'light kit', labels: new Map() }]);
      const byId = (name: string) =>
        Object.fromEntries(data.ids.map((id, r) => [id, featureColumn(data, name)[r]]));
      assert.deepEqual(byId('title_query_bigrams'), { phrase: 1, apart: 0 });
      assert.deepEqual(byId('title_contains_query'), { phrase: 1, apart: 0 });
      // A product patched meanwhile is read as it is now.
      await local.patch('apart', { title: 'Remote Light Kit' });
      const again = await local.rankingExamples([{ q: 'light kit', labels: new Map() }]);
      const at = again.ids.indexOf('apart');
      assert.equal(featureColumn(again, 'title_query_bigrams')[at], 1);
    } finally {
      await local.close();
    }
  });
});
