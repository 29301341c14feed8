import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SoukError } from '../errors.ts';
import type { FilterNode } from '../filter/filter-parser.ts';
import { analyze } from '../text/analyzer.ts';
import {
  applyMerchandising,
  compileRules,
  matchingRules,
  mergeVariantMatches,
  synonymVariants,
  SYNONYM_WEIGHT,
  validateRules,
  type MerchandisingContext,
  type Ranked,
} from './rules.ts';

function rejects(input: unknown, field: string, message?: RegExp): void {
  assert.throws(
    () => validateRules(input),
    (error: unknown) => {
      assert.ok(error instanceof SoukError);
      assert.equal(error.code, 'INVALID_REQUEST');
      assert.equal(error.details.field, field, error.message);
      assert.ok(error.message.includes(field), error.message);
      if (message) assert.match(error.message, message);
      return true;
    },
  );
}

describe('validateRules', () => {
  it('accepts the documented format and fills in missing lists', () => {
    assert.deepEqual(validateRules({}), { synonyms: [], merchandising: [] });
    const rules = {
      synonyms: [{ terms: ['tv', 'television'] }, { from: 'iphone', to: ['smartphone'] }],
      merchandising: [
        {
          id: 'tv-promo',
          query: { contains: 'tv' },
          pin: [{ id: 'p1', position: 1 }],
          hide: ['p9'],
          boost: [{ filter: 'brand = Acme', factor: 2 }],
          bury: [{ filter: 'price < 10', factor: 0.5 }],
        },
        { query: { regex: '^sale' } },
        {},
      ],
    };
    assert.deepEqual(validateRules(rules), rules);
  });

  it('names the field path of what is wrong', () => {
    rejects(null, 'rules');
    rejects({ synonym: [] }, 'synonym', /not a known field/);
    rejects({ synonyms: {} }, 'synonyms', /array/);
    rejects({ synonyms: [{ terms: ['tv'] }] }, 'synonyms[0].terms', /at least 2/);
    rejects({ synonyms: [{ terms: ['tv', 42] }] }, 'synonyms[0].terms[1]', /string/);
    rejects({ synonyms: [{ terms: ['tv', '!!!'] }] }, 'synonyms[0].terms[1]', /searchable/);
    rejects({ synonyms: [{ from: 'iphone' }] }, 'synonyms[0].to');
    rejects({ synonyms: [{ from: 'a', to: ['b'], terms: [] }] }, 'synonyms[0].from', /not a known field/);
    rejects({ synonyms: [{ words: ['a', 'b'] }] }, 'synonyms[0]', /terms/);
    const rule = (extra: object) => ({ merchandising: [{}, {}, extra] });
    rejects(rule({ pin: [{ id: 'p1', position: 0 }] }), 'merchandising[2].pin[0].position', /1 to 1000/);
    rejects(rule({ pin: [{ id: 'p1', position: 1.5 }] }), 'merchandising[2].pin[0].position');
    rejects(rule({ pin: [{ id: '', position: 1 }] }), 'merchandising[2].pin[0].id');
    rejects(rule({ pin: [{ id: 'p1', postion: 1 }] }), 'merchandising[2].pin[0].postion', /not a known/);
    rejects(rule({ hide: 'p1' }), 'merchandising[2].hide', /array/);
    rejects(
      rule({ boost: [{ filter: 'brand =', factor: 2 }] }),
      'merchandising[2].boost[0].filter',
      /filter/,
    );
    rejects(rule({ boost: [{ filter: 'brand = A', factor: 0.5 }] }), 'merchandising[2].boost[0].factor');
    rejects(
      rule({ bury: [{ filter: 'brand = A', factor: 2 }] }),
      'merchandising[2].bury[0].factor',
      /0 and 1/,
    );
    rejects(rule({ query: {} }), 'merchandising[2].query', /exactly one/);
    rejects(rule({ query: { equals: 'a', contains: 'b' } }), 'merchandising[2].query', /exactly one/);
    rejects(rule({ query: { regex: '(' } }), 'merchandising[2].query.regex', /regular expression/);
    rejects(rule({ query: { contains: '' } }), 'merchandising[2].query.contains');
  });
});

