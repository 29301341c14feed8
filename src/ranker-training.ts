/**
 * Training the learned ranker inside the engine: from relevance judgments (`souk train`), and incremental
 * updates from logged feedback (a few trees added to the active model, kept only when the judged holdout
 * queries do not get worse). The engine provides feature rows through the real retrieval path.
 */
import type { RankerConfig, TermAssociationConfig } from './config.ts';
import { SoukError } from './errors.ts';
import { ASSOCIATION_FEATURES, projectFeatures } from './rank/features.ts';
import { datasetNdcg, scoreRows, trainLambdaMart, type RankingDataset } from './rank/lambdamart.ts';
import type { QueryProductStats } from './rank/feedback-stats.ts';
import type { RankerInfo, RankerModel, RankerModels } from './rank/ranker-models.ts';
import {
  associationFeatures,
  learnTermAssociations,
  type AssociationExample,
  type TermAssociations,
} from './rank/term-associations.ts';
import type { SearchRequest } from './types.ts';

export interface LabelledQuery {
  q: string;
  /** Product id → graded relevance (unlisted products count as 0). */
  labels: ReadonlyMap<string, number>;
}

export interface RankingRows extends RankingDataset {
  featureNames: string[];
  queries: number;
  /** Index in the given examples of each query that has rows (queries retrieving nothing have none). */
  included: Int32Array;
  /** Product id of each row. */
  ids: string[];
  /** Per query with rows, its terms as term associations read them. */
  queryTerms: string[][];
}

/** What learning term associations reads from the catalogue. */
export interface AssociationCatalogue {
  /** The product's terms as associations read them; undefined for a product not in the catalogue. */
  productTerms(id: string): ReadonlySet<string> | undefined;
  /** Live products holding the term. */
  termFrequency(term: string): number;
  productCount(): number;
}

export interface TrainingHost {
  rankingExamples(
    examples: ReadonlyArray<LabelledQuery & { request?: SearchRequest }>,
    options?: {
      associations?: TermAssociations | undefined;
      onProgress?: (done: number, total: number) => void;
    },
  ): Promise<RankingRows>;
  readonly catalogue: AssociationCatalogue;
  readonly rankers: RankerModels;
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}

export type TrainingStage = 'features' | 'training';

export interface TrainRankerOptions {
  /** Query id → text and query id → (product id → grade), as read from judgment files. */
  queries: ReadonlyMap<string, string>;
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Extra request fields for retrieval (e.g. `mode`). */
  request?: SearchRequest;
  /** Share of queries held out (default `ranker.holdout`). */
  holdout?: number;
  trees?: number;
  /** Make the new model the active one (default true). */
  activate?: boolean;
  onProgress?: (stage: TrainingStage, done: number, total: number, detail?: string) => void;
}

export interface TrainRankerReport {
  version: string;
  active: boolean;
  trees: number;
  trainQueries: number;
  holdoutQueries: number;
  rows: number;
  /** Learned term-association pairs stored with the model. */
  associations: number;
  /** NDCG@10 of the holdout queries over their retrieved candidates: retrieval order vs the model. */
  holdoutNdcgBefore: number;
  holdoutNdcgAfter: number;
}

const HOLDOUT_KEY = 'ranker:holdout';

/** A stable pseudo-random share per query id (FNV-1a): the same split on every run and machine. */
export function inHoldout(id: string, share: number): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // FNV's high bits barely move for ids that differ in the last character: finish with murmur3's mix.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return (hash >>> 0) / 4294967296 < share;
}

/** The id's fold, 0 … folds − 1, from the same stable hash as `inHoldout`. */
export function hashFold(id: string, folds: number): number {
  for (let fold = 0; fold < folds - 1; fold++) if (inHoldout(id, (fold + 1) / folds)) return fold;
  return folds - 1;
}

/** The grades of a query's judged products that count as relevant (> 0): what NDCG's ideal is made of. */
export function positiveGrades(labels: ReadonlyMap<string, number>): Float32Array {
  return Float32Array.from([...labels.values()].filter((label) => label > 0));
}

