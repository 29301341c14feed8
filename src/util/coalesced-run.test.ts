import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoalescedRun } from './coalesced-run.ts';

describe('CoalescedRun', () => {
  it('runs behind the chain, folds requests made while one waits, and carries on after a failure', async () => {
    const run = new CoalescedRun();
    const order: string[] = [];
    let release!: () => void;
    let chain: Promise<unknown> = new Promise<void>((resolve) => (release = resolve)).then(() =>
      order.push('write'),
    );
    let runs = 0;
    const job = async (): Promise<void> => {
      runs++;
      order.push(`run ${runs}`);
      if (runs === 2) throw new Error('store down');
    };
    const errors: string[] = [];
    const onError = (error: unknown): void => {
      errors.push((error as Error).message);
    };
    chain = run.schedule(chain, job, onError);
    const folded = run.schedule(chain, job, onError);
    assert.equal(folded, chain, 'a request while one waits returns the chain unchanged');
    release();
    await chain;
    assert.deepEqual(order, ['write', 'run 1']);
    // Waiting is over once a run has started: the next request queues a new run, which fails …
    chain = run.schedule(chain, job, onError);
    await chain;
    assert.deepEqual(errors, ['store down']);
    // … and the one after it still runs.
    chain = run.schedule(chain, job, onError);
    await chain;
    assert.deepEqual(order, ['write', 'run 1', 'run 2', 'run 3']);
  });
});
