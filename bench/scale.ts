/**
 * Scale benchmark: `node --import tsx bench/scale.ts [--quick] [--n N] [--dims D] [--keep] [--only recall,stream]`.
 *
 * souk at 1,000,000 products (`--quick`: 100,000) from bench/scale-set.ts (fixed seed, real Home Depot
 * titles and their variants). Every measurement runs in a child process (`--expose-gc`, clean RSS; peak
 * RSS is the kernel's high-water mark, reset at the start of each phase):
 *
 * 1. build: ingest into an engine with a data dir (SQLite store, default snapshot policy) — products/s,
 *    peak RSS; keyword p50/p99 on Home Depot dev queries; embed every product's text with a word-hash
 *    embedder (bench/hash-embedder.ts, 256-d: cheap and deterministic, NOT a semantic model) into the
 *    default int8 HNSW; RSS with keyword index + vectors; hybrid p50/p99; snapshot write time and size.
 * 2. startup: a new process opens the data dir (snapshot load) — time to ready, RSS, first query.
 * 3. recall: HNSW recall@10 against an exact f32 scan of the same vectors on a query sample.
 * 4. stream: streamed ingest with bounded memory — a keyword-only engine ingests the same products
 *    with ~1.5 KB descriptions (the title's words repeated: the file is large, the index barely grows)
 *    under `--max-old-space-size` well below the file size; heap growth per product is compared with
 *    the same ingest of the plain scale set.
 *
 * Writes bench/results/<date>-scale.md (`--quick`: <date>-scale-quick.md; `--only recall,stream`: the
 * build and start-up phases always run, the listed ones too, into <date>-scale-recall-stream.md) and prints it.
 * `node --import tsx bench/scale.ts --child <phase> <json>` runs one phase (used by the parent).
 */
import { spawn } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from '../src/config.ts';
import { DEFAULT_SCALE_SEED, HOMEDEPOT_QUERIES, SCALE_CACHE_DIR, writeScaleSet } from './scale-set.ts';
import type { Engine } from '../src/engine-api.ts';
import type { SearchMode } from '../src/types.ts';
import { percentile } from '../src/util/percentile.ts';

const SCRIPT = fileURLToPath(import.meta.url);
const RESULTS_DIR = resolve(import.meta.dirname, 'results');

const log = (message: string): void => {
  process.stderr.write(`[scale] ${message}\n`);
};

// ---------------------------------------------------------------------------------------------------
// Measurement helpers (child side)

/** The default vector index's parameters, as the report states them. */
function vectorIndexText(): string {
  const { quantization, connectivity, expansionAdd, expansionSearch, rescoreCandidates } = resolveConfig(
    {},
  ).vector;
  return `${quantization} HNSW (M ${connectivity}, ef_add ${expansionAdd}, ef_search ${expansionSearch}, ${rescoreCandidates} candidates re-scored against the ${quantization} store)`;
}

/** Peak RSS since the last reset (kernel high-water mark), MB. */
function peakRssMb(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Resets the kernel's RSS high-water mark to the current RSS (Linux: clear_refs 5). */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux or not allowed: the peak then covers the process's whole life so far.
  }
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

const mb = (bytes: number): number => bytes / 1024 / 1024;

function memory(): { rssMb: number; heapMb: number; externalMb: number } {
  const usage = process.memoryUsage();
  return { rssMb: mb(usage.rss), heapMb: mb(usage.heapUsed), externalMb: mb(usage.external) };
}

function readQueries(): string[] {
  return readFileSync(HOMEDEPOT_QUERIES, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t')[1] ?? '')
    .filter((q) => q !== '');
}

interface Latency {
  p50: number;
  p99: number;
  mean: number;
  queries: number;
  meanHits: number;
}

async function timeQueries(
  run: (q: string) => Promise<number>,
  queries: string[],
  warmup: number,
  label: string,
): Promise<Latency> {
  for (const q of queries.slice(0, warmup)) await run(q);
  const times: number[] = [];
  let hits = 0;
  for (let i = 0; i < queries.length; i++) {
    const t = performance.now();
    hits += await run(queries[i]!);
    times.push(performance.now() - t);
    if ((i + 1) % 1000 === 0) log(`${label}: ${i + 1}/${queries.length} queries`);
  }
  const mean = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    mean,
    queries: times.length,
    meanHits: hits / Math.max(1, times.length),
  };
}