describe('synonymVariants', () => {
  const variants = (rules: unknown, q: string) => synonymVariants(compileRules(rules), q, analyze(q));
  const texts = (rules: unknown, q: string) => variants(rules, q).map((v) => v.text.trim());

  it('two-way: each phrase of a group finds the others; plurals and case fold', () => {
    const rules = { synonyms: [{ terms: ['tv', 'television'] }, { terms: ['sofa', 'couch', 'settee'] }] };
    assert.deepEqual(texts(rules, 'TV stand'), ['television stand']);
    assert.deepEqual(texts(rules, 'television stand'), ['tv stand']);
    assert.deepEqual(texts(rules, 'leather sofas'), ['leather couch', 'leather settee']);
    assert.deepEqual(texts(rules, 'lamp'), []);
    const [variant] = variants(rules, 'tv');
    assert.equal(variant?.weight, SYNONYM_WEIGHT);
    assert.equal(variant?.text, 'television ', 'a substituted last word is not completed as a prefix');
  });

  it('one-way: the query with `from` also finds `to`, not the reverse', () => {
    const rules = { synonyms: [{ from: 'iphone', to: ['smartphone', 'mobile phone'] }] };
    assert.deepEqual(texts(rules, 'iphone case'), ['smartphone case', 'mobile phone case']);
    assert.deepEqual(texts(rules, 'smartphone case'), []);
  });

  it('matches multi-word phrases whole and longest first, and Chinese by characters', () => {
    const rules = {
      synonyms: [
        { terms: ['flat screen tv', 'television'] },
        { terms: ['tv', 'telly'] },
        { terms: ['手机', '电话'] },
      ],
    };
    assert.deepEqual(texts(rules, 'flat screen TV'), ['television']);
    assert.deepEqual(texts(rules, 'television'), ['flat screen tv']);
    assert.deepEqual(texts(rules, 'flat tv'), ['flat telly']);
    assert.deepEqual(texts(rules, '华为手机壳'), ['华为电话壳']);
    assert.deepEqual(texts(rules, '电话'), ['手机']);
  });

  it('combines several phrases, fewest substitutions first, weighted per substitution', () => {
    const rules = { synonyms: [{ terms: ['tv', 'television'] }, { terms: ['sofa', 'couch'] }] };
    const found = variants(rules, 'tv sofa ');
    assert.deepEqual(
      found.map((v) => [v.text, v.weight]),
      [
        ['television sofa ', SYNONYM_WEIGHT],
        ['tv couch ', SYNONYM_WEIGHT],
        ['television couch ', SYNONYM_WEIGHT * SYNONYM_WEIGHT],
      ],
    );
  });

  it('merges variant matches by best score, without counting a product twice', () => {
    const keys = (...k: string[]) => new Set(k);
    const original = {
      docIds: Int32Array.from([1, 2]),
      scores: Float32Array.from([3, 1]),
      matchedKeys: keys('tv'),
      bestCoverage: 0.5,
      translation: undefined,
    };
    const merged = mergeVariantMatches(original, [
      {
        docIds: Int32Array.from([2, 3, 1]),
        scores: Float32Array.from([2, 4, 2]),
        matchedKeys: keys('televis'),
        bestCoverage: 1,
        weight: 0.5,
      },
    ]);
    const byDoc = new Map([...merged.docIds].map((docId, i) => [docId, merged.scores[i]]));
    assert.deepEqual([...byDoc].sort(), [
      [1, 3],
      [2, 1],
      [3, 2],
    ]);
    assert.deepEqual([...merged.matchedKeys].sort(), ['televis', 'tv']);
    assert.equal(merged.bestCoverage, 1);
  });
});

