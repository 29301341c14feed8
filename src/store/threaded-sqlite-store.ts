import type { Worker } from 'node:worker_threads';
import { SoukError, type SoukErrorCode } from '../errors.ts';
import type { FeedbackRecord, Product } from '../types.ts';
import { startWorker } from '../util/start-worker.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';
import type { DeleteOutcome, PatchOutcome, Store, UpsertOutcome } from './store.ts';
import type { WriterReply, WriterRequest } from './sqlite-writer-worker.ts';

type Request = WriterRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * A SQLite store whose writes run on a worker thread while reads stay on the caller's thread (WAL lets
 * both connections work at once). Bulk ingest then overlaps: the worker hashes and commits batch N while
 * the engine parses and indexes batch N+1. Writes still commit one at a time, in call order, and a write's
 * promise resolves only after its transaction committed.
 */
export class ThreadedSqliteStore implements Store {
  readonly kind = 'sqlite';
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  private workerError: unknown;
  private closed = false;

  private constructor(
    private readonly reader: SqliteStore,
    private readonly worker: Worker,
  ) {
    worker.on('message', (reply: WriterReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.value);
      else {
        const { code, message, details } = reply.error;
        waiting.reject(new SoukError(code as SoukErrorCode, message, details));
      }
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => {
      if (this.pending.size > 0) this.failAll(new Error(`store writer thread exited with code ${code}`));
    });
  }

  static async open(dataDir: string): Promise<ThreadedSqliteStore> {
    // Opening on this thread first creates the schema and reports permission problems with a clear error.
    const reader = await openSqliteStore(dataDir);
    const worker = startWorker(import.meta.url, 'sqlite-writer-worker', { dataDir: reader.dataDir });
    const store = new ThreadedSqliteStore(reader, worker);
    await new Promise<void>((resolve, reject) => {
      store.pending.set(0, { resolve: () => resolve(), reject });
      worker.once('error', reject);
    });
    return store;
  }

  private failAll(error: unknown): void {
    this.workerError = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  private call<T>(request: Request): Promise<T> {
    if (this.closed) return Promise.reject(new SoukError('ENGINE_CLOSED', 'the store is closed'));
    if (this.workerError) return Promise.reject(this.workerError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  async upsert(products: Product[]): Promise<UpsertOutcome> {
    const outcome = await this.call<{ seq: number; changedIds: string[]; unchanged: number }>({
      op: 'upsert',
      products,
    });
    // Map ids back to the caller's objects; within a batch the last product with an id is the one stored.
    const byId = new Map<string, Product>();
    for (const product of products) byId.set(product.id, product);
    return {
      seq: outcome.seq,
      changed: outcome.changedIds.map((id) => byId.get(id)!),
      unchanged: outcome.unchanged,
    };
  }

  patch(patches: Array<{ id: string; patch: Record<string, unknown> }>): Promise<PatchOutcome> {
    return this.call({ op: 'patch', patches });
  }

  delete(ids: string[]): Promise<DeleteOutcome> {
    return this.call({ op: 'delete', ids });
  }

  /** On the writer thread too: the commit's fsync does not block the caller's event loop. */
  appendFeedback(events: readonly FeedbackRecord[]): Promise<{ seq: number; count: number }> {
    return this.call({ op: 'appendFeedback', events });
  }
  feedbackSince(seq: number, limit?: number) {
    return this.reader.feedbackSince(seq, limit);
  }
  feedbackCount() {
    return this.reader.feedbackCount();
  }

  get(id: string) {
    return this.reader.get(id);
  }
  getMany(ids: string[]) {
    return this.reader.getMany(ids);
  }
  count() {
    return this.reader.count();
  }
  scan(batchSize?: number) {
    return this.reader.scan(batchSize);
  }
  changesSince(seq: number, limit?: number) {
    return this.reader.changesSince(seq, limit);
  }
  pruneChanges(throughSeq: number) {
    return this.reader.pruneChanges(throughSeq);
  }
  lastSeq() {
    return this.reader.lastSeq();
  }
  getMeta(key: string) {
    return this.reader.getMeta(key);
  }
  setMeta(key: string, value: string) {
    return this.reader.setMeta(key, value);
  }
  getEmbeddings(embedder: string, hashes: readonly string[]) {
    return this.reader.getEmbeddings(embedder, hashes);
  }
  // Derived data: written on this thread's connection, outside the ordered product write path.
  putEmbeddings(embedder: string, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>) {
    return this.reader.putEmbeddings(embedder, entries);
  }
  getImageTexts(reader: string, hashes: readonly string[]) {
    return this.reader.getImageTexts(reader, hashes);
  }
  putImageTexts(reader: string, entries: ReadonlyArray<{ hash: string; text: string }>) {
    return this.reader.putImageTexts(reader, entries);
  }
  writeSnapshot(name: string, seq: number, data: Uint8Array) {
    return this.reader.writeSnapshot(name, seq, data);
  }
  readSnapshot(name: string) {
    return this.reader.readSnapshot(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.workerError) await this.call({ op: 'close' }).catch(() => undefined);
    this.closed = true;
    await this.worker.terminate();
    await this.reader.close();
  }
}
