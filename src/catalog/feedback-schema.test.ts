import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isSoukError } from '../errors.ts';
import { validateFeedbackEvent } from './feedback-schema.ts';
import { readFeedbackBatches, type FeedbackLineRecord } from './read-feedback.ts';

const NOW = Date.UTC(2026, 5, 1, 12);
const dir = mkdtempSync(join(tmpdir(), 'souk-feedback-schema-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(file: string): Promise<FeedbackLineRecord[]> {
  const out: FeedbackLineRecord[] = [];
  for await (const batch of readFeedbackBatches(file, { now: NOW })) out.push(...batch);
  return out;
}

describe('validateFeedbackEvent', () => {
  it('normalises a valid event: ids trimmed or converted, time resolved, key order fixed', () => {
    const { event, errors } = validateFeedbackEvent(
      {
        at: '2026-03-01T10:00:00Z',
        productId: 17,
        query: 'Hoodie ',
        type: 'Add-To-Cart',
        position: '3',
        user_id: ' u1 ',
        sessionId: '',
        extra: true,
      },
      undefined,
      NOW,
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(event, {
      type: 'add_to_cart',
      query: 'Hoodie ',
      productId: '17',
      position: 3,
      userId: 'u1',
      at: Date.UTC(2026, 2, 1, 10),
    });
    assert.deepEqual(Object.keys(event!), ['type', 'query', 'productId', 'position', 'userId', 'at']);
    const minimal = validateFeedbackEvent({ type: 'click', query: '', productId: 'a' }, undefined, NOW);
    assert.deepEqual(minimal.event, { type: 'click', query: '', productId: 'a', at: NOW });
    assert.equal(
      validateFeedbackEvent({ type: 'purchase', query: 'q', productId: 'a', at: NOW - 5 }).event?.at,
      NOW - 5,
    );
  });

  it('names every bad field, under the path of the event in a request', () => {
    const { event, errors } = validateFeedbackEvent(
      { type: 'like', productId: '', position: 0, userId: {}, at: 1_700_000_000 },
      { path: 'events[3]' },
      NOW,
    );
    assert.equal(event, undefined);
    assert.deepEqual(
      errors.map((e) => [e.code, e.field]),
      [
        ['INVALID_FIELD', 'events[3].type'],
        ['MISSING_FIELD', 'events[3].query'],
        ['MISSING_FIELD', 'events[3].productId'],
        ['INVALID_FIELD', 'events[3].position'],
        ['INVALID_FIELD', 'events[3].userId'],
        ['INVALID_FIELD', 'events[3].at'],
      ],
    );
    assert.match(
      errors[0]!.message,
      /field "events\[3\]\.type" must be one of impression, click, add_to_cart, purchase, got "like"/,
    );
    assert.match(errors[3]!.message, /1-based integer rank/);
    assert.match(errors[5]!.message, /epoch seconds\? multiply by 1000/);
    const positions = [-1, 1.5, '2.5', 'third', true];
    for (const position of positions) {
      const result = validateFeedbackEvent({ type: 'click', query: 'q', productId: 'a', position });
      assert.equal(result.errors[0]?.field, 'position', String(position));
    }
    assert.equal(
      validateFeedbackEvent({ type: 'click', query: 'q', productId: 'a', at: 'soon' }).errors[0]?.field,
      'at',
    );
    assert.equal(
      validateFeedbackEvent({ type: 'click', query: 'x'.repeat(1025), productId: 'a' }).errors[0]?.field,
      'query',
    );
    const notObject = validateFeedbackEvent([1], { path: 'events[0]' });
    assert.deepEqual(
      notObject.errors.map((e) => [e.code, e.field, e.message]),
      [['INVALID_JSON', 'events[0]', 'events[0] must be a JSON object, got an array']],
    );
  });

  it('prefixes the file and line like the catalogue validator', () => {
    const { errors } = validateFeedbackEvent({ type: 'click', query: 'q' }, { file: '/x/fb.jsonl', line: 4 });
    assert.deepEqual(errors, [
      {
        code: 'MISSING_FIELD',
        message: 'fb.jsonl:4: missing required field "productId"',
        file: '/x/fb.jsonl',
        line: 4,
        field: 'productId',
      },
    ]);
  });
});

describe('readFeedbackBatches', () => {
  it('reads JSON Lines with a line for every record, bad lines reported', async () => {
    const file = join(dir, 'events.jsonl');
    writeFileSync(
      file,
      '\ufeff' +
        [
          JSON.stringify({ type: 'impression', query: 'hoodie', productId: 'A', position: 1 }),
          '',
          '{"type": "click", ',
          JSON.stringify({ type: 'click', query: 'hoodie', productId: 'A', position: 0 }),
          '[1]',
          JSON.stringify({ type: 'purchase', query: 'hoodie', productId: 'A', userId: 'u' }),
        ].join('\r\n'),
    );
    const records = await readAll(file);
    assert.deepEqual(
      records.map((r) => [r.line, r.event?.type, r.errors.map((e) => `${e.code}:${e.field ?? ''}`)]),
      [
        [1, 'impression', []],
        [3, undefined, ['INVALID_JSON:']],
        [4, undefined, ['INVALID_FIELD:position']],
        [5, undefined, ['INVALID_JSON:']],
        [6, 'purchase', []],
      ],
    );
    assert.equal(records[0]!.event!.at, NOW);
    assert.match(records[2]!.errors[0]!.message, /^events\.jsonl:4: field "position"/);
  });

  it('reads CSV by header names (any case, snake_case aliases), empty query allowed', async () => {
    const file = join(dir, 'events.csv');
    writeFileSync(
      file,
      [
        'Type,query,product_id,position,USER_ID,at,ignored',
        'click,hoodie,A,2,u1,2026-01-01T00:00:00Z,x',
        'impression,,B,,,,',
        'click,"a, b",C,zero,,,',
        'click,q,D',
      ].join('\n') + '\n',
    );
    const records = await readAll(file);
    assert.deepEqual(records[0], {
      line: 2,
      event: {
        type: 'click',
        query: 'hoodie',
        productId: 'A',
        position: 2,
        userId: 'u1',
        at: Date.UTC(2026, 0, 1),
      },
      errors: [],
    });
    assert.deepEqual(records[1]!.event, { type: 'impression', query: '', productId: 'B', at: NOW });
    assert.deepEqual(
      records.slice(2).map((r) => [r.line, r.errors.map((e) => `${e.code}:${e.field ?? ''}`)]),
      [
        [4, ['INVALID_FIELD:position']],
        [5, ['INVALID_CSV:']],
      ],
    );
    const noProduct = join(dir, 'no-product.csv');
    writeFileSync(noProduct, 'type,query\nclick,q\n');
    await assert.rejects(readAll(noProduct), (error: unknown) => {
      assert.ok(isSoukError(error));
      assert.equal(error.code, 'INVALID_CSV');
      assert.match(error.message, /no "productId" column/);
      return true;
    });
    await assert.rejects(readAll(join(dir, 'events.txt')), /Unsupported feedback file format/);
    await assert.rejects(readAll(join(dir, 'missing.jsonl')), /Feedback file not found/);
  });
});
