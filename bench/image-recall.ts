/**
 * Image→product retrieval on the Luma catalogue (`examples/luma`): each product is represented by the
 * vector of its primary photo (`image`, else `images[0]`); every other photo of every product is a query,
 * and a hit is the query's own product among the top 10 by cosine over all products that have a photo.
 * Colour variants of one product appear among its photos, so this rewards shape and layout, not only
 * colour.
 *
 *   node --import tsx bench/image-recall.ts
 *
 * Prints a markdown table on stdout; progress goes to stderr.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dot, embedderKey, type ImageEmbedder } from '../src/embed/embedder.ts';

export const LUMA_DIR = fileURLToPath(new URL('../examples/luma/', import.meta.url));

export interface LumaPhotoSet {
  productId: string;
  /** Absolute path of the photo that represents the product. */
  primary: string;
  /** Absolute paths of the product's other photos, the queries. */
  others: string[];
}

/** Products of the Luma catalogue that have at least one photo, in file order. */
export function loadLumaPhotoSets(dir: string = LUMA_DIR): LumaPhotoSet[] {
  const lines = readFileSync(path.join(dir, 'products.jsonl'), 'utf8').split('\n');
  const sets: LumaPhotoSet[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const product = JSON.parse(line) as { id: string; image?: string; images?: string[] };
    const images = product.images ?? [];
    const primary = product.image ?? images[0];
    if (primary === undefined) continue;
    const others = [...new Set(images.filter((image) => image !== primary))];
    sets.push({
      productId: product.id,
      primary: path.join(dir, primary),
      others: others.map((image) => path.join(dir, image)),
    });
  }
  return sets;
}

export interface ImageRecallResult {
  products: number;
  queries: number;
  recallAt1: number;
  recallAt10: number;
  mrrAt10: number;
  /** Wall time of embedding divided by the number of photos embedded (decode included). */
  msPerImage: number;
  /** The rank (1-based) of the right product for each query, in set and photo order. */
  ranks: number[];
}

/**
 * Scores ready-made vectors: `productVectors[i]` for `sets[i]`, `queryVectors[i][j]` for
 * `sets[i].others[j]`.
 */
export function scoreImageRecall(
  productVectors: readonly Float32Array[],
  queryVectors: readonly (readonly Float32Array[])[],
): Omit<ImageRecallResult, 'msPerImage'> {
  const ranks: number[] = [];
  for (let owner = 0; owner < queryVectors.length; owner++) {
    for (const query of queryVectors[owner]!) {
      const own = dot(query, productVectors[owner]!);
      let rank = 1;
      for (let other = 0; other < productVectors.length; other++) {
        // Ties count against the query, so a constant embedder scores as badly as it deserves.
        if (other !== owner && dot(query, productVectors[other]!) >= own) rank++;
      }
      ranks.push(rank);
    }
  }
  const queries = ranks.length;
  const share = (test: (rank: number) => boolean): number =>
    queries === 0 ? 0 : ranks.filter(test).length / queries;
  const mrrAt10 = queries === 0 ? 0 : ranks.reduce((sum, r) => sum + (r <= 10 ? 1 / r : 0), 0) / queries;
  return {
    products: productVectors.length,
    queries,
    recallAt1: share((r) => r === 1),
    recallAt10: share((r) => r <= 10),
    mrrAt10,
    ranks,
  };
}

export async function measureLumaImageRecall(
  embedder: ImageEmbedder,
  options: { dir?: string; batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<ImageRecallResult> {
  const sets = loadLumaPhotoSets(options.dir);
  const files = sets.flatMap((set) => [set.primary, ...set.others]);
  const batchSize = options.batchSize ?? 16;
  const vectors = new Map<string, Float32Array>();
  let embedMs = 0;
  for (let start = 0; start < files.length; start += batchSize) {
    const batch = files.slice(start, start + batchSize);
    const bytes = await Promise.all(batch.map((file) => readFile(file)));
    const began = performance.now();
    const embedded = await embedder.embedImages(bytes);
    embedMs += performance.now() - began;
    batch.forEach((file, i) => vectors.set(file, embedded[i]!));
    options.onProgress?.(Math.min(files.length, start + batchSize), files.length);
  }
  const scored = scoreImageRecall(
    sets.map((set) => vectors.get(set.primary)!),
    sets.map((set) => set.others.map((file) => vectors.get(file)!)),
  );
  return { ...scored, msPerImage: files.length === 0 ? 0 : embedMs / files.length };
}

export function formatImageRecall(embedder: ImageEmbedder, result: ImageRecallResult): string {
  const f = (x: number): string => x.toFixed(3);
  return [
    `Luma image→product retrieval (${result.products} products, primary photo indexed, other photos as queries)`,
    '',
    '| embedder | queries | Recall@1 | Recall@10 | MRR@10 | ms per image |',
    '|---|---|---|---|---|---|',
    `| ${embedderKey(embedder.id)} | ${result.queries} | ${f(result.recallAt1)} | ${f(result.recallAt10)} | ${f(result.mrrAt10)} | ${result.msPerImage.toFixed(2)} |`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { createVisualDescriptorEmbedder } = await import('../src/embed/visual-descriptor.ts');
  const embedder = createVisualDescriptorEmbedder();
  try {
    const result = await measureLumaImageRecall(embedder, {
      onProgress: (done, total) => process.stderr.write(`\rembedded ${done}/${total} photos`),
    });
    process.stderr.write('\n');
    console.log(formatImageRecall(embedder, result));
  } finally {
    await embedder.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
