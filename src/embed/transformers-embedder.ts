/**
 * Embedding providers backed by transformers.js: any feature-extraction model (e5, bge, MiniLM, …) for
 * text, and CLIP-like models (CLIP, Chinese-CLIP) for images and text in one space.
 *
 * onnxruntime-node's `session.run` returns a promise but computes synchronously on the thread that calls
 * it (it only defers the call with `setImmediate`; microsoft/onnxruntime#19611 and #26968 are still open),
 * so a batch of e5 on the main thread would stall every request for its whole duration. The model
 * therefore runs on worker threads by default (`workers`, each with its own sessions, sharing the cores
 * through onnxruntime's intra-op threads); `workers: 0` runs it on the calling thread, for batch jobs
 * where nothing else waits.
 *
 * A model is a hub id (`Xenova/multilingual-e5-small`, downloaded once into the cache folder) or a local
 * folder (an absolute path, or one starting with `./` or `../`) in the layout transformers.js loads:
 * `config.json`, `tokenizer.json`, `tokenizer_config.json`, `onnx/model.onnx` (text) or
 * `onnx/text_model.onnx` + `onnx/vision_model.onnx` + `preprocessor_config.json` (CLIP).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type {
  PreTrainedModel,
  PreTrainedTokenizer,
  RawImage as RawImageType,
  Tensor as TensorType,
} from '@huggingface/transformers';
import { SoukError, type SoukErrorCode } from '../errors.ts';
import { startWorker } from '../util/start-worker.ts';
import {
  normalizeInPlace,
  type EmbedKind,
  type EmbedderId,
  type ImageBytes,
  type ImageEmbedder,
  type TextEmbedder,
} from './embedder.ts';
import { WorkerPool, type PoolHello, type PoolReply } from './worker-pool.ts';

export type TransformersPooling = 'mean' | 'cls';

export interface TransformersTextEmbedderOptions {
  /** Hub id (`Xenova/multilingual-e5-small`) or local folder (absolute, or starting with `./` / `../`). */
  model: string;
  /** Unset: the model's `1_Pooling/config.json`, else `cls` for bge-family names, else `mean`. */
  pooling?: TransformersPooling;
  /** Unset: `query: ` / `passage: ` for e5-family names, else none. */
  queryPrefix?: string;
  documentPrefix?: string;
  /** Texts per model call. */
  batchSize?: number;
  /** Where hub models are downloaded to and looked up in (default: transformers.js's own cache). */
  cacheDir?: string;
  /** Never download; also forced by `SOUK_MODELS_OFFLINE=1`. */
  offline?: boolean;
  /** Whether the model maps languages into one space; unset: guessed from the name (`multilingual`, `labse`, `bge-m3`). */
  multilingual?: boolean;
  /** Worker threads running the model (default 1); 0 runs it on the calling thread, blocking it. */
  workers?: number;
  /** Most texts waiting for a worker before callers wait (default 1024). */
  queueSize?: number;
}

export interface TransformersImageEmbedderOptions {
  /** Hub id (`Xenova/clip-vit-base-patch32`) or local folder of a CLIP-like model with split towers. */
  model: string;
  /** Images (or texts) per model call. */
  batchSize?: number;
  cacheDir?: string;
  offline?: boolean;
  /** Worker threads running the model (default 1); 0 runs it on the calling thread, blocking it. */
  workers?: number;
  /** Most images or texts waiting for a worker before callers wait (default 256). */
  queueSize?: number;
}

type Transformers = typeof import('@huggingface/transformers');

let library: Promise<Transformers> | undefined;

/** Loaded on first use: importing transformers.js pulls in onnxruntime and sharp, which most runs never need. */
function transformers(): Promise<Transformers> {
  library ??= import('@huggingface/transformers');
  return library;
}

const DEFAULT_TEXT_BATCH = 32;
const DEFAULT_IMAGE_BATCH = 8;
const DEFAULT_TEXT_QUEUE = 1024;
const DEFAULT_IMAGE_QUEUE = 256;
/** Bytes hashed at the start, middle and end of each weights file (see `fingerprint`). */
const FINGERPRINT_SAMPLE = 64 * 1024;
/** Fallback sequence limit when neither the tokenizer nor the config gives one. */
const DEFAULT_MAX_TOKENS = 512;

