/**
 * An embedding adapter: a d×d linear map W applied to query vectors (q' = Wq / ‖Wq‖), learned from
 * (query, relevant product, non-relevant products) examples so that a general-purpose text model ranks a
 * shop's products the way its shoppers judged them. Products keep their stored vectors: only the query
 * side moves, so training never re-embeds the catalogue and dropping the adapter restores the model as is.
 *
 * Loss per example: InfoNCE with temperature τ over the example's positive, the other examples' positives
 * in its batch (in-batch negatives; those of the same query or the same product are masked) and its hard
 * negatives; plus λ‖W − I‖²_F, which pulls W towards the identity so the map cannot collapse or drift far
 * from what the model already knows. Adam on Float64 weights; deterministic for a seed (batch order and
 * the validation split are the only random choices). Early stopping keeps the epoch with the lowest
 * validation loss (the identity counts as epoch 0, so training never makes validation worse).
 *
 * Pure math: no I/O, no models.
 */
import { seededRandom } from '../util/seeded-random.ts';

export interface AdapterExample {
  /** Unit-length query vector (as the model embeds the query). */
  query: Float32Array;
  /** Unit-length vector of a product judged relevant for the query. */
  positive: Float32Array;
  /** Vectors of products that are not relevant for the query (hard negatives). */
  negatives: readonly Float32Array[];
  /** Examples of one query share a group: they are split together and never each other's negatives. */
  group: number;
  /** Identity of the positive product: examples with the same item are not each other's negatives. */
  item?: number | undefined;
}

export interface AdapterTrainingOptions {
  /** Passes over the training examples (at most; early stopping may end sooner). Default 10. */
  epochs?: number;
  /** Examples per batch, which are also each other's in-batch negatives. Default 64. */
  batchSize?: number;
  /** Adam step size. Default 0.0003. */
  learningRate?: number;
  /** Softmax temperature of the contrastive loss. Default 0.05. */
  temperature?: number;
  /** λ of the λ‖W − I‖²_F regulariser. Default 0.01. */
  identityWeight?: number;
  /** Share of the groups (queries) held out for validation and early stopping. Default 0.1; 0 = none. */
  validationShare?: number;
  /** Epochs without a better validation loss before training stops. Default 2. */
  patience?: number;
  /** Seed of the batch order and the validation split. Default 1. */
  seed?: number;
  onProgress?: ((progress: AdapterTrainingProgress) => void) | undefined;
}

export interface AdapterTrainingProgress {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch, and how many it has. */
  batch: number;
  batches: number;
  /** Mean loss of the batches done in this epoch (contrastive part plus regulariser). */
  trainLoss: number;
  /** True once per epoch, after its last batch (and its validation). */
  epochDone: boolean;
  /** At the end of an epoch, when there are validation examples. */
  validationLoss?: number | undefined;
}

export interface AdapterEpoch {
  epoch: number;
  trainLoss: number;
  validationLoss: number | undefined;
  validationAccuracy: number | undefined;
}

export interface AdapterEvaluation {
  /** Mean contrastive loss (without the regulariser). */
  loss: number;
  /** Share of examples whose positive scores above every negative of its candidate set. */
  accuracy: number;
}

export interface AdapterTrainingReport {
  dims: number;
  trainExamples: number;
  validationExamples: number;
  /** Epochs run, and the one whose weights were kept (0: the identity was never beaten). */
  epochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  /** On the validation examples, with the identity and with the kept weights (absent without validation). */
  validation: { before: AdapterEvaluation; after: AdapterEvaluation } | undefined;
  history: AdapterEpoch[];
  /** ‖W − I‖_F of the kept weights. */
  distanceFromIdentity: number;
}

const DEFAULTS = {
  epochs: 10,
  batchSize: 64,
  learningRate: 0.0003,
  temperature: 0.05,
  identityWeight: 0.01,
  validationShare: 0.1,
  patience: 2,
  seed: 1,
};

