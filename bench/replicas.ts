/**
 * Scale-out on PostgreSQL: `node --import tsx bench/replicas.ts [--quick]`.
 *
 * Starts a private PostgreSQL on 127.0.0.1 (the Debian binaries, as the tests do), ingests the Home Depot
 * catalogue (../shared/datasets) through replica A, starts replica B from the database (index built from
 * a scan), then writes through A and B in turn and measures how long each write takes to show up in the
 * other replica's search results (replication lag: commit → NOTIFY → catch-up by seq → index). Finally
 * replica B restarts from its own snapshot and replays what it missed. Writes
 * bench/results/<date>-replicas.md and prints it; progress goes to stderr.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { startPostgres } from '../test/helpers/postgres-server.ts';
import { DATASETS_DIR } from './relevance.ts';
import { percentile } from '../src/util/percentile.ts';

const quick = process.argv.includes('--quick');
const WRITES = quick ? 100 : 500;
const progress = (message: string): void => {
  process.stderr.write(`[replicas] ${message}\n`);
};

async function visibleWithin(engine: Engine, q: string, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    if ((await engine.search({ q, limit: 1 })).total > 0) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`"${q}" not visible within ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}

const ms = (n: number): string => `${n.toFixed(n < 10 ? 2 : 0)} ms`;

async function main(): Promise<void> {
  const server = await startPostgres({ diagnostic: progress } as unknown as TestContext);
  if (!server) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const snapshots = mkdtempSync(join(tmpdir(), 'souk-replicas-bench-'));
  const store = { url: server.url, schema: 'bench', pollIntervalMs: 1000 };
  const engines: Engine[] = [];
  try {
    const a = await createEngine({ dataDir: null, store });
    engines.push(a);
    const file = join(DATASETS_DIR, 'homedepot/products.jsonl');
    progress(`ingesting ${file} into PostgreSQL through replica A`);
    let started = performance.now();
    const report = await a.ingest(file, {
      onProgress: (p) => {
        if (p.linesRead % 20000 < 5000) progress(`A: ${p.linesRead} lines`);
      },
    });
    const ingestMs = performance.now() - started;
    progress(`starting replica B from the database`);
    started = performance.now();
    let b = await createEngine({ dataDir: join(snapshots, 'b'), store });
    engines.push(b);
    const startMs = performance.now() - started;

    const lags: number[] = [];
    const writeMs: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
      const word = `replicamarker${i}q`;
      const t = performance.now();
      await writer.upsert({ id: `bench-${i}`, title: `${word} cordless drill`, price: i });
      writeMs.push(performance.now() - t);
      lags.push(await visibleWithin(reader, word));
      if (i % 100 === 99) progress(`write ${i + 1}/${WRITES}`);
    }
    lags.sort((x, y) => x - y);
    writeMs.sort((x, y) => x - y);

    progress('restarting replica B from its snapshot after 1000 writes through A');
    await b.close();
    engines.splice(engines.indexOf(b), 1);
    await a.upsert(Array.from({ length: 1000 }, (_, i) => ({ id: `late-${i}`, title: `late arrival ${i}` })));
    started = performance.now();
    b = await createEngine({ dataDir: join(snapshots, 'b'), store });
    engines.push(b);
    const restartMs = performance.now() - started;
    const caughtUp = (await b.search({ q: 'late arrival', limit: 1 })).total;

    const lines = [
      `# Scale-out on PostgreSQL — ${new Date().toISOString().slice(0, 10)}`,
      '',
      `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
        `PostgreSQL (Debian) on 127.0.0.1, both replicas in one process. Reproduce: \`node --import tsx bench/replicas.ts\`.`,
      '',
      '| measurement | value |',
      '|---|---|',
      `| ingest of Home Depot (${report.loaded} products) into PostgreSQL through replica A | ${Math.round(report.loaded / (ingestMs / 1000))} products/s (${(ingestMs / 1000).toFixed(1)} s) |`,
      `| replica B start, index built from the database | ${(startMs / 1000).toFixed(1)} s |`,
      `| write (upsert of one product, acknowledged: committed and searchable on the writer) p50 / p99 | ${ms(percentile(writeMs, 50))} / ${ms(percentile(writeMs, 99))} |`,
      `| replication lag, write acknowledged → found on the other replica, ${WRITES} writes: p50 / p99 / max | ${ms(percentile(lags, 50))} / ${ms(percentile(lags, 99))} / ${ms(lags[lags.length - 1] ?? 0)} |`,
      `| replica B restart from its snapshot + replay of 1000 missed changes | ${(restartMs / 1000).toFixed(2)} s (${caughtUp} of 1000 found) |`,
      '',
    ];
    const table = lines.join('\n');
    const dir = resolve(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, `${new Date().toISOString().slice(0, 10)}-replicas${quick ? '-quick' : ''}.md`);
    writeFileSync(out, table);
    process.stdout.write(table);
    progress(`written ${out}`);
  } finally {
    for (const engine of engines) await engine.close().catch(() => undefined);
    await server.stop();
    rmSync(snapshots, { recursive: true, force: true });
  }
}

await main();
