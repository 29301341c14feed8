/**
 * Filter language: parses `brand = Nike AND price 10 TO 50` into a `FilterNode` tree that
 * `DocValues.compile` turns into a per-document predicate. The tree is plain JSON, so HTTP clients may
 * also send it directly (`filterFromJSON` validates it) and `formatFilter` prints it back.
 *
 * Grammar (keywords AND OR NOT IN TO EXISTS are case-insensitive; precedence NOT > AND > OR):
 *
 *   filter     := <empty> | or
 *   or         := and ( OR and )*
 *   and        := not ( AND not )*
 *   not        := NOT not | primary
 *   primary    := "(" or ")" | condition
 *   condition  := field cmp value                    brand = Nike, price >= 10, brand != "Under Armour"
 *               | field number TO number             price 10 TO 50  (inclusive both ends)
 *               | field [NOT] IN "[" value ("," value)* [","] "]"
 *               | field [NOT] EXISTS
 *   cmp        := "=" | "!=" | ">" | ">=" | "<" | "<="  (">", ">=", "<", "<=" need a number)
 *   field      := word | quoted                      brand, color, attributes.color, "screen size"
 *   value      := part ( ">" part )*                 category = Men > Tops  ≡  category = "Men > Tops"
 *   part       := quoted | word+                     several bare words join with one space
 *   quoted     := '"' ( any char but '"' and '\' | '\' any char )* '"'
 *   word       := run of characters other than whitespace ( ) [ ] , " = < > and "!="
 *   number     := a word like -12, 3.5, .5, 1e3
 *
 * A value made of a single bare word that reads as a number is a number; anything else is a string.
 * Outside a list, the bare words AND and OR end a value, so a value containing them must be quoted
 * (`brand = "Black and Decker"`); inside `[...]` only "," and "]" end a value.
 *
 * Fields: brand, category, price, rating, reviews, lang, currency, id; any other name, or
 * `attributes.<name>`, is a product attribute. Field names are case-insensitive.
 */
import { SoukError } from '../errors.ts';
import { normalizeValue, parseNumber } from './normalize-value.ts';

export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 32;

export const NUMERIC_FIELDS: readonly string[] = ['price', 'rating', 'reviews'];
export const STRING_FIELDS: readonly string[] = ['brand', 'category', 'lang', 'currency', 'id'];
const BUILTIN_FIELDS = new Set<string>([...NUMERIC_FIELDS, ...STRING_FIELDS]);
export const ATTRIBUTE_PREFIX = 'attributes.';

export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=';
export type FilterValue = string | number;

/**
 * `field` is canonical: a built-in name (`brand`, `price`, ...) or `attributes.<normalised name>`.
 * `NOT IN` and `NOT EXISTS` parse to `not` around `in` / `exists`.
 */
export type FilterNode =
  /** Matches every document: what an empty expression means. Only valid at the top. */
  | { type: 'all' }
  | { type: 'and'; children: FilterNode[] }
  | { type: 'or'; children: FilterNode[] }
  | { type: 'not'; child: FilterNode }
  /** For `>`, `>=`, `<`, `<=` the value is always a number. */
  | { type: 'compare'; field: string; op: CompareOp; value: FilterValue }
  /** Inclusive at both ends. */
  | { type: 'range'; field: string; min: number; max: number }
  | { type: 'in'; field: string; values: FilterValue[] }
  | { type: 'exists'; field: string };

export function isNumericField(field: string): boolean {
  return NUMERIC_FIELDS.includes(field);
}

/**
 * Canonical field key for a name as a user writes it: built-ins stay as they are, anything else becomes
 * `attributes.<name>`. Attribute names are normalised like values so `Color` and `color` are one field.
 * Returns undefined for names that are empty after normalisation.
 */
export function resolveFieldName(name: string): string | undefined {
  const n = normalizeValue(name);
  if (n === '') return undefined;
  if (BUILTIN_FIELDS.has(n)) return n;
  if (n.startsWith(ATTRIBUTE_PREFIX)) {
    const rest = n.slice(ATTRIBUTE_PREFIX.length).trim();
    return rest === '' ? undefined : ATTRIBUTE_PREFIX + rest;
  }
  return ATTRIBUTE_PREFIX + n;
}

// ---------------------------------------------------------------------------------------------------
// Lexer

type TokenKind = 'word' | 'string' | 'op' | '(' | ')' | '[' | ']' | ',' | 'eof';

