/**
 * The durable Store: one SQLite database, `<dataDir>/souk.db`, plus snapshot files beside it.
 *
 * Durability: WAL journal with `synchronous = FULL`, so every commit fsyncs the WAL before the write call
 * returns; an acknowledged write survives `kill -9` and a power cut. better-sqlite3 is synchronous, so
 * each method runs its whole transaction before its promise settles, and writes from one process are
 * naturally serialised.
 *
 * Products are stored as canonical JSON (canonicalProductJson) with its sha1, so re-ingesting an unchanged
 * catalogue writes nothing. Every change also goes to the `changes` log with the full resulting product;
 * `seq` (AUTOINCREMENT) is monotonic and never reused, even after pruneChanges or deletes.
 *
 * Errors: SQLITE_FULL / ENOSPC → DISK_FULL; SQLITE_READONLY*, EACCES, EROFS, EPERM → STORE_READ_ONLY
 * naming the data directory; everything else → STORE_ERROR.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SoukError } from '../errors.ts';
import type { FeedbackRecord, LoggedFeedback, Product } from '../types.ts';
import {
  readSnapshotFile,
  removeStaleSnapshotTemps,
  checkSnapshotName,
  checkSnapshotSeq,
  writeSnapshotFile,
} from './snapshot-file.ts';
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
  vectorFromBytes,
} from './store-common.ts';
import type { Change, ChangeOp, DeleteOutcome, PatchOutcome, Store, UpsertOutcome } from './store.ts';

export const DB_FILE_NAME = 'souk.db';

export interface SqliteStoreOptions {
  /** How long a write waits for another process holding the write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  hash TEXT NOT NULL,
  seq INTEGER NOT NULL
);
-- A rowid table: vectors are appended in insertion order and only the small key index takes the random
-- hash order (a WITHOUT ROWID table kept the 1 KB+ vectors in the key's b-tree, 3.6x slower to fill).
CREATE TABLE IF NOT EXISTS embeddings (
  embedder TEXT NOT NULL,
  hash TEXT NOT NULL,
  vector BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS embeddings_key ON embeddings (embedder, hash);
CREATE TABLE IF NOT EXISTS image_texts (
  reader TEXT NOT NULL,
  hash TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (reader, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  op TEXT NOT NULL CHECK (op IN ('upsert', 'patch', 'delete')),
  id TEXT NOT NULL,
  body TEXT,
  at INTEGER NOT NULL
);
-- The behaviour-feedback log (added after schema version 1 shipped: IF NOT EXISTS creates it in older data
-- directories at open, and older souk versions simply ignore it). Append-only; seq never reused.
CREATE TABLE IF NOT EXISTS feedback (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL CHECK (type IN ('impression', 'click', 'add_to_cart', 'purchase')),
  query TEXT NOT NULL,
  product_id TEXT NOT NULL,
  position INTEGER,
  user_id TEXT,
  session_id TEXT,
  at INTEGER NOT NULL
);
`;

const READ_ONLY_ERRNO = new Set(['EACCES', 'EROFS', 'EPERM']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps SQLite and file-system failures to SoukErrors that say what to do about them. */
export function toStoreError(error: unknown, dataDir: string, action: string): SoukError {
  if (error instanceof SoukError) return error;
  const code = errorCode(error) ?? '';
  const reason = errorMessage(error);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new SoukError(
      'DISK_FULL',
      `No space left on device while ${action} in data directory ${dataDir}: ${reason}`,
      { dataDir },
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_READONLY') || READ_ONLY_ERRNO.has(code)) {
    return new SoukError(
      'STORE_READ_ONLY',
      `Data directory ${dataDir} is not writable (${action}): ${reason}`,
      { dataDir },
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new SoukError(
      'STORE_ERROR',
      `The store in ${dataDir} is locked by another process (${action}): ${reason}`,
      { dataDir, sqliteCode: code },
      { cause: error },
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new SoukError(
      'STORE_ERROR',
      `The database in ${dataDir} is corrupt or not a souk database (${action}): ${reason}`,
      { dataDir, sqliteCode: code },
      { cause: error },
    );
  }
  return new SoukError(
    'STORE_ERROR',
    `Store error while ${action} in ${dataDir}: ${reason}`,
    code === '' ? { dataDir } : { dataDir, sqliteCode: code },
    { cause: error },
  );
}

/**
 * Checks write access before SQLite tries: SQLite reports a read-only directory late and vaguely
 * (SQLITE_CANTOPEN, or a silent read-only open that fails on the first write). access(2) also reports
 * EROFS for root on a read-only mount, where permission bits alone would not stop root.
 */
function assertWritable(dataDir: string, dbPath: string): void {
  for (const path of [dataDir, dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    if (path !== dataDir && !existsSync(path)) continue;
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      const code = errorCode(error);
      if (code !== undefined && READ_ONLY_ERRNO.has(code)) {
        throw new SoukError(
          'STORE_READ_ONLY',
          `Data directory ${dataDir} is not writable: ${path === dataDir ? 'the directory' : path} cannot be written (${code})`,
          { dataDir, path },
          { cause: error },
        );
      }
      throw toStoreError(error, dataDir, 'opening the store');
    }
  }
}

function createDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new SoukError(
        'STORE_ERROR',
        `Data directory ${dataDir} is not a directory`,
        { dataDir },
        { cause: error },
      );
    }
    if (code !== undefined && READ_ONLY_ERRNO.has(code)) {
      throw new SoukError(
        'STORE_READ_ONLY',
        `Data directory ${dataDir} cannot be created (${code}): ${errorMessage(error)}`,
        { dataDir },
        { cause: error },
      );
    }
    throw toStoreError(error, dataDir, 'creating the data directory');
  }
}

