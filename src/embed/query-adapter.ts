import { createHash } from 'node:crypto';
import { SoukError } from '../errors.ts';
import type { TrainingPair, TrainingPairOptions, TrainingPairSummary } from '../eval/training-pairs.ts';
import type { Store } from '../store/store.ts';
import {
  trainAdapter,
  type AdapterExample,
  type AdapterTrainingOptions,
  type AdapterTrainingReport,
} from '../vector/embedding-adapter.ts';
import type { TextEmbedder } from './embedder.ts';

/**
 * The query adapter of a text model (see vector/embedding-adapter.ts), kept in the store's metadata under
 * `adapter:<embedder key>`: it belongs to the model that made the vectors it was trained on, and another
 * model (or another version of it) never sees it.
 */
export interface QueryAdapter {
  embedder: string;
  dims: number;
  /** d×d, row-major. */
  weights: Float32Array;
  /** Short content hash: query vectors are cached per adapter. */
  tag: string;
  trainedAt: string;
  examples: number;
}

const META_PREFIX = 'adapter:';
const FORMAT = 1;

export function adapterMetaKey(embedderKey: string): string {
  return META_PREFIX + embedderKey;
}

function tagOf(weights: Float32Array): string {
  const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  return createHash('sha1').update(bytes).digest('hex').slice(0, 12);
}

/** The stored adapter of a model, or undefined (none, removed, or unreadable). */
export async function readQueryAdapter(store: Store, embedderKey: string): Promise<QueryAdapter | undefined> {
  const raw = await store.getMeta(adapterMetaKey(embedderKey));
  if (!raw) return undefined;
  try {
    const stored = JSON.parse(raw) as {
      format: number;
      embedder: string;
      dims: number;
      weights: string;
      trainedAt: string;
      examples: number;
    };
    if (stored.format !== FORMAT || stored.embedder !== embedderKey) return undefined;
    const bytes = Buffer.from(stored.weights, 'base64');
    if (bytes.byteLength !== stored.dims * stored.dims * 4) return undefined;
    const weights = new Float32Array(stored.dims * stored.dims);
    new Uint8Array(weights.buffer).set(bytes);
    return {
      embedder: embedderKey,
      dims: stored.dims,
      weights,
      tag: tagOf(weights),
      trainedAt: stored.trainedAt,
      examples: stored.examples,
    };
  } catch {
    return undefined;
  }
}

export async function writeQueryAdapter(
  store: Store,
  adapter: Omit<QueryAdapter, 'tag'>,
): Promise<QueryAdapter> {
  const { weights } = adapter;
  const value = JSON.stringify({
    format: FORMAT,
    embedder: adapter.embedder,
    dims: adapter.dims,
    trainedAt: adapter.trainedAt,
    examples: adapter.examples,
    weights: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).toString('base64'),
  });
  await store.setMeta(adapterMetaKey(adapter.embedder), value);
  return { ...adapter, tag: tagOf(weights) };
}

/** Removes a model's adapter (the store has no delete for metadata: an empty value means none). */
export async function removeQueryAdapter(store: Store, embedderKey: string): Promise<boolean> {
  const had = (await store.getMeta(adapterMetaKey(embedderKey))) ?? '';
  if (had === '') return false;
  await store.setMeta(adapterMetaKey(embedderKey), '');
  return true;
}

export interface TrainAdapterProgress {
  /** `pairs`: mining hard negatives; `queries`: embedding the queries; `training`: epochs. */
  phase: 'pairs' | 'queries' | 'training';
  done: number;
  total: number;
  epoch?: number | undefined;
  /** Training: true at the end of each epoch. */
  epochDone?: boolean | undefined;
  trainLoss?: number | undefined;
  validationLoss?: number | undefined;
}

export interface TrainAdapterOptions
  extends
    Omit<AdapterTrainingOptions, 'onProgress'>,
    Pick<TrainingPairOptions, 'relevantGrade' | 'negatives' | 'mode' | 'depth'> {
  onProgress?: ((progress: TrainAdapterProgress) => void) | undefined;
}

/** Pairs with product ids (`withIds`), or judged queries from which the engine makes them itself. */
export type AdapterTrainingInput =
  | { pairs: readonly TrainingPair[] }
  | {
      queries: ReadonlyMap<string, string>;
      qrels: ReadonlyMap<string, ReadonlyMap<string, number>>;
    };

