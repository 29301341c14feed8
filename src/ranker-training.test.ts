import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { feedbackExamples, feedbackLabel, inHoldout } from './ranker-training.ts';

const stats = (
  fields: Partial<Parameters<typeof feedbackLabel>[0]>,
): Parameters<typeof feedbackLabel>[0] => ({
  impressions: 1,
  exposure: 1,
  clicks: 0,
  debiasedClicks: 0,
  carts: 0,
  purchases: 0,
  ...fields,
});

describe('feedback labels', () => {
  it('grade a click found far down higher than one at the top (position-bias correction)', () => {
    // One click at rank 1 (propensity 1) and one at rank 5 (propensity 1/5: debiased weight 5).
    assert.equal(feedbackLabel(stats({ clicks: 1, debiasedClicks: 1 })), 1);
    assert.ok(Math.abs(feedbackLabel(stats({ clicks: 1, debiasedClicks: 5 })) - Math.log2(6)) < 1e-12);
    assert.equal(feedbackLabel(stats({})), 0);
  });

  it('rank purchases above carts above clicks, capped at 4', () => {
    const click = feedbackLabel(stats({ clicks: 1, debiasedClicks: 1 }));
    const cart = feedbackLabel(stats({ clicks: 1, debiasedClicks: 1, carts: 1 }));
    const purchase = feedbackLabel(stats({ clicks: 1, debiasedClicks: 1, carts: 1, purchases: 1 }));
    assert.ok(click < cart && cart < purchase);
    assert.equal(feedbackLabel(stats({ purchases: 100 })), 4);
  });

  it('turn queries with a positive label into examples, skipping shown-but-ignored ones', () => {
    const source = {
      queries: () => ['hoodie', 'socks', ''],
      queryProductStats: (q: string) =>
        new Map(
          q === 'hoodie'
            ? [
                ['a', stats({ clicks: 1, debiasedClicks: 1 })],
                ['b', stats({})],
              ]
            : q === 'socks'
              ? [['c', stats({})]]
              : [['d', stats({ clicks: 1, debiasedClicks: 1 })]],
        ),
    };
    const examples = feedbackExamples(source);
    assert.deepEqual(
      examples.map((example) => [example.q, [...example.labels]]),
      [['hoodie', [['a', 1]]]],
    );
  });
});

describe('holdout split', () => {
  it('is stable and close to the asked share, also for ids that differ in one character', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `hdq${String(i).padStart(5, '0')}`);
    const held = ids.filter((id) => inHoldout(id, 0.2)).length;
    assert.ok(held > 900 && held < 1100, `${held} of 5000`);
    assert.deepEqual(
      ids.map((id) => inHoldout(id, 0.2)),
      ids.map((id) => inHoldout(id, 0.2)),
    );
    // A larger share holds out a superset.
    assert.ok(ids.every((id) => !inHoldout(id, 0.2) || inHoldout(id, 0.3)));
  });
});