type Db = Database.Database;
type Row = Record<string, unknown>;

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly dataDir: string;
  readonly dbPath: string;
  private db: Db | undefined;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly transactions: {
    upsert: (
      rows: ReturnType<typeof prepareProducts>,
      at: number,
    ) => { changed: Product[]; unchanged: number; seq: number };
    patch: (
      patches: Array<{ id: string; patch: unknown }>,
      at: number,
    ) => { products: Product[]; seq: number };
    remove: (ids: readonly string[], at: number) => { deleted: string[]; seq: number };
    prune: (throughSeq: number) => number;
    putEmbeddings: (embedder: string, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>) => void;
    putImageTexts: (reader: string, entries: ReadonlyArray<{ hash: string; text: string }>) => void;
    appendFeedback: (events: readonly FeedbackRecord[]) => number;
  };

  /** Use openSqliteStore. */
  constructor(dataDir: string, db: Db) {
    this.dataDir = dataDir;
    this.dbPath = join(dataDir, DB_FILE_NAME);
    this.db = db;
    const s = prepareStatements(db);
    this.statements = s;

    const logChange = (op: ChangeOp, id: string, body: string | null, at: number): number =>
      Number(s.insertChange.run(op, id, body, at).lastInsertRowid);
    const currentSeq = (): number => (s.lastSeq.get() as number | undefined) ?? 0;

    // `.immediate` takes the write lock up front: a deferred transaction that reads first and then writes
    // can hit SQLITE_BUSY half way when another process writes in between.
    this.transactions = {
      upsert: db.transaction((rows: ReturnType<typeof prepareProducts>, at: number) => {
        // Seqs are assigned here rather than by AUTOINCREMENT so the product row can be written, or skipped
        // by the hash condition in SQL, before its log entry exists: one statement fewer per product than
        // select-then-write. Safe because this transaction holds the write lock, and explicit values still
        // advance sqlite_sequence, so seqs are never reused.
        const changed: Product[] = [];
        let unchanged = 0;
        let seq = currentSeq();
        for (const row of rows) {
          if (s.putProductIfChanged.run(row.id, row.body, row.hash, seq + 1).changes === 0) {
            unchanged++;
            continue;
          }
          seq++;
          s.insertChangeAt.run(seq, 'upsert', row.id, row.body, at);
          changed.push(row.product);
        }
        return { changed, unchanged, seq };
      }).immediate,
      patch: db.transaction((patches: Array<{ id: string; patch: unknown }>, at: number) => {
        const products: Product[] = [];
        let seq = 0;
        let written = 0;
        for (const { id, patch } of patches) {
          const stored = s.selectBodyHash.get(id) as { body: string; hash: string } | undefined;
          if (!stored) throw productNotFound(id);
          const next = applyStoredPatch(id, JSON.parse(stored.body) as Product, patch);
          products.push(next.product);
          if (next.hash === stored.hash) continue;
          seq = logChange('patch', id, next.body, at);
          s.putProduct.run(id, next.body, next.hash, seq);
          written++;
        }
        return { products, seq: written > 0 ? seq : currentSeq() };
      }).immediate,
      remove: db.transaction((ids: readonly string[], at: number) => {
        const deleted: string[] = [];
        let seq = 0;
        for (const id of ids) {
          if (s.deleteProduct.run(id).changes === 0) continue;
          seq = logChange('delete', id, null, at);
          deleted.push(id);
        }
        return { deleted, seq: deleted.length > 0 ? seq : currentSeq() };
      }).immediate,
      prune: db.transaction((throughSeq: number) => {
        const removed = s.pruneChanges.run(throughSeq).changes;
        const previous = Number((s.getMeta.get(META_PRUNED_THROUGH) as string | undefined) ?? 0);
        if (throughSeq > previous) s.setMeta.run(META_PRUNED_THROUGH, String(throughSeq));
        return removed;
      }).immediate,
      putEmbeddings: db.transaction(
        (embedder: string, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>) => {
          for (const { hash, vector } of entries) {
            s.putEmbedding.run(
              embedder,
              hash,
              Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
            );
          }
        },
      ).immediate,
      putImageTexts: db.transaction(
        (reader: string, entries: ReadonlyArray<{ hash: string; text: string }>) => {
          for (const { hash, text } of entries) s.putImageText.run(reader, hash, text);
        },
      ).immediate,
      appendFeedback: db.transaction((events: readonly FeedbackRecord[]) => {
        let seq = 0;
        for (const e of events) {
          seq = Number(
            s.insertFeedback.run(
              e.type,
              e.query,
              e.productId,
              e.position ?? null,
              e.userId ?? null,
              e.sessionId ?? null,
              e.at,
            ).lastInsertRowid,
          );
        }
        return seq;
      }).immediate,
    };
  }

  private live(): Db {
    if (!this.db) throw storeClosed();
    return this.db;
  }

  /** Runs one synchronous unit of work, mapping whatever it throws. */
  private run<T>(action: string, work: () => T): T {
    this.live();
    try {
      return work();
    } catch (error) {
      throw toStoreError(error, this.dataDir, action);
    }
  }

  async upsert(products: Product[]): Promise<UpsertOutcome> {
    this.live();
    const rows = prepareProducts(products);
    if (rows.length === 0) return { seq: await this.lastSeq(), changed: [], unchanged: 0 };
    return this.run('writing products', () => this.transactions.upsert(rows, Date.now()));
  }

  async patch(patches: Array<{ id: string; patch: Record<string, unknown> }>): Promise<PatchOutcome> {
    return this.run('patching products', () => this.transactions.patch(patches, Date.now()));
  }

  async delete(ids: string[]): Promise<DeleteOutcome> {
    return this.run('deleting products', () => this.transactions.remove(ids, Date.now()));
  }

  async get(id: string): Promise<Product | undefined> {
    return this.run('reading a product', () => {
      const body = this.statements.selectBody.get(id) as string | undefined;
      return body === undefined ? undefined : (JSON.parse(body) as Product);
    });
  }

  async getMany(ids: string[]): Promise<Array<Product | undefined>> {
    return this.run('reading products', () => {
      if (ids.length === 0) return [];
      // One statement for the whole list: json_each turns the JSON array parameter into a table.
      const rows = this.statements.selectMany.all(JSON.stringify(ids)) as Array<{ id: string; body: string }>;
      const bodies = new Map<string, string>();
      for (const row of rows) bodies.set(row.id, row.body);
      return ids.map((id) => {
        const body = bodies.get(id);
        return body === undefined ? undefined : (JSON.parse(body) as Product);
      });
    });
  }

  async count(): Promise<number> {
    return this.run('counting products', () => this.statements.count.get() as number);
  }

  /**
   * Keyset pagination on rowid: each batch is its own short read, so a long rebuild never pins the WAL,
   * and writes made during the scan are seen or not depending on where they land (callers that need an
   * exact state note lastSeq() before scanning and replay changesSince() afterwards).
   */
  async *scan(batchSize = 5000): AsyncGenerator<Product[]> {
    checkBatchSize(batchSize);
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const rows = this.run('scanning products', () =>
        this.statements.scan.all(after, batchSize),
      ) as unknown[][];
      if (rows.length === 0) return;
      yield rows.map((row) => JSON.parse(row[1] as string) as Product);
      after = (rows[rows.length - 1] as unknown[])[0] as number;
      if (rows.length < batchSize) return;
    }
  }

  async changesSince(seq: number, limit?: number): Promise<Change[]> {
    checkSeq(seq, 'changesSince seq');
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new SoukError(
        'INVALID_REQUEST',
        `changesSince limit must be a non-negative integer, got ${limit}`,
      );
    }
    return this.run('reading the change log', () => {
      const prunedThrough = Number(
        (this.statements.getMeta.get(META_PRUNED_THROUGH) as string | undefined) ?? 0,
      );
      if (seq < prunedThrough) throw changesPruned(seq, prunedThrough);
      const rows = this.statements.changesSince.all(seq, limit ?? -1) as Row[];
      return rows.map((row): Change => {
        const change: Change = { seq: row.seq as number, op: row.op as ChangeOp, id: row.id as string };
        if (row.body !== null) change.product = JSON.parse(row.body as string) as Product;
        return change;
      });
    });
  }

  async pruneChanges(throughSeq: number): Promise<number> {
    checkSeq(throughSeq, 'pruneChanges seq');
    return this.run('pruning the change log', () => this.transactions.prune(throughSeq));
  }

  async lastSeq(): Promise<number> {
    return this.run(
      'reading the change log',
      () => (this.statements.lastSeq.get() as number | undefined) ?? 0,
    );
  }

  async getMeta(key: string): Promise<string | undefined> {
    checkMetaKey(key, false);
    return this.run('reading metadata', () => this.statements.getMeta.get(key) as string | undefined);
  }

  async setMeta(key: string, value: string): Promise<void> {
    checkMetaKey(key, true);
    checkMetaValue(value);
    this.run('writing metadata', () => this.statements.setMeta.run(key, value));
  }

  async writeSnapshot(name: string, seq: number, data: Uint8Array): Promise<void> {
    this.live();
    checkSnapshotName(name);
    checkSnapshotSeq(seq);
    try {
      await writeSnapshotFile(this.dataDir, name, seq, data);
    } catch (error) {
      throw toStoreError(error, this.dataDir, `writing snapshot "${name}"`);
    }
  }

  async readSnapshot(name: string): Promise<{ seq: number; data: Uint8Array } | undefined> {
    this.live();
    checkSnapshotName(name);
    try {
      return await readSnapshotFile(this.dataDir, name);
    } catch (error) {
      throw toStoreError(error, this.dataDir, `reading snapshot "${name}"`);
    }
  }

  async getEmbeddings(embedder: string, hashes: readonly string[]): Promise<Array<Float32Array | undefined>> {
    return this.run('reading embeddings', () => {
      const found = new Map<string, Float32Array>();
      // json_each keeps this one statement per call however many hashes are asked for.
      const rows = this.statements.selectEmbeddings.all(embedder, JSON.stringify(hashes)) as Array<{
        hash: string;
        vector: Buffer;
      }>;
      for (const row of rows) found.set(row.hash, vectorFromBytes(row.vector));
      return hashes.map((hash) => found.get(hash));
    });
  }

  async putEmbeddings(
    embedder: string,
    entries: ReadonlyArray<{ hash: string; vector: Float32Array }>,
  ): Promise<void> {
    if (entries.length === 0) return;
    this.run('writing embeddings', () => this.transactions.putEmbeddings(embedder, entries));
  }

  async getImageTexts(reader: string, hashes: readonly string[]): Promise<Array<string | undefined>> {
    return this.run('reading image texts', () => {
      const rows = this.statements.selectImageTexts.all(reader, JSON.stringify(hashes)) as Array<{
        hash: string;
        text: string;
      }>;
      const found = new Map(rows.map((row) => [row.hash, row.text]));
      return hashes.map((hash) => found.get(hash));
    });
  }

  async putImageTexts(reader: string, entries: ReadonlyArray<{ hash: string; text: string }>): Promise<void> {
    if (entries.length === 0) return;
    this.run('writing image texts', () => this.transactions.putImageTexts(reader, entries));
  }

  async appendFeedback(events: readonly FeedbackRecord[]): Promise<{ seq: number; count: number }> {
    this.live();
    const records = prepareFeedback(events);
    if (records.length === 0) return { seq: await this.lastFeedbackSeq(), count: 0 };
    const seq = this.run('writing feedback', () => this.transactions.appendFeedback(records));
    return { seq, count: records.length };
  }

  async feedbackSince(seq: number, limit?: number): Promise<LoggedFeedback[]> {
    checkSeq(seq, 'feedbackSince seq');
    checkLimit(limit, 'feedbackSince');
    return this.run('reading feedback', () => {
      const rows = this.statements.feedbackSince.all(seq, limit ?? -1) as unknown[][];
      return rows.map((r) =>
        loggedFeedback(
          r[0] as number,
          r[1] as string,
          r[2] as string,
          r[3] as string,
          r[4] as number | null,
          r[5] as string | null,
          r[6] as string | null,
          r[7] as number,
        ),
      );
    });
  }

  async feedbackCount(): Promise<number> {
    return this.run('counting feedback', () => this.statements.feedbackCount.get() as number);
  }

  private async lastFeedbackSeq(): Promise<number> {
    return this.run(
      'reading feedback',
      () => (this.statements.lastFeedbackSeq.get() as number | undefined) ?? 0,
    );
  }

  /** The connection's effective durability settings (diagnostics and tests). */
  settings(): { journalMode: string; synchronous: number; foreignKeys: number; busyTimeoutMs: number } {
    const db = this.live();
    return {
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      synchronous: db.pragma('synchronous', { simple: true }) as number,
      foreignKeys: db.pragma('foreign_keys', { simple: true }) as number,
      busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
    };
  }

  /** Checkpoints the WAL into the database file (so the directory is one self-contained file) and closes. */
  async close(): Promise<void> {
    const db = this.db;
    if (!db) return;
    this.db = undefined;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A reader in another process can block the checkpoint; the WAL is still durable and is replayed on open.
    }
    try {
      db.close();
    } catch (error) {
      throw toStoreError(error, this.dataDir, 'closing the store');
    }
  }
}

