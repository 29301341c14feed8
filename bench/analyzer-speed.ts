/**
 * Times `analyze` over the titles of the evaluation datasets (not a test: timings depend on the machine).
 *
 *   node --import tsx bench/analyzer-speed.ts [rounds]
 *
 * Prints, per dataset, the one-off initialisation (jieba's dictionary, OpenCC tables), the first pass
 * (cold JIT and caches) and the best of the following passes.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze, warmUpSegmenter } from '../src/text/analyzer.ts';

const SHARED = resolve(import.meta.dirname, '../../shared/datasets');

const SETS = [
  { name: 'homedepot', file: join(SHARED, 'homedepot/products.jsonl'), budgetMs: 400 },
  { name: 'multicpr-zh', file: join(SHARED, 'multicpr-zh/products.jsonl'), budgetMs: 300 },
  {
    name: 'xling-zh (zh-Hant)',
    file: join(SHARED, 'xling-zh-en/products_zh.jsonl'),
    budgetMs: undefined,
  },
];

function loadTitles(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => String((JSON.parse(line) as { title?: unknown }).title ?? ''));
}

/** Wall time, and CPU time of this process (steadier when other processes share the machine). */
function pass(titles: string[]): { ms: number; cpuMs: number; tokens: number } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let tokens = 0;
  for (const title of titles) tokens += analyze(title).length;
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, tokens };
}

const rounds = Math.max(2, Number(process.argv[2] ?? 5));

let started = performance.now();
analyze('warm up 42cm');
console.log(`init (English path): ${(performance.now() - started).toFixed(1)} ms`);
started = performance.now();
warmUpSegmenter();
analyze('鍍膜車蠟');
console.log(`init (jieba + OpenCC tables): ${(performance.now() - started).toFixed(1)} ms`);

for (const { name, file, budgetMs } of SETS) {
  if (!existsSync(file)) {
    console.log(`${name}: ${file} not found, skipped`);
    continue;
  }
  const titles = loadTitles(file);
  const first = pass(titles);
  let best = Infinity;
  let bestCpu = Infinity;
  for (let r = 1; r < rounds; r++) {
    const { ms, cpuMs } = pass(titles);
    best = Math.min(best, ms);
    bestCpu = Math.min(bestCpu, cpuMs);
  }
  const perSecond = Math.round(titles.length / (best / 1000));
  const budget = budgetMs === undefined ? '' : ` (budget ${budgetMs} ms: ${best < budgetMs ? 'ok' : 'OVER'})`;
  console.log(
    `${name}: ${titles.length} titles, ${first.tokens} tokens\n` +
      `  first pass ${first.ms.toFixed(1)} ms (cpu ${first.cpuMs.toFixed(1)} ms)\n` +
      `  best of ${rounds - 1} ${best.toFixed(1)} ms (cpu ${bestCpu.toFixed(1)} ms) = ` +
      `${perSecond.toLocaleString('en')} titles/s${budget}`,
  );
}
