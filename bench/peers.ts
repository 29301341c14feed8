/**
 * Side-by-side peer benchmark: `node --import tsx bench/peers.ts [--quick] [--sizes 54k,1m]
 * [--engines souk,minisearch,…] [--queries N] [--scale-products N]
 * [--vector-limit-min 20] [--reuse] [--keyword-only]` (engines, queries and scale-products are for development; a run with --engines or --sizes
 * writes its own file).
 *
 * The same catalogue and the same queries through souk and through peers installed as dev dependencies:
 * Orama, MiniSearch, FlexSearch, SQLite FTS5 (better-sqlite3) and LanceDB (its FTS index and its vector
 * search). Per engine: ingest throughput (from the JSONL file to a searchable index, every engine reads and
 * parses the same file), keyword query p50 / p99, hybrid query p50 where the engine has hybrid search,
 * RSS after GC, index size and NDCG@10 on the Home Depot dev queries (scored by souk's own
 * src/eval/metrics.ts for every engine).
 *
 * Every engine runs in its own child process (`--expose-gc`, clean RSS), bounded: the parent kills a child
 * whose RSS passes 12 GB or whose ingest passes 10 minutes (a vector index built after ingest: 20 minutes),
 * and records "did not finish" with the reason. Each query pass is also capped in time; a capped pass reports how many queries it
 * ran.
 *
 * Hybrid search uses one cheap deterministic text embedding for every engine (a bag of words hashed into
 * 128 buckets, unit length, over souk's own embedding text of each product), so the vector work is the same
 * everywhere and the 1M run needs no model. Its vectors carry no meaning beyond the words, so hybrid NDCG
 * here says nothing about semantic quality; the hybrid numbers are about latency and memory.
 *
 * Sizes: Home Depot (54,667 products, ../shared/datasets/homedepot) and a 1,000,000-product scale set from
 * bench/scale-set.ts (fixed seed; cached in bench/_cache, which git ignores). At 1M there are no judgments:
 * latency only, with the Home Depot dev queries. `--quick`: 54k only, 1,000 keyword / 300 hybrid queries.
 *
 * Writes bench/results/<date>-peers.md (`--quick`: <date>-peers-quick.md) and prints it; progress goes to
 * stderr.
 */
import { spawn } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { normalizeInPlace, type TextEmbedder } from '../src/embed/embedder.ts';
import { productEmbeddingText } from '../src/embed/product-inputs.ts';
import { mean, ndcgAt } from '../src/eval/metrics.ts';
import { readQrels, readQueries } from '../src/eval/judgment-files.ts';
import type { Product } from '../src/types.ts';
import { DEFAULT_SCALE_SEED, ensureScaleSet, HOMEDEPOT_PRODUCTS } from './scale-set.ts';
import { percentile } from '../src/util/percentile.ts';

const HOMEDEPOT_DIR = resolve(import.meta.dirname, '../../shared/datasets/homedepot');
/** Each engine's last result per size (git-ignored), for `--reuse`. */
const OUTCOMES_DIR = resolve(import.meta.dirname, '_cache/peers-outcomes');

function outcomeFile(size: SizeName, engine: EngineName): string {
  return join(OUTCOMES_DIR, `${size}-${engine}.json`);
}

function saveResult(size: SizeName, result: ChildResult): void {
  mkdirSync(OUTCOMES_DIR, { recursive: true });
  writeFileSync(outcomeFile(size, result.engine), JSON.stringify(result));
}
const DIMS = 128;
const GB = 1e9;
const RSS_LIMIT = 12 * GB;
const INGEST_LIMIT_MS = 10 * 60_000;
/** A vector index built after ingest (souk's embed(), LanceDB's IVF_PQ) gets its own limit. */
let vectorLimitMs = 20 * 60_000;
/** Field boosts given to every engine that has them: souk's own defaults (title 3, brand 2, category 1.5, description 0.5). */
const BOOSTS = { title: 3, brand: 2, category: 1.5, description: 0.5 } as const;
const TEXT_FIELDS = ['title', 'brand', 'category', 'description'] as const;

export const ENGINES = [
  'souk',
  'minisearch',
  'orama',
  'orama-hybrid',
  'flexsearch',
  'sqlite',
  'lancedb',
] as const;
export type EngineName = (typeof ENGINES)[number];
type SizeName = '54k' | '1m';

interface ChildTask {
  engine: EngineName;
  size: SizeName;
  file: string;
  /** Judged queries (54k): NDCG@10 is computed. */
  judged: boolean;
  keywordQueries: number;
  hybridQueries: number;
  /** Most time one query pass may take. */
  passBudgetMs: number;
  /** Save the result for `--reuse` (not in development runs with fewer queries or products). */
  save?: boolean;
  /** Skip hybrid search (`--keyword-only`). */
  keywordOnly?: boolean;
}

interface Pass {
  label: string;
  config: string;
  /** Queries timed (fewer than asked when the pass hit its time budget). */
  queries: number;
  asked: number;
  p50: number;
  p99: number;
  ndcg: number | undefined;
}

interface ChildResult {
  engine: EngineName;
  products: number;
  ingestMs: number;
  rssBytes: number;
  /** RSS after the vectors were added (engines that add them after the text index). */
  rssVectorsBytes: number | undefined;
  vectorBuildMs: number | undefined;
  indexBytes: number | undefined;
  indexHow: string;
  keyword: Pass[];
  hybrid: Pass | undefined;
  /** Why the hybrid part did not finish (the keyword numbers above still stand). */
  hybridFailure?: string;
  notes: string[];
}

type Message =
  | { type: 'phase'; phase: string }
  | { type: 'result'; result: ChildResult }
  | { type: 'error'; message: string };

const progress = (message: string): void => {
  process.stderr.write(`[peers] ${message}\n`);
};

// ---------------------------------------------------------------------------------------------------------
// The shared embedding

function bucket(word: string): number {
  let hash = 2166136261;
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
  return (hash >>> 0) % DIMS;
}