function prepareStatements(db: Db) {
  return {
    selectBody: db.prepare('SELECT body FROM products WHERE id = ?').pluck(),
    selectBodyHash: db.prepare('SELECT body, hash FROM products WHERE id = ?'),
    selectMany: db.prepare('SELECT id, body FROM products WHERE id IN (SELECT value FROM json_each(?))'),
    putProduct: db.prepare(
      'INSERT INTO products (id, body, hash, seq) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (id) DO UPDATE SET body = excluded.body, hash = excluded.hash, seq = excluded.seq',
    ),
    putProductIfChanged: db.prepare(
      'INSERT INTO products (id, body, hash, seq) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (id) DO UPDATE SET body = excluded.body, hash = excluded.hash, seq = excluded.seq ' +
        'WHERE products.hash <> excluded.hash',
    ),
    insertChangeAt: db.prepare('INSERT INTO changes (seq, op, id, body, at) VALUES (?, ?, ?, ?, ?)'),
    deleteProduct: db.prepare('DELETE FROM products WHERE id = ?'),
    insertChange: db.prepare('INSERT INTO changes (op, id, body, at) VALUES (?, ?, ?, ?)'),
    count: db.prepare('SELECT count(*) FROM products').pluck(),
    scan: db.prepare('SELECT rowid, body FROM products WHERE rowid > ? ORDER BY rowid LIMIT ?').raw(),
    changesSince: db.prepare('SELECT seq, op, id, body FROM changes WHERE seq > ? ORDER BY seq LIMIT ?'),
    pruneChanges: db.prepare('DELETE FROM changes WHERE seq <= ?'),
    lastSeq: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").pluck(),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    selectEmbeddings: db.prepare(
      'SELECT hash, vector FROM embeddings WHERE embedder = ? AND hash IN (SELECT value FROM json_each(?))',
    ),
    putEmbedding: db.prepare('INSERT OR REPLACE INTO embeddings (embedder, hash, vector) VALUES (?, ?, ?)'),
    selectImageTexts: db.prepare(
      'SELECT hash, text FROM image_texts WHERE reader = ? AND hash IN (SELECT value FROM json_each(?))',
    ),
    putImageText: db.prepare('INSERT OR REPLACE INTO image_texts (reader, hash, text) VALUES (?, ?, ?)'),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    insertFeedback: db.prepare(
      'INSERT INTO feedback (type, query, product_id, position, user_id, session_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    feedbackSince: db
      .prepare(
        'SELECT seq, type, query, product_id, position, user_id, session_id, at FROM feedback ' +
          'WHERE seq > ? ORDER BY seq LIMIT ?',
      )
      .raw(),
    feedbackCount: db.prepare('SELECT count(*) FROM feedback').pluck(),
    lastFeedbackSeq: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'feedback'").pluck(),
  };
}