// ------------------------------------------------------------------------------------ model location

interface ModelSource {
  /** What `from_pretrained` is given: an absolute folder, or a hub id when downloading is allowed. */
  path: string;
  /** `id.model`: the hub id, or the local folder's name. */
  name: string;
  /** The folder holding the files (for a hub id: where the cache keeps them once downloaded). */
  folder: string;
  /** Set when the model may be downloaded from the hub. */
  hubId: string | undefined;
  cacheDir: string;
}

/** transformers.js's own test for a hub id (`owner/name` or `name`), so we decide the same way it does. */
const HUB_ID = /^(\b[\w\-.]+\b\/)?\b[\w\-.]{1,96}\b$/;

function isLocalPath(model: string): boolean {
  return isAbsolute(model) || /^\.\.?([\\/]|$)/.test(model);
}

function offlineByEnvironment(): boolean {
  const on = (value: string | undefined) => value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
  return (
    on(process.env.SOUK_MODELS_OFFLINE) ||
    on(process.env.HF_HUB_OFFLINE) ||
    on(process.env.TRANSFORMERS_OFFLINE)
  );
}

function modelNotFound(message: string, details: Record<string, unknown>, cause?: unknown): SoukError {
  return new SoukError('MODEL_NOT_FOUND', message, details, cause === undefined ? undefined : { cause });
}

/**
 * transformers.js's package folder, where its default cache (`.cache/`) and local model folder (`models/`)
 * are. Worked out here rather than read from its `env`, so that the thread that only coordinates workers
 * never loads the library (and onnxruntime, and sharp) at all.
 */
function transformersHome(): string {
  return dirname(dirname(fileURLToPath(import.meta.resolve('@huggingface/transformers'))));
}

/** Where transformers.js downloads hub files from (its `env.remoteHost` default). */
const HUB_HOST = 'https://huggingface.co';

function resolveModelSource(
  model: string,
  options: { cacheDir?: string | undefined; offline?: boolean | undefined },
): ModelSource {
  const cacheDir = resolve(options.cacheDir ?? join(transformersHome(), '.cache'));
  if (typeof model !== 'string' || model.trim() === '') {
    throw modelNotFound('No model given: set a hub id or a local folder', { model });
  }
  if (isLocalPath(model)) {
    const folder = resolve(model);
    if (!existsSync(folder)) {
      throw modelNotFound(`Model folder ${folder} does not exist`, { model, folder });
    }
    if (!existsSync(join(folder, 'config.json'))) {
      throw modelNotFound(
        `${folder} is not a transformers.js model folder (no config.json); it needs config.json, tokenizer.json, tokenizer_config.json and onnx/*.onnx`,
        { model, folder },
      );
    }
    return { path: folder, name: basename(folder), folder, hubId: undefined, cacheDir };
  }
  if (!HUB_ID.test(model) || model.includes('..') || model.includes('--')) {
    throw modelNotFound(
      `${model} is neither a hub id (owner/name) nor a local folder (an absolute path, or one starting with ./)`,
      { model },
    );
  }
  const cached = join(cacheDir, model);
  const offline = options.offline === true || offlineByEnvironment();
  if (!offline) return { path: model, name: model, folder: cached, hubId: model, cacheDir };
  // Offline, a hub model is just a folder in the cache (transformers.js keeps `<cache>/<owner>/<name>/…`
  // for the main revision) or in transformers.js's local `models/` folder. Loading that folder by path
  // means no code path below can reach for the network.
  for (const folder of [cached, join(transformersHome(), 'models', model)]) {
    if (existsSync(join(folder, 'config.json'))) {
      return { path: folder, name: model, folder, hubId: undefined, cacheDir };
    }
  }
  throw modelNotFound(
    `Model ${model} is not in the model cache (${cacheDir}) and downloads are off (offline, or SOUK_MODELS_OFFLINE=1). ` +
      `Run once with internet access and downloads allowed to fetch it, or set the model to a local folder ` +
      `(./path/to/model) that holds config.json, tokenizer.json and onnx/*.onnx.`,
    { model, cacheDir },
  );
}

