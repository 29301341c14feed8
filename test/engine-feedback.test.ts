import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import type { FeedbackListener } from '../src/engine-feedback.ts';
import { isSoukError } from '../src/errors.ts';
import type { FeedbackStats } from '../src/rank/feedback-stats.ts';
import { openSqliteStore } from '../src/store/sqlite-store.ts';
import type { FeedbackEvent, LoggedFeedback, Product } from '../src/types.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

/** What the ranker engineer reads from the engine (not part of the public Engine interface). */
interface FeedbackInternals {
  feedbackStats: FeedbackStats;
  onFeedback(listener: FeedbackListener): () => void;
}
const internals = (engine: Engine) => engine as unknown as FeedbackInternals;

const KEYWORD_ONLY = {
  embedding: { text: { provider: 'none' as const }, image: { provider: 'none' as const } },
};

const PRODUCTS: Product[] = [
  { id: 'H1', title: 'Chaz Hoodie', brand: 'Luma', category: ['Men', 'Tops', 'Hoodies'] },
  { id: 'H2', title: 'Ajax Hoodie', brand: 'Nike', category: ['Men', 'Tops', 'Hoodies'] },
  { id: 'S1', title: 'Running Short', brand: 'Nike', category: ['Men', 'Bottoms', 'Shorts'] },
];

const T0 = Date.UTC(2026, 4, 1);
const session: FeedbackEvent[] = [
  { type: 'impression', query: 'hoodie', productId: 'H1', position: 1, userId: 'u1', at: T0 },
  { type: 'impression', query: 'hoodie', productId: 'H2', position: 2, userId: 'u1', at: T0 },
  { type: 'click', query: 'Hoodie ', productId: 'H2', position: 2, userId: 'u1', at: T0 + 1000 },
  { type: 'add_to_cart', query: 'hoodie', productId: 'H2', position: 2, userId: 'u1', at: T0 + 2000 },
  { type: 'purchase', query: 'hoodie', productId: 'H2', userId: 'u1', at: T0 + 3000 },
];

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSoukError(error), String(error));
    assert.equal(error.code, code, error.message);
    return error.details;
  }
  assert.fail(`expected ${code}`);
}

let work: string;
before(async () => {
  work = await makeTempDir('souk-engine-feedback-');
});
after(() => removeTempDir(work));