/** Time spent inside the embedding, so ingest throughput leaves it out for every engine alike. */
const embedClock = { ms: 0 };

/** A bag of words (lower-cased [a-z0-9]+) hashed into DIMS buckets, unit length; the same for every engine. */
export function hashEmbed(text: string): Float32Array {
  const started = performance.now();
  const vector = new Float32Array(DIMS);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) vector[bucket(word)]! += 1;
  normalizeInPlace(vector);
  embedClock.ms += performance.now() - started;
  return vector;
}

const hashEmbedder: TextEmbedder = {
  id: { provider: 'bench', model: 'word-hash', version: '1', dims: DIMS },
  multilingual: false,
  async embed(texts) {
    return texts.map(hashEmbed);
  },
  async close() {},
};

// ---------------------------------------------------------------------------------------------------------
// Reading the catalogue (peers): streamed, so no engine holds the parsed file besides its own index

interface Doc {
  id: string;
  title: string;
  brand: string;
  category: string;
  description: string;
  /** souk's embedding text of the product (for the shared embedding). */
  embedText: string;
}

function toDoc(product: Product): Doc {
  return {
    id: product.id,
    title: product.title,
    brand: product.brand ?? '',
    category: (product.category ?? []).join(' '),
    description: product.description ?? '',
    embedText: productEmbeddingText(product),
  };
}

