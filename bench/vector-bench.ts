/**
 * Vector index benchmark: `node --import tsx bench/vector-bench.ts [--quick]`.
 *
 * Synthetic, fixed-seed, clustered 512-d unit vectors (USE-Lite's size): 1000 cluster centres in a
 * 48-d latent space, each vector = random projection to 512-d of (centre + noise) plus isotropic noise,
 * so neighbourhoods have the low intrinsic dimension of real text embeddings (pure random 512-d vectors
 * would make every index look bad and every neighbour meaningless). Vector i is a pure function of i, so
 * no process ever holds the raw data set and the 1M run fits beside the index.
 *
 * Every configuration runs in a child process (clean RSS; `--expose-gc` so RSS is measured after
 * collection). The exact index runs first at each size and writes the ground truth (top 10 per query,
 * unfiltered and under 1% / 10% filters) that the HNSW runs are scored against.
 *
 * Full run: 54,667 vectors (exact f32; HNSW int8, int8 graph + f16 store, f16, f32, b1), 1,000,000
 * vectors (exact f32, HNSW int8, HNSW b1) and an exact-vs-HNSW crossover by size. `--quick`: 54,667 with exact and
 * HNSW int8 only. `--real <file> <n> <queries>`: the same measurements on real vectors (raw f32 rows:
 * n catalogue vectors then the query vectors), for the default and the tuned configurations.
 * `runVectorBench()` returns the rows for `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserializeVectorIndex } from '../src/vector/create-vector-index.ts';
import { ExactIndex, type VectorStorage } from '../src/vector/exact-index.ts';
import { HnswIndex, type GraphQuantization, type HnswIndexOptions } from '../src/vector/hnsw-index.ts';
import type { VectorHit, VectorIndex } from '../src/vector/vector-index.ts';
import { percentile } from '../src/util/percentile.ts';

export interface VectorBenchCase {
  n: number;
  dims: number;
  index: 'exact' | 'hnsw';
  quantization?: GraphQuantization;
  storage?: VectorStorage;
  /** Further HNSW options (graph degree, candidates, …), shown in the label. */
  options?: HnswIndexOptions;
  /**
   * Real vectors instead of synthetic ones: raw little-endian f32 rows, `n` catalogue rows followed by
   * `queries` query rows (e.g. USE-Lite embeddings of a catalogue's titles and its dev queries).
   */
  file?: string;
  queries: number;
  /** Sweep filter selectivities through both filter paths (1M HNSW only: slow). */
  sweep?: boolean;
}

export interface VectorBenchRow {
  label: string;
  n: number;
  dims: number;
  buildSeconds: number;
  /** Vectors per second while building (HNSW: bulk insertion on all cores; exact: single upserts). */
  buildRate: number;
  /** Single upserts (new keys) into the built index, ms each. */
  upsertMs: number;
  indexMb: number;
  bytesPerVector: number;
  rssMb: number;
  rssGrowthMb: number;
  p50: number;
  p99: number;
  recall: number;
  filter1P50: number;
  filter1P99: number;
  filter1Recall: number;
  filter10P50: number;
  filter10P99: number;
  filter10Recall: number;
  serializeMs: number;
  deserializeMs: number;
  serializedMb: number;
  sweep?: Array<{ share: number; exactP50: number; graphP50: number; graphRecall: number }>;
}

export interface CrossoverRow {
  n: number;
  exactP50: number;
  hnswP50: number;
  hnswRecall: number;
}

const SEED = 20261201;
const LATENT = 48;
const CLUSTERS = 1000;
const QUERY_KEY_BASE = 1_000_000_000;
const CHUNK = 16_384;

const progress = (message: string): void => {
  process.stderr.write(`[vector-bench] ${message}\n`);
};