/** The d×d identity, row-major. */
export function identityWeights(dims: number): Float32Array {
  const weights = new Float32Array(dims * dims);
  for (let i = 0; i < dims; i++) weights[i * dims + i] = 1;
  return weights;
}

/**
 * Wq, scaled to unit length. A result already of unit length (within float32 precision) is returned as
 * computed, so the identity map gives back exactly its input.
 */
export function applyAdapter(weights: ArrayLike<number>, vector: Float32Array): Float32Array {
  const dims = vector.length;
  if (weights.length !== dims * dims) {
    throw new RangeError(`adapter is ${Math.sqrt(weights.length)}-d, the vector ${dims}-d`);
  }
  const out = new Float64Array(dims);
  matVec(weights, vector, out);
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += out[i]! * out[i]!;
  norm = Math.sqrt(norm);
  const scale = norm === 0 || Math.abs(norm - 1) < 1e-7 ? 1 : 1 / norm;
  const result = new Float32Array(dims);
  for (let i = 0; i < dims; i++) result[i] = out[i]! * scale;
  return result;
}

function matVec(weights: ArrayLike<number>, vector: ArrayLike<number>, out: Float64Array): void {
  const dims = out.length;
  for (let r = 0; r < dims; r++) {
    const row = r * dims;
    let sum = 0;
    for (let c = 0; c < dims; c++) sum += weights[row + c]! * vector[c]!;
    out[r] = sum;
  }
}

function dotOf(a: ArrayLike<number>, b: ArrayLike<number>, dims: number): number {
  let sum = 0;
  for (let i = 0; i < dims; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** a · b over equal-length Float64Arrays, unrolled (the training's inner loop). */
function dot64(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[i]!;
  return s0 + s1 + s2 + s3;
}

/** target += scale · source, over equal-length Float64Arrays. */
function addScaled(target: Float64Array, source: Float64Array, scale: number): void {
  const n = target.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    target[i]! += scale * source[i]!;
    target[i + 1]! += scale * source[i + 1]!;
    target[i + 2]! += scale * source[i + 2]!;
    target[i + 3]! += scale * source[i + 3]!;
  }
  for (; i < n; i++) target[i]! += scale * source[i]!;
}

export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Contrastive loss of one batch under weights W (without the regulariser); when `grad` is given, adds
 * the gradient of the batch's mean loss with respect to W into it.
 */
export function batchLoss(
  weights: ArrayLike<number>,
  dims: number,
  batch: readonly AdapterExample[],
  temperature: number,
  grad?: Float64Array,
): { loss: number; correct: number } {
  const n = batch.length;
  // Forward, one row of W at a time against every query of the batch: W is read once per batch (it does
  // not fit in cache; reading it once per example made training memory-bound).
  const zs = batch.map(() => new Float64Array(dims));
  const queries = batch.map((example) => Float64Array.from(example.query));
  const w = weights instanceof Float64Array ? weights : Float64Array.from(weights);
  for (let r = 0; r < dims; r++) {
    const row = w.subarray(r * dims, (r + 1) * dims);
    for (let i = 0; i < n; i++) zs[i]![r] = dot64(row, queries[i]!);
  }
  const norms = zs.map((u) => {
    const norm = Math.sqrt(dotOf(u, u, dims)) || 1;
    for (let k = 0; k < dims; k++) u[k]! /= norm;
    return norm;
  });
  let loss = 0;
  let correct = 0;
  const deltas: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const example = batch[i]!;
    const z = zs[i]!;
    // Candidates: own positive first, then unmasked in-batch positives, then the hard negatives.
    const candidates: Float32Array[] = [example.positive];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const other = batch[j]!;
      if (other.group === example.group) continue;
      if (example.item !== undefined && other.item === example.item) continue;
      candidates.push(other.positive);
    }
    for (const negative of example.negatives) candidates.push(negative);
    const logits = candidates.map((c) => dotOf(z, c, dims) / temperature);
    let max = -Infinity;
    for (const logit of logits) max = Math.max(max, logit);
    let sum = 0;
    const probs = logits.map((logit) => {
      const e = Math.exp(logit - max);
      sum += e;
      return e;
    });
    loss += Math.log(sum) + max - logits[0]!;
    let best = true;
    for (let c = 1; c < logits.length; c++) if (logits[c]! >= logits[0]!) best = false;
    if (best) correct++;
    if (!grad) continue;
    // dL/dz = Σ_c (p_c − [c = positive]) c / τ; through the normalisation: (g − (g·z) z) / ‖Wq‖.
    const g = new Float64Array(dims);
    for (let c = 0; c < candidates.length; c++) {
      const coefficient = (probs[c]! / sum - (c === 0 ? 1 : 0)) / temperature;
      if (coefficient === 0) continue;
      const vector = candidates[c]!;
      for (let k = 0; k < dims; k++) g[k]! += coefficient * vector[k]!;
    }
    const along = dotOf(g, z, dims);
    const scale = 1 / (norms[i]! * n);
    for (let k = 0; k < dims; k++) g[k] = (g[k]! - along * z[k]!) * scale;
    deltas.push(g);
  }
  if (grad) {
    // dL/dW = Σ_i δ_i q_iᵀ, one row at a time (the row stays in cache while every example adds to it).
    for (let r = 0; r < dims; r++) {
      const row = grad.subarray(r * dims, (r + 1) * dims);
      for (let i = 0; i < n; i++) {
        const delta = deltas[i]![r]!;
        if (delta !== 0) addScaled(row, queries[i]!, delta);
      }
    }
  }
  return { loss, correct };
}