interface Tok {
  kind: TokenKind;
  /** Word text as written, unescaped string content, operator or punctuation. */
  text: string;
  pos: number;
  end: number;
}

const WHITESPACE = /\s/;
const PUNCTUATION = new Set(['(', ')', '[', ']', ',']);

function isWordBreak(src: string, i: number): boolean {
  const c = src[i] as string;
  if (PUNCTUATION.has(c) || c === '"' || c === '=' || c === '<' || c === '>' || WHITESPACE.test(c))
    return true;
  // A lone "!" stays part of the word so brands like "Yahoo!" need no quotes.
  return c === '!' && src[i + 1] === '=';
}

function lex(src: string, fail: (pos: number, message: string) => never): Tok[] {
  const toks: Tok[] = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src[i] as string;
    if (WHITESPACE.test(c)) {
      i++;
    } else if (PUNCTUATION.has(c)) {
      toks.push({ kind: c as TokenKind, text: c, pos: i, end: i + 1 });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= n) fail(i, 'unterminated quoted string starting');
        const ch = src[j] as string;
        if (ch === '"') break;
        if (ch === '\\') {
          if (j + 1 >= n) fail(i, 'unterminated quoted string starting');
          text += src[j + 1] as string;
          j += 2;
        } else {
          text += ch;
          j++;
        }
      }
      toks.push({ kind: 'string', text, pos: i, end: j + 1 });
      i = j + 1;
    } else if (c === '=' || c === '<' || c === '>' || (c === '!' && src[i + 1] === '=')) {
      const two = src[i + 1] === '=' && c !== '=';
      const text = two ? c + '=' : c;
      toks.push({ kind: 'op', text, pos: i, end: i + text.length });
      i += text.length;
    } else {
      let j = i + 1;
      while (j < n && !isWordBreak(src, j)) j++;
      toks.push({ kind: 'word', text: src.slice(i, j), pos: i, end: j });
      i = j;
    }
  }
  toks.push({ kind: 'eof', text: '', pos: n, end: n });
  return toks;
}

// ---------------------------------------------------------------------------------------------------
// Parser

const RESERVED_FIELD_WORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'TO', 'EXISTS']);

function keyword(tok: Tok): string | undefined {
  if (tok.kind !== 'word' || tok.text.length > 6) return undefined;
  const upper = tok.text.toUpperCase();
  return RESERVED_FIELD_WORDS.has(upper) ? upper : undefined;
}

