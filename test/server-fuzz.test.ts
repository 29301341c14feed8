/**
 * Fuzzing the query and filter parsers through a real `souk serve` child on 127.0.0.1 (fast-check, fixed
 * seed, bounded runs): random and structured-but-wrong filter expressions (token soup from the filter
 * grammar, near-valid conditions with one part broken, deep nesting, over-long input), random query
 * parameters (q, filter, facets, sort, limit, offset, mode, prefix, typos, highlight, weights), malformed
 * percent-encoding, random JSON bodies for POST /search and /search/batch, random /suggest and /similar.
 * Every answer must be 2xx or 4xx, never 5xx; every 4xx body carries a stable `error.code` (one of
 * ERROR_CODES) and a message; afterwards the process is alive, /health answers 200 and no server error
 * was logged.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES } from '../src/errors.ts';
import { runCli, startCliServer, type CliServer } from './helpers/cli-process.ts';
import { KeepAliveClient } from './helpers/keepalive-client.ts';
import { PACKAGE_ROOT } from './helpers/paths.ts';
import { BRANDS, WORDS, writeSyntheticCatalogue } from './helpers/synthetic-catalogue.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';

const RUNS = 400;
const SEED = 20_261_201;

let work: string;
let server: CliServer;
let http: KeepAliveClient;

before(async () => {
  work = await makeTempDir('souk-fuzz-');
  const file = join(work, 'catalogue.jsonl');
  await writeSyntheticCatalogue(file, 500, 2);
  const dataDir = join(work, 'data');
  const ingest = await runCli(['ingest', file, '--data', dataDir], { cwd: PACKAGE_ROOT });
  assert.equal(ingest.code, 0, ingest.stderr);
  server = await startCliServer(
    ['serve', '--data', dataDir, '--host', '127.0.0.1', '--port', '0', '--no-embed', '--log-level', 'silent'],
    { cwd: PACKAGE_ROOT, env: { SOUK_ADMIN_KEY: 'fuzz-admin-key' }, timeoutMs: 30_000 },
  );
  http = new KeepAliveClient(server.url, { maxSockets: 4 });
});

after(async () => {
  http?.close();
  await server?.stop('SIGKILL');
  await removeTempDir(work);
});

// ---- filter expressions -------------------------------------------------------------------------------

const FIELDS = [
  'brand',
  'price',
  'rating',
  'reviews',
  'category',
  'lang',
  'currency',
  'id',
  'color',
  'attributes.color',
  'width_cm',
  'attributes.',
  '"screen size"',
  'Price',
  'BRAND',
];
const OPERATORS = ['=', '!=', '>', '>=', '<', '<=', '==', '=>', '<>', '=!', '~', '!'];
const KEYWORDS = ['AND', 'OR', 'NOT', 'IN', 'TO', 'EXISTS', 'and', 'or', 'not', 'in', 'to', 'exists'];
const PUNCTUATION = ['(', ')', '[', ']', ',', '"', '\\', '>', ' > '];
const NUMBERS = [
  '0',
  '-1',
  '3.5',
  '.5',
  '1e3',
  '1e400',
  '-0',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  '10.',
  '1e-400',
];

const text = fc.string({ maxLength: 30 });
const unicodeText = fc.string({ unit: 'binary', maxLength: 30 });
const valueArb = fc.oneof(
  fc.constantFrom(...NUMBERS),
  fc.constantFrom(...BRANDS, ...WORDS, 'Men > Tops', 'Outdoor > Camping', '中文', '🙂'),
  text.map((s) => JSON.stringify(s)), // a well-formed quoted string, escapes included
  text.map((s) => `"${s}`), // an unterminated one
  fc.double().map(String),
  unicodeText,
);
const fieldArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FIELDS) },
  { weight: 1, arbitrary: text },
);
const tokenArb = fc.oneof(fieldArb, fc.constantFrom(...OPERATORS, ...KEYWORDS, ...PUNCTUATION), valueArb);
/** Random tokens of the filter language in random order. */
const tokenSoup = fc.array(tokenArb, { minLength: 1, maxLength: 12 }).chain((tokens) =>
  fc
    .array(fc.constantFrom(' ', '', '  ', '\t', '\n'), {
      minLength: tokens.length,
      maxLength: tokens.length,
    })
    .map((gaps) => tokens.map((token, i) => token + gaps[i]).join('')),
);
/** One condition: valid shapes with random parts. */
const conditionArb = fc.oneof(
  fc.tuple(fieldArb, fc.constantFrom(...OPERATORS), valueArb).map(([f, op, v]) => `${f} ${op} ${v}`),
  fc.tuple(fieldArb, valueArb, valueArb).map(([f, a, b]) => `${f} ${a} TO ${b}`),
  fc
    .tuple(fieldArb, fc.boolean(), fc.array(valueArb, { maxLength: 4 }), fc.boolean())
    .map(([f, not, values, close]) => `${f} ${not ? 'NOT ' : ''}IN [${values.join(', ')}${close ? ']' : ''}`),
  fc.tuple(fieldArb, fc.boolean()).map(([f, not]) => `${f} ${not ? 'NOT ' : ''}EXISTS`),
);
/** Conditions combined with AND / OR / NOT and parentheses, some of which are then broken. */
const { expression } = fc.letrec<{ expression: string }>((tie) => ({
  expression: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    conditionArb,
    fc
      .tuple(
        tie('expression'),
        fc.constantFrom('AND', 'OR', 'and', 'or', 'AND NOT', 'OR OR', ''),
        tie('expression'),
      )
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('expression').map((e) => `NOT ${e}`),
    tie('expression').map((e) => `(${e})`),
    tie('expression').map((e) => `(${e}`),
    tie('expression').map((e) => `${e})`),
  ),
}));
const brokenExpression = fc
  .tuple(
    expression,
    fc.nat(),
    fc.nat({ max: 5 }),
    fc.constantFrom(...PUNCTUATION, ...OPERATORS, ...KEYWORDS, ''),
  )
  .map(([e, at, cut, insert]) => {
    const i = at % (e.length + 1);
    return e.slice(0, i) + insert + e.slice(i + cut);
  });
