import type { TextEmbedder } from './embedder.ts';

/**
 * Thrown by `QueryBatch.vector` while the batch is collecting: the search that asked stops there and is run
 * again once every query text of the batch has been embedded.
 */
export class DeferredEmbedding extends Error {
  constructor() {
    super('query embedding deferred to the batch');
    this.name = 'DeferredEmbedding';
  }
}

/**
 * The query texts of a search batch, embedded with one embedder call. A first pass runs every search; one
 * that needs a query vector not cached records its text and stops (DeferredEmbedding); the ones that need
 * none are answered then. `embedAll()` embeds the distinct recorded texts in one `embed(texts, 'query')`
 * call; the second pass reruns the deferred searches, which read their vectors from here.
 */
export class QueryBatch {
  private collecting = true;
  private readonly pending = new Set<string>();
  private embedder: TextEmbedder | undefined;
  private readonly vectors = new Map<string, Float32Array>();
  private failure: unknown;

  get size(): number {
    return this.pending.size;
  }

  /** The raw query vector of `text` (defers while collecting; embeds alone if the batch never saw it). */
  async vector(embedder: TextEmbedder, text: string): Promise<Float32Array> {
    if (this.collecting) {
      this.embedder ??= embedder;
      this.pending.add(text);
      throw new DeferredEmbedding();
    }
    const vector = this.vectors.get(text);
    if (vector) return vector;
    if (this.failure !== undefined && this.pending.has(text)) throw this.failure;
    return (await embedder.embed([text], 'query'))[0]!;
  }

  /** Ends collecting: one embedder call for every recorded text. A failure is handed to each search. */
  async embedAll(): Promise<void> {
    this.collecting = false;
    const texts = [...this.pending];
    if (texts.length === 0 || !this.embedder) return;
    try {
      const vectors = await this.embedder.embed(texts, 'query');
      texts.forEach((text, i) => {
        const vector = vectors[i];
        if (vector) this.vectors.set(text, vector);
      });
    } catch (error) {
      this.failure = error;
    }
  }
}