async function* readBatches(file: string, size: number): AsyncGenerator<Doc[]> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let batch: Doc[] = [];
  for await (const line of lines) {
    if (line.trim() === '') continue;
    batch.push(toDoc(JSON.parse(line) as Product));
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Query words for the SQL-ish engines: letters and digits, as their tokenizers split. */
function words(q: string): string[] {
  return q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function dirBytes(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const name of readdirSync(path)) total += dirBytes(join(path, name));
  return total;
}

/** Length of a JSON serialisation, or undefined when it does not fit in one string. */
function jsonBytes(value: unknown): number | undefined {
  try {
    return Buffer.byteLength(JSON.stringify(value));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Engines

type Search = (q: string) => Promise<string[]> | string[];

interface Adapter {
  /** Reads the file into a searchable index; returns the products indexed. */
  ingest(file: string): Promise<number>;
  keyword: Array<{ label: string; config: string; search: Search }>;
  /** Builds what hybrid search needs beyond the ingested index (souk: embed; LanceDB: its IVF_PQ index). */
  prepareHybrid?: () => Promise<void>;
  /** Whether prepareHybrid adds the vectors to memory (a second RSS reading). */
  vectorsAfterIngest?: boolean;
  hybrid?: { label: string; config: string; search: Search };
  indexSize(): Promise<{ bytes: number | undefined; how: string }>;
  close(): Promise<void>;
  notes: string[];
}

async function soukAdapter(task: ChildTask): Promise<Adapter> {
  const { createEngine } = await import('../src/engine.ts');
  const engine = await createEngine(
    { dataDir: null, embedding: { image: { provider: 'none' }, text: { batchSize: 1024 } } },
    { textEmbedder: hashEmbedder },
  );
  return {
    notes: [],
    async ingest(file) {
      const report = await engine.ingest(file, {
        onProgress: (p) => {
          if (p.linesRead % 200_000 === 0 && p.linesRead > 0)
            progress(`souk ${task.size}: ${p.linesRead} lines`);
        },
      });
      return report.loaded;
    },
    keyword: [
      {
        label: 'souk',
        config:
          'defaults: BM25F title 3 / brand 2 / category 1.5 / attributes 1 / description 0.5, stemming, prefix on the last word, typos (1 from 4 letters, 2 from 8), memory store; `mode: keyword`, `highlight: false`; `embedding.text.batchSize: 1024` (embedder calls of 1,024 products: fewer round trips while embedding, results unchanged)',
        search: async (q) =>
          (await engine.search({ q, limit: 10, mode: 'keyword', highlight: false })).hits.map((h) => h.id),
      },
    ],
    vectorsAfterIngest: true,
    async prepareHybrid() {
      let last = 0;
      await engine.embed({
        spaces: ['text'],
        onProgress: (p) => {
          if (Date.now() - last < 10_000) return;
          last = Date.now();
          progress(`souk ${task.size}: embedded ${p.done}/${p.total}`);
        },
      });
    },
    hybrid: {
      label: 'souk hybrid',
      config:
        '`mode: hybrid`: BM25F + HNSW (usearch int8, defaults) over the shared 128-d embedding, RRF (k 10, text weight 0.3)',
      search: async (q) =>
        (await engine.search({ q, limit: 10, mode: 'hybrid', highlight: false })).hits.map((h) => h.id),
    },
    async indexSize() {
      const stats = await engine.stats();
      return { bytes: stats.indexBytes, how: 'lexical index in memory (engine.stats().indexBytes)' };
    },
    close: () => engine.close(),
  };
}

async function miniSearchAdapter(): Promise<Adapter> {
  const { default: MiniSearch } = await import('minisearch');
  const index = new MiniSearch<Doc>({ fields: [...TEXT_FIELDS], idField: 'id', storeFields: [] });
  const boost = { ...BOOSTS };
  const ids = (results: Array<{ id: unknown }>): string[] => results.slice(0, 10).map((r) => String(r.id));
  return {
    notes: [],
    async ingest(file) {
      let n = 0;
      for await (const batch of readBatches(file, 5000)) {
        index.addAll(batch);
        n += batch.length;
        if (n % 200_000 === 0) progress(`minisearch: ${n} products`);
      }
      return n;
    },
    keyword: [
      {
        label: 'MiniSearch prefix + fuzzy',
        config:
          'fields title, brand, category, description; boost 3 / 2 / 1.5 / 0.5; `prefix: true`, `fuzzy: 0.2`, OR; default tokenizer (no stemming)',
        search: (q) => ids(index.search(q, { boost, prefix: true, fuzzy: 0.2 })),
      },
      {
        label: 'MiniSearch plain',
        config: 'the same index and boosts, no prefix, no fuzzy',
        search: (q) => ids(index.search(q, { boost })),
      },
    ],
    async indexSize() {
      return { bytes: jsonBytes(index), how: 'JSON.stringify(index) (toJSON)' };
    },
    async close() {},
  };
}

async function oramaAdapter(withVectors: boolean): Promise<Adapter> {
  const orama = await import('@orama/orama');
  const schema: Record<string, 'string' | `vector[${number}]`> = {
    title: 'string',
    brand: 'string',
    category: 'string',
    description: 'string',
  };
  if (withVectors) schema.embedding = `vector[${DIMS}]`;
  const db = orama.create({ schema });
  const properties = [...TEXT_FIELDS];
  const boost = { ...BOOSTS };
  const ids = (result: { hits: Array<{ id: string }> }): string[] => result.hits.map((h) => h.id);
  const adapter: Adapter = {
    notes: [],
    async ingest(file) {
      let n = 0;
      for await (const batch of readBatches(file, 5000)) {
        const docs = batch.map((d) => ({
          id: d.id,
          title: d.title,
          brand: d.brand,
          category: d.category,
          description: d.description,
          ...(withVectors ? { embedding: Array.from(hashEmbed(d.embedText)) } : {}),
        }));
        await orama.insertMultiple(db, docs as never, 5000);
        n += batch.length;
        if (n % 100_000 === 0) progress(`orama${withVectors ? ' (vectors)' : ''}: ${n} products`);
      }
      return n;
    },
    keyword: [],
    async indexSize() {
      const raw = orama.save(db);
      const bytes = jsonBytes(raw);
      return {
        bytes,
        how:
          bytes === undefined ? 'save(): larger than one JS string' : 'JSON of save(db) (documents included)',
      };
    },
    async close() {},
  };
  const config =
    'schema title, brand, category, description (string); `boost` 3 / 2 / 1.5 / 0.5; defaults: BM25, prefix matching, `tolerance: 0`, threshold 1 (any word)';
  if (withVectors) {
    adapter.hybrid = {
      label: 'Orama hybrid',
      config: `${config}; \`mode: hybrid\` with a vector[${DIMS}] property (brute-force scan), default \`similarity\` 0.8 and hybridWeights 0.5 / 0.5`,
      search: async (q) =>
        ids(
          (await orama.search(db, {
            mode: 'hybrid',
            term: q,
            properties,
            boost,
            vector: { value: Array.from(hashEmbed(q)), property: 'embedding' },
            limit: 10,
          } as never)) as { hits: Array<{ id: string }> },
        ),
    };
  } else {
    const search = async (q: string): Promise<string[]> =>
      ids(
        (await orama.search(db, { term: q, properties, boost, limit: 10 } as never)) as {
          hits: Array<{ id: string }>;
        },
      );
    adapter.keyword.push({ label: 'Orama', config, search });
  }
  return adapter;
}

async function flexSearchAdapter(): Promise<Adapter> {
  const { Document, Resolver } = await import('flexsearch');
  const index = new Document({
    document: {
      id: 'n',
      index: TEXT_FIELDS.map((field) => ({ field, tokenize: 'forward' as const })),
    },
  });
  const ids: string[] = [];
  return {
    notes: [],
    async ingest(file) {
      for await (const batch of readBatches(file, 5000)) {
        for (const d of batch) {
          const n = ids.length;
          ids.push(d.id);
          index.add({ n, title: d.title, brand: d.brand, category: d.category, description: d.description });
        }
        if (ids.length % 200_000 === 0) progress(`flexsearch: ${ids.length} products`);
      }
      return ids.length;
    },
    keyword: [
      {
        label: 'FlexSearch',
        config:
          "Document, fields title, brand, category, description with `tokenize: 'forward'` (prefixes), default encoder; one query per field with `suggest: true` (not every word must match), merged by a Resolver `or` with boost 3 / 2 / 1.5 / 0.5 (FlexSearch ranks by term position, not BM25)",
        search: (q) => {
          const [first, ...rest] = TEXT_FIELDS;
          let resolver = new Resolver({ index, field: first, query: q, suggest: true, boost: BOOSTS[first] });
          for (const field of rest)
            resolver = resolver.or({ field, query: q, suggest: true, boost: BOOSTS[field] });
          const found = resolver.resolve({ limit: 10 }) as unknown as Array<number | string>;
          return found.map((n) => ids[Number(n)]!);
        },
      },
    ],
    async indexSize() {
      let bytes = 0;
      await index.export((key: string, data: string) => {
        bytes += Buffer.byteLength(key) + Buffer.byteLength(data ?? '');
      });
      return { bytes, how: 'export() chunks' };
    },
    async close() {},
  };
}

async function sqliteAdapter(): Promise<Adapter> {
  const { default: Database } = await import('better-sqlite3');
  const dir = mkdtempSync(join(tmpdir(), 'souk-peers-sqlite-'));
  const file = join(dir, 'fts.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    "CREATE VIRTUAL TABLE products USING fts5(id UNINDEXED, title, brand, category, description, tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')",
  );
  db.exec(
    `INSERT INTO products(products, rank) VALUES ('rank', 'bm25(0, ${BOOSTS.title}, ${BOOSTS.brand}, ${BOOSTS.category}, ${BOOSTS.description})')`,
  );
  const insert = db.prepare(
    'INSERT INTO products (id, title, brand, category, description) VALUES (?, ?, ?, ?, ?)',
  );
  const query = db.prepare('SELECT id FROM products WHERE products MATCH ? ORDER BY rank LIMIT 10').pluck();
  const insertAll = db.transaction((batch: Doc[]) => {
    for (const d of batch) insert.run(d.id, d.title, d.brand, d.category, d.description);
  });
  const version = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  return {
    notes: [`SQLite ${version}`],
    async ingest(path) {
      let n = 0;
      for await (const batch of readBatches(path, 10_000)) {
        insertAll(batch);
        n += batch.length;
        if (n % 200_000 === 0) progress(`sqlite: ${n} products`);
      }
      db.exec("INSERT INTO products(products) VALUES ('optimize')");
      db.pragma('wal_checkpoint(TRUNCATE)');
      return n;
    },
    keyword: [
      {
        label: 'SQLite FTS5',
        config:
          "fts5 (id unindexed, title, brand, category, description), `tokenize 'porter unicode61 remove_diacritics 2'`, `prefix '2 3'`, rank bm25 weights 3 / 2 / 1.5 / 0.5; query: the words OR'ed, the last one as a prefix; file on disk (WAL), optimized after loading",
        search: (q) => {
          const terms = words(q);
          if (terms.length === 0) return [];
          const match = terms
            .map((t, i) => `"${t.replace(/"/g, '""')}"${i === terms.length - 1 ? '*' : ''}`)
            .join(' OR ');
          return query.all(match) as string[];
        },
      },
    ],
    async indexSize() {
      let bytes = 0;
      for (const name of readdirSync(dir)) bytes += statSync(join(dir, name)).size;
      return { bytes, how: 'database file on disk' };
    },
    async close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function lanceAdapter(): Promise<Adapter> {
  const lancedb = await import('@lancedb/lancedb');
  const arrow = await import('apache-arrow');
  const dir = mkdtempSync(join(tmpdir(), 'souk-peers-lance-'));
  const connection = await lancedb.connect(dir);
  const schema = new arrow.Schema([
    new arrow.Field('id', new arrow.Utf8(), false),
    ...TEXT_FIELDS.map((f) => new arrow.Field(f, new arrow.Utf8(), false)),
    new arrow.Field(
      'vector',
      new arrow.FixedSizeList(DIMS, new arrow.Field('item', new arrow.Float32(), true)),
      false,
    ),
  ]);
  let table: Awaited<ReturnType<typeof connection.createEmptyTable>> | undefined;
  const columns = [...TEXT_FIELDS];
  const boosts = TEXT_FIELDS.map((f) => BOOSTS[f]);
  const rrf = await lancedb.rerankers.RRFReranker.create();
  const ftsOptions = { withPosition: false, stem: true, lowercase: true, asciiFolding: true } as const;
  const ids = (rows: Array<{ id: string }>): string[] => rows.map((r) => r.id);
  return {
    notes: [],
    async ingest(file) {
      table = await connection.createEmptyTable('products', schema);
      let n = 0;
      for await (const batch of readBatches(file, 100_000)) {
        const rows = batch.map((d) => ({
          id: d.id,
          title: d.title,
          brand: d.brand,
          category: d.category,
          description: d.description,
          vector: Array.from(hashEmbed(d.embedText)),
        }));
        await table.add(rows);
        n += batch.length;
        progress(`lancedb: ${n} products written`);
      }
      for (const column of columns) {
        await table.createIndex(column, { config: lancedb.Index.fts(ftsOptions) });
        progress(`lancedb: FTS index on ${column}`);
      }
      return n;
    },
    keyword: [
      {
        label: 'LanceDB FTS',
        config:
          'FTS index per column (simple tokenizer, lower case, English stemming, ASCII folding, no positions); MultiMatchQuery over title, brand, category, description with boosts 3 / 2 / 1.5 / 0.5 (OR); table on disk',
        search: async (q) =>
          ids(
            (await table!
              .query()
              .fullTextSearch(new lancedb.MultiMatchQuery(q, columns, { boosts }))
              .select(['id', '_score'])
              .limit(10)
              .toArray()) as Array<{ id: string }>,
          ),
      },
    ],
    vectorsAfterIngest: false,
    async prepareHybrid() {
      progress('lancedb: IVF_PQ vector index');
      await table!.createIndex('vector', { config: lancedb.Index.ivfPq({ distanceType: 'cosine' }) });
    },
    hybrid: {
      label: 'LanceDB hybrid',
      config: `the FTS query above + \`nearestTo\` (cosine; IVF_PQ index built after ingest, default partitions / sub-vectors / nprobes), RRF reranker (k 60)`,
      search: async (q) =>
        ids(
          (await table!
            .query()
            .fullTextSearch(new lancedb.MultiMatchQuery(q, columns, { boosts }))
            .nearestTo(hashEmbed(q))
            .distanceType('cosine')
            .rerank(rrf)
            .select(['id'])
            .limit(10)
            .toArray()) as Array<{ id: string }>,
        ),
    },
    async indexSize() {
      return { bytes: dirBytes(dir), how: 'table directory on disk (text, vectors and indexes)' };
    },
    async close() {
      connection.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function makeAdapter(task: ChildTask): Promise<Adapter> {
  switch (task.engine) {
    case 'souk':
      return soukAdapter(task);
    case 'minisearch':
      return miniSearchAdapter();
    case 'orama':
      return oramaAdapter(false);
    case 'orama-hybrid':
      return oramaAdapter(true);
    case 'flexsearch':
      return flexSearchAdapter();
    case 'sqlite':
      return sqliteAdapter();
    case 'lancedb':
      return lanceAdapter();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child: one engine, one size

function send(message: Message): Promise<void> {
  return new Promise((done) => {
    if (!process.send) {
      done();
      return;
    }
    process.send(message, () => done());
  });
}

async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().rss;
}

async function runPass(
  tag: string,
  label: string,
  config: string,
  search: Search,
  queries: Array<[string, string]>,
  qrels: Map<string, Map<string, number>> | undefined,
  budgetMs: number,
): Promise<Pass> {
  // Warm-up (JIT, caches): 200 queries, or 30 s for the slowest engines.
  const warmStarted = performance.now();
  for (const [, text] of queries.slice(0, 200)) {
    await search(text);
    if (performance.now() - warmStarted > 30_000) break;
  }
  const times: number[] = [];
  const ndcgs: number[] = [];
  const started = performance.now();
  for (const [qid, text] of queries) {
    const t = performance.now();
    const ranked = await search(text);
    times.push(performance.now() - t);
    const judgments = qrels?.get(qid);
    if (judgments) ndcgs.push(ndcgAt(ranked, judgments, 10));
    if (times.length % 2000 === 0) progress(`${tag} ${label}: ${times.length}/${queries.length} queries`);
    if (performance.now() - started > budgetMs) {
      progress(`${tag} ${label}: time budget reached after ${times.length} queries`);
      break;
    }
  }
  times.sort((a, b) => a - b);
  const pass: Pass = {
    label,
    config,
    queries: times.length,
    asked: queries.length,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    ndcg: qrels ? mean(ndcgs) : undefined,
  };
  progress(
    `${tag} ${label}: p50 ${pass.p50.toFixed(3)} ms, p99 ${pass.p99.toFixed(3)} ms${pass.ndcg === undefined ? '' : `, NDCG@10 ${pass.ndcg.toFixed(4)}`}`,
  );
  return pass;
}

async function runChild(task: ChildTask): Promise<ChildResult> {
  const tag = `${task.engine} ${task.size}`;
  const queries = [...readQueries(join(HOMEDEPOT_DIR, 'queries.tsv'))];
  const qrels = task.judged ? readQrels(join(HOMEDEPOT_DIR, 'qrels.txt')) : undefined;
  const adapter = await makeAdapter(task);
  await send({ type: 'phase', phase: 'ingest' });
  progress(`${tag}: ingesting ${task.file}`);
  embedClock.ms = 0;
  const started = performance.now();
  const products = await adapter.ingest(task.file);
  const ingestMs = performance.now() - started - embedClock.ms;
  await send({ type: 'phase', phase: 'query' });
  const rssBytes = await settledRss();
  progress(
    `${tag}: ${products} products in ${(ingestMs / 1000).toFixed(1)} s (embedding excluded: ${(embedClock.ms / 1000).toFixed(1)} s), RSS ${(rssBytes / 1e6).toFixed(0)} MB`,
  );
  const keyword: Pass[] = [];
  for (const k of adapter.keyword) {
    keyword.push(
      await runPass(
        tag,
        k.label,
        k.config,
        k.search,
        queries.slice(0, task.keywordQueries),
        qrels,
        task.passBudgetMs,
      ),
    );
  }
  // The keyword numbers first: a vector build stopped by a limit should not take them with it.
  await send({
    type: 'result',
    result: {
      engine: task.engine,
      products,
      ingestMs,
      rssBytes,
      rssVectorsBytes: undefined,
      vectorBuildMs: undefined,
      indexBytes: undefined,
      indexHow: 'not measured',
      keyword,
      hybrid: undefined,
      notes: adapter.notes,
    },
  });
  let vectorBuildMs: number | undefined;
  let rssVectorsBytes: number | undefined;
  let hybrid: Pass | undefined;
  if (adapter.hybrid && !task.keywordOnly) {
    if (adapter.prepareHybrid) {
      await send({ type: 'phase', phase: 'vectors' });
      embedClock.ms = 0;
      const t = performance.now();
      await adapter.prepareHybrid();
      vectorBuildMs = performance.now() - t - embedClock.ms;
      progress(`${tag}: vectors ready in ${(vectorBuildMs / 1000).toFixed(1)} s`);
      await send({ type: 'phase', phase: 'query' });
      if (adapter.vectorsAfterIngest) rssVectorsBytes = await settledRss();
    }
    const h = adapter.hybrid;
    hybrid = await runPass(
      tag,
      h.label,
      h.config,
      h.search,
      queries.slice(0, task.hybridQueries),
      qrels,
      task.passBudgetMs,
    );
  }
  const measured: ChildResult = {
    engine: task.engine,
    products,
    ingestMs,
    rssBytes,
    rssVectorsBytes,
    vectorBuildMs,
    indexBytes: undefined,
    indexHow: 'not measured',
    keyword,
    hybrid,
    ...(adapter.hybrid && task.keywordOnly
      ? { hybridFailure: 'not run in this pass (`--keyword-only`)' }
      : {}),
    notes: adapter.notes,
  };
  // Everything but the size first: serialising a large index may pass the memory limit, and the
  // measurements so far should survive that.
  await send({ type: 'result', result: measured });
  await send({ type: 'phase', phase: 'size' });
  const size = await adapter.indexSize();
  await adapter.close();
  return { ...measured, indexBytes: size.bytes, indexHow: size.how };
}

// ---------------------------------------------------------------------------------------------------------
// Parent: children with limits, then the report

type Outcome = { task: ChildTask; result: ChildResult } | { task: ChildTask; failure: string };

function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

function runTask(task: ChildTask): Promise<Outcome> {
  const file = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=12288', '--import', 'tsx', file, '--child', JSON.stringify(task)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const started = Date.now();
  let phase = 'start';
  let phaseStarted = started;
  let peakRss = 0;
  let failure: string | undefined;
  let result: ChildResult | undefined;
  let errorMessage: string | undefined;
  const kill = (reason: string): void => {
    if (failure !== undefined) return;
    failure = reason;
    progress(`${task.engine} ${task.size}: stopping it: ${reason}`);
    child.kill('SIGKILL');
  };
  child.on('message', (message: Message) => {
    if (message.type === 'phase') {
      phase = message.phase;
      phaseStarted = Date.now();
    } else if (message.type === 'error') errorMessage = message.message.split('\n')[0]!.slice(0, 200);
    else result = message.result;
  });
  const timer = setInterval(() => {
    if (child.pid === undefined) return;
    const rss = rssOf(child.pid);
    peakRss = Math.max(peakRss, rss);
    const minutes = ((Date.now() - phaseStarted) / 60_000).toFixed(1);
    if (rss > RSS_LIMIT)
      kill(`RSS passed 12 GB (${(rss / GB).toFixed(1)} GB) while ${phaseName(phase)}, after ${minutes} min`);
    else if (phase === 'ingest' && Date.now() - phaseStarted > INGEST_LIMIT_MS)
      kill(`indexing took longer than 10 min (RSS ${(rss / GB).toFixed(1)} GB then)`);
    else if (phase === 'vectors' && Date.now() - phaseStarted > vectorLimitMs)
      kill(
        `building the vector index took longer than ${vectorLimitMs / 60_000} min (RSS ${(rss / GB).toFixed(1)} GB then)`,
      );
  }, 1000);
  return new Promise((done) => {
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      const crash = `${errorMessage ? `${errorMessage}; ` : ''}${signal ?? `exit ${code}`}, peak RSS ${(peakRss / GB).toFixed(1)} GB`;
      if (result && failure === undefined && code === 0) done({ task, result });
      else if (result && phase !== 'size' && result.keyword.length > 0)
        done({
          task,
          result: {
            ...result,
            hybridFailure: `did not finish: ${failure ?? `crashed while ${phaseName(phase)} (${crash})`}`,
            indexHow: 'n/a: the process was stopped before the size was measured',
          },
        });
      else if (result && phase === 'size')
        done({
          task,
          result: { ...result, indexHow: `n/a: ${failure ?? `crashed (${crash})`} while serialising` },
        });
      else
        done({
          task,
          failure: failure ?? `crashed while ${phaseName(phase)} (${crash})`,
        });
    });
  });
}

function phaseName(phase: string): string {
  return (
    { ingest: 'indexing', vectors: 'building the vector index', query: 'querying', size: 'measuring size' }[
      phase
    ] ?? 'starting'
  );
}

function packageVersion(name: string): string {
  const file = resolve(import.meta.dirname, '../node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const ms = (x: number): string => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1));
const mb = (bytes: number | undefined): string =>
  bytes === undefined
    ? 'n/a'
    : bytes >= 1e9
      ? `${(bytes / 1e9).toFixed(2)} GB`
      : `${(bytes / 1e6).toFixed(0)} MB`;
const ratio = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(1)}×`;

interface Row {
  label: string;
  result: ChildResult;
  pass: Pass | undefined;
}

function rowsOf(outcomes: Outcome[]): { rows: Row[]; failures: Array<{ engine: string; failure: string }> } {
  const rows: Row[] = [];
  const failures: Array<{ engine: string; failure: string }> = [];
  for (const outcome of outcomes) {
    if ('failure' in outcome) {
      failures.push({ engine: outcome.task.engine, failure: outcome.failure });
      continue;
    }
    const { result } = outcome;
    if (result.keyword.length === 0 && result.hybrid) continue; // hybrid-only (Orama with vectors): hybrid table
    for (const pass of result.keyword) rows.push({ label: pass.label, result, pass });
  }
  return { rows, failures };
}

/** Orama's hybrid number (from its own child, built with vectors) belongs in the Orama row. */
function hybridOf(outcomes: Outcome[], engine: EngineName): Pass | undefined {
  const partner = engine === 'orama' ? 'orama-hybrid' : engine;
  for (const o of outcomes) if (o.task.engine === partner && 'result' in o) return o.result.hybrid;
  return undefined;
}

const ENGINE_LABEL: Record<EngineName, string> = {
  souk: 'souk',
  minisearch: 'MiniSearch',
  orama: 'Orama',
  'orama-hybrid': 'Orama (with vectors)',
  flexsearch: 'FlexSearch',
  sqlite: 'SQLite FTS5',
  lancedb: 'LanceDB',
};

function sizeTable(size: SizeName, outcomes: Outcome[]): string[] {
  const { rows, failures } = rowsOf(outcomes);
  const souk = rows.find((r) => r.result.engine === 'souk');
  const soukHybrid = hybridOf(outcomes, 'souk');
  const lines = [
    `| engine | ingest/s | keyword p50 ms | p99 ms | hybrid p50 ms | RSS | index size | NDCG@10 | p50 / souk p50 | hybrid p50 / souk | souk ingest/s / engine's | RSS / souk RSS |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const r = row.result;
    const pass = row.pass!;
    const hybrid = r.keyword[0] === pass ? hybridOf(outcomes, r.engine) : undefined;
    const isSouk = r.engine === 'souk';
    const ingestRate = r.products / (r.ingestMs / 1000);
    const soukRate = souk ? souk.result.products / (souk.result.ingestMs / 1000) : undefined;
    const cut =
      pass.queries < pass.asked ? ` (${pass.queries} of ${pass.asked} queries in the time budget)` : '';
    lines.push(
      [
        '',
        isSouk ? '**souk**' : row.label,
        Math.round(ingestRate).toLocaleString('en'),
        ms(pass.p50) + cut,
        ms(pass.p99),
        hybrid ? ms(hybrid.p50) : r.hybridFailure && r.keyword[0] === pass ? 'see ¹' : '–',
        mb(r.rssBytes),
        mb(r.indexBytes),
        pass.ndcg === undefined ? '–' : pass.ndcg.toFixed(4),
        isSouk || !souk ? '–' : ratio(pass.p50 / souk.pass!.p50),
        isSouk || !hybrid || !soukHybrid ? '–' : ratio(hybrid.p50 / soukHybrid.p50),
        isSouk || soukRate === undefined ? '–' : ratio(soukRate / ingestRate),
        isSouk || !souk ? '–' : ratio(r.rssBytes / souk.result.rssBytes),
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
  for (const f of failures) {
    lines.push(
      `| ${ENGINE_LABEL[f.engine as EngineName] ?? f.engine} | did not finish: ${f.failure} | | | | | | | | | | |`,
    );
  }
  for (const row of rows) {
    if (row.result.hybridFailure && row.result.keyword[0] === row.pass)
      lines.push('', `¹ ${row.label} hybrid: ${row.result.hybridFailure}.`);
  }
  // Hybrid detail
  const hybridRows = outcomes.filter(
    (o): o is { task: ChildTask; result: ChildResult } => 'result' in o && o.result.hybrid !== undefined,
  );
  if (hybridRows.length > 0) {
    lines.push(
      '',
      `Hybrid (${size}): the shared ${DIMS}-d word-hash embedding for every engine; latency includes embedding the query.`,
      '',
      '| engine | queries | hybrid p50 ms | p99 ms | NDCG@10 | vector build | RSS with vectors | hybrid p50 / souk |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const { result } of hybridRows) {
      const h = result.hybrid!;
      const rss = result.rssVectorsBytes ?? result.rssBytes;
      const build =
        result.vectorBuildMs !== undefined
          ? `${(result.vectorBuildMs / 1000).toFixed(1)} s`
          : result.engine === 'lancedb' || result.engine === 'orama-hybrid'
            ? 'in ingest'
            : '–';
      lines.push(
        `| ${h.label} | ${h.queries}${h.queries < h.asked ? ` of ${h.asked}` : ''} | ${ms(h.p50)} | ${ms(h.p99)} | ${h.ndcg === undefined ? '–' : h.ndcg.toFixed(4)} | ${build} | ${mb(rss)} | ${result.engine === 'souk' || !soukHybrid ? '–' : ratio(h.p50 / soukHybrid.p50)} |`,
      );
    }
  }
  return lines;
}

function configLines(outcomes: Outcome[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const o of outcomes) {
    if (!('result' in o)) continue;
    const passes = [...o.result.keyword, ...(o.result.hybrid ? [o.result.hybrid] : [])];
    for (const p of passes) {
      const label = p.label;
      if (seen.has(label)) continue;
      seen.add(label);
      lines.push(`- **${label}**: ${p.config}.`);
    }
    if (!seen.has(`size:${o.task.engine}`)) {
      seen.add(`size:${o.task.engine}`);
      lines.push(
        `  - ${ENGINE_LABEL[o.task.engine]} index size: ${o.result.indexHow}${o.result.notes.length > 0 ? `; ${o.result.notes.join('; ')}` : ''}.`,
      );
    }
  }
  return lines;
}

function soukHybridFailure(outcomes: Outcome[]): string | undefined {
  for (const o of outcomes) {
    if (o.task.engine !== 'souk') continue;
    return 'failure' in o ? o.failure : o.result.hybridFailure;
  }
  return undefined;
}

function targets(outcomes54k: Outcome[], outcomes1m: Outcome[] | undefined): string[] {
  const { rows } = rowsOf(outcomes54k);
  const souk = rows.find((r) => r.result.engine === 'souk')?.pass;
  const mini = rows.find((r) => r.label === 'MiniSearch prefix + fuzzy')?.pass;
  const orama = rows.find((r) => r.label === 'Orama')?.pass;
  const lines: string[] = [];
  const check = (name: string, peer: Pass | undefined, factor: number): void => {
    if (!souk || !peer) {
      lines.push(`- ${name}: not measured.`);
      return;
    }
    const speedup = peer.p50 / souk.p50;
    const ndcgOk = souk.ndcg !== undefined && peer.ndcg !== undefined && souk.ndcg >= peer.ndcg;
    const met = speedup >= factor && ndcgOk;
    lines.push(
      `- souk keyword p50 ≥ ${factor}× faster than ${name} at 54k, at equal or better NDCG@10: **${met ? 'met' : 'not met'}** — ${speedup.toFixed(1)}× (${ms(peer.p50)} ms vs ${ms(souk.p50)} ms), NDCG@10 ${souk.ndcg?.toFixed(4)} vs ${peer.ndcg?.toFixed(4)}.`,
    );
  };
  check('MiniSearch prefix + fuzzy', mini, 6);
  check('Orama', orama, 3.5);
  if (outcomes1m) {
    const hybrid = hybridOf(outcomes1m, 'souk');
    lines.push(
      hybrid
        ? `- souk hybrid p50 ≤ 10 ms at 1M: **${hybrid.p50 <= 10 ? 'met' : 'not met'}** — ${ms(hybrid.p50)} ms (p99 ${ms(hybrid.p99)} ms).`
        : `- souk hybrid p50 ≤ 10 ms at 1M: not measured (${soukHybridFailure(outcomes1m) ?? 'souk did not finish at 1M'}).`,
    );
  } else lines.push('- souk hybrid p50 ≤ 10 ms at 1M: not measured in this run (no 1M size).');
  return lines;
}

async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const valueOf = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const sizes = (quick ? '54k' : (valueOf('--sizes') ?? '54k,1m'))
    .split(',')
    .map((s) => s.trim().toLowerCase());
  for (const s of sizes) if (s !== '54k' && s !== '1m') throw new Error(`unknown size ${s} (54k, 1m)`);
  const engines = (valueOf('--engines')?.split(',') ?? [...ENGINES]) as EngineName[];
  for (const e of engines)
    if (!ENGINES.includes(e)) throw new Error(`unknown engine ${e} (${ENGINES.join(', ')})`);
  /** Development: a smaller scale set in place of the 1M one. */
  const scaleProducts = Number(valueOf('--scale-products') ?? 1_000_000);
  vectorLimitMs = Number(valueOf('--vector-limit-min') ?? 20) * 60_000;
  /** Take an engine's saved result from an earlier run (bench/_cache/peers-outcomes) instead of running it. */
  const reuse = args.includes('--reuse');
  const reused: string[] = [];
  const development =
    quick || valueOf('--queries') !== undefined || valueOf('--scale-products') !== undefined;
  const queryOverride = valueOf('--queries') === undefined ? undefined : Number(valueOf('--queries'));
  if (!existsSync(HOMEDEPOT_PRODUCTS)) {
    console.log(`skipped: ${HOMEDEPOT_PRODUCTS} not found`);
    return;
  }
  const started = Date.now();
  const bySize = new Map<SizeName, Outcome[]>();
  for (const size of sizes as SizeName[]) {
    const file = size === '54k' ? HOMEDEPOT_PRODUCTS : ensureScaleSet(scaleProducts, DEFAULT_SCALE_SEED);
    const keywordQueries = queryOverride ?? (quick ? 1000 : size === '54k' ? Infinity : 2000);
    const hybridQueries = queryOverride ?? (quick ? 300 : size === '54k' ? 2000 : 500);
    const outcomes: Outcome[] = [];
    for (const engine of engines) {
      const task: ChildTask = {
        engine,
        size,
        file,
        judged: size === '54k',
        keywordQueries: Number.isFinite(keywordQueries) ? keywordQueries : 1e9,
        hybridQueries,
        passBudgetMs: (size === '54k' ? 5 : 4) * 60_000,
        save: !development,
        keywordOnly: args.includes('--keyword-only'),
      };
      progress(
        `${engine} ${size}: starting (${((Date.now() - started) / 60_000).toFixed(1)} min into the run)`,
      );
      const saved = outcomeFile(size, engine);
      if (reuse && !development && existsSync(saved)) {
        progress(`${engine} ${size}: reusing ${saved}`);
        reused.push(`${ENGINE_LABEL[engine]} ${size}`);
        outcomes.push({ task, result: JSON.parse(readFileSync(saved, 'utf8')) as ChildResult });
        continue;
      }
      const outcome = await runTask(task);
      if ('result' in outcome && task.save !== false) saveResult(size, outcome.result);
      if ('failure' in outcome) progress(`${engine} ${size}: did not finish: ${outcome.failure}`);
      outcomes.push(outcome);
    }
    bySize.set(size, outcomes);
  }

  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const { default: Database } = await import('better-sqlite3');
  const memoryDb = new Database(':memory:');
  const sqliteVersion = memoryDb.prepare('SELECT sqlite_version()').pluck().get() as string;
  memoryDb.close();
  const versions = [
    `souk ${packageVersion('..')}`,
    `@orama/orama ${packageVersion('@orama/orama')}`,
    `minisearch ${packageVersion('minisearch')}`,
    `flexsearch ${packageVersion('flexsearch')}`,
    `better-sqlite3 ${packageVersion('better-sqlite3')} (SQLite ${sqliteVersion})`,
    `@lancedb/lancedb ${packageVersion('@lancedb/lancedb')}`,
  ].join(', ');
  const out: string[] = [
    `## souk vs peers — ${date}${quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}. Packages: ${versions}.`,
    '',
    'Produced by `node --import tsx bench/peers.ts' +
      (quick ? ' --quick' : '') +
      `\`. Every engine in its own child process (\`--expose-gc\`, \`--max-old-space-size=12288\`); limits: RSS 12 GB, ingest 10 min, a vector index built after ingest ${vectorLimitMs / 60_000} min (past them: “did not finish”), each query pass 5 min at 54k / 4 min at 1M; RSS is read after GC with the index built (keyword state; the hybrid table gives RSS with vectors). Ingest/s: from reading the JSONL file to a searchable keyword index, embedding time excluded for every engine. Queries: the Home Depot dev queries in file order, \`limit: 10\`, one at a time, after 200 untimed warm-up queries (at most 30 s of them). NDCG@10 (linear gain, souk's \`src/eval/metrics.ts\`) over the full catalogue, on the judged Home Depot dev queries. Ratio columns: the engine's number over souk's (for ingest: souk's rate over the engine's), so above 1× means souk is ahead.`,
    '',
    `Hybrid: one cheap deterministic embedding for every engine — a bag of words hashed into ${DIMS} buckets (unit length) over souk's embedding text of each product and over the query — not a real model, so vector work is comparable and the 1M run needs no model; hybrid NDCG here is not a measure of semantic quality. Engines without hybrid search show "–".`,
    '',
  ];
  for (const [size, outcomes] of bySize) {
    const first = outcomes.find((o): o is { task: ChildTask; result: ChildResult } => 'result' in o);
    const products = first?.result.products ?? (size === '54k' ? 54_667 : 1_000_000);
    const kw = first?.result.keyword[0];
    out.push(
      size === '54k'
        ? `### Home Depot, ${products.toLocaleString('en')} products (titles only)`
        : `### Scale set, ${products.toLocaleString('en')} products (bench/scale-set.ts, seed ${DEFAULT_SCALE_SEED}: real Home Depot titles recombined — brands swapped, numbers changed — with brand, category path, price, colour)`,
      '',
      `${kw ? `Keyword queries: up to ${kw.asked.toLocaleString('en')} per engine (a pass stopped by its time budget says how many ran; its NDCG is over those)` : 'Keyword queries'}${size === '1m' ? '; no judgments at this size (latency only)' : ''}.`,
      '',
      ...sizeTable(size, outcomes),
      '',
    );
  }
  out.push('### Targets', '', ...targets(bySize.get('54k') ?? [], bySize.get('1m')), '');
  out.push('### Configurations', '', ...configLines([...bySize.values()].flat()), '');
  if (reused.length > 0)
    out.push(
      `Reused from an earlier run of this script (\`--reuse\`, bench/_cache/peers-outcomes): ${reused.join(', ')}.`,
      '',
    );
  out.push(`Total run time: ${((Date.now() - started) / 60_000).toFixed(1)} min.`, '');
  const report = out.join('\n');
  const resultsDir = resolve(import.meta.dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  // A partial run (some engines or sizes) gets its own file, so it never replaces the full report.
  const suffix =
    (valueOf('--engines') !== undefined ? `-${engines.join('-')}` : '') +
    (!quick && valueOf('--sizes') !== undefined ? `-${sizes.join('-')}` : '');
  const name = `${date}-peers${quick ? '-quick' : ''}${suffix}.md`;
  writeFileSync(join(resultsDir, name), report);
  progress(`wrote bench/results/${name}`);
  console.log(report);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const childAt = args.indexOf('--child');
  if (childAt >= 0) {
    const task = JSON.parse(args[childAt + 1]!) as ChildTask;
    let result: ChildResult;
    try {
      result = await runChild(task);
    } catch (error) {
      await send({
        type: 'error',
        message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      throw error;
    }
    if (task.save !== false) saveResult(task.size, result);
    await send({ type: 'result', result });
    process.exit(0);
  } else {
    await main(args);
  }
}