/** Folds of the training queries for their out-of-fold association columns. */
const ASSOCIATION_FOLDS = 5;
/** A judged or feedback label from which a product is a positive example of its query's words. */
const ASSOCIATION_MIN_LABEL = 1;

function associationFold(q: string): number {
  return hashFold(`associations:${q}`, ASSOCIATION_FOLDS);
}

/** A product's association terms, each looked up once per training run. */
function cachedProductTerms(
  catalogue: AssociationCatalogue,
): (id: string) => ReadonlySet<string> | undefined {
  const cache = new Map<string, ReadonlySet<string> | undefined>();
  return (id) => {
    if (!cache.has(id)) cache.set(id, catalogue.productTerms(id));
    return cache.get(id);
  };
}

/** Fills `rows`' association columns, for the queries `which` accepts, from `table`. */
function writeAssociationColumns(
  rows: RankingRows,
  table: TermAssociations,
  productTerms: (id: string) => ReadonlySet<string> | undefined,
  which: (q: number) => boolean = () => true,
): void {
  const width = rows.featureCount;
  const [missingAt, allAt] = ASSOCIATION_FEATURES.map((name) => rows.featureNames.indexOf(name));
  if (missingAt === undefined || allAt === undefined || missingAt < 0 || allAt < 0) return;
  const empty = new Set<string>();
  for (let q = 0; q < rows.queries; q++) {
    if (!which(q)) continue;
    const queryTerms = rows.queryTerms[q]!;
    for (let r = rows.offsets[q]!; r < rows.offsets[q + 1]!; r++) {
      const features = associationFeatures(table, queryTerms, productTerms(rows.ids[r]!) ?? empty);
      rows.features[r * width + missingAt] = features.missing;
      rows.features[r * width + allAt] = features.all;
    }
  }
}

/**
 * Learns term associations from the queries of `rows` that `train` accepts (their examples, every labelled
 * product of them, not only the retrieved ones; nothing from fewer than `config.minQueries` of them) and
 * writes the association columns: a training query reads a table learned without its own fold — trees
 * fitted on a table that already knows their queries' answers would trust it far more than it deserves on
 * new queries — and every other query the table learned from all training queries, which is returned (the
 * model keeps it).
 */
export function learnAssociations(
  rows: RankingRows,
  examples: readonly LabelledQuery[],
  catalogue: AssociationCatalogue,
  config: TermAssociationConfig,
  train: (q: number) => boolean = () => true,
): TermAssociations {
  const productTerms = cachedProductTerms(catalogue);
  // One pass over the training queries: each one's positive pairs, and how many have a positive label.
  const pairsOf = new Map<number, AssociationExample[]>();
  let trainQueries = 0;
  for (let q = 0; q < rows.queries; q++) {
    if (!train(q)) continue;
    const queryTerms = rows.queryTerms[q]!;
    const pairs: AssociationExample[] = [];
    let positive = false;
    for (const [id, label] of examples[rows.included[q]!]!.labels) {
      if (label < ASSOCIATION_MIN_LABEL) continue;
      positive = true;
      const terms = productTerms(id);
      if (terms) pairs.push({ queryTerms, productTerms: terms });
    }
    if (positive) trainQueries++;
    pairsOf.set(q, pairs);
  }
  const enough = trainQueries >= config.minQueries;
  const learn = (keep: (q: number) => boolean): TermAssociations => {
    if (!enough) return new Map();
    const positives: AssociationExample[] = [];
    for (const [q, pairs] of pairsOf) if (keep(q)) positives.push(...pairs);
    return learnTermAssociations(
      positives,
      (term) => catalogue.termFrequency(term),
      catalogue.productCount(),
      config,
    );
  };
  const foldOf = (q: number): number => associationFold(examples[rows.included[q]!]!.q);
  for (let fold = 0; fold < ASSOCIATION_FOLDS; fold++) {
    const table = learn((q) => foldOf(q) !== fold);
    writeAssociationColumns(rows, table, productTerms, (q) => train(q) && foldOf(q) === fold);
  }
  const full = learn(() => true);
  writeAssociationColumns(rows, full, productTerms, (q) => !train(q));
  return full;
}

