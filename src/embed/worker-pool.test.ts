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

const query = { query: true };

describe('WorkerPool', () => {
  it('answers query jobs that queued behind a busy worker in one model call, each with its own vectors', async () => {
    await withPool(4, async (pool) => {
      const slow = pool.run([-1]);
      const queued = [
        pool.run([1], query),
        pool.run([2], query),
        pool.run([3, 4], query),
        pool.run([5], query),
        pool.run([6], query),
      ];
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
      const big = pool.run([1, 2, 3, 4, 5, 6], query);
      const after = pool.run([7], query);
      await slow;
      assert.deepEqual(
        rows(await big).map(([, calls]) => calls),
        [6, 6, 6, 6, 6, 6],
      );
      assert.deepEqual(rows(await after), [[7, 1]]);
    });
  });

  it('rejects every query job of a failed merged call and keeps serving the next ones', async () => {
    await withPool(8, async (pool) => {
      const slow = pool.run([-1]);
      const good = pool.run([1], query);
      const bad = pool.run([99], query);
      await slow;
      await assert.rejects(good, { code: 'EMBEDDING_FAILED', message: 'item 99' });
      await assert.rejects(bad, { code: 'EMBEDDING_FAILED' });
      assert.deepEqual(rows(await pool.run([2])), [[2, 1]]);
    });
  });

  it('with a merge limit of 1 runs every job as its own call', async () => {
    await withPool(1, async (pool) => {
      const slow = pool.run([-1]);
      const queued = [pool.run([1], query), pool.run([2], query)];
      await slow;
      assert.deepEqual((await Promise.all(queued)).map(rows), [[[1, 1]], [[2, 1]]]);
    });
  });

  it('serves query jobs before queued bulk jobs, and never merges bulk jobs', async () => {
    await withPool(8, async (pool) => {
      const order: string[] = [];
      const track = (name: string, job: Promise<Float32Array[]>): Promise<number[][]> =>
        job.then((vectors) => {
          order.push(name);
          return rows(vectors);
        });
      const slow = track('slow', pool.run([-1]));
      const bulk = [track('bulk 1', pool.run([1])), track('bulk 2', pool.run([2]))];
      const searches = [track('query 3', pool.run([3], query)), track('query 4', pool.run([4], query))];
      const [one, two] = await Promise.all(bulk);
      const [three, four] = await Promise.all(searches);
      await slow;
      assert.deepEqual(order, ['slow', 'query 3', 'query 4', 'bulk 1', 'bulk 2']);
      // The two queries shared a call; each bulk job had its own.
      assert.deepEqual([three, four], [[[3, 2]], [[4, 2]]]);
      assert.deepEqual([one, two], [[[1, 1]], [[2, 1]]]);
    });
  });

  it('a failed bulk job fails alone', async () => {
    await withPool(8, async (pool) => {
      const slow = pool.run([-1]);
      const bad = pool.run([99]);
      const good = pool.run([1]);
      await slow;
      await assert.rejects(bad, { code: 'EMBEDDING_FAILED' });
      assert.deepEqual(rows(await good), [[1, 1]]);
    });
  });
});