/** Times `engine.search` in one mode over the queries (see timeQueries) and logs p50 / p99. */
async function timeSearches(
  engine: Engine,
  mode: SearchMode,
  queries: string[],
  warmup: number,
  label: string,
): Promise<Latency> {
  const latency = await timeQueries(
    async (q) => (await engine.search({ q, mode, limit: 10 })).hits.length,
    queries,
    warmup,
    label,
  );
  log(`${label}: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`);
  return latency;
}

// ---------------------------------------------------------------------------------------------------
// Child phases

interface BuildArgs {
  file: string;
  dataDir: string;
  dims: number;
  queries: number;
}

export interface BuildResult {
  products: number;
  ingestSeconds: number;
  ingestRate: number;
  ingestPeakRssMb: number;
  keywordRss: ReturnType<typeof memory>;
  keyword: Latency;
  embedSeconds: number;
  embedRate: number;
  embedPeakRssMb: number;
  hybridRss: ReturnType<typeof memory>;
  indexMb: number;
  vectorMb: number;
  vectors: number;
  hybrid: Latency;
  snapshotSeconds: number;
  snapshotMb: number;
}

function engineConfig(dataDir: string, keywordOnly: boolean) {
  return {
    dataDir,
    embedding: {
      text: { provider: keywordOnly ? ('none' as const) : ('use-lite' as const) },
      image: { provider: 'none' as const },
    },
  };
}

async function childBuild(args: BuildArgs): Promise<BuildResult> {
  const { createEngine } = await import('../src/engine.ts');
  const { createHashEmbedder } = await import('./hash-embedder.ts');
  const queries = readQueries().slice(0, args.queries);
  const engine = await createEngine(engineConfig(args.dataDir, false), {
    textEmbedder: createHashEmbedder(args.dims),
  });
  collect();
  resetPeakRss();
  let started = performance.now();
  let nextLog = 100_000;
  const report = await engine.ingest(args.file, {
    onProgress: (p) => {
      if (p.linesRead >= nextLog) {
        nextLog += 100_000;
        const s = (performance.now() - started) / 1000;
        log(`ingest: ${p.linesRead} lines, ${s.toFixed(0)} s, rss ${memory().rssMb.toFixed(0)} MB`);
      }
    },
  });
  const ingestSeconds = (performance.now() - started) / 1000;
  const ingestPeakRssMb = peakRssMb();
  log(
    `ingest: ${report.loaded} products in ${ingestSeconds.toFixed(1)} s (peak RSS ${ingestPeakRssMb.toFixed(0)} MB)`,
  );
  collect();
  const keywordRss = memory();
  const keyword = await timeSearches(engine, 'keyword', queries, 300, 'keyword');

  collect();
  resetPeakRss();
  started = performance.now();
  let nextEmbedLog = 100_000;
  const embedded = await engine.embed({
    onProgress: (p) => {
      if (p.done >= nextEmbedLog) {
        nextEmbedLog += 100_000;
        const s = (performance.now() - started) / 1000;
        log(`embed: ${p.done}/${p.total}, ${s.toFixed(0)} s, rss ${memory().rssMb.toFixed(0)} MB`);
      }
    },
  });
  const embedSeconds = (performance.now() - started) / 1000;
  const embedPeakRssMb = peakRssMb();
  log(`embed: ${embedded.embedded + embedded.cached} vectors in ${embedSeconds.toFixed(1)} s`);
  collect();
  const hybridRss = memory();
  const stats = await engine.stats();
  const hybrid = await timeSearches(engine, 'hybrid', queries, 300, 'hybrid');

  started = performance.now();
  await engine.snapshot();
  const snapshotSeconds = (performance.now() - started) / 1000;
  const snapshotMb = mb(statSync(join(args.dataDir, 'index.snapshot')).size);
  log(`snapshot: ${snapshotMb.toFixed(0)} MB in ${snapshotSeconds.toFixed(1)} s`);
  await engine.close();
  const text = stats.vectors.text;
  return {
    products: stats.products,
    ingestSeconds,
    ingestRate: report.loaded / ingestSeconds,
    ingestPeakRssMb,
    keywordRss,
    keyword,
    embedSeconds,
    embedRate: (embedded.embedded + embedded.cached) / embedSeconds,
    embedPeakRssMb,
    hybridRss,
    indexMb: mb(stats.indexBytes),
    vectorMb: mb(text?.bytes ?? 0),
    vectors: text?.vectors ?? 0,
    hybrid,
    snapshotSeconds,
    snapshotMb,
  };
}

