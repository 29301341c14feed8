import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { productContentHash } from '../catalog/product-schema.ts';
import type { CatalogRecord } from '../catalog/read-catalog.ts';
import { createEngine } from '../engine.ts';
import type { LineError, Product } from '../types.ts';
import { CatalogDiffer, diffCatalog, plannedProducts } from './catalog-diff.ts';
import { applyDiff, readExport, storedHashes } from './file-feed.ts';

const temp = mkdtempSync(join(tmpdir(), 'souk-catalog-diff-'));
after(() => rmSync(temp, { recursive: true, force: true }));

let line = 0;
const ok = (product: Product): CatalogRecord => ({ line: ++line, product, errors: [] });
const bad = (id?: string): CatalogRecord => {
  const error: LineError = { code: 'INVALID_FIELD', message: 'bad', line: ++line, field: 'price' };
  if (id !== undefined) error.id = id;
  return { line, errors: [error] };
};
const p = (id: string, title: string, price = 10): Product => ({ id, title, price });
const knownOf = (...products: Product[]) => new Map(products.map((x) => [x.id, productContentHash(x)]));

describe('CatalogDiffer', () => {
  const stored = knownOf(p('a', 'Lamp'), p('b', 'Chair'), p('c', 'Desk'));

  it('sorts records into added, changed, unchanged and deleted by content hash', async () => {
    const diff = await diffCatalog(
      [[ok(p('a', 'Lamp')), ok(p('b', 'Chair', 12))], ok(p('d', 'Sofa'))],
      stored,
    );
    assert.deepEqual(
      diff.upserts.map((u) => [u.id, u.added]),
      [
        ['b', false],
        ['d', true],
      ],
    );
    assert.deepEqual([diff.added, diff.changed, diff.unchanged, diff.rejected], [1, 1, 1, 0]);
    assert.deepEqual(diff.deletes, ['c']);
    assert.equal(diff.heldBack, 0);
    assert.deepEqual(plannedProducts(diff.upserts)[0], p('b', 'Chair', 12));
    // The planned hash is the one the store would compute.
    assert.equal(diff.upserts[0]?.hash, productContentHash(p('b', 'Chair', 12)));
  });

  it('ignores key order and unknown fields, as the canonical hash does', async () => {
    const reordered = { price: 10, title: 'Lamp', id: 'a', extra: 1 } as unknown as Product;
    const diff = await diffCatalog([ok(reordered), ok(p('b', 'Chair')), ok(p('c', 'Desk'))], stored);
    assert.deepEqual([diff.upserts.length, diff.unchanged, diff.deletes.length], [0, 3, 0]);
  });

  it('keeps a product whose line became bad: not updated, not deleted', async () => {
    const diff = await diffCatalog([ok(p('a', 'Lamp')), bad('b')], stored);
    assert.deepEqual(diff.kept, ['b']);
    assert.deepEqual(diff.deletes, ['c']);
    assert.equal(diff.rejected, 1);
    assert.equal(diff.errors[0]?.field, 'price');
  });

  it('deletes nothing when a bad line has no readable id', async () => {
    const diff = await diffCatalog([ok(p('a', 'Lamp')), bad()], stored);
    assert.deepEqual(diff.deletes, []);
    assert.equal(diff.heldBack, 2);
    assert.match(diff.heldBackReason ?? '', /no readable id/);
    assert.ok(diff.warnings.some((w) => /2 product\(s\) missing from the export were not deleted/.test(w)));
  });

  it('deletes nothing when a file could not be read or the export is empty', async () => {
    const differ = new CatalogDiffer(stored);
    differ.add(ok(p('a', 'Lamp')));
    differ.fileError({ code: 'INVALID_CSV', message: 'no id column', file: 'b.csv' });
    const unreadable = differ.finish();
    assert.deepEqual([unreadable.deletes.length, unreadable.heldBack], [0, 2]);
    assert.equal(unreadable.errors[0]?.code, 'INVALID_CSV');

    const empty = await diffCatalog([], stored);
    assert.deepEqual([empty.deletes.length, empty.heldBack], [0, 3]);
    assert.match(empty.heldBackReason ?? '', /no product at all/);
    // An empty export against an empty store is no cause for a warning.
    assert.deepEqual((await diffCatalog([], new Map())).warnings, []);
  });

  it('never deletes without deleteMissing (append-only feeds)', async () => {
    const diff = await diffCatalog([ok(p('d', 'Sofa'))], stored, { deleteMissing: false });
    assert.deepEqual([diff.deletes.length, diff.heldBack, diff.added], [0, 0, 1]);
    assert.deepEqual(diff.warnings, []);
  });

  it('takes a repeated id from its later record and warns with both places', async () => {
    const differ = new CatalogDiffer(stored);
    differ.add({ line: 4, product: p('a', 'Lamp', 99), errors: [] }, '/x/1-first.jsonl');
    differ.add({ line: 2, product: p('e', 'Rug'), errors: [] }, '/x/1-first.jsonl');
    differ.add({ line: 7, product: p('a', 'Lamp'), errors: [] }, '/x/2-second.csv');
    const diff = differ.finish();
    // The later record equals the stored product: unchanged, and the earlier change is not written.
    assert.deepEqual(
      diff.upserts.map((u) => u.id),
      ['e'],
    );
    assert.equal(diff.unchanged, 1);
    assert.equal(diff.duplicates, 1);
    assert.deepEqual(diff.warnings.slice(0, 1), [
      'product "a" appears at 1-first.jsonl:4 and at 2-second.csv:7; 2-second.csv:7 wins',
    ]);
  });

  it('orders upserts by the latest record of each id', async () => {
    const diff = await diffCatalog(
      [ok(p('x', 'One')), ok(p('y', 'Two')), ok(p('x', 'One again'))],
      new Map(),
    );
    assert.deepEqual(
      diff.upserts.map((u) => [u.id, JSON.parse(u.body).title]),
      [
        ['y', 'Two'],
        ['x', 'One again'],
      ],
    );
  });
});

