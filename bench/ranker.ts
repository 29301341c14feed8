/**
 * Learned ranker, cross-validated on the dev queries: `node --import tsx bench/ranker.ts
 * [--set homedepot|multicpr|xling-zh2en|xling-en2zh] [--folds 5] [--mode hybrid] [--data <embedded dir>]
 * [--trees 300] [--candidates N] [--fresh]`.
 *
 * Feature rows come from the engine's real retrieval path (top `ranker.candidates` per query, no ranker);
 * each fold's model is trained on the other folds (10 % of them held out for early stopping) and scores its
 * own fold, so every number is measured on queries its model never saw. Full-catalogue NDCG@10 uses the
 * ideal from all of a query's judged grades (as `souk eval` does); re-rank NDCG@10 orders each query's
 * judged products only, and is also given normalised against random order: (x − random) / (1 − random).
 * Uses the embedded data dirs that bench/retrieval.ts builds (bench/_cache/<products path>).
 * Writes `bench/results/<date>-ranker.md`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FIELD_NAMES, resolveConfig } from '../src/config.ts';
import { createEngine } from '../src/engine.ts';
import { readQrels, readQueries } from '../src/eval/judgment-files.ts';
import { featureNames as engineFeatureNames } from '../src/rank/features.ts';
import { datasetNdcg, scoreRows, trainLambdaMart, type RankingDataset } from '../src/rank/lambdamart.ts';
import {
  hashFold,
  inHoldout,
  labelledQueries,
  learnAssociations,
  positiveGrades,
  type RankingRows,
} from '../src/ranker-training.ts';
import type { SearchMode } from '../src/types.ts';
import { DATASETS_DIR } from './relevance.ts';

const { values: args } = parseArgs({
  options: {
    folds: { type: 'string', default: '5' },
    mode: { type: 'string', default: 'hybrid' },
    set: { type: 'string', default: 'homedepot' },
    data: { type: 'string' },
    trees: { type: 'string', default: '300' },
    /** Candidates per query the ranker re-orders (`ranker.candidates`; default the engine's). */
    candidates: { type: 'string' },
    fresh: { type: 'boolean', default: false },
  },
});
const FOLDS = Number(args.folds);

/** Judged sets and the embedded data dirs bench/retrieval.ts builds for them. */
const SETS: Record<
  string,
  { title: string; dir: string; queries: string; qrels: string; relevantGrade: number }
> = {
  homedepot: {
    title: 'Home Depot',
    dir: 'homedepot_products_jsonl',
    queries: 'homedepot/queries.tsv',
    qrels: 'homedepot/qrels.txt',
    relevantGrade: 3,
  },
  multicpr: {
    title: 'Multi-CPR zh',
    dir: 'multicpr-zh_products_jsonl',
    queries: 'multicpr-zh/queries.tsv',
    qrels: 'multicpr-zh/qrels.txt',
    relevantGrade: 1,
  },
  'xling-zh2en': {
    title: 'xling zh2en',
    dir: 'xling-zh-en_products_en_jsonl',
    queries: 'xling-zh-en/zh2en/queries.tsv',
    qrels: 'xling-zh-en/zh2en/qrels.txt',
    relevantGrade: 1,
  },
  'xling-en2zh': {
    title: 'xling en2zh',
    dir: 'xling-zh-en_products_zh_jsonl',
    queries: 'xling-zh-en/en2zh/queries.tsv',
    qrels: 'xling-zh-en/en2zh/qrels.txt',
    relevantGrade: 1,
  },
};
const SET = SETS[args.set]!;
if (!(args.set in SETS)) throw new Error(`--set must be one of ${Object.keys(SETS).join(', ')}`);
const DATA = args.data ?? resolve(import.meta.dirname, '_cache', SET.dir);
const log = (message: string): void => void process.stderr.write(`[ranker] ${message}\n`);

