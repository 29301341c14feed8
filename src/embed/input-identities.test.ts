import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { InputIdentities } from './input-identities.ts';
import { textContentHash } from './product-inputs.ts';

test('input identities tell equal inputs from changed ones, for hashes and for paths', () => {
  const have = new InputIdentities();
  const wanted = new InputIdentities();
  const red = textContentHash('red hoodie');
  wanted.set(5000, red);
  assert.equal(wanted.isSet(5000), true);
  assert.equal(wanted.isSet(4999), false);
  assert.equal(have.sameAs(5000, wanted), false);
  have.copy(5000, wanted);
  assert.equal(have.sameAs(5000, wanted), true);
  assert.equal(have.holds(5000, red), true);
  assert.equal(have.holds(5000, textContentHash('blue hoodie')), false);
  wanted.set(7, 'images/hoodie.jpg');
  assert.equal(wanted.holds(7, 'images/hoodie.jpg'), true);
  assert.equal(wanted.holds(7, 'images/hoodie.png'), false);
  assert.equal(wanted.holds(8, ''), true, 'an unset key holds the empty identity');
  wanted.clear(5000);
  assert.equal(wanted.isSet(5000), false);
  assert.deepEqual([...wanted.setKeys()], [7]);
});

test('input identities survive a snapshot, and snapshots that kept strings still load', () => {
  const table = new InputIdentities();
  const hashes = ['a', 'b', 'c'].map(textContentHash);
  hashes.forEach((hash, key) => table.set(key * 3, hash));
  const restored = new InputIdentities(table.serialize());
  assert.equal(table.serialize().length, 2 * 7, 'trailing keys without an identity are not written');
  hashes.forEach((hash, key) => assert.equal(restored.holds(key * 3, hash), true));
  assert.equal(restored.isSet(1), false);
  const fromStrings = InputIdentities.fromStrings([hashes[0]!, '', 'photos/1.jpg']);
  assert.equal(fromStrings.holds(0, hashes[0]!), true);
  assert.equal(fromStrings.isSet(1), false);
  assert.equal(fromStrings.holds(2, 'photos/1.jpg'), true);
  assert.equal(fromStrings.sameAs(0, restored), true);
});

test('fingerprints stay those saved snapshots hold: the first 64 bits of the identity’s SHA-256', () => {
  const table = new InputIdentities();
  const text = textContentHash('red hoodie');
  table.set(0, text);
  table.set(1, 'images/hoodie.jpg');
  table.set(2, 'ff'.repeat(32));
  const expected = (hex: string): number[] => [
    Number.parseInt(hex.slice(0, 8), 16) | 0,
    Number.parseInt(hex.slice(8, 16), 16) | 0 || 1,
  ];
  const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
  assert.deepEqual(
    [...table.serialize()],
    [...expected(sha256(text)), ...expected(sha256('images/hoodie.jpg')), ...expected('ff'.repeat(32))],
  );
});