describe('file feed', () => {
  it('applies a diff so that the next read of the same export finds everything unchanged', async () => {
    const file = join(temp, 'feed.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ id: 'a', title: 'Lamp', attributes: { z: 1, a: ['Red'] }, image: 'img/a.jpg' }),
        JSON.stringify({ id: 'b', title: '  Chair ', price: 5 }),
        '',
      ].join('\n'),
    );
    const engine = await createEngine({ dataDir: null });
    try {
      const known = await storedHashes(engine);
      const first = await readExport(file, known);
      assert.equal(first.status, 'ok');
      if (first.status !== 'ok') return;
      assert.equal(first.diff.added, 2);
      const applied = await applyDiff(engine, first.diff, known, { batchSize: 1 });
      assert.deepEqual(applied, { written: 2, deleted: 0, complete: true });
      // The map kept in memory equals the hashes of what the engine stored.
      assert.deepEqual(await storedHashes(engine), known);
      const second = await readExport(file, known);
      assert.equal(second.status, 'ok');
      if (second.status === 'ok')
        assert.deepEqual([second.diff.upserts.length, second.diff.unchanged], [0, 2]);
    } finally {
      await engine.close();
    }
  });

  it('does not read a file that ends in mid-line unless told it has settled', async () => {
    const file = join(temp, 'cut.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'a', title: 'Lamp' }) + '\n{"id": "b", "ti');
    const known = knownOf(p('z', 'Old'));
    const outcome = await readExport(file, known);
    assert.equal(outcome.status, 'unstable');
    if (outcome.status === 'unstable') assert.equal(outcome.unterminated, true);
    const settled = await readExport(file, known, { acceptUnterminated: true });
    assert.equal(settled.status, 'ok');
    // The cut line has no readable id: nothing is deleted.
    if (settled.status === 'ok')
      assert.deepEqual([settled.diff.deletes.length, settled.diff.rejected], [0, 1]);
  });

  it('reports a directory file that cannot be read as an error and deletes nothing', async () => {
    const dir = join(temp, 'dir');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.jsonl'), JSON.stringify({ id: 'a', title: 'Lamp' }) + '\n');
    writeFileSync(join(dir, 'b.csv'), 'name,price\nChair,5\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a catalogue\n');
    const outcome = await readExport(dir, knownOf(p('z', 'Old')));
    assert.equal(outcome.status, 'ok');
    if (outcome.status !== 'ok') return;
    assert.deepEqual(
      outcome.state.files.map((f) => f.file.slice(dir.length + 1)),
      ['a.jsonl', 'b.csv'],
    );
    assert.equal(outcome.diff.errors[0]?.code, 'INVALID_CSV');
    assert.deepEqual([outcome.diff.added, outcome.diff.deletes.length, outcome.diff.heldBack], [1, 0, 1]);
  });
});
