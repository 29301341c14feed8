import type { Worker } from 'node:worker_threads';
import { SoukError, type SoukErrorCode } from '../errors.ts';

/** What a pool worker answers: one flat array of `count × dims` floats per job, or an error. */
export type PoolReply =
  | { id: number; ok: true; vectors: Float32Array; dims: number }
  | { id: number; ok: false; error: { code: string; message: string } };

/** A pool worker's first message: ready with its vector length, or why it could not start. */
export type PoolHello =
  { ready: true; dims: number } | { ready: false; error: { code: string; message: string } };

interface Job {
  id: number;
  items: readonly unknown[];
  /** A search waits on it: served before bulk jobs, and mergeable with other such jobs. */
  query: boolean;
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: unknown) => void;
}

/** The jobs one model call answers, in order (their items concatenated). */
interface Call {
  id: number;
  jobs: Job[];
}

interface Slot {
  worker: Worker;
  busy: Call | undefined;
}

/** Most items of queued jobs merged into one model call (see `WorkerPool`). */
const DEFAULT_MERGE_ITEMS = 4;

/**
 * Runs model calls on worker threads for models that compute on the calling thread (tfjs/wasm), so the
 * event loop keeps answering while products are embedded. Jobs go to idle workers in queue order; the queue
 * is bounded in items: a bulk `run` waits while `capacity` items are already waiting, so a fast producer (a
 * bulk ingest) slows down instead of queueing without limit.
 *
 * Query jobs (a search waits on them) go ahead of bulk ones, and those that queued while every worker was
 * busy go to the next free worker as one model call, up to `mergeItems` items (a job is never split):
 * concurrent searches each embed one query, and USE-Lite embeds four queries in about two and a half times
 * the time of one, so under load merging doubles how many it answers. Larger calls measured slower end to
 * end (each request waits for a longer call). A model call's vectors do not depend on what else it holds
 * (measured identical for USE-Lite).
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private queuedItems = 0;
  private readonly spaceWaiters: Array<() => void> = [];
  private nextId = 1;
  private closed = false;
  private failure: unknown;
  /** Vector length the workers reported. */
  dims = 0;

  private constructor(
    private readonly capacity: number,
    private readonly mergeItems: number,
  ) {}

  /** Starts `size` workers and waits until every one has loaded its model. */
  static async start(
    size: number,
    capacity: number,
    spawn: () => Worker,
    options: { mergeItems?: number } = {},
  ): Promise<WorkerPool> {
    const pool = new WorkerPool(
      Math.max(1, capacity),
      Math.max(1, options.mergeItems ?? DEFAULT_MERGE_ITEMS),
    );
    const ready = Array.from({ length: Math.max(1, size) }, () => pool.add(spawn()));
    try {
      await Promise.all(ready);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Items waiting for a worker (the embedding queue depth). */
  get depth(): number {
    return this.queuedItems;
  }

  private add(worker: Worker): Promise<void> {
    const slot: Slot = { worker, busy: undefined };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      worker.once('message', (hello: PoolHello) => {
        if (!hello.ready) {
          reject(new SoukError(hello.error.code as SoukErrorCode, hello.error.message));
          return;
        }
        this.dims = hello.dims;
        worker.on('message', (reply: PoolReply) => this.settle(slot, reply));
        resolve();
      });
      worker.on('error', (error) => {
        reject(error);
        this.fail(error);
      });
      worker.on('exit', (code) => {
        if (!this.closed)
          this.fail(new SoukError('EMBEDDING_FAILED', `embedding worker exited with code ${code}`));
      });
    });
  }

  /**
   * Runs one job. `query: true` marks a job a search is waiting for: it goes ahead of every queued bulk job
   * (after the queries already waiting), does not wait for queue space (a search brings a handful of
   * items), and may share a model call with other query jobs. Bulk jobs are never merged, so one bad input
   * (an image that does not decode) fails only its own job.
   */
  async run(items: readonly unknown[], options: { query?: boolean } = {}): Promise<Float32Array[]> {
    if (items.length === 0) return [];
    const query = options.query === true;
    while (
      !query &&
      !this.closed &&
      this.queuedItems > 0 &&
      this.queuedItems + items.length > this.capacity
    ) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.failure) throw this.failure;
    if (this.closed) throw new SoukError('ENGINE_CLOSED', 'the embedder is closed');
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, items, query, resolve, reject };
      if (query) {
        const firstBulk = this.queue.findIndex((queued) => !queued.query);
        this.queue.splice(firstBulk < 0 ? this.queue.length : firstBulk, 0, job);
      } else {
        this.queue.push(job);
      }
      this.queuedItems += items.length;
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const jobs = [this.queue.shift()!];
      let count = jobs[0]!.items.length;
      while (
        jobs[0]!.query &&
        this.queue[0]?.query === true &&
        count + this.queue[0].items.length <= this.mergeItems
      ) {
        const next = this.queue.shift()!;
        jobs.push(next);
        count += next.items.length;
      }
      this.queuedItems -= count;
      const call: Call = { id: jobs[0]!.id, jobs };
      slot.busy = call;
      const items = jobs.length === 1 ? jobs[0]!.items : jobs.flatMap((job) => job.items);
      slot.worker.postMessage({ id: call.id, items });
      this.spaceWaiters.splice(0).forEach((wake) => wake());
    }
  }

  private settle(slot: Slot, reply: PoolReply): void {
    const call = slot.busy;
    if (!call || call.id !== reply.id) return;
    slot.busy = undefined;
    if (reply.ok) {
      let at = 0;
      for (const job of call.jobs) {
        const out: Float32Array[] = [];
        for (let i = 0; i < job.items.length; i++, at++)
          out.push(reply.vectors.slice(at * reply.dims, (at + 1) * reply.dims));
        job.resolve(out);
      }
    } else {
      const error = new SoukError(reply.error.code as SoukErrorCode, reply.error.message);
      for (const job of call.jobs) job.reject(error);
    }
    this.dispatch();
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    for (const slot of this.slots) {
      for (const job of slot.busy?.jobs ?? []) job.reject(error);
      slot.busy = undefined;
    }
    for (const job of this.queue.splice(0)) job.reject(error);
    this.queuedItems = 0;
    this.spaceWaiters.splice(0).forEach((wake) => wake());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new SoukError('ENGINE_CLOSED', 'the embedder is closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
