/**
 * The word-hash text embedder of test/helpers/word-hash-embedder.ts (bag of words hashed into `dims`
 * buckets, the same synonym table, unit length) without its call log, which at a million products would
 * hold every title in memory and inflate the RSS being measured. Deterministic and cheap (~1 µs per
 * title), so a scale benchmark measures the index, not a model. Its vectors are sparse (one bucket per
 * distinct word), unlike a sentence encoder's; graph quality on them is a property of this embedder.
 */
import type { EmbedderId, TextEmbedder } from '../src/embed/embedder.ts';
import { wordHashVector } from '../test/helpers/word-hash-embedder.ts';

/** One text's vector (the same function the embedder applies to each text). */
export function hashEmbed(text: string, dims: number): Float32Array {
  const vector = wordHashVector(text, dims);
  // A text without a Latin word still needs a direction (a zero vector has no cosine).
  if (!vector.some((x) => x !== 0)) vector[0] = 1;
  return vector;
}

export function createHashEmbedder(dims = 256): TextEmbedder {
  const id: EmbedderId = { provider: 'bench', model: 'word-hash', version: '1', dims };
  return {
    id,
    multilingual: false,
    async embed(texts) {
      return texts.map((text) => hashEmbed(text, dims));
    },
    async close() {},
  };
}
