/**
 * The PostgreSQL store against a real server (test/helpers/postgres-server.ts): the Store contract every
 * store obeys, then what only a shared store promises — writers in several processes get gap-free,
 * commit-ordered seqs, and watchers hear of every commit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSoukError } from '../src/errors.ts';
import { PostgresStore } from '../src/store/postgres-store.ts';
import type { StoreEvent } from '../src/store/store.ts';
import { startPostgres, type PostgresServer } from './helpers/postgres-server.ts';
import { runStoreContract } from './store-contract.ts';

let server: PostgresServer | undefined;
const snapshots = mkdtempSync(join(tmpdir(), 'souk-pg-snapshots-'));

before(async (t) => {
  server = await startPostgres(t as never);
});
after(async () => {
  await server?.stop();
  rmSync(snapshots, { recursive: true, force: true });
});

function open(schema: string, snapshotDir: string | null = null): Promise<PostgresStore> {
  return PostgresStore.open({ url: server!.url, schema, snapshotDir });
}

runStoreContract('postgres', async () => {
  if (!server) throw new Error('PostgreSQL is not available');
  const schema = server.schema();
  const dir = join(snapshots, schema);
  let current = await open(schema, dir);
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await open(schema, dir);
      return current;
    },
    cleanup: async () => {
      await current.close();
      await server!.admin(`DROP SCHEMA "${schema}" CASCADE`);
    },
  };
});

describe('PostgreSQL store: shared by several writers', () => {
  it('concurrent writers get gap-free seqs, committed in seq order', async () => {
    const schema = server!.schema();
    const writers = await Promise.all([open(schema), open(schema), open(schema)]);
    try {
      const rounds = 20;
      await Promise.all(
        writers.map(async (store, w) => {
          for (let i = 0; i < rounds; i++) {
            const id = `w${w}-${i}`;
            await store.upsert([
              { id, title: `product ${id}` },
              { id: `${id}-b`, title: 'second' },
            ]);
            if (i % 5 === 4) await store.patch([{ id, patch: { price: i } }]);
            if (i % 7 === 6) await store.delete([`${id}-b`]);
          }
        }),
      );
      const reader = writers[0]!;
      const changes = await reader.changesSince(0);
      assert.deepEqual(
        changes.map((c) => c.seq),
        changes.map((_, i) => i + 1),
        'no gaps, no duplicates',
      );
      assert.equal(await reader.lastSeq(), changes.length);
      // Each writer's own batch is contiguous: a batch is one transaction holding the counter.
      const firsts = changes.filter((c) => c.op === 'upsert' && !c.id.endsWith('-b'));
      for (const first of firsts) {
        assert.equal(changes[first.seq]?.id, `${first.id}-b`, `batch of ${first.id} is contiguous`);
      }
      // Replaying the log reproduces the table.
      const state = new Map<string, unknown>();
      for (const change of changes) {
        if (change.op === 'delete') state.delete(change.id);
        else state.set(change.id, change.product);
      }
      assert.equal(await reader.count(), state.size);
      const stored = await reader.getMany([...state.keys()]);
      assert.deepEqual(stored, [...state.values()]);
    } finally {
      await Promise.all(writers.map((store) => store.close()));
      await server!.admin(`DROP SCHEMA "${schema}" CASCADE`);
    }
  });

  it('watchers hear of commits by any writer, and only of their own schema', async () => {
    const schema = server!.schema();
    const other = server!.schema();
    const [a, b, c] = await Promise.all([open(schema), open(schema), open(other)]);
    try {
      const heard: StoreEvent[] = [];
      const unwatch = a.watch((event) => heard.push(event));
      await new Promise((r) => setTimeout(r, 200)); // LISTEN is set up asynchronously
      await b.upsert([{ id: 'x', title: 'X' }]);
      await b.appendFeedback([{ type: 'click', query: 'x', productId: 'x', at: Date.now() }]);
      await b.setMeta('rules', '{}');
      await c.upsert([{ id: 'y', title: 'Y' }]);
      const deadline = Date.now() + 5000;
      while (heard.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(heard, [
        { kind: 'connected' },
        { kind: 'changes', seq: 1 },
        { kind: 'feedback', seq: 1 },
        { kind: 'meta', key: 'rules' },
      ]);
      unwatch();
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
      await server!.admin(`DROP SCHEMA "${schema}" CASCADE`);
      await server!.admin(`DROP SCHEMA "${other}" CASCADE`);
    }
  });

  it('an unreachable database is STORE_UNAVAILABLE naming it, without the password', async () => {
    try {
      await PostgresStore.open({ url: 'postgres://souk:secret@127.0.0.1:1/souk' });
      assert.fail('expected a failure');
    } catch (error) {
      assert.ok(isSoukError(error));
      assert.equal(error.code, 'STORE_UNAVAILABLE', error.message);
      assert.match(error.message, /127\.0\.0\.1:1\/souk/);
      assert.doesNotMatch(error.message, /secret/);
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await assert.rejects(open('bad"; DROP TABLE x; --'), (error: unknown) => {
      return isSoukError(error) && error.code === 'INVALID_REQUEST';
    });
  });
});