/** Mean loss and accuracy over examples taken in fixed batches. */
export function evaluateAdapter(
  weights: ArrayLike<number>,
  dims: number,
  examples: readonly AdapterExample[],
  options: { batchSize?: number; temperature?: number } = {},
): AdapterEvaluation {
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const temperature = options.temperature ?? DEFAULTS.temperature;
  let loss = 0;
  let correct = 0;
  for (let start = 0; start < examples.length; start += batchSize) {
    const result = batchLoss(weights, dims, examples.slice(start, start + batchSize), temperature);
    loss += result.loss;
    correct += result.correct;
  }
  const count = Math.max(1, examples.length);
  return { loss: loss / count, accuracy: correct / count };
}

function identityDistance(weights: Float64Array, dims: number): number {
  let sum = 0;
  for (let r = 0; r < dims; r++) {
    for (let c = 0; c < dims; c++) {
      const diff = weights[r * dims + c]! - (r === c ? 1 : 0);
      sum += diff * diff;
    }
  }
  return Math.sqrt(sum);
}

/** Splits examples by group: a share of the groups (at random for the seed) for validation. */
export function splitByGroup(
  examples: readonly AdapterExample[],
  share: number,
  random: () => number,
): { train: AdapterExample[]; validation: AdapterExample[] } {
  const groups = [...new Set(examples.map((example) => example.group))].sort((a, b) => a - b);
  shuffleInPlace(groups, random);
  const held = new Set(groups.slice(0, Math.floor(groups.length * share)));
  const train: AdapterExample[] = [];
  const validation: AdapterExample[] = [];
  for (const example of examples) (held.has(example.group) ? validation : train).push(example);
  return { train, validation };
}

/**
 * Trains W from the identity. Yields to the event loop between batches (a server keeps answering
 * meanwhile); the result depends only on the examples, their order and the options.
 */
