import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WriteTracker } from './write-tracker.ts';

describe('WriteTracker', () => {
  it('reports page products of pending writes and of writes settled since the search began', () => {
    const tracker = new WriteTracker();
    const first = tracker.issue(['a', 'b']);
    tracker.settle(first, ['a', 'b']);
    const since = tracker.settledThrough();
    assert.equal(tracker.touched(['a', 'c'], since), false, 'settled before the search: consistent');
    const second = tracker.issue(['c']);
    assert.equal(tracker.touched(['a', 'c'], since), true, 'c is being written');
    assert.equal(tracker.touched(['a', 'b'], since), false);
    tracker.settle(second, ['c']);
    assert.equal(tracker.touched(['c'], since), true, 'c changed after the search began');
    assert.equal(tracker.touched(['c'], tracker.settledThrough()), false);
    assert.equal(tracker.touched([], since), false);
  });

  it('keeps the latest pending write of an id written twice', () => {
    const tracker = new WriteTracker();
    const one = tracker.issue(['x']);
    const two = tracker.issue(['x']);
    tracker.settle(one, ['x']);
    const since = tracker.settledThrough();
    assert.equal(tracker.touched(['x'], since), true, 'the second write is still pending');
    tracker.settle(two, ['x']);
    assert.equal(tracker.touched(['x'], tracker.settledThrough()), false);
  });

  it('assumes the worst when more writes settled than it remembers', () => {
    const tracker = new WriteTracker(4);
    const since = tracker.settledThrough();
    for (let i = 0; i < 10; i++) tracker.settle(tracker.issue([`p${i}`]), [`p${i}`]);
    assert.equal(tracker.touched(['unrelated'], since), true);
    assert.equal(tracker.touched(['unrelated'], tracker.settledThrough() - 2), false);
  });
});
