/**
 * `souk export-pairs` and `souk train-adapter` as real processes on a tiny catalogue with hand-made
 * judgments. export-pairs runs in keyword mode (no model is loaded); train-adapter uses the offline
 * USE-Lite model.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { productEmbeddingText } from '../src/embed/product-inputs.ts';
import type { Product } from '../src/types.ts';
import { runCli } from './helpers/cli-process.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const PRODUCTS: Product[] = [
  {
    id: 'S1',
    title: 'Leather sofa',
    brand: 'Nordic',
    category: ['Home', 'Sofas'],
    attributes: { color: 'Brown' },
  },
  { id: 'S2', title: 'Velvet sofa bed', brand: 'Nordic', category: ['Home', 'Sofas'] },
  { id: 'S3', title: 'Corner sofa with chaise', brand: 'Comfy', category: ['Home', 'Sofas'] },
  { id: 'S4', title: 'Sofa cover, stretch fabric', brand: 'Comfy', category: ['Home', 'Textiles'] },
  { id: 'S5', title: 'Sofa table, oak', brand: 'Woodline', category: ['Home', 'Tables'] },
  { id: 'T1', title: 'Oak coffee table', brand: 'Woodline', category: ['Home', 'Tables'] },
  { id: 'T2', title: 'Glass coffee table', brand: 'Woodline', category: ['Home', 'Tables'] },
  { id: 'T3', title: 'Coffee grinder, steel', brand: 'Kitchenly', category: ['Home', 'Kitchen'] },
  { id: 'T4', title: 'Coffee mug set', brand: 'Kitchenly', category: ['Home', 'Kitchen'] },
  { id: 'R1', title: 'Running shoe, mesh', brand: 'Acme', category: ['Sport', 'Shoes'] },
  { id: 'R2', title: 'Trail running shoe', brand: 'Acme', category: ['Sport', 'Shoes'] },
  { id: 'R3', title: 'Running socks, 3 pairs', brand: 'Acme', category: ['Sport', 'Socks'] },
];

// q1: S3 is relevant too but graded 1 (partly relevant: neither positive nor negative at grade 2).
const QUERIES = 'q1\tsofa\nq2\tcoffee table\nq3\trunning shoe\nq4\tlamp\nq5\tunjudged query\n';
const QRELS = [
  'q1 0 S1 3',
  'q1 0 S2 2',
  'q1 0 S3 1',
  'q1 0 S4 0',
  'q1 0 GONE 3',
  'q2 0 T1 2',
  'q2 0 T2 2',
  'q2 0 T3 0',
  'q3 0 R1 2',
  'q3 0 R3 0',
  'q4 0 T1 0',
].join('\n');

interface Line {
  query: string;
  positive: string;
  negatives: string[];
  qid?: string;
  positiveId?: string;
  negativeIds?: string[];
}

let work: string;
let dataDir: string;
const textOf = new Map(PRODUCTS.map((product) => [product.id, productEmbeddingText(product)]));
const grades = new Map<string, Map<string, number>>();
for (const line of QRELS.split('\n')) {
  const [qid, , id, grade] = line.split(' ');
  if (!grades.has(qid!)) grades.set(qid!, new Map());
  grades.get(qid!)!.set(id!, Number(grade));
}

before(async () => {
  work = await makeTempDir('souk-pairs-');
  dataDir = join(work, 'data');
  await writeFile(join(work, 'products.jsonl'), PRODUCTS.map((p) => JSON.stringify(p)).join('\n') + '\n');
  await writeFile(join(work, 'queries.tsv'), QUERIES);
  await writeFile(join(work, 'qrels.txt'), QRELS + '\n');
  const ingest = await runCli(['ingest', join(work, 'products.jsonl'), '--data', dataDir]);
  assert.equal(ingest.code, 0, ingest.stderr);
});

after(async () => {
  await removeTempDir(work);
});

const judgmentArgs = () => ['--queries', join(work, 'queries.tsv'), '--qrels', join(work, 'qrels.txt')];

describe('souk export-pairs', () => {
  it('writes one line per relevant product with hard negatives that are never judged relevant', async () => {
    const out = join(work, 'pairs.jsonl');
    const args = ['export-pairs', '--data', dataDir, ...judgmentArgs(), '--mode', 'keyword'];
    const result = await runCli([
      ...args,
      '--relevant-grade',
      '2',
      '--negatives',
      '2',
      '--with-ids',
      '--out',
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^pairs 5 from 3 of 4 judged queries, negatives \d+.* \(from keyword search\); 1 relevant ids not in the catalogue → /m,
    );
    assert.match(result.stderr, /export-pairs: 4\/4 queries/);
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    assert.deepEqual(
      lines.map((line) => `${line.qid}:${line.positiveId}`),
      ['q1:S1', 'q1:S2', 'q2:T1', 'q2:T2', 'q3:R1'],
    );
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), [
        'query',
        'positive',
        'negatives',
        'qid',
        'positiveId',
        'negativeIds',
      ]);
      assert.equal(line.positive, textOf.get(line.positiveId!), 'the text the text space embeds');
      assert.ok(line.negatives.length > 0 && line.negatives.length <= 2, JSON.stringify(line));
      assert.deepEqual(
        line.negatives,
        line.negativeIds!.map((id) => textOf.get(id)),
      );
      for (const id of line.negativeIds!) {
        assert.ok((grades.get(line.qid!)!.get(id) ?? 0) <= 0, `${id} is judged relevant for ${line.qid}`);
      }
    }
    const sofa = lines.find((line) => line.positiveId === 'S1')!;
    assert.equal(sofa.query, 'sofa');
    assert.ok(!sofa.negativeIds!.includes('S3'), 'a partly relevant product is not a negative');
    assert.ok(
      sofa.negativeIds!.every((id) => ['S4', 'S5'].includes(id)),
      sofa.negativeIds!.join(),
    );
  });

  it('prints plain pairs to stdout and the summary to stderr', async () => {
    const result = await runCli(['export-pairs', '--data', dataDir, ...judgmentArgs(), '--mode', 'keyword']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    assert.equal(lines.length, 6, 'grade ≥ 1: S1, S2, S3, T1, T2, R1');
    for (const line of lines) assert.deepEqual(Object.keys(line), ['query', 'positive', 'negatives']);
    assert.match(result.stderr, /^pairs 6 from 3 of 4 judged queries/m);
  });

  it('refuses a missing data directory and bad options', async () => {
    const missing = await runCli(['export-pairs', '--data', join(work, 'nope'), ...judgmentArgs()]);
    assert.equal(missing.code, 66, missing.stderr);
    const bad = await runCli(['export-pairs', '--data', dataDir, ...judgmentArgs(), '--mode', 'image']);
    assert.equal(bad.code, 2, bad.stderr);
  });
});

describe('souk train-adapter', () => {
  it('trains on the judged queries, reports the holdout before and after, and removes the adapter', async () => {
    const embed = await runCli(['embed', '--data', dataDir, '--spaces', 'text']);
    assert.equal(embed.code, 0, embed.stderr);
    const args = [
      'train-adapter',
      '--data',
      dataDir,
      ...judgmentArgs(),
      '--holdout',
      '0.25',
      '--epochs',
      '3',
    ];
    const result = await runCli([...args, '--json'], { timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as {
      report: { embedder: string; pairs: number; epochs: number };
      holdout: { queries: number; before: { 'ndcg@10': number }; after: { 'ndcg@10': number } };
    };
    assert.match(output.report.embedder, /^use-lite:/);
    assert.ok(output.report.pairs > 0 && output.report.epochs >= 1);
    assert.equal(output.holdout.queries, 1, 'a quarter of the four judged queries');
    assert.equal(typeof output.holdout.before['ndcg@10'], 'number');
    assert.equal(typeof output.holdout.after['ndcg@10'], 'number');
    assert.match(result.stderr, /epoch 1: train loss/);

    const removed = await runCli(['train-adapter', '--data', dataDir, '--remove']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'removed the query adapter\n');
    const again = await runCli(['train-adapter', '--data', dataDir, '--remove']);
    assert.equal(again.stdout, 'no query adapter to remove\n');
    const usage = await runCli(['train-adapter', '--data', dataDir]);
    assert.equal(usage.code, 2, usage.stderr);
  });
});
