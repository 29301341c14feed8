import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli-process.ts';
import { judgmentFiles, rankingCatalogue } from './helpers/ranking-catalogue.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

/** `souk train`, `souk ranker list|activate` and `souk eval --ranker` as real processes on one data dir. */
let work: string;
let data: string;
const catalogue = rankingCatalogue(60);
const files = { queries: '', qrels: '' };

before(async () => {
  work = await makeTempDir('souk-cli-train-');
  data = join(work, 'data');
  await writeFile(join(work, 'products.jsonl'), catalogue.products.map((p) => JSON.stringify(p)).join('\n'));
  const judgments = judgmentFiles(catalogue);
  files.queries = join(work, 'queries.tsv');
  files.qrels = join(work, 'qrels.txt');
  await writeFile(files.queries, judgments.queries);
  await writeFile(files.qrels, judgments.qrels);
  const ingest = await runCli(['ingest', join(work, 'products.jsonl'), '--data', data]);
  assert.equal(ingest.code, 0, ingest.stderr);
});

after(async () => {
  await removeTempDir(work);
});

async function ndcg(ranker: string): Promise<number> {
  const result = await runCli([
    'eval',
    '--data',
    data,
    '--queries',
    files.queries,
    '--qrels',
    files.qrels,
    '--ranker',
    ranker,
    '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as Record<string, number>)['ndcg@10']!;
}

describe('souk train and souk ranker', () => {
  it('trains a model that becomes active, with progress on stderr and a JSON report', async () => {
    const result = await runCli([
      'train',
      '--data',
      data,
      '--queries',
      files.queries,
      '--qrels',
      files.qrels,
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(report.version, 'r1');
    assert.equal(report.active, true);
    assert.equal(typeof report.associations, 'number');
    assert.match(result.stderr, /features: \d+\/\d+/);
    assert.match(result.stderr, /training: \d+\/\d+/);
  });

  it('eval with the model beats eval without it on the same queries', async () => {
    const [withModel, without] = [await ndcg('r1'), await ndcg('none')];
    assert.ok(withModel > without + 0.2, `${withModel} vs ${without}`);
  });

  it('lists versions with the active one marked, and switches back in one command', async () => {
    const list = await runCli(['ranker', 'list', '--data', data]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^\* r1 .* judgments, \d+ trees/m);
    const off = await runCli(['ranker', 'activate', 'none', '--data', data]);
    assert.equal(off.code, 0, off.stderr);
    const json = await runCli(['ranker', 'list', '--data', data, '--json']);
    assert.equal((JSON.parse(json.stdout) as { active: unknown }).active, null);
    const missing = await runCli(['ranker', 'activate', 'r7', '--data', data]);
    assert.equal(missing.code, 66);
    assert.match(missing.stderr, /RANKER_NOT_FOUND/);
    const on = await runCli(['ranker', 'activate', 'r1', '--data', data]);
    assert.equal(on.code, 0, on.stderr);
  });

  it('rejects a bad holdout share as a usage error', async () => {
    const result = await runCli([
      'train',
      '--data',
      data,
      '--queries',
      files.queries,
      '--qrels',
      files.qrels,
      '--holdout',
      '1.5',
    ]);
    assert.equal(result.code, 2);
  });

  it('updates the active model online from imported feedback, and needs one source of training data', async () => {
    const events = [...catalogue.queries.values()].map((q) =>
      JSON.stringify({ type: 'click', query: q, productId: catalogue.relevantOf(q), position: 2 }),
    );
    await writeFile(join(work, 'feedback.jsonl'), events.join('\n') + '\n');
    const imported = await runCli(['feedback', 'import', join(work, 'feedback.jsonl'), '--data', data]);
    assert.equal(imported.code, 0, imported.stderr);
    const update = await runCli(['train', '--update', '--data', data, '--json']);
    assert.equal(update.code, 0, update.stderr);
    const report = JSON.parse(update.stdout) as { accepted: boolean; base: string; version?: string };
    assert.equal(report.accepted, true, update.stdout);
    assert.equal(report.base, 'r1');
    const list = await runCli(['ranker', 'list', '--data', data]);
    assert.match(list.stdout, new RegExp(`^\\* ${report.version} .* online from r1`, 'm'));
    const neither = await runCli(['train', '--data', data]);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /--queries and --qrels, or --feedback, or --update/);
  });
});
