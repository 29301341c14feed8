/** Search rules over HTTP (`GET` / `PUT /rules`) and the CLI (`souk rules set | show`). */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import type { Rules } from '../src/rank/rules.ts';
import { createApp } from '../src/server/app.ts';
import type { SearchResponse } from '../src/types.ts';
import { runCli } from './helpers/cli-process.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const ADMIN_KEY = 'rules-admin-key';
const PRODUCTS = [
  { id: 's1', title: 'Leather sofa', brand: 'Nordic', price: 899 },
  { id: 's2', title: 'Velvet sofa bed', brand: 'Nordic', price: 499 },
  { id: 'l1', title: 'Brass floor lamp', brand: 'Lumen', price: 89 },
];
const RULES: Rules = {
  synonyms: [{ terms: ['sofa', 'couch'] }],
  merchandising: [{ id: 'lamp-first', query: { equals: 'couch' }, pin: [{ id: 'l1', position: 1 }] }],
};

let root: string;
before(async () => {
  root = await makeTempDir('souk-rules-api-');
});
after(async () => {
  await removeTempDir(root);
});

describe('GET and PUT /rules', () => {
  let engine: Engine;
  const app = () =>
    createApp(engine, {
      config: { server: { adminKey: ADMIN_KEY, maxBodyBytes: 4096 } },
      onServerError: (error) => assert.fail(`unexpected server error: ${error.code} ${error.message}`),
    });
  before(async () => {
    engine = await createEngine({ embedding: { text: { provider: 'none' }, image: { provider: 'none' } } });
    await engine.upsert(PRODUCTS);
  });
  after(async () => {
    await engine.close();
  });

  const put = (body: string, headers: Record<string, string> = {}) =>
    app().request('/rules', {
      method: 'PUT',
      body,
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  const auth = { Authorization: `Bearer ${ADMIN_KEY}` };

  it('reads the (empty) rules without a key', async () => {
    const response = await app().request('/rules');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { synonyms: [], merchandising: [] });
  });

  it('refuses PUT without the admin key, or with a wrong one', async () => {
    let response = await put(JSON.stringify(RULES));
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    response = await put(JSON.stringify(RULES), { Authorization: 'Bearer wrong' });
    assert.equal(response.status, 401);
    const noKey = createApp(engine, { config: { server: { maxBodyBytes: 4096 } } });
    response = await noKey.request('/rules', { method: 'PUT', body: JSON.stringify(RULES) });
    assert.equal(response.status, 401);
    assert.deepEqual(await engine.getRules(), { synonyms: [], merchandising: [] });
  });

  it('replaces the rules with the key; the next search uses them', async () => {
    const response = await put(JSON.stringify(RULES), auth);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), RULES);
    assert.deepEqual(await (await app().request('/rules')).json(), RULES);
    const search = (await (await app().request('/search?q=couch&mode=keyword')).json()) as SearchResponse;
    assert.deepEqual(
      search.hits.map((hit) => hit.id),
      ['l1', 's1', 's2'],
    );
  });

  it('answers 400 naming the field for invalid rules, 400 for bad JSON, 413 past the body limit', async () => {
    let response = await put(
      JSON.stringify({ merchandising: [{ pin: [{ id: 'l1', position: -1 }] }] }),
      auth,
    );
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as {
      error: { code: string; message: string; details: object };
    };
    assert.equal(error.code, 'INVALID_REQUEST');
    assert.deepEqual(error.details, { field: 'merchandising[0].pin[0].position' });
    assert.match(error.message, /merchandising\[0\]\.pin\[0\]\.position/);

    response = await put('{"synonyms": [', auth);
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'INVALID_JSON');

    const big = JSON.stringify({ synonyms: [{ terms: ['a'.repeat(100), 'b'.repeat(5000)] }] });
    response = await put(big, auth);
    assert.equal(response.status, 413);
    assert.deepEqual(await engine.getRules(), RULES, 'the rules are unchanged');
  });
});

describe('souk rules', () => {
  it('sets rules from a file and shows them, across processes', async () => {
    const dataDir = join(root, 'cli-data');
    const catalogue = join(root, 'products.jsonl');
    await writeFile(catalogue, PRODUCTS.map((p) => JSON.stringify(p)).join('\n') + '\n');
    assert.equal((await runCli(['ingest', catalogue, '--data', dataDir])).code, 0);

    const file = join(root, 'rules.json');
    await writeFile(file, JSON.stringify(RULES));
    let result = await runCli(['rules', 'set', file, '--data', dataDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^rules set: 1 synonym entries, 1 merchandising rules$/m);

    result = await runCli(['rules', 'show', '--data', dataDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), RULES);

    result = await runCli(['search', 'couch', '--data', dataDir, '--json', '--mode', 'keyword']);
    assert.equal(result.code, 0, result.stderr);
    const response = JSON.parse(result.stdout) as SearchResponse;
    assert.deepEqual(
      response.hits.map((hit) => hit.id),
      ['l1', 's1', 's2'],
    );

    await writeFile(file, JSON.stringify({ synonyms: [{ terms: ['sofa'] }] }));
    result = await runCli(['rules', 'set', file, '--data', dataDir]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /error \[INVALID_REQUEST\]: rules: synonyms\[0\]\.terms must have at least 2 items/,
    );

    await writeFile(file, '{');
    result = await runCli(['rules', 'set', file, '--data', dataDir]);
    assert.equal(result.code, 65, result.stderr);
    assert.match(result.stderr, /\[INVALID_JSON\]/);

    result = await runCli(['rules', 'set', join(root, 'missing.json'), '--data', dataDir]);
    assert.equal(result.code, 66, result.stderr);

    result = await runCli(['rules', 'show', '--data', dataDir]);
    assert.deepEqual(JSON.parse(result.stdout), RULES, 'failed sets change nothing');
  });
});