export interface StartupResult {
  /** From process start to the first line of this module (node, tsx, nothing of souk yet). */
  processStartMs: number;
  /** Importing the engine's modules. */
  importMs: number;
  /** createEngine: store open + snapshot read, verify, deserialise + log replay. */
  openMs: number;
  /** From process start to an engine ready for queries. */
  readyMs: number;
  products: number;
  vectors: number;
  rssAfterOpenMb: number;
  peakRssMb: number;
  rss: ReturnType<typeof memory>;
  firstQueryMs: number;
  hybrid: Latency;
}

async function childStartup(args: BuildArgs & { atModuleStart: number }): Promise<StartupResult> {
  const importStart = performance.now();
  const { createEngine } = await import('../src/engine.ts');
  const { createHashEmbedder } = await import('./hash-embedder.ts');
  const importMs = performance.now() - importStart;
  const openStart = performance.now();
  const engine = await createEngine(engineConfig(args.dataDir, false), {
    textEmbedder: createHashEmbedder(args.dims),
  });
  const readyMs = performance.now();
  const openMs = readyMs - openStart;
  const rssAfterOpenMb = memory().rssMb;
  const peak = peakRssMb();
  const stats = await engine.stats();
  log(
    `startup: ready in ${(readyMs / 1000).toFixed(2)} s (createEngine ${(openMs / 1000).toFixed(2)} s), ${stats.products} products`,
  );
  const queries = readQueries().slice(0, Math.min(args.queries, 1000));
  const t = performance.now();
  await engine.search({ q: queries[0] ?? 'hammer', mode: 'hybrid', limit: 10 });
  const firstQueryMs = performance.now() - t;
  const hybrid = await timeSearches(engine, 'hybrid', queries, 100, 'startup hybrid');
  collect();
  const rss = memory();
  await engine.close();
  return {
    processStartMs: args.atModuleStart,
    importMs,
    openMs,
    readyMs,
    products: stats.products,
    vectors: stats.vectors.text?.vectors ?? 0,
    rssAfterOpenMb,
    peakRssMb: peak,
    rss,
    firstQueryMs,
    hybrid,
  };
}

export interface RecallResult {
  queries: number;
  recallAt10: number;
  /** Counting a hit as found when its exact similarity ties the exact 10th's (sparse vectors tie often). */
  tieAwareRecallAt10: number;
  annP50: number;
  exactP50: number;
}