const deepNesting = fc
  .tuple(fc.integer({ min: 20, max: 200 }), fc.boolean(), conditionArb)
  .map(([depth, close, c]) => '('.repeat(depth) + c + (close ? ')'.repeat(depth) : ''));
const longFilter = fc
  .tuple(conditionArb, fc.integer({ min: 100, max: 700 }))
  .map(([c, n]) => Array.from({ length: n }, () => c).join(' AND '));
const filterArb = fc.oneof(
  { weight: 3, arbitrary: expression },
  { weight: 3, arbitrary: brokenExpression },
  { weight: 2, arbitrary: tokenSoup },
  { weight: 1, arbitrary: unicodeText },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: longFilter },
);

// ---- request parameters -------------------------------------------------------------------------------

const integerText = fc.oneof(
  fc.integer({ min: -10, max: 2000 }).map(String),
  fc.constantFrom('1e3', '1.5', '', ' ', '9999999999999999999', '-0', '0x10', '+5', '1,000', 'ten'),
  text,
);
const queryArb = fc.oneof(
  fc
    .array(fc.constantFrom(...WORDS, 'jaket', 'hoodei', '中文', 'wool-blend', "men's", '50%'), {
      maxLength: 5,
    })
    .map((w) => w.join(' ')),
  text,
  unicodeText,
  fc.string({ minLength: 500, maxLength: 600 }), // around search.maxQueryLength (512)
);
/** Mostly a valid value, sometimes a fuzzed one: so that one bad parameter does not hide the others. */
const mostly = <T>(valid: fc.Arbitrary<T>, fuzzed: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: fuzzed });
const VALID_FILTERS = ['brand = Acme', 'price 10 TO 200', 'color IN [Red, Blue]', 'NOT rating EXISTS', ''];
const paramsArb = fc.record(
  {
    q: mostly(fc.constantFrom(...WORDS, 'wool jacket', ''), queryArb),
    // The filter is the main target: fuzzed most of the time.
    filter: fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(...VALID_FILTERS) },
      { weight: 4, arbitrary: filterArb },
    ),
    facets: mostly(
      fc.subarray(['brand', 'category', 'color', 'price', 'rating', 'width_cm']).map((f) => f.join(',')),
      fc.oneof(
        fc.array(fieldArb, { maxLength: 6 }).map((f) => f.join(',')),
        text,
      ),
    ),
    sort: mostly(
      fc.constantFrom('relevance', 'price:asc', 'price:desc', 'rating:desc', 'rating:asc'),
      fc.oneof(fc.constantFrom('price', 'PRICE:ASC', 'price:up', ''), text),
    ),
    limit: mostly(fc.integer({ min: 1, max: 100 }).map(String), integerText),
    offset: mostly(fc.integer({ min: 0, max: 600 }).map(String), integerText),
    // semantic and hybrid embed the query (random text included) with the default text model.
    mode: mostly(
      fc.constantFrom('keyword', 'keyword', 'keyword', 'semantic', 'hybrid'),
      fc.oneof(fc.constantFrom('image', 'auto', 'KEYWORD', ''), text),
    ),
    prefix: mostly(fc.constantFrom('true', 'false', '1', '0', ''), fc.oneof(fc.constantFrom('yes'), text)),
    typos: mostly(fc.constantFrom('true', 'false', '1', '0', ''), fc.oneof(fc.constantFrom('no'), text)),
    highlight: mostly(fc.constantFrom('true', 'false'), text),
    weights: mostly(
      fc.constantFrom('lexical:1', 'lexical:1,text:0.5'),
      fc.oneof(fc.constantFrom('lexical:-1', 'foo:1', 'lexical', 'lexical:x'), text),
    ),
  },
  { requiredKeys: [] },
);