function shorten(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

function describe(tok: Tok): string {
  switch (tok.kind) {
    case 'eof':
      return 'end of filter';
    case 'word':
      return `'${shorten(tok.text, 40)}'`;
    case 'string':
      return `"${shorten(tok.text, 40)}"`;
    default:
      return `"${tok.text}"`;
  }
}

function excerpt(src: string, pos: number): string {
  if (src.length <= 200) return `'${src}'`;
  const from = Math.max(0, Math.min(pos - 80, src.length - 160));
  const to = Math.min(src.length, from + 160);
  return `'${from > 0 ? '…' : ''}${src.slice(from, to)}${to < src.length ? '…' : ''}'`;
}

function filterError(src: string, pos: number, message: string): SoukError {
  return new SoukError('INVALID_FILTER', `filter: ${message} at position ${pos} in ${excerpt(src, pos)}`, {
    position: pos,
  });
}

interface ParsedValue {
  value: FilterValue;
  pos: number;
}

class Parser {
  private i = 0;
  private readonly toks: Tok[];

  constructor(private readonly src: string) {
    this.toks = lex(src, (pos, message) => this.fail(pos, message));
  }

  parse(): FilterNode {
    if (this.peek().kind === 'eof') return { type: 'all' };
    const node = this.parseOr(0);
    const t = this.peek();
    if (t.kind !== 'eof') {
      const what = t.kind === ')' ? 'AND, OR or end of filter (unbalanced ")")' : 'AND, OR or end of filter';
      this.fail(t.pos, `expected ${what}, found ${describe(t)}`);
    }
    return node;
  }

  private fail(pos: number, message: string): never {
    throw filterError(this.src, pos, message);
  }

  private peek(): Tok {
    return this.toks[this.i] ?? (this.toks[this.toks.length - 1] as Tok);
  }

  private next(): Tok {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private expected(what: string, t: Tok): never {
    return this.fail(t.pos, t.kind === 'eof' ? `expected ${what}` : `expected ${what}, found ${describe(t)}`);
  }

  private enter(depth: number, pos: number): void {
    if (depth > MAX_FILTER_DEPTH) this.fail(pos, `nesting deeper than ${MAX_FILTER_DEPTH} levels`);
  }

  private parseOr(depth: number): FilterNode {
    const children = [this.parseAnd(depth)];
    while (keyword(this.peek()) === 'OR') {
      this.next();
      children.push(this.parseAnd(depth));
    }
    return children.length === 1 ? (children[0] as FilterNode) : { type: 'or', children };
  }

  private parseAnd(depth: number): FilterNode {
    const children = [this.parseNot(depth)];
    while (keyword(this.peek()) === 'AND') {
      this.next();
      children.push(this.parseNot(depth));
    }
    return children.length === 1 ? (children[0] as FilterNode) : { type: 'and', children };
  }

  private parseNot(depth: number): FilterNode {
    const t = this.peek();
    if (keyword(t) === 'NOT') {
      this.enter(depth + 1, t.pos);
      this.next();
      return { type: 'not', child: this.parseNot(depth + 1) };
    }
    return this.parsePrimary(depth);
  }

  private parsePrimary(depth: number): FilterNode {
    const t = this.peek();
    if (t.kind === '(') {
      this.enter(depth + 1, t.pos);
      this.next();
      const node = this.parseOr(depth + 1);
      const close = this.peek();
      if (close.kind !== ')') this.expected(`AND, OR or ")" to close the "(" at position ${t.pos}`, close);
      this.next();
      return node;
    }
    if (t.kind === 'string' || (t.kind === 'word' && keyword(t) === undefined)) return this.parseCondition();
    return this.expected('a field name, NOT or "("', t);
  }

  private parseCondition(): FilterNode {
    const ft = this.next();
    const field = resolveFieldName(ft.text);
    if (field === undefined) return this.fail(ft.pos, 'expected a field name, found an empty name');
    const numeric = isNumericField(field);
    const t = this.peek();
    const kw = keyword(t);

    if (t.kind === 'op') {
      this.next();
      const op = t.text as CompareOp;
      if (op === '=' || op === '!=') {
        const v = this.parseValue(`after "${op}"`, false);
        return { type: 'compare', field, op, value: numeric ? this.requireNumber(v, field) : v.value };
      }
      return { type: 'compare', field, op, value: this.parseNumberLiteral(`after "${op}"`) };
    }
    if (kw === 'IN') {
      this.next();
      return this.parseIn(field, numeric);
    }
    if (kw === 'EXISTS') {
      this.next();
      return { type: 'exists', field };
    }
    if (kw === 'NOT') {
      this.next();
      const u = this.peek();
      const kw2 = keyword(u);
      if (kw2 === 'IN') {
        this.next();
        return { type: 'not', child: this.parseIn(field, numeric) };
      }
      if (kw2 === 'EXISTS') {
        this.next();
        return { type: 'not', child: { type: 'exists', field } };
      }
      return this.expected('IN or EXISTS after NOT', u);
    }
    if (t.kind === 'word' && kw === undefined && !Number.isNaN(parseNumber(t.text))) {
      this.next();
      const min = parseNumber(t.text);
      const to = this.peek();
      if (keyword(to) !== 'TO') this.expected(`TO after "${ft.text} ${t.text}"`, to);
      this.next();
      const max = this.parseNumberLiteral('after TO');
      return { type: 'range', field, min, max };
    }
    return this.expected(
      `an operator (=, !=, >, >=, <, <=, IN, NOT IN, EXISTS, NOT EXISTS) or a range "min TO max" after field "${shorten(ft.text, 40)}"`,
      t,
    );
  }

  private parseIn(field: string, numeric: boolean): FilterNode {
    const open = this.peek();
    if (open.kind !== '[') this.expected('"[" after IN', open);
    this.next();
    const values: FilterValue[] = [];
    for (;;) {
      const v = this.parseValue('in the list', true);
      values.push(numeric ? this.requireNumber(v, field) : v.value);
      const t = this.peek();
      if (t.kind === ',') {
        this.next();
        if (this.peek().kind === ']') {
          this.next();
          break;
        }
      } else if (t.kind === ']') {
        this.next();
        break;
      } else {
        this.expected(`"," or "]" in the list opened at position ${open.pos}`, t);
      }
    }
    return { type: 'in', field, values };
  }

  /** One value: quoted or bare words, optionally joined into a category path with ">". */
  private parseValue(what: string, inList: boolean): ParsedValue {
    const start = this.peek().pos;
    const parts: string[] = [];
    let singleWord: string | undefined;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'string') {
        this.next();
        parts.push(t.text);
        singleWord = undefined;
      } else if (t.kind === 'word' && (inList || (keyword(t) !== 'AND' && keyword(t) !== 'OR'))) {
        const words = [t.text];
        this.next();
        for (;;) {
          const u = this.peek();
          if (u.kind !== 'word' || (!inList && (keyword(u) === 'AND' || keyword(u) === 'OR'))) break;
          words.push(u.text);
          this.next();
        }
        parts.push(words.join(' '));
        singleWord = parts.length === 1 && words.length === 1 ? t.text : undefined;
      } else {
        this.expected(parts.length === 0 ? `a value ${what}` : 'a category name after ">"', t);
      }
      const sep = this.peek();
      if (sep.kind !== 'op' || sep.text !== '>') break;
      this.next();
      singleWord = undefined;
    }
    if (singleWord !== undefined && parts.length === 1) {
      const n = parseNumber(singleWord);
      if (!Number.isNaN(n)) return { value: n, pos: start };
    }
    return { value: parts.join(' > '), pos: start };
  }

  private parseNumberLiteral(what: string): number {
    const t = this.peek();
    if (t.kind === 'word' || t.kind === 'string') {
      const n = parseNumber(t.text);
      if (!Number.isNaN(n)) {
        this.next();
        return n;
      }
    }
    return this.expected(`a number ${what}`, t);
  }

  private requireNumber(v: ParsedValue, field: string): number {
    if (typeof v.value === 'number') return v.value;
    const n = parseNumber(v.value);
    if (Number.isNaN(n)) this.fail(v.pos, `expected a number for numeric field "${field}"`);
    return n;
  }
}

