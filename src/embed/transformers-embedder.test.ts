import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { makeTempDir, removeTempDir } from '../../test/helpers/temp-dir.ts';
import {
  writeTinyBertModel,
  writeTinyClipModel,
  type TinyBertModel,
  type TinyClipModel,
} from '../../test/helpers/tiny-onnx-models.ts';
import { isSoukError, type SoukErrorCode } from '../errors.ts';
import { dot, type ImageEmbedder, type TextEmbedder } from './embedder.ts';
import { createTransformersImageEmbedder, createTransformersTextEmbedder } from './transformers-embedder.ts';

/** Most tests run the model on the test's own thread: a worker costs seconds to start. */
const onCallingThread = { workers: 0 } as const;

function norm(vector: Float32Array): number {
  return Math.sqrt(dot(vector, vector));
}

function assertUnit(vector: Float32Array): void {
  assert.ok(Math.abs(norm(vector) - 1) < 1e-5, `length ${norm(vector)}, expected 1`);
}

function assertClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, 'vector lengths differ');
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst <= tolerance, `vectors differ by up to ${worst}`);
}

/** Clearly different: cosine well below 1. */
function assertDifferent(a: Float32Array, b: Float32Array): void {
  const cosine = dot(a, b) / (norm(a) * norm(b));
  assert.ok(cosine < 0.98, `vectors too similar (cosine ${cosine})`);
}

function normalized(values: ArrayLike<number>): Float32Array {
  const vector = Float32Array.from(values);
  const length = norm(vector);
  return vector.map((v) => v / length);
}