function loadOptions(source: ModelSource, threads: number | undefined) {
  return {
    cache_dir: source.cacheDir,
    local_files_only: source.hubId === undefined,
    // Several workers share the cores rather than each starting a thread per core.
    session_options: threads === undefined ? {} : { intraOpNumThreads: threads },
  };
}

/** Any failure while loading (missing file, 404, bad JSON, unreadable .onnx) means the model is not usable. */
async function loading<T>(source: ModelSource, what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof SoukError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const hint =
      source.hubId !== undefined
        ? ' (is the hub id right, and is the hub reachable? Offline, set SOUK_MODELS_OFFLINE=1 to use the cache only)'
        : '';
    throw modelNotFound(
      `Could not load ${what} of model ${source.name} from ${source.path}: ${message}${hint}`,
      { model: source.name, path: source.path },
      error,
    );
  }
}

// ------------------------------------------------------------------------------------ tokenization

interface Encoded {
  [name: string]: TensorType;
}

/**
 * Tokenizes, truncates and pads a batch. Truncation keeps a sequence's closing special token
 * ([SEP], </s>, CLIP's end-of-text) as Python's tokenizers do; truncating the ids after the fact would drop
 * it, and CLIP pools at that very token.
 */
function encodeTexts(
  lib: Transformers,
  tokenizer: PreTrainedTokenizer,
  texts: readonly string[],
  maxLength: number,
): Encoded {
  const encoded = tokenizer([...texts], {
    padding: false,
    truncation: false,
    return_tensor: false,
  }) as unknown as Record<string, number[][]>;
  const ids = encoded.input_ids;
  if (!ids) throw new Error('tokenizer returned no input_ids');
  const special = new Set(tokenizer.all_special_ids);
  const keys = Object.keys(encoded).filter((key) => Array.isArray(encoded[key]));
  for (let row = 0; row < ids.length; row++) {
    const length = ids[row]!.length;
    if (length <= maxLength) continue;
    const keepLast = special.has(ids[row]![length - 1]!);
    for (const key of keys) {
      const values = encoded[key]![row]!;
      encoded[key]![row] = keepLast
        ? [...values.slice(0, maxLength - 1), values[length - 1]!]
        : values.slice(0, maxLength);
    }
  }
  const width = Math.max(1, ...ids.map((row) => row.length));
  const padId = Number.isInteger(tokenizer.pad_token_id) ? tokenizer.pad_token_id : 0;
  const padLeft = tokenizer.padding_side === 'left';
  const tensors: Encoded = {};
  for (const key of keys) {
    const fill = key === 'input_ids' ? padId : 0;
    const data = new BigInt64Array(ids.length * width);
    for (let row = 0; row < ids.length; row++) {
      const values = encoded[key]![row]!;
      const offset = row * width + (padLeft ? width - values.length : 0);
      data.fill(BigInt(fill), row * width, (row + 1) * width);
      for (let i = 0; i < values.length; i++) data[offset + i] = BigInt(values[i]!);
    }
    tensors[key] = new lib.Tensor('int64', data, [ids.length, width]);
  }
  return tensors;
}

/** Longest input the model's position table takes: the tokenizer's limit, capped by the config. */
function maxTokens(tokenizer: PreTrainedTokenizer, config: Record<string, unknown>): number {
  const limits: number[] = [];
  const fromTokenizer = Number(tokenizer.model_max_length);
  if (Number.isFinite(fromTokenizer) && fromTokenizer > 0 && fromTokenizer < 1e6) limits.push(fromTokenizer);
  const textConfig = (config.text_config ?? config) as Record<string, unknown>;
  const positions = Number(textConfig.max_position_embeddings);
  if (Number.isFinite(positions) && positions > 0) {
    // RoBERTa-style models (XLM-R, hence multilingual-e5) offset positions by padding_idx + 1 = 2.
    const type = String(textConfig.model_type ?? config.model_type ?? '');
    limits.push(/roberta|camembert|mpnet/.test(type) ? positions - 2 : positions);
  }
  return limits.length > 0 ? Math.min(...limits) : DEFAULT_MAX_TOKENS;
}

function floatData(tensor: TensorType): Float32Array {
  const data = tensor.type === 'float32' ? tensor.data : tensor.to('float32').data;
  if (!(data instanceof Float32Array)) throw new Error(`expected float output, got ${tensor.type}`);
  return data;
}

