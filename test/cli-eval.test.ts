import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli-process.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

/**
 * `souk eval` on a five-product catalogue with hand-made judgments. Every expected number below is computed
 * by hand from what keyword search returns for these queries (one match each, except "wool", where the
 * shorter title ranks first):
 *
 *   q1 beanie   → [A1]       judged A1=2, A4=1
 *   q2 wool     → [A4, A1]   judged A1=1, A4=0
 *   q3 jacket   → [A2]       judged A2=0, A3=3
 *   q4 umbrella → []         judged A5=1, GHOST=2 (GHOST is not in the catalogue)
 *   q5 hodie    → [A3]       judged A3=2 (found only through typo tolerance)
 *   q6 tote     (no judgments: skipped);  q9 (judged, no query text: skipped)
 */
const L3 = Math.log2(3);
const KEYS = [
  'ndcg@10',
  'recall@10',
  'recall@100',
  'mrr@10',
  'p@10',
  'f1@10',
  'zero_rate',
  'queries',
  'p50_ms',
  'p99_ms',
];
const METRICS = KEYS.filter((key) => !key.endsWith('_ms'));

type Result = Record<string, number>;

let work: string;
let data: string;
const paths = { queries: '', qrels: '' };

before(async () => {
  work = await makeTempDir('souk-cli-eval-');
  data = join(work, 'data');
  const products = [
    ['A1', 'Alpine Wool Beanie'],
    ['A2', 'Harbor Rain Jacket'],
    ['A3', 'Summit Fleece Hoodie'],
    ['A4', 'Wool Socks'],
    ['A5', 'Canvas Tote Bag'],
  ];
  await writeFile(
    join(work, 'products.jsonl'),
    products.map(([id, title]) => JSON.stringify({ id, title, price: 10 })).join('\n') + '\n',
  );
  paths.queries = join(work, 'queries.tsv');
  paths.qrels = join(work, 'qrels.txt');
  await writeFile(paths.queries, 'q1\tbeanie\nq2\twool\nq3\tjacket\nq4\tumbrella\nq5\thodie\nq6\ttote\n');
  await writeFile(
    paths.qrels,
    'q1 0 A1 2\nq1 0 A4 1\nq2 0 A1 1\nq2 0 A4 0\nq3 0 A2 0\nq3 0 A3 3\nq4 0 A5 1\nq4 0 GHOST 2\nq5 0 A3 2\nq9 0 A5 1\n',
  );
  const ingest = await runCli(['ingest', join(work, 'products.jsonl'), '--data', data]);
  assert.equal(ingest.code, 0, ingest.stderr);
});

after(async () => {
  await removeTempDir(work);
});

