/**
 * The shared Store: one PostgreSQL database (any schema in it) holding the catalogue, the change log,
 * feedback, metadata and the embedding cache for a fleet of `souk serve` replicas. Each replica builds
 * its own indexes from it and follows what the others write (`watch`: LISTEN/NOTIFY, plus the sequence
 * numbers themselves, so a lost notification or a dropped connection only delays, never loses, a change).
 *
 * Ordering. Every write transaction first locks its log's counter row in `souk_state` (`FOR UPDATE`) and
 * takes its sequence numbers from it. Writers therefore commit one at a time and in seq order: a reader
 * that has seen seq n has seen everything before n, there are no gaps, and `changesSince(n)` never misses
 * a change committed later with a smaller number (what a plain sequence or identity column would allow).
 * Writes are batches, so one lock per batch costs little.
 *
 * Durability: a write resolves after COMMIT (PostgreSQL's default `synchronous_commit = on`).
 *
 * Snapshots are derived, per-replica data: they are files in the replica's own directory
 * (`snapshotDir`), named with the database's store id so a snapshot of another database is never
 * replayed against this one. Without a directory there are no snapshots (indexes are rebuilt at start).
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import pg from 'pg';
import { SoukError } from '../errors.ts';
import { describeUrl } from './postgres-url.ts';
import type { FeedbackRecord, LoggedFeedback, Product } from '../types.ts';
import {
  checkSnapshotName,
  checkSnapshotSeq,
  readSnapshotFile,
  removeStaleSnapshotTemps,
  writeSnapshotFile,
} from './snapshot-file.ts';
import {
  META_PRUNED_THROUGH,
  META_SCHEMA_VERSION,
  META_STORE_ID,
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
  type PreparedProduct,
} from './store-common.ts';
import type {
  Change,
  ChangeOp,
  DeleteOutcome,
  PatchOutcome,
  Store,
  StoreEvent,
  StoreEventListener,
  UpsertOutcome,
} from './store.ts';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq-style URLs and parameters, see `pg`). */
  url: string;
  /** Schema holding souk's tables (created when missing). Several catalogues can share one database. */
  schema?: string;
  /** Directory for this replica's index snapshots; none: indexes are rebuilt from the database at start. */
  snapshotDir?: string | null;
  /** Connections kept for reads and writes (default 4); LISTEN uses one more. */
  poolSize?: number;
}

/** One NOTIFY channel for every souk schema; the payload says which schema and what changed. */
const CHANNEL = 'souk_store';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Reconnect delays of the LISTEN connection (ms), the last one repeating. */
const RECONNECT_DELAYS = [100, 250, 500, 1000, 2000, 5000];

