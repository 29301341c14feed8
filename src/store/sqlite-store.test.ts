import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runStoreContract } from '../../test/store-contract.ts';
import { productContentHash } from '../catalog/product-schema.ts';
import { isSoukError, SoukError } from '../errors.ts';
import type { Product } from '../types.ts';
import { DB_FILE_NAME, openSqliteStore, toStoreError } from './sqlite-store.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const base = mkdtempSync(join(tmpdir(), 'souk-sqlite-store-'));
after(() => rmSync(base, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => join(base, `store-${++dirCount}`);

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<SoukError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSoukError(error), `expected SoukError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a rejection with ${code}`);
}

runStoreContract('sqlite', async () => {
  const dir = freshDir();
  let current = await openSqliteStore(dir);
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await openSqliteStore(dir);
      return current;
    },
    cleanup: async () => {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore', () => {
  it('creates the directory and opens with WAL, synchronous=FULL, foreign keys and a busy timeout', async () => {
    const dir = join(freshDir(), 'nested', 'deeper');
    const store = await openSqliteStore(dir);
    try {
      assert.ok(existsSync(join(dir, DB_FILE_NAME)));
      assert.deepEqual(store.settings(), {
        journalMode: 'wal',
        synchronous: 2,
        foreignKeys: 1,
        busyTimeoutMs: 5000,
      });
      assert.equal(store.kind, 'sqlite');
    } finally {
      await store.close();
    }
  });

  it('has the documented schema, and close() leaves one self-contained database file', async () => {
    const dir = freshDir();
    const store = await openSqliteStore(dir);
    await store.upsert([{ id: 'a', title: 'A' }]);
    await store.close();
    assert.deepEqual(readdirSync(dir), [DB_FILE_NAME]);
    const db = new Database(join(dir, DB_FILE_NAME));
    try {
      const columns = (table: string) =>
        (
          db.pragma(`table_info(${table})`) as Array<{
            name: string;
            type: string;
            notnull: number;
            pk: number;
          }>
        ).map((c) => `${c.name} ${c.type}${c.notnull ? ' NOT NULL' : ''}${c.pk ? ' PK' : ''}`);
      assert.deepEqual(columns('products'), [
        'id TEXT PK',
        'body TEXT NOT NULL',
        'hash TEXT NOT NULL',
        'seq INTEGER NOT NULL',
      ]);
      assert.deepEqual(columns('changes'), [
        'seq INTEGER PK',
        'op TEXT NOT NULL',
        'id TEXT NOT NULL',
        'body TEXT',
        'at INTEGER NOT NULL',
      ]);
      assert.deepEqual(columns('meta'), ['key TEXT PK', 'value TEXT NOT NULL']);
      assert.throws(
        () => db.prepare("INSERT INTO changes (op, id, at) VALUES ('bogus', 'x', 0)").run(),
        /CHECK/,
      );
      const row = db.prepare('SELECT body, hash, seq FROM products').get() as {
        body: string;
        hash: string;
        seq: number;
      };
      assert.deepEqual(row, {
        body: '{"id":"a","title":"A"}',
        hash: productContentHash({ id: 'a', title: 'A' }),
        seq: 1,
      });
    } finally {
      db.close();
    }
  });

  it('adds the feedback table to a data directory made before it existed, keeping its data', async () => {
    const dir = freshDir();
    let store = await openSqliteStore(dir);
    await store.upsert([{ id: 'a', title: 'A' }]);
    await store.close();
    const db = new Database(join(dir, DB_FILE_NAME));
    db.exec('DROP TABLE feedback');
    db.close();
    store = await openSqliteStore(dir);
    try {
      assert.equal(await store.getMeta('schema_version'), '1');
      assert.deepEqual(await store.get('a'), { id: 'a', title: 'A' });
      assert.equal(await store.feedbackCount(), 0);
      const at = Date.UTC(2026, 0, 1);
      assert.deepEqual(await store.appendFeedback([{ type: 'click', query: 'a', productId: 'a', at }]), {
        seq: 1,
        count: 1,
      });
      assert.equal(await store.lastSeq(), 1);
    } finally {
      await store.close();
    }
    const check = new Database(join(dir, DB_FILE_NAME));
    try {
      assert.throws(
        () =>
          check
            .prepare("INSERT INTO feedback (type, query, product_id, at) VALUES ('like', 'q', 'a', 0)")
            .run(),
        /CHECK/,
      );
    } finally {
      check.close();
    }
  });

  it('moves the embedding cache of an older data directory (WITHOUT ROWID table) into the rowid layout', async () => {
    const dir = freshDir();
    let store = await openSqliteStore(dir);
    await store.close();
    const db = new Database(join(dir, DB_FILE_NAME));
    db.exec(`
      DROP TABLE embeddings;
      CREATE TABLE embeddings (
        embedder TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (embedder, hash)
      ) WITHOUT ROWID;
    `);
    db.prepare('INSERT INTO embeddings VALUES (?, ?, ?)').run(
      'm',
      'h1',
      Buffer.from(Float32Array.of(1, 2).buffer),
    );
    db.close();
    store = await openSqliteStore(dir);
    try {
      assert.deepEqual(await store.getEmbeddings('m', ['h1', 'h2']), [Float32Array.of(1, 2), undefined]);
      // Still one row per key after the move: a replace overwrites rather than adding a second row.
      await store.putEmbeddings('m', [{ hash: 'h1', vector: Float32Array.of(3, 4) }]);
      assert.deepEqual(await store.getEmbeddings('m', ['h1']), [Float32Array.of(3, 4)]);
    } finally {
      await store.close();
    }
    const check = new Database(join(dir, DB_FILE_NAME), { readonly: true });
    try {
      const sql = check
        .prepare("SELECT sql FROM sqlite_master WHERE name = 'embeddings'")
        .pluck()
        .get() as string;
      assert.doesNotMatch(sql, /WITHOUT ROWID/i);
      assert.equal(check.prepare('SELECT count(*) FROM embeddings').pluck().get(), 1);
    } finally {
      check.close();
    }
  });

  it('shares one change log between two connections on the same directory', async () => {
    const dir = freshDir();
    const a = await openSqliteStore(dir);
    const b = await openSqliteStore(dir);
    try {
      await a.upsert([{ id: 'x', title: 'X' }]);
      await b.upsert([{ id: 'y', title: 'Y' }]);
      await a.upsert([{ id: 'x', title: 'X2' }]);
      assert.equal((await b.get('x'))!.title, 'X2');
      assert.deepEqual(
        (await b.changesSince(0)).map((c) => [c.seq, c.id]),
        [
          [1, 'x'],
          [2, 'y'],
          [3, 'x'],
        ],
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('rejects a damaged snapshot with SNAPSHOT_INVALID and leaves no temp files', async () => {
    const dir = freshDir();
    const store = await openSqliteStore(dir);
    try {
      const data = new Uint8Array(4096).map((_, i) => i & 0xff);
      await store.writeSnapshot('index', 7, data);
      assert.deepEqual(
        readdirSync(dir).filter((name) => name.includes('.tmp')),
        [],
      );
      const file = join(dir, 'index.snapshot');
      const good = readFileSync(file);
      assert.equal(good.length, 64 + data.length);
      assert.equal(good.subarray(0, 8).toString('latin1'), 'SOUKSNAP');

      const damaged: Array<[string, Buffer, RegExp]> = [
        ['flipped data byte', Buffer.from(good).fill(0xee, 1000, 1001), /checksum/],
        ['truncated data', good.subarray(0, good.length - 10), /truncated/],
        ['truncated header', good.subarray(0, 30), /truncated/],
        ['empty file', Buffer.alloc(0), /truncated/],
        ['bad magic', Buffer.concat([Buffer.from('NOTASNAP'), good.subarray(8)]), /magic/],
        ['padded', Buffer.concat([good, Buffer.from([0])]), /padded/],
        ['future version', Buffer.from(good).fill(9, 8, 9), /version 9/],
      ];
      for (const [what, bytes, reason] of damaged) {
        writeFileSync(file, bytes);
        const error = await rejectsWith(store.readSnapshot('index'), 'SNAPSHOT_INVALID');
        assert.match(error.message, reason, what);
      }
      writeFileSync(file, good);
      assert.equal((await store.readSnapshot('index'))!.seq, 7);
    } finally {
      await store.close();
    }
  });

  it('removes temp files of crashed snapshot writers on open, but not those of live ones', async () => {
    const dir = freshDir();
    (await openSqliteStore(dir)).close();
    const dead = join(dir, 'index.snapshot.tmp-999999999-abcd');
    const live = join(dir, `index.snapshot.tmp-${process.pid}-abcd`);
    writeFileSync(dead, 'partial');
    writeFileSync(live, 'partial');
    const store = await openSqliteStore(dir);
    await store.close();
    assert.ok(!existsSync(dead));
    assert.ok(existsSync(live));
  });

  it('maps SQLITE_FULL to DISK_FULL and rolls the whole batch back', async () => {
    const dir = freshDir();
    const store = await openSqliteStore(dir);
    try {
      await store.upsert([{ id: 'kept', title: 'Kept' }]);
      // SQLite reports SQLITE_FULL when the database would outgrow max_page_count, just as on a full disk.
      const db = (store as unknown as { db: Database.Database }).db;
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${pages + 2}`);
      const big: Product[] = Array.from({ length: 200 }, (_, i) => ({
        id: `big${i}`,
        title: 'x'.repeat(2000),
      }));
      const error = await rejectsWith(store.upsert(big), 'DISK_FULL');
      assert.ok(error.message.includes(dir), error.message);
      assert.equal(await store.count(), 1);
      assert.equal(await store.lastSeq(), 1);
      db.pragma('max_page_count = 1073741823');
      assert.equal((await store.upsert(big)).changed.length, 200);
    } finally {
      await store.close();
    }
  });

  it('refuses a database written by a newer schema, a non-database file and a file as directory', async () => {
    const newer = freshDir();
    (await openSqliteStore(newer)).close();
    const db = new Database(join(newer, DB_FILE_NAME));
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    assert.match((await rejectsWith(openSqliteStore(newer), 'STORE_ERROR')).message, /schema version 99/);

    const garbage = freshDir();
    mkdirSync(garbage);
    writeFileSync(
      join(garbage, DB_FILE_NAME),
      'this is not a database, just text long enough to have a header',
    );
    assert.match(
      (await rejectsWith(openSqliteStore(garbage), 'STORE_ERROR')).message,
      /not a souk database|corrupt/,
    );

    const file = join(base, 'plain-file');
    writeFileSync(file, 'x');
    assert.match((await rejectsWith(openSqliteStore(file), 'STORE_ERROR')).message, /not a directory/);
  });

  it('maps SQLite and file-system error codes', () => {
    const error = (code: string) => Object.assign(new Error(`boom ${code}`), { code });
    const cases: Array<[string, string]> = [
      ['SQLITE_FULL', 'DISK_FULL'],
      ['ENOSPC', 'DISK_FULL'],
      ['SQLITE_READONLY', 'STORE_READ_ONLY'],
      ['SQLITE_READONLY_DBMOVED', 'STORE_READ_ONLY'],
      ['EACCES', 'STORE_READ_ONLY'],
      ['EROFS', 'STORE_READ_ONLY'],
      ['SQLITE_BUSY', 'STORE_ERROR'],
      ['SQLITE_CORRUPT', 'STORE_ERROR'],
      ['SQLITE_IOERR_FSYNC', 'STORE_ERROR'],
    ];
    for (const [code, expected] of cases) {
      const mapped = toStoreError(error(code), '/data/dir', 'writing products');
      assert.equal(mapped.code, expected, code);
      assert.ok(mapped.message.includes('/data/dir'), mapped.message);
    }
    const original = new SoukError('PRODUCT_NOT_FOUND', 'x');
    assert.equal(toStoreError(original, '/d', 'x'), original);
  });

  describe('read-only data directory', () => {
    // Root ignores permission bits, so as root the child runs as `nobody`: then chmod really blocks writes,
    // exactly as for any non-root user.
    const asRoot = process.getuid?.() === 0;
    const childScript = join(repoRoot, 'test/store-readonly-child.ts');

    function openInChild(dataDir: string): { ok?: boolean; code?: string; message?: string; error?: string } {
      const result = spawnSync(process.execPath, ['--import', 'tsx', childScript, dataDir], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
        ...(asRoot ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: tmpdir() } } : {}),
      });
      assert.equal(result.status, 0, `child failed: ${result.stderr}`);
      return JSON.parse(result.stdout.trim().split('\n').pop()!) as { code?: string; message?: string };
    }

    function readOnlyBase(): string {
      const root = join(base, `ro-${++dirCount}`);
      mkdirSync(root);
      chmodSync(base, 0o755);
      chmodSync(root, 0o755);
      return root;
    }

    it('a directory the process cannot write gives STORE_READ_ONLY naming it', () => {
      const dir = join(readOnlyBase(), 'data');
      mkdirSync(dir);
      chmodSync(dir, 0o555);
      try {
        const outcome = openInChild(dir);
        assert.equal(outcome.code, 'STORE_READ_ONLY', JSON.stringify(outcome));
        assert.ok(outcome.message!.includes(dir), outcome.message);
        const nested = openInChild(join(dir, 'sub'));
        assert.equal(nested.code, 'STORE_READ_ONLY', JSON.stringify(nested));
        assert.ok(nested.message!.includes(join(dir, 'sub')), nested.message);
      } finally {
        chmodSync(dir, 0o755);
      }
    });

    it('an existing store whose files cannot be written gives STORE_READ_ONLY', async () => {
      const dir = join(readOnlyBase(), 'data');
      const store = await openSqliteStore(dir);
      await store.upsert([{ id: 'a', title: 'A' }]);
      await store.close();
      const dbFile = join(dir, DB_FILE_NAME);
      chmodSync(dbFile, 0o444);
      try {
        // Directory writable, database file not.
        chmodSync(dir, 0o777);
        const fileOnly = openInChild(dir);
        assert.equal(fileOnly.code, 'STORE_READ_ONLY', JSON.stringify(fileOnly));
        assert.ok(fileOnly.message!.includes(dir), fileOnly.message);
        // Neither writable.
        chmodSync(dir, 0o555);
        const both = openInChild(dir);
        assert.equal(both.code, 'STORE_READ_ONLY', JSON.stringify(both));
      } finally {
        chmodSync(dir, 0o755);
        chmodSync(dbFile, 0o644);
      }
      const reopened = await openSqliteStore(dir);
      assert.equal(await reopened.count(), 1, 'the refused opens did not damage the store');
      await reopened.close();
    });

    it('the same directory, writable, opens fine in the child (the test setup is sound)', () => {
      const dir = join(readOnlyBase(), 'data');
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      assert.deepEqual(openInChild(dir), { ok: true });
    });
  });
});
