/**
 * Tiny random-weight models in the exact folder layout transformers.js 4.x loads, so embedding tests run the
 * real tokenizer → onnxruntime → pooling path offline in milliseconds. The graphs are small but keep the
 * real architectures' interfaces (input and output names, dtypes, dynamic batch and sequence axes); the
 * weights come from a fixed-seed generator, so every run writes byte-identical files.
 *
 * - `writeTinyBertModel`: a BERT encoder (embeddings + LayerNorm + real masked self-attention blocks) as
 *   `onnx/model.onnx`, a WordPiece `tokenizer.json` with English words and single Chinese characters, and
 *   optionally a sentence-transformers `1_Pooling/config.json`.
 * - `writeTinyClipModel`: CLIP split into `onnx/text_model.onnx` (→ `text_embeds`) and
 *   `onnx/vision_model.onnx` (→ `image_embeds`), a byte-level BPE `tokenizer.json` like CLIP's, and a
 *   `preprocessor_config.json` with CLIP's mean/std at a small image size.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { seededRandom } from '../../src/util/seeded-random.ts';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
/** ONNX IR 8 with opset 17 (LayerNormalization): what optimum exports today, and onnxruntime 1.30 runs. */
const IR_VERSION = 8;
const OPSET = 17;

type Dim = number | string;
type Attr = number | number[] | string;