export async function trainAdapter(
  examples: readonly AdapterExample[],
  dims: number,
  options: AdapterTrainingOptions = {},
): Promise<{ weights: Float32Array; report: AdapterTrainingReport }> {
  const settings = { ...DEFAULTS, ...withoutUndefined(options) };
  const { batchSize, temperature, identityWeight, learningRate } = settings;
  for (const example of examples) {
    if (example.query.length !== dims || example.positive.length !== dims) {
      throw new RangeError(`examples must be ${dims}-d vectors`);
    }
  }
  const random = seededRandom(settings.seed);
  const { train, validation } =
    settings.validationShare > 0
      ? splitByGroup(examples, settings.validationShare, random)
      : { train: [...examples], validation: [] };
  const size = dims * dims;
  const identity = new Float64Array(size);
  for (let i = 0; i < dims; i++) identity[i * dims + i] = 1;
  const weights = Float64Array.from(identity);
  let best = Float64Array.from(weights);
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  const grad = new Float64Array(size);
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;
  const evaluation = { batchSize, temperature };
  const before = validation.length > 0 ? evaluateAdapter(weights, dims, validation, evaluation) : undefined;
  let bestLoss = before?.loss ?? Infinity;
  let bestEpoch = 0;
  let bestEvaluation = before;
  let sinceBest = 0;
  let stoppedEarly = false;
  const history: AdapterEpoch[] = [];
  const batches = Math.ceil(train.length / batchSize);
  let epoch = 0;
  while (epoch < settings.epochs && train.length > 0) {
    epoch++;
    const order = shuffleInPlace([...train], random);
    let epochLoss = 0;
    for (let b = 0; b < batches; b++) {
      const batch = order.slice(b * batchSize, (b + 1) * batchSize);
      grad.fill(0);
      const { loss } = batchLoss(weights, dims, batch, temperature, grad);
      // The regulariser's gradient 2λ(W − I) and the Adam step, in one pass over W.
      step++;
      const stepSize = learningRate / (1 - beta1 ** step);
      const correction2 = 1 / (1 - beta2 ** step);
      let penalty = 0;
      for (let i = 0; i < size; i++) {
        const diff = weights[i]! - identity[i]!;
        penalty += diff * diff;
        const gi = grad[i]! + 2 * identityWeight * diff;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        weights[i] = weights[i]! - (stepSize * mi) / (Math.sqrt(vi * correction2) + 1e-8);
      }
      epochLoss += loss / batch.length + identityWeight * penalty;
      if ((b + 1) % 10 === 0 || b + 1 === batches) {
        if (b + 1 < batches) {
          settings.onProgress?.({
            epoch,
            epochs: settings.epochs,
            batch: b + 1,
            batches,
            trainLoss: epochLoss / (b + 1),
            epochDone: false,
          });
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const trainLoss = epochLoss / Math.max(1, batches);
    const checked =
      validation.length > 0 ? evaluateAdapter(weights, dims, validation, evaluation) : undefined;
    history.push({
      epoch,
      trainLoss,
      validationLoss: checked?.loss,
      validationAccuracy: checked?.accuracy,
    });
    settings.onProgress?.({
      epoch,
      epochs: settings.epochs,
      batch: batches,
      batches,
      trainLoss,
      epochDone: true,
      validationLoss: checked?.loss,
    });
    if (!checked) {
      best = Float64Array.from(weights);
      bestEpoch = epoch;
      continue;
    }
    if (checked.loss < bestLoss - 1e-6) {
      bestLoss = checked.loss;
      bestEpoch = epoch;
      bestEvaluation = checked;
      best = Float64Array.from(weights);
      sinceBest = 0;
    } else if (++sinceBest >= settings.patience) {
      stoppedEarly = epoch < settings.epochs;
      break;
    }
  }
  return {
    weights: Float32Array.from(best),
    report: {
      dims,
      trainExamples: train.length,
      validationExamples: validation.length,
      epochs: epoch,
      bestEpoch,
      stoppedEarly,
      validation: before && bestEvaluation ? { before, after: bestEvaluation } : undefined,
      history,
      distanceFromIdentity: identityDistance(best, dims),
    },
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
