import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { WorkerPool } from './worker-pool.ts';

/**
 * A real worker thread speaking the pool protocol over numbers: each item's vector is [item, items in
 * the model call], so a test reads back which call answered it. Item -1 makes the call slow (the worker
 * stays busy while others queue); item 99 makes it fail.
 */
const WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, items }) => {
  const answer = () => {
    if (items.includes(99)) {
      parentPort.postMessage({ id, ok: false, error: { code: 'EMBEDDING_FAILED', message: 'item 99' } });
      return;
    }
    const vectors = new Float32Array(items.length * 2);
    items.forEach((item, i) => { vectors[2 * i] = item; vectors[2 * i + 1] = items.length; });
    parentPort.postMessage({ id, ok: true, vectors, dims: 2 });
  };
  if (items.includes(-1)) setTimeout(answer, 150);
  else answer();
});
parentPort.postMessage({ ready: true, dims: 2 });
`;

const rows = (vectors: Float32Array[]): number[][] => vectors.map((vector) => Array.from(vector));

async function withPool(mergeItems: number, body: (pool: WorkerPool) => Promise<void>): Promise<void> {
  const pool = await WorkerPool.start(1, 1024, () => new Worker(WORKER, { eval: true }), { mergeItems });
  try {
    await body(pool);
  } finally {
    await pool.close();
  }
}

describe('WorkerPool', () => {
  it('answers jobs that queued behind a busy worker in one model call, each with its own vectors', async () => {
    await withPool(4, async (pool) => {
      const slow = pool.run([-1]);
      const queued = [pool.run([1]), pool.run([2]), pool.run([3, 4]), pool.run([5]), pool.run([6])];
      assert.deepEqual(rows(await slow), [[-1, 1]]);
      const [one, two, threeFour, five, six] = (await Promise.all(queued)).map(rows);
      // [1], [2] and [3, 4] fill the first merged call (4 items); [5] would make it 5, so it starts the next.
      assert.deepEqual(one, [[1, 4]]);
      assert.deepEqual(two, [[2, 4]]);
      assert.deepEqual(threeFour, [
        [3, 4],
        [4, 4],
      ]);
      assert.deepEqual(five, [[5, 2]]);
      assert.deepEqual(six, [[6, 2]]);
    });
  });

  it('never splits a job, and a job larger than the merge limit runs alone', async () => {
    await withPool(4, async (pool) => {
      const slow = pool.run([-1]);
      const big = pool.run([1, 2, 3, 4, 5, 6]);
      const after = pool.run([7]);
      await slow;
      assert.deepEqual(
        rows(await big).map(([, calls]) => calls),
        [6, 6, 6, 6, 6, 6],
      );
      assert.deepEqual(rows(await after), [[7, 1]]);
    });
  });

  it('rejects every job of a failed merged call and keeps serving the next ones', async () => {
    await withPool(8, async (pool) => {
      const slow = pool.run([-1]);
      const good = pool.run([1]);
      const bad = pool.run([99]);
      await slow;
      await assert.rejects(good, { code: 'EMBEDDING_FAILED', message: 'item 99' });
      await assert.rejects(bad, { code: 'EMBEDDING_FAILED' });
      assert.deepEqual(rows(await pool.run([2])), [[2, 1]]);
    });
  });

  it('with a merge limit of 1 runs every job as its own call', async () => {
    await withPool(1, async (pool) => {
      const slow = pool.run([-1]);
      const queued = [pool.run([1]), pool.run([2])];
      await slow;
      assert.deepEqual((await Promise.all(queued)).map(rows), [[[1, 1]], [[2, 1]]]);
    });
  });
});
