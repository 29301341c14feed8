/**
 * LambdaMART: gradient-boosted regression trees whose gradients are LambdaRank's, so the ensemble optimises
 * NDCG@k directly. Histogram-based (features are binned by quantiles once), leaf-wise growth with a leaf cap,
 * Newton leaf values, L2 regularisation. Training can continue from an existing ensemble: that is how online
 * updates add a few trees for new feedback without retraining from scratch.
 */

import { seededRandom } from '../util/seeded-random.ts';

export interface RankingDataset {
  /** Row-major feature matrix: rows × featureCount. */
  features: Float32Array;
  featureCount: number;
  /** Graded relevance per row (linear gain, as in the evaluation). */
  labels: Float32Array;
  /** Query boundaries: rows of query q are offsets[q] … offsets[q + 1] − 1. */
  offsets: Int32Array;
  /** Per-row importance (inverse propensity of a logged click, say); default 1. */
  weights?: Float32Array;
  /**
   * Per query, the grades of all its judged products, retrieved or not. When given, NDCG's ideal comes
   * from them, as the evaluation's does; otherwise from the query's rows.
   */
  judgedGrades?: ReadonlyArray<ArrayLike<number>>;
}

export interface TreeNode {
  /** Feature index; -1 for a leaf. */
  f: number;
  /** Go left when value <= t. */
  t: number;
  l: number;
  r: number;
  /** Leaf output (already multiplied by the learning rate). */
  v: number;
}

export interface TreeEnsemble {
  featureNames: string[];
  trees: TreeNode[][];
}

export interface LambdaMartOptions {
  trees?: number;
  learningRate?: number;
  maxLeaves?: number;
  minLeafRows?: number;
  /** L2 regularisation of leaf values. */
  l2?: number;
  /** Quantile bins per feature (≤ 255). */
  bins?: number;
  /** NDCG cut-off the gradients optimise. */
  ndcgAt?: number;
  /** Share of the features each tree may split on, drawn anew per tree (seeded); default 1, all. */
  featureFraction?: number;
  /** Seed of the per-tree feature draws. */
  seed?: number;
  /** Stop after this many trees without a better validation NDCG. */
  earlyStopping?: number;
  validation?: RankingDataset;
  onProgress?: (tree: number, total: number, validationNdcg: number | undefined) => void;
}

const DEFAULTS = {
  trees: 300,
  learningRate: 0.08,
  maxLeaves: 31,
  minLeafRows: 50,
  l2: 1,
  bins: 64,
  ndcgAt: 10,
  earlyStopping: 40,
  featureFraction: 1,
  seed: 1,
};

const SIGMA = 1;

/** Score of one row (features at `offset` in `x`). */
export function scoreRow(ensemble: TreeEnsemble, x: ArrayLike<number>, offset = 0): number {
  let score = 0;
  for (const tree of ensemble.trees) {
    let node = tree[0]!;
    while (node.f >= 0) node = tree[x[offset + node.f]! <= node.t ? node.l : node.r]!;
    score += node.v;
  }
  return score;
}

/** Scores every row of a dataset-shaped feature matrix. */
export function scoreRows(
  ensemble: TreeEnsemble,
  features: Float32Array,
  featureCount: number,
): Float64Array {
  const rows = features.length / featureCount;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = scoreRow(ensemble, features, i * featureCount);
  return out;
}

/** Mean NDCG@k of the dataset's queries ranked by `scores` (queries without a positive label count as 1). */
export function datasetNdcg(data: RankingDataset, scores: ArrayLike<number>, k = 10): number {
  const queries = data.offsets.length - 1;
  if (queries <= 0) return 0;
  let sum = 0;
  for (let q = 0; q < queries; q++) {
    const start = data.offsets[q]!;
    const end = data.offsets[q + 1]!;
    const order = range(start, end).sort((a, b) => scores[b]! - scores[a]! || a - b);
    const ideal = queryIdeal(data, q, k);
    if (ideal === 0) {
      sum += 1;
      continue;
    }
    let dcg = 0;
    for (let r = 0; r < Math.min(k, order.length); r++) dcg += data.labels[order[r]!]! / Math.log2(r + 2);
    sum += dcg / ideal;
  }
  return sum / queries;
}

function range(start: number, end: number): number[] {
  const out = new Array<number>(end - start);
  for (let i = start; i < end; i++) out[i - start] = i;
  return out;
}

