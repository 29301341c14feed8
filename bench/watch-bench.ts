/**
 * Change-feed benchmark: `node --import tsx bench/watch-bench.ts [--quick] [--no-use-lite] [--no-scale]`.
 *
 * The claim under test: `souk watch` applying a 1% change costs a small fraction of a full rebuild, and
 * unchanged products are not embedded again. For each catalogue and embedder:
 *
 * 1. full rebuild: a fresh engine on an empty data directory ingests a copy of the catalogue (and embeds
 *    every product's text when an embedder is configured), then closes (the snapshot write included);
 * 2. 1% of the products are edited in the copy: every 100th line, alternately its price (+10%) or its
 *    title (" (2027 edition)" appended), so half of the edits change the embedded text and half do not;
 * 3. watch pass: a new engine opens the data directory, the feed builds its id → content-hash map from
 *    the store (Engine.scan, once per process), reads and diffs the whole export and applies the
 *    difference (src/feed/file-feed.ts, the code `souk watch` runs), embeds, closes;
 * 4. for comparison, `engine.ingest` of the original file on that store (it too skips unchanged products
 *    by hash, but pushes every product through the store and cannot delete).
 *
 * Catalogues: Home Depot (54,667 products, ../shared/datasets) and, unless --no-scale / --quick, the
 * 1,000,000-product scale set of bench/scale-set.ts. Embedders: none (keyword only), a word-hash
 * embedder (cheap, deterministic, counts the texts it embeds) and, on Home Depot unless --no-use-lite / --quick, the
 * real USE-Lite model (`embedding.text.provider: 'use-lite'`; its full rebuild embeds 54,667 titles).
 *
 * Writes bench/results/<date>-watch.md and prints it. Run timed runs under `flock /tmp/souk-bench.lock`.
 */
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { SoukConfig } from '../src/config.ts';
import { createEngine, type EngineParts } from '../src/engine.ts';
import { applyDiff, readExport, storedHashes } from '../src/feed/file-feed.ts';
import { normalizeInPlace, type TextEmbedder } from '../src/embed/embedder.ts';
import { DEFAULT_SCALE_SEED, HOMEDEPOT_PRODUCTS, ensureScaleSet } from './scale-set.ts';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const useLite = !quick && !args.has('--no-use-lite');
const scale = !quick && !args.has('--no-scale');

const log = (message: string): void => {
  process.stderr.write(`[watch-bench] ${message}\n`);
};

type EmbedderKind = 'none' | 'word-hash' | 'use-lite';

/** A word-hash text embedder that counts the texts it is given. */
interface CountingEmbedder extends TextEmbedder {
  texts: number;
}

/**
 * The bag-of-words hashing of test/helpers/word-hash-embedder.ts (256 buckets, unit length), without its
 * synonym table and call log: that table is a plain object, so a title word such as "constructor" finds
 * Object.prototype's function there, and the log would hold every title of a large catalogue.
 */
function createCountingEmbedder(dims = 256): CountingEmbedder {
  const embedder: CountingEmbedder = {
    id: { provider: 'test', model: 'word-hash', version: '1', dims },
    multilingual: false,
    texts: 0,
    async embed(texts) {
      embedder.texts += texts.length;
      return texts.map((text) => {
        const vector = new Float32Array(dims);
        for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
          let hash = 2166136261;
          for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
          vector[(hash >>> 0) % dims]! += 1;
        }
        return normalizeInPlace(vector);
      });
    },
    async close() {},
  };
  return embedder;
}

interface Scenario {
  catalogue: string;
  file: string;
  embedder: EmbedderKind;
}

interface Result {
  scenario: Scenario;
  products: number;
  edits: { price: number; title: number };
  full: { ingestMs: number; embedMs: number; totalMs: number; embedded: number };
  watch: {
    openMs: number;
    hashMapMs: number;
    passMs: number;
    embedMs: number;
    totalMs: number;
    upserts: number;
    deletes: number;
    unchanged: number;
    embedded: number;
    fromCache: number;
    modelTexts: number | undefined;
  };
  reingestMs: number;
}