function subset(rows: RankingRows, keep: (query: number) => boolean): RankingDataset & { queries: number[] } {
  const width = rows.featureCount;
  const queries: number[] = [];
  let count = 0;
  for (let q = 0; q < rows.queries; q++) {
    if (!keep(q)) continue;
    queries.push(q);
    count += rows.offsets[q + 1]! - rows.offsets[q]!;
  }
  const features = new Float32Array(count * width);
  const labels = new Float32Array(count);
  const offsets = new Int32Array(queries.length + 1);
  let at = 0;
  queries.forEach((q, i) => {
    const start = rows.offsets[q]!;
    const end = rows.offsets[q + 1]!;
    features.set(rows.features.subarray(start * width, end * width), at * width);
    labels.set(rows.labels.subarray(start, end), at);
    at += end - start;
    offsets[i + 1] = at;
  });
  const judgedGrades = rows.judgedGrades && queries.map((q) => rows.judgedGrades![q]!);
  return {
    features,
    featureCount: width,
    labels,
    offsets,
    queries,
    ...(judgedGrades ? { judgedGrades } : {}),
  };
}

/** Mean over the queries of `metric(rows of the query, best scored first, query index)`. */
function meanOverQueries(
  data: RankingDataset,
  scores: ArrayLike<number>,
  metric: (ranked: number[], q: number) => number,
): number {
  let sum = 0;
  const queries = data.offsets.length - 1;
  for (let q = 0; q < queries; q++) {
    const start = data.offsets[q]!;
    const end = data.offsets[q + 1]!;
    const ranked = Array.from({ length: end - start }, (_, i) => start + i).sort(
      (a, b) => scores[b]! - scores[a]! || a - b,
    );
    sum += metric(ranked, q);
  }
  return sum / queries;
}

/** NDCG@10 with the ideal from every judged grade of the query (not only the retrieved ones). */
function fullNdcg(
  data: RankingDataset,
  scores: ArrayLike<number>,
  judgments: Array<ReadonlyMap<string, number>>,
): number {
  return meanOverQueries(data, scores, (ranked, q) => {
    let dcg = 0;
    for (let r = 0; r < Math.min(10, ranked.length); r++) dcg += data.labels[ranked[r]!]! / Math.log2(r + 2);
    const ideal = [...judgments[q]!.values()].filter((grade) => grade > 0).sort((a, b) => b - a);
    let idcg = 0;
    for (let r = 0; r < Math.min(10, ideal.length); r++) idcg += ideal[r]! / Math.log2(r + 2);
    return idcg === 0 ? 0 : dcg / idcg;
  });
}

/** MRR@10: 1 / rank of the first candidate graded ≥ `grade` in the top 10, averaged over the queries. */
function mrr(data: RankingDataset, scores: ArrayLike<number>, grade: number): number {
  return meanOverQueries(data, scores, (ranked) => {
    const first = ranked.slice(0, 10).findIndex((row) => data.labels[row]! >= grade);
    return first >= 0 ? 1 / (first + 1) : 0;
  });
}

/** Expected NDCG@10 of a uniformly random order (mean over seeded shuffles). */
function randomNdcg(data: RankingDataset, rounds = 50): number {
  let state = 12345;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  let sum = 0;
  for (let r = 0; r < rounds; r++) {
    sum += datasetNdcg(
      data,
      Float64Array.from(data.labels, () => next()),
    );
  }
  return sum / rounds;
}

/**
 * Feature rows are the slow part (every query through retrieval): kept in bench/_cache keyed by mode, so
 * trying other training settings does not recompute them. Rows written with other feature names (a feature
 * added or removed since) are recomputed; `--fresh` ignores the cache.
 */