function initialise(db: Db, dataDir: string): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -32768');
  // An immediate transaction needs the write lock, so a database we can read but not write fails here,
  // at open, rather than on the first write.
  db.transaction(() => {
    migrateEmbeddingsToRowid(db);
    db.exec(SCHEMA);
    const stored = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(META_SCHEMA_VERSION) as
      string | undefined;
    if (stored === undefined) {
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(
        META_SCHEMA_VERSION,
        String(STORE_SCHEMA_VERSION),
      );
    } else if (Number(stored) > STORE_SCHEMA_VERSION) {
      throw new SoukError(
        'STORE_ERROR',
        `The store in ${dataDir} has schema version ${stored}, written by a newer souk; this one reads up to ${STORE_SCHEMA_VERSION}`,
        { dataDir, schemaVersion: stored },
      );
    }
  }).immediate();
}

/** Data directories made before the embeddings table had rowids keep their cached vectors. */
function migrateEmbeddingsToRowid(db: Db): void {
  const sql = db
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'embeddings'")
    .pluck()
    .get() as string | undefined;
  if (sql === undefined || !/WITHOUT\s+ROWID/i.test(sql)) return;
  db.exec(`
    ALTER TABLE embeddings RENAME TO embeddings_without_rowid;
    CREATE TABLE embeddings (embedder TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL);
    INSERT INTO embeddings (embedder, hash, vector) SELECT embedder, hash, vector FROM embeddings_without_rowid;
    DROP TABLE embeddings_without_rowid;
  `);
}

/** Opens (creating if needed) the store in `dataDir`. */
export async function openSqliteStore(
  dataDir: string,
  options: SqliteStoreOptions = {},
): Promise<SqliteStore> {
  const dir = resolve(dataDir);
  const dbPath = join(dir, DB_FILE_NAME);
  createDataDir(dir);
  assertWritable(dir, dbPath);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  let db: Db | undefined;
  try {
    db = new Database(dbPath, { timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    initialise(db, dir);
    const store = new SqliteStore(dir, db);
    await removeStaleSnapshotTemps(dir);
    return store;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // Already failing; the original error is the one worth reporting.
    }
    throw toStoreError(error, dir, 'opening the store');
  }
}