function engineSetup(
  kind: EmbedderKind,
  dataDir: string,
): { config: SoukConfig; parts: EngineParts; embedder?: CountingEmbedder } {
  const image = { provider: 'none' as const };
  if (kind === 'none')
    return { config: { dataDir, embedding: { text: { provider: 'none' }, image } }, parts: {} };
  if (kind === 'use-lite') {
    return { config: { dataDir, embedding: { text: { provider: 'use-lite' }, image } }, parts: {} };
  }
  const embedder = createCountingEmbedder();
  return { config: { dataDir, embedding: { image } }, parts: { textEmbedder: embedder }, embedder };
}

const textsIn = (embedder: CountingEmbedder | undefined): number | undefined => embedder?.texts;

/** Copies `from` to `to`, editing every 100th product (alternately price and title). */
async function copyWithEdits(
  from: string,
  to: string,
  edit: boolean,
): Promise<{ price: number; title: number; products: number }> {
  const out = createWriteStream(to);
  const counts = { price: 0, title: 0, products: 0 };
  let i = 0;
  for await (const line of createInterface({ input: createReadStream(from), crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    let text = line;
    if (edit && i % 100 === 0) {
      const product = JSON.parse(line) as { title: string; price?: number };
      if ((i / 100) % 2 === 0) {
        product.price = Math.round(((product.price ?? 9) * 1.1 + 0.01) * 100) / 100;
        counts.price++;
      } else {
        product.title = `${product.title} (2027 edition)`;
        counts.title++;
      }
      text = JSON.stringify(product);
    }
    i++;
    counts.products++;
    if (!out.write(text + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return counts;
}

async function run(scenario: Scenario): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'souk-watch-bench-'));
  const name = `${scenario.catalogue} / ${scenario.embedder}`;
  try {
    const exportFile = join(dir, 'export.jsonl');
    const dataDir = join(dir, 'data');
    const { products } = await copyWithEdits(scenario.file, exportFile, false);

    log(`${name}: full rebuild of ${products} products`);
    global.gc?.();
    let setup = engineSetup(scenario.embedder, dataDir);
    let started = performance.now();
    let engine = await createEngine(setup.config, setup.parts);
    const t = performance.now();
    await engine.ingest(exportFile);
    const ingestMs = performance.now() - t;
    let embedMs = 0;
    let fullEmbedded = 0;
    if (scenario.embedder !== 'none') {
      const e = performance.now();
      let last = Date.now();
      const report = await engine.embed({
        onProgress: (p) => {
          if (Date.now() - last < 30_000) return;
          last = Date.now();
          log(`${name}: embedding ${p.done}/${p.total}`);
        },
      });
      embedMs = performance.now() - e;
      fullEmbedded = report.embedded;
    }
    await engine.close();
    const full = { ingestMs, embedMs, totalMs: performance.now() - started, embedded: fullEmbedded };

    const edits = await copyWithEdits(scenario.file, exportFile, true);
    log(`${name}: watch pass after ${edits.price} price and ${edits.title} title edits`);
    global.gc?.();
    setup = engineSetup(scenario.embedder, dataDir);
    started = performance.now();
    engine = await createEngine(setup.config, setup.parts);
    const openMs = performance.now() - started;
    const h = performance.now();
    const known = await storedHashes(engine);
    const hashMapMs = performance.now() - h;
    const p = performance.now();
    const outcome = await readExport(exportFile, known);
    if (outcome.status !== 'ok') throw new Error(`export not read: ${JSON.stringify(outcome)}`);
    const applied = await applyDiff(engine, outcome.diff, known);
    const passMs = performance.now() - p;
    let watchEmbedMs = 0;
    let embedded = 0;
    let fromCache = 0;
    if (scenario.embedder !== 'none') {
      const e = performance.now();
      const report = await engine.embed();
      watchEmbedMs = performance.now() - e;
      embedded = report.embedded;
      fromCache = report.cached;
    }
    const modelTexts = textsIn(setup.embedder);
    await engine.close();
    const watchTotal = performance.now() - started;

    log(`${name}: souk ingest of the original file on the same store`);
    setup = engineSetup(scenario.embedder, dataDir);
    engine = await createEngine(setup.config, setup.parts);
    const r = performance.now();
    await engine.ingest(scenario.file);
    const reingestMs = performance.now() - r;
    await engine.close();

    return {
      scenario,
      products,
      edits,
      full,
      watch: {
        openMs,
        hashMapMs,
        passMs,
        embedMs: watchEmbedMs,
        totalMs: watchTotal,
        upserts: applied.written,
        deletes: applied.deleted,
        unchanged: outcome.diff.unchanged,
        embedded,
        fromCache,
        modelTexts,
      },
      reingestMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const scenarios: Scenario[] = [];
const hd = { catalogue: 'Home Depot', file: HOMEDEPOT_PRODUCTS };
scenarios.push({ ...hd, embedder: 'none' }, { ...hd, embedder: 'word-hash' });
if (useLite) scenarios.push({ ...hd, embedder: 'use-lite' });
if (scale) {
  const file = ensureScaleSet(1_000_000, DEFAULT_SCALE_SEED);
  const big = { catalogue: 'scale set 1M', file };
  scenarios.push({ ...big, embedder: 'none' }, { ...big, embedder: 'word-hash' });
}

const results: Result[] = [];
for (const scenario of scenarios) results.push(await run(scenario));

const s = (ms: number): string => (ms >= 10_000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(2));
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;
const n = (x: number): string => x.toLocaleString('en-US');

const date = new Date().toISOString().slice(0, 10);
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const rows = results.map((r) => {
  const w = r.watch;
  return (
    `| ${r.scenario.catalogue} (${n(r.products)}) | ${r.scenario.embedder} | ` +
    `${s(r.full.ingestMs)} | ${r.scenario.embedder === 'none' ? '–' : s(r.full.embedMs)} | **${s(r.full.totalMs)}** | ` +
    `${s(w.openMs)} + ${s(w.hashMapMs)} | ${s(w.passMs)} | ${r.scenario.embedder === 'none' ? '–' : s(w.embedMs)} | **${s(w.totalMs)}** | ` +
    `**${pct(w.totalMs, r.full.totalMs)}** (pass alone ${pct(w.passMs + w.embedMs, r.full.totalMs)}) | ` +
    `${n(w.upserts)} / ${n(w.deletes)} / ${n(w.unchanged)} | ` +
    `${r.scenario.embedder === 'none' ? '–' : `${n(r.full.embedded)} → ${n(w.embedded)} (${n(w.fromCache)} cached)`} | ` +
    `${s(r.reingestMs)} |`
  );
});
const wordHash = results.filter((r) => r.watch.modelTexts !== undefined);
const table = `## souk watch: incremental update vs full rebuild — ${date}

Machine: ${machine}. Each catalogue is copied, loaded into an empty SQLite data directory (full rebuild),
then 1% of its products are edited in the copy (every 100th line: half get a new price, half a new title)
and a new process-like run applies the change as \`souk watch\` does (src/feed/file-feed.ts). Times in
seconds, wall clock, one run each (\`flock /tmp/souk-bench.lock\`).

- **full rebuild** = open + ingest (+ embed every product's text) + close (snapshot write included).
- **watch start** = open the data directory (snapshot load) + build the id → content-hash map from the store
  (once per \`souk watch\` process; a running watch keeps it in memory, so later passes skip both).
- **watch pass** = read and hash the whole export, diff, write the upserts (+ deletes) to the store and indexes.
- **watch total** = start + pass (+ embed) + close: what one \`souk watch --once\` run from cron costs, minus Node start-up.
- **texts embedded** = vectors computed by the model in the full rebuild → in the watch pass; price-only
  edits change no embedded text, so their vectors come from the store's embedding cache.
- **souk ingest 1%** = \`engine.ingest\` of the original file on the updated store (it also skips unchanged
  products by hash, but sends every product through the store and cannot delete).

| catalogue | embedder | full: ingest | full: embed | **full rebuild** | watch start (open + hash map) | watch pass | watch embed | **watch total** | **watch / full** | written / deleted / unchanged | texts embedded (full → watch) | souk ingest 1% |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${wordHash
  .map(
    (r) =>
      `- ${r.scenario.catalogue}, word-hash: the embedder was called for ${n(r.watch.modelTexts ?? 0)} texts in the watch run ` +
      `(${n(r.edits.title)} titles edited, ${n(r.edits.price)} prices edited).`,
  )
  .join('\n')}
`;

const resultsDir = resolve(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
const out = join(resultsDir, `${date}-watch${quick ? '-quick' : ''}.md`);
writeFileSync(out, table);
process.stdout.write(table);
log(`wrote ${out} (${statSync(out).size} bytes)`);
