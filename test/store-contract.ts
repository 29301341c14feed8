/**
 * The behaviour every Store must have, run against each implementation (memory and SQLite) so they cannot
 * drift apart. `makeStore` returns a fresh, empty store; `reopen`, when the store is durable, closes it and
 * opens the same data again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSoukError } from '../src/errors.ts';
import type { Store } from '../src/store/store.ts';
import type { FeedbackRecord, Product } from '../src/types.ts';

export interface StoreHarness {
  store: Store;
  /** Closes `store` and opens the same data again (durable stores only). */
  reopen?: () => Promise<Store>;
  cleanup?: () => Promise<void>;
}

function product(id: string, extra: Partial<Product> = {}): Product {
  return { id, title: `Product ${id}`, ...extra };
}

const T0 = Date.UTC(2026, 0, 1);

function event(productId: string, extra: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return { type: 'click', query: 'hoodie', productId, at: T0, ...extra };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSoukError(error), `expected SoukError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a rejection with ${code}`);
}

async function collect(iterable: AsyncIterable<Product[]>): Promise<Product[][]> {
  const batches: Product[][] = [];
  for await (const batch of iterable) batches.push(batch);
  return batches;
}

export function runStoreContract(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    const withStore = (title: string, body: (store: Store, harness: StoreHarness) => Promise<void>) =>
      it(title, async () => {
        const harness = await makeStore();
        try {
          await body(harness.store, harness);
        } finally {
          await harness.store.close().catch(() => undefined);
          await harness.cleanup?.();
        }
      });

    withStore('starts empty', async (store) => {
      assert.equal(await store.count(), 0);
      assert.equal(await store.lastSeq(), 0);
      assert.deepEqual(await store.changesSince(0), []);
      assert.deepEqual(await collect(store.scan()), []);
      assert.equal(await store.get('x'), undefined);
      assert.equal(await store.getMeta('schema_version'), '1');
      assert.equal(typeof store.kind, 'string');
      assert.equal(await store.feedbackCount(), 0);
      assert.deepEqual(await store.feedbackSince(0), []);
    });

    withStore('appends feedback in order, numbered apart from the change log', async (store) => {
      await store.upsert([product('a')]);
      const first = await store.appendFeedback([
        event('a', { type: 'impression', position: 1, userId: 'u1', sessionId: 's1' }),
        event('a', { position: 1, userId: 'u1', sessionId: 's1', at: T0 + 1 }),
      ]);
      assert.deepEqual(first, { seq: 2, count: 2 });
      const second = await store.appendFeedback([event('missing-product', { type: 'purchase', query: '' })]);
      assert.deepEqual(second, { seq: 3, count: 1 });
      assert.deepEqual(await store.appendFeedback([]), { seq: 3, count: 0 });
      assert.equal(await store.feedbackCount(), 3);
      assert.equal(await store.lastSeq(), 1, 'feedback is not a product change');
      const all = await store.feedbackSince(0);
      assert.deepEqual(all, [
        {
          seq: 1,
          type: 'impression',
          query: 'hoodie',
          productId: 'a',
          position: 1,
          userId: 'u1',
          sessionId: 's1',
          at: T0,
        },
        {
          seq: 2,
          type: 'click',
          query: 'hoodie',
          productId: 'a',
          position: 1,
          userId: 'u1',
          sessionId: 's1',
          at: T0 + 1,
        },
        { seq: 3, type: 'purchase', query: '', productId: 'missing-product', at: T0 },
      ]);
      assert.deepEqual(Object.keys(all[0]!), [
        'seq',
        'type',
        'query',
        'productId',
        'position',
        'userId',
        'sessionId',
        'at',
      ]);
      assert.deepEqual(
        (await store.feedbackSince(1, 1)).map((e) => e.seq),
        [2],
      );
      assert.deepEqual(await store.feedbackSince(3), []);
      assert.deepEqual(await store.feedbackSince(0, 0), []);
      await rejectsWith(store.feedbackSince(-1), 'INVALID_REQUEST');
      await rejectsWith(store.feedbackSince(0, -1), 'INVALID_REQUEST');
    });

    withStore('refuses feedback the log could not hold, writing none of the batch', async (store) => {
      const bad: unknown[] = [
        { ...event('a'), type: 'like' },
        { ...event('a'), productId: '' },
        { ...event('a'), query: undefined },
        { ...event('a'), at: 'yesterday' },
        { ...event('a'), position: 0 },
        { ...event('a'), userId: 7 },
      ];
      for (const item of bad) {
        await rejectsWith(store.appendFeedback([event('ok'), item as FeedbackRecord]), 'INVALID_FIELD');
      }
      assert.equal(await store.feedbackCount(), 0);
      const extra = { ...event('a'), extra: 'dropped' } as FeedbackRecord;
      await store.appendFeedback([extra]);
      assert.deepEqual(await store.feedbackSince(0), [{ seq: 1, ...event('a') }]);
    });

    withStore('upserts products and logs one change per written product', async (store) => {
      const outcome = await store.upsert([product('a', { price: 1 }), product('b')]);
      assert.equal(outcome.seq, 2);
      assert.equal(outcome.unchanged, 0);
      assert.deepEqual(
        outcome.changed.map((p) => p.id),
        ['a', 'b'],
      );
      assert.deepEqual(await store.get('a'), product('a', { price: 1 }));
      assert.equal(await store.count(), 2);
      assert.equal(await store.lastSeq(), 2);
      assert.deepEqual(await store.changesSince(0), [
        { seq: 1, op: 'upsert', id: 'a', product: product('a', { price: 1 }) },
        { seq: 2, op: 'upsert', id: 'b', product: product('b') },
      ]);
    });

    withStore('skips products whose content is unchanged, whatever their key order', async (store) => {
      await store.upsert([product('a', { attributes: { x: 1, y: 'z' }, price: 2 })]);
      const same = { price: 2, attributes: { y: 'z', x: 1 }, title: 'Product a', id: 'a' } as Product;
      const outcome = await store.upsert([same, product('b')]);
      assert.equal(outcome.unchanged, 1);
      assert.deepEqual(
        outcome.changed.map((p) => p.id),
        ['b'],
      );
      assert.equal(outcome.seq, 2);
      const again = await store.upsert([same]);
      assert.deepEqual(again, { seq: 2, changed: [], unchanged: 1 });
      assert.equal((await store.changesSince(0)).length, 2);

      const changed = await store.upsert([product('a', { attributes: { x: 1, y: 'z' }, price: 3 })]);
      assert.equal(changed.seq, 3);
      assert.equal((await store.get('a'))!.price, 3);
    });

    withStore('stores only schema fields and treats a repeated id in one batch in order', async (store) => {
      const withExtra = { ...product('a'), extra: 'dropped' } as Product;
      await store.upsert([withExtra, product('a', { price: 5 }), product('a', { price: 5 })]);
      assert.deepEqual(await store.get('a'), product('a', { price: 5 }));
      assert.deepEqual(
        (await store.changesSince(0)).map((c) => c.seq),
        [1, 2],
      );
    });

    withStore('returns copies: mutating a result does not change the store', async (store) => {
      const input = product('a', { category: ['A'] });
      await store.upsert([input]);
      input.category!.push('mutated');
      const got = (await store.get('a'))!;
      got.title = 'changed';
      assert.deepEqual(await store.get('a'), product('a', { category: ['A'] }));
    });

    withStore('rejects a product without a usable id', async (store) => {
      await rejectsWith(store.upsert([{ title: 'no id' } as Product]), 'INVALID_FIELD');
      await rejectsWith(store.upsert([product('')]), 'INVALID_FIELD');
      assert.equal(await store.count(), 0);
      assert.equal(await store.lastSeq(), 0);
    });

    withStore('an empty upsert writes nothing and reports the last seq', async (store) => {
      await store.upsert([product('a')]);
      assert.deepEqual(await store.upsert([]), { seq: 1, changed: [], unchanged: 0 });
    });

    withStore('getMany preserves order, duplicates and missing ids', async (store) => {
      await store.upsert([product('a'), product('b'), product('c')]);
      const got = await store.getMany(['c', 'missing', 'a', 'c']);
      assert.deepEqual(
        got.map((p) => p?.id),
        ['c', undefined, 'a', 'c'],
      );
      assert.deepEqual(await store.getMany([]), []);
      const many = Array.from({ length: 150 }, (_, i) => product(`m${i}`));
      await store.upsert(many);
      const ids = many.map((p) => p.id).reverse();
      assert.deepEqual(
        (await store.getMany(ids)).map((p) => p?.id),
        ids,
      );
    });

    withStore('scan returns every product in insertion order, in batches', async (store) => {
      await store.upsert(['a', 'b', 'c', 'd', 'e'].map((id) => product(id)));
      await store.upsert([product('b', { price: 1 })]);
      await store.delete(['c']);
      await store.upsert([product('c')]);
      const batches = await collect(store.scan(2));
      assert.deepEqual(
        batches.map((batch) => batch.map((p) => p.id)),
        [['a', 'b'], ['d', 'e'], ['c']],
      );
      assert.equal(batches[0]![1]!.price, 1);
      assert.deepEqual(
        (await collect(store.scan())).map((batch) => batch.length),
        [5],
      );
      await rejectsWith(collect(store.scan(0)), 'INVALID_REQUEST');
    });

    withStore('patch replaces fields, removes with null, merges attributes', async (store) => {
      await store.upsert([
        product('a', {
          brand: 'Acme',
          price: 10,
          attributes: { color: 'red', size: ['S'] },
          category: ['X'],
        }),
      ]);
      const outcome = await store.patch([
        { id: 'a', patch: { price: '12.5', brand: null, attributes: { color: null, material: 'wool' } } },
      ]);
      const expected = product('a', {
        price: 12.5,
        attributes: { material: 'wool', size: ['S'] },
        category: ['X'],
      });
      assert.deepEqual(outcome, { seq: 2, products: [expected] });
      assert.deepEqual(await store.get('a'), expected);
      const [, change] = await store.changesSince(0);
      assert.deepEqual(change, { seq: 2, op: 'patch', id: 'a', product: expected });
    });

    withStore('patch is all-or-nothing', async (store) => {
      await store.upsert([product('a'), product('b')]);
      await rejectsWith(
        store.patch([
          { id: 'a', patch: { price: 1 } },
          { id: 'missing', patch: { price: 2 } },
        ]),
        'PRODUCT_NOT_FOUND',
      );
      const invalid = await rejectsWith(
        store.patch([
          { id: 'a', patch: { price: 1 } },
          { id: 'b', patch: { title: null } },
        ]),
        'INVALID_FIELD',
      );
      assert.match(invalid.message, /"title" cannot be removed/);
      await rejectsWith(store.patch([{ id: 'a', patch: { rating: 9 } }]), 'INVALID_FIELD');
      await rejectsWith(store.patch([{ id: 'a', patch: { prise: 1 } }]), 'INVALID_FIELD');
      await rejectsWith(store.patch([{ id: 'a', patch: { id: 'b' } }]), 'INVALID_FIELD');
      assert.deepEqual(await store.get('a'), product('a'));
      assert.equal(await store.lastSeq(), 2);
    });

    withStore('patch applies repeated ids in order and skips no-op patches', async (store) => {
      await store.upsert([product('a', { price: 1 })]);
      const outcome = await store.patch([
        { id: 'a', patch: { price: 2 } },
        { id: 'a', patch: { rating: 4 } },
        { id: 'a', patch: { price: 2 } },
      ]);
      assert.equal(outcome.seq, 3);
      assert.deepEqual(outcome.products[2], product('a', { price: 2, rating: 4 }));
      assert.deepEqual(
        (await store.changesSince(1)).map((c) => [c.seq, c.op]),
        [
          [2, 'patch'],
          [3, 'patch'],
        ],
      );
      const noop = await store.patch([{ id: 'a', patch: { price: 2 } }]);
      assert.equal(noop.seq, 3);
      assert.equal(await store.lastSeq(), 3);
    });

    withStore('delete logs only ids that existed', async (store) => {
      await store.upsert([product('a'), product('b')]);
      const outcome = await store.delete(['a', 'missing', 'a']);
      assert.deepEqual(outcome, { seq: 3, deleted: ['a'] });
      assert.equal(await store.get('a'), undefined);
      assert.equal(await store.count(), 1);
      assert.deepEqual((await store.changesSince(2))[0], { seq: 3, op: 'delete', id: 'a' });
      assert.deepEqual(await store.delete(['missing']), { seq: 3, deleted: [] });
      await store.upsert([product('a')]);
      assert.equal(await store.lastSeq(), 4);
    });

    withStore('changesSince pages by seq and limit', async (store) => {
      for (let i = 0; i < 10; i++) await store.upsert([product(`p${i}`)]);
      assert.deepEqual(
        (await store.changesSince(3, 4)).map((c) => c.seq),
        [4, 5, 6, 7],
      );
      assert.deepEqual(await store.changesSince(10), []);
      assert.deepEqual(await store.changesSince(0, 0), []);
      assert.equal((await store.changesSince(0)).length, 10);
      await rejectsWith(store.changesSince(-1), 'INVALID_REQUEST');
    });

    withStore('pruneChanges drops old entries but never reuses seqs', async (store) => {
      for (let i = 0; i < 5; i++) await store.upsert([product(`p${i}`)]);
      assert.equal(await store.pruneChanges(3), 3);
      assert.deepEqual(
        (await store.changesSince(3)).map((c) => c.seq),
        [4, 5],
      );
      await rejectsWith(store.changesSince(2), 'SNAPSHOT_INVALID');
      assert.equal(await store.lastSeq(), 5);
      assert.equal(await store.getMeta('changes_pruned_through'), '3');
      await store.pruneChanges(5);
      assert.deepEqual(await store.changesSince(5), []);
      assert.equal((await store.upsert([product('new')])).seq, 6);
      assert.equal(await store.pruneChanges(1), 0);
      assert.equal(await store.getMeta('changes_pruned_through'), '5');
    });

    withStore('meta round-trips and protects the keys the store maintains', async (store) => {
      assert.equal(await store.getMeta('k'), undefined);
      await store.setMeta('k', 'v1');
      await store.setMeta('k', 'v2');
      assert.equal(await store.getMeta('k'), 'v2');
      await rejectsWith(store.setMeta('schema_version', '9'), 'INVALID_REQUEST');
      await rejectsWith(store.setMeta('changes_pruned_through', '9'), 'INVALID_REQUEST');
      await rejectsWith(store.setMeta('store_id', 'x'), 'INVALID_REQUEST');
      assert.equal(await store.lastSeq(), 0, 'meta writes are not product changes');
    });

    withStore('snapshots round-trip and are replaced atomically', async (store) => {
      assert.equal(await store.readSnapshot('index'), undefined);
      const data = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
      await store.writeSnapshot('index', 42, data);
      const read = await store.readSnapshot('index');
      assert.equal(read!.seq, 42);
      assert.deepEqual(Buffer.from(read!.data), Buffer.from(data));
      data[0] = 99;
      assert.notEqual(read!.data[0], 99, 'the stored snapshot is a copy');
      await store.writeSnapshot('index', 43, new Uint8Array([1, 2, 3]));
      const replaced = await store.readSnapshot('index');
      assert.equal(replaced!.seq, 43);
      assert.deepEqual([...replaced!.data], [1, 2, 3]);
      const buffer = Buffer.from([5, 6, 7]);
      await store.writeSnapshot('buffer', 1, buffer);
      buffer[0] = 0;
      assert.deepEqual([...(await store.readSnapshot('buffer'))!.data], [5, 6, 7], 'a Buffer is copied too');
      await store.writeSnapshot('empty', 0, new Uint8Array());
      assert.equal((await store.readSnapshot('empty'))!.data.length, 0);
      for (const bad of ['../x', 'a/b', '', '.hidden']) {
        await rejectsWith(store.writeSnapshot(bad, 1, data), 'INVALID_REQUEST');
        await rejectsWith(store.readSnapshot(bad), 'INVALID_REQUEST');
      }
      await rejectsWith(store.writeSnapshot('index', -1, data), 'INVALID_REQUEST');
    });

    withStore('every call after close is ENGINE_CLOSED; closing again is harmless', async (store) => {
      await store.upsert([product('a')]);
      await store.close();
      await store.close();
      const calls: Array<() => Promise<unknown>> = [
        () => store.upsert([product('b')]),
        () => store.patch([{ id: 'a', patch: { price: 1 } }]),
        () => store.delete(['a']),
        () => store.get('a'),
        () => store.getMany(['a']),
        () => store.count(),
        () => collect(store.scan()),
        () => store.changesSince(0),
        () => store.pruneChanges(0),
        () => store.lastSeq(),
        () => store.getMeta('k'),
        () => store.setMeta('k', 'v'),
        () => store.writeSnapshot('s', 1, new Uint8Array(1)),
        () => store.readSnapshot('s'),
        () => store.getEmbeddings('m', ['h']),
        () => store.putEmbeddings('m', [{ hash: 'h', vector: new Float32Array(2) }]),
        () => store.getImageTexts('r', ['h']),
        () => store.putImageTexts('r', [{ hash: 'h', text: 't' }]),
        () => store.appendFeedback([event('a')]),
        () => store.feedbackSince(0),
        () => store.feedbackCount(),
      ];
      for (const call of calls) await rejectsWith(call(), 'ENGINE_CLOSED');
    });

    withStore('caches embeddings by embedder and content hash, apart from the change log', async (store) => {
      const a = Float32Array.from([0.6, 0.8, 0]);
      const b = Float32Array.from([0, -1, 0.25]);
      await store.putEmbeddings('m1', [
        { hash: 'h1', vector: a },
        { hash: 'h2', vector: b },
      ]);
      a[0] = 99; // the store keeps its own copy
      const [first, missing, second] = await store.getEmbeddings('m1', ['h1', 'nope', 'h2']);
      assert.deepEqual(
        first && [...first],
        [0.6, 0.8, 0].map((x) => Math.fround(x)),
      );
      assert.equal(missing, undefined);
      assert.deepEqual(second && [...second], [0, -1, 0.25]);
      assert.deepEqual(await store.getEmbeddings('m2', ['h1']), [undefined], 'other embedders do not see it');
      await store.putEmbeddings('m1', [{ hash: 'h1', vector: Float32Array.from([1, 0, 0]) }]);
      assert.deepEqual([...(await store.getEmbeddings('m1', ['h1']))[0]!], [1, 0, 0], 'replaced');
      assert.equal(await store.lastSeq(), 0, 'no change-log entries');
    });

    withStore('caches text read from images by reader and image hash', async (store) => {
      await store.putImageTexts('ocr:1', [
        { hash: 'img1', text: '纯棉短袖T恤\nSALE 50%' },
        { hash: 'img2', text: '' },
      ]);
      assert.deepEqual(await store.getImageTexts('ocr:1', ['img2', 'nope', 'img1']), [
        '',
        undefined,
        '纯棉短袖T恤\nSALE 50%',
      ]);
      assert.deepEqual(await store.getImageTexts('ocr:2', ['img1']), [undefined]);
      assert.equal(await store.lastSeq(), 0);
    });

    withStore('a scan interrupted by close stops with ENGINE_CLOSED', async (store) => {
      await store.upsert(Array.from({ length: 5 }, (_, i) => product(`p${i}`)));
      const iterator = store.scan(2)[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).done, false);
      await store.close();
      await rejectsWith(iterator.next(), 'ENGINE_CLOSED');
    });

    it('keeps data, meta, snapshots and a monotonic seq across reopen (durable stores)', async (t) => {
      const harness = await makeStore();
      if (!harness.reopen) {
        await harness.store.close();
        await harness.cleanup?.();
        t.diagnostic(`${name} is not durable: nothing to reopen`);
        return;
      }
      let store = harness.store;
      try {
        await store.upsert([product('a', { price: 1 }), product('b')]);
        await store.patch([{ id: 'a', patch: { price: 2 } }]);
        await store.delete(['b']);
        await store.setMeta('k', 'v');
        await store.writeSnapshot('index', 3, new Uint8Array([9]));
        await store.putEmbeddings('m', [{ hash: 'h', vector: Float32Array.from([0.5, 0.25]) }]);
        await store.appendFeedback([event('a', { position: 2 }), event('b', { type: 'impression' })]);
        store = await harness.reopen();
        assert.equal(await store.feedbackCount(), 2);
        assert.deepEqual(await store.feedbackSince(1), [{ seq: 2, ...event('b', { type: 'impression' }) }]);
        assert.deepEqual(await store.appendFeedback([event('c')]), { seq: 3, count: 1 });
        assert.deepEqual([...(await store.getEmbeddings('m', ['h']))[0]!], [0.5, 0.25]);
        assert.deepEqual(await store.get('a'), product('a', { price: 2 }));
        assert.equal(await store.get('b'), undefined);
        assert.equal(await store.count(), 1);
        assert.equal(await store.lastSeq(), 4);
        assert.equal(await store.getMeta('k'), 'v');
        assert.deepEqual(await store.readSnapshot('index'), { seq: 3, data: new Uint8Array([9]) });
        assert.deepEqual(
          (await store.changesSince(0)).map((c) => [c.seq, c.op, c.id]),
          [
            [1, 'upsert', 'a'],
            [2, 'upsert', 'b'],
            [3, 'patch', 'a'],
            [4, 'delete', 'b'],
          ],
        );
        // Deleting everything and pruning the whole log must not let seqs restart.
        await store.delete(['a']);
        await store.pruneChanges(5);
        store = await harness.reopen();
        assert.equal(await store.lastSeq(), 5);
        assert.equal((await store.upsert([product('c')])).seq, 6);
        assert.equal((await store.upsert([product('c')])).unchanged, 1, 'hashes survive reopen');
      } finally {
        await store.close().catch(() => undefined);
        await harness.cleanup?.();
      }
    });
  });
}
