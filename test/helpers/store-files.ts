/**
 * Reading a data directory's SQLite file directly (what the store really holds, independent of the engine),
 * and running system commands (mount) for the disk-full and read-only tests.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export function readDb(dataDir: string): { ids: string[]; seqs: number[]; lastSeq: number } {
  const db = new Database(join(dataDir, 'souk.db'), { readonly: true, fileMustExist: true });
  try {
    const ids = db.prepare('SELECT id FROM products').pluck().all() as string[];
    const seqs = db.prepare('SELECT seq FROM changes ORDER BY seq').pluck().all() as number[];
    const lastSeq =
      (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").pluck().get() as
        number | undefined) ?? 0;
    return { ids, seqs, lastSeq };
  } finally {
    db.close();
  }
}

/** The change log numbers 1, 2, … with no gap or reuse, and the counter agrees with it. */
export function assertGapFreeLog({ seqs, lastSeq }: { seqs: number[]; lastSeq: number }): void {
  const gap = seqs.findIndex((seq, i) => seq !== i + 1);
  assert.equal(gap, -1, `change log gap or reuse at position ${gap + 1} (seq ${seqs[gap]})`);
  assert.equal(lastSeq, seqs.length, 'the sequence counter matches the last logged change');
}

export function assertGapFree(dataDir: string): void {
  assertGapFreeLog(readDb(dataDir));
}

/** Runs a system command (mount, umount) synchronously; never throws. */
export function runCommand(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}`,
  };
}
