import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { dot, type TextEmbedder } from './embedder.ts';
import { createHttpEmbedder, embeddingsUrl } from './http-embedder.ts';
import { createUseLiteEmbedder } from './use-lite-embedder.ts';

/**
 * A small OpenAI-compatible embeddings server on loopback that serves USE-Lite, with switches to make it
 * fail the way real model servers do (5xx bursts, slow answers, 4xx refusals).
 */
interface Faults {
  failNext: number;
  status: number;
  delayMs: number;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  return body;
}

describe('http embedder against a real OpenAI-compatible server serving USE-Lite', () => {
  let server: Server;
  let baseUrl: string;
  let useLite: TextEmbedder;
  const faults: Faults = { failNext: 0, status: 503, delayMs: 0 };
  const seen: Array<{ authorization: string | undefined; input: string[]; model: string }> = [];

  before(async () => {
    useLite = await createUseLiteEmbedder();
    server = createServer((request, response) => {
      void (async () => {
        const body = JSON.parse(await readBody(request)) as { model: string; input: string[] };
        seen.push({ authorization: request.headers.authorization, input: body.input, model: body.model });
        if (faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
        if (faults.failNext > 0) {
          faults.failNext--;
          response.writeHead(faults.status, { 'content-type': 'text/plain' }).end('model busy');
          return;
        }
        const vectors = await useLite.embed(body.input, 'document');
        // Answer out of order with explicit indexes, as some servers do.
        const data = vectors.map((vector, index) => ({ object: 'embedding', index, embedding: [...vector] }));
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ object: 'list', model: body.model, data: data.reverse() }));
      })().catch(() => {
        // A request that outlived its client (the timeout test) may find the model already closed.
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await useLite.close();
  });

  const reset = (): void => {
    faults.failNext = 0;
    faults.status = 503;
    faults.delayMs = 0;
    seen.length = 0;
  };

  it('builds the endpoint URL from a base URL', () => {
    assert.equal(embeddingsUrl('http://h:1'), 'http://h:1/v1/embeddings');
    assert.equal(embeddingsUrl('http://h:1/v1/'), 'http://h:1/v1/embeddings');
    assert.equal(embeddingsUrl('http://h:1/api/embeddings'), 'http://h:1/api/embeddings');
  });

  it('learns the dimensions, batches requests and returns the served vectors in input order', async () => {
    reset();
    const embedder = await createHttpEmbedder({
      url: baseUrl,
      model: 'use-lite',
      apiKey: 'k1',
      batchSize: 2,
    });
    assert.equal(embedder.id.dims, 512);
    assert.equal(embedder.id.provider, 'http');
    const texts = ['hoodie', 'sweatshirt with a hood', 'garden hose', 'watering hose', 'coffee mug'];
    const vectors = await embedder.embed(texts, 'document');
    const local = await useLite.embed(texts, 'document');
    assert.equal(vectors.length, 5);
    vectors.forEach((vector, i) =>
      assert.ok(dot(vector, local[i]!) > 0.999, `vector ${i} is the served one`),
    );
    const batches = seen.slice(1).map((request) => request.input.length);
    assert.deepEqual(batches, [2, 2, 1], 'batches of batchSize after the dimension probe');
    assert.ok(seen.every((request) => request.authorization === 'Bearer k1' && request.model === 'use-lite'));
    assert.ok(
      dot(vectors[2]!, vectors[3]!) > dot(vectors[2]!, vectors[4]!),
      'hoses are closer to each other',
    );
  });

  it('retries 5xx answers and succeeds', async () => {
    reset();
    const embedder = await createHttpEmbedder({ url: baseUrl, model: 'm', dims: 512, retries: 3 });
    faults.failNext = 2;
    const [vector] = await embedder.embed(['hoodie'], 'query');
    assert.equal(vector?.length, 512);
    assert.equal(seen.length, 3, 'two failures, then the answer');
  });

  it('gives up after the retries with EMBEDDING_FAILED naming the status', async () => {
    reset();
    const embedder = await createHttpEmbedder({ url: baseUrl, model: 'm', dims: 512, retries: 1 });
    faults.failNext = 5;
    await assert.rejects(
      embedder.embed(['x'], 'query'),
      (error: { code: string; details: { status: number } }) => {
        assert.equal(error.code, 'EMBEDDING_FAILED');
        assert.equal(error.details.status, 503);
        return true;
      },
    );
    assert.equal(seen.length, 2);
  });

  it('does not retry a 4xx refusal', async () => {
    reset();
    const embedder = await createHttpEmbedder({ url: baseUrl, model: 'm', dims: 512, retries: 3 });
    faults.failNext = 1;
    faults.status = 400;
    await assert.rejects(embedder.embed(['x'], 'query'), { code: 'EMBEDDING_FAILED' });
    assert.equal(seen.length, 1);
  });

  it('times out a slow server and retries', async () => {
    reset();
    const embedder = await createHttpEmbedder({
      url: baseUrl,
      model: 'm',
      dims: 512,
      timeoutMs: 100,
      retries: 1,
    });
    faults.delayMs = 400;
    await assert.rejects(embedder.embed(['x'], 'query'), /no answer within 100 ms/);
    assert.equal(seen.length, 2);
  });

  it('rejects vectors of the wrong length and applies query/document prefixes', async () => {
    reset();
    const wrong = await createHttpEmbedder({ url: baseUrl, model: 'm', dims: 384 });
    await assert.rejects(wrong.embed(['x'], 'query'), /expected 384/);
    const prefixed = await createHttpEmbedder({
      url: baseUrl,
      model: 'm',
      dims: 512,
      queryPrefix: 'query: ',
      documentPrefix: 'passage: ',
    });
    seen.length = 0;
    await prefixed.embed(['a'], 'query');
    await prefixed.embed(['b'], 'document');
    assert.deepEqual(
      seen.map((request) => request.input[0]),
      ['query: a', 'passage: b'],
    );
    assert.notEqual(prefixed.id.version, wrong.id.version, 'prefixes are part of the embedder id');
  });

  it('reports an unreachable server', async () => {
    await assert.rejects(
      createHttpEmbedder({ url: 'http://127.0.0.1:9', model: 'm', retries: 0, timeoutMs: 2000 }),
      { code: 'EMBEDDING_FAILED' },
    );
  });
});
