import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SoukError } from '../errors.ts';
import {
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  filterFromJSON,
  formatFilter,
  parseFilter,
  resolveFieldName,
} from './filter-parser.ts';
import type { FilterNode } from './filter-parser.ts';

const eq = (field: string, value: string | number, op = '='): FilterNode =>
  ({ type: 'compare', field, op, value }) as FilterNode;

function parseError(expr: string): SoukError {
  try {
    parseFilter(expr);
  } catch (error) {
    assert.ok(error instanceof SoukError, `expected SoukError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_FILTER');
    return error;
  }
  assert.fail(`expected ${JSON.stringify(expr)} to fail`);
}

test('comparison operators', () => {
  assert.deepEqual(parseFilter('brand = Nike'), eq('brand', 'Nike'));
  assert.deepEqual(parseFilter('brand != Nike'), eq('brand', 'Nike', '!='));
  assert.deepEqual(parseFilter('brand!=Nike'), eq('brand', 'Nike', '!='));
  assert.deepEqual(parseFilter('price > 10'), eq('price', 10, '>'));
  assert.deepEqual(parseFilter('price >= 10'), eq('price', 10, '>='));
  assert.deepEqual(parseFilter('price<10'), eq('price', 10, '<'));
  assert.deepEqual(parseFilter('price <= 10.5'), eq('price', 10.5, '<='));
  assert.deepEqual(parseFilter('price = -3'), eq('price', -3));
  assert.deepEqual(parseFilter('rating > .5'), eq('rating', 0.5, '>'));
  assert.deepEqual(parseFilter('reviews < 1e3'), eq('reviews', 1000, '<'));
  assert.deepEqual(parseFilter('price 10 TO 50'), { type: 'range', field: 'price', min: 10, max: 50 });
  assert.deepEqual(parseFilter('width -2.5 to 3'), {
    type: 'range',
    field: 'attributes.width',
    min: -2.5,
    max: 3,
  });
  assert.deepEqual(parseFilter('color IN [Red, Blue]'), {
    type: 'in',
    field: 'attributes.color',
    values: ['Red', 'Blue'],
  });
  assert.deepEqual(parseFilter('size NOT IN [S, "M", 32,]'), {
    type: 'not',
    child: { type: 'in', field: 'attributes.size', values: ['S', 'M', 32] },
  });
  assert.deepEqual(parseFilter('brand EXISTS'), { type: 'exists', field: 'brand' });
  assert.deepEqual(parseFilter('brand not exists'), {
    type: 'not',
    child: { type: 'exists', field: 'brand' },
  });
});

test('field names: built-ins, attributes, prefixes, case', () => {
  assert.equal(resolveFieldName('Brand'), 'brand');
  assert.equal(resolveFieldName('CATEGORY'), 'category');
  for (const f of ['price', 'rating', 'reviews', 'lang', 'currency', 'id'])
    assert.equal(resolveFieldName(f), f);
  assert.equal(resolveFieldName('color'), 'attributes.color');
  assert.equal(resolveFieldName('Attributes.Color'), 'attributes.color');
  assert.equal(resolveFieldName('attributes.brand'), 'attributes.brand');
  assert.equal(resolveFieldName('attributes.'), undefined);
  assert.equal(resolveFieldName('  '), undefined);
  assert.deepEqual(parseFilter('"screen size" > 15'), eq('attributes.screen size', 15, '>'));
  assert.deepEqual(parseFilter('attributes.eco_collection = Yes'), eq('attributes.eco_collection', 'Yes'));
});

test('precedence: NOT > AND > OR, parentheses override', () => {
  assert.deepEqual(parseFilter('a = 1 OR b = 2 AND c = 3'), {
    type: 'or',
    children: [
      eq('attributes.a', 1),
      { type: 'and', children: [eq('attributes.b', 2), eq('attributes.c', 3)] },
    ],
  });
  assert.deepEqual(parseFilter('(a = 1 OR b = 2) AND c = 3'), {
    type: 'and',
    children: [
      { type: 'or', children: [eq('attributes.a', 1), eq('attributes.b', 2)] },
      eq('attributes.c', 3),
    ],
  });
  assert.deepEqual(parseFilter('NOT a = 1 AND b = 2'), {
    type: 'and',
    children: [{ type: 'not', child: eq('attributes.a', 1) }, eq('attributes.b', 2)],
  });
  assert.deepEqual(parseFilter('NOT (a = 1 AND b = 2)'), {
    type: 'not',
    child: { type: 'and', children: [eq('attributes.a', 1), eq('attributes.b', 2)] },
  });
  assert.deepEqual(parseFilter('not not a exists'), {
    type: 'not',
    child: { type: 'not', child: { type: 'exists', field: 'attributes.a' } },
  });
  assert.deepEqual(parseFilter('a = 1 AND b = 2 AND c = 3 or d = 4'), {
    type: 'or',
    children: [
      { type: 'and', children: [eq('attributes.a', 1), eq('attributes.b', 2), eq('attributes.c', 3)] },
      eq('attributes.d', 4),
    ],
  });
});

test('keywords are case-insensitive', () => {
  assert.deepEqual(
    parseFilter('brand = a or brand = b and not color in [x] And price 1 to 2'),
    parseFilter('brand = a OR brand = b AND NOT color IN [x] AND price 1 TO 2'),
  );
  assert.deepEqual(parseFilter('brand Exists'), { type: 'exists', field: 'brand' });
});

test('values: quoted strings, escapes, paths, multi-word bare values, numbers', () => {
  assert.deepEqual(parseFilter('brand = "Under Armour"'), eq('brand', 'Under Armour'));
  assert.deepEqual(parseFilter('brand = Under   Armour'), eq('brand', 'Under Armour'));
  assert.deepEqual(parseFilter('brand = "say \\"hi\\" \\\\ ok"'), eq('brand', 'say "hi" \\ ok'));
  assert.deepEqual(parseFilter('brand = "a AND b OR (c)"'), eq('brand', 'a AND b OR (c)'));
  assert.deepEqual(parseFilter('category = "Men > Tops"'), eq('category', 'Men > Tops'));
  assert.deepEqual(
    parseFilter('category = Men > Tops > Hoodies & Sweatshirts'),
    eq('category', 'Men > Tops > Hoodies & Sweatshirts'),
  );
  assert.deepEqual(parseFilter('category = Hoodies & Sweatshirts'), eq('category', 'Hoodies & Sweatshirts'));
  assert.deepEqual(parseFilter('category IN [Men > Tops, "Gear"]'), {
    type: 'in',
    field: 'category',
    values: ['Men > Tops', 'Gear'],
  });
  // Inside a list AND/OR are ordinary words.
  assert.deepEqual(parseFilter('brand IN [Black and Decker, Or]'), {
    type: 'in',
    field: 'brand',
    values: ['Black and Decker', 'Or'],
  });
  assert.deepEqual(parseFilter('brand = Yahoo!'), eq('brand', 'Yahoo!'));
  assert.deepEqual(parseFilter('lang = zh-Hant'), eq('lang', 'zh-Hant'));
  assert.deepEqual(parseFilter('size = 10'), eq('attributes.size', 10));
  assert.deepEqual(parseFilter('size = "10"'), eq('attributes.size', '10'));
  assert.deepEqual(parseFilter('size = 10 US'), eq('attributes.size', '10 US'));
  assert.deepEqual(parseFilter('brand = 3M'), eq('brand', '3M'));
  assert.deepEqual(parseFilter('price = "12.5"'), eq('price', 12.5));
  assert.deepEqual(parseFilter('price IN [1, 2.5, -3]'), {
    type: 'in',
    field: 'price',
    values: [1, 2.5, -3],
  });
  assert.deepEqual(parseFilter('brand = ""'), eq('brand', ''));
  assert.deepEqual(parseFilter('eco = true'), eq('attributes.eco', 'true'));
});

test('blank expression matches everything', () => {
  assert.deepEqual(parseFilter(''), { type: 'all' });
  assert.deepEqual(parseFilter('  \n\t'), { type: 'all' });
});

test('error messages name the position and what was expected', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['brand = ', 8, /^filter: expected a value after "=" at position 8 in 'brand = '$/],
    ['price > abc', 8, /expected a number after ">", found 'abc'/],
    ['(brand = Nike', 13, /expected AND, OR or "\)" to close the "\(" at position 0 at position 13/],
    ['brand = Nike)', 12, /unbalanced "\)"/],
    ['brand Nike', 6, /expected an operator .* after field "brand", found 'Nike'/],
    ['color IN Red', 9, /expected "\[" after IN/],
    ['color IN [Red, ', 15, /expected a value in the list/],
    ['color IN [Red Blue', 18, /expected "," or "\]" in the list opened at position 9/],
    ['brand = "Nike', 8, /unterminated quoted string starting at position 8/],
    ['brand = "Nike\\', 8, /unterminated quoted string/],
    ['price 10 TO', 11, /expected a number after TO/],
    ['price 10 50', 9, /expected TO after "price 10", found '50'/],
    ['AND brand = x', 0, /expected a field name, NOT or "\(", found 'AND'/],
    ['brand = x AND', 13, /expected a field name, NOT or "\("/],
    ['brand NOT = x', 10, /expected IN or EXISTS after NOT/],
    ['price = cheap', 8, /expected a number for numeric field "price"/],
    ['= 5', 0, /expected a field name/],
    ['brand = x OR OR y = 1', 13, /found 'OR'/],
    ['a > 1 2', 6, /expected AND, OR or end of filter, found '2'/],
    ['a = [1]', 4, /expected a value after "=", found "\["/],
    ['category = Men >', 16, /expected a category name after ">"/],
    ['a = 1 AND ()', 11, /expected a field name, NOT or "\(", found "\)"/],
    ['color IN []', 10, /expected a value in the list/],
    ['"attributes." = 1', 0, /empty name/],
    ['price > 1e999', 8, /expected a number/],
  ];
  for (const [expr, position, message] of cases) {
    const error = parseError(expr);
    assert.equal(error.details.position, position, `${expr}: ${error.message}`);
    assert.match(error.message, message, expr);
  }
});

test('length and depth limits', () => {
  const deep = (n: number): string => '('.repeat(n) + 'a = 1' + ')'.repeat(n);
  assert.deepEqual(parseFilter(deep(MAX_FILTER_DEPTH)), eq('attributes.a', 1));
  assert.match(
    parseError(deep(MAX_FILTER_DEPTH + 1)).message,
    /nesting deeper than 32 levels at position 32/,
  );
  assert.match(parseError('NOT '.repeat(MAX_FILTER_DEPTH + 1) + 'a = 1').message, /nesting deeper/);
  // Long flat conjunctions are fine: they do not recurse.
  const flat = Array.from({ length: 300 }, (_, i) => `a = ${i}`).join(' OR ');
  assert.equal((parseFilter(flat) as { children: unknown[] }).children.length, 300);
  const long = 'brand = "' + 'x'.repeat(MAX_FILTER_LENGTH) + '"';
  const error = parseError(long);
  assert.match(error.message, /longer than 4096 characters/);
  assert.ok(error.message.length < 400, 'message quotes only an excerpt of a long expression');
  // 100k nested parentheses must fail fast rather than overflow the stack.
  assert.match(parseError('('.repeat(4000)).message, /nesting deeper/);
});

test('formatFilter prints an expression that parses back to the same tree', () => {
  const exprs = [
    'a = 1 OR b = 2 AND c = 3',
    'NOT (brand = "Under \\"A\\" Armour" OR x EXISTS) AND price 10 TO 50',
    'category = Men > Tops AND color NOT IN [Red, "Light Blue"]',
    '"attributes.brand" = x AND "and" = y AND "screen size" >= 15.5',
    'price = -0 OR rating < 1e-7 OR reviews > 1e21',
    'brand NOT EXISTS',
  ];
  for (const e of exprs) {
    const node = parseFilter(e);
    assert.deepEqual(parseFilter(formatFilter(node)), node, `${e} -> ${formatFilter(node)}`);
  }
  assert.equal(formatFilter({ type: 'all' }), '');
  assert.equal(formatFilter(parseFilter('a = 1 OR b = 2 AND c = 3')), 'a = 1 OR (b = 2 AND c = 3)');
});

test('filterFromJSON validates the structured form and canonicalises field names', () => {
  assert.deepEqual(
    filterFromJSON({ type: 'compare', field: 'Color', op: '=', value: 'Red' }),
    eq('attributes.color', 'Red'),
  );
  assert.deepEqual(
    filterFromJSON({
      type: 'and',
      children: [
        { type: 'range', field: 'price', min: 10, max: '50' },
        { type: 'in', field: 'brand', values: ['Nike', 3] },
        { type: 'not', child: { type: 'exists', field: 'attributes.size' } },
      ],
    }),
    {
      type: 'and',
      children: [
        { type: 'range', field: 'price', min: 10, max: 50 },
        { type: 'in', field: 'brand', values: ['Nike', 3] },
        { type: 'not', child: { type: 'exists', field: 'attributes.size' } },
      ],
    },
  );
  assert.deepEqual(filterFromJSON('brand = Nike'), eq('brand', 'Nike'));
  assert.deepEqual(filterFromJSON({ type: 'or', children: [{ type: 'exists', field: 'brand' }] }), {
    type: 'exists',
    field: 'brand',
  });
  const bad: unknown[] = [
    null,
    [],
    { type: 'nope' },
    { type: 'compare', field: 'brand', op: '~', value: 'x' },
    { type: 'compare', field: 'price', op: '=', value: 'cheap' },
    { type: 'compare', field: 'size', op: '>', value: 'big' },
    { type: 'compare', field: '', op: '=', value: 'x' },
    { type: 'and', children: [] },
    { type: 'in', field: 'brand', values: [{}] },
    { type: 'not', child: { type: 'all' } },
    { type: 'range', field: 'price', min: 1, max: Infinity },
  ];
  for (const b of bad) {
    assert.throws(
      () => filterFromJSON(b),
      (e: unknown) => e instanceof SoukError && e.code === 'INVALID_FILTER',
      JSON.stringify(b),
    );
  }
  let deep: unknown = { type: 'exists', field: 'a' };
  for (let i = 0; i < 100; i++) deep = { type: 'not', child: deep };
  assert.throws(() => filterFromJSON(deep), /nested deeper/);
});

// ---------------------------------------------------------------------------------------------------
// Fuzzing: whatever the input, the parser returns a tree or throws SoukError INVALID_FILTER, quickly.

function onlyFilterErrors(expr: string): void {
  try {
    const node = parseFilter(expr);
    // Whatever parses must print and parse back to itself.
    assert.deepEqual(parseFilter(formatFilter(node)), node, `${expr} -> ${formatFilter(node)}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.ok(error instanceof SoukError, `non-SoukError for ${JSON.stringify(expr)}: ${String(error)}`);
    assert.equal(error.code, 'INVALID_FILTER');
    const pos = error.details.position;
    assert.ok(typeof pos === 'number' && pos >= 0 && pos <= expr.length, `position ${String(pos)}`);
  }
}

const VOCABULARY = [
  'brand',
  'category',
  'price',
  'rating',
  'reviews',
  'lang',
  'currency',
  'id',
  'color',
  'attributes.size',
  'Attributes.',
  '=',
  '!=',
  '!',
  '>',
  '>=',
  '<',
  '<=',
  'AND',
  'or',
  'Not',
  'IN',
  'not in',
  'TO',
  'EXISTS',
  '(',
  ')',
  '[',
  ']',
  ',',
  '"',
  '"Men > Tops"',
  '"a \\" b"',
  '\\',
  'Nike',
  'Men',
  '>',
  'Tops',
  '10',
  '-2.5',
  '.5',
  '1e3',
  '1e999',
  'x y',
  '',
  ' ',
  '\t',
  'ÜNÏ',
  '中文',
  '&',
  'Yahoo!',
];

test('fuzz: random strings never throw anything but INVALID_FILTER', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (s) => onlyFilterErrors(s)),
    { numRuns: 3000 },
  );
});

test('fuzz: token soups from the grammar vocabulary', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 40 }),
      fc.constantFrom(' ', '', '  '),
      (tokens, sep) => onlyFilterErrors(tokens.join(sep)),
    ),
    { numRuns: 5000 },
  );
});

test('fuzz: filterFromJSON on arbitrary values', () => {
  fc.assert(
    fc.property(fc.anything(), (v) => {
      try {
        filterFromJSON(v);
      } catch (error) {
        assert.ok(error instanceof SoukError && error.code === 'INVALID_FILTER', String(error));
      }
    }),
    { numRuns: 2000 },
  );
});

test('adversarial inputs finish quickly', () => {
  const inputs = [
    '('.repeat(MAX_FILTER_LENGTH),
    '"'.repeat(MAX_FILTER_LENGTH),
    'a = '.repeat(1000),
    'a IN ['.repeat(800),
    'x '.repeat(2000),
    '\\'.repeat(MAX_FILTER_LENGTH),
    'NOT '.repeat(1000),
    'a = 1 OR '.repeat(450) + 'a = 1',
  ];
  const t0 = performance.now();
  for (const s of inputs) onlyFilterErrors(s.slice(0, MAX_FILTER_LENGTH));
  assert.ok(performance.now() - t0 < 2000);
});