/**
 * Parses a filter expression; an empty or blank expression matches everything (`{ type: 'all' }`).
 * Throws SoukError INVALID_FILTER (with `details.position`, 0-based) and nothing else.
 */
export function parseFilter(expression: string): FilterNode {
  if (typeof expression !== 'string') {
    throw new SoukError('INVALID_FILTER', 'filter: expected a string expression', { position: 0 });
  }
  if (expression.length > MAX_FILTER_LENGTH) {
    throw filterError(
      expression,
      MAX_FILTER_LENGTH,
      `expression longer than ${MAX_FILTER_LENGTH} characters (${expression.length})`,
    );
  }
  return new Parser(expression).parse();
}

// ---------------------------------------------------------------------------------------------------
// Structured (JSON) form

function jsonError(path: string, message: string): SoukError {
  return new SoukError('INVALID_FILTER', `filter: ${path === '' ? 'filter' : path} ${message}`, {
    path: path === '' ? '$' : path,
  });
}

const COMPARE_OPS = new Set<string>(['=', '!=', '>', '>=', '<', '<=']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonField(obj: Record<string, unknown>, path: string): string {
  const f = obj.field;
  const field = typeof f === 'string' ? resolveFieldName(f) : undefined;
  if (field === undefined) throw jsonError(`${path}.field`, 'must be a non-empty string');
  return field;
}

function jsonNumber(value: unknown, path: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? parseNumber(value) : NaN;
  if (!Number.isFinite(n)) throw jsonError(path, 'must be a finite number');
  return n;
}

function jsonValue(value: unknown, path: string, numeric: boolean): FilterValue {
  if (numeric) return jsonNumber(value, path);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return String(value);
  throw jsonError(path, 'must be a string or a finite number');
}

function fromJSON(input: unknown, path: string, depth: number): FilterNode {
  if (depth > MAX_FILTER_DEPTH) throw jsonError(path, `is nested deeper than ${MAX_FILTER_DEPTH} levels`);
  if (!isRecord(input)) throw jsonError(path, 'must be an object with a "type"');
  const p = path;
  switch (input.type) {
    case 'all':
      if (depth > 0) throw jsonError(path, '"all" is only allowed as the whole filter');
      return { type: 'all' };
    case 'and':
    case 'or': {
      const children = input.children;
      if (!Array.isArray(children) || children.length === 0) {
        throw jsonError(`${p}.children`, 'must be a non-empty array');
      }
      if (children.length > MAX_FILTER_LENGTH) throw jsonError(`${p}.children`, 'has too many entries');
      const nodes = children.map((c, k) => fromJSON(c, `${p}.children[${k}]`, depth + 1));
      return nodes.length === 1 ? (nodes[0] as FilterNode) : { type: input.type, children: nodes };
    }
    case 'not':
      return { type: 'not', child: fromJSON(input.child, `${p}.child`, depth + 1) };
    case 'compare': {
      const field = jsonField(input, p);
      const op = input.op;
      if (typeof op !== 'string' || !COMPARE_OPS.has(op)) {
        throw jsonError(`${p}.op`, 'must be one of =, !=, >, >=, <, <=');
      }
      const numeric = isNumericField(field) || (op !== '=' && op !== '!=');
      return {
        type: 'compare',
        field,
        op: op as CompareOp,
        value: jsonValue(input.value, `${p}.value`, numeric),
      };
    }
    case 'range':
      return {
        type: 'range',
        field: jsonField(input, p),
        min: jsonNumber(input.min, `${p}.min`),
        max: jsonNumber(input.max, `${p}.max`),
      };
    case 'in': {
      const field = jsonField(input, p);
      const values = input.values;
      if (!Array.isArray(values) || values.length === 0)
        throw jsonError(`${p}.values`, 'must be a non-empty array');
      if (values.length > MAX_FILTER_LENGTH) throw jsonError(`${p}.values`, 'has too many entries');
      const numeric = isNumericField(field);
      return { type: 'in', field, values: values.map((v, k) => jsonValue(v, `${p}.values[${k}]`, numeric)) };
    }
    case 'exists':
      return { type: 'exists', field: jsonField(input, p) };
    default:
      throw jsonError(`${p}.type`, 'must be one of all, and, or, not, compare, range, in, exists');
  }
}

/**
 * Validates a filter sent as JSON (the `FilterNode` shape) and returns it with canonical field names.
 * A string is parsed with `parseFilter`. Throws SoukError INVALID_FILTER with `details.path`.
 */
export function filterFromJSON(input: unknown): FilterNode {
  if (typeof input === 'string') return parseFilter(input);
  return fromJSON(input, '', 0);
}

// ---------------------------------------------------------------------------------------------------
// Printing

const BARE_SAFE = /^[^\s()[\],"=<>!]+$/;

function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, '\\$&') + '"';
}

