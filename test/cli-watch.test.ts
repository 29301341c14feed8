import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import type { SearchResponse } from '../src/types.ts';
import { runCli } from './helpers/cli-process.ts';
import { SOUK_BIN } from './helpers/paths.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const INTERVAL = '150';
const line = (id: string, title: string, price: unknown = 10) => JSON.stringify({ id, title, price });

let work: string;
before(async () => {
  work = await makeTempDir('souk-watch-');
});
after(async () => {
  await removeTempDir(work);
});

/** A running `souk watch` with its output so far. */
interface Watch {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout (or stderr) that arrives; fails after 10 s. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWatch(args: string[]): Watch {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SOUK_DEBUG;
  const child = spawn(process.execPath, [SOUK_BIN, 'watch', ...args], {
    cwd: work,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exited.then(() => clearTimeout(killer));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, stream = 'stdout') {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const match = (stream === 'stdout' ? out : err).match(pattern);
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no ${pattern} in ${stream}\n--- stdout\n${out}\n--- stderr\n${err}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

/** Writes the export the safe way (temporary name, then rename), as an exporter should. */
async function replaceFile(file: string, lines: string[], ending = '\n'): Promise<void> {
  await writeFile(file + '.tmp', lines.join('\n') + ending);
  await rename(file + '.tmp', file);
}

/** The store a watch wrote, opened in this process once the watch has exited (cheaper than more CLI runs). */
async function withStore<T>(dataDir: string, work: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine({ dataDir });
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}

const hitsOf = (response: SearchResponse) => response.hits.map((hit) => [hit.id, hit.title, hit.price]);

describe('souk watch', () => {
  it('follows a file: applies exactly the edits, keeps a product whose line broke, never a half file', async () => {
    const file = join(work, 'feed.jsonl');
    const data = join(work, 'feed-data');
    await replaceFile(file, [
      line('P1', 'Walnut Desk Lamp'),
      line('P2', 'Oak Dining Chair'),
      line('P3', 'Teak Garden Bench', 30),
      line('P4', 'Linen Throw Pillow'),
      line('P5', 'Copper Kettle'),
    ]);
    const watch = startWatch([file, '--data', data, '--interval', INTERVAL]);
    try {
      assert.match((await watch.waitFor(/^pass 1: .*$/m))[0], /^pass 1: \+5 ~0 -0 =0 !0 \(\d+ ms\)$/);

      // One change, one deletion, one addition and one line broken (its product must stay as it was).
      await replaceFile(file, [
        line('P1', 'Brass Desk Lamp', 12),
        line('P3', 'Teak Garden Bench', 'cheap'),
        line('P4', 'Linen Throw Pillow'),
        line('P5', 'Copper Kettle'),
        line('P6', 'Velvet Armchair', 250),
      ]);
      assert.match((await watch.waitFor(/^pass 2: .*$/m))[0], /^pass 2: \+1 ~1 -1 =2 !1 \(\d+ ms\)$/);
      assert.match(watch.stderr(), /feed\.jsonl:2: field "price": .*\[INVALID_FIELD\]/);

      // Nothing changed on disk: no pass. (Only the mtime is checked, so a few intervals cost nothing.)
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.doesNotMatch(watch.stdout(), /^pass 3:/m);

      // Mid-write: the exporter has written two lines and half of the third. (Swapped in by a rename so the
      // test sees exactly this state; an exporter writing in place passes through it too.)
      await replaceFile(
        file,
        [line('P1', 'Brass Desk Lamp', 12), line('P4', 'Linen Throw Pillow'), '{"id": "P5", "ti'],
        '',
      );
      await watch.waitFor(/not applied, .*feed\.jsonl does not end with a line break/, 'stderr');
      // Left like that for a whole interval it is read, but a line without a readable id deletes nothing.
      assert.match((await watch.waitFor(/^pass 3: .*$/m))[0], /^pass 3: \+0 ~0 -0 =2 !1 /);
      assert.match(watch.stderr(), /3 product\(s\) missing from the export were not deleted/);

      // The export finished: nothing to write, nothing to delete.
      await replaceFile(file, [
        line('P1', 'Brass Desk Lamp', 12),
        line('P3', 'Teak Garden Bench', 'cheap'),
        line('P4', 'Linen Throw Pillow'),
        line('P5', 'Copper Kettle'),
        line('P6', 'Velvet Armchair', 250),
      ]);
      assert.match((await watch.waitFor(/^pass 4: .*$/m))[0], /^pass 4: \+0 ~0 -0 =4 !1 /);

      watch.child.kill('SIGTERM');
      assert.deepEqual(await watch.exited, { code: 0, signal: null });
      assert.match(watch.stderr(), /SIGTERM received, stopping/);
    } finally {
      watch.child.kill('SIGKILL');
    }

    await withStore(data, async (engine) => {
      assert.equal((await engine.stats()).products, 5);
      assert.deepEqual(hitsOf(await engine.search({ q: 'desk lamp' })), [['P1', 'Brass Desk Lamp', 12]]);
      assert.equal((await engine.search({ q: 'dining chair' })).total, 0);
      assert.equal(await engine.get('P2'), undefined);
      // The broken line did not touch P3: still stored, old price.
      assert.deepEqual(hitsOf(await engine.search({ q: 'garden bench' })), [['P3', 'Teak Garden Bench', 30]]);
      assert.deepEqual(hitsOf(await engine.search({ q: 'armchair' })), [['P6', 'Velvet Armchair', 250]]);
    });
  });

  it('--once on a directory: files in name order, the later file wins a repeated id', async () => {
    const dir = join(work, 'export');
    const data = join(work, 'export-data');
    await mkdir(dir);
    await replaceFile(join(dir, '1-main.jsonl'), [line('X1', 'Steel Toolbox'), line('X2', 'Cordless Drill')]);
    await replaceFile(join(dir, '2-fixes.csv'), [
      'id,title,price',
      'X2,Hammer Drill Kit,99',
      'X3,Tape Measure,7',
    ]);
    await writeFile(join(dir, 'README.txt'), 'not a catalogue\n');

    let result = await runCli(['watch', dir, '--data', data, '--once']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^pass 1: \+3 ~0 -0 =0 !0 \(\d+ ms\)\n$/);
    assert.match(
      result.stderr,
      /warning: product "X2" appears at 1-main\.jsonl:2 and at 2-fixes\.csv:2; 2-fixes\.csv:2 wins/,
    );
    await withStore(data, async (engine) => {
      assert.deepEqual(hitsOf(await engine.search({ q: 'drill' })), [['X2', 'Hammer Drill Kit', 99]]);
    });

    // Again: everything unchanged. With --json, one object.
    result = await runCli(['watch', dir, '--data', data, '--once', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const pass = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [pass.pass, pass.added, pass.changed, pass.deleted, pass.unchanged, pass.rejected, pass.files],
      [1, 0, 0, 0, 3, 0, 2],
    );

    // An append-only feed deletes nothing; a rejected line makes --once exit 65.
    await replaceFile(join(dir, '2-fixes.csv'), ['id,title,price', 'X4,Level,abc']);
    result = await runCli(['watch', dir, '--data', data, '--once', '--no-delete-missing']);
    assert.equal(result.code, 65, result.stderr);
    assert.match(result.stdout, /^pass 1: \+0 ~1 -0 =1 !1 /);
    assert.match(result.stderr, /2-fixes\.csv:2: field "price": .*\[INVALID_FIELD\]/);
    await withStore(data, async (engine) => assert.equal((await engine.stats()).products, 3));
  });

  it('stops on SIGINT with exit 0, and refuses a path that does not exist', async () => {
    const file = join(work, 'small.csv');
    await replaceFile(file, ['id,title', 'S1,Garden Hose']);
    const watch = startWatch([file, '--data', join(work, 'small-data'), '--interval', INTERVAL]);
    try {
      await watch.waitFor(/^pass 1: \+1 /m);
      watch.child.kill('SIGINT');
      assert.deepEqual(await watch.exited, { code: 0, signal: null });
    } finally {
      watch.child.kill('SIGKILL');
    }
    const missing = await runCli(['watch', join(work, 'nope.jsonl'), '--data', join(work, 'x'), '--once']);
    assert.equal(missing.code, 66);
    assert.match(missing.stderr, /^error \[FILE_NOT_FOUND\]: /);
  });
});