function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** Vector `i` of the synthetic catalogue, written into `out` at `offset`. */
export function makeGenerator(dims: number): (i: number, out: Float32Array, offset: number) => void {
  const random = xorshift(SEED);
  const projection = new Float32Array(dims * LATENT);
  for (let i = 0; i < projection.length; i++) projection[i] = gaussian(random) / Math.sqrt(LATENT);
  const centres = new Float32Array(CLUSTERS * LATENT);
  for (let i = 0; i < centres.length; i++) centres[i] = gaussian(random);
  const z = new Float32Array(LATENT);
  return (i, out, offset) => {
    const r = xorshift(Math.imul(i + 1, 2654435761) ^ SEED);
    const c = Math.floor(r() * CLUSTERS) * LATENT;
    for (let j = 0; j < LATENT; j++) z[j] = centres[c + j]! + 0.6 * gaussian(r);
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      let x = 0;
      const p = d * LATENT;
      for (let j = 0; j < LATENT; j++) x += projection[p + j]! * z[j]!;
      x += 0.3 * gaussian(r);
      out[offset + d] = x;
      norm += x * x;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let d = 0; d < dims; d++) out[offset + d] = out[offset + d]! * scale;
  };
}

/** A price-like attribute uncorrelated with the vectors: `share` of keys pass. */
function filterTable(n: number, share: number): Uint8Array {
  const pass = new Uint8Array(n);
  const threshold = Math.round(share * 10_000);
  for (let key = 0; key < n; key++)
    pass[key] = (Math.imul(key + 7, 0x9e3779b1) >>> 0) % 10_000 < threshold ? 1 : 0;
  return pass;
}

function truthFile(c: VectorBenchCase): string {
  const source = c.file ? basename(c.file).replace(/[^\w.-]/g, '_') : String(SEED);
  return join(tmpdir(), `souk-vector-bench-truth-${c.n}-${c.dims}-${c.queries}-${source}.json`);
}

interface VectorSource {
  /** Catalogue vector `i` (any i ≥ 0; a file source wraps around) into `out` at `offset`. */
  vector(i: number, out: Float32Array, offset: number): void;
  query(i: number): Float32Array;
}

function sourceOf(c: VectorBenchCase): VectorSource {
  if (c.file) {
    const bytes = readFileSync(c.file);
    const rows = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    if (rows.length < (c.n + c.queries) * c.dims)
      throw new Error(`${c.file} has fewer than n + queries rows`);
    return {
      vector: (i, out, offset) =>
        out.set(rows.subarray((i % c.n) * c.dims, ((i % c.n) + 1) * c.dims), offset),
      query: (i) => rows.slice((c.n + i) * c.dims, (c.n + i + 1) * c.dims),
    };
  }
  const generate = makeGenerator(c.dims);
  return {
    vector: generate,
    query: (i) => {
      const q = new Float32Array(c.dims);
      generate(QUERY_KEY_BASE + i, q, 0);
      return q;
    },
  };
}

interface Truth {
  plain: number[][];
  filter1: number[][];
  filter10: number[][];
}

function recallOf(found: VectorHit[][], truth: number[][]): number {
  let hits = 0;
  let total = 0;
  found.forEach((hits10, q) => {
    const expected = new Set(truth[q]);
    total += expected.size;
    for (const hit of hits10) if (expected.has(hit.key)) hits++;
  });
  return total === 0 ? 1 : hits / total;
}

function timeQueries(
  index: VectorIndex,
  queries: Float32Array[],
  filter?: (key: number) => boolean,
): { p50: number; p99: number; results: VectorHit[][] } {
  const options = filter ? { filter } : undefined;
  for (const query of queries.slice(0, 10)) index.search(query, 10, options);
  const times: number[] = [];
  const results: VectorHit[][] = [];
  for (const query of queries) {
    const t = performance.now();
    results.push(index.search(query, 10, options));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), results };
}

function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function labelOf(c: VectorBenchCase): string {
  if (c.index === 'exact') return 'exact f32';
  const store = c.storage && c.storage !== c.quantization ? ` + ${c.storage} store` : '';
  const b1 = c.quantization === 'b1' ? ' + int8 store' : '';
  const names: Record<string, string> = {
    connectivity: 'M',
    expansionAdd: 'efAdd',
    rescoreCandidates: 'candidates',
  };
  const options = Object.entries(c.options ?? {})
    .map(([name, value]) => `${names[name] ?? name} ${String(value)}`)
    .join(', ');
  return `hnsw ${c.quantization ?? 'int8'}${store}${b1}${options ? ` (${options})` : ''}`;
}