function formatNumber(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

function formatField(field: string): string {
  const name = field.startsWith(ATTRIBUTE_PREFIX) ? field.slice(ATTRIBUTE_PREFIX.length) : field;
  // Bare attribute names read more naturally, but names that collide with built-ins or keywords, or
  // contain syntax characters, must keep the prefix and quotes to parse back to the same field.
  if (
    field.startsWith(ATTRIBUTE_PREFIX) &&
    (BUILTIN_FIELDS.has(name) || name.startsWith(ATTRIBUTE_PREFIX) || !BARE_SAFE.test(name))
  ) {
    return BARE_SAFE.test(field) ? field : quote(field);
  }
  if (RESERVED_FIELD_WORDS.has(name.toUpperCase()) || !BARE_SAFE.test(name)) return quote(field);
  return name;
}

function formatValue(v: FilterValue): string {
  return typeof v === 'number' ? formatNumber(v) : quote(v);
}

function formatNode(node: FilterNode, top: boolean): string {
  switch (node.type) {
    case 'all':
      if (!top) throw new SoukError('INVALID_FILTER', 'filter: "all" is only allowed as the whole filter');
      return '';
    case 'and':
    case 'or':
      return node.children
        .map((c) =>
          c.type === 'and' || c.type === 'or' ? `(${formatNode(c, false)})` : formatNode(c, false),
        )
        .join(node.type === 'and' ? ' AND ' : ' OR ');
    case 'not': {
      const c = node.child;
      return c.type === 'and' || c.type === 'or'
        ? `NOT (${formatNode(c, false)})`
        : `NOT ${formatNode(c, false)}`;
    }
    case 'compare':
      return `${formatField(node.field)} ${node.op} ${formatValue(node.value)}`;
    case 'range':
      return `${formatField(node.field)} ${formatNumber(node.min)} TO ${formatNumber(node.max)}`;
    case 'in':
      return `${formatField(node.field)} IN [${node.values.map(formatValue).join(', ')}]`;
    case 'exists':
      return `${formatField(node.field)} EXISTS`;
  }
}

/** Prints a filter tree as an expression that `parseFilter` reads back to the same tree. */
export function formatFilter(node: FilterNode): string {
  return formatNode(node, true);
}
