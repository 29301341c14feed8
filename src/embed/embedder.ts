/**
 * What every embedding provider implements. The engine only sees these interfaces; which provider backs
 * them is chosen in config (`embedding.text.provider`, `embedding.image.provider`).
 *
 * Vectors are unit length (providers normalise), so cosine similarity is a dot product everywhere
 * downstream (vector indexes, fusion, re-scoring).
 */

/** Identifies the model that made a vector. A stored vector is reused only under the same id. */
export interface EmbedderId {
  /** `use-lite`, `transformers`, `http`, `visual`, … */
  provider: string;
  /** Model name: a hub id, a local folder's name, a server's model name, or a descriptor name. */
  model: string;
  /** Changes whenever the same inputs would give different vectors (weights, preprocessing, prefixes). */
  version: string;
  dims: number;
}

/** `provider:model@version/dims`, the key vectors are stored under. */
export function embedderKey(id: EmbedderId): string {
  return `${id.provider}:${id.model}@${id.version}/${id.dims}`;
}

/**
 * Queries and documents may be embedded differently (e5's `query: ` / `passage: ` prefixes, asymmetric
 * encoders); symmetric models ignore the kind.
 */
export type EmbedKind = 'query' | 'document';

export interface TextEmbedder {
  readonly id: EmbedderId;
  /**
   * Whether queries in one language find documents in another through this model alone. When false, the
   * engine embeds the dictionary bridge's translation of a query whose language differs from the catalogue's.
   */
  readonly multilingual: boolean;
  /** Texts waiting for the model (for metrics), when the provider queues. */
  readonly queueDepth?: number;
  /** One unit-length vector of `id.dims` numbers per text, in input order. */
  embed(texts: readonly string[], kind: EmbedKind): Promise<Float32Array[]>;
  /** Releases workers, sessions, sockets. */
  close(): Promise<void>;
}

/** Encoded image bytes (JPEG, PNG, WebP, GIF …); providers decode them. */
export type ImageBytes = Uint8Array;

export interface ImageEmbedder {
  readonly id: EmbedderId;
  /** One unit-length vector per image, in input order. Undecodable bytes reject with INVALID_IMAGE. */
  embedImages(images: readonly ImageBytes[]): Promise<Float32Array[]>;
  /**
   * Text into the same space as the images (CLIP's text tower), for text→image search. Absent for
   * descriptors that only compare pictures with pictures.
   */
  embedText?(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Text found in an image (OCR), indexed as a searchable field. */
export interface ImageTextReader {
  readonly id: EmbedderId;
  /** The text lines found in each image, in input order ('' when there is none). */
  read(images: readonly ImageBytes[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Scales a vector to unit length in place (a zero vector stays zero) and returns it. */
export function normalizeInPlace(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  if (sum === 0) return vector;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
  return vector;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) sum += a[i]! * b[i]!;
  return sum;
}
