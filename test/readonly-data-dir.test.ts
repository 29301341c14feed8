/**
 * A read-only data directory gives a clear error through the real `souk` commands (store-level cases are
 * in src/store/sqlite-store.test.ts): a directory the process may not write (as `nobody` when running as
 * root, since root ignores permission bits) and, where a bind mount is allowed, a really read-only mount
 * (EROFS). `souk ingest` (into the directory, or creating one inside it) and `souk serve` exit 73 with
 * `error [STORE_READ_ONLY]` naming the directory, never start serving, and leave the store as it was.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliResult } from './helpers/cli-process.ts';
import { PACKAGE_ROOT, SOUK_BIN } from './helpers/paths.ts';
import { readDb, runCommand as run } from './helpers/store-files.ts';
import { writeSyntheticCatalogue } from './helpers/synthetic-catalogue.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const asRoot = process.getuid?.() === 0;

let work: string;
const mounts: string[] = [];

before(async () => {
  work = await makeTempDir('souk-readonly-');
  chmodSync(work, 0o755); // the child running as `nobody` must reach its directory
});

after(async () => {
  for (const mount of mounts.reverse()) run('umount', ['-l', mount]);
  await removeTempDir(work);
});

// ---- read-only data directories ------------------------------------------------------------------------

/** Runs `souk <args>`, as `nobody` when this process is root (so permission bits apply to it). */
function runSouk(args: string[], asNobody: boolean): Promise<CliResult> {
  if (!asNobody) return runCli(args, { cwd: PACKAGE_ROOT, timeoutMs: 30_000 });
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: tmpdir() };
    delete env.SOUK_ADMIN_KEY;
    const child = spawn(process.execPath, [SOUK_BIN, ...args], {
      cwd: PACKAGE_ROOT,
      env,
      uid: 65534,
      gid: 65534,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function assertReadOnlyRefusal(result: CliResult, dir: string, what: string): void {
  assert.equal(result.code, 73, `${what}: exit 73 (read-only): ${result.stderr}`);
  assert.match(result.stderr, /^error \[STORE_READ_ONLY\]: /m, what);
  assert.ok(result.stderr.includes(dir), `${what} names ${dir}: ${result.stderr}`);
  assert.doesNotMatch(result.stdout, /souk listening on/, `${what} did not start serving`);
}

describe('a read-only data directory', () => {
  let dataDir: string;
  let catalogue: string;
  let original: ReturnType<typeof readDb>;

  before(async () => {
    const base = join(work, 'ro');
    mkdirSync(base, { mode: 0o755 });
    dataDir = join(base, 'data');
    catalogue = join(work, 'ro.jsonl');
    await writeSyntheticCatalogue(catalogue, 300, 4);
    const loaded = await runCli(['ingest', catalogue, '--data', dataDir], { cwd: PACKAGE_ROOT });
    assert.equal(loaded.code, 0, loaded.stderr);
    original = readDb(dataDir);
    // As root the commands run as `nobody`, for whom the root-owned 0755 directory is read-only;
    // otherwise the directory and its database are made read-only for this user.
    if (!asRoot) {
      chmodSync(join(dataDir, 'souk.db'), 0o444);
      chmodSync(dataDir, 0o555);
      chmodSync(base, 0o555);
    }
  });

  after(() => {
    if (!asRoot) {
      chmodSync(join(work, 'ro'), 0o755);
      chmodSync(dataDir, 0o755);
    }
  });

  it('refuses souk ingest and souk serve with STORE_READ_ONLY (exit 73) and leaves the store as it was', async () => {
    const other = join(work, 'other.jsonl');
    await writeSyntheticCatalogue(other, 50, 9);
    const newDir = join(work, 'ro', 'new-data');
    const [ingest, create, serve] = await Promise.all([
      runSouk(['ingest', other, '--data', dataDir], asRoot),
      runSouk(['ingest', other, '--data', newDir], asRoot),
      runSouk(['serve', '--data', dataDir, '--port', '0', '--admin-key', 'k'], asRoot),
    ]);
    assertReadOnlyRefusal(ingest, dataDir, 'souk ingest into a read-only directory');
    assertReadOnlyRefusal(create, newDir, 'souk ingest creating a directory in a read-only one');
    assertReadOnlyRefusal(serve, dataDir, 'souk serve on a read-only directory');
    assert.deepEqual(readDb(dataDir), original, 'the store is unchanged');
  });

  it('refuses them on a read-only mount (EROFS) too, where one can be made', async (t) => {
    const mount = join(work, 'ro-mount');
    mkdirSync(mount);
    const bound = asRoot ? run('mount', ['--bind', dataDir, mount]) : { ok: false, output: 'not root' };
    if (!bound.ok) {
      t.skip(`cannot bind-mount: ${bound.output.trim()}`);
      return;
    }
    mounts.push(mount);
    const readOnly = run('mount', ['-o', 'remount,bind,ro', mount]);
    if (!readOnly.ok) {
      t.skip(`cannot remount read-only: ${readOnly.output.trim()}`);
      return;
    }
    const other = join(work, 'other-mount.jsonl');
    await writeSyntheticCatalogue(other, 50, 10);
    const [ingest, serve] = await Promise.all([
      runSouk(['ingest', other, '--data', mount], false),
      runSouk(['serve', '--data', mount, '--port', '0', '--admin-key', 'k'], false),
    ]);
    assertReadOnlyRefusal(ingest, mount, 'souk ingest on a read-only mount');
    assert.match(ingest.stderr, /EROFS/);
    assertReadOnlyRefusal(serve, mount, 'souk serve on a read-only mount');
    assert.deepEqual(readDb(dataDir), original, 'the store is unchanged');
  });
});