/** Builds one ONNX graph; names are made unique by a counter, initialisers get seeded normal weights. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private counter = 0;
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** Box–Muller normal samples scaled by `std`. */
  private normal(count: number, std: number): Float32Array {
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const u = Math.max(this.random(), 1e-12);
      const v = this.random();
      values[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
    return values;
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  floats(prefix: string, dims: number[], values: Float32Array): string {
    const name = this.fresh(prefix);
    this.initializers.push({
      name,
      dims,
      dataType: FLOAT,
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    });
    return name;
  }

  weight(prefix: string, dims: number[], std: number): string {
    return this.floats(
      prefix,
      dims,
      this.normal(
        dims.reduce((a, b) => a * b, 1),
        std,
      ),
    );
  }

  constant(prefix: string, dims: number[], value: number): string {
    return this.floats(prefix, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value));
  }

  ints(prefix: string, dims: number[], values: number[]): string {
    const name = this.fresh(prefix);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims,
      dataType: INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  node(opType: string, inputs: string[], attributes: Record<string, Attr> = {}, outputName?: string): string {
    const output = outputName ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      name: this.fresh(`${opType}_node`),
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return output;
  }

  /** x·W + b with W [inDim, outDim]. */
  linear(x: string, inDim: number, outDim: number, std = 1 / Math.sqrt(inDim)): string {
    const w = this.weight('W', [inDim, outDim], std);
    const b = this.weight('b', [outDim], 0.1);
    return this.node('Add', [this.node('MatMul', [x, w]), b]);
  }

  layerNorm(x: string, dim: number): string {
    const gamma = this.constant('ln_gamma', [dim], 1);
    const beta = this.constant('ln_beta', [dim], 0);
    return this.node('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: 1e-12 });
  }

  /** `Range(0, seq_len)` of an int64 [batch, seq] input: the position ids BERT and CLIP add. */
  positions(ids: string): string {
    const shape = this.node('Shape', [ids]);
    const seqLen = this.node('Gather', [shape, this.ints('one', [], [1])], { axis: 0 });
    return this.node('Range', [this.ints('zero', [], [0]), seqLen, this.ints('step', [], [1])]);
  }

  encode(producer: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: producer,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: producer,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: Attr): AttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: types.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: types.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: types.INT, i: value };
  return { name, type: types.FLOAT, f: value };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------- BERT

/** Words the tiny WordPiece vocabulary knows whole; anything else falls back to letters, then [UNK]. */
export const TINY_BERT_WORDS = [
  'query',
  'passage',
  'red',
  'blue',
  'green',
  'black',
  'white',
  'shoe',
  'dress',
  'shirt',
  'cotton',
  'wool',
  'leather',
  'wireless',
  'mouse',
  'keyboard',
  'lamp',
  'for',
  'men',
  'women',
  'kids',
  'the',
  'and',
  'with',
  '红',
  '色',
  '蓝',
  '鞋',
  '子',
  '连',
  '衣',
  '裙',
  '无',
  '线',
  '鼠',
  '标',
  '棉',
  '衬',
  '衫',
  '男',
  '女',
  '灯',
];

const BERT_SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** The default vocabulary: specials, whole words, `##` suffixes, letters and digits (alone and `##`). */
export function tinyBertVocab(): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
  // A Set: `##s` is both a suffix and a letter piece, and a token listed twice would have two ids.
  const tokens = new Set([
    ...BERT_SPECIAL,
    ...TINY_BERT_WORDS,
    '##s',
    '##es',
    '##ing',
    '##ed',
    ':',
    '.',
    ',',
    '-',
    '!',
    '?',
    ...letters,
    ...letters.map((l) => `##${l}`),
  ]);
  return [...tokens];
}

export interface TinyBertOptions {
  hiddenSize?: number;
  layers?: number;
  /** Must start with `[PAD] [UNK] [CLS] [SEP]` in some order; `tinyBertVocab()` by default. */
  vocab?: string[];
  /** Writes a sentence-transformers `1_Pooling/config.json` naming this pooling. */
  withPoolingConfig?: 'mean' | 'cls';
  /** Longest input the tokenizer and the position table allow. */
  maxPositions?: number;
  seed?: number;
}

export interface TinyBertModel {
  dir: string;
  hiddenSize: number;
  vocab: string[];
  /** `onnx/model.onnx`, for running the same graph directly with onnxruntime. */
  onnxPath: string;
}

function bertGraph(vocabSize: number, hidden: number, layers: number, maxPositions: number, seed: number) {
  const g = new GraphBuilder(seed);
  const ids = g.input('input_ids', INT64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', INT64, ['batch_size', 'sequence_length']);
  const types = g.input('token_type_ids', INT64, ['batch_size', 'sequence_length']);

  // Embeddings: word + position + token type, then LayerNorm, as in BertEmbeddings. Large word
  // embeddings make every token, and so every text, clearly distinct.
  const word = g.node('Gather', [g.weight('word_embeddings', [vocabSize, hidden], 1), ids]);
  const position = g.node('Gather', [
    g.weight('position_embeddings', [maxPositions, hidden], 0.3),
    g.positions(ids),
  ]);
  const tokenType = g.node('Gather', [g.weight('token_type_embeddings', [2, hidden], 0.3), types]);
  let x = g.layerNorm(g.node('Add', [g.node('Add', [word, position]), tokenType]), hidden);

  // The extended attention mask BERT adds to the scores: 0 where attended, -10000 at padding, so padded
  // positions get exactly zero attention weight and a text's vectors do not depend on its batch.
  const maskFloat = g.node('Cast', [mask], { to: FLOAT });
  const inverted = g.node('Sub', [g.constant('one', [], 1), maskFloat]);
  const maskBias = g.node('Unsqueeze', [
    g.node('Mul', [inverted, g.constant('neg', [], -10000)]),
    g.ints('axis', [1], [1]),
  ]);

  for (let layer = 0; layer < layers; layer++) {
    // One-head scaled dot-product self-attention, residual + LayerNorm, feed-forward, residual + LayerNorm.
    const q = g.linear(x, hidden, hidden);
    const k = g.linear(x, hidden, hidden);
    const v = g.linear(x, hidden, hidden);
    const scores = g.node('Mul', [
      g.node('MatMul', [q, g.node('Transpose', [k], { perm: [0, 2, 1] })]),
      g.constant('scale', [], 1 / Math.sqrt(hidden)),
    ]);
    const weights = g.node('Softmax', [g.node('Add', [scores, maskBias])], { axis: -1 });
    const context = g.node('MatMul', [weights, v]);
    x = g.layerNorm(g.node('Add', [x, g.linear(context, hidden, hidden)]), hidden);
    const intermediate = g.node('Tanh', [g.linear(x, hidden, hidden * 2)]);
    x = g.layerNorm(g.node('Add', [x, g.linear(intermediate, hidden * 2, hidden)]), hidden);
  }
  g.node('Identity', [x], {}, 'last_hidden_state');
  g.output('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', hidden]);
  return g.encode('souk-tiny-bert');
}

function wordPieceTokenizer(vocab: string[]) {
  const index = (token: string): number => {
    const id = vocab.indexOf(token);
    if (id < 0) throw new Error(`tiny BERT vocabulary lacks ${token}`);
    return id;
  };
  const special = (token: string) => ({ id: token, type_id: 0 });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: BERT_SPECIAL.filter((t) => vocab.includes(t)).map((content) => ({
      id: index(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: special('[CLS]') },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: special('[SEP]') },
      ],
      pair: [
        { SpecialToken: special('[CLS]') },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: special('[SEP]') },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [index(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
    },
  };
}

/** Writes a tiny BERT feature-extraction model (the layout of `Xenova/bert-base-uncased`) into `dir`. */
export async function writeTinyBertModel(dir: string, options: TinyBertOptions = {}): Promise<TinyBertModel> {
  const hiddenSize = options.hiddenSize ?? 32;
  const layers = options.layers ?? 1;
  const vocab = options.vocab ?? tinyBertVocab();
  const maxPositions = options.maxPositions ?? 64;
  for (const token of ['[PAD]', '[UNK]', '[CLS]', '[SEP]']) {
    if (!vocab.includes(token)) throw new Error(`vocab must contain ${token}`);
  }
  if (new Set(vocab).size !== vocab.length) throw new Error('vocab has duplicate tokens');
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const onnxPath = join(dir, 'onnx', 'model.onnx');
  await writeFile(onnxPath, bertGraph(vocab.length, hiddenSize, layers, maxPositions, options.seed ?? 1234));
  await writeJson(join(dir, 'config.json'), {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: hiddenSize,
    num_hidden_layers: layers,
    num_attention_heads: 1,
    intermediate_size: hiddenSize * 2,
    hidden_act: 'tanh',
    max_position_embeddings: maxPositions,
    type_vocab_size: 2,
    vocab_size: vocab.length,
    pad_token_id: vocab.indexOf('[PAD]'),
    layer_norm_eps: 1e-12,
  });
  await writeJson(join(dir, 'tokenizer.json'), wordPieceTokenizer(vocab));
  await writeJson(join(dir, 'tokenizer_config.json'), {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    tokenize_chinese_chars: true,
    model_max_length: maxPositions,
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: vocab.includes('[MASK]') ? '[MASK]' : undefined,
  });
  if (options.withPoolingConfig) {
    await mkdir(join(dir, '1_Pooling'), { recursive: true });
    await writeJson(join(dir, '1_Pooling', 'config.json'), {
      word_embedding_dimension: hiddenSize,
      pooling_mode_cls_token: options.withPoolingConfig === 'cls',
      pooling_mode_mean_tokens: options.withPoolingConfig === 'mean',
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    });
  }
  return { dir, hiddenSize, vocab, onnxPath };
}

// ---------------------------------------------------------------------------------------------- CLIP

/** GPT-2's byte → printable character table, which CLIP's byte-level BPE is written in. */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  // CLIP's vocabulary lists the printable bytes first, then the remapped ones, as `bytes_to_unicode` does.
  return [...printable.map((b) => table[b]!), ...table.filter((_, b) => !printable.includes(b))];
}

/** Merges building a few whole words, so English text tokenizes into words rather than only letters. */
const CLIP_MERGE_WORDS = ['red', 'blue', 'shoe', 'dress', 'photo', 'of', 'the'];

function clipTokenizer() {
  const base = bytesToUnicode();
  const vocab: string[] = [...base, ...base.map((c) => `${c}</w>`)];
  const merges: string[] = [];
  const known = new Set(vocab);
  for (const word of CLIP_MERGE_WORDS) {
    // Merge left to right into the word, the last symbol carrying the end-of-word suffix.
    const symbols = [...word.slice(0, -1), `${word.at(-1)}</w>`];
    let current = symbols[0]!;
    for (let i = 1; i < symbols.length; i++) {
      const merged = current + symbols[i]!;
      const rule = `${current} ${symbols[i]}`;
      if (!merges.includes(rule)) merges.push(rule);
      if (!known.has(merged)) {
        known.add(merged);
        vocab.push(merged);
      }
      current = merged;
    }
  }
  const bos = '<|startoftext|>';
  const eos = '<|endoftext|>';
  vocab.push(bos, eos);
  const bosId = vocab.length - 2;
  const eosId = vocab.length - 1;
  const added = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(bosId, bos), added(eosId, eos)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [eos, eosId],
      cls: [bos, bosId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: eos,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
      merges,
    },
  };
  return { json, vocabSize: vocab.length, bosId, eosId };
}

