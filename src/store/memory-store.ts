/**
 * The in-memory Store, for engines with `dataDir: null` and for tests. It mirrors the SQLite store's
 * behaviour exactly (same canonical bodies and hashes, unchanged-skipping, change log, errors, atomic
 * batches, ENGINE_CLOSED after close) and is checked by the same contract suite; it is simply not durable.
 * Products are kept as JSON text, as in SQLite, so callers can never mutate stored state through a
 * returned object.
 */
import type { FeedbackRecord, LoggedFeedback, Product } from '../types.ts';
import { checkSnapshotName, checkSnapshotSeq } from './snapshot-file.ts';
import {
  META_PRUNED_THROUGH,
  META_SCHEMA_VERSION,
  STORE_SCHEMA_VERSION,
  applyStoredPatch,
  changesPruned,
  checkBatchSize,
  checkLimit,
  checkMetaKey,
  checkMetaValue,
  checkSeq,
  loggedFeedback,
  prepareFeedback,
  prepareProducts,
  productNotFound,
  storeClosed,
} from './store-common.ts';
import type { Change, ChangeOp, DeleteOutcome, PatchOutcome, Store, UpsertOutcome } from './store.ts';
import { SoukError } from '../errors.ts';

interface StoredProduct {
  body: string;
  hash: string;
  seq: number;
}

interface LoggedChange {
  seq: number;
  op: ChangeOp;
  id: string;
  body: string | null;
}

export class MemoryStore implements Store {
  readonly kind = 'memory';
  private closed = false;
  /** Map insertion order plays the part of SQLite's rowid order for scan(). */
  private readonly products = new Map<string, StoredProduct>();
  private changes: LoggedChange[] = [];
  private seq = 0;
  private readonly meta = new Map<string, string>([[META_SCHEMA_VERSION, String(STORE_SCHEMA_VERSION)]]);
  private readonly snapshots = new Map<string, { seq: number; data: Uint8Array }>();
  private readonly embeddings = new Map<string, Map<string, Float32Array>>();
  private readonly imageTexts = new Map<string, string>();
  /** The feedback log; entry i has seq i + 1 (nothing is ever removed from it). */
  private readonly feedback: FeedbackRecord[] = [];

  private live(): void {
    if (this.closed) throw storeClosed();
  }

  private log(op: ChangeOp, id: string, body: string | null): number {
    this.seq++;
    this.changes.push({ seq: this.seq, op, id, body });
    return this.seq;
  }

  async upsert(products: Product[]): Promise<UpsertOutcome> {
    this.live();
    const rows = prepareProducts(products);
    const changed: Product[] = [];
    let unchanged = 0;
    for (const row of rows) {
      if (this.products.get(row.id)?.hash === row.hash) {
        unchanged++;
        continue;
      }
      const seq = this.log('upsert', row.id, row.body);
      this.products.set(row.id, { body: row.body, hash: row.hash, seq });
      changed.push(row.product);
    }
    return { seq: this.seq, changed, unchanged };
  }

  async patch(patches: Array<{ id: string; patch: Record<string, unknown> }>): Promise<PatchOutcome> {
    this.live();
    // All-or-nothing like the SQLite transaction: work on an overlay, commit only when every patch applied.
    const staged = new Map<string, StoredProduct>();
    const writes: Array<{ id: string; body: string; hash: string }> = [];
    const products: Product[] = [];
    for (const { id, patch } of patches) {
      const stored = staged.get(id) ?? this.products.get(id);
      if (!stored) throw productNotFound(id);
      const next = applyStoredPatch(id, JSON.parse(stored.body) as Product, patch);
      products.push(next.product);
      if (next.hash === stored.hash) continue;
      staged.set(id, { body: next.body, hash: next.hash, seq: 0 });
      writes.push({ id, body: next.body, hash: next.hash });
    }
    for (const write of writes) {
      const seq = this.log('patch', write.id, write.body);
      this.products.set(write.id, { body: write.body, hash: write.hash, seq });
    }
    return { seq: this.seq, products };
  }

  async delete(ids: string[]): Promise<DeleteOutcome> {
    this.live();
    const deleted: string[] = [];
    for (const id of ids) {
      if (!this.products.delete(id)) continue;
      this.log('delete', id, null);
      deleted.push(id);
    }
    return { seq: this.seq, deleted };
  }

  async get(id: string): Promise<Product | undefined> {
    this.live();
    const stored = this.products.get(id);
    return stored ? (JSON.parse(stored.body) as Product) : undefined;
  }

  async getMany(ids: string[]): Promise<Array<Product | undefined>> {
    this.live();
    return ids.map((id) => {
      const stored = this.products.get(id);
      return stored ? (JSON.parse(stored.body) as Product) : undefined;
    });
  }

  async count(): Promise<number> {
    this.live();
    return this.products.size;
  }