/** NDCG@10 of a dataset in its retrieved order (rows are stored best-retrieved first). */
export function retrievalNdcg(data: RankingDataset): number {
  return datasetNdcg(
    data,
    Float64Array.from(data.labels, (_, i) => -i),
  );
}

export function labelledQueries(
  queries: ReadonlyMap<string, string>,
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
): Array<LabelledQuery & { id: string }> {
  const out: Array<LabelledQuery & { id: string }> = [];
  for (const [id, q] of queries) {
    const labels = qrels.get(id);
    if (labels && labels.size > 0) out.push({ id, q, labels });
  }
  return out;
}

export async function trainFromJudgments(
  host: TrainingHost,
  config: RankerConfig,
  options: TrainRankerOptions,
): Promise<TrainRankerReport> {
  const share = options.holdout ?? config.holdout;
  if (!(share >= 0 && share < 1)) {
    throw new SoukError('INVALID_REQUEST', 'holdout must be a share from 0 to below 1', { field: 'holdout' });
  }
  const all = labelledQueries(options.queries, options.qrels);
  if (all.length === 0) {
    throw new SoukError('INVALID_REQUEST', 'no judged query: the qrels name none of the queries', {
      field: 'qrels',
    });
  }
  return trainAndSave(host, config, options, {
    train: all.filter((query) => !inHoldout(query.id, share)),
    holdout: all.filter((query) => inHoldout(query.id, share)),
    source: 'judgments',
    minLeafRows: () => config.minLeafRows,
    trainedOn: (train, holdout, rows) => ({ queries: train, holdoutQueries: holdout, rows }),
    // The judged holdout is what later online updates must not make worse.
    keepHoldout: async () => true,
  });
}

/** How one training run differs between judgments and feedback. */
interface TrainingRun {
  train: LabelledQuery[];
  holdout: LabelledQuery[];
  source: 'judgments' | 'feedback';
  minLeafRows: (rows: number) => number;
  trainedOn: (train: number, holdout: number, rows: number) => Record<string, number>;
  /** Whether this run's holdout becomes the guard of later online updates. */
  keepHoldout: () => Promise<boolean>;
}

/**
 * Feature rows for the train and holdout queries, a LambdaMART fit (early stopping on the holdout), the
 * model stored as the next version (activated unless asked not to), and the holdout kept as the online guard.
 */
async function trainAndSave(
  host: TrainingHost,
  config: RankerConfig,
  options: Omit<TrainRankerOptions, 'queries' | 'qrels'>,
  run: TrainingRun,
): Promise<TrainRankerReport> {
  const { train, holdout } = run;
  const progress = (done: number, total: number): void => options.onProgress?.('features', done, total);
  const request = options.request;
  const trainRows = await host.rankingExamples(
    train.map((query) => ({ ...query, request })),
    { onProgress: progress },
  );
  const holdoutRows =
    holdout.length > 0
      ? await host.rankingExamples(
          holdout.map((query) => ({ ...query, request })),
          { onProgress: progress },
        )
      : undefined;
  const associations = learnAssociations(trainRows, train, host.catalogue, config.associations);
  let pairCount = 0;
  for (const row of associations.values()) pairCount += row.size;
  if (holdoutRows) writeAssociationColumns(holdoutRows, associations, cachedProductTerms(host.catalogue));
  const ensemble = trainLambdaMart(trainRows, trainRows.featureNames, {
    trees: options.trees ?? config.trees,
    learningRate: config.learningRate,
    maxLeaves: config.maxLeaves,
    minLeafRows: run.minLeafRows(trainRows.labels.length),
    featureFraction: config.featureFraction,
    ...(holdoutRows ? { validation: holdoutRows } : {}),
    onProgress: (tree, total, ndcg) =>
      options.onProgress?.(
        'training',
        tree,
        total,
        ndcg === undefined ? undefined : `holdout NDCG@10 ${ndcg.toFixed(4)}`,
      ),
  });
  const before = holdoutRows ? retrievalNdcg(holdoutRows) : NaN;
  const after = holdoutRows ? ensemble.validationNdcg! : NaN;
  if (await run.keepHoldout()) {
    await host.setMeta(
      HOLDOUT_KEY,
      JSON.stringify({
        request: request ?? {},
        queries: holdout.map((query) => ({ q: query.q, labels: [...query.labels] })),
      }),
    );
  }
  const model = await host.rankers.save(
    ensemble,
    {
      source: run.source,
      metrics: holdoutRows ? { holdoutNdcgBefore: before, holdoutNdcgAfter: after } : {},
      trainedOn: {
        ...run.trainedOn(train.length, holdout.length, trainRows.labels.length),
        associations: pairCount,
      },
    },
    associations,
  );
  const activate = options.activate ?? true;
  if (activate) await host.rankers.activate(model.info.version);
  return {
    version: model.info.version,
    active: activate,
    trees: model.trees.length,
    trainQueries: train.length,
    holdoutQueries: holdout.length,
    rows: trainRows.labels.length,
    associations: pairCount,
    holdoutNdcgBefore: before,
    holdoutNdcgAfter: after,
  };
}

