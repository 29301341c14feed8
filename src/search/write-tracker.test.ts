import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WriteTracker } from './write-tracker.ts';

describe('WriteTracker', () => {
  it('reports page products of pending writes and of writes settled since the search began', async () => {
    const tracker = new WriteTracker();
    const first = tracker.issue(['a', 'b']);
    tracker.settle(first, ['a', 'b']);
    const since = tracker.settledThrough();
    assert.equal(tracker.touched(['a', 'c'], since), undefined, 'settled before the search: consistent');
    const second = tracker.issue(['c']);
    assert.equal(tracker.touched(['a', 'c'], since), second, 'c is being written');
    assert.equal(tracker.touched(['a', 'b'], since), undefined);
    let waited = false;
    const wait = tracker.settledAfter(second).then(() => (waited = true));
    await Promise.resolve();
    assert.equal(waited, false);
    tracker.settle(second, ['c']);
    await wait;
    assert.equal(waited, true, 'a search waiting for the write resumes when it settles');
    assert.equal(tracker.touched(['c'], since), second, 'c changed after the search began');
    assert.equal(tracker.touched(['c'], tracker.settledThrough()), undefined);
    assert.equal(tracker.touched([], since), undefined);
  });

  it('keeps the latest pending write of an id written twice', () => {
    const tracker = new WriteTracker();
    const one = tracker.issue(['x']);
    const two = tracker.issue(['x']);
    tracker.settle(one, ['x']);
    const since = tracker.settledThrough();
    assert.equal(tracker.touched(['x'], since), two, 'the second write is still pending');
    tracker.settle(two, ['x']);
    assert.equal(tracker.touched(['x'], tracker.settledThrough()), undefined);
  });

  it('assumes the worst when more writes settled than it remembers', () => {
    const tracker = new WriteTracker(4);
    const since = tracker.settledThrough();
    for (let i = 0; i < 10; i++) tracker.settle(tracker.issue([`p${i}`]), [`p${i}`]);
    assert.equal(tracker.touched(['unrelated'], since), 10);
    assert.equal(tracker.touched(['unrelated'], tracker.settledThrough() - 2), undefined);
  });
});
