import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineStats } from '../src/types.ts';
import { runCli } from './helpers/cli-process.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

let work: string;

before(async () => {
  work = await makeTempDir('souk-cli-feedback-');
  await writeFile(
    join(work, 'products.jsonl'),
    [
      { id: 'A', title: 'Alpine Hoodie', brand: 'Luma', category: ['Men', 'Tops'] },
      { id: 'B', title: 'Harbor Jacket', brand: 'Nike', category: ['Men', 'Jackets'] },
    ]
      .map((p) => JSON.stringify(p))
      .join('\n') + '\n',
  );
  await writeFile(
    join(work, 'events.jsonl'),
    [
      JSON.stringify({ type: 'impression', query: 'hoodie', productId: 'A', position: 1, userId: 'u1' }),
      JSON.stringify({ type: 'click', query: 'hoodie', productId: 'A', position: 1, userId: 'u1' }),
      JSON.stringify({ type: 'click', query: 'hoodie', productId: 'A', position: 'first' }),
      JSON.stringify({ type: 'purchase', query: 'hoodie', productId: 'A', at: '2026-05-01T10:00:00Z' }),
    ].join('\n') + '\n',
  );
  await writeFile(
    join(work, 'events.csv'),
    'type,query,product_id,position,user_id,at\nimpression,jacket,B,2,u2,2026-05-01T10:00:00Z\nclick,jacket,B,2,u2,\n',
  );
});
after(() => removeTempDir(work));

async function feedbackCount(dataDir: string): Promise<number> {
  const result = await runCli(['stats', '--data', dataDir, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as EngineStats).feedback;
}

describe('souk feedback import', () => {
  it('imports the good lines, names file:line:field of the bad one, exits 65', async () => {
    const dataDir = join(work, 'data');
    assert.equal((await runCli(['ingest', join(work, 'products.jsonl'), '--data', dataDir])).code, 0);

    const strict = await runCli([
      'feedback',
      'import',
      join(work, 'events.jsonl'),
      '--data',
      dataDir,
      '--strict',
    ]);
    assert.equal(strict.code, 65, strict.stderr);
    assert.match(
      strict.stderr,
      /events\.jsonl:3: field "position": .*1-based integer rank.* \[INVALID_FIELD\]/,
    );
    assert.match(strict.stderr, /STRICT_LOAD_FAILED/);
    assert.equal(await feedbackCount(dataDir), 0);

    const result = await runCli(['feedback', 'import', join(work, 'events.jsonl'), '--data', dataDir]);
    assert.equal(result.code, 65, result.stderr);
    assert.match(result.stdout, /^loaded 3, rejected 1$/m);
    assert.match(result.stderr, /events\.jsonl:3: field "position": /);

    const csv = await runCli(['feedback', 'import', 'events.csv', '--data', 'data', '--json'], { cwd: work });
    assert.equal(csv.code, 0, csv.stderr);
    assert.deepEqual(JSON.parse(csv.stdout), { loaded: 2, rejected: 0, errors: [], seq: 5 });

    assert.equal(await feedbackCount(dataDir), 5);
    const text = await runCli(['stats', '--data', dataDir]);
    assert.match(text.stdout, /^feedback events\s+5$/m);
  });

  it('reports a missing file and an unsupported format', async () => {
    const dataDir = join(work, 'data');
    const missing = await runCli(['feedback', 'import', join(work, 'nope.jsonl'), '--data', dataDir]);
    assert.equal(missing.code, 66);
    assert.match(missing.stderr, /error \[FILE_NOT_FOUND\]: Feedback file not found/);
    const format = await runCli(['feedback', 'import', join(work, 'events.txt'), '--data', dataDir]);
    assert.equal(format.code, 65);
    assert.match(format.stderr, /UNSUPPORTED_FORMAT/);
  });
});
