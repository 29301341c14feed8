import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG } from '../config.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import type { Product } from '../types.ts';
import { normalizeInPlace } from './embedder.ts';
import { VectorSpace, type SpaceEncoder } from './vector-space.ts';

/** An encoder whose configuration (fingerprint) stays put while its model's version can change. */
function encoder(version: string, calls: string[]): SpaceEncoder {
  return {
    fingerprint: 'same-config',
    want: (product: Product) => product.title,
    load: async () => ({ key: `fake@${version}/4`, dims: 4 }),
    prepare: async (product: Product) => ({ hash: product.title, input: product.title }),
    embed: async (inputs) => {
      calls.push(...(inputs as string[]));
      return (inputs as string[]).map((text) =>
        normalizeInPlace(Float32Array.from([text.length, version.length, 1, text.charCodeAt(0) % 7])),
      );
    },
    close: async () => undefined,
  };
}

describe('VectorSpace', () => {
  const products: Product[] = [
    { id: 'a', title: 'alpha' },
    { id: 'b', title: 'beta' },
  ];
  const context = (store = createMemoryStore()) => ({
    store,
    fetch: async (keys: readonly number[]) => keys.map((key) => products[key]),
    stopped: () => false,
    batchSize: 1,
  });

  it('re-queues everything when a restored space turns out to be from another model version', async () => {
    const calls: string[] = [];
    const first = new VectorSpace('text', encoder('1', calls), DEFAULT_CONFIG.vector);
    products.forEach((product, key) => first.note(key, product));
    assert.equal((await first.drain(context())).embedded, 2);
    const saved = first.serialize();

    const upgraded = new VectorSpace('text', encoder('22', calls), DEFAULT_CONFIG.vector);
    assert.equal(upgraded.restore(saved), true, 'same configuration: restored');
    assert.equal(upgraded.size, 2);
    assert.equal(upgraded.backlog, 0, 'nothing looks changed before the model is loaded');
    calls.length = 0;
    const report = await upgraded.drain(context());
    assert.equal(report.embedded, 2, 'the new model version re-embeds both');
    assert.deepEqual(calls.sort(), ['alpha', 'beta']);
    assert.equal(upgraded.embedderKey, 'fake@22/4');
  });

  it('drops a snapshot made with another configuration', () => {
    const space = new VectorSpace('text', encoder('1', []), DEFAULT_CONFIG.vector);
    const other = new VectorSpace(
      'text',
      { ...encoder('1', []), fingerprint: 'other' },
      DEFAULT_CONFIG.vector,
    );
    assert.equal(other.restore(space.serialize()), false);
  });

  it('applies a vector only if the product still asks for that input', async () => {
    const calls: string[] = [];
    const space = new VectorSpace('text', encoder('1', calls), DEFAULT_CONFIG.vector);
    space.note(0, { id: 'a', title: 'alpha' });
    // The stored product moved on before the drain read it: its newer title is not what was noted.
    const stale = { ...context(), fetch: async () => [{ id: 'a', title: 'alpha two' }] };
    const report = await space.drain(stale);
    assert.equal(report.embedded, 0);
    assert.equal(space.size, 0);
  });
});
