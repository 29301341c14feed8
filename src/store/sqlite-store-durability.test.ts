/**
 * Real process, real kill: a child writes acknowledged batches to a store and is killed with SIGKILL in the
 * middle of writing; everything it acknowledged must be there after reopening, with a gap-free log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Product } from '../types.ts';
import { openSqliteStore } from './sqlite-store.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const childScript = join(repoRoot, 'test/store-kill-child.ts');
const base = mkdtempSync(join(tmpdir(), 'souk-durability-'));
after(() => rmSync(base, { recursive: true, force: true }));

const KILL_AFTER_ACKS = 300;

it(
  'every acknowledged write survives SIGKILL, and the change log stays gap-free',
  { timeout: 90_000 },
  async () => {
    const dataDir = join(base, 'data');
    // The child stops by itself after 10 s even if it never reaches KILL_AFTER_ACKS.
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir, '10'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);

    /** Highest acknowledged price per product id. */
    const acknowledged = new Map<string, number>();
    let acks = 0;
    let killedAt: number | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      // A line cut short by the kill has no END and was never fully acknowledged to us.
      if (!line.startsWith('ACK ') || !line.endsWith(' END')) continue;
      for (const pair of line.split(' ')[2]!.split(',')) {
        const [id, price] = pair.split('=') as [string, string];
        acknowledged.set(id, Math.max(acknowledged.get(id) ?? -1, Number(price)));
      }
      acks++;
      if (acks === KILL_AFTER_ACKS) {
        killedAt = acks;
        child.kill('SIGKILL');
      }
    }
    const exit = await exited;
    clearTimeout(watchdog);
    assert.ok(acks > 0, `the child acknowledged nothing; stderr:\n${stderr}`);
    if (killedAt !== undefined) assert.equal(exit.signal, 'SIGKILL');
    else assert.equal(exit.code, 0, `child failed without being killed; stderr:\n${stderr}`);

    const store = await openSqliteStore(dataDir);
    try {
      const ids = [...acknowledged.keys()];
      const stored = await store.getMany(ids);
      ids.forEach((id, i) => {
        const product = stored[i];
        assert.ok(product, `acknowledged product ${id} is missing after the kill`);
        assert.ok(product.price! >= acknowledged.get(id)!, `${id} lost an acknowledged update`);
      });

      const changes = await store.changesSince(0);
      const lastSeq = await store.lastSeq();
      const count = await store.count();
      assert.equal(changes.length, lastSeq, 'one log entry per seq');
      changes.forEach((change, i) => assert.equal(change.seq, i + 1, 'the log is gap-free and monotonic'));
      assert.ok(lastSeq >= count);
      assert.ok(count >= acknowledged.size);

      // Replaying the log gives exactly the stored state: no write reached one table without the other.
      const replayed = new Map<string, Product>();
      for (const change of changes) {
        if (change.op === 'delete') replayed.delete(change.id);
        else replayed.set(change.id, change.product!);
      }
      const scanned = new Map<string, Product>();
      for await (const batch of store.scan()) for (const product of batch) scanned.set(product.id, product);
      assert.deepEqual(scanned, replayed);
      console.log(
        `acknowledged ${acks} batches (${acknowledged.size} products); after the kill: ${count} products, seq ${lastSeq}`,
      );
    } finally {
      await store.close();
    }
  },
);
