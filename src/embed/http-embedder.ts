import { SoukError } from '../errors.ts';
import { normalizeInPlace, type EmbedKind, type TextEmbedder } from './embedder.ts';

export interface HttpEmbedderOptions {
  /** Server base URL; `/v1/embeddings` is appended unless the URL already ends in `/embeddings`. */
  url: string;
  /** Model name sent with every request. */
  model: string;
  apiKey?: string | undefined;
  /** Vector length; asked of the server with one probe request when unset. */
  dims?: number | undefined;
  batchSize?: number;
  timeoutMs?: number;
  /** Further attempts after a 5xx answer, a timeout or a network error (never after a 4xx). */
  retries?: number;
  /** Prefixes for asymmetric models served behind the endpoint (e5: `query: ` / `passage: `). */
  queryPrefix?: string | undefined;
  documentPrefix?: string | undefined;
  /** Whether the served model crosses languages by itself. */
  multilingual?: boolean;
}

interface EmbeddingsResponse {
  data?: Array<{ embedding?: unknown; index?: unknown }>;
}

export function embeddingsUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  if (trimmed.endsWith('/embeddings')) return trimmed;
  return trimmed.endsWith('/v1') ? `${trimmed}/embeddings` : `${trimmed}/v1/embeddings`;
}

/**
 * An OpenAI-compatible `/v1/embeddings` endpoint (a shop's own model server: text-embeddings-inference,
 * vLLM, Ollama, LiteLLM, OpenAI itself). Requests are batched; 5xx answers, timeouts and network errors are
 * retried with exponential backoff, 4xx answers are not (they will not get better by asking again).
 */
export async function createHttpEmbedder(options: HttpEmbedderOptions): Promise<TextEmbedder> {
  const endpoint = embeddingsUrl(options.url);
  const batchSize = options.batchSize ?? 64;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 3;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  const post = async (input: string[]): Promise<Float32Array[]> => {
    let lastError: SoukError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0)
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)));
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ model: options.model, input }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const timedOut = (error as { name?: string }).name === 'TimeoutError';
        const reason = timedOut ? `no answer within ${timeoutMs} ms` : (error as Error).message;
        lastError = new SoukError('EMBEDDING_FAILED', `embedding server ${endpoint}: ${reason}`, {
          url: endpoint,
          attempts: attempt + 1,
        });
        continue;
      }
      if (response.status >= 500) {
        lastError = new SoukError(
          'EMBEDDING_FAILED',
          `embedding server ${endpoint} answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
          { url: endpoint, status: response.status, attempts: attempt + 1 },
        );
        continue;
      }
      if (!response.ok) {
        throw new SoukError(
          'EMBEDDING_FAILED',
          `embedding server ${endpoint} refused the request (${response.status}): ${(await response.text()).slice(0, 200)}`,
          { url: endpoint, status: response.status },
        );
      }
      return parseVectors((await response.json()) as EmbeddingsResponse, input.length, endpoint);
    }
    throw lastError!;
  };

  const dims = options.dims ?? (await post(['dimension probe']))[0]!.length;
  const prefixFor = (kind: EmbedKind): string =>
    (kind === 'query' ? options.queryPrefix : options.documentPrefix) ?? '';
  return {
    id: { provider: 'http', model: options.model, version: prefixVersion(options), dims },
    multilingual: options.multilingual ?? false,
    async embed(texts, kind) {
      const prefix = prefixFor(kind);
      const batches: Array<Promise<Float32Array[]>> = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        batches.push(post(texts.slice(i, i + batchSize).map((text) => prefix + text)));
      }
      const vectors = (await Promise.all(batches)).flat();
      for (const vector of vectors) {
        if (vector.length !== dims) {
          throw new SoukError(
            'EMBEDDING_FAILED',
            `embedding server ${endpoint} returned ${vector.length} numbers per vector, expected ${dims}`,
            { url: endpoint },
          );
        }
      }
      return vectors;
    },
    close: async () => undefined,
  };
}

/** Prefixes change the vectors, so they are part of the embedder's version. */
function prefixVersion(options: HttpEmbedderOptions): string {
  const q = options.queryPrefix ?? '';
  const d = options.documentPrefix ?? '';
  return q === '' && d === '' ? '1' : `1;q=${JSON.stringify(q)};d=${JSON.stringify(d)}`;
}

function parseVectors(body: EmbeddingsResponse, expected: number, endpoint: string): Float32Array[] {
  const rows = Array.isArray(body.data) ? body.data : [];
  if (rows.length !== expected) {
    throw new SoukError(
      'EMBEDDING_FAILED',
      `embedding server ${endpoint} returned ${rows.length} vectors for ${expected} inputs`,
      { url: endpoint },
    );
  }
  const out: Float32Array[] = new Array<Float32Array>(expected);
  rows.forEach((row, position) => {
    const index = typeof row.index === 'number' ? row.index : position;
    if (
      !Array.isArray(row.embedding) ||
      !row.embedding.every((x) => typeof x === 'number') ||
      !Number.isInteger(index) ||
      index < 0 ||
      index >= expected ||
      out[index] !== undefined
    ) {
      throw new SoukError('EMBEDDING_FAILED', `embedding server ${endpoint} returned a malformed vector`, {
        url: endpoint,
        index: position,
      });
    }
    out[index] = normalizeInPlace(Float32Array.from(row.embedding as number[]));
  });
  return out;
}
