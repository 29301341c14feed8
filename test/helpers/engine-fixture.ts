import { rmSync } from 'node:fs';
import { after, before } from 'node:test';
import type { SoukConfig } from '../../src/config.ts';
import { createEngine } from '../../src/engine.ts';
import type { Engine } from '../../src/engine-api.ts';
import type { Product } from '../../src/types.ts';

export interface EngineFixture {
  /** The open engine (a new object after `restart`). */
  readonly engine: Engine;
  /** Closes the engine and opens the same data dir again, as a restarted process would. */
  restart(): Promise<Engine>;
}

/**
 * One engine for a test file: opened on `config.dataDir` with `products` written before the tests, closed and
 * its data dir removed after them.
 */
export function engineFixture(config: SoukConfig & { dataDir: string }, products: Product[]): EngineFixture {
  let engine: Engine | undefined;
  before(async () => {
    engine = await createEngine(config);
    await engine.upsert(products);
  });
  after(async () => {
    await engine?.close();
    rmSync(config.dataDir, { recursive: true, force: true });
  });
  return {
    get engine(): Engine {
      if (!engine) throw new Error('the engine opens in the before hook');
      return engine;
    },
    async restart() {
      await engine?.close();
      engine = await createEngine(config);
      return engine;
    },
  };
}
