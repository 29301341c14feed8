import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running the module `name` (without extension) next to `fromUrl`. In a source
 * checkout (running through tsx) the worker registers the same loader before importing its TypeScript
 * module; a built package starts the compiled `.js` module directly.
 */
export function startWorker(fromUrl: string, name: string, workerData: unknown): Worker {
  const extension = extname(fileURLToPath(fromUrl));
  const workerUrl = new URL(`./${name}${extension}`, fromUrl);
  if (extension === '.ts') {
    return new Worker(
      `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
        `.then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); })`,
      { workerData, eval: true },
    );
  }
  return new Worker(workerUrl, { workerData });
}