async function rejectsWith(promise: Promise<unknown>, code: SoukErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isSoukError(error), `expected a SoukError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** Runs the BERT graph directly on hand-written token ids (one text, no padding). */
async function bertHiddenStates(model: TinyBertModel, tokens: string[]): Promise<Float32Array[]> {
  const ids = tokens.map((token) => {
    const id = model.vocab.indexOf(token);
    assert.ok(id >= 0, `no ${token} in the vocabulary`);
    return BigInt(id);
  });
  const session = await ort.InferenceSession.create(model.onnxPath);
  try {
    const dims = [1, ids.length];
    const result = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), dims),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(ids.length), dims),
    });
    const data = result.last_hidden_state!.data as Float32Array;
    return tokens.map((_, t) => data.slice(t * model.hiddenSize, (t + 1) * model.hiddenSize));
  } finally {
    await session.release();
  }
}

function mean(rows: Float32Array[]): Float32Array {
  const sum = new Float32Array(rows[0]!.length);
  for (const row of rows) for (let i = 0; i < row.length; i++) sum[i]! += row[i]! / rows.length;
  return sum;
}

describe('transformers text embedder (tiny BERT)', () => {
  let dir: string;
  let bert: TinyBertModel;
  let embedder: TextEmbedder;

  before(async () => {
    dir = await makeTempDir('souk-transformers-');
    bert = await writeTinyBertModel(join(dir, 'tiny-bert'));
    await writeTinyBertModel(join(dir, 'tiny-bert-pooled'), { withPoolingConfig: 'cls' });
    await writeTinyBertModel(join(dir, 'tiny-bge-small'));
    await writeTinyBertModel(join(dir, 'tiny-multilingual-e5'));
    embedder = await createTransformersTextEmbedder({ ...onCallingThread, model: bert.dir });
  });

  after(async () => {
    await embedder?.close();
    await removeTempDir(dir);
  });

  it('gives unit vectors of hidden_size dimensions, with an id naming the folder', async () => {
    assert.deepEqual(
      { provider: embedder.id.provider, model: embedder.id.model, dims: embedder.id.dims },
      { provider: 'transformers', model: 'tiny-bert', dims: 32 },
    );
    assert.match(embedder.id.version, /^[0-9a-f]{12}$/);
    const vectors = await embedder.embed(['red shoe', 'wireless mouse', '红色连衣裙', ''], 'document');
    assert.equal(vectors.length, 4);
    for (const vector of vectors) {
      assert.equal(vector.length, 32);
      assertUnit(vector);
    }
    assertDifferent(vectors[0]!, vectors[1]!);
    assertDifferent(vectors[0]!, vectors[2]!);
    assert.equal(embedder.multilingual, false);
    assert.equal(embedder.queueDepth, 0);
  });

  it('is deterministic, across calls and across instances', async () => {
    const [a] = await embedder.embed(['blue cotton shirt'], 'document');
    const [b] = await embedder.embed(['blue cotton shirt'], 'document');
    const other = await createTransformersTextEmbedder({ ...onCallingThread, model: bert.dir });
    try {
      const [c] = await other.embed(['blue cotton shirt'], 'document');
      assert.deepEqual(a, b);
      assert.deepEqual(a, c);
      assert.equal(other.id.version, embedder.id.version);
    } finally {
      await other.close();
    }
  });

  it('mean-pools last_hidden_state over the attention mask, as a direct onnxruntime run does', async () => {
    const tokens = ['[CLS]', 'red', 'shoe', '##s', 'for', 'women', '[SEP]'];
    const expected = normalized(mean(await bertHiddenStates(bert, tokens)));
    const [actual] = await embedder.embed(['Red shoes for women'], 'document');
    assertClose(actual!, expected);
  });

  it('tokenizes Chinese into single characters rather than [UNK]', async () => {
    const tokens = ['[CLS]', '红', '色', '连', '衣', '裙', '[SEP]'];
    const expected = normalized(mean(await bertHiddenStates(bert, tokens)));
    const [actual] = await embedder.embed(['红色连衣裙'], 'document');
    assertClose(actual!, expected);
  });

  it('CLS-pools to token 0, when asked or when 1_Pooling/config.json says so', async () => {
    const tokens = ['[CLS]', 'green', 'wool', 'dress', '[SEP]'];
    const expected = normalized((await bertHiddenStates(bert, tokens))[0]!);
    const asked = await createTransformersTextEmbedder({
      ...onCallingThread,
      model: bert.dir,
      pooling: 'cls',
    });
    const configured = await createTransformersTextEmbedder({
      ...onCallingThread,
      model: join(dir, 'tiny-bert-pooled'),
    });
    try {
      const [a] = await asked.embed(['green wool dress'], 'document');
      const [b] = await configured.embed(['green wool dress'], 'document');
      assertClose(a!, expected);
      assertClose(b!, expected);
      // Same weights and settings: the same version, so vectors made either way are interchangeable.
      assert.equal(asked.id.version, configured.id.version);
      assert.notEqual(asked.id.version, embedder.id.version);
    } finally {
      await asked.close();
      await configured.close();
    }
  });

  it('defaults bge-family names to CLS pooling', async () => {
    const bge = await createTransformersTextEmbedder({
      ...onCallingThread,
      model: join(dir, 'tiny-bge-small'),
    });
    const cls = await createTransformersTextEmbedder({ ...onCallingThread, model: bert.dir, pooling: 'cls' });
    try {
      const [a] = await bge.embed(['black leather lamp'], 'query');
      const [b] = await cls.embed(['black leather lamp'], 'query');
      assertClose(a!, b!);
    } finally {
      await bge.close();
      await cls.close();
    }
  });

  it('prefixes e5-family queries with "query: " and documents with "passage: "', async () => {
    const e5 = await createTransformersTextEmbedder({
      ...onCallingThread,
      model: join(dir, 'tiny-multilingual-e5'),
    });
    const plain = await createTransformersTextEmbedder({
      ...onCallingThread,
      model: join(dir, 'tiny-multilingual-e5'),
      queryPrefix: '',
      documentPrefix: '',
    });
    try {
      const [query] = await e5.embed(['red dress'], 'query');
      const [document] = await e5.embed(['red dress'], 'document');
      const [prefixedQuery] = await plain.embed(['query: red dress'], 'document');
      const [prefixedDocument] = await plain.embed(['passage: red dress'], 'query');
      assertClose(query!, prefixedQuery!);
      assertClose(document!, prefixedDocument!);
      assertDifferent(query!, document!);
      assert.notEqual(e5.id.version, plain.id.version);
      assert.equal(e5.multilingual, true);
    } finally {
      await e5.close();
      await plain.close();
    }
  });

  it('gives a text the same vector alone and padded in a batch, in input order', async () => {
    const texts = [
      'lamp',
      'wireless keyboard and wireless mouse for kids with the green lamp',
      '男衬衫',
      'red',
      'white cotton shirt for men',
    ];
    const small = await createTransformersTextEmbedder({ ...onCallingThread, model: bert.dir, batchSize: 2 });
    try {
      const batched = await embedder.embed(texts, 'document');
      const inPairs = await small.embed(texts, 'document');
      for (let i = 0; i < texts.length; i++) {
        const [alone] = await embedder.embed([texts[i]!], 'document');
        assertClose(batched[i]!, alone!);
        assertClose(inPairs[i]!, alone!);
      }
      assert.equal(small.id.version, embedder.id.version, 'batch size does not change vectors');
    } finally {
      await small.close();
    }
  });

  it('truncates a text longer than the model takes, keeping [SEP] last', async () => {
    // maxPositions is 64: [CLS] + 62 words + [SEP].
    const expected = normalized(
      mean(await bertHiddenStates(bert, ['[CLS]', ...Array(62).fill('red'), '[SEP]'])),
    );
    const [actual] = await embedder.embed([Array(200).fill('red').join(' ')], 'document');
    assertClose(actual!, expected);
  });

  it('refuses to embed after close', async () => {
    const closing = await createTransformersTextEmbedder({ ...onCallingThread, model: bert.dir });
    await closing.close();
    await rejectsWith(closing.embed(['red'], 'query'), 'ENGINE_CLOSED', /closed/);
  });
});

describe('transformers model location', () => {
  let dir: string;
  let cacheDir: string;

  before(async () => {
    dir = await makeTempDir('souk-transformers-location-');
    cacheDir = join(dir, 'cache');
    await mkdir(cacheDir);
  });

  after(async () => {
    await removeTempDir(dir);
  });

  it('rejects a missing folder, a folder without config.json and a folder with a broken model', async () => {
    await rejectsWith(
      createTransformersTextEmbedder({ ...onCallingThread, model: join(dir, 'nowhere') }),
      'MODEL_NOT_FOUND',
      /does not exist/,
    );
    await mkdir(join(dir, 'empty'));
    await rejectsWith(
      createTransformersTextEmbedder({ ...onCallingThread, model: join(dir, 'empty') }),
      'MODEL_NOT_FOUND',
      /config\.json/,
    );
    const broken = join(dir, 'broken');
    await writeTinyBertModel(broken);
    await writeFile(join(broken, 'onnx', 'model.onnx'), 'not a protobuf');
    await rejectsWith(
      createTransformersTextEmbedder({ ...onCallingThread, model: broken }),
      'MODEL_NOT_FOUND',
    );
    await rejectsWith(
      createTransformersImageEmbedder({ ...onCallingThread, model: join(dir, 'nowhere') }),
      'MODEL_NOT_FOUND',
    );
  });

  it('offline, rejects a hub id that is not cached and says how to get it', async () => {
    const hint = /not in the model cache[\s\S]*internet[\s\S]*local folder/;
    await rejectsWith(
      createTransformersTextEmbedder({
        ...onCallingThread,
        model: 'Xenova/multilingual-e5-small',
        cacheDir,
        offline: true,
      }),
      'MODEL_NOT_FOUND',
      hint,
    );
    const saved = process.env.SOUK_MODELS_OFFLINE;
    process.env.SOUK_MODELS_OFFLINE = '1';
    try {
      await rejectsWith(
        createTransformersImageEmbedder({
          ...onCallingThread,
          model: 'Xenova/clip-vit-base-patch32',
          cacheDir,
        }),
        'MODEL_NOT_FOUND',
        hint,
      );
    } finally {
      if (saved === undefined) delete process.env.SOUK_MODELS_OFFLINE;
      else process.env.SOUK_MODELS_OFFLINE = saved;
    }
  });

  it('offline, loads a hub id from the cache folder, named by the hub id', async () => {
    const local = await writeTinyBertModel(join(dir, 'tiny-e5-local'));
    await cp(local.dir, join(cacheDir, 'souk-test', 'tiny-e5-cached'), { recursive: true });
    const cached = await createTransformersTextEmbedder({
      ...onCallingThread,
      model: 'souk-test/tiny-e5-cached',
      cacheDir,
      offline: true,
    });
    const direct = await createTransformersTextEmbedder({ ...onCallingThread, model: local.dir });
    try {
      assert.equal(cached.id.model, 'souk-test/tiny-e5-cached');
      const [a] = await cached.embed(['shoe'], 'query');
      const [b] = await direct.embed(['shoe'], 'query');
      assertClose(a!, b!);
      // Same files, same settings (both e5 by name): the same version wherever the files live.
      assert.equal(cached.id.version, direct.id.version);
    } finally {
      await cached.close();
      await direct.close();
    }
  });

  it('rejects a model name that is neither a hub id nor a local path', async () => {
    await rejectsWith(
      createTransformersTextEmbedder({ ...onCallingThread, model: 'not/a/hub/id', offline: true }),
      'MODEL_NOT_FOUND',
      /neither a hub id/,
    );
  });
});

/** Deterministic noise pixels, RGB, row-major. */
function noise(width: number, height: number, seed: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  let state = seed;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    pixels[i] = state >>> 16;
  }
  return pixels;
}

async function png(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 3 | 4 = 3,
): Promise<Uint8Array> {
  return new Uint8Array(await sharp(pixels, { raw: { width, height, channels } }).png().toBuffer());
}

describe('transformers image embedder (tiny CLIP)', () => {
  let dir: string;
  let clip: TinyClipModel;
  let embedder: ImageEmbedder;

  before(async () => {
    dir = await makeTempDir('souk-transformers-clip-');
    clip = await writeTinyClipModel(join(dir, 'tiny-clip'));
    embedder = await createTransformersImageEmbedder({ ...onCallingThread, model: clip.dir });
  });

  after(async () => {
    await embedder?.close();
    await removeTempDir(dir);
  });

  /** CLIP's preprocessing by hand (rescale, normalise, HWC → CHW) of an image already at model size. */
  async function directImageEmbedding(pixels: Uint8Array): Promise<Float32Array> {
    const size = clip.imageSize;
    const values = new Float32Array(3 * size * size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          const v = pixels[(y * size + x) * 3 + c]! / 255;
          values[c * size * size + y * size + x] = (v - clip.imageMean[c]!) / clip.imageStd[c]!;
        }
      }
    }
    const session = await ort.InferenceSession.create(clip.visionOnnxPath);
    try {
      const result = await session.run({
        pixel_values: new ort.Tensor('float32', values, [1, 3, size, size]),
      });
      return normalized(result.image_embeds!.data as Float32Array);
    } finally {
      await session.release();
    }
  }

  function crop(pixels: Uint8Array, width: number, left: number, top: number, size: number): Uint8Array {
    const out = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      out.set(
        pixels.subarray(((top + y) * width + left) * 3, ((top + y) * width + left + size) * 3),
        y * size * 3,
      );
    }
    return out;
  }

  it('embeds images and texts into unit vectors of projection_dim dimensions', async () => {
    assert.equal(embedder.id.provider, 'transformers');
    assert.equal(embedder.id.model, 'tiny-clip');
    assert.equal(embedder.id.dims, clip.projectionDim);
    const images = await embedder.embedImages([
      await png(noise(32, 32, 1), 32, 32),
      await png(noise(32, 32, 2), 32, 32),
    ]);
    const texts = await embedder.embedText!(['a photo of a red shoe', '红色连衣裙']);
    for (const vector of [...images, ...texts]) {
      assert.equal(vector.length, clip.projectionDim);
      assertUnit(vector);
    }
    assertDifferent(images[0]!, images[1]!);
    assertDifferent(texts[0]!, texts[1]!);
  });

  it('is deterministic', async () => {
    const bytes = await png(noise(48, 48, 3), 48, 48);
    const [a] = await embedder.embedImages([bytes]);
    const [b] = await embedder.embedImages([bytes]);
    assert.deepEqual(a, b);
    const [c] = await embedder.embedText!(['blue dress']);
    const [d] = await embedder.embedText!(['blue dress']);
    assert.deepEqual(c, d);
  });

  it('center-crops, rescales and normalises as preprocessor_config.json says', async () => {
    // 40×32: already 32 on the shortest edge, so only the crop (4 columns off each side) applies.
    const pixels = noise(40, 32, 4);
    const [actual] = await embedder.embedImages([await png(pixels, 40, 32)]);
    assertClose(actual!, await directImageEmbedding(crop(pixels, 40, 4, 0, 32)));
  });

  it('resizes the shortest edge to the model size before cropping', async () => {
    // A 32×40 image scaled up 2× in 2×2 blocks; the processor scales it back to 32×40 (exactly, at this
    // ratio) and crops rows 4–35.
    const small = noise(32, 40, 5);
    const big = new Uint8Array(64 * 80 * 3);
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 64; x++) {
        big.set(
          small.subarray(((y >> 1) * 32 + (x >> 1)) * 3, ((y >> 1) * 32 + (x >> 1)) * 3 + 3),
          (y * 64 + x) * 3,
        );
      }
    }
    const [actual] = await embedder.embedImages([await png(big, 64, 80)]);
    assertClose(actual!, await directImageEmbedding(crop(small, 32, 0, 4, 32)));
  });

  it('drops an opaque alpha channel: RGBA and RGB of the same picture embed alike', async () => {
    const rgb = noise(32, 32, 6);
    const rgba = new Uint8Array(32 * 32 * 4);
    for (let i = 0; i < 32 * 32; i++) {
      rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = 255;
    }
    const [a, b] = await embedder.embedImages([await png(rgb, 32, 32), await png(rgba, 32, 32, 4)]);
    assertClose(a!, b!);
  });

  it('gives an image and a text the same vector alone and in a batch', async () => {
    const images = await Promise.all([7, 8, 9].map((seed) => png(noise(36, 36, seed), 36, 36)));
    const small = await createTransformersImageEmbedder({
      ...onCallingThread,
      model: clip.dir,
      batchSize: 2,
    });
    try {
      const batched = await small.embedImages(images);
      for (let i = 0; i < images.length; i++)
        assertClose(batched[i]!, (await embedder.embedImages([images[i]!]))[0]!);
      const texts = ['shoe', 'a photo of the blue dress with red shoes'];
      const together = await small.embedText!(texts);
      for (let i = 0; i < texts.length; i++)
        assertClose(together[i]!, (await embedder.embedText!([texts[i]!]))[0]!);
    } finally {
      await small.close();
    }
  });

  it('rejects undecodable bytes with INVALID_IMAGE', async () => {
    const good = await png(noise(32, 32, 10), 32, 32);
    await rejectsWith(
      embedder.embedImages([good, new TextEncoder().encode('not an image at all')]),
      'INVALID_IMAGE',
      /Image 1/,
    );
    await rejectsWith(embedder.embedImages([new Uint8Array(0)]), 'INVALID_IMAGE');
    await rejectsWith(embedder.embedImages([good.subarray(0, 40)]), 'INVALID_IMAGE');
  });

  it('rejects a folder without the vision tower', async () => {
    const textOnly = join(dir, 'text-only');
    await writeTinyBertModel(textOnly);
    await rejectsWith(
      createTransformersImageEmbedder({ ...onCallingThread, model: textOnly }),
      'MODEL_NOT_FOUND',
    );
  });
});

describe('transformers embedders on worker threads', () => {
  let dir: string;
  let bert: TinyBertModel;
  let clip: TinyClipModel;
  let text: TextEmbedder;
  let image: ImageEmbedder;
  let brokenLoad: Promise<unknown>;

  before(async () => {
    dir = await makeTempDir('souk-transformers-workers-');
    // Big enough that a batch takes a while: long enough to see whether the event loop keeps turning.
    bert = await writeTinyBertModel(join(dir, 'small-bert'), {
      hiddenSize: 128,
      layers: 2,
      maxPositions: 128,
    });
    clip = await writeTinyClipModel(join(dir, 'tiny-clip'));
    await writeTinyBertModel(join(dir, 'broken'));
    await writeFile(join(dir, 'broken', 'onnx', 'model.onnx'), 'not a protobuf');
    // Workers take a second or two to start (each imports transformers.js), so all three start at once.
    brokenLoad = createTransformersTextEmbedder({ model: join(dir, 'broken') });
    brokenLoad.catch(() => {});
    [text, image] = await Promise.all([
      createTransformersTextEmbedder({ model: bert.dir, batchSize: 64 }),
      createTransformersImageEmbedder({ model: clip.dir, batchSize: 2 }),
    ]);
  });

  after(async () => {
    await text?.close();
    await image?.close();
    await removeTempDir(dir);
  });

  it('gives the same vectors and id as the model on the calling thread', async () => {
    const local = await createTransformersTextEmbedder({ ...onCallingThread, model: bert.dir });
    const localClip = await createTransformersImageEmbedder({ ...onCallingThread, model: clip.dir });
    try {
      assert.deepEqual(text.id, local.id);
      assert.deepEqual(image.id, localClip.id);
      const texts = ['red shoe', 'wireless mouse for kids', '红色连衣裙'];
      const [a, b] = await Promise.all([text.embed(texts, 'query'), local.embed(texts, 'query')]);
      for (let i = 0; i < texts.length; i++) assertClose(a[i]!, b[i]!);
      const pictures = await Promise.all([11, 12, 13].map((seed) => png(noise(40, 40, seed), 40, 40)));
      const [c, d] = await Promise.all([image.embedImages(pictures), localClip.embedImages(pictures)]);
      for (let i = 0; i < pictures.length; i++) assertClose(c[i]!, d[i]!);
      const [e, f] = await Promise.all([image.embedText!(texts), localClip.embedText!(texts)]);
      for (let i = 0; i < texts.length; i++) assertClose(e[i]!, f[i]!);
    } finally {
      await local.close();
      await localClip.close();
    }
  });

  it('keeps the event loop turning while a large batch is embedded', async () => {
    // One batch of 64 long texts: on the calling thread this blocks for its whole run (one timer tick at
    // the end); on a worker the timer keeps firing.
    const texts = Array.from({ length: 64 }, (_, i) =>
      Array.from({ length: 120 }, (_, j) => ['red', 'shoe', 'wool', 'lamp', 'kids'][(i + j) % 5]).join(' '),
    );
    let last = performance.now();
    let longestGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const started = performance.now();
    try {
      const vectors = await text.embed(texts, 'document');
      assert.equal(vectors.length, texts.length);
    } finally {
      clearInterval(timer);
    }
    const finished = performance.now();
    longestGap = Math.max(longestGap, finished - last);
    const elapsed = finished - started;
    assert.ok(ticks >= Math.max(3, elapsed / 40), `only ${ticks} timer ticks in ${elapsed.toFixed(0)} ms`);
    assert.ok(
      longestGap < Math.max(100, elapsed / 2),
      `the event loop stalled for ${longestGap.toFixed(0)} ms of ${elapsed.toFixed(0)} ms`,
    );
  });

  it('passes INVALID_IMAGE from the worker, naming the image by its position in the call', async () => {
    const good = await png(noise(32, 32, 14), 32, 32);
    await rejectsWith(
      image.embedImages([good, good, new TextEncoder().encode('garbage'), good]),
      'INVALID_IMAGE',
      /Image 2\b/,
    );
    // The worker survives a bad image.
    assert.equal((await image.embedImages([good])).length, 1);
  });

  it('passes MODEL_NOT_FOUND from a worker that cannot load the model', async () => {
    await rejectsWith(brokenLoad, 'MODEL_NOT_FOUND', /broken/);
  });

  it('refuses work after close', async () => {
    const closing = await createTransformersImageEmbedder({ ...onCallingThread, model: clip.dir });
    await closing.close();
    await rejectsWith(closing.embedText!(['red']), 'ENGINE_CLOSED');
  });
});
