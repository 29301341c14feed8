/**
 * The query adapter through the public engine API: trained from judged queries (or exported pairs with
 * ids), stored under the text model's embedder key, applied to query vectors (the query-vector cache
 * never mixes adapted and raw vectors), kept across restarts, ignored by another model, removable.
 * The deterministic word-hash embedder (a real TextEmbedder) keeps this fast.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { collectTrainingPairs } from '../src/eval/training-pairs.ts';
import type { Product, SearchResponse } from '../src/types.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';
import { createWordHashEmbedder } from './helpers/word-hash-embedder.ts';

const CATALOGUE: Product[] = [
  { id: 'p1', title: 'Leather sofa, three seats', brand: 'Nordic', category: ['Home', 'Living room'] },
  { id: 'p2', title: 'Velvet sofa bed', brand: 'Nordic', category: ['Home', 'Bedroom'] },
  { id: 'p3', title: 'Oak coffee table', brand: 'Woodline', category: ['Home', 'Living room'] },
  { id: 'p4', title: 'Running shoe, mesh', brand: 'Acme', category: ['Sport', 'Shoes'] },
  { id: 'p5', title: 'Trail shoe, waterproof', brand: 'Acme', category: ['Sport', 'Shoes'] },
  { id: 'p6', title: 'Steel teapot 1.5 L', brand: 'Kitchenly', category: ['Home', 'Kitchen'] },
  { id: 'p7', title: 'Glass teapot with infuser', brand: 'Kitchenly', category: ['Home', 'Kitchen'] },
  { id: 'p8', title: 'Walnut dining table', brand: 'Woodline', category: ['Home', 'Dining'] },
];

/** Queries in words no product uses: only a learned map can connect them to their products. */
const QUERIES = new Map([
  ['q1', 'lounge'],
  ['q2', 'lounge seating'],
  ['q3', 'jogging'],
  ['q4', 'brew'],
  ['q5', 'dinner furniture'],
]);
const QRELS = new Map([
  [
    'q1',
    new Map([
      ['p1', 2],
      ['p2', 2],
      ['p3', 0],
    ]),
  ],
  [
    'q2',
    new Map([
      ['p1', 2],
      ['p2', 1],
    ]),
  ],
  [
    'q3',
    new Map([
      ['p4', 2],
      ['p5', 2],
    ]),
  ],
  [
    'q4',
    new Map([
      ['p6', 2],
      ['p7', 2],
    ]),
  ],
  [
    'q5',
    new Map([
      ['p3', 1],
      ['p8', 2],
    ]),
  ],
]);

const TRAINING = { epochs: 40, learningRate: 0.05, temperature: 0.1, validationShare: 0, batchSize: 16 };
const noImages = { image: { provider: 'none' as const } };

let root: string;
const engines: Engine[] = [];
before(async () => {
  root = await makeTempDir('souk-adapter-');
});
after(async () => {
  for (const engine of engines) await engine.close().catch(() => undefined);
  await removeTempDir(root);
});

async function open(dataDir: string | null, version = '1', adapter?: boolean): Promise<Engine> {
  const engine = await createEngine(
    { dataDir, embedding: { ...noImages, ...(adapter === undefined ? {} : { adapter }) } },
    { textEmbedder: createWordHashEmbedder({ dims: 64, version }) },
  );
  engines.push(engine);
  return engine;
}

const semantic = (engine: Engine, q: string): Promise<SearchResponse> =>
  engine.search({ q, mode: 'semantic', limit: 8 });
const scored = (response: SearchResponse): string[] =>
  response.hits.map((hit) => `${hit.id}:${hit.score}`).sort();

describe('query adapter', () => {
  let dataDir: string;
  let raw: SearchResponse;
  let adapted: SearchResponse;

  before(async () => {
    dataDir = join(root, 'shop');
    const engine = await open(dataDir);
    await engine.upsert(CATALOGUE);
    await engine.embed();
    raw = await semantic(engine, 'lounge');
    const progress = new Set<string>();
    const report = await engine.trainAdapter(
      { queries: QUERIES, qrels: QRELS },
      { ...TRAINING, relevantGrade: 2, negatives: 2, onProgress: (p) => progress.add(p.phase) },
    );
    assert.deepEqual([...progress], ['pairs', 'queries', 'training']);
    assert.equal(report.embedder, 'test:word-hash@1/64');
    assert.equal(report.pairs, 8, 'grade-2 products of the five queries');
    assert.equal(report.queries, 5);
    assert.equal(report.skippedPairs, 0);
    assert.equal(report.pairSummary?.pairs, 8);
    const losses = report.history.map((epoch) => epoch.trainLoss);
    assert.ok(losses.at(-1)! < losses[0]! / 2, `training loss ${losses[0]} → ${losses.at(-1)}`);
    // The same query again: answered through the adapter, not from the raw vector cached above.
    adapted = await semantic(engine, 'lounge');
    await engine.close();
  });

  it('moves the query vector: the judged products rise to the top', () => {
    assert.notDeepEqual(scored(adapted), scored(raw), 'scores are cosines with the adapted query vector');
    assert.deepEqual(
      adapted.hits
        .slice(0, 2)
        .map((hit) => hit.id)
        .sort(),
      ['p1', 'p2'],
    );
  });

  it('is stored with the data and applied after a restart', async () => {
    const engine = await open(dataDir);
    assert.deepEqual(scored(await semantic(engine, 'lounge')), scored(adapted));
    await engine.close();
  });

  it('is ignored when turned off, and by another model', async () => {
    const off = await open(dataDir, '1', false);
    assert.deepEqual(scored(await semantic(off, 'lounge')), scored(raw));
    await off.close();

    // Another version of the model: other vectors (the same numbers here), no adapter.
    const other = await open(join(root, 'other'), '2');
    await other.upsert(CATALOGUE);
    await other.embed();
    assert.deepEqual(scored(await semantic(other, 'lounge')), scored(raw));
    await other.close();
  });

  it('trains from exported pairs with ids, and refuses pairs without them', async () => {
    const engine = await open(null);
    await engine.upsert(CATALOGUE);
    await engine.embed();
    const { pairs } = await collectTrainingPairs(engine, QUERIES, QRELS, { relevantGrade: 2, withIds: true });
    const report = await engine.trainAdapter({ pairs }, TRAINING);
    assert.equal(report.pairs, 8);
    assert.deepEqual(
      (await semantic(engine, 'jogging')).hits
        .slice(0, 2)
        .map((hit) => hit.id)
        .sort(),
      ['p4', 'p5'],
    );
    const withoutIds = pairs.map(({ query, positive, negatives }) => ({ query, positive, negatives }));
    await assert.rejects(engine.trainAdapter({ pairs: withoutIds }), { code: 'INVALID_REQUEST' });
  });

  it('is removed by removeAdapter', async () => {
    const engine = await open(dataDir);
    assert.equal(await engine.removeAdapter(), true);
    assert.deepEqual(scored(await semantic(engine, 'lounge')), scored(raw));
    assert.equal(await engine.removeAdapter(), false);
    await engine.close();
    const reopened = await open(dataDir);
    assert.deepEqual(scored(await semantic(reopened, 'lounge')), scored(raw));
  });
});
