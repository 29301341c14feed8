import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SoukError } from '../errors.ts';
import { readQrels, readQueries } from './judgment-files.ts';
import { makeTempDir, removeTempDir } from '../../test/helpers/temp-dir.ts';

let dir: string;
before(async () => {
  dir = await makeTempDir('souk-judgments-');
});
after(async () => {
  await removeTempDir(dir);
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function assertLineError(run: () => unknown, path: string, line: number, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SoukError);
    assert.equal(error.code, 'INVALID_FIELD');
    assert.equal(error.details.file, path);
    assert.equal(error.details.line, line);
    assert.ok(error.message.startsWith(`${path}:${line}: `), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('judgment files', () => {
  it('reads queries and TREC qrels (CRLF, BOM, blank lines, tabs or spaces)', async () => {
    const queries = readQueries(await file('q.tsv', '\ufeffq1\tred  shoes \r\n\nq2\t手机壳\n'));
    assert.deepEqual(
      [...queries],
      [
        ['q1', 'red  shoes'],
        ['q2', '手机壳'],
      ],
    );
    const qrels = readQrels(await file('qrels.txt', 'q1 0 A 2\r\nq1\tQ0\tB\t0\n\nq2 0 A 1.5\nq1 0 A 2\n'));
    assert.deepEqual(
      [...qrels].map(([qid, judged]) => [qid, [...judged]]),
      [
        [
          'q1',
          [
            ['A', 2],
            ['B', 0],
          ],
        ],
        ['q2', [['A', 1.5]]],
      ],
    );
  });

  it('reports a bad line with its file and line number (blank lines counted)', async () => {
    const noTab = await file('no-tab.tsv', 'q1\tfine\n\nq2 no tab here\n');
    assertLineError(() => readQueries(noTab), noTab, 3, /expected "qid<TAB>query text"/);
    const empty = await file('empty.tsv', 'q1\t  \n');
    assertLineError(() => readQueries(empty), empty, 1, /qid<TAB>query text/);
    const dup = await file('dup.tsv', 'q1\tshoes\nq1\tboots\n');
    assertLineError(() => readQueries(dup), dup, 2, /already given another text on line 1/);

    const short = await file('short.txt', 'q1 0 A 1\nq1 0 B\n');
    assertLineError(() => readQrels(short), short, 2, /expected "qid 0 docid grade"/);
    const grade = await file('grade.txt', 'q1 0 A 1\n\n\nq1 0 B high\n');
    assertLineError(() => readQrels(grade), grade, 4, /numeric grade, got "high"/);
    const conflict = await file('conflict.txt', 'q1 0 A 1\nq1 0 A 3\n');
    assertLineError(() => readQrels(conflict), conflict, 2, /judged 1 for query q1 on line 1 and 3 here/);
  });

  it('reports a missing file as FILE_NOT_FOUND', () => {
    assert.throws(
      () => readQrels(join(dir, 'nope.txt')),
      (error: unknown) => error instanceof SoukError && error.code === 'FILE_NOT_FOUND',
    );
  });
});