export interface OnlineUpdateReport {
  accepted: boolean;
  /** The new version when accepted. */
  version?: string;
  base: string;
  addedTrees: number;
  queries: number;
  holdoutNdcgBefore: number;
  holdoutNdcgAfter: number;
  reason?: string;
}

/**
 * Adds a few trees to `base` fitted on feedback-labelled queries. The judged holdout saved by the last
 * `trainFromJudgments` guards the update: it is stored (and activated) only if holdout NDCG@10 does not drop
 * by more than `tolerance`.
 */
export async function updateFromFeedback(
  host: TrainingHost,
  config: RankerConfig,
  base: RankerModel,
  examples: ReadonlyArray<LabelledQuery & { weight?: number }>,
  trainedOn: Record<string, number>,
): Promise<OnlineUpdateReport> {
  const report = (fields: Partial<OnlineUpdateReport>): OnlineUpdateReport => ({
    accepted: false,
    base: base.info.version,
    addedTrees: 0,
    queries: examples.length,
    holdoutNdcgBefore: NaN,
    holdoutNdcgAfter: NaN,
    ...fields,
  });
  const stored = await host.getMeta(HOLDOUT_KEY);
  const guard = stored
    ? (JSON.parse(stored) as {
        request: SearchRequest;
        queries: Array<{ q: string; labels: Array<[string, number]> }>;
      })
    : undefined;
  if (!guard || guard.queries.length === 0) {
    return report({ reason: 'no judged holdout to guard the update (train from judgments first)' });
  }
  // The base model's associations stay: the added trees read the columns the base model reads.
  const associations = base.associations;
  const rows = await host.rankingExamples(
    examples.map((example) => ({ ...example, request: guard.request })),
    { associations },
  );
  if (rows.queries === 0) return report({ reason: 'no feedback query retrieved any product' });
  const holdoutRows = await host.rankingExamples(
    guard.queries.map((query) => ({ q: query.q, labels: new Map(query.labels), request: guard.request })),
    { associations },
  );
  const aligned = alignFeatures(rows, base.featureNames);
  const holdoutAligned = alignFeatures(holdoutRows, base.featureNames);
  const updated = trainLambdaMart(
    aligned,
    base.featureNames,
    {
      trees: config.online.trees,
      learningRate: config.online.learningRate,
      maxLeaves: Math.min(config.maxLeaves, 15),
      minLeafRows: Math.max(5, Math.min(config.minLeafRows, Math.floor(aligned.labels.length / 20))),
      earlyStopping: config.online.trees,
    },
    base,
  );
  const before = datasetNdcg(
    holdoutAligned,
    scoreRows(base, holdoutAligned.features, holdoutAligned.featureCount),
  );
  const after = datasetNdcg(
    holdoutAligned,
    scoreRows(updated, holdoutAligned.features, holdoutAligned.featureCount),
  );
  if (updated.addedTrees === 0) {
    return report({
      holdoutNdcgBefore: before,
      holdoutNdcgAfter: after,
      reason: 'nothing to learn from the feedback',
    });
  }
  if (after < before - config.online.tolerance) {
    return report({
      holdoutNdcgBefore: before,
      holdoutNdcgAfter: after,
      reason: `holdout NDCG@10 would drop from ${before.toFixed(4)} to ${after.toFixed(4)}`,
    });
  }
  const info: Omit<RankerInfo, 'version' | 'createdAt' | 'trees'> = {
    source: 'online',
    parent: base.info.version,
    metrics: { holdoutNdcgBefore: before, holdoutNdcgAfter: after },
    trainedOn: { ...trainedOn, queries: rows.queries, rows: rows.labels.length },
  };
  const model = await host.rankers.save(updated, info, associations);
  await host.rankers.activate(model.info.version);
  return report({
    accepted: true,
    version: model.info.version,
    addedTrees: updated.addedTrees,
    holdoutNdcgBefore: before,
    holdoutNdcgAfter: after,
  });
}