const schemaSql = (s: string): string => `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.souk_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.souk_state (
  name text PRIMARY KEY,
  value bigint NOT NULL
);
INSERT INTO ${s}.souk_state (name, value) VALUES ('changes', 0), ('feedback', 0) ON CONFLICT DO NOTHING;
-- pos: insertion order for scans (an update keeps it, as SQLite keeps a row's rowid).
CREATE TABLE IF NOT EXISTS ${s}.souk_products (
  id text COLLATE "C" PRIMARY KEY,
  body text NOT NULL,
  hash text NOT NULL,
  seq bigint NOT NULL,
  pos bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE TABLE IF NOT EXISTS ${s}.souk_changes (
  seq bigint PRIMARY KEY,
  op text NOT NULL CHECK (op IN ('upsert', 'patch', 'delete')),
  id text NOT NULL,
  body text,
  at bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.souk_feedback (
  seq bigint PRIMARY KEY,
  type text NOT NULL CHECK (type IN ('impression', 'click', 'add_to_cart', 'purchase')),
  query text NOT NULL,
  product_id text NOT NULL,
  position integer,
  user_id text,
  session_id text,
  at bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.souk_embeddings (
  embedder text NOT NULL,
  hash text NOT NULL,
  vector bytea NOT NULL,
  PRIMARY KEY (embedder, hash)
);
CREATE TABLE IF NOT EXISTS ${s}.souk_image_texts (
  reader text NOT NULL,
  hash text NOT NULL,
  text text NOT NULL,
  PRIMARY KEY (reader, hash)
);
`;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps PostgreSQL and connection failures to SoukErrors naming the database and what was being done. */
function toStoreError(error: unknown, where: string, action: string): SoukError {
  if (error instanceof SoukError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const sqlState = typeof code === 'string' ? code : '';
  const reason = errorMessage(error);
  const details: Record<string, unknown> = { store: where };
  if (sqlState !== '') details.sqlState = sqlState;
  // 53100 disk_full, 53200 out_of_memory (of the server), 25006 read_only_sql_transaction (a standby).
  if (sqlState === '53100') {
    return new SoukError(
      'DISK_FULL',
      `The database ${where} is out of disk space (${action}): ${reason}`,
      details,
      {
        cause: error,
      },
    );
  }
  if (sqlState === '25006' || sqlState === '42501') {
    return new SoukError(
      'STORE_READ_ONLY',
      `The database ${where} refuses writes (${action}): ${reason}`,
      details,
      { cause: error },
    );
  }
  const unreachable =
    sqlState.startsWith('08') ||
    sqlState === '57P01' ||
    sqlState === '57P03' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(sqlState);
  if (unreachable) {
    return new SoukError(
      'STORE_UNAVAILABLE',
      `The database ${where} is unreachable (${action}): ${reason}`,
      details,
      { cause: error },
    );
  }
  return new SoukError('STORE_ERROR', `Store error while ${action} in ${where}: ${reason}`, details, {
    cause: error,
  });
}

/** bigint columns arrive as strings (they may exceed 2^53); souk's seqs stay far below. */
const num = (value: unknown): number => Number(value);

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly shared = true;
  private readonly where: string;
  private readonly s: string;
  private closed = false;
  private readonly listeners = new Set<StoreEventListener>();
  private listenClient: pg.Client | undefined;
  private listening: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresStoreOptions,
    readonly schema: string,
    readonly storeId: string,
  ) {
    this.where = `${describeUrl(options.url)} (schema ${schema})`;
    this.s = `"${schema}"`;
    // An idle pooled connection that dies (server restart) must not crash the process: the next query
    // simply gets a new connection.
    pool.on('error', () => undefined);
  }

  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = options.schema ?? 'public';
    if (!SCHEMA_NAME.test(schema)) {
      throw new SoukError(
        'INVALID_REQUEST',
        `Invalid PostgreSQL schema name ${JSON.stringify(schema)}: use lower-case letters, digits and "_"`,
        { field: 'store.schema' },
      );
    }
    const where = `${describeUrl(options.url)} (schema ${schema})`;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: 10_000,
      application_name: 'souk',
    });
    try {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Two replicas starting together would race on CREATE TABLE IF NOT EXISTS; one lock settles it.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`souk:${schema}`]);
        await client.query(schemaSql(`"${schema}"`));
        const meta = await client.query<{ key: string; value: string }>(
          `SELECT key, value FROM "${schema}".souk_meta WHERE key = ANY($1)`,
          [[META_SCHEMA_VERSION, META_STORE_ID]],
        );
        const found = new Map(meta.rows.map((row) => [row.key, row.value]));
        const version = found.get(META_SCHEMA_VERSION);
        if (version !== undefined && Number(version) > STORE_SCHEMA_VERSION) {
          throw new SoukError(
            'STORE_ERROR',
            `The store ${where} has schema version ${version}, written by a newer souk; this one reads up to ${STORE_SCHEMA_VERSION}`,
            { store: where, schemaVersion: version },
          );
        }
        let storeId = found.get(META_STORE_ID);
        if (storeId === undefined) {
          storeId = randomUUID();
          await client.query(
            `INSERT INTO "${schema}".souk_meta (key, value) VALUES ($1, $2), ($3, $4) ON CONFLICT (key) DO NOTHING`,
            [META_SCHEMA_VERSION, String(STORE_SCHEMA_VERSION), META_STORE_ID, storeId],
          );
        }
        await client.query('COMMIT');
        if (options.snapshotDir) {
          await mkdir(options.snapshotDir, { recursive: true });
          await removeStaleSnapshotTemps(options.snapshotDir);
        }
        return new PostgresStore(pool, options, schema, storeId);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw toStoreError(error, where, 'opening the store');
    }
  }

  private live(): void {
    if (this.closed) throw storeClosed();
  }

  private async query<R extends pg.QueryResultRow>(
    action: string,
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    this.live();
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw toStoreError(error, this.where, action);
    }
  }

  /** Runs `work` in one transaction on one connection; rolls back on any failure. */
  private async transaction<T>(action: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.live();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toStoreError(error, this.where, action);
    }
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw toStoreError(error, this.where, action);
    } finally {
      client.release();
    }
  }

  /** Locks a log's counter (serialising writers, see the file comment) and returns its current value. */
  private async lockCounter(client: pg.PoolClient, name: 'changes' | 'feedback'): Promise<number> {
    const result = await client.query<{ value: string }>(
      `SELECT value FROM ${this.s}.souk_state WHERE name = $1 FOR UPDATE`,
      [name],
    );
    return num(result.rows[0]?.value ?? 0);
  }

  private async setCounter(
    client: pg.PoolClient,
    name: 'changes' | 'feedback',
    value: number,
    notify: boolean,
  ): Promise<void> {
    await client.query(`UPDATE ${this.s}.souk_state SET value = $2 WHERE name = $1`, [name, value]);
    // Delivered at COMMIT, so a listener never hears of a change it cannot read yet.
    if (notify) await client.query('SELECT pg_notify($1, $2)', [CHANNEL, this.payload(name, value)]);
  }

  private payload(kind: StoreEvent['kind'], seq?: number): string {
    return JSON.stringify(
      seq === undefined ? { schema: this.schema, kind } : { schema: this.schema, kind, seq },
    );
  }

  /** Writes product rows and their log entries (one statement each, arrays unnested server-side). */
  private async writeRows(
    client: pg.PoolClient,
    op: ChangeOp,
    rows: readonly PreparedProduct[],
    firstSeq: number,
    at: number,
  ): Promise<void> {
    // A batch may name one id twice: every version goes to the log, the last one to the products table
    // (ON CONFLICT cannot touch a row twice in one statement).
    const last = new Map<string, { row: PreparedProduct; seq: number }>();
    rows.forEach((row, i) => last.set(row.id, { row, seq: firstSeq + i }));
    const latest = [...last.values()];
    await client.query(
      `INSERT INTO ${this.s}.souk_products (id, body, hash, seq)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
       ON CONFLICT (id) DO UPDATE SET body = excluded.body, hash = excluded.hash, seq = excluded.seq`,
      [
        latest.map((l) => l.row.id),
        latest.map((l) => l.row.body),
        latest.map((l) => l.row.hash),
        latest.map((l) => l.seq),
      ],
    );
    await this.logChanges(
      client,
      rows.map((row, i) => ({ seq: firstSeq + i, op, id: row.id, body: row.body })),
      at,
    );
  }

  private async logChanges(
    client: pg.PoolClient,
    entries: ReadonlyArray<{ seq: number; op: ChangeOp; id: string; body: string | null }>,
    at: number,
  ): Promise<void> {
    if (entries.length === 0) return;
    await client.query(
      `INSERT INTO ${this.s}.souk_changes (seq, op, id, body, at)
       SELECT s, o, i, b, $5 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS t(s, o, i, b)`,
      [
        entries.map((e) => e.seq),
        entries.map((e) => e.op),
        entries.map((e) => e.id),
        entries.map((e) => e.body),
        at,
      ],
    );
  }

  private async storedHashes(
    client: pg.PoolClient,
    ids: string[],
  ): Promise<Map<string, { body: string; hash: string }>> {
    const result = await client.query<{ id: string; body: string; hash: string }>(
      `SELECT id, body, hash FROM ${this.s}.souk_products WHERE id = ANY($1::text[])`,
      [ids],
    );
    return new Map(result.rows.map((row) => [row.id, { body: row.body, hash: row.hash }]));
  }

  async upsert(products: Product[]): Promise<UpsertOutcome> {
    this.live();
    const prepared = prepareProducts(products);
    if (prepared.length === 0) return { seq: await this.lastSeq(), changed: [], unchanged: 0 };
    return this.transaction('writing products', async (client) => {
      const seq0 = await this.lockCounter(client, 'changes');
      const stored = await this.storedHashes(client, [...new Set(prepared.map((p) => p.id))]);
      const hashes = new Map([...stored].map(([id, row]) => [id, row.hash]));
      const rows: PreparedProduct[] = [];
      let unchanged = 0;
      for (const row of prepared) {
        if (hashes.get(row.id) === row.hash) {
          unchanged++;
          continue;
        }
        hashes.set(row.id, row.hash);
        rows.push(row);
      }
      if (rows.length === 0) return { seq: seq0, changed: [], unchanged };
      await this.writeRows(client, 'upsert', rows, seq0 + 1, Date.now());
      const seq = seq0 + rows.length;
      await this.setCounter(client, 'changes', seq, true);
      return { seq, changed: rows.map((row) => row.product), unchanged };
    });
  }

  async patch(patches: Array<{ id: string; patch: Record<string, unknown> }>): Promise<PatchOutcome> {
    this.live();
    return this.transaction('patching products', async (client) => {
      const seq0 = await this.lockCounter(client, 'changes');
      const stored = await this.storedHashes(client, [...new Set(patches.map((p) => p.id))]);
      const current = new Map(
        [...stored].map(([id, row]) => [id, { product: JSON.parse(row.body) as Product, hash: row.hash }]),
      );
      const products: Product[] = [];
      const rows: PreparedProduct[] = [];
      for (const { id, patch } of patches) {
        const before = current.get(id);
        if (!before) throw productNotFound(id);
        const next = applyStoredPatch(id, before.product, patch);
        products.push(next.product);
        if (next.hash === before.hash) continue;
        current.set(id, { product: next.product, hash: next.hash });
        rows.push(next);
      }
      if (rows.length === 0) return { seq: seq0, products };
      await this.writeRows(client, 'patch', rows, seq0 + 1, Date.now());
      const seq = seq0 + rows.length;
      await this.setCounter(client, 'changes', seq, true);
      return { seq, products };
    });
  }

  async delete(ids: string[]): Promise<DeleteOutcome> {
    this.live();
    return this.transaction('deleting products', async (client) => {
      const seq0 = await this.lockCounter(client, 'changes');
      const removed = await client.query<{ id: string }>(
        `DELETE FROM ${this.s}.souk_products WHERE id = ANY($1::text[]) RETURNING id`,
        [ids],
      );
      const gone = new Set(removed.rows.map((row) => row.id));
      // In input order, each id once (as the SQLite store reports them).
      const deleted = [...new Set(ids)].filter((id) => gone.has(id));
      if (deleted.length === 0) return { seq: seq0, deleted };
      await this.logChanges(
        client,
        deleted.map((id, i) => ({ seq: seq0 + 1 + i, op: 'delete' as const, id, body: null })),
        Date.now(),
      );
      const seq = seq0 + deleted.length;
      await this.setCounter(client, 'changes', seq, true);
      return { seq, deleted };
    });
  }

  async get(id: string): Promise<Product | undefined> {
    const result = await this.query<{ body: string }>(
      'reading a product',
      `SELECT body FROM ${this.s}.souk_products WHERE id = $1`,
      [id],
    );
    const body = result.rows[0]?.body;
    return body === undefined ? undefined : (JSON.parse(body) as Product);
  }

  async getMany(ids: string[]): Promise<Array<Product | undefined>> {
    if (ids.length === 0) return [];
    const result = await this.query<{ id: string; body: string }>(
      'reading products',
      `SELECT id, body FROM ${this.s}.souk_products WHERE id = ANY($1::text[])`,
      [ids],
    );
    const bodies = new Map(result.rows.map((row) => [row.id, row.body]));
    return ids.map((id) => {
      const body = bodies.get(id);
      return body === undefined ? undefined : (JSON.parse(body) as Product);
    });
  }

  async count(): Promise<number> {
    const result = await this.query<{ n: string }>(
      'counting products',
      `SELECT count(*) AS n FROM ${this.s}.souk_products`,
    );
    return num(result.rows[0]?.n ?? 0);
  }

  /** Keyset pagination in insertion order: each batch is its own short query (see SqliteStore.scan). */
  async *scan(batchSize = 5000): AsyncGenerator<Product[]> {
    checkBatchSize(batchSize);
    let after = 0;
    for (;;) {
      const result: pg.QueryResult<{ pos: string; body: string }> = await this.query(
        'scanning products',
        `SELECT pos, body FROM ${this.s}.souk_products WHERE pos > $1 ORDER BY pos LIMIT $2`,
        [after, batchSize],
      );
      if (result.rows.length === 0) return;
      yield result.rows.map((row) => JSON.parse(row.body) as Product);
      after = num(result.rows[result.rows.length - 1]!.pos);
      if (result.rows.length < batchSize) return;
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
    const pruned = await this.getMeta(META_PRUNED_THROUGH);
    const prunedThrough = Number(pruned ?? 0);
    if (seq < prunedThrough) throw changesPruned(seq, prunedThrough);
    const result = await this.query<{ seq: string; op: ChangeOp; id: string; body: string | null }>(
      'reading the change log',
      `SELECT seq, op, id, body FROM ${this.s}.souk_changes WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [seq, limit ?? null],
    );
    return result.rows.map((row): Change => {
      const change: Change = { seq: num(row.seq), op: row.op, id: row.id };
      if (row.body !== null) change.product = JSON.parse(row.body) as Product;
      return change;
    });
  }

  async pruneChanges(throughSeq: number): Promise<number> {
    checkSeq(throughSeq, 'pruneChanges seq');
    return this.transaction('pruning the change log', async (client) => {
      await this.lockCounter(client, 'changes');
      const removed = await client.query(`DELETE FROM ${this.s}.souk_changes WHERE seq <= $1`, [throughSeq]);
      await client.query(
        `INSERT INTO ${this.s}.souk_meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value
         WHERE excluded.value::bigint > ${this.s}.souk_meta.value::bigint`,
        [META_PRUNED_THROUGH, String(throughSeq)],
      );
      return removed.rowCount ?? 0;
    });
  }

  async lastSeq(): Promise<number> {
    return this.counter('changes', 'reading the change log');
  }

  private async counter(name: 'changes' | 'feedback', action: string): Promise<number> {
    const result = await this.query<{ value: string }>(
      action,
      `SELECT value FROM ${this.s}.souk_state WHERE name = $1`,
      [name],
    );
    return num(result.rows[0]?.value ?? 0);
  }

  async getMeta(key: string): Promise<string | undefined> {
    checkMetaKey(key, false);
    const result = await this.query<{ value: string }>(
      'reading metadata',
      `SELECT value FROM ${this.s}.souk_meta WHERE key = $1`,
      [key],
    );
    return result.rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    checkMetaKey(key, true);
    checkMetaValue(value);
    await this.transaction('writing metadata', async (client) => {
      await client.query(
        `INSERT INTO ${this.s}.souk_meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [key, value],
      );
      // Rules, ranker models and adapters live in metadata: replicas reload them when told.
      await client.query('SELECT pg_notify($1, $2)', [
        CHANNEL,
        JSON.stringify({ schema: this.schema, kind: 'meta', key }),
      ]);
    });
  }

  private snapshotName(name: string): string {
    return `${name}-${this.storeId}`;
  }

  async writeSnapshot(name: string, seq: number, data: Uint8Array): Promise<void> {
    this.live();
    checkSnapshotName(name);
    checkSnapshotSeq(seq);
    const dir = this.options.snapshotDir;
    if (!dir) return;
    try {
      await writeSnapshotFile(dir, this.snapshotName(name), seq, data);
    } catch (error) {
      throw new SoukError(
        'STORE_ERROR',
        `Writing snapshot "${name}" in ${dir} failed: ${errorMessage(error)}`,
        { dataDir: dir },
        { cause: error },
      );
    }
  }

  async readSnapshot(name: string): Promise<{ seq: number; data: Uint8Array } | undefined> {
    this.live();
    checkSnapshotName(name);
    const dir = this.options.snapshotDir;
    if (!dir) return undefined;
    return readSnapshotFile(dir, this.snapshotName(name));
  }

  async getEmbeddings(embedder: string, hashes: readonly string[]): Promise<Array<Float32Array | undefined>> {
    if (hashes.length === 0) return [];
    const result = await this.query<{ hash: string; vector: Buffer }>(
      'reading embeddings',
      `SELECT hash, vector FROM ${this.s}.souk_embeddings WHERE embedder = $1 AND hash = ANY($2::text[])`,
      [embedder, hashes],
    );
    const found = new Map(result.rows.map((row) => [row.hash, vectorFromBytes(row.vector)]));
    return hashes.map((hash) => found.get(hash));
  }

  async putEmbeddings(
    embedder: string,
    entries: ReadonlyArray<{ hash: string; vector: Float32Array }>,
  ): Promise<void> {
    if (entries.length === 0) return;
    const unique = new Map(entries.map((e) => [e.hash, e.vector]));
    await this.query(
      'writing embeddings',
      `INSERT INTO ${this.s}.souk_embeddings (embedder, hash, vector)
       SELECT $1, h, v FROM unnest($2::text[], $3::bytea[]) AS t(h, v)
       ON CONFLICT (embedder, hash) DO UPDATE SET vector = excluded.vector`,
      [
        embedder,
        [...unique.keys()],
        [...unique.values()].map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)),
      ],
    );
  }

  async getImageTexts(reader: string, hashes: readonly string[]): Promise<Array<string | undefined>> {
    if (hashes.length === 0) return [];
    const result = await this.query<{ hash: string; text: string }>(
      'reading image texts',
      `SELECT hash, text FROM ${this.s}.souk_image_texts WHERE reader = $1 AND hash = ANY($2::text[])`,
      [reader, hashes],
    );
    const found = new Map(result.rows.map((row) => [row.hash, row.text]));
    return hashes.map((hash) => found.get(hash));
  }

  async putImageTexts(reader: string, entries: ReadonlyArray<{ hash: string; text: string }>): Promise<void> {
    if (entries.length === 0) return;
    const unique = new Map(entries.map((e) => [e.hash, e.text]));
    await this.query(
      'writing image texts',
      `INSERT INTO ${this.s}.souk_image_texts (reader, hash, text)
       SELECT $1, h, t FROM unnest($2::text[], $3::text[]) AS x(h, t)
       ON CONFLICT (reader, hash) DO UPDATE SET text = excluded.text`,
      [reader, [...unique.keys()], [...unique.values()]],
    );
  }

  async appendFeedback(events: readonly FeedbackRecord[]): Promise<{ seq: number; count: number }> {
    this.live();
    const records = prepareFeedback(events);
    if (records.length === 0) return { seq: await this.counter('feedback', 'reading feedback'), count: 0 };
    return this.transaction('writing feedback', async (client) => {
      const seq0 = await this.lockCounter(client, 'feedback');
      await client.query(
        `INSERT INTO ${this.s}.souk_feedback (seq, type, query, product_id, position, user_id, session_id, at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[], $7::text[], $8::bigint[])`,
        [
          records.map((_, i) => seq0 + 1 + i),
          records.map((e) => e.type),
          records.map((e) => e.query),
          records.map((e) => e.productId),
          records.map((e) => e.position ?? null),
          records.map((e) => e.userId ?? null),
          records.map((e) => e.sessionId ?? null),
          records.map((e) => e.at),
        ],
      );
      const seq = seq0 + records.length;
      await this.setCounter(client, 'feedback', seq, true);
      return { seq, count: records.length };
    });
  }

  async feedbackSince(seq: number, limit?: number): Promise<LoggedFeedback[]> {
    checkSeq(seq, 'feedbackSince seq');
    checkLimit(limit, 'feedbackSince');
    const result = await this.query<{
      seq: string;
      type: string;
      query: string;
      product_id: string;
      position: number | null;
      user_id: string | null;
      session_id: string | null;
      at: string;
    }>(
      'reading feedback',
      `SELECT seq, type, query, product_id, position, user_id, session_id, at FROM ${this.s}.souk_feedback
       WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [seq, limit ?? null],
    );
    return result.rows.map((r) =>
      loggedFeedback(
        num(r.seq),
        r.type,
        r.query,
        r.product_id,
        r.position,
        r.user_id,
        r.session_id,
        num(r.at),
      ),
    );
  }

  async feedbackCount(): Promise<number> {
    const result = await this.query<{ n: string }>(
      'counting feedback',
      `SELECT count(*) AS n FROM ${this.s}.souk_feedback`,
    );
    return num(result.rows[0]?.n ?? 0);
  }

  /**
   * Tells `listener` when any writer (this process or another) committed changes, feedback or metadata,
   * and `connected` whenever the LISTEN connection is (re)established (notifications before it may have
   * been missed: the listener catches up by sequence number). Returns the function that unsubscribes.
   */
  watch(listener: StoreEventListener): () => void {
    this.live();
    this.listeners.add(listener);
    if (!this.listening) this.listening = this.listen();
    return () => this.listeners.delete(listener);
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.options.url, application_name: 'souk-listen' });
    const lost = (): void => {
      if (this.listenClient !== client) return;
      this.listenClient = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      let event: { schema?: string } & Partial<StoreEvent>;
      try {
        event = JSON.parse(message.payload) as typeof event;
      } catch {
        return;
      }
      if (event.schema !== this.schema || !event.kind) return;
      const { schema: _schema, ...rest } = event;
      this.emit(rest as StoreEvent);
    });
    this.listenClient = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.reconnectAttempt = 0;
      // Anything committed before this point (or while nobody listened) is found by sequence number.
      this.emit({ kind: 'connected' });
    } catch {
      lost();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = RECONNECT_DELAYS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS.length - 1)]!;
    this.reconnectAttempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.listen();
    }, delay);
    this.reconnectTimer.unref();
  }

  private emit(event: StoreEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(`store event listener failed: ${errorMessage(error)}`);
      }
    }
  }

  /** Drops the LISTEN connection as a network failure would (tests of the catch-up path). */
  dropListenConnectionForTest(): void {
    const client = this.listenClient;
    if (client) client.emit('error', new Error('connection dropped (test)'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.listenClient;
    this.listenClient = undefined;
    await client?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
