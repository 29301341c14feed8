import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { layeredServeConfig } from '../src/cli/serve.ts';
import { loadConfigFile, validateConfig } from '../src/config-file.ts';
import { SoukError } from '../src/errors.ts';
import { createLogger } from '../src/server/request-log.ts';
import { createApp } from '../src/server/app.ts';
import { createEngine } from '../src/engine.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

let dir: string;
before(async () => {
  dir = await makeTempDir('souk-config-');
});
after(() => removeTempDir(dir));

function writeJson(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const fieldOf = (field: string) => (error: unknown) =>
  error instanceof SoukError && error.code === 'INVALID_REQUEST' && error.details.field === field;

describe('configuration file and environment', () => {
  it('validates a partial config and names the bad field', () => {
    assert.doesNotThrow(() =>
      validateConfig({
        server: { port: 8080, adminKey: 'k' },
        search: { limit: 20, typoWeights: [0.5, 0.3] },
        embedding: { text: { provider: 'none', model: 'x' } },
        dataDir: null,
      }),
    );
    assert.throws(() => validateConfig({ search: { limt: 20 } }), fieldOf('search.limt'));
    assert.throws(() => validateConfig({ search: { limit: '20' } }), fieldOf('search.limit'));
    assert.throws(() => validateConfig({ server: { port: 70000 } }), fieldOf('server.port'));
    assert.throws(() => validateConfig({ cache: { enabled: 'yes' } }), /cache\.enabled must be a boolean/);
    assert.throws(() => validateConfig({ search: { typoWeights: [1] } }), fieldOf('search.typoWeights'));
    assert.throws(() => validateConfig([]), fieldOf('config'));
  });

  it('reads a file: relative dataDir from the file, bad JSON and missing files reported', () => {
    const file = writeJson('souk.json', { dataDir: 'data', server: { port: 9000 } });
    assert.equal(loadConfigFile(file).dataDir, join(dir, 'data'));
    assert.throws(() => loadConfigFile(writeJson('bad.json', '{ nope')), /not valid JSON/);
    assert.throws(
      () => loadConfigFile(join(dir, 'missing.json')),
      (e: unknown) => e instanceof SoukError && e.code === 'FILE_NOT_FOUND',
    );
    const wrong = writeJson('wrong.json', { server: { host: 1 } });
    assert.throws(
      () => loadConfigFile(wrong),
      (e: unknown) => fieldOf('server.host')(e) && /wrong\.json/.test((e as Error).message),
    );
  });

  it('layers flags > environment > file > defaults', () => {
    const file = writeJson('layers.json', {
      dataDir: 'from-file',
      server: { port: 9001, host: '0.0.0.0', adminKey: 'file-key', maxBatchQueries: 7 },
      cache: { maxEntries: 5 },
    });
    const fileOnly = layeredServeConfig({ config: file }, {});
    assert.equal(fileOnly.config.dataDir, join(dir, 'from-file'));
    assert.deepEqual(
      [
        fileOnly.flags.port,
        fileOnly.flags.host,
        fileOnly.config.server?.adminKey,
        fileOnly.config.server?.maxBatchQueries,
      ],
      [9001, '0.0.0.0', 'file-key', 7],
    );
    assert.deepEqual(fileOnly.config.cache, { enabled: true, maxEntries: 5 });
    assert.equal(fileOnly.config.embedding?.auto, true);

    const env = {
      SOUK_PORT: '9002',
      SOUK_HOST: '::1',
      SOUK_DATA: join(dir, 'env'),
      SOUK_ADMIN_KEY: 'env-key',
    };
    const withEnv = layeredServeConfig({ config: file }, env);
    assert.deepEqual(
      [withEnv.flags.port, withEnv.flags.host, withEnv.config.dataDir, withEnv.config.server?.adminKey],
      [9002, '::1', join(dir, 'env'), 'env-key'],
    );

    const withFlags = layeredServeConfig(
      {
        config: file,
        port: 9003,
        host: '127.0.0.1',
        data: join(dir, 'flag'),
        adminKey: 'flag-key',
        embed: false,
      },
      env,
    );
    assert.deepEqual(
      [
        withFlags.flags.port,
        withFlags.flags.host,
        withFlags.config.dataDir,
        withFlags.config.server?.adminKey,
      ],
      [9003, '127.0.0.1', join(dir, 'flag'), 'flag-key'],
    );
    assert.equal(withFlags.config.embedding?.auto, false);

    // SOUK_CONFIG names the file when --config is absent.
    assert.equal(layeredServeConfig({}, { SOUK_CONFIG: file }).flags.port, 9001);
  });

  it('reports missing data directories and bad environment values by name', () => {
    assert.throws(() => layeredServeConfig({}, {}), fieldOf('dataDir'));
    assert.throws(() => layeredServeConfig({ data: dir }, { SOUK_PORT: 'eighty' }), fieldOf('SOUK_PORT'));
    assert.throws(
      () => layeredServeConfig({ data: dir }, { SOUK_LOG_LEVEL: 'loud' }),
      fieldOf('SOUK_LOG_LEVEL'),
    );
    assert.equal(
      layeredServeConfig({ data: dir, logLevel: 'warn' }, { SOUK_LOG_LEVEL: 'debug' }).flags.logLevel,
      'warn',
    );
  });
});

describe('request log', () => {
  it('writes one JSON line per request with route, status, ms and mode', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const engine = await createEngine({
      embedding: { text: { provider: 'none' }, image: { provider: 'none' } },
    });
    try {
      await engine.upsert([{ id: 'A', title: 'Alpine Hoodie' }]);
      const app = createApp(engine, { logger: createLogger('info', sink) });
      assert.equal((await app.request('/search?q=hoodie')).status, 200);
      assert.equal((await app.request('/products/A')).status, 200);
      assert.equal((await app.request('/nowhere')).status, 404);
    } finally {
      await engine.close();
    }
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(entries.length, 3);
    assert.deepEqual(
      entries.map((e) => [e.method, e.route, e.status, e.mode, e.msg]),
      [
        ['GET', '/search', 200, 'keyword', 'request'],
        ['GET', '/products/:id', 200, undefined, 'request'],
        ['GET', 'unmatched', 404, undefined, 'request'],
      ],
    );
    assert.ok(entries.every((e) => typeof e.ms === 'number' && e.level === 30));
  });
});