/** Runs one configuration in this process. */
export function runCase(c: VectorBenchCase): VectorBenchRow {
  const label = labelOf(c);
  const tag = `${c.n.toLocaleString('en')} ${label}`;
  const source = sourceOf(c);
  const generate = source.vector;
  const queries = Array.from({ length: c.queries }, (_, i) => source.query(i));
  const pass1 = filterTable(c.n + 10_000, 0.01);
  const pass10 = filterTable(c.n + 10_000, 0.1);
  const filter1 = (key: number): boolean => pass1[key] === 1;
  const filter10 = (key: number): boolean => pass10[key] === 1;
  collect();
  const rssBefore = process.memoryUsage().rss;

  const index: ExactIndex | HnswIndex =
    c.index === 'exact'
      ? new ExactIndex(c.dims, { storage: 'f32' })
      : new HnswIndex(c.dims, { quantization: c.quantization ?? 'int8', storage: c.storage, ...c.options });
  const chunk = new Float32Array(CHUNK * c.dims);
  const keys = new Int32Array(CHUNK);
  let buildMs = 0;
  let lastReport = performance.now();
  for (let start = 0; start < c.n; start += CHUNK) {
    const count = Math.min(CHUNK, c.n - start);
    for (let i = 0; i < count; i++) {
      keys[i] = start + i;
      generate(start + i, chunk, i * c.dims);
    }
    const t = performance.now();
    if (index instanceof HnswIndex)
      index.upsertMany(keys.subarray(0, count), chunk.subarray(0, count * c.dims));
    else
      for (let i = 0; i < count; i++) index.upsert(start + i, chunk.subarray(i * c.dims, (i + 1) * c.dims));
    buildMs += performance.now() - t;
    if (performance.now() - lastReport > 10_000 || start + count === c.n) {
      lastReport = performance.now();
      progress(`${tag}: built ${start + count}/${c.n} (${(buildMs / 1000).toFixed(0)} s in the index)`);
    }
  }
  collect();
  const rssAfter = process.memoryUsage().rss;
  const indexBytes = index.byteSize();

  progress(`${tag}: ${c.queries} queries`);
  const plain = timeQueries(index, queries);
  const f1 = timeQueries(index, queries, filter1);
  const f10 = timeQueries(index, queries, filter10);
  const top = (results: VectorHit[][]): number[][] => results.map((hits) => hits.map((h) => h.key));
  let truth: Truth;
  if (c.index === 'exact') {
    truth = { plain: top(plain.results), filter1: top(f1.results), filter10: top(f10.results) };
    writeFileSync(truthFile(c), JSON.stringify(truth));
  } else if (existsSync(truthFile(c))) {
    truth = JSON.parse(readFileSync(truthFile(c), 'utf8')) as Truth;
  } else {
    throw new Error(`no ground truth for ${tag}: run the exact case first`);
  }

  let sweep: VectorBenchRow['sweep'];
  if (c.sweep && index instanceof HnswIndex) {
    sweep = [];
    for (const share of [0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2]) {
      const pass = filterTable(c.n, share);
      const filter = (key: number): boolean => pass[key] === 1;
      const sample = queries.slice(0, Math.min(50, queries.length));
      index.options.filterPath = 'exact';
      const exact = timeQueries(index, sample, filter);
      index.options.filterPath = 'graph';
      const graph = timeQueries(index, sample, filter);
      index.options.filterPath = 'auto';
      sweep.push({
        share,
        exactP50: exact.p50,
        graphP50: graph.p50,
        graphRecall: recallOf(graph.results, top(exact.results)),
      });
      progress(`${tag}: filter ${share}: exact ${exact.p50.toFixed(2)} ms, graph ${graph.p50.toFixed(2)} ms`);
    }
  }

  progress(`${tag}: serialize`);
  let t = performance.now();
  let bytes: Uint8Array | undefined = index.serialize();
  const serializeMs = performance.now() - t;
  const serializedMb = bytes.byteLength / 1e6;
  t = performance.now();
  let restored: VectorIndex | undefined = deserializeVectorIndex(bytes);
  const deserializeMs = performance.now() - t;
  if (restored.size !== index.size) throw new Error('restored index lost vectors');
  bytes = undefined;
  restored = undefined;

  const extra = 2000;
  const vector = new Float32Array(c.dims);
  t = performance.now();
  for (let i = 0; i < extra; i++) {
    generate(c.n + i, vector, 0);
    index.upsert(c.n + i, vector);
  }
  const upsertMs = (performance.now() - t) / extra;

  const row: VectorBenchRow = {
    label,
    n: c.n,
    dims: c.dims,
    buildSeconds: buildMs / 1000,
    buildRate: c.n / (buildMs / 1000),
    upsertMs,
    indexMb: indexBytes / 1e6,
    bytesPerVector: indexBytes / c.n,
    rssMb: rssAfter / 1e6,
    rssGrowthMb: (rssAfter - rssBefore) / 1e6,
    p50: plain.p50,
    p99: plain.p99,
    recall: recallOf(plain.results, truth.plain),
    filter1P50: f1.p50,
    filter1P99: f1.p99,
    filter1Recall: recallOf(f1.results, truth.filter1),
    filter10P50: f10.p50,
    filter10P99: f10.p99,
    filter10Recall: recallOf(f10.results, truth.filter10),
    serializeMs,
    deserializeMs,
    serializedMb,
  };
  if (sweep) row.sweep = sweep;
  return row;
}

