import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SoukError } from '../errors.ts';
import { parseCompareConfig } from './compare-config.ts';

function rejects(text: string, code: string, pattern: RegExp): void {
  assert.throws(
    () => parseCompareConfig(text, 'other.json'),
    (error: unknown) => {
      assert.ok(error instanceof SoukError);
      assert.equal(error.code, code);
      assert.equal(error.details.file, 'other.json');
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('compare config', () => {
  it('splits request fields from engine configuration overrides', () => {
    const config = parseCompareConfig(
      JSON.stringify({
        name: 'tuned',
        mode: 'hybrid',
        ranker: 'none',
        weights: { text: 0.5 },
        typos: false,
        search: { typos: false, typoWeights: [0.5, 0.3] },
        fields: { title: { boost: 4 } },
        fusion: { k: 60, weights: { lexical: 2 } },
      }),
    );
    assert.equal(config.name, 'tuned');
    assert.deepEqual(config.request, {
      mode: 'hybrid',
      ranker: 'none',
      weights: { text: 0.5 },
      typos: false,
    });
    assert.deepEqual(config.engine, {
      search: { typos: false, typoWeights: [0.5, 0.3] },
      fields: { title: { boost: 4 } },
      fusion: { k: 60, weights: { lexical: 2 } },
    });
    assert.equal(parseCompareConfig('{"mode":"keyword"}').engine, undefined);
  });

  it('rejects what would silently compare a configuration with itself', () => {
    rejects('{"mode": ', 'INVALID_JSON', /other\.json: invalid JSON/);
    rejects('[1]', 'INVALID_FIELD', /expected a JSON object/);
    rejects('{"typo": false}', 'INVALID_FIELD', /field "typo": unknown key/);
    rejects('{"search": {"typo": false}}', 'INVALID_FIELD', /field "search\.typo": unknown setting/);
    rejects('{"search": {"typos": "no"}}', 'INVALID_FIELD', /field "search\.typos": expected a boolean/);
    rejects(
      '{"fields": {"title": {"boost": "4"}}}',
      'INVALID_FIELD',
      /fields\.title\.boost": expected a number/,
    );
    rejects('{"mode": "image"}', 'INVALID_FIELD', /expected one of keyword, semantic, hybrid/);
    rejects('{"weights": {"vector": 1}}', 'INVALID_FIELD', /weights\.vector/);
    rejects('{"weights": {"text": -1}}', 'INVALID_FIELD', /non-negative/);
    rejects('{"dataDir": "/elsewhere"}', 'INVALID_FIELD', /unknown key/);
    rejects('{"snapshot": {"enabled": true}}', 'INVALID_FIELD', /unknown key/);
  });
});