export interface TinyClipOptions {
  projectionDim?: number;
  /** Side of the square model input (`crop_size`, and `shortest_edge` of the resize). */
  imageSize?: number;
  /** PIL resampling code written to `preprocessor_config.json` (CLIP uses 3, bicubic). */
  resample?: number;
  seed?: number;
}

export interface TinyClipModel {
  dir: string;
  projectionDim: number;
  imageSize: number;
  imageMean: [number, number, number];
  imageStd: [number, number, number];
  textOnnxPath: string;
  visionOnnxPath: string;
}

const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const CLIP_CONTEXT = 77;

function clipTextGraph(vocabSize: number, hidden: number, projection: number, seed: number) {
  const g = new GraphBuilder(seed);
  const ids = g.input('input_ids', INT64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', INT64, ['batch_size', 'sequence_length']);
  const tokens = g.node('Gather', [g.weight('token_embedding', [vocabSize, hidden], 1), ids]);
  const positions = g.node('Gather', [
    g.weight('position_embedding', [CLIP_CONTEXT, hidden], 0.3),
    g.positions(ids),
  ]);
  const states = g.node(
    'Tanh',
    [g.linear(g.node('Add', [tokens, positions]), hidden, hidden)],
    {},
    'last_hidden_state',
  );
  // Pools over the attended tokens only, so padding in a batch leaves a text's embedding unchanged.
  const maskFloat = g.node('Unsqueeze', [g.node('Cast', [mask], { to: FLOAT }), g.ints('axis', [1], [2])]);
  const summed = g.node('ReduceSum', [g.node('Mul', [states, maskFloat]), g.ints('axes', [1], [1])], {
    keepdims: 0,
  });
  const count = g.node('ReduceSum', [maskFloat, g.ints('axes', [1], [1])], { keepdims: 0 });
  const pooled = g.node('Div', [summed, count]);
  g.node(
    'MatMul',
    [pooled, g.weight('text_projection', [hidden, projection], 1 / Math.sqrt(hidden))],
    {},
    'text_embeds',
  );
  g.output('text_embeds', FLOAT, ['batch_size', projection]);
  g.output('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', hidden]);
  return g.encode('souk-tiny-clip-text');
}