/** Exact f32 scan vs HNSW int8 query latency by catalogue size (the `auto` switch point). */
export function runCrossover(dims = 512): CrossoverRow[] {
  const generate = makeGenerator(dims);
  const queries = Array.from({ length: 100 }, (_, i) => {
    const q = new Float32Array(dims);
    generate(QUERY_KEY_BASE + i, q, 0);
    return q;
  });
  const rows: CrossoverRow[] = [];
  for (const n of [1000, 2000, 5000, 10_000, 20_000]) {
    const flat = new Float32Array(n * dims);
    for (let i = 0; i < n; i++) generate(i, flat, i * dims);
    const exact = new ExactIndex(dims);
    for (let i = 0; i < n; i++) exact.upsert(i, flat.subarray(i * dims, (i + 1) * dims));
    const hnsw = new HnswIndex(dims, { exactScanBudget: 0 });
    hnsw.upsertMany(
      Array.from({ length: n }, (_, i) => i),
      flat,
    );
    const e = timeQueries(exact, queries);
    const h = timeQueries(hnsw, queries);
    rows.push({
      n,
      exactP50: e.p50,
      hnswP50: h.p50,
      hnswRecall: recallOf(
        h.results,
        e.results.map((hits) => hits.map((hit) => hit.key)),
      ),
    });
    progress(`crossover ${n}: exact ${e.p50.toFixed(3)} ms, hnsw ${h.p50.toFixed(3)} ms`);
  }
  return rows;
}

function runChild(args: string[]): string {
  const file = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`vector bench child ${args.join(' ')} failed (${result.status})`);
  const lines = result.stdout.trim().split('\n');
  return lines[lines.length - 1]!;
}

/** Real-vector cases: the default configuration and the one that reaches recall@10 ≥ 0.97 on them. */
export function realCases(file: string, n: number, queries: number, dims = 512): VectorBenchCase[] {
  const base = { n, dims, file, queries } as const;
  return [
    { ...base, index: 'exact' },
    { ...base, index: 'hnsw', quantization: 'int8' },
    { ...base, index: 'hnsw', quantization: 'int8', options: { rescoreCandidates: 200 } },
    { ...base, index: 'hnsw', quantization: 'int8', options: { expansionAdd: 256, rescoreCandidates: 200 } },
    { ...base, index: 'hnsw', quantization: 'int8', options: { expansionAdd: 256, rescoreCandidates: 400 } },
    { ...base, index: 'hnsw', quantization: 'f16', options: { expansionAdd: 256, rescoreCandidates: 200 } },
    { ...base, index: 'hnsw', quantization: 'b1', options: { rescoreCandidates: 400 } },
  ];
}

export function benchCases(quick: boolean): VectorBenchCase[] {
  const small = 54_667;
  const cases: VectorBenchCase[] = [
    { n: small, dims: 512, index: 'exact', queries: 200 },
    { n: small, dims: 512, index: 'hnsw', quantization: 'int8', queries: 200, sweep: !quick },
  ];
  if (quick) return cases;
  cases.push(
    { n: small, dims: 512, index: 'hnsw', quantization: 'int8', storage: 'f16', queries: 200 },
    { n: small, dims: 512, index: 'hnsw', quantization: 'f16', queries: 200 },
    { n: small, dims: 512, index: 'hnsw', quantization: 'f32', queries: 200 },
    { n: small, dims: 512, index: 'hnsw', quantization: 'b1', queries: 200 },
    { n: 1_000_000, dims: 512, index: 'exact', queries: 100 },
    { n: 1_000_000, dims: 512, index: 'hnsw', quantization: 'int8', queries: 100, sweep: true },
    { n: 1_000_000, dims: 512, index: 'hnsw', quantization: 'b1', queries: 100 },
  );
  return cases;
}