/** Rows of a [batch, dims] output as unit vectors. */
function unitRows(tensor: TensorType): Float32Array[] {
  const [batch, dims] = tensor.dims as [number, number];
  if (tensor.dims.length !== 2)
    throw new Error(`expected a [batch, dims] output, got [${tensor.dims.join(', ')}]`);
  const data = floatData(tensor);
  const rows: Float32Array[] = [];
  for (let b = 0; b < batch; b++) rows.push(normalizeInPlace(data.slice(b * dims, (b + 1) * dims)));
  return rows;
}

/**
 * Attention-mask weighted mean (sentence-transformers' mean pooling) or the first attended token (CLS,
 * which is position 0 unless the tokenizer pads on the left), then L2 normalisation. Padded positions are
 * skipped rather than multiplied by zero, so a text's vector does not depend on its batch.
 */
function poolTokens(hidden: TensorType, mask: TensorType, pooling: TransformersPooling): Float32Array[] {
  if (hidden.dims.length !== 3) {
    throw new Error(`expected a [batch, tokens, dims] output, got [${hidden.dims.join(', ')}]`);
  }
  const [batch, tokens, dims] = hidden.dims as [number, number, number];
  const data = floatData(hidden);
  const attended = mask.data as BigInt64Array;
  const vectors: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const vector = new Float32Array(dims);
    if (pooling === 'cls') {
      let t = 0;
      while (t < tokens - 1 && attended[b * tokens + t] === 0n) t++;
      vector.set(data.subarray((b * tokens + t) * dims, (b * tokens + t + 1) * dims));
    } else {
      const sum = new Float64Array(dims);
      let count = 0;
      for (let t = 0; t < tokens; t++) {
        if (attended[b * tokens + t] === 0n) continue;
        count++;
        const base = (b * tokens + t) * dims;
        for (let d = 0; d < dims; d++) sum[d]! += data[base + d]!;
      }
      for (let d = 0; d < dims; d++) vector[d] = sum[d]! / Math.max(count, 1);
    }
    vectors.push(normalizeInPlace(vector));
  }
  return vectors;
}

// ------------------------------------------------------------------------------------ identity

/** File-name suffix transformers.js picks for a dtype (`fp32` → `model.onnx`, `q8` → `model_quantized.onnx`). */
const DTYPE_SUFFIX: Record<string, string> = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
  q2: '_q2',
  q2f16: '_q2f16',
  q1: '_q1',
  q1f16: '_q1f16',
};

/** The .onnx file transformers.js loads for a session on the CPU: fp32 unless the config names a dtype. */
function onnxFile(config: Record<string, unknown>, session: string): string {
  const custom = (config['transformers.js_config'] ?? {}) as { dtype?: unknown };
  const dtype =
    typeof custom.dtype === 'object' && custom.dtype !== null
      ? (custom.dtype as Record<string, unknown>)[session]
      : custom.dtype;
  const suffix = typeof dtype === 'string' ? (DTYPE_SUFFIX[dtype] ?? '') : '';
  return `onnx/${session}${suffix}.onnx`;
}

/**
 * A content fingerprint of the model files, so that replaced weights (a fine-tune saved over a folder, a
 * different quantisation) give a new version and stored vectors are not reused. Small files are hashed
 * whole; weight files by size and three 64 KiB samples, since every weight changes in a fine-tune and
 * hashing hundreds of megabytes at every start would cost seconds.
 */
async function fingerprint(folder: string, files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    let handle;
    try {
      handle = await open(join(folder, file), 'r');
    } catch {
      hash.update(`${file}:absent\n`);
      continue;
    }
    try {
      const { size } = await handle.stat();
      hash.update(`${file}:${size}\n`);
      if (size <= 3 * FINGERPRINT_SAMPLE) {
        hash.update(await handle.readFile());
      } else {
        const sample = Buffer.alloc(FINGERPRINT_SAMPLE);
        for (const position of [0, Math.floor((size - FINGERPRINT_SAMPLE) / 2), size - FINGERPRINT_SAMPLE]) {
          const { bytesRead } = await handle.read(sample, 0, FINGERPRINT_SAMPLE, position);
          hash.update(sample.subarray(0, bytesRead));
        }
      }
    } finally {
      await handle.close();
    }
  }
  return hash.digest('hex');
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

