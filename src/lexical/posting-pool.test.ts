import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PostingPool } from './posting-pool.ts';

function postingsOf(pool: PostingPool, term: number): Array<[number, number[]]> {
  const out: Array<[number, number[]]> = [];
  pool.forEachBlock(term, (start, n) => {
    for (let slot = start; slot < start + n; slot++) {
      const F = pool.fields;
      out.push([pool.docs[slot]!, Array.from(pool.tfs.subarray(slot * F, (slot + 1) * F))]);
    }
  });
  return out;
}

describe('PostingPool', () => {
  it('keeps interleaved appends of many terms in order across block boundaries', () => {
    const pool = new PostingPool(2);
    const expected = new Map<number, Array<[number, number[]]>>();
    for (let doc = 0; doc < 5000; doc++) {
      for (const term of [doc % 7, 7 + (doc % 3), 20]) {
        const tfs = Uint8Array.of(doc % 256, term);
        pool.append(term, doc, tfs, 0);
        if (!expected.has(term)) expected.set(term, []);
        expected.get(term)!.push([doc, [doc % 256, term]]);
      }
    }
    for (const [term, postings] of expected) {
      assert.equal(pool.length(term), postings.length);
      assert.deepEqual(postingsOf(pool, term), postings);
    }
    assert.equal(pool.length(99), 0);
  });

  it('appendRun lays postings out exactly as one append per posting', () => {
    const F = 2;
    const lengths = [0, 1, 2, 3, 5, 6, 7, 100, 40_000, 3];
    const total = lengths.reduce((a, b) => a + b, 0);
    const docs = Int32Array.from({ length: total }, (_, i) => i * 3 + 1);
    const tfs = Uint8Array.from({ length: total * F }, (_, i) => i % 251);
    const one = new PostingPool(F);
    const run = new PostingPool(F);
    let offset = 0;
    lengths.forEach((length, term) => {
      for (let i = offset; i < offset + length; i++) one.append(term, docs[i]!, tfs, i * F);
      // Split into two runs, so a run may also continue a term's partly filled block.
      const half = Math.floor(length / 3);
      run.appendRun(term, docs, tfs, offset, half);
      run.appendRun(term, docs, tfs, offset + half, length - half);
      offset += length;
    });
    // Appending after a run continues the same chain.
    one.append(8, 7, Uint8Array.of(9, 9), 0);
    run.append(8, 7, Uint8Array.of(9, 9), 0);
    lengths.forEach((_, term) => {
      assert.equal(run.length(term), one.length(term));
      assert.deepEqual(postingsOf(run, term), postingsOf(one, term));
    });
    assert.ok(run.slotsUsed < one.slotsUsed, 'runs fill exact blocks where appends double');
  });

  it('a run into an empty term takes one block of exactly its postings, and appends continue after it', () => {
    const F = 3;
    const lengths = [0, 1, 2, 3, 17, 5000, 70_000];
    const total = lengths.reduce((a, b) => a + b, 0);
    const docs = Int32Array.from({ length: total }, (_, i) => i);
    const tfs = Uint8Array.from({ length: total * F }, (_, i) => (i * 7) % 256);
    const pool = new PostingPool(F);
    const slots = lengths.reduce((sum, length) => sum + PostingPool.slotsForRun(length), 0);
    pool.reserve(slots);
    let offset = 0;
    lengths.forEach((length, term) => {
      pool.appendRun(term, docs, tfs, offset, length);
      offset += length;
    });
    assert.equal(pool.slotsUsed, slots);
    assert.equal(pool.docs.length, slots, 'reserve allocates exactly');
    assert.equal(pool.firstBlockCapacity(5), 5000);
    for (let extra = 0; extra < 20_000; extra++) pool.append(5, total + extra, Uint8Array.of(1, 2, 3), 0);
    const postings = postingsOf(pool, 5);
    assert.equal(postings.length, 25_000);
    assert.deepEqual(
      postings.map(([doc]) => doc),
      [...Array(5000).keys()].map((i) => i + 23).concat([...Array(20_000).keys()].map((i) => total + i)),
    );
    assert.deepEqual(postings[4999]![1], [...tfs.subarray((23 + 4999) * F, (23 + 5000) * F)]);
  });

  it('compacts away dropped documents and renumbers the rest', () => {
    const pool = new PostingPool(2);
    for (let doc = 0; doc < 100; doc++) pool.append(doc % 2, doc, Uint8Array.of(1, doc), 0);
    const mapping = new Int32Array(100).map((_, doc) => (doc % 3 === 0 ? -1 : doc - Math.floor(doc / 3) - 1));
    const compacted = pool.compact(2, mapping);
    const kept = [...Array(100).keys()].filter((doc) => doc % 3 !== 0);
    for (const term of [0, 1]) {
      const expected = kept.filter((doc) => doc % 2 === term).map((doc) => [mapping[doc]!, [1, doc]]);
      assert.deepEqual(postingsOf(compacted, term), expected);
    }
  });
});