/** Every configuration, each in a child process; the rows for `npm run bench`. */
export function runVectorBench(
  options: { quick?: boolean; real?: { file: string; n: number; queries: number } } = {},
): {
  rows: VectorBenchRow[];
  crossover: CrossoverRow[];
} {
  const rows: VectorBenchRow[] = [];
  const { real } = options;
  const cases = real ? realCases(real.file, real.n, real.queries) : benchCases(options.quick ?? false);
  for (const c of cases) {
    progress(`${c.n} ${labelOf(c)}: starting`);
    rows.push(JSON.parse(runChild(['--case', JSON.stringify(c)])) as VectorBenchRow);
  }
  const crossover = options.quick || real ? [] : (JSON.parse(runChild(['--crossover'])) as CrossoverRow[]);
  return { rows, crossover };
}

const fixed = (x: number, digits = 2): string => x.toFixed(digits);

export function formatVectorBench(rows: VectorBenchRow[], crossover: CrossoverRow[] = []): string {
  const lines = [
    '| vectors | index | build s (vec/s) | upsert ms | index MB (B/vec) | RSS MB (growth) | p50 / p99 ms | recall@10 | 1% filter p50 / p99 ms (recall) | 10% filter p50 / p99 ms (recall) | save / load ms (MB) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.n.toLocaleString('en')} × ${r.dims} | ${r.label} | ${fixed(r.buildSeconds, 1)} (${Math.round(r.buildRate)}) | ${fixed(r.upsertMs, 3)} | ${fixed(r.indexMb, 0)} (${Math.round(r.bytesPerVector)}) | ${fixed(r.rssMb, 0)} (+${fixed(r.rssGrowthMb, 0)}) | ${fixed(r.p50)} / ${fixed(r.p99)} | ${fixed(r.recall, 3)} | ${fixed(r.filter1P50)} / ${fixed(r.filter1P99)} (${fixed(r.filter1Recall, 3)}) | ${fixed(r.filter10P50)} / ${fixed(r.filter10P99)} (${fixed(r.filter10Recall, 3)}) | ${fixed(r.serializeMs, 0)} / ${fixed(r.deserializeMs, 0)} (${fixed(r.serializedMb, 0)}) |`,
    );
  }
  for (const r of rows) {
    if (!r.sweep) continue;
    lines.push(
      '',
      `Filter paths at ${r.n.toLocaleString('en')} (${r.label}), p50 ms: exact scan of the accepted keys vs graph over-fetch`,
      '',
      '| accepted share | exact scan | graph over-fetch (recall vs exact) |',
      '|---|---|---|',
    );
    for (const s of r.sweep) {
      lines.push(
        `| ${s.share * 100}% | ${fixed(s.exactP50)} | ${fixed(s.graphP50)} (${fixed(s.graphRecall, 3)}) |`,
      );
    }
  }
  if (crossover.length > 0) {
    lines.push(
      '',
      'Exact f32 scan vs HNSW int8 by size (512-d), p50 ms',
      '',
      '| vectors | exact | hnsw (recall@10) |',
      '|---|---|---|',
    );
    for (const c of crossover) {
      lines.push(
        `| ${c.n.toLocaleString('en')} | ${fixed(c.exactP50, 3)} | ${fixed(c.hnswP50, 3)} (${fixed(c.hnswRecall, 3)}) |`,
      );
    }
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const caseAt = args.indexOf('--case');
  if (caseAt >= 0) {
    process.stdout.write(`${JSON.stringify(runCase(JSON.parse(args[caseAt + 1]!) as VectorBenchCase))}\n`);
  } else if (args.includes('--crossover')) {
    process.stdout.write(`${JSON.stringify(runCrossover())}\n`);
  } else {
    const realAt = args.indexOf('--real');
    const real =
      realAt >= 0
        ? { file: args[realAt + 1]!, n: Number(args[realAt + 2]), queries: Number(args[realAt + 3]) }
        : undefined;
    const { rows, crossover } = runVectorBench({ quick: args.includes('--quick'), real });
    console.log(formatVectorBench(rows, crossover));
  }
}
