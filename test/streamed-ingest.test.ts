/**
 * Streamed ingest with bounded memory, in real processes: a catalogue whose text does not fit in the
 * JavaScript heap still loads through `engine.ingest`, because the reader streams and at most ~2 batches
 * are in flight. Products carry 20 KB descriptions of a few repeated words, so the file is large (80 MB)
 * while the index stays small; the child runs with `--max-old-space-size=64`, a real data dir and the
 * real SQLite store. The control child keeps every product it reads, as a non-streaming loader would,
 * and must run out of heap under the same limit — so the limit really is below the file's text.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PACKAGE_ROOT } from './helpers/paths.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const PRODUCTS = 4000;
const DESCRIPTION_BYTES = 20 * 1024;
const HEAP_LIMIT_MB = 64;
/** Products per transaction: 250 × 20 KB = 5 MB per batch (the last test uses the default). */
const BATCH = 250;
const CHILD = join(PACKAGE_ROOT, 'test/streamed-ingest-child.ts');
const WORDS = [
  'hammer',
  'drill',
  'cordless',
  'steel',
  'bracket',
  'faucet',
  'chrome',
  'valve',
  'white',
  'paint',
];

let work: string;
let catalogue: string;

/** Writes the catalogue line by line (this process never holds it either). */
function writeCatalogue(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < PRODUCTS; i++) {
      const a = WORDS[i % 10]!;
      const b = WORDS[(i * 3) % 10]!;
      const c = WORDS[(i * 7) % 10]!;
      const unit = `${a} ${b} ${c} heavy duty `;
      const description = unit.repeat(Math.ceil(DESCRIPTION_BYTES / unit.length)).trimEnd();
      writeSync(
        fd,
        `${JSON.stringify({ id: `p${i}`, title: `Product ${i} ${a} ${c}`, description, price: i % 100 })}\n`,
      );
    }
  } finally {
    closeSync(fd);
  }
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${HEAP_LIMIT_MB}`, '--import', 'tsx', CHILD, ...args],
      { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

before(async () => {
  work = await makeTempDir('souk-streamed-ingest-');
  catalogue = join(work, 'big.jsonl');
  writeCatalogue(catalogue);
});

after(async () => {
  await removeTempDir(work);
});

describe('streamed ingest with bounded memory', () => {
  it('the catalogue is larger than the heap limit, and holding its products runs out of heap', async () => {
    const bytes = statSync(catalogue).size;
    assert.ok(bytes > 1.2 * HEAP_LIMIT_MB * 2 ** 20, `file is ${bytes} bytes`);
    const held = await runChild(['hold', catalogue]);
    assert.notEqual(held.code, 0, `the control finished: ${held.stdout}`);
    assert.match(held.stderr, /heap out of memory/i);
  });

  it('engine.ingest loads every product under the same limit (real data dir, SQLite)', async () => {
    const dataDir = join(work, 'data-batched');
    const result = await runChild(['ingest', catalogue, dataDir, String(BATCH)]);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      loaded: number;
      rejected: number;
      products: number;
      peakHeapMb: number;
    };
    assert.equal(report.loaded, PRODUCTS);
    assert.equal(report.rejected, 0);
    assert.equal(report.products, PRODUCTS);
  });

  it('engine.ingest with its default batch size loads them too', async () => {
    const dataDir = join(work, 'data-default');
    const result = await runChild(['ingest', catalogue, dataDir, '5000']);
    assert.equal(result.code, 0, result.stderr.slice(-500));
  });
});
