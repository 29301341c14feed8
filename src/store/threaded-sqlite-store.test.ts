import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStoreContract } from '../../test/store-contract.ts';
import { ThreadedSqliteStore } from './threaded-sqlite-store.ts';

const base = mkdtempSync(join(tmpdir(), 'souk-threaded-store-'));
after(() => rmSync(base, { recursive: true, force: true }));
let dirCount = 0;

runStoreContract('sqlite with a writer thread', async () => {
  const dir = join(base, `store-${++dirCount}`);
  let current = await ThreadedSqliteStore.open(dir);
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await ThreadedSqliteStore.open(dir);
      return current;
    },
    cleanup: async () => {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('ThreadedSqliteStore', () => {
  it('commits writes in call order even when they are not awaited one by one', async () => {
    const store = await ThreadedSqliteStore.open(join(base, 'ordering'));
    try {
      const writes = [];
      for (let i = 0; i < 50; i++) {
        writes.push(store.upsert([{ id: `p${i % 5}`, title: `version ${i}` }]));
        if (i % 7 === 0) writes.push(store.delete([`p${i % 5}`]));
      }
      const outcomes = await Promise.all(writes);
      const seqs = outcomes.map((outcome) => outcome.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        'seqs follow call order',
      );
      for (let k = 0; k < 5; k++) {
        const last = [...Array(50).keys()].filter((i) => i % 5 === k).pop()!;
        const deletedLast = last % 7 === 0;
        assert.equal((await store.get(`p${k}`))?.title, deletedLast ? undefined : `version ${last}`);
      }
    } finally {
      await store.close();
    }
  });

  it('reports the products a batch changed by returning the caller’s objects', async () => {
    const store = await ThreadedSqliteStore.open(join(base, 'identity'));
    try {
      const products = [
        { id: 'a', title: 'Alpha' },
        { id: 'b', title: 'Beta' },
      ];
      const first = await store.upsert(products);
      assert.equal(first.changed[0], products[0]);
      const second = await store.upsert([products[0]!, { id: 'b', title: 'Beta 2' }]);
      assert.equal(second.unchanged, 1);
      assert.deepEqual(
        second.changed.map((p) => p.title),
        ['Beta 2'],
      );
    } finally {
      await store.close();
    }
  });
});
