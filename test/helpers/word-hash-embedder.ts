import { normalizeInPlace, type EmbedderId, type TextEmbedder } from '../../src/embed/embedder.ts';

/**
 * A small, deterministic text embedder for engine tests: a bag of words hashed into `dims` buckets, with
 * a synonym table so that words the lexical index cannot connect ("couch" / "sofa") land on the same
 * bucket, as a real sentence encoder would place them near each other. It counts its calls, so tests can
 * assert what was (not) embedded.
 */
export interface WordHashEmbedder extends TextEmbedder {
  readonly calls: string[][];
}

// A Map, not an object: `constructor` or `toString` in a title must not find Object's methods.
const SYNONYMS = new Map<string, string>(
  Object.entries({
    couch: 'sofa',
    settee: 'sofa',
    sneakers: 'shoe',
    trainers: 'shoe',
    shoes: 'shoe',
    kettle: 'teapot',
    hoodie: 'sweatshirt',
    hooded: 'sweatshirt',
  }),
);

function bucket(word: string, dims: number): number {
  let hash = 2166136261;
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
  return (hash >>> 0) % dims;
}

/** One text's vector: its Latin words (synonyms folded) counted in hashed buckets, unit length. */
export function wordHashVector(text: string, dims: number): Float32Array {
  const vector = new Float32Array(dims);
  for (const raw of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    vector[bucket(SYNONYMS.get(raw) ?? raw, dims)]! += 1;
  }
  return normalizeInPlace(vector);
}

export function createWordHashEmbedder(options: { dims?: number; version?: string } = {}): WordHashEmbedder {
  const dims = options.dims ?? 256;
  const id: EmbedderId = { provider: 'test', model: 'word-hash', version: options.version ?? '1', dims };
  const calls: string[][] = [];
  let closed = false;
  return {
    id,
    multilingual: false,
    calls,
    async embed(texts) {
      if (closed) throw new Error('closed');
      calls.push([...texts]);
      return texts.map((text) => wordHashVector(text, dims));
    },
    async close() {
      closed = true;
    },
  };
}