  async *scan(batchSize = 5000): AsyncGenerator<Product[]> {
    checkBatchSize(batchSize);
    this.live();
    let batch: Product[] = [];
    // A live Map iterator, like the SQLite keyset scan: entries added during the scan are seen, deleted
    // ones are not.
    for (const stored of this.products.values()) {
      batch.push(JSON.parse(stored.body) as Product);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
        this.live();
      }
    }
    if (batch.length > 0) yield batch;
  }

  async changesSince(seq: number, limit?: number): Promise<Change[]> {
    checkSeq(seq, 'changesSince seq');
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new SoukError(
        'INVALID_REQUEST',
        `changesSince limit must be a non-negative integer, got ${limit}`,
      );
    }
    this.live();
    const prunedThrough = Number(this.meta.get(META_PRUNED_THROUGH) ?? 0);
    if (seq < prunedThrough) throw changesPruned(seq, prunedThrough);
    // Seqs are ascending: binary search for the first entry after `seq`.
    let low = 0;
    let high = this.changes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.changes[middle] as LoggedChange).seq <= seq) low = middle + 1;
      else high = middle;
    }
    const end = limit === undefined ? this.changes.length : Math.min(this.changes.length, low + limit);
    const out: Change[] = [];
    for (let i = low; i < end; i++) {
      const logged = this.changes[i] as LoggedChange;
      const change: Change = { seq: logged.seq, op: logged.op, id: logged.id };
      if (logged.body !== null) change.product = JSON.parse(logged.body) as Product;
      out.push(change);
    }
    return out;
  }

  async pruneChanges(throughSeq: number): Promise<number> {
    checkSeq(throughSeq, 'pruneChanges seq');
    this.live();
    const before = this.changes.length;
    this.changes = this.changes.filter((change) => change.seq > throughSeq);
    if (throughSeq > Number(this.meta.get(META_PRUNED_THROUGH) ?? 0)) {
      this.meta.set(META_PRUNED_THROUGH, String(throughSeq));
    }
    return before - this.changes.length;
  }

  async lastSeq(): Promise<number> {
    this.live();
    return this.seq;
  }

  async getMeta(key: string): Promise<string | undefined> {
    checkMetaKey(key, false);
    this.live();
    return this.meta.get(key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    checkMetaKey(key, true);
    checkMetaValue(value);
    this.live();
    this.meta.set(key, value);
  }

  async writeSnapshot(name: string, seq: number, data: Uint8Array): Promise<void> {
    this.live();
    checkSnapshotName(name);
    checkSnapshotSeq(seq);
    // new Uint8Array(view) copies; `.slice()` would not copy a Buffer.
    this.snapshots.set(name, { seq, data: new Uint8Array(data) });
  }

  async readSnapshot(name: string): Promise<{ seq: number; data: Uint8Array } | undefined> {
    this.live();
    checkSnapshotName(name);
    const snapshot = this.snapshots.get(name);
    return snapshot ? { seq: snapshot.seq, data: new Uint8Array(snapshot.data) } : undefined;
  }

  async getEmbeddings(embedder: string, hashes: readonly string[]): Promise<Array<Float32Array | undefined>> {
    this.live();
    const cache = this.embeddings.get(embedder);
    return hashes.map((hash) => {
      const vector = cache?.get(hash);
      return vector && new Float32Array(vector);
    });
  }

  async putEmbeddings(
    embedder: string,
    entries: ReadonlyArray<{ hash: string; vector: Float32Array }>,
  ): Promise<void> {
    this.live();
    let cache = this.embeddings.get(embedder);
    if (!cache) this.embeddings.set(embedder, (cache = new Map()));
    for (const { hash, vector } of entries) cache.set(hash, new Float32Array(vector));
  }

  async getImageTexts(reader: string, hashes: readonly string[]): Promise<Array<string | undefined>> {
    this.live();
    return hashes.map((hash) => this.imageTexts.get(`${reader}\u0000${hash}`));
  }

  async putImageTexts(reader: string, entries: ReadonlyArray<{ hash: string; text: string }>): Promise<void> {
    this.live();
    for (const { hash, text } of entries) this.imageTexts.set(`${reader}\u0000${hash}`, text);
  }

  async appendFeedback(events: readonly FeedbackRecord[]): Promise<{ seq: number; count: number }> {
    this.live();
    const records = prepareFeedback(events);
    for (const record of records) this.feedback.push(record);
    return { seq: this.feedback.length, count: records.length };
  }

  async feedbackSince(seq: number, limit?: number): Promise<LoggedFeedback[]> {
    checkSeq(seq, 'feedbackSince seq');
    checkLimit(limit, 'feedbackSince');
    this.live();
    const end = limit === undefined ? this.feedback.length : Math.min(this.feedback.length, seq + limit);
    const out: LoggedFeedback[] = [];
    for (let i = seq; i < end; i++) {
      const e = this.feedback[i] as FeedbackRecord;
      out.push(loggedFeedback(i + 1, e.type, e.query, e.productId, e.position, e.userId, e.sessionId, e.at));
    }
    return out;
  }

  async feedbackCount(): Promise<number> {
    this.live();
    return this.feedback.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}