async function childRecall(args: BuildArgs & { sample: number }): Promise<RecallResult> {
  const { readSnapshotFile } = await import('../src/store/snapshot-file.ts');
  const { Sections } = await import('../src/lexical/binary-sections.ts');
  const { ProductKeys } = await import('../src/embed/product-keys.ts');
  const { deserializeVectorIndex } = await import('../src/vector/create-vector-index.ts');
  const { ExactIndex } = await import('../src/vector/exact-index.ts');
  const { validateProduct } = await import('../src/catalog/product-schema.ts');
  const { productEmbeddingText } = await import('../src/embed/product-inputs.ts');
  const { hashEmbed } = await import('./hash-embedder.ts');
  const snapshot = await readSnapshotFile(args.dataDir, 'index');
  if (!snapshot) throw new Error(`no snapshot in ${args.dataDir}`);
  const sections = new Sections(snapshot.data);
  const keys = ProductKeys.deserialize(sections.uint8('keys'));
  // Keys point at document numbers; the lexical section names the product of each.
  const externalIds = new Sections(sections.uint8('lexical')).string('externalIds').split('\u0000');
  const keyOfId = new Map<string, number>();
  for (let key = 0; key < keys.keyLimit; key++) {
    const docId = keys.docIdOf(key);
    if (docId >= 0) keyOfId.set(externalIds[docId]!, key);
  }
  const space = new Sections(sections.uint8('space:text'));
  const ann = deserializeVectorIndex(space.uint8('index'), resolveConfig({}).vector);
  log(`recall: HNSW of ${ann.size} vectors loaded; embedding the catalogue exactly (f32)`);
  const exact = new ExactIndex(args.dims, { storage: 'f32' });
  const lines = createInterface({ input: createReadStream(args.file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    if (line === '') continue;
    const { product } = validateProduct(JSON.parse(line));
    if (!product) continue;
    const key = keyOfId.get(product.id);
    if (key === undefined) continue;
    exact.upsert(key, hashEmbed(productEmbeddingText(product), args.dims));
    if (++n % 200_000 === 0) log(`recall: ${n} exact vectors`);
  }
  const all = readQueries();
  // An even sample over the dev queries (fixed: every k-th).
  const step = Math.max(1, Math.floor(all.length / args.sample));
  const sample = all.filter((_, i) => i % step === 0).slice(0, args.sample);
  let found = 0;
  let tieFound = 0;
  const annTimes: number[] = [];
  const exactTimes: number[] = [];
  for (let i = 0; i < sample.length; i++) {
    const q = hashEmbed(sample[i]!, args.dims);
    let t = performance.now();
    const truth = exact.search(q, 10);
    exactTimes.push(performance.now() - t);
    t = performance.now();
    const got = ann.search(q, 10);
    annTimes.push(performance.now() - t);
    const truthKeys = new Set(truth.map((hit) => hit.key));
    const tenth = truth[truth.length - 1]?.score ?? -Infinity;
    const scored = new Map(
      exact
        .score(
          q,
          got.map((hit) => hit.key),
        )
        .map((hit) => [hit.key, hit.score]),
    );
    for (const hit of got) {
      if (truthKeys.has(hit.key)) found++;
      if ((scored.get(hit.key) ?? -Infinity) >= tenth - 1e-5) tieFound++;
    }
    if ((i + 1) % 100 === 0) log(`recall: ${i + 1}/${sample.length} queries`);
  }
  annTimes.sort((a, b) => a - b);
  exactTimes.sort((a, b) => a - b);
  return {
    queries: sample.length,
    recallAt10: found / (10 * sample.length),
    tieAwareRecallAt10: tieFound / (10 * sample.length),
    annP50: percentile(annTimes, 50),
    exactP50: percentile(exactTimes, 50),
  };
}

interface StreamArgs {
  file: string;
  dataDir: string;
  sampleEvery: number;
}

export interface StreamResult {
  products: number;
  fileMb: number;
  maxOldSpaceMb: number | undefined;
  seconds: number;
  rate: number;
  peakRssMb: number;
  finalHeapMb: number;
  indexMb: number;
  /** Heap growth per product (after a full collection) between the first and the last sample, bytes. */
  heapBytesPerProduct: number;
  rssBytesPerProduct: number;
  samples: Array<{ products: number; heapMb: number; rssMb: number }>;
}

async function childStream(args: StreamArgs): Promise<StreamResult> {
  const { createEngine } = await import('../src/engine.ts');
  const engine = await createEngine(engineConfig(args.dataDir, true));
  collect();
  resetPeakRss();
  const samples: StreamResult['samples'] = [];
  let next = args.sampleEvery;
  const started = performance.now();
  const report = await engine.ingest(args.file, {
    onProgress: (p) => {
      if (p.loaded < next) return;
      next += args.sampleEvery;
      collect();
      const m = memory();
      samples.push({ products: p.loaded, heapMb: m.heapMb, rssMb: m.rssMb });
      log(`stream: ${p.loaded} products, heap ${m.heapMb.toFixed(0)} MB, rss ${m.rssMb.toFixed(0)} MB`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const peak = peakRssMb();
  collect();
  const final = memory();
  const stats = await engine.stats();
  await engine.close();
  const first = samples[0];
  const last = samples[samples.length - 1];
  const span = first && last && last.products > first.products ? last.products - first.products : 1;
  const limit = /--max-old-space-size=(\d+)/.exec(process.execArgv.join(' '))?.[1];
  return {
    products: report.loaded,
    fileMb: mb(statSync(args.file).size),
    maxOldSpaceMb: limit === undefined ? undefined : Number(limit),
    seconds,
    rate: report.loaded / seconds,
    peakRssMb: peak,
    finalHeapMb: final.heapMb,
    indexMb: mb(stats.indexBytes),
    heapBytesPerProduct: first && last ? ((last.heapMb - first.heapMb) * 1024 * 1024) / span : 0,
    rssBytesPerProduct: first && last ? ((last.rssMb - first.rssMb) * 1024 * 1024) / span : 0,
    samples,
  };
}

// ---------------------------------------------------------------------------------------------------
// Parent

/** Runs a phase in a child process; its result is the JSON on the last stdout line. */
function runChild<T>(phase: string, args: object, nodeFlags: string[] = []): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', ...nodeFlags, '--import', 'tsx', SCRIPT, '--child', phase, JSON.stringify(args)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${phase} child exited with ${code ?? signal}`));
        return;
      }
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolvePromise(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${phase} child printed no result: ${out.slice(-500)}`));
      }
    });
  });
}

function ensureFile(n: number, repeatTitleBytes = 0): string {
  const name = `scale-${n}-${DEFAULT_SCALE_SEED}${repeatTitleBytes > 0 ? `-r${repeatTitleBytes}` : ''}.jsonl`;
  const file = join(SCALE_CACHE_DIR, name);
  if (!existsSync(file)) {
    log(`writing ${file}`);
    writeScaleSet(file, n, DEFAULT_SCALE_SEED, { repeatTitleBytes });
  }
  return file;
}

const f = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Options {
  quick: boolean;
  n: number;
  dims: number;
  keep: boolean;
  only: Set<string> | undefined;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = value('--only');
  return {
    quick,
    n: Number(value('--n') ?? (quick ? 100_000 : 1_000_000)),
    dims: Number(value('--dims') ?? 256),
    keep: argv.includes('--keep'),
    only: only === undefined ? undefined : new Set(only.split(',')),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { n, dims } = options;
  const wants = (phase: string): boolean => options.only === undefined || options.only.has(phase);
  const file = ensureFile(n);
  const fileMb = mb(statSync(file).size);
  const dataDir = mkdtempSync(join(tmpdir(), 'souk-scale-'));
  const queries = options.quick ? 2000 : 5000;
  const lines: string[] = [];
  try {
    log(`build: ${n} products (${fileMb.toFixed(0)} MB) into ${dataDir}`);
    const build = await runChild<BuildResult>('build', { file, dataDir, dims, queries });
    const startup = await runChild<StartupResult>('startup', { file, dataDir, dims, queries });
    const recall = wants('recall')
      ? await runChild<RecallResult>('recall', { file, dataDir, dims, sample: options.quick ? 200 : 300 })
      : undefined;
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });

    let plain: StreamResult | undefined;
    let streamed: StreamResult | undefined;
    if (wants('stream')) {
      const sampleEvery = Math.max(10_000, Math.round(n / 10));
      const plainDir = mkdtempSync(join(tmpdir(), 'souk-scale-plain-'));
      plain = await runChild<StreamResult>('stream', { file, dataDir: plainDir, sampleEvery });
      rmSync(plainDir, { recursive: true, force: true });
      const bigFile = ensureFile(n, 1500);
      // Well below the file, well above what the index needs (plain run's final heap, doubled for GC room).
      const limit = Math.max(256, Math.ceil((plain.finalHeapMb * 2) / 64) * 64);
      const bigDir = mkdtempSync(join(tmpdir(), 'souk-scale-stream-'));
      streamed = await runChild<StreamResult>('stream', { file: bigFile, dataDir: bigDir, sampleEvery }, [
        `--max-old-space-size=${limit}`,
      ]);
      rmSync(bigDir, { recursive: true, force: true });
    }

    const date = new Date().toISOString().slice(0, 10);
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    const gb = (value: number): string => `${f(value / 1024, 2)} GB`;
    lines.push(
      `# souk at scale: ${f(n)} products — ${date}`,
      '',
      `Machine: ${cpus().length} × ${cpu}, ${f(totalmem() / 1024 ** 3, 0)} GB RAM, Node ${process.version}, ${process.platform}.`,
      `Catalogue: bench/scale-set.ts seed ${DEFAULT_SCALE_SEED} — the 54,667 real Home Depot titles plus variants of them (brand swapped, numbers changed, colours and pack sizes added), ${f(fileMb)} MB of JSONL. Queries: Home Depot dev queries (queries.tsv, first ${f(queries)}).`,
      `**Vectors come from a word-hash embedder** (bench/hash-embedder.ts, ${dims}-d bag of hashed words — cheap and deterministic, not a semantic model), in the default index: ${vectorIndexText()}. Every phase runs in its own process (\`--expose-gc\`); peak RSS is the kernel's high-water mark for that phase; RSS after a full GC.`,
      '',
      '| measurement | value | target |',
      '|---|---|---|',
      `| ingest (SQLite data dir, default snapshot every 50k changes) | ${f(build.ingestRate)} products/s (${f(build.ingestSeconds, 1)} s) | |`,
      `| peak RSS during ingest | ${gb(build.ingestPeakRssMb)} | |`,
      `| RSS, keyword index only | ${gb(build.keywordRss.rssMb)} (heap ${f(build.keywordRss.heapMb)} MB) | |`,
      `| keyword query p50 / p99 | ${f(build.keyword.p50, 2)} / ${f(build.keyword.p99, 2)} ms | |`,
      `| embed all products (hash embedder, HNSW inserts) | ${f(build.embedRate)} vectors/s (${f(build.embedSeconds, 1)} s), peak RSS ${gb(build.embedPeakRssMb)} | |`,
      `| **RSS, keyword index + int8 HNSW text vectors** | **${gb(build.hybridRss.rssMb)}** (heap ${f(build.hybridRss.heapMb)} MB; index ${f(build.indexMb)} MB, vectors ${f(build.vectorMb)} MB est.) | ≤ 1.5 GB ${build.hybridRss.rssMb <= 1536 ? '✓' : '✗'} |`,
      `| **hybrid query p50** / p99 | **${f(build.hybrid.p50, 2)}** / ${f(build.hybrid.p99, 2)} ms | p50 ≤ 10 ms ${build.hybrid.p50 <= 10 ? '✓' : '✗'} |`,
    );
    if (recall) {
      lines.push(
        `| **ANN recall@10** vs exact f32 scan (${recall.queries} queries; as ann-benchmarks counts it: a hit is found when its exact similarity reaches the true 10th's, ties included) | **${f(recall.tieAwareRecallAt10, 3)}** (by id, ties broken arbitrarily: ${f(recall.recallAt10, 3)}); ANN ${f(recall.annP50, 2)} ms vs exact ${f(recall.exactP50, 1)} ms p50 | ≥ 0.97 ${recall.tieAwareRecallAt10 >= 0.97 ? '✓' : '✗'} |`,
      );
    }
    lines.push(
      `| snapshot write | ${f(build.snapshotSeconds, 1)} s, ${f(build.snapshotMb)} MB | |`,
      `| **start-up of a new process from the snapshot** | **${f(startup.readyMs / 1000, 2)} s** to ready (node + tsx ${f(startup.processStartMs / 1000, 2)} s, imports ${f(startup.importMs / 1000, 2)} s, createEngine ${f(startup.openMs / 1000, 2)} s); ${f(startup.products)} products, ${f(startup.vectors)} vectors | seconds ${startup.readyMs <= 10_000 ? '✓' : '✗'} |`,
      `| after start-up: RSS / first hybrid query / hybrid p50 | ${gb(startup.rss.rssMb)} (peak while loading ${gb(startup.peakRssMb)}) / ${f(startup.firstQueryMs, 1)} ms / ${f(startup.hybrid.p50, 2)} ms | |`,
    );
    if (plain && streamed) {
      lines.push(
        '',
        '## Streamed ingest with bounded memory',
        '',
        `Keyword-only engine (SQLite data dir), the same ${f(n)} products twice: as above, and with a ~1.5 KB description each (the title's words repeated, so the file is large but the index barely grows) under \`--max-old-space-size=${streamed.maxOldSpaceMb ?? '-'}\`. Heap after a full GC, sampled every ${f(Math.max(10_000, Math.round(n / 10)))} products.`,
        '',
        '| file | size | heap limit | products/s | heap growth per product | final heap | index (est.) | peak RSS |',
        '|---|---|---|---|---|---|---|---|',
        ...[plain, streamed].map(
          (row, i) =>
            `| ${i === 0 ? 'scale set' : 'with 1.5 KB descriptions'} | ${f(row.fileMb)} MB | ${row.maxOldSpaceMb === undefined ? 'default' : `${f(row.maxOldSpaceMb)} MB`} | ${f(row.rate)} | ${f(row.heapBytesPerProduct)} B | ${f(row.finalHeapMb)} MB | ${f(row.indexMb)} MB | ${gb(row.peakRssMb)} |`,
        ),
        '',
        `The file with descriptions is ${f(streamed.fileMb / Math.max(1, streamed.maxOldSpaceMb ?? streamed.fileMb), 1)}× the heap limit; the ingest completes and its heap grows by ${f(streamed.heapBytesPerProduct)} B per product against ${f(plain.heapBytesPerProduct)} B without descriptions, ${f((streamed.fileMb * 1024 * 1024) / streamed.products)} B of file per product: memory follows the index, not the file.`,
      );
    }
    const out = lines.join('\n') + '\n';
    mkdirSync(RESULTS_DIR, { recursive: true });
    // A partial run (--only) keeps its own file beside the full one.
    const part = options.only ? `-${[...options.only].join('-')}` : '';
    const target = join(RESULTS_DIR, `${date}-scale${options.quick ? '-quick' : ''}${part}.md`);
    writeFileSync(target, out);
    process.stdout.write(out);
    log(`wrote ${target}`);
  } finally {
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
    else log(`kept ${dataDir}`);
  }
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  const atModuleStart = performance.now();
  const phase = process.argv[childIndex + 1];
  const args = JSON.parse(process.argv[childIndex + 2] ?? '{}') as BuildArgs &
    StreamArgs & { sample: number };
  const run = async (): Promise<unknown> => {
    switch (phase) {
      case 'build':
        return childBuild(args);
      case 'startup':
        return childStartup({ ...args, atModuleStart });
      case 'recall':
        return childRecall(args);
      case 'stream':
        return childStream(args);
      default:
        throw new Error(`unknown phase ${phase}`);
    }
  };
  run().then(
    (result) => {
      process.stdout.write(JSON.stringify(result) + '\n');
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      // An engine left open (its store worker) would keep the process alive.
      process.exit(1);
    },
  );
} else if (process.argv[1] && resolve(process.argv[1]) === SCRIPT) {
  await main();
}
