import { hashHex } from '../catalog/product-schema.ts';
import { grow } from '../lexical/growable.ts';

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/**
 * Per key, a 64-bit fingerprint of the identity of an input ('' = none): enough to tell whether a
 * product's input changed, in 8 bytes instead of a 64-character hash string (at 1M products the strings
 * took ~70 MB of heap per vector space, and as much again in every snapshot). The fingerprint is the first 64
 * bits of the identity's SHA-256 (an identity that is a SHA-256 hex digest already is used as is). Text
 * identities are SHA-1 digests and are hashed once more: snapshots hold fingerprints made that way, so
 * taking their bits directly would re-queue every saved vector. Two different inputs of one product
 * collide with probability 2^-64.
 */
export class InputIdentities {
  /** Two words per key: high and low half of the fingerprint; 0, 0 means none. */
  private words: Int32Array;

  constructor(words?: Int32Array) {
    this.words = words ?? new Int32Array(2048);
  }

  /** Fingerprints of an identities list as a snapshot of an earlier version kept it (strings). */
  static fromStrings(identities: readonly string[]): InputIdentities {
    const table = new InputIdentities(new Int32Array(Math.max(2048, 2 * identities.length)));
    identities.forEach((identity, key) => table.set(key, identity));
    return table;
  }

  set(key: number, identity: string): void {
    if (2 * key + 1 >= this.words.length) this.words = grow(this.words, 2 * key + 2);
    fingerprintInto(identity, this.words, 2 * key);
  }

  /** This key's fingerprint copied from the same key of another table. */
  copy(key: number, from: InputIdentities): void {
    if (2 * key + 1 >= this.words.length) this.words = grow(this.words, 2 * key + 2);
    this.words[2 * key] = from.word(2 * key);
    this.words[2 * key + 1] = from.word(2 * key + 1);
  }

  clear(key: number): void {
    if (2 * key + 1 < this.words.length) this.words[2 * key] = this.words[2 * key + 1] = 0;
  }

  isSet(key: number): boolean {
    return this.word(2 * key) !== 0 || this.word(2 * key + 1) !== 0;
  }

  /** Whether the key holds this identity ('' matches an unset key). */
  holds(key: number, identity: string): boolean {
    fingerprintInto(identity, scratch, 0);
    return this.word(2 * key) === scratch[0] && this.word(2 * key + 1) === scratch[1];
  }

  /** Whether both tables hold the same fingerprint for the key. */
  sameAs(key: number, other: InputIdentities): boolean {
    return this.word(2 * key) === other.word(2 * key) && this.word(2 * key + 1) === other.word(2 * key + 1);
  }

  /** Keys with an identity, in order. */
  *setKeys(): Generator<number> {
    for (let key = 0; 2 * key + 1 < this.words.length; key++) if (this.isSet(key)) yield key;
  }

  /** The fingerprints up to the last key that has one, for a snapshot. */
  serialize(): Int32Array {
    let end = this.words.length;
    while (end > 0 && this.words[end - 1] === 0 && this.words[end - 2] === 0) end -= 2;
    return this.words.slice(0, end);
  }

  private word(at: number): number {
    return at < this.words.length ? this.words[at]! : 0;
  }
}

const scratch = new Int32Array(2);

function fingerprintInto(identity: string, out: Int32Array, at: number): void {
  if (identity === '') {
    out[at] = out[at + 1] = 0;
    return;
  }
  const hex = identity.length === 64 && HEX_DIGEST.test(identity) ? identity : hashHex('sha256', identity);
  out[at] = Number.parseInt(hex.slice(0, 8), 16) | 0;
  // Never 0, 0: that is "none".
  out[at + 1] = Number.parseInt(hex.slice(8, 16), 16) | 0 || 1;
}