// ------------------------------------------------------------------------------------ pooling config

interface PoolingConfig {
  pooling_mode_cls_token?: boolean;
  pooling_mode_mean_tokens?: boolean;
  pooling_mode_max_tokens?: boolean;
  pooling_mode_mean_sqrt_len_tokens?: boolean;
  pooling_mode_weightedmean_tokens?: boolean;
  pooling_mode_lasttoken?: boolean;
}

const POOLING_FILE = '1_Pooling/config.json';

/**
 * The sentence-transformers pooling file, from the model folder, or for a hub model fetched once and kept
 * next to the cached model files (transformers.js itself never fetches it), so offline runs pool alike.
 */
async function readPoolingConfig(source: ModelSource): Promise<PoolingConfig | undefined> {
  const local = join(source.folder, POOLING_FILE);
  if (existsSync(local)) return JSON.parse(await readFile(local, 'utf8')) as PoolingConfig;
  if (source.hubId === undefined) return undefined;
  const url = `${HUB_HOST}/${source.hubId}/resolve/main/${POOLING_FILE}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  if (response.status === 404 || response.status === 401) return undefined;
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const text = await response.text();
  const parsed = JSON.parse(text) as PoolingConfig;
  await mkdir(dirname(local), { recursive: true });
  await writeFile(local, text);
  return parsed;
}

function poolingFromConfig(config: PoolingConfig, model: string): TransformersPooling {
  if (config.pooling_mode_cls_token) return 'cls';
  if (config.pooling_mode_mean_tokens) return 'mean';
  const mode = Object.entries(config).find(
    ([key, on]) => key.startsWith('pooling_mode_') && on === true,
  )?.[0];
  throw modelNotFound(
    `Model ${model} asks for ${mode ?? 'no'} pooling in ${POOLING_FILE}; only mean and cls are supported (set pooling explicitly to override)`,
    { model, mode },
  );
}

// ------------------------------------------------------------------------------------ model runtimes

/** What a thread needs to load a model: plain data, so it can be posted to a worker. */
interface TextTask {
  kind: 'text';
  source: ModelSource;
  pooling: TransformersPooling;
  threads: number | undefined;
}

interface ClipTask {
  kind: 'clip';
  source: ModelSource;
  threads: number | undefined;
}

/** An image and its position in the caller's list, so an error names the right one from any batch. */
interface ImageItem {
  position: number;
  bytes: ImageBytes;
}

/** A loaded model on the thread that runs it. Runs reject with SoukErrors only. */
interface Runtime {
  dims: number;
  run(items: readonly unknown[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

function wrapRuntime(error: unknown, model: string): SoukError {
  if (error instanceof SoukError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SoukError('EMBEDDING_FAILED', `Model ${model} failed: ${message}`, { model }, { cause: error });
}

async function loadTextRuntime(task: TextTask): Promise<Runtime> {
  const { source, pooling } = task;
  const lib = await transformers();
  const options = loadOptions(source, task.threads);
  const [tokenizer, model] = await loading(source, 'the tokenizer and encoder', () =>
    Promise.all([
      lib.AutoTokenizer.from_pretrained(source.path, options),
      lib.AutoModel.from_pretrained(source.path, options),
    ]),
  );
  const maxLength = maxTokens(tokenizer, model.config as unknown as Record<string, unknown>);

  async function run(texts: readonly string[]): Promise<Float32Array[]> {
    const inputs = encodeTexts(lib, tokenizer, texts, maxLength);
    const outputs = (await model(inputs)) as Record<string, TensorType | undefined>;
    const hidden = outputs.last_hidden_state ?? outputs.token_embeddings;
    if (!hidden) {
      throw new Error(`the model gives no last_hidden_state (outputs: ${Object.keys(outputs).join(', ')})`);
    }
    return poolTokens(hidden, inputs.attention_mask!, pooling);
  }

  let dims: number;
  try {
    dims = (await run(['dimension probe']))[0]!.length;
  } catch (error) {
    await model.dispose();
    throw modelNotFound(
      `Model ${source.name} does not run as a text encoder: ${(error as Error).message}`,
      { model: source.name },
      error,
    );
  }
  return {
    dims,
    async run(items) {
      try {
        return await run(items as string[]);
      } catch (error) {
        throw wrapRuntime(error, source.name);
      }
    },
    dispose: () => model.dispose().then(() => undefined),
  };
}

async function decodeImage(lib: Transformers, item: ImageItem): Promise<RawImageType> {
  const { position, bytes } = item;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new SoukError('INVALID_IMAGE', `Image ${position} is empty`, { position });
  }
  try {
    // RawImage decodes through sharp in Node (EXIF orientation applied); the processor converts to RGB.
    return await lib.RawImage.fromBlob(new Blob([bytes]));
  } catch (error) {
    throw new SoukError(
      'INVALID_IMAGE',
      `Image ${position} could not be decoded: ${(error as Error).message}`,
      { position },
      { cause: error },
    );
  }
}

function namedOutput(outputs: Record<string, TensorType | undefined>, name: string): TensorType {
  const tensor = outputs[name];
  if (!tensor) {
    throw new Error(
      `the model gives no ${name} (outputs: ${Object.keys(outputs).join(', ')}); a CLIP-like model exported with projections is needed`,
    );
  }
  return tensor;
}

async function loadClipRuntime(task: ClipTask): Promise<Runtime> {
  const { source } = task;
  const lib = await transformers();
  const options = loadOptions(source, task.threads);
  // The towers are separate sessions (`text_model.onnx`, `vision_model.onnx`), so an image needs no dummy
  // text and a text no dummy image; Chinese-CLIP exports for transformers.js use the same file names.
  const [tokenizer, processor, textModel, visionModel] = await loading(source, 'the CLIP towers', () =>
    Promise.all([
      lib.AutoTokenizer.from_pretrained(source.path, options),
      lib.AutoImageProcessor.from_pretrained(source.path, options),
      lib.CLIPTextModelWithProjection.from_pretrained(source.path, options),
      lib.CLIPVisionModelWithProjection.from_pretrained(source.path, options),
    ]),
  );
  const models: PreTrainedModel[] = [textModel, visionModel];
  const maxLength = maxTokens(tokenizer, textModel.config as unknown as Record<string, unknown>);

  async function runText(texts: readonly string[]): Promise<Float32Array[]> {
    const inputs = encodeTexts(lib, tokenizer, texts, maxLength);
    const outputs = (await textModel(inputs)) as Record<string, TensorType | undefined>;
    return unitRows(namedOutput(outputs, 'text_embeds'));
  }

  async function runImages(images: RawImageType[]): Promise<Float32Array[]> {
    const { pixel_values } = (await processor(images)) as { pixel_values: TensorType };
    const outputs = (await visionModel({ pixel_values })) as Record<string, TensorType | undefined>;
    return unitRows(namedOutput(outputs, 'image_embeds'));
  }

  let dims: number;
  try {
    const text = (await runText(['a photo']))[0]!;
    const gray = new lib.RawImage(new Uint8ClampedArray(32 * 32 * 3).fill(128), 32, 32, 3);
    const image = (await runImages([gray]))[0]!;
    if (text.length !== image.length) {
      throw new Error(`text embeddings have ${text.length} dimensions but image embeddings ${image.length}`);
    }
    dims = image.length;
  } catch (error) {
    await Promise.all(models.map((m) => m.dispose()));
    throw modelNotFound(
      `Model ${source.name} does not run as a CLIP-like model: ${(error as Error).message}`,
      { model: source.name },
      error,
    );
  }
  return {
    dims,
    async run(items) {
      try {
        if (typeof items[0] === 'string') return await runText(items as string[]);
        // Decoding before any inference, so one bad image rejects its batch without computing the rest.
        const decoded = await Promise.all((items as ImageItem[]).map((item) => decodeImage(lib, item)));
        return await runImages(decoded);
      } catch (error) {
        throw wrapRuntime(error, source.name);
      }
    },
    dispose: () => Promise.all(models.map((m) => m.dispose())).then(() => undefined),
  };
}

// ------------------------------------------------------------------------------------ threads

/** Marks the worker data of this module's own workers (the module is its own worker entry). */
const WORKER_MARK = 'souk-transformers-embedder';

interface WorkerTask {
  mark: typeof WORKER_MARK;
  task: TextTask | ClipTask;
}

/** The model behind an embedder, on worker threads or on the calling thread. */
interface Backend {
  dims: number;
  readonly depth: number;
  /** `query`: a search waits on it (see WorkerPool.run). */
  run(items: readonly unknown[], options?: { query?: boolean }): Promise<Float32Array[]>;
  close(): Promise<void>;
}

function loadRuntime(task: TextTask | ClipTask): Promise<Runtime> {
  return task.kind === 'text' ? loadTextRuntime(task) : loadClipRuntime(task);
}

function checkCount(name: string, value: number | undefined, fallback: number, min: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${result}`);
  }
  return result;
}