describe('engine.feedback', () => {
  it('validates all or nothing, updates feedbackStats and tells listeners in log order', async () => {
    const engine = await createEngine(KEYWORD_ONLY);
    try {
      await engine.upsert(PRODUCTS);
      const { feedbackStats, onFeedback } = internals(engine);
      const heard: LoggedFeedback[][] = [];
      const stop = onFeedback.call(engine, (events) => heard.push([...events]));

      const details = await rejectsWith(
        engine.feedback([
          session[0]!,
          { ...session[1]!, position: 0 },
          { ...session[2]!, type: 'like' as never },
        ]),
        'INVALID_FIELD',
      );
      assert.equal(details.field, 'events[1].position');
      assert.deepEqual(
        (details.errors as Array<{ field: string }>).map((e) => e.field),
        ['events[1].position', 'events[2].type'],
      );
      assert.equal((await engine.stats()).feedback, 0, 'nothing was written');
      assert.equal(feedbackStats.events, 0);
      await rejectsWith(engine.feedback({ type: 'click', query: 'q' } as FeedbackEvent), 'MISSING_FIELD');

      assert.deepEqual(await engine.feedback(session), { seq: 5, count: 5 });
      assert.deepEqual(
        await engine.feedback({ type: 'click', query: 'short', productId: 'S1', userId: 'u1', at: T0 }),
        {
          seq: 6,
          count: 1,
        },
      );
      assert.equal((await engine.stats()).feedback, 6);
      assert.deepEqual(
        heard.map((batch) => batch.map((e) => e.seq)),
        [[1, 2, 3, 4, 5], [6]],
      );
      assert.deepEqual(heard[0]![2], { seq: 3, ...session[2]!, query: 'Hoodie ' });
      stop();
      await engine.feedback([{ type: 'impression', query: '', productId: 'S1' }]);
      assert.equal(heard.length, 2, 'unsubscribed');

      assert.equal(feedbackStats.events, 7);
      assert.equal(feedbackStats.lastSeq, 7);
      const h2 = feedbackStats.queryProductStats('HOODIE').get('H2')!;
      assert.deepEqual(h2, {
        impressions: 1,
        exposure: 0.5,
        clicks: 1,
        debiasedClicks: 2,
        carts: 1,
        purchases: 1,
      });
      // u1: click H2 (1) + cart H2 (3) + purchase H2 (10) + click S1 (1) = 15, smoothed by 5.
      assert.ok(Math.abs(feedbackStats.brandAffinity('u1', 'Nike') - 15 / 20) < 1e-12);
      assert.ok(
        feedbackStats.affinity('u1', ['Men', 'Tops'], 'Nike') >
          feedbackStats.affinity('u1', ['Men', 'Tops'], 'Luma'),
      );
      assert.ok(feedbackStats.popularity('H2') > feedbackStats.popularity('H1'));
    } finally {
      await engine.close();
    }
    await assert.rejects(engine.feedback(session), /closed/);
  });

  it('keeps feedback across close and reopen and rebuilds the same stats from the log', async () => {
    const dataDir = join(work, 'persist');
    let engine = await createEngine({ dataDir, ...KEYWORD_ONLY });
    let before: ReturnType<FeedbackStats['summary']>;
    let affinity: number;
    try {
      await engine.upsert(PRODUCTS);
      await engine.feedback(session);
      // Written concurrently without awaiting each: applied in call order.
      const writes = [1, 2, 3].map((i) =>
        engine.feedback({
          type: 'click',
          query: 'short',
          productId: 'S1',
          position: i,
          userId: 'u2',
          at: T0 + i,
        }),
      );
      assert.deepEqual(
        (await Promise.all(writes)).map((w) => w.seq),
        [6, 7, 8],
      );
      const stats = internals(engine).feedbackStats;
      before = stats.summary();
      affinity = stats.affinity('u1', ['Men', 'Tops', 'Hoodies'], 'Nike');
      assert.ok(affinity > 0);
    } finally {
      await engine.close();
    }
    engine = await createEngine({ dataDir, ...KEYWORD_ONLY });
    try {
      const stats = internals(engine).feedbackStats;
      assert.deepEqual(stats.summary(), before);
      assert.equal(stats.lastSeq, 8);
      assert.equal(stats.affinity('u1', ['Men', 'Tops', 'Hoodies'], 'Nike'), affinity);
      assert.ok(Math.abs(stats.product('S1')!.debiasedClicks - (1 + 2 + 3)) < 1e-12);
      assert.equal((await engine.stats()).feedback, 8);

      // Another process appends to the same log: applied before this engine's next events.
      const other = await openSqliteStore(dataDir);
      await other.appendFeedback([{ type: 'purchase', query: 'x', productId: 'H1', userId: 'u3', at: T0 }]);
      await other.close();
      const heard: number[] = [];
      internals(engine).onFeedback((events) => heard.push(...events.map((e) => e.seq)));
      assert.deepEqual(await engine.feedback({ type: 'click', query: 'x', productId: 'H1', at: T0 }), {
        seq: 10,
        count: 1,
      });
      assert.deepEqual(heard, [9, 10]);
      assert.equal(stats.product('H1')!.purchases, 1);
      assert.ok(stats.hasUser('u3'));
    } finally {
      await engine.close();
    }
  });

  it('imports a feedback file: bad lines reported with line and field, or nothing under strict', async () => {
    const file = join(work, 'events.jsonl');
    await writeFile(
      file,
      [
        JSON.stringify(session[0]),
        JSON.stringify({ ...session[1], position: -2 }),
        '{"type":',
        JSON.stringify(session[2]),
      ].join('\n') + '\n',
    );
    const engine = await createEngine(KEYWORD_ONLY);
    try {
      const details = await rejectsWith(engine.importFeedback(file, { strict: true }), 'STRICT_LOAD_FAILED');
      assert.equal(details.rejected, 2);
      assert.equal((await engine.stats()).feedback, 0);
      const progress: number[] = [];
      const report = await engine.importFeedback(file, { onProgress: (p) => progress.push(p.linesRead) });
      assert.equal(report.loaded, 2);
      assert.equal(report.rejected, 2);
      assert.equal(report.seq, 2);
      assert.deepEqual(
        report.errors.map((e) => [e.line, e.field, e.code]),
        [
          [2, 'position', 'INVALID_FIELD'],
          [3, undefined, 'INVALID_JSON'],
        ],
      );
      assert.equal(progress.at(-1), 4);
      assert.equal(internals(engine).feedbackStats.events, 2);
    } finally {
      await engine.close();
    }
  });
});
