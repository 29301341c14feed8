/**
 * Child process of test/streamed-ingest.test.ts, run under a small `--max-old-space-size`.
 *
 * `ingest <file> <dataDir> <batchSize>`: a keyword-only engine with a real data dir (SQLite store)
 * ingests the file through `engine.ingest`; prints `{ loaded, rejected, products, heapMb, peakHeapMb }`.
 *
 * `hold <file>`: the control — reads the same file with the same streaming reader but keeps every
 * product, as a loader that is not streaming would. Under the same limit it must run out of heap.
 */
import { getHeapStatistics } from 'node:v8';
import { readCatalogBatches } from '../src/catalog/read-catalog.ts';
import { createEngine } from '../src/engine.ts';
import type { Product } from '../src/types.ts';

const [mode, file, dataDir, batchSizeArgument] = process.argv.slice(2);
if (!file || (mode !== 'ingest' && mode !== 'hold')) {
  throw new Error('usage: streamed-ingest-child.ts ingest <file> <dataDir> <batchSize> | hold <file>');
}

let peakHeap = 0;
const sample = (): void => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};

if (mode === 'hold') {
  const held: Product[] = [];
  for await (const records of readCatalogBatches(file)) {
    for (const record of records) if (record.product) held.push(record.product);
  }
  process.stdout.write(`${JSON.stringify({ held: held.length })}\n`);
} else {
  const engine = await createEngine({
    dataDir: dataDir!,
    embedding: { text: { provider: 'none' }, image: { provider: 'none' } },
  });
  const report = await engine.ingest(file, {
    batchSize: Number(batchSizeArgument),
    onProgress: sample,
  });
  const stats = await engine.stats();
  await engine.close();
  process.stdout.write(
    `${JSON.stringify({
      loaded: report.loaded,
      rejected: report.rejected,
      products: stats.products,
      heapLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20,
      peakHeapMb: peakHeap / 2 ** 20,
    })}\n`,
  );
}