async function startBackend(task: TextTask | ClipTask, workers: number, queueSize: number): Promise<Backend> {
  if (workers === 0) {
    const runtime = await loadRuntime(task);
    let pending = 0;
    let closed = false;
    return {
      dims: runtime.dims,
      get depth() {
        return pending;
      },
      async run(items) {
        if (closed) throw new SoukError('ENGINE_CLOSED', 'the embedder is closed');
        pending += items.length;
        try {
          return await runtime.run(items);
        } finally {
          pending -= items.length;
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        await runtime.dispose();
      },
    };
  }
  const threads = workers > 1 ? Math.max(1, Math.floor(availableParallelism() / workers)) : undefined;
  const data: WorkerTask = { mark: WORKER_MARK, task: { ...task, threads } };
  const pool = await WorkerPool.start(workers, queueSize, () =>
    startWorker(import.meta.url, 'transformers-embedder', data),
  );
  return {
    dims: pool.dims,
    get depth() {
      return pool.depth;
    },
    run: (items, options) => pool.run(items, options),
    close: () => pool.close(),
  };
}

function errorCode(error: unknown, fallback: SoukErrorCode): SoukErrorCode {
  return error instanceof SoukError ? error.code : fallback;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Worker side of the WorkerPool protocol: load, say hello with the vector length, then answer jobs. */
async function serveWorker(task: TextTask | ClipTask): Promise<void> {
  const port = parentPort!;
  let runtime: Runtime;
  try {
    runtime = await loadRuntime(task);
  } catch (error) {
    const hello: PoolHello = {
      ready: false,
      error: { code: errorCode(error, 'MODEL_NOT_FOUND'), message: errorMessage(error) },
    };
    port.postMessage(hello);
    return;
  }
  port.on('message', (request: { id: number; items: unknown[] }) => {
    runtime.run(request.items).then(
      (rows) => {
        const vectors = new Float32Array(rows.length * runtime.dims);
        rows.forEach((row, i) => vectors.set(row, i * runtime.dims));
        const reply: PoolReply = { id: request.id, ok: true, vectors, dims: runtime.dims };
        port.postMessage(reply, [vectors.buffer]);
      },
      (error: unknown) => {
        const reply: PoolReply = {
          id: request.id,
          ok: false,
          error: { code: errorCode(error, 'EMBEDDING_FAILED'), message: errorMessage(error) },
        };
        port.postMessage(reply);
      },
    );
  });
  const hello: PoolHello = { ready: true, dims: runtime.dims };
  port.postMessage(hello);
}

if (!isMainThread && (workerData as Partial<WorkerTask> | null)?.mark === WORKER_MARK) {
  void serveWorker((workerData as WorkerTask).task);
}

// ------------------------------------------------------------------------------------ embedders

/** Indices of `items` in order of length, so each batch pads its texts to similar lengths. */
function byLength(items: readonly string[]): number[] {
  return items.map((_, i) => i).sort((a, b) => items[a]!.length - items[b]!.length);
}

/** Runs `items` in batches (all submitted at once, so several workers share them) and restores input order. */
async function inBatches<T>(
  items: readonly T[],
  order: readonly number[],
  batchSize: number,
  backend: Backend,
  options: { query?: boolean } = {},
): Promise<Float32Array[]> {
  const batches: Array<Promise<void>> = [];
  const result = new Array<Float32Array>(items.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    batches.push(
      backend
        .run(
          indices.map((i) => items[i]!),
          options,
        )
        .then((vectors) => {
          indices.forEach((index, j) => (result[index] = vectors[j]!));
        }),
    );
  }
  await Promise.all(batches);
  return result;
}

const MULTILINGUAL_NAME = /multilingual|labse|bge-m3|xlm-r|paraphrase-xlm|jina-embeddings-v3/i;

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function createTransformersTextEmbedder(
  options: TransformersTextEmbedderOptions,
): Promise<TextEmbedder> {
  const batchSize = checkCount('batchSize', options.batchSize, DEFAULT_TEXT_BATCH, 1);
  const workers = checkCount('workers', options.workers, 1, 0);
  const queueSize = checkCount('queueSize', options.queueSize, DEFAULT_TEXT_QUEUE, 1);
  const source = resolveModelSource(options.model, options);
  const name = source.name;

  let pooling = options.pooling;
  if (pooling === undefined) {
    let poolingConfig: PoolingConfig | undefined;
    try {
      poolingConfig = await readPoolingConfig(source);
    } catch (error) {
      throw modelNotFound(
        `Could not read ${POOLING_FILE} of model ${name}: ${errorMessage(error)} ` +
          `(is the hub reachable? Offline, set SOUK_MODELS_OFFLINE=1 to use the cache only, or set pooling)`,
        { model: name },
        error,
      );
    }
    pooling = poolingConfig ? poolingFromConfig(poolingConfig, name) : /bge/i.test(name) ? 'cls' : 'mean';
  }
  // e5 models are trained with these prefixes; without them retrieval quality drops noticeably.
  const e5 = /e5/i.test(name);
  const queryPrefix = options.queryPrefix ?? (e5 ? 'query: ' : '');
  const documentPrefix = options.documentPrefix ?? (e5 ? 'passage: ' : '');

  const backend = await startBackend(
    { kind: 'text', source, pooling, threads: undefined },
    workers,
    queueSize,
  );
  // Read after loading: for a hub model the files are only in the cache folder once downloaded.
  const config = await readJson(join(source.folder, 'config.json'));
  const weights = await fingerprint(source.folder, [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    onnxFile(config, 'model'),
    `${onnxFile(config, 'model')}_data`,
  ]);
  const id: EmbedderId = {
    provider: 'transformers',
    model: name,
    version: shortHash({ pooling, queryPrefix, documentPrefix, normalize: 'l2', weights }),
    dims: backend.dims,
  };

  return {
    id,
    multilingual: options.multilingual ?? MULTILINGUAL_NAME.test(name),
    get queueDepth() {
      return backend.depth;
    },
    async embed(texts: readonly string[], kind: EmbedKind): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      const prefix = kind === 'query' ? queryPrefix : documentPrefix;
      const inputs = texts.map((text) => prefix + text);
      return inBatches(inputs, byLength(inputs), batchSize, backend, { query: kind === 'query' });
    },
    close: () => backend.close(),
  };
}

export async function createTransformersImageEmbedder(
  options: TransformersImageEmbedderOptions,
): Promise<ImageEmbedder> {
  const batchSize = checkCount('batchSize', options.batchSize, DEFAULT_IMAGE_BATCH, 1);
  const workers = checkCount('workers', options.workers, 1, 0);
  const queueSize = checkCount('queueSize', options.queueSize, DEFAULT_IMAGE_QUEUE, 1);
  const source = resolveModelSource(options.model, options);
  const backend = await startBackend({ kind: 'clip', source, threads: undefined }, workers, queueSize);
  const config = await readJson(join(source.folder, 'config.json'));
  const weights = await fingerprint(source.folder, [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'preprocessor_config.json',
    onnxFile(config, 'text_model'),
    onnxFile(config, 'vision_model'),
  ]);
  const id: EmbedderId = {
    provider: 'transformers',
    model: source.name,
    version: shortHash({ normalize: 'l2', weights }),
    dims: backend.dims,
  };

  return {
    id,
    async embedImages(images: readonly ImageBytes[]): Promise<Float32Array[]> {
      const items: ImageItem[] = images.map((bytes, position) => ({ position, bytes }));
      return inBatches(
        items,
        items.map((_, i) => i),
        batchSize,
        backend,
      );
    },
    async embedText(texts: readonly string[]): Promise<Float32Array[]> {
      // Only searches embed text on the image model (text → photo queries).
      return inBatches(texts, byLength(texts), batchSize, backend, { query: true });
    },
    close: () => backend.close(),
  };
}