async function evalJson(...extra: string[]): Promise<{ value: unknown; stderr: string }> {
  const result = await runCli([
    'eval',
    '--data',
    data,
    '--queries',
    paths.queries,
    '--qrels',
    paths.qrels,
    '--mode',
    'keyword',
    '--json',
    ...extra,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return { value: JSON.parse(result.stdout) as unknown, stderr: result.stderr };
}

function assertMetrics(actual: Result, expected: Result): void {
  assert.deepEqual(Object.keys(actual), KEYS);
  for (const key of METRICS) {
    assert.ok(
      Math.abs(actual[key]! - expected[key]!) <= 0.00006,
      `${key}: ${actual[key]} ≠ ${expected[key]}`,
    );
  }
  assert.ok(actual.p50_ms! >= 0 && actual.p99_ms! >= actual.p50_ms!, 'latency percentiles');
}

// Per query, in order q1…q5, for the default run (relevant from grade 1).
const baseline = {
  ndcg: [2 / (2 + 1 / L3), 1 / L3, 0, 0, 1],
  recall: [1 / 2, 1, 0, 0, 1],
  mrr: [1, 1 / 2, 0, 0, 1],
  p: [0.1, 0.1, 0, 0, 0.1],
  f1: [(2 * 0.1 * 0.5) / 0.6, (2 * 0.1) / 1.1, 0, 0, (2 * 0.1) / 1.1],
  zero: [0, 0, 0, 1, 0],
};
const avg = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const summary = (q: typeof baseline): Result => ({
  'ndcg@10': avg(q.ndcg),
  'recall@10': avg(q.recall),
  'recall@100': avg(q.recall),
  'mrr@10': avg(q.mrr),
  'p@10': avg(q.p),
  'f1@10': avg(q.f1),
  zero_rate: avg(q.zero),
  queries: 5,
});

describe('souk eval', () => {
  it('prints exactly the documented JSON keys with hand-computed values', async () => {
    const { value, stderr } = await evalJson();
    // ndcg 0.4782, recall 0.5, mrr 0.5, p@10 0.06, f1 0.1061, zero rate 0.2
    assertMetrics(value as Result, summary(baseline));
    assert.equal((value as Result)['ndcg@10'], 0.4782);
    assert.equal((value as Result)['f1@10'], 0.1061);
    // Notes go to stderr with --json, so stdout stays one JSON object.
    assert.match(stderr, /1 of 6 judged products are not in the catalogue/);
  });

  it('applies --relevant-grade to recall, MRR, precision and F1 but not to NDCG', async () => {
    const { value } = await evalJson('--relevant-grade', '2');
    // Relevant now: q1 {A1}, q2 none, q3 {A3}, q4 {GHOST}, q5 {A3}.
    assertMetrics(value as Result, {
      ...summary(baseline),
      'recall@10': avg([1, 0, 0, 0, 1]),
      'recall@100': avg([1, 0, 0, 0, 1]),
      'mrr@10': avg([1, 0, 0, 0, 1]),
      'p@10': avg([0.1, 0, 0, 0, 0.1]),
      'f1@10': avg([(2 * 0.1) / 1.1, 0, 0, 0, (2 * 0.1) / 1.1]),
    });
  });

  it('--rerank-judged ranks only the judged products of each query, unmatched ones last', async () => {
    const { value } = await evalJson('--rerank-judged');
    // q1 [A1, A4]; q2 [A4, A1]; q3 [A2, A3]; q4 [A5] (nothing matches, GHOST absent); q5 [A3].
    assertMetrics(value as Result, {
      'ndcg@10': avg([1, 1 / L3, 3 / L3 / 3, 1 / (2 + 1 / L3), 1]),
      'recall@10': avg([1, 1, 1, 0.5, 1]),
      'recall@100': avg([1, 1, 1, 0.5, 1]),
      'mrr@10': avg([1, 0.5, 0.5, 1, 1]),
      'p@10': avg([0.2, 0.1, 0.1, 0.1, 0.1]),
      'f1@10': avg([
        (2 * 0.2) / 1.2,
        (2 * 0.1) / 1.1,
        (2 * 0.1) / 1.1,
        (2 * 0.1 * 0.5) / 0.6,
        (2 * 0.1) / 1.1,
      ]),
      zero_rate: 0,
      queries: 5,
    });
  });

  it('prints a readable report with notes about skipped queries and missing products', async () => {
    const result = await runCli(['eval', '-d', data, '--queries', paths.queries, '--qrels', paths.qrels]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^5 queries \(keyword mode; ranker: none applied; relevant from grade 1\)$/m);
    assert.match(result.stdout, /^ndcg@10\s+0\.4782$/m);
    assert.match(result.stdout, /^zero_rate\s+0\.2000$/m);
    assert.match(
      result.stdout,
      /^note: 1 of 6 judged products are not in the catalogue \(they count in the ideal DCG/m,
    );
    assert.match(result.stdout, /^note: 1 query in .*queries\.tsv without judgments: skipped$/m);
    assert.match(result.stdout, /^note: 1 judged query without query text: skipped$/m);
  });

  it('--compare reports both configurations, their differences and paired p-values', async () => {
    const other = join(work, 'no-typos.json');
    await writeFile(other, JSON.stringify({ name: 'no typos', search: { typos: false } }));
    const { value } = await evalJson('--compare', other);
    const comparison = value as Record<string, Record<string, number | null>>;
    assert.deepEqual(Object.keys(comparison), ['baseline', 'other', 'difference', 'p_value']);
    assertMetrics(comparison.baseline as Result, summary(baseline));
    // Without typos "hodie" finds nothing: q5 drops to 0 everywhere and becomes a zero-result query.
    const noTypos = {
      ndcg: [...baseline.ndcg.slice(0, 4), 0],
      recall: [...baseline.recall.slice(0, 4), 0],
      mrr: [...baseline.mrr.slice(0, 4), 0],
      p: [...baseline.p.slice(0, 4), 0],
      f1: [...baseline.f1.slice(0, 4), 0],
      zero: [0, 0, 0, 1, 1],
    };
    assertMetrics(comparison.other as Result, summary(noTypos));
    const difference = comparison.difference as Result;
    assert.deepEqual(Object.keys(difference), KEYS);
    assert.equal(difference['ndcg@10'], -0.2);
    assert.equal(difference['mrr@10'], -0.2);
    assert.equal(difference['p@10'], -0.02);
    assert.equal(difference['f1@10'], -0.0364); // −(0.2 / 1.1) / 5
    assert.equal(difference.zero_rate, 0.2);
    assert.equal(difference.queries, 0);
    // One query differs: of its two sign assignments both are as extreme, so p = 1 exactly.
    assert.deepEqual(comparison.p_value, {
      'ndcg@10': 1,
      'recall@10': 1,
      'recall@100': 1,
      'mrr@10': 1,
      'p@10': 1,
      'f1@10': 1,
      zero_rate: 1,
      queries: null,
      p50_ms: null,
      p99_ms: null,
    });

    // Request-level changes need no second configuration file section; the text report names the change.
    const requestOnly = join(work, 'request-only.json');
    await writeFile(requestOnly, JSON.stringify({ typos: false }));
    const text = await runCli([
      'eval',
      '-d',
      data,
      '--queries',
      paths.queries,
      '--qrels',
      paths.qrels,
      '--compare',
      requestOnly,
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^other \(request-only\.json\): typos=false; keyword mode/m);
    assert.match(text.stdout, /^ndcg@10\s+0\.4782\s+0\.2782\s+-0\.2000\s+1\.0000$/m);
    assert.match(text.stdout, /paired randomisation test/);
  });

  it('fails with the file and line of a bad judgment, and exit codes from the error table', async () => {
    const badQrels = join(work, 'bad-qrels.txt');
    await writeFile(badQrels, 'q1 0 A1 2\nq1 0 A4\n');
    let result = await runCli(['eval', '-d', data, '--queries', paths.queries, '--qrels', badQrels]);
    assert.equal(result.code, 65);
    assert.match(result.stderr, /error \[INVALID_FIELD\]: .*bad-qrels\.txt:2: expected "qid 0 docid grade"/);

    const badCompare = join(work, 'bad-compare.json');
    await writeFile(badCompare, '{"search": {"typo": false}}');
    result = await runCli([
      'eval',
      '-d',
      data,
      '--queries',
      paths.queries,
      '--qrels',
      paths.qrels,
      '--compare',
      badCompare,
    ]);
    assert.equal(result.code, 65);
    assert.match(result.stderr, /error \[INVALID_FIELD\]: .*field "search\.typo": unknown setting/);

    const unmatched = join(work, 'other-qrels.txt');
    await writeFile(unmatched, 'x1 0 A1 1\n');
    result = await runCli(['eval', '-d', data, '--queries', paths.queries, '--qrels', unmatched]);
    assert.equal(result.code, 65);
    assert.match(result.stderr, /no query in .* has judgments/);

    result = await runCli([
      'eval',
      '-d',
      join(work, 'nowhere'),
      '--queries',
      paths.queries,
      '--qrels',
      paths.qrels,
    ]);
    assert.equal(result.code, 66);
    result = await runCli(['eval', '-d', data, '--queries', paths.queries]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /error \[USAGE\]: .*--qrels/);
    result = await runCli([
      'eval',
      '-d',
      data,
      '--queries',
      paths.queries,
      '--qrels',
      paths.qrels,
      '--relevant-grade',
      'x',
    ]);
    assert.equal(result.code, 2);
  });
});
