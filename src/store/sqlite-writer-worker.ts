/**
 * Worker thread that owns the write side of a SQLite store (see threaded-sqlite-store.ts). Messages are
 * handled one at a time in arrival order, so writes commit in the order the engine issued them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toSoukError } from '../errors.ts';
import type { FeedbackRecord, Product } from '../types.ts';
import { openSqliteStore } from './sqlite-store.ts';

export type WriterRequest =
  | { id: number; op: 'upsert'; products: Product[] }
  | { id: number; op: 'patch'; patches: Array<{ id: string; patch: Record<string, unknown> }> }
  | { id: number; op: 'delete'; ids: string[] }
  | { id: number; op: 'appendFeedback'; events: readonly FeedbackRecord[] }
  | { id: number; op: 'close' };

export type WriterReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code: string; message: string; details: Record<string, unknown> } };

const port = parentPort!;
const store = await openSqliteStore((workerData as { dataDir: string }).dataDir);
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: WriterRequest) => {
  queue = queue.then(async () => {
    let reply: WriterReply;
    try {
      let value: unknown;
      if (request.op === 'upsert') {
        const outcome = await store.upsert(request.products);
        // Ids only: the engine already holds the products, and cloning them back would cost the main thread.
        value = {
          seq: outcome.seq,
          changedIds: outcome.changed.map((p) => p.id),
          unchanged: outcome.unchanged,
        };
      } else if (request.op === 'patch') {
        value = await store.patch(request.patches);
      } else if (request.op === 'delete') {
        value = await store.delete(request.ids);
      } else if (request.op === 'appendFeedback') {
        value = await store.appendFeedback(request.events);
      } else {
        await store.close();
        value = null;
      }
      reply = { id: request.id, ok: true, value };
    } catch (error) {
      const soukError = toSoukError(error);
      reply = { id: request.id, ok: false, error: soukError.toJSON() };
    }
    port.postMessage(reply);
  });
});
port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies WriterReply);