/** Rows in a model's feature order (features added since it was trained are dropped, missing ones -1). */
function alignFeatures(rows: RankingRows, names: readonly string[]): RankingDataset {
  return {
    features: projectFeatures(rows.features, rows.featureNames, names),
    featureCount: names.length,
    labels: rows.labels,
    offsets: rows.offsets,
    ...(rows.judgedGrades ? { judgedGrades: rows.judgedGrades } : {}),
  };
}

/** What a query's logged feedback says about its products, as a graded label per product. */
export interface FeedbackLabelSource {
  queries(): string[];
  queryProductStats(query: string): ReadonlyMap<string, QueryProductStats>;
}

/**
 * Graded labels from feedback: log2(1 + position-debiased clicks + 3·carts + 10·purchases), capped at 4.
 * A click at rank 5 counts about five clicks at rank 1 (it happened although the shopper was unlikely to
 * look there): that is the position-bias correction. Products shown but never chosen are 0.
 */
export function feedbackLabel(stats: QueryProductStats): number {
  return Math.min(4, Math.log2(1 + stats.debiasedClicks + 3 * stats.carts + 10 * stats.purchases));
}

/** Labelled queries from feedback: every query (or the given ones) with at least one positive label. */
export function feedbackExamples(
  source: FeedbackLabelSource,
  queries: Iterable<string> = source.queries(),
): LabelledQuery[] {
  const out: LabelledQuery[] = [];
  for (const q of queries) {
    const labels = new Map<string, number>();
    for (const [id, stats] of source.queryProductStats(q)) {
      const label = feedbackLabel(stats);
      if (label > 0) labels.set(id, label);
    }
    if (labels.size > 0 && q.trim() !== '') out.push({ q, labels });
  }
  return out;
}

/**
 * A new model trained from feedback alone (queries held out by the same stable split as judgments, for
 * early stopping). Online updates then add to whichever model is active.
 */
export async function trainFromFeedback(
  host: TrainingHost,
  config: RankerConfig,
  source: FeedbackLabelSource,
  options: Omit<TrainRankerOptions, 'queries' | 'qrels'> & { events: number },
): Promise<TrainRankerReport> {
  const all = feedbackExamples(source);
  if (all.length === 0) {
    throw new SoukError('INVALID_REQUEST', 'no feedback query has a click, cart or purchase to learn from', {
      field: 'feedback',
    });
  }
  const share = options.holdout ?? config.holdout;
  const holdout = all.filter((query) => inHoldout(query.q, share));
  return trainAndSave(host, config, options, {
    train: all.filter((query) => !inHoldout(query.q, share)),
    holdout,
    source: 'feedback',
    minLeafRows: (rows) => Math.min(config.minLeafRows, Math.max(5, Math.floor(rows / 50))),
    trainedOn: (train, held) => ({ events: options.events, queries: train, holdoutQueries: held }),
    // Judgments guard online updates best; without any, the feedback holdout does.
    keepHoldout: async () => holdout.length > 0 && !(await host.getMeta(HOLDOUT_KEY)),
  });
}