async function cachedRows(name: string, compute: () => Promise<RankingRows>): Promise<RankingRows> {
  const base = resolve(import.meta.dirname, `_cache/ranker-rows-${args.set}-${name}`);
  const bytes = (array: Float32Array | Int32Array): Buffer =>
    Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  const load = <T>(file: string, of: (buffer: ArrayBuffer) => T): T => {
    const buffer = readFileSync(file);
    return of(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
  };
  const meta =
    !args.fresh && existsSync(`${base}.json`)
      ? (JSON.parse(readFileSync(`${base}.json`, 'utf8')) as RankingRows)
      : undefined;
  if (
    meta &&
    meta.featureNames.join() === engineFeatureNames(FIELD_NAMES).join() &&
    Array.isArray(meta.ids)
  ) {
    return {
      featureNames: meta.featureNames,
      featureCount: meta.featureCount,
      queries: meta.queries,
      ids: meta.ids,
      queryTerms: meta.queryTerms,
      features: load(`${base}.features`, (b) => new Float32Array(b)),
      labels: load(`${base}.labels`, (b) => new Float32Array(b)),
      offsets: load(`${base}.offsets`, (b) => new Int32Array(b)),
      included: load(`${base}.included`, (b) => new Int32Array(b)),
    };
  }
  const rows = await compute();
  writeFileSync(`${base}.features`, bytes(rows.features));
  writeFileSync(`${base}.labels`, bytes(rows.labels));
  writeFileSync(`${base}.offsets`, bytes(rows.offsets));
  writeFileSync(`${base}.included`, bytes(rows.included));
  const { featureNames, featureCount, queries, ids, queryTerms } = rows;
  writeFileSync(`${base}.json`, JSON.stringify({ featureNames, featureCount, queries, ids, queryTerms }));
  return rows;
}

async function main(): Promise<void> {
  if (!existsSync(DATA)) throw new Error(`no embedded data dir at ${DATA}: run bench/retrieval.ts first`);
  const queries = readQueries(join(DATASETS_DIR, SET.queries));
  const qrels = readQrels(join(DATASETS_DIR, SET.qrels));
  const judged = labelledQueries(queries, qrels);
  const engine = await createEngine({
    dataDir: DATA,
    embedding: { workers: 2, queryCacheSize: 20_000, image: { provider: 'none' } },
    ...(args.candidates === undefined ? {} : { ranker: { candidates: Number(args.candidates) } }),
  });
  const mode = args.mode as SearchMode;
  // Rows of another candidate depth are other rows: their own cache entry.
  const depth = args.candidates === undefined ? '' : `-c${args.candidates}`;
  try {
    const started = performance.now();
    const progress = (what: string) => (done: number, total: number) => {
      if (done % 1000 === 0 || done === total) log(`${what}: ${done}/${total} queries`);
    };
    const full = await cachedRows(`${mode}${depth}-full`, () =>
      engine.rankingExamples(
        judged.map((query) => ({ q: query.q, labels: query.labels, request: { mode } })),
        { onProgress: progress(`${mode} candidates`) },
      ),
    );
    const rerank = await cachedRows(`${mode}-judged`, () =>
      engine.rankingExamples(
        judged.map((query) => ({
          q: query.q,
          labels: query.labels,
          request: { mode, ids: [...query.labels.keys()] },
        })),
        { onProgress: progress('judged candidates') },
      ),
    );
    // Cached rows predate judgedGrades: the judged labels give them back.
    for (const rows of [full, rerank]) {
      rows.judgedGrades ??= Array.from(rows.included, (index) => positiveGrades(judged[index]!.labels));
    }
    log(
      `feature rows: ${full.labels.length} full, ${rerank.labels.length} judged (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );

    const fullFold = Array.from(full.included, (index) => hashFold(judged[index]!.id, FOLDS));
    const rerankFold = Array.from(rerank.included, (index) => hashFold(judged[index]!.id, FOLDS));
    const fullJudgments = Array.from(full.included, (index) => judged[index]!.labels);
    const fullScores = new Float64Array(full.labels.length);
    const rerankScores = new Float64Array(rerank.labels.length);
    const catalogue = engine.associationCatalogue();
    const associationConfig = resolveConfig().ranker.associations;
    for (let fold = 0; fold < FOLDS; fold++) {
      // Term associations are learned from this fold's training queries only (as `souk train` does).
      for (const [rows, folds] of [
        [full, fullFold],
        [rerank, rerankFold],
      ] as const) {
        learnAssociations(rows, judged, catalogue, associationConfig, (q) => folds[q] !== fold);
      }
      const trainRows = subset(full, (q) => fullFold[q] !== fold && !inHoldout(`v${q}`, 0.1));
      const validation = subset(full, (q) => fullFold[q] !== fold && inHoldout(`v${q}`, 0.1));
      const t0 = performance.now();
      const model = trainLambdaMart(trainRows, full.featureNames, {
        trees: Number(args.trees),
        validation,
        onProgress: (tree, total, ndcg) => {
          if (tree % 50 === 0)
            log(`fold ${fold + 1}/${FOLDS}: tree ${tree}/${total}, validation NDCG@10 ${ndcg?.toFixed(4)}`);
        },
      });
      log(
        `fold ${fold + 1}/${FOLDS}: ${model.trees.length} trees in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
      // Re-ranking a judged set is another task (no unjudged candidates): its own model, same folds.
      const rerankModel = trainLambdaMart(
        subset(rerank, (q) => rerankFold[q] !== fold && !inHoldout(`v${q}`, 0.1)),
        rerank.featureNames,
        {
          trees: Number(args.trees),
          minLeafRows: 20,
          validation: subset(rerank, (q) => rerankFold[q] !== fold && inHoldout(`v${q}`, 0.1)),
        },
      );
      for (const [rows, folds, out, scorer] of [
        [full, fullFold, fullScores, model],
        [rerank, rerankFold, rerankScores, rerankModel],
      ] as const) {
        const test = subset(rows, (q) => folds[q] === fold);
        const scores = scoreRows(scorer, test.features, test.featureCount);
        test.queries.forEach((q, i) => {
          for (let r = rows.offsets[q]!; r < rows.offsets[q + 1]!; r++) {
            out[r] = scores[test.offsets[i]! + (r - rows.offsets[q]!)]!;
          }
        });
      }
    }
    const retrievalOrder = (rows: RankingDataset): Float64Array =>
      Float64Array.from(rows.labels, (_, i) => -i);
    // Queries that retrieved nothing score 0 (they are in the denominator).
    const coverage = full.queries / judged.length;
    const bm25Full = fullNdcg(full, retrievalOrder(full), fullJudgments) * coverage;
    const learnedFull = fullNdcg(full, fullScores, fullJudgments) * coverage;
    const random = randomNdcg(rerank);
    const bm25Rerank = datasetNdcg(rerank, retrievalOrder(rerank));
    const learnedRerank = datasetNdcg(rerank, rerankScores);
    const normalised = (x: number): string => (random < 1 ? ((x - random) / (1 - random)).toFixed(4) : '–');
    const bm25Mrr = mrr(full, retrievalOrder(full), SET.relevantGrade) * coverage;
    const learnedMrr = mrr(full, fullScores, SET.relevantGrade) * coverage;
    const date = new Date().toISOString().slice(0, 10);
    const table = [
      `## souk learned ranker on ${SET.title} — ${date}`,
      '',
      `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
        `${judged.length} judged queries, ${FOLDS}-fold cross-validation (each query scored by a model that never saw it), ` +
        `retrieval mode ${mode}, top ${(full.labels.length / full.queries) | 0} candidates per query re-ranked.`,
      '',
      `| ranking | NDCG@10 full catalogue | MRR@10 (grade ≥ ${SET.relevantGrade}) | re-rank NDCG@10 | re-rank normalised |`,
      '|---|---|---|---|---|',
      `| random order | – | – | ${random.toFixed(4)} | 0 |`,
      `| ${mode} retrieval (no ranker) | ${bm25Full.toFixed(4)} | ${bm25Mrr.toFixed(4)} | ${bm25Rerank.toFixed(4)} | ${normalised(bm25Rerank)} |`,
      `| learned ranker (LambdaMART) | ${learnedFull.toFixed(4)} | ${learnedMrr.toFixed(4)} | ${learnedRerank.toFixed(4)} | ${normalised(learnedRerank)} |`,
      '',
    ].join('\n');
    process.stdout.write(`${table}\n`);
    const dir = resolve(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${date}-ranker-${args.set}-${mode}${depth}.md`), table);
  } finally {
    await engine.close();
  }
}

await main();
