import { createHash } from 'node:crypto';
import type { EmbeddingConfig } from '../config.ts';
import { renderEnglish } from '../query/cross-lingual.ts';
import { analyze, containsCjk } from '../text/analyzer.ts';
import type { Store } from '../store/store.ts';
import type { Product } from '../types.ts';
import {
  createImageEmbedder,
  createTextEmbedder,
  imageFingerprint,
  textFingerprint,
} from './create-embedders.ts';
import { embedderKey, type ImageEmbedder, type TextEmbedder } from './embedder.ts';
import { readImageBytes } from './image-source.ts';
import { primaryImage, productEmbeddingText, textContentHash } from './product-inputs.ts';
import type { SpaceEncoder } from './vector-space.ts';

/** Shared lazy model: created on first use, closed once. */
class Lazy<T extends { close(): Promise<void> }> {
  private instance: Promise<T> | undefined;
  constructor(private readonly create: () => Promise<T>) {}
  get(): Promise<T> {
    this.instance ??= this.create().catch((error: unknown) => {
      this.instance = undefined;
      throw error;
    });
    return this.instance;
  }
  get started(): boolean {
    return this.instance !== undefined;
  }
  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    if (instance) await (await instance.catch(() => undefined))?.close();
  }
}

export interface Encoders {
  text: SpaceEncoder;
  image: SpaceEncoder;
  textEmbedder(): Promise<TextEmbedder>;
  imageEmbedder(): Promise<ImageEmbedder>;
  close(): Promise<void>;
}

/** Embedders supplied by the caller instead of the configured providers. */
export interface EmbedderParts {
  textEmbedder?: TextEmbedder | undefined;
  imageEmbedder?: ImageEmbedder | undefined;
}

/** The text and image encoders of an engine, over lazily created embedders. */
export function createEncoders(config: EmbeddingConfig, store: Store, parts: EmbedderParts = {}): Encoders {
  const given = parts;
  const text = new Lazy(async () => given.textEmbedder ?? createTextEmbedder(config));
  const image = new Lazy(async () => given.imageEmbedder ?? createImageEmbedder(config));
  const ocr = new Lazy(async () => {
    const { createOcrReader } = await import('./ocr-reader.ts');
    return createOcrReader();
  });
  /** What OCR reads in a photo, from the store's cache when this photo was read before. */
  const readImageText = async (hash: string, bytes: Uint8Array): Promise<string> => {
    const reader = await ocr.get();
    const key = embedderKey(reader.id);
    const [cached] = await store.getImageTexts(key, [hash]);
    if (cached !== undefined) return cached;
    const [read = ''] = await reader.read([bytes]);
    await store.putImageTexts(key, [{ hash, text: read }]);
    return read;
  };
  const textEncoder: SpaceEncoder = {
    fingerprint: given.textEmbedder ? embedderKey(given.textEmbedder.id) : textFingerprint(config.text),
    want: (product: Product) => textContentHash(productEmbeddingText(product)),
    async load() {
      const embedder = await text.get();
      return { key: embedderKey(embedder.id), dims: embedder.id.dims };
    },
    async prepare(product: Product) {
      let input = productEmbeddingText(product);
      // An English-only model reads Chinese products through the dictionary bridge, as it reads queries.
      if (containsCjk(input) && !(await text.get()).multilingual)
        input = renderEnglish(input, analyze(input));
      return { hash: textContentHash(input), input };
    },
    async embed(inputs: unknown[]) {
      return (await text.get()).embed(inputs as string[], 'document');
    },
    close: () => text.close(),
  };
  const imageEncoder: SpaceEncoder = {
    // OCR is part of what the image space computes: turning it on re-reads every photo once.
    fingerprint:
      (given.imageEmbedder ? embedderKey(given.imageEmbedder.id) : imageFingerprint(config.image)) +
      (config.ocr ? '+ocr' : ''),
    want: (product: Product) => primaryImage(product) ?? '',
    async load() {
      const embedder = await image.get();
      return { key: embedderKey(embedder.id), dims: embedder.id.dims };
    },
    async prepare(product: Product) {
      const bytes = await readImageBytes(primaryImage(product)!);
      const hash = createHash('sha1').update(bytes).digest('hex');
      if (!config.ocr) return { hash, input: bytes };
      return { hash, input: bytes, text: await readImageText(hash, bytes) };
    },
    async embed(inputs: unknown[]) {
      return (await image.get()).embedImages(inputs as Uint8Array[]);
    },
    close: () => image.close(),
  };
  return {
    text: textEncoder,
    image: imageEncoder,
    textEmbedder: () => text.get(),
    imageEmbedder: () => image.get(),
    async close() {
      await Promise.all([text.close(), image.close(), ocr.close()]);
    },
  };
}