/** DCG@k of the query's ideal order: of its judged grades when the dataset has them, else of its rows. */
function queryIdeal(data: RankingDataset, q: number, k: number): number {
  const judged = data.judgedGrades?.[q];
  const grades = judged ?? data.labels.subarray(data.offsets[q]!, data.offsets[q + 1]!);
  const sorted = Array.from(grades).sort((a, b) => b - a);
  let dcg = 0;
  for (let r = 0; r < Math.min(k, sorted.length); r++) dcg += sorted[r]! / Math.log2(r + 2);
  return dcg;
}

interface Binned {
  /** Column-major bins: bins[f * rows + i]. */
  bins: Uint8Array;
  /** Upper value of each bin per feature (the split threshold). */
  thresholds: Float64Array[];
  binCount: number[];
}

function binFeatures(data: RankingDataset, maxBins: number): Binned {
  const F = data.featureCount;
  const rows = data.labels.length;
  const bins = new Uint8Array(F * rows);
  const thresholds: Float64Array[] = [];
  const binCount: number[] = [];
  const sampleStep = Math.max(1, Math.floor(rows / 200_000));
  for (let f = 0; f < F; f++) {
    const sample: number[] = [];
    for (let i = 0; i < rows; i += sampleStep) sample.push(data.features[i * F + f]!);
    sample.sort((a, b) => a - b);
    const cuts: number[] = [];
    const distinct = [...new Set(sample)];
    if (distinct.length <= maxBins) {
      // Few values: one bin per value, thresholds halfway between neighbours.
      for (let j = 0; j + 1 < distinct.length; j++) cuts.push((distinct[j]! + distinct[j + 1]!) / 2);
    } else {
      for (let j = 1; j < maxBins; j++) {
        const value = sample[Math.floor((j * sample.length) / maxBins)]!;
        if (cuts.length === 0 || value > cuts[cuts.length - 1]!) cuts.push(value);
      }
    }
    const t = Float64Array.from(cuts);
    thresholds.push(t);
    binCount.push(t.length + 1);
    for (let i = 0; i < rows; i++) {
      const x = data.features[i * F + f]!;
      // Number of thresholds below x: x <= t[b] ⇔ bin ≤ b.
      let lo = 0;
      let hi = t.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (t[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      bins[f * rows + i] = lo;
    }
  }
  return { bins, thresholds, binCount };
}

/** LambdaRank gradients (g: d loss / d score) and Hessians for every row at the current scores. */
function lambdas(
  data: RankingDataset,
  scores: Float64Array,
  k: number,
  g: Float64Array,
  h: Float64Array,
): void {
  g.fill(0);
  h.fill(0);
  const { labels, offsets, weights } = data;
  for (let q = 0; q + 1 < offsets.length; q++) {
    const start = offsets[q]!;
    const end = offsets[q + 1]!;
    const n = end - start;
    if (n < 2) continue;
    const ideal = queryIdeal(data, q, k);
    if (ideal === 0) continue;
    const order = range(start, end).sort((a, b) => scores[b]! - scores[a]! || a - b);
    const rankOf = new Int32Array(n);
    order.forEach((row, r) => (rankOf[row - start] = r));
    for (let a = 0; a < n; a++) {
      const i = start + a;
      const li = labels[i]!;
      // Only a better-labelled row starts a pair; most candidates are unjudged (0) and start none.
      if (li <= 0) continue;
      for (let b = 0; b < n; b++) {
        const j = start + b;
        const lj = labels[j]!;
        if (li <= lj) continue;
        const ri = rankOf[a]!;
        const rj = rankOf[b]!;
        // Truncated LambdaRank: pairs entirely below the cut-off cannot change NDCG@k.
        if (ri >= k && rj >= k) continue;
        const di = ri < k ? 1 / Math.log2(ri + 2) : 0;
        const dj = rj < k ? 1 / Math.log2(rj + 2) : 0;
        const delta = (Math.abs((li - lj) * (di - dj)) / ideal) * (weights ? weights[i]! : 1);
        const rho = 1 / (1 + Math.exp(SIGMA * (scores[i]! - scores[j]!)));
        const lambda = SIGMA * rho * delta;
        const hess = SIGMA * SIGMA * rho * (1 - rho) * delta;
        g[i]! -= lambda;
        g[j]! += lambda;
        h[i]! += hess;
        h[j]! += hess;
      }
    }
  }
}

interface Leaf {
  node: number;
  rows: Int32Array;
  G: number;
  H: number;
  hist: Float64Array;
  split: { gain: number; feature: number; bin: number } | undefined;
}

/** Grows one tree on (g, h) and returns it with each row's leaf output added to `scores`. */
function growTree(
  binned: Binned,
  featureCount: number,
  g: Float64Array,
  h: Float64Array,
  options: typeof DEFAULTS,
  usable: Uint8Array,
): { tree: TreeNode[]; rowLeaf: Float64Array } {
  const rows = g.length;
  const maxBins = Math.max(...binned.binCount);
  const stride = 3 * maxBins;
  const l2 = options.l2;
  const histogram = (leafRows: Int32Array): Float64Array => {
    const hist = new Float64Array(featureCount * stride);
    for (let f = 0; f < featureCount; f++) {
      const base = f * stride;
      const column = f * rows;
      for (let k = 0; k < leafRows.length; k++) {
        const i = leafRows[k]!;
        const slot = base + 3 * binned.bins[column + i]!;
        hist[slot]! += g[i]!;
        hist[slot + 1]! += h[i]!;
        hist[slot + 2]! += 1;
      }
    }
    return hist;
  };
  const bestSplit = (leaf: Leaf): Leaf['split'] => {
    let best: Leaf['split'];
    const parentGain = (leaf.G * leaf.G) / (leaf.H + l2);
    for (let f = 0; f < featureCount; f++) {
      if (!usable[f]) continue;
      const base = f * stride;
      let GL = 0;
      let HL = 0;
      let CL = 0;
      const bins = binned.binCount[f]!;
      for (let b = 0; b + 1 < bins; b++) {
        GL += leaf.hist[base + 3 * b]!;
        HL += leaf.hist[base + 3 * b + 1]!;
        CL += leaf.hist[base + 3 * b + 2]!;
        const CR = leaf.rows.length - CL;
        if (CL < options.minLeafRows) continue;
        if (CR < options.minLeafRows) break;
        const GR = leaf.G - GL;
        const HR = leaf.H - HL;
        const gain = (GL * GL) / (HL + l2) + (GR * GR) / (HR + l2) - parentGain;
        if (gain > 1e-9 && (!best || gain > best.gain)) best = { gain, feature: f, bin: b };
      }
    }
    return best;
  };
  const makeLeaf = (node: number, leafRows: Int32Array, hist?: Float64Array): Leaf => {
    let G = 0;
    let H = 0;
    for (const i of leafRows) {
      G += g[i]!;
      H += h[i]!;
    }
    const leaf: Leaf = { node, rows: leafRows, G, H, hist: hist ?? histogram(leafRows), split: undefined };
    leaf.split = bestSplit(leaf);
    return leaf;
  };
  const tree: TreeNode[] = [{ f: -1, t: 0, l: -1, r: -1, v: 0 }];
  const all = new Int32Array(rows);
  for (let i = 0; i < rows; i++) all[i] = i;
  const leaves: Leaf[] = [makeLeaf(0, all)];
  while (leaves.length < options.maxLeaves) {
    let pick = -1;
    for (let j = 0; j < leaves.length; j++) {
      const split = leaves[j]!.split;
      if (split && (pick < 0 || split.gain > leaves[pick]!.split!.gain)) pick = j;
    }
    if (pick < 0) break;
    const leaf = leaves[pick]!;
    const { feature, bin } = leaf.split!;
    const column = feature * rows;
    let leftCount = 0;
    for (const i of leaf.rows) if (binned.bins[column + i]! <= bin) leftCount++;
    const leftRows = new Int32Array(leftCount);
    const rightRows = new Int32Array(leaf.rows.length - leftCount);
    let li = 0;
    let ri = 0;
    for (const i of leaf.rows) {
      if (binned.bins[column + i]! <= bin) leftRows[li++] = i;
      else rightRows[ri++] = i;
    }
    const node = tree[leaf.node]!;
    node.f = feature;
    node.t = binned.thresholds[feature]![bin]!;
    node.l = tree.length;
    node.r = tree.length + 1;
    tree.push({ f: -1, t: 0, l: -1, r: -1, v: 0 }, { f: -1, t: 0, l: -1, r: -1, v: 0 });
    // Histogram subtraction: build the smaller child, the larger one is the parent minus it.
    const smallIsLeft = leftRows.length <= rightRows.length;
    const smallHist = histogram(smallIsLeft ? leftRows : rightRows);
    const largeHist = leaf.hist;
    for (let s = 0; s < largeHist.length; s++) largeHist[s]! -= smallHist[s]!;
    const left = makeLeaf(node.l, leftRows, smallIsLeft ? smallHist : largeHist);
    const right = makeLeaf(node.r, rightRows, smallIsLeft ? largeHist : smallHist);
    leaves.splice(pick, 1, left, right);
  }
  const rowLeaf = new Float64Array(rows);
  for (const leaf of leaves) {
    const value = (-leaf.G / (leaf.H + l2)) * options.learningRate;
    tree[leaf.node]!.v = value;
    for (const i of leaf.rows) rowLeaf[i] = value;
  }
  return { tree, rowLeaf };
}

/**
 * Trains a LambdaMART ensemble, or continues `from` (its trees are kept and new ones fit the residual
 * ranking errors). With a validation set the ensemble is cut back to its best validation NDCG.
 */
export function trainLambdaMart(
  data: RankingDataset,
  featureNames: string[],
  options: LambdaMartOptions = {},
  from?: TreeEnsemble,
): TreeEnsemble & { validationNdcg: number | undefined; addedTrees: number } {
  const settings = { ...DEFAULTS, ...stripUndefined(options) };
  if (!(settings.featureFraction > 0 && settings.featureFraction <= 1)) {
    throw new RangeError(`featureFraction must be above 0 and at most 1, got ${settings.featureFraction}`);
  }
  if (featureNames.length !== data.featureCount) {
    throw new RangeError(`${featureNames.length} feature names for ${data.featureCount} features`);
  }
  const binned = binFeatures(data, Math.min(255, settings.bins));
  const rows = data.labels.length;
  const base: TreeEnsemble = { featureNames, trees: from ? [...from.trees] : [] };
  const scores = from ? scoreRows(from, data.features, data.featureCount) : new Float64Array(rows);
  const validation = options.validation;
  const validationScores = validation
    ? from
      ? scoreRows(from, validation.features, validation.featureCount)
      : new Float64Array(validation.labels.length)
    : undefined;
  let bestNdcg = validation ? datasetNdcg(validation, validationScores!, settings.ndcgAt) : undefined;
  let bestLength = base.trees.length;
  const g = new Float64Array(rows);
  const h = new Float64Array(rows);
  const usable = new Uint8Array(data.featureCount).fill(1);
  const draw = seededRandom(settings.seed);
  for (let t = 0; t < settings.trees; t++) {
    lambdas(data, scores, settings.ndcgAt, g, h);
    if (settings.featureFraction < 1) {
      let drawn = 0;
      for (let f = 0; f < usable.length; f++) {
        usable[f] = draw() < settings.featureFraction ? 1 : 0;
        drawn += usable[f]!;
      }
      // A tree without features would end training early, as if nothing were left to learn.
      if (drawn === 0) usable[Math.floor(draw() * usable.length)] = 1;
    }
    const { tree, rowLeaf } = growTree(binned, data.featureCount, g, h, settings, usable);
    if (tree.length === 1 && tree[0]!.v === 0) break;
    base.trees.push(tree);
    for (let i = 0; i < rows; i++) scores[i]! += rowLeaf[i]!;
    let ndcg: number | undefined;
    if (validation) {
      const F = validation.featureCount;
      for (let i = 0; i < validationScores!.length; i++) {
        validationScores![i]! += scoreTree(tree, validation.features, i * F);
      }
      ndcg = datasetNdcg(validation, validationScores!, settings.ndcgAt);
      if (ndcg > bestNdcg! + 1e-6) {
        bestNdcg = ndcg;
        bestLength = base.trees.length;
      } else if (base.trees.length - bestLength >= settings.earlyStopping) break;
    } else bestLength = base.trees.length;
    options.onProgress?.(t + 1, settings.trees, ndcg);
  }
  base.trees.length = bestLength;
  return {
    ...base,
    validationNdcg: bestNdcg,
    addedTrees: bestLength - (from?.trees.length ?? 0),
  };
}

function scoreTree(tree: TreeNode[], x: ArrayLike<number>, offset: number): number {
  let node = tree[0]!;
  while (node.f >= 0) node = tree[x[offset + node.f]! <= node.t ? node.l : node.r]!;
  return node.v;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Number of splits on each feature: which signals the model relies on. */
export function featureImportance(ensemble: TreeEnsemble): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const tree of ensemble.trees) {
    for (const node of tree) {
      if (node.f < 0) continue;
      const name = ensemble.featureNames[node.f] ?? String(node.f);
      counts[name] = (counts[name] ?? 0) + 1;
    }
  }
  return counts;
}