type Probe = { method: 'GET' | 'POST'; path: string; body?: string };

const getSearch = paramsArb.map((params): Probe => ({
  method: 'GET',
  path: `/search?${new URLSearchParams(params)}`,
}));
/** Query strings with broken percent-encoding or raw characters, sent as they are. */
const rawSearch = fc
  .tuple(
    fc.constantFrom('q', 'filter', 'facets', 'sort', 'limit', 'offset', 'mode'),
    fc.constantFrom('%', '%Z', '%E0%A4%A', '%C3%28', '%FF', '%00', '%%', '%2', '+%', '%u0041'),
    fc.stringMatching(/^[A-Za-z0-9=&._~-]{0,10}$/),
  )
  .map(([name, broken, rest]): Probe => ({ method: 'GET', path: `/search?${name}=${rest}${broken}${rest}` }));
const typedBody = fc.record(
  {
    q: mostly(fc.constantFrom(...WORDS, 'wool jacket'), fc.oneof(queryArb, fc.jsonValue())),
    filter: fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(...VALID_FILTERS) },
      { weight: 4, arbitrary: filterArb },
      { weight: 1, arbitrary: fc.jsonValue() },
    ),
    facets: mostly(
      fc.subarray(['brand', 'color', 'price', 'rating']),
      fc.oneof(fc.array(fieldArb, { maxLength: 4 }), fc.jsonValue()),
    ),
    sort: mostly(fc.constantFrom('price:asc', 'rating:desc', 'relevance'), fc.jsonValue()),
    limit: mostly(
      fc.integer({ min: 1, max: 100 }),
      fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), fc.jsonValue()),
    ),
    offset: mostly(
      fc.integer({ min: 0, max: 600 }),
      fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.jsonValue()),
    ),
    mode: mostly(
      fc.constantFrom('keyword', 'keyword', 'semantic', 'hybrid'),
      fc.oneof(fc.constantFrom('image'), fc.jsonValue()),
    ),
    weights: mostly(fc.constant({ lexical: 1, text: 0.5 }), fc.jsonValue()),
    highlight: mostly(fc.boolean(), fc.jsonValue()),
  },
  { requiredKeys: [] },
);
const postBodyArb = fc.oneof(
  { weight: 6, arbitrary: typedBody.map((body) => JSON.stringify(body)) },
  // Query-string style (every value a string: wrong types for limit, prefix...), or an unknown field.
  { weight: 1, arbitrary: paramsArb.map((params) => JSON.stringify(params)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(typedBody, text, fc.jsonValue())
      .map(([body, k, v]) => JSON.stringify({ ...body, [k]: v })),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.oneof(text, fc.constantFrom('{', '{"q": ', '[', 'null', '', '{"q": "a"}}')) },
);
const postSearch = postBodyArb.map((body): Probe => ({ method: 'POST', path: '/search', body }));
const postBatch = fc
  .oneof(
    fc
      .array(postBodyArb, { maxLength: 5 })
      .map((bodies) => `{"queries": [${bodies.filter((b) => b.trim() !== '').join(',')}]}`),
    fc.jsonValue().map((queries) => JSON.stringify({ queries })),
    postBodyArb,
  )
  .map((body): Probe => ({ method: 'POST', path: '/search/batch', body }));
const suggest = fc
  .record({ q: queryArb, limit: integerText }, { requiredKeys: [] })
  .map((params): Probe => ({ method: 'GET', path: `/suggest?${new URLSearchParams(params)}` }));
const similar = fc
  .tuple(
    fc.oneof(fc.constantFrom('p1', 'p42', 'nope'), text),
    fc.record({ filter: filterArb, limit: integerText, offset: integerText }, { requiredKeys: [] }),
  )
  .map(([id, params]): Probe => ({
    method: 'GET',
    path: `/products/${encodeURIComponent(id)}/similar?${new URLSearchParams(params)}`,
  }));

/** Only a query and a filter, so nothing else can be refused first: the filter parser's share. */
const getFilter = fc
  .tuple(fc.constantFrom(...WORDS, ''), filterArb)
  .map(([q, filter]): Probe => ({ method: 'GET', path: `/search?${new URLSearchParams({ q, filter })}` }));

const probeArb = fc.oneof(
  { weight: 4, arbitrary: getFilter },
  { weight: 5, arbitrary: getSearch },
  { weight: 1, arbitrary: rawSearch },
  { weight: 3, arbitrary: postSearch },
  { weight: 1, arbitrary: postBatch },
  { weight: 1, arbitrary: suggest },
  { weight: 1, arbitrary: similar },
);

const KNOWN_CODES = new Set<string>(ERROR_CODES);

describe('fuzzing the search parameters and filter language of souk serve', () => {
  it(
    `never crashes, never answers 5xx, and names every refusal with a stable code (${RUNS} runs, seed ${SEED})`,
    { timeout: 120_000 },
    async (t) => {
      const statuses = new Map<number, number>();
      const codes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(probeArb, async (probe) => {
          const reply = await http.request(probe.method, probe.path, {
            ...(probe.body !== undefined
              ? { body: probe.body, headers: { 'content-type': 'application/json' } }
              : {}),
          });
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          assert.ok(
            reply.status >= 200 && reply.status < 500,
            `${reply.status}: ${reply.text.slice(0, 500)}`,
          );
          const body = JSON.parse(reply.text) as {
            error?: { code?: unknown; message?: unknown };
            hits?: unknown;
          };
          if (reply.status >= 400) {
            const code = body.error?.code;
            assert.ok(
              typeof code === 'string' && KNOWN_CODES.has(code),
              `unstable error code: ${reply.text.slice(0, 300)}`,
            );
            assert.ok(typeof body.error?.message === 'string' && body.error.message.length > 0, reply.text);
            codes.set(code, (codes.get(code) ?? 0) + 1);
          }
        }),
        {
          numRuns: RUNS,
          seed: SEED,
          endOnFailure: false,
          interruptAfterTimeLimit: 90_000,
          markInterruptAsFailure: true,
        },
      );
      t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
      t.diagnostic(`error codes: ${JSON.stringify(Object.fromEntries(codes))}`);
      assert.ok((statuses.get(200) ?? 0) > RUNS / 20, 'a fair share of the requests was valid');
      assert.ok((statuses.get(400) ?? 0) > RUNS / 10, 'a fair share of the requests was refused');
      assert.ok(
        (codes.get('INVALID_FILTER') ?? 0) > RUNS / 10,
        'a fair share reached the filter parser and was refused there',
      );

      assert.equal(server.child.exitCode, null, 'the server is still running');
      const health = await http.json<{ status: string; products: number }>('GET', '/health');
      assert.equal(health.status, 200);
      assert.deepEqual([health.body.status, health.body.products], ['ok', 500]);
      assert.doesNotMatch(server.stderr(), /failed: \[/, 'no request ended in a server error');
    },
  );

  it('answers requests that Node refuses before the app (too long, malformed) with a JSON error code', async () => {
    const long = await http.request('GET', `/search?filter=${'x'.repeat(20_000)}`);
    assert.equal(long.status, 431);
    assert.equal((JSON.parse(long.text) as { error: { code: string } }).error.code, 'INVALID_REQUEST');

    const raw = await new Promise<string>((resolve, reject) => {
      const url = new URL(server.url);
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.write('GET /search?q=a b\x01 HTTP/1.1\r\n\r\n'),
      );
      let answer = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('no answer to a malformed request')));
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as {
      error: { code: string; message: string };
    };
    assert.equal(body.error.code, 'INVALID_REQUEST');
    assert.match(body.error.message, /Malformed HTTP request/);
    assert.equal((await http.request('GET', '/health')).status, 200);
  });
});
