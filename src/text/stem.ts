/**
 * Porter stemming with caches. Catalogue vocabulary is small and repetitive (~16k distinct words over
 * ~600k occurrences in the Home Depot titles), so each distinct word is stemmed once.
 *
 * The hot path is `internWord`: the tokenizer hashes a plain lower-case ASCII word while scanning it,
 * and the word is looked up by comparing characters in place. A hit returns the stored surface and stem
 * strings, so a repeated word costs neither a `slice` nor a `Map` lookup (which has to hash a fresh
 * string): in profiles the `Map` was the single largest cost of analysing English titles.
 */
import { stemmer } from 'stemmer';

/** FNV-1a, as the tokenizer computes it incrementally: start with `HASH_SEED`, then `hashStep` per char. */
export const HASH_SEED = 0x811c9dc5;
export function hashStep(hash: number, c: number): number {
  return Math.imul(hash ^ c, 0x01000193);
}

const TABLE_SIZE = 1 << 17;
const MAX_ENTRIES = TABLE_SIZE >> 1;
const MAX_WORD_LENGTH = 40;

let slots = new Int32Array(TABLE_SIZE).fill(-1);
let surfaces: string[] = [];
let stems: string[] = [];

function stemOrSelf(word: string): string {
  return word.length <= 2 ? word : stemmer(word);
}

/**
 * Index of the interned entry for the plain lower-case ASCII word `s[start, end)` with FNV-1a `hash`, or
 * -1 when the word is too long to intern. Read it back with `internedSurface` and `internedStem`.
 */
export function internWord(s: string, start: number, end: number, hash: number): number {
  const len = end - start;
  if (len > MAX_WORD_LENGTH) return -1;
  let slot = (hash >>> 0) & (TABLE_SIZE - 1);
  for (;;) {
    const entry = slots[slot]!;
    if (entry < 0) break;
    const surface = surfaces[entry]!;
    if (surface.length === len) {
      let k = 0;
      while (k < len && surface.charCodeAt(k) === s.charCodeAt(start + k)) k++;
      if (k === len) return entry;
    }
    slot = (slot + 1) & (TABLE_SIZE - 1);
  }
  if (surfaces.length >= MAX_ENTRIES) {
    // A full table (hostile input, or a huge vocabulary) starts over rather than growing without bound.
    slots = new Int32Array(TABLE_SIZE).fill(-1);
    surfaces = [];
    stems = [];
    return internWord(s, start, end, hash);
  }
  const surface = s.slice(start, end);
  const entry = surfaces.length;
  surfaces.push(surface);
  stems.push(stemOrSelf(surface));
  slots[slot] = entry;
  return entry;
}

export function internedSurface(entry: number): string {
  return surfaces[entry]!;
}

export function internedStem(entry: number): string {
  return stems[entry]!;
}

const cache = new Map<string, string>();

/** Porter stem of a lower-case ASCII word (the slower path, for words built from pieces). */
export function stem(word: string): string {
  const cached = cache.get(word);
  if (cached !== undefined) return cached;
  const stemmed = stemOrSelf(word);
  if (word.length <= MAX_WORD_LENGTH) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(word, stemmed);
  }
  return stemmed;
}