export interface AdapterReport extends AdapterTrainingReport {
  embedder: string;
  /** Pairs given (or made), queries among them, pairs left out because their product has no vector. */
  pairs: number;
  queries: number;
  skippedPairs: number;
  /** When the engine made the pairs from judged queries. */
  pairSummary?: TrainingPairSummary | undefined;
}

export interface AdapterTrainingContext {
  embedder: TextEmbedder;
  embedderKey: string;
  /** What the engine embeds for a query (an English-only model gets the dictionary's rendering of Chinese). */
  queryText(q: string): string;
  /** A product's stored text vector and a stable number for it (its product key), when it has one. */
  productVector(id: string): { item: number; vector: Float32Array } | undefined;
}

const QUERY_BATCH = 64;

/** Embeds the pairs' queries, looks up their products' stored vectors and trains the map. */
export async function trainQueryAdapter(
  context: AdapterTrainingContext,
  pairs: readonly TrainingPair[],
  options: TrainAdapterOptions = {},
): Promise<{ adapter: Omit<QueryAdapter, 'tag'>; report: AdapterReport }> {
  const dims = context.embedder.id.dims;
  const vectors = new Map<string, { item: number; vector: Float32Array } | undefined>();
  const vectorOf = (id: string): { item: number; vector: Float32Array } | undefined => {
    if (!vectors.has(id)) vectors.set(id, context.productVector(id));
    return vectors.get(id);
  };
  const groups = new Map<string, number>();
  const usable: Array<{ pair: TrainingPair; group: number }> = [];
  let skippedPairs = 0;
  for (const pair of pairs) {
    if (pair.positiveId === undefined) {
      throw new SoukError('INVALID_REQUEST', 'adapter training pairs need product ids (withIds)', {
        field: 'pairs',
      });
    }
    const groupKey = pair.qid ?? pair.query;
    let group = groups.get(groupKey);
    if (group === undefined) groups.set(groupKey, (group = groups.size));
    if (vectorOf(pair.positiveId)?.vector.length !== dims) skippedPairs++;
    else usable.push({ pair, group });
  }
  // One vector per distinct query text, embedded in batches.
  const texts = [...new Set(usable.map(({ pair }) => context.queryText(pair.query)))];
  const queryVectors = new Map<string, Float32Array>();
  for (let start = 0; start < texts.length; start += QUERY_BATCH) {
    const batch = texts.slice(start, start + QUERY_BATCH);
    const embedded = await context.embedder.embed(batch, 'query');
    batch.forEach((text, i) => queryVectors.set(text, embedded[i]!));
    options.onProgress?.({
      phase: 'queries',
      done: Math.min(texts.length, start + QUERY_BATCH),
      total: texts.length,
    });
  }
  const examples: AdapterExample[] = usable.map(({ pair, group }) => {
    const positive = vectorOf(pair.positiveId!)!;
    const negatives: Float32Array[] = [];
    for (const id of pair.negativeIds ?? []) {
      const negative = vectorOf(id);
      if (negative && negative.vector.length === dims && negative.item !== positive.item) {
        negatives.push(negative.vector);
      }
    }
    return {
      query: queryVectors.get(context.queryText(pair.query))!,
      positive: positive.vector,
      negatives,
      group,
      item: positive.item,
    };
  });
  if (examples.length === 0) {
    throw new SoukError(
      'INVALID_REQUEST',
      'no training pair has a product with a text vector (run souk embed first?)',
      { field: 'pairs' },
    );
  }
  const { onProgress, ...training } = options;
  const { weights, report } = await trainAdapter(examples, dims, {
    ...training,
    onProgress: onProgress
      ? (p) =>
          onProgress({
            phase: 'training',
            done: (p.epoch - 1) * p.batches + p.batch,
            total: p.epochs * p.batches,
            epoch: p.epoch,
            epochDone: p.epochDone,
            trainLoss: p.trainLoss,
            validationLoss: p.validationLoss,
          })
      : undefined,
  });
  return {
    adapter: {
      embedder: context.embedderKey,
      dims,
      weights,
      trainedAt: new Date().toISOString(),
      examples: report.trainExamples,
    },
    report: {
      ...report,
      embedder: context.embedderKey,
      pairs: pairs.length,
      queries: groups.size,
      skippedPairs,
    },
  };
}
