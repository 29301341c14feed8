import type { EmbeddingConfig, ImageEmbeddingConfig, TextEmbeddingConfig } from '../config.ts';
import { SoukError } from '../errors.ts';
import type { ImageEmbedder, TextEmbedder } from './embedder.ts';

/**
 * Builds the configured embedders. Providers are imported on demand so that an engine using USE-Lite never
 * loads onnxruntime, and a keyword-only engine loads no model code at all.
 */
export async function createTextEmbedder(config: EmbeddingConfig): Promise<TextEmbedder> {
  const text = config.text;
  switch (text.provider) {
    case 'use-lite': {
      const { createUseLiteEmbedder } = await import('./use-lite-embedder.ts');
      return createUseLiteEmbedder({
        workers: config.workers,
        batchSize: text.batchSize,
        queueSize: config.queueSize,
      });
    }
    case 'transformers': {
      const { createTransformersTextEmbedder } = await import('./transformers-embedder.ts');
      return createTransformersTextEmbedder({
        model: requireModel(text, 'embedding.text.model'),
        batchSize: text.batchSize,
        workers: config.workers,
        queueSize: config.queueSize,
        ...optional({
          pooling: text.pooling,
          queryPrefix: text.queryPrefix,
          documentPrefix: text.documentPrefix,
          cacheDir: config.cacheDir,
        }),
      });
    }
    case 'http': {
      const { createHttpEmbedder } = await import('./http-embedder.ts');
      if (!text.url) {
        throw new SoukError(
          'EMBEDDER_NOT_CONFIGURED',
          'embedding.text.url is required for the http provider',
          {
            field: 'embedding.text.url',
          },
        );
      }
      return createHttpEmbedder({
        url: text.url,
        model: requireModel(text, 'embedding.text.model'),
        apiKey: text.apiKey,
        dims: text.dims,
        batchSize: text.batchSize,
        timeoutMs: text.timeoutMs,
        retries: text.retries,
        queryPrefix: text.queryPrefix,
        documentPrefix: text.documentPrefix,
      });
    }
    case 'none':
      throw notConfigured('text');
  }
}

export async function createImageEmbedder(config: EmbeddingConfig): Promise<ImageEmbedder> {
  const image = config.image;
  switch (image.provider) {
    case 'visual': {
      const { createVisualDescriptorEmbedder } = await import('./visual-descriptor.ts');
      return createVisualDescriptorEmbedder();
    }
    case 'transformers': {
      const { createTransformersImageEmbedder } = await import('./transformers-embedder.ts');
      return createTransformersImageEmbedder({
        model: requireModel(image, 'embedding.image.model'),
        batchSize: image.batchSize,
        workers: config.workers,
        ...optional({ cacheDir: config.cacheDir }),
      });
    }
    case 'none':
      throw notConfigured('image');
  }
}

/** A stable description of the configured model, known without loading it (secrets left out). */
export function textFingerprint(text: TextEmbeddingConfig): string {
  const { provider, model, url, pooling, queryPrefix, documentPrefix, dims } = text;
  return JSON.stringify({ provider, model, url, pooling, queryPrefix, documentPrefix, dims });
}

export function imageFingerprint(image: ImageEmbeddingConfig): string {
  return JSON.stringify({ provider: image.provider, model: image.model });
}

function notConfigured(space: 'text' | 'image'): SoukError {
  return new SoukError(
    'EMBEDDER_NOT_CONFIGURED',
    `no ${space} embedder is configured (embedding.${space}.provider is "none")`,
    { field: `embedding.${space}.provider` },
  );
}

function requireModel(config: { model: string | undefined; provider: string }, field: string): string {
  if (!config.model) {
    throw new SoukError(
      'EMBEDDER_NOT_CONFIGURED',
      `${field} is required for the ${config.provider} provider`,
      {
        field,
      },
    );
  }
  return config.model;
}

/** Drops undefined values (the providers' options are exact optional properties). */
function optional<T extends Record<string, unknown>>(
  values: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