describe('applyMerchandising', () => {
  // Ten products d0…d9 (document numbers 0…9); d0 is a brand-A product, d1…d4 brand B; all others C.
  const brands = ['A', 'B', 'B', 'B', 'B', 'C', 'C', 'C', 'C', 'C'];
  const context = (overrides: Partial<MerchandisingContext> = {}): MerchandisingContext => ({
    relevance: true,
    docIdOf: (id) => (/^d\d$/.test(id) ? Number(id.slice(1)) : undefined),
    accepts: () => true,
    compile: (node: FilterNode) => {
      assert.equal(node.type, 'compare');
      const value = node.type === 'compare' ? String(node.value) : '';
      return (docId) => brands[docId] === value;
    },
    ...overrides,
  });
  /** Matches d1…d5 with scores 5…1. */
  const ranked = (): Ranked => ({
    docIds: Int32Array.from([1, 2, 3, 4, 5]),
    scores: Float32Array.from([5, 4, 3, 2, 1]),
  });
  const order = (result: Ranked): string[] =>
    [...result.docIds]
      .map((docId, i) => ({ docId, score: result.scores[i]! }))
      .sort((a, b) => b.score - a.score || a.docId - b.docId)
      .map(({ docId }) => `d${docId}`);
  const apply = (merchandising: unknown[], q = 'shoe', ctx = context(), input = ranked()) =>
    applyMerchandising(compileRules({ merchandising }), q, input, ctx);

  it('leaves the ranking alone when no rule matches the query', () => {
    const input = ranked();
    const result = apply([{ query: { equals: 'boot' }, hide: ['d1'] }], 'shoe', context(), input);
    assert.equal(result, input);
  });

  it('matches query patterns: equals (plurals folded), contains (words in a row), regex, none', () => {
    const compiled = compileRules({
      merchandising: [
        { id: 'eq', query: { equals: 'running shoe' } },
        { id: 'has', query: { contains: 'shoe' } },
        { id: 're', query: { regex: '^run' } },
        { id: 'all' },
        { id: 'browse', query: { equals: '' } },
      ],
    });
    const ids = (q: string) => matchingRules(compiled, q).map((rule) => compiled.merchandising.indexOf(rule));
    assert.deepEqual(ids('Running Shoes'), [0, 1, 2, 3]);
    assert.deepEqual(ids('trail shoe'), [1, 3]);
    assert.deepEqual(ids('shoelace'), [3]);
    assert.deepEqual(ids(''), [3, 4]);
  });

  it('hides products', () => {
    const result = apply([{ hide: ['d2', 'd7', 'nope'] }]);
    assert.deepEqual(order(result), ['d1', 'd3', 'd4', 'd5']);
  });

  it('boosts and buries by filter, factors multiplying', () => {
    // B products d1…d4 scores 5, 4, 3, 2; C d5 1. Bury B by 0.1: d5 (1) above d1 (0.5).
    assert.deepEqual(order(apply([{ bury: [{ filter: 'brand = B', factor: 0.1 }] }])), [
      'd5',
      'd1',
      'd2',
      'd3',
      'd4',
    ]);
    const result = apply([
      { boost: [{ filter: 'brand = C', factor: 3 }] },
      { query: { contains: 'shoe' }, boost: [{ filter: 'brand = C', factor: 2 }] },
    ]);
    assert.equal(result.scores[4], 6);
    assert.deepEqual(order(result), ['d5', 'd1', 'd2', 'd3', 'd4']);
  });

  it('orders a browse result (all scores 0) by boosts too', () => {
    const browse = { docIds: Int32Array.from([0, 1, 5]), scores: new Float32Array(3) };
    const result = apply([{ boost: [{ filter: 'brand = C', factor: 2 }] }], '', context(), browse);
    assert.deepEqual(order(result), ['d5', 'd0', 'd1']);
  });

  it('pins products to 1-based positions, including ones the query did not match', () => {
    const result = apply([
      {
        pin: [
          { id: 'd4', position: 1 },
          { id: 'd8', position: 3 },
        ],
      },
    ]);
    assert.deepEqual(order(result), ['d4', 'd1', 'd8', 'd2', 'd3', 'd5']);
    assert.equal(result.docIds.length, 6, 'the total counts the pinned product');
  });

  it('moves a product pinned below its natural rank down', () => {
    const result = apply([{ pin: [{ id: 'd1', position: 4 }] }]);
    assert.deepEqual(order(result), ['d2', 'd3', 'd4', 'd1', 'd5']);
  });

  it('resolves clashes: a taken position moves to the next, a product keeps its first pin, hide wins', () => {
    const result = apply([
      { pin: [{ id: 'd5', position: 1 }], hide: ['d9'] },
      {
        pin: [
          { id: 'd6', position: 1 },
          { id: 'd5', position: 5 },
          { id: 'd9', position: 2 },
        ],
      },
    ]);
    assert.deepEqual(order(result), ['d5', 'd6', 'd1', 'd2', 'd3', 'd4']);
  });

  it('puts a pin past the end of the result last, and pins into an empty result', () => {
    assert.deepEqual(order(apply([{ pin: [{ id: 'd9', position: 50 }] }])), [
      'd1',
      'd2',
      'd3',
      'd4',
      'd5',
      'd9',
    ]);
    const empty = { docIds: new Int32Array(0), scores: new Float32Array(0) };
    const result = apply(
      [
        {
          pin: [
            { id: 'd7', position: 2 },
            { id: 'd8', position: 1 },
          ],
        },
      ],
      'shoe',
      context(),
      empty,
    );
    assert.deepEqual(order(result), ['d8', 'd7']);
  });

  it('keeps pinned products out when the request filter refuses them', () => {
    const ctx = context({ accepts: (docId) => docId !== 8 });
    assert.deepEqual(order(apply([{ pin: [{ id: 'd8', position: 1 }] }], 'shoe', ctx)), [
      'd1',
      'd2',
      'd3',
      'd4',
      'd5',
    ]);
  });

  it('ignores pins for other sort orders but still hides', () => {
    const ctx = context({ relevance: false });
    const result = apply([{ pin: [{ id: 'd8', position: 1 }], hide: ['d1'] }], 'shoe', ctx);
    assert.deepEqual(order(result), ['d2', 'd3', 'd4', 'd5']);
  });

  it('keeps pins in place among tied and negative scores', () => {
    const tied = { docIds: Int32Array.from([1, 2, 3, 4]), scores: Float32Array.from([1, 1, -1, -2]) };
    const result = apply(
      [
        {
          pin: [
            { id: 'd9', position: 2 },
            { id: 'd8', position: 4 },
          ],
        },
      ],
      'shoe',
      context(),
      tied,
    );
    assert.deepEqual(order(result), ['d1', 'd9', 'd2', 'd8', 'd3', 'd4']);
  });
});
