/**
 * Feedback log and aggregates at scale: appends N synthetic events (Zipf-like products and queries, a
 * third with a user id) to a SQLite data directory, then measures how long an engine takes to open with
 * and without them (FeedbackStats rebuilt from the log), and FeedbackStats.add alone in memory.
 *
 *   node --import tsx bench/feedback-bench.ts [events=1000000] [products=20000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/engine.ts';
import { FeedbackStats } from '../src/rank/feedback-stats.ts';
import { openSqliteStore } from '../src/store/sqlite-store.ts';
import type { FeedbackRecord, FeedbackType, Product } from '../src/types.ts';

const events = Number(process.argv[2] ?? 1_000_000);
const productCount = Number(process.argv[3] ?? 20_000);
const config = { embedding: { text: { provider: 'none' as const }, image: { provider: 'none' as const } } };

let seed = 42;
/** mulberry32: a small, well-mixed 32-bit generator. */
const random = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const zipf = (n: number): number => Math.min(n - 1, Math.floor(Math.pow(random(), 2.5) * n));

function makeEvents(count: number, start: number): FeedbackRecord[] {
  const out: FeedbackRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = random();
    const type: FeedbackType =
      r < 0.8 ? 'impression' : r < 0.95 ? 'click' : r < 0.99 ? 'add_to_cart' : 'purchase';
    const event: FeedbackRecord = {
      type,
      query: `query ${zipf(20_000)}`,
      productId: `p${zipf(productCount)}`,
      position: 1 + Math.floor(random() * 20),
      at: start + i,
    };
    if (random() < 0.33) event.userId = `u${Math.floor(random() * 50_000)}`;
    out.push(event);
  }
  return out;
}

const dir = await mkdtemp(join(tmpdir(), 'souk-feedback-bench-'));
try {
  const products: Product[] = Array.from({ length: productCount }, (_, i) => ({
    id: `p${i}`,
    title: `Product ${i}`,
    brand: `Brand ${i % 300}`,
    category: ['Dept ' + (i % 10), 'Aisle ' + (i % 97)],
  }));
  let engine = await createEngine({ dataDir: dir, ...config });
  await engine.upsert(products);
  await engine.close();
  let started = performance.now();
  engine = await createEngine({ dataDir: dir, ...config });
  const openWithout = performance.now() - started;
  await engine.close();

  const store = await openSqliteStore(dir);
  const all: FeedbackRecord[] = [];
  started = performance.now();
  for (let done = 0; done < events; done += 10_000) {
    const batch = makeEvents(Math.min(10_000, events - done), Date.UTC(2026, 0, 1) + done);
    all.push(...batch);
    await store.appendFeedback(batch);
  }
  const appendMs = performance.now() - started;
  await store.close();

  const heapBefore = process.memoryUsage().heapUsed;
  started = performance.now();
  let cpu = process.cpuUsage();
  engine = await createEngine({ dataDir: dir, ...config });
  const openWith = performance.now() - started;
  const openWithCpu = process.cpuUsage(cpu);
  const summary = (engine as unknown as { feedbackStats: FeedbackStats }).feedbackStats.summary();
  const heapAfter = process.memoryUsage().heapUsed;
  await engine.close();

  const stats = new FeedbackStats();
  started = performance.now();
  cpu = process.cpuUsage();
  stats.add(all, (id) => products[Number(id.slice(1))]);
  const addMs = performance.now() - started;
  const addCpu = process.cpuUsage(cpu);
  const ms = (usage: NodeJS.CpuUsage) => Math.round((usage.user + usage.system) / 1000);

  const row = (label: string, value: string) => console.log(`${label.padEnd(42)} ${value}`);
  row('events / products', `${events} / ${productCount}`);
  row(
    'append (SQLite, 10k per transaction)',
    `${Math.round(appendMs)} ms (${Math.round(events / (appendMs / 1000))}/s)`,
  );
  row('engine open without feedback', `${Math.round(openWithout)} ms`);
  row(
    'engine open with feedback (rebuild)',
    `${Math.round(openWith)} ms wall, ${ms(openWithCpu)} ms CPU (all threads)`,
  );
  row('FeedbackStats.add in memory', `${Math.round(addMs)} ms wall, ${ms(addCpu)} ms CPU`);
  row('heap growth after open (approx.)', `${Math.round((heapAfter - heapBefore) / 2 ** 20)} MiB`);
  row('aggregates', JSON.stringify(summary));
} finally {
  await rm(dir, { recursive: true, force: true });
}
