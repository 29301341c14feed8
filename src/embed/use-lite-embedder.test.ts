import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dot, type TextEmbedder } from './embedder.ts';
import { createUseLiteEmbedder } from './use-lite-embedder.ts';

describe('USE-Lite embedder (worker threads)', () => {
  let embedder: TextEmbedder;
  before(async () => {
    embedder = await createUseLiteEmbedder({ batchSize: 8, queueSize: 16 });
  });
  after(() => embedder.close());

  it('gives 512-d unit vectors that place related product texts closer', async () => {
    const [hoodie, sweatshirt, hose, blank] = await embedder.embed(
      ['zip-up hoodie', 'hooded sweatshirt', 'garden hose reel', '   '],
      'document',
    );
    assert.equal(embedder.id.dims, 512);
    for (const vector of [hoodie!, sweatshirt!, hose!]) assert.ok(Math.abs(dot(vector, vector) - 1) < 1e-5);
    assert.equal(blank!.length, 512, 'blank text still yields a vector in its place');
    assert.ok(dot(hoodie!, sweatshirt!) > dot(hoodie!, hose!) + 0.1);
  });

  it('is deterministic and batch-independent', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `cotton t-shirt size ${i}`);
    const together = await embedder.embed(texts, 'document');
    const alone = await embedder.embed([texts[7]!], 'query');
    assert.ok(dot(together[7]!, alone[0]!) > 0.9999);
  });

  it('keeps the event loop free and the queue bounded while embedding', async () => {
    let ticks = 0;
    let deepest = 0;
    const timer = setInterval(() => {
      ticks++;
      deepest = Math.max(deepest, embedder.queueDepth ?? 0);
    }, 5);
    const started = performance.now();
    const texts = Array.from({ length: 64 }, (_, i) => `stainless steel kitchen sink model ${i}`);
    const vectors = await Promise.all([embedder.embed(texts, 'document'), embedder.embed(texts, 'document')]);
    clearInterval(timer);
    const elapsed = performance.now() - started;
    assert.equal(vectors.flat().length, 128);
    // On the calling thread tfjs would block for the whole run; on a worker the timer keeps firing.
    assert.ok(ticks >= elapsed / 5 / 4, `${ticks} timer ticks in ${elapsed.toFixed(0)} ms`);
    assert.ok(deepest <= 16, `queue depth ${deepest} stays within queueSize 16`);
  });

  it('refuses work after close', async () => {
    const other = await createUseLiteEmbedder();
    await other.close();
    await assert.rejects(other.embed(['x'], 'query'), { code: 'ENGINE_CLOSED' });
  });
});