function clipVisionGraph(
  imageSize: number,
  patch: number,
  channels: number,
  projection: number,
  seed: number,
) {
  const g = new GraphBuilder(seed);
  const pixels = g.input('pixel_values', FLOAT, ['batch_size', 3, imageSize, imageSize]);
  // Patch embedding as in CLIPVisionEmbeddings (a stride-`patch` convolution), then every patch feature
  // into the projection, so where things are in the picture matters as well as their colours.
  const conv = g.node(
    'Conv',
    [
      pixels,
      g.weight('patch_embedding', [channels, 3, patch, patch], 1 / Math.sqrt(3 * patch * patch)),
      g.weight('patch_bias', [channels], 0.1),
    ],
    {
      kernel_shape: [patch, patch],
      strides: [patch, patch],
    },
  );
  const features = g.node('Flatten', [g.node('Tanh', [conv])], { axis: 1 });
  const flat = channels * (imageSize / patch) ** 2;
  g.node(
    'MatMul',
    [features, g.weight('visual_projection', [flat, projection], 1 / Math.sqrt(flat))],
    {},
    'image_embeds',
  );
  g.output('image_embeds', FLOAT, ['batch_size', projection]);
  return g.encode('souk-tiny-clip-vision');
}

/** Writes a tiny CLIP (the layout of `Xenova/clip-vit-base-patch32`, towers split) into `dir`. */
export async function writeTinyClipModel(dir: string, options: TinyClipOptions = {}): Promise<TinyClipModel> {
  const projectionDim = options.projectionDim ?? 16;
  const imageSize = options.imageSize ?? 32;
  const patch = 8;
  if (imageSize % patch !== 0) throw new Error(`imageSize must be a multiple of ${patch}`);
  const textHidden = 24;
  const visionChannels = 8;
  const seed = options.seed ?? 4321;
  const tokenizer = clipTokenizer();
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const textOnnxPath = join(dir, 'onnx', 'text_model.onnx');
  const visionOnnxPath = join(dir, 'onnx', 'vision_model.onnx');
  await writeFile(textOnnxPath, clipTextGraph(tokenizer.vocabSize, textHidden, projectionDim, seed));
  await writeFile(visionOnnxPath, clipVisionGraph(imageSize, patch, visionChannels, projectionDim, seed + 1));
  await writeJson(join(dir, 'config.json'), {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: projectionDim,
    logit_scale_init_value: 2.6592,
    text_config: {
      model_type: 'clip_text_model',
      hidden_size: textHidden,
      intermediate_size: textHidden * 2,
      num_attention_heads: 1,
      num_hidden_layers: 1,
      max_position_embeddings: CLIP_CONTEXT,
      vocab_size: tokenizer.vocabSize,
      bos_token_id: tokenizer.bosId,
      eos_token_id: tokenizer.eosId,
      pad_token_id: tokenizer.eosId,
      projection_dim: projectionDim,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_size: visionChannels,
      image_size: imageSize,
      patch_size: patch,
      num_channels: 3,
      num_attention_heads: 1,
      num_hidden_layers: 1,
      projection_dim: projectionDim,
    },
  });
  await writeJson(join(dir, 'tokenizer.json'), tokenizer.json);
  await writeJson(join(dir, 'tokenizer_config.json'), {
    tokenizer_class: 'CLIPTokenizer',
    do_lower_case: true,
    model_max_length: CLIP_CONTEXT,
    bos_token: '<|startoftext|>',
    eos_token: '<|endoftext|>',
    pad_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    clean_up_tokenization_spaces: true,
  });
  await writeJson(join(dir, 'preprocessor_config.json'), {
    crop_size: { height: imageSize, width: imageSize },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    feature_extractor_type: 'CLIPFeatureExtractor',
    image_processor_type: 'CLIPImageProcessor',
    image_mean: CLIP_MEAN,
    image_std: CLIP_STD,
    resample: options.resample ?? 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: imageSize },
  });
  return {
    dir,
    projectionDim,
    imageSize,
    imageMean: CLIP_MEAN,
    imageStd: CLIP_STD,
    textOnnxPath,
    visionOnnxPath,
  };
}
