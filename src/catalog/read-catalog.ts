/**
 * Streaming catalogue readers. Formats by extension:
 * - `.jsonl` / `.ndjson`: one JSON object per line, streamed (files may be larger than memory). Blank
 *   lines are skipped; a line that is not a JSON object is INVALID_JSON.
 * - `.json`: loaded whole. A top-level array is a list of products (errors name the line each element
 *   starts on); a single object is one product; anything else is read as JSON Lines, because JSONL files
 *   are often misnamed `.json`. An array or object that does not parse throws SoukError INVALID_JSON.
 * - `.csv`: a header row naming the fields; `category` as "A > B > C", `categories` and `images` separated
 *   by "|", `attributes` as a JSON object column and/or `attr.<name>` / `attributes.<name>` columns.
 *   A row with the wrong number of columns or broken quoting is INVALID_CSV and the rest still loads.
 *   A header without `id` or `title` columns throws SoukError INVALID_CSV (no row could load).
 *
 * Relative `image` / `images` paths are resolved against the catalogue file's directory (or `baseDir`), so
 * they stay meaningful wherever the process runs; URLs (`scheme:`, `//host`) and absolute paths are kept.
 * Note for whoever serves these files: resolved paths may point outside the catalogue folder (`../x.jpg`),
 * so serve only paths that belong to stored products, never arbitrary ones.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { SoukError } from '../errors.ts';
import type { LineError, Product } from '../types.ts';
import type { CsvRecord } from './csv-records.ts';
import {
  ProgressTicker,
  inputFileSize,
  readCsvRecordBatches,
  readLineBatches,
  type ReadProgress,
} from './line-reader.ts';
import {
  PRODUCT_FIELDS,
  describeValue,
  lineError,
  validateProduct,
  wherePrefix,
  type ProductField,
  type Where,
} from './product-schema.ts';

export type CatalogFormat = 'jsonl' | 'json' | 'csv';

export interface CatalogRecord {
  /** Line the product starts on (1-based). */
  line: number;
  /** Present when the record is valid. */
  product?: Product;
  errors: LineError[];
}

export type { ReadProgress };

export interface ReadCatalogOptions {
  /** Called at most every ~1000 lines and once at the end. */
  onProgress?: (progress: ReadProgress) => void;
  /** Directory relative image paths are resolved against; defaults to the catalogue file's directory. */
  baseDir?: string;
}

const EXTENSIONS: Record<string, CatalogFormat> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.csv': 'csv',
};

const JSON_BATCH = 2000;

/** Format from the file extension; SoukError UNSUPPORTED_FORMAT for anything else. */
export function catalogFormat(file: string): CatalogFormat {
  const format = EXTENSIONS[extname(file).toLowerCase()];
  if (!format) {
    throw new SoukError(
      'UNSUPPORTED_FORMAT',
      `Unsupported catalogue format "${extname(file) || '(no extension)'}" for ${file}: use .jsonl, .ndjson, .json or .csv`,
      { file },
    );
  }
  return format;
}

const URL_LIKE = /^(?:[a-z][a-z0-9+.-]+:|\/\/)/i;

function resolveImagePath(path: string, baseDir: string): string {
  return URL_LIKE.test(path) || isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Resolves relative `image` / `images` of a validated product in place against `baseDir`. */
export function resolveImagePaths(product: Product, baseDir: string): Product {
  if (product.image !== undefined) product.image = resolveImagePath(product.image, baseDir);
  if (product.images !== undefined) {
    for (let i = 0; i < product.images.length; i++) {
      product.images[i] = resolveImagePath(product.images[i] as string, baseDir);
    }
  }
  return product;
}

interface ReadContext {
  file: string;
  baseDir: string;
  totalBytes: number;
  progress: ProgressTicker;
}

function report(ctx: ReadContext, linesRead: number, bytesRead: number, force: boolean): void {
  ctx.progress.report(linesRead, bytesRead, force);
}

function validated(raw: unknown, line: number, ctx: ReadContext, extraErrors?: LineError[]): CatalogRecord {
  const result = validateProduct(raw, { file: ctx.file, line });
  if (extraErrors && extraErrors.length > 0) return { line, errors: [...extraErrors, ...result.errors] };
  if (result.product) resolveImagePaths(result.product, ctx.baseDir);
  return result.product
    ? { line, product: result.product, errors: result.errors }
    : { line, errors: result.errors };
}

/** One JSONL line; undefined for a blank line. */
function jsonLine(text: string, line: number, ctx: ReadContext): CatalogRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    if (text.trim() === '') return undefined;
    const reason = error instanceof Error ? error.message : String(error);
    const where: Where = { file: ctx.file, line };
    return { line, errors: [lineError('INVALID_JSON', `invalid JSON: ${reason}`, where)] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const where: Where = { file: ctx.file, line };
    return {
      line,
      errors: [lineError('INVALID_JSON', `expected a JSON object, got ${describeValue(raw)}`, where)],
    };
  }
  return validated(raw, line, ctx);
}

function readJsonl(ctx: ReadContext): AsyncGenerator<CatalogRecord[]> {
  return readLineBatches(ctx.file, (text, line) => jsonLine(text, line, ctx), ctx.progress);
}

/** Line number (1-based) of a character offset, counting from `from` at `fromLine`. */
function lineAt(text: string, offset: number, from = 0, fromLine = 1): number {
  let line = fromLine;
  for (let i = text.indexOf('\n', from); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Character offsets where each element of a top-level JSON array starts (the text is valid JSON). */
function arrayElementOffsets(text: string): number[] {
  const offsets: number[] = [];
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 32 || c === 10 || c === 13 || c === 9) continue;
    if (depth === 1 && expectElement && c !== 93) {
      offsets.push(i);
      expectElement = false;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 1) expectElement = true;
  }
  return offsets;
}

function firstLineIsObject(text: string, start: number): boolean {
  const end = text.indexOf('\n', start);
  try {
    const value: unknown = JSON.parse(text.slice(start, end === -1 ? text.length : end));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function jsonParseError(ctx: ReadContext, text: string, error: unknown): SoukError {
  const reason = error instanceof Error ? error.message : String(error);
  // V8 ends the message with "at position N" (newer versions add "(line L column C)"); anchoring at the
  // end avoids matching the quoted snippet of the input that the message may contain.
  const position = /position (\d+)(?: \(line \d+ column \d+\))?\s*$/.exec(reason);
  const line = position
    ? lineAt(text, Number(position[1]))
    : /end of JSON input/.test(reason)
      ? lineAt(text, text.length)
      : undefined;
  const where: Where = line === undefined ? { file: ctx.file } : { file: ctx.file, line };
  return new SoukError('INVALID_JSON', `${wherePrefix(where)}invalid JSON: ${reason}`, { ...where });
}

async function* readJson(ctx: ReadContext): AsyncGenerator<CatalogRecord[]> {
  let text = await readFile(ctx.file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const start = text.search(/\S/);
  if (start === -1) {
    report(ctx, 0, ctx.totalBytes, true);
    return;
  }
  const totalLines = lineAt(text, text.length);
  if (text[start] === '[' || text[start] === '{') {
    let parsed: unknown;
    let parseError: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      parseError = error;
    }
    if (parseError === undefined && Array.isArray(parsed)) {
      const offsets = arrayElementOffsets(text);
      let out: CatalogRecord[] = [];
      let line = 1;
      let lineOffset = 0;
      for (let i = 0; i < parsed.length; i++) {
        const offset = offsets[i] ?? lineOffset;
        line = lineAt(text, offset, lineOffset, line);
        lineOffset = offset;
        const raw: unknown = parsed[i];
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
          const where: Where = { file: ctx.file, line };
          out.push({
            line,
            errors: [lineError('INVALID_JSON', `expected a JSON object, got ${describeValue(raw)}`, where)],
          });
        } else {
          out.push(validated(raw, line, ctx));
        }
        if (out.length >= JSON_BATCH) {
          report(ctx, line, Math.round((ctx.totalBytes * offset) / text.length), false);
          yield out;
          out = [];
        }
      }
      report(ctx, totalLines, ctx.totalBytes, true);
      if (out.length > 0) yield out;
      return;
    }
    if (parseError === undefined && typeof parsed === 'object' && parsed !== null) {
      const line = lineAt(text, start);
      report(ctx, totalLines, ctx.totalBytes, true);
      yield [validated(parsed, line, ctx)];
      return;
    }
    // An array that does not parse is broken JSON. An object that does not parse is JSON Lines when its
    // first line is a complete object by itself; otherwise it is one broken (pretty-printed) object.
    if (text[start] === '[' || !firstLineIsObject(text, start)) throw jsonParseError(ctx, text, parseError);
  }
  let out: CatalogRecord[] = [];
  let line = 0;
  let from = 0;
  while (from < text.length) {
    let end = text.indexOf('\n', from);
    if (end === -1) end = text.length;
    line++;
    const record = jsonLine(text.slice(from, text.charCodeAt(end - 1) === 13 ? end - 1 : end), line, ctx);
    if (record) out.push(record);
    from = end + 1;
    if (out.length >= JSON_BATCH) {
      report(ctx, line, Math.round((ctx.totalBytes * from) / text.length), false);
      yield out;
      out = [];
    }
  }
  report(ctx, line, ctx.totalBytes, true);
  if (out.length > 0) yield out;
}

// ---------------------------------------------------------------------------------------------------------
// CSV

type Column =
  | { kind: 'field'; field: ProductField }
  | { kind: 'attribute'; name: string }
  | { kind: 'attributesJson' }
  | { kind: 'ignored' };

const FIELD_BY_NAME = new Map<string, ProductField>(
  PRODUCT_FIELDS.map((field) => [field.toLowerCase(), field]),
);
const ATTRIBUTE_PREFIX = /^(?:attr|attributes)\.(.+)$/i;
const CSV_INTEGER_OR_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

function parseHeader(record: CsvRecord, ctx: ReadContext): Column[] {
  const where: Where = { file: ctx.file, line: record.line };
  if (record.error !== undefined) {
    throw new SoukError('INVALID_CSV', `${wherePrefix(where)}malformed header: ${record.error}`, {
      ...where,
    });
  }
  const seen = new Set<string>();
  const columns = record.fields.map((cell): Column => {
    const name = cell.trim();
    let column: Column;
    let key: string;
    const attribute = ATTRIBUTE_PREFIX.exec(name);
    const field = FIELD_BY_NAME.get(name.toLowerCase());
    if (attribute) {
      column = { kind: 'attribute', name: (attribute[1] as string).trim() };
      key = `attr:${column.name}`;
    } else if (field === 'attributes') {
      column = { kind: 'attributesJson' };
      key = 'attributes';
    } else if (field) {
      column = { kind: 'field', field };
      key = field;
    } else {
      return { kind: 'ignored' };
    }
    if (seen.has(key)) {
      throw new SoukError(
        'INVALID_CSV',
        `${wherePrefix(where)}column "${name}" appears more than once in the header`,
        {
          ...where,
        },
      );
    }
    seen.add(key);
    return column;
  });
  for (const required of ['id', 'title']) {
    if (!seen.has(required)) {
      throw new SoukError(
        'INVALID_CSV',
        `${wherePrefix(where)}the header has no "${required}" column (columns: ${record.fields.join(', ')})`,
        { ...where, field: required },
      );
    }
  }
  return columns;
}

function csvScalar(text: string): string | number {
  return CSV_INTEGER_OR_DECIMAL.test(text) ? Number(text) : text;
}

/**
 * An `attr.<name>` cell: "a|b" is a list; integers and plain decimals ("10", "2.5") become numbers so they
 * can be range-filtered, but "007" or "1e3" stay text; "true" / "false" become booleans.
 */
export function parseCsvAttribute(text: string): string | number | boolean | Array<string | number> {
  const value = text.trim();
  if (value.includes('|')) {
    return value
      .split('|')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .map(csvScalar);
  }
  if (value === 'true') return true;
  if (value === 'false') return false;
  return csvScalar(value);
}

function csvRow(record: CsvRecord, columns: Column[], idIndex: number, ctx: ReadContext): CatalogRecord {
  const where: Where = { file: ctx.file, line: record.line };
  const idCell = record.fields[idIndex]?.trim();
  const id = idCell === undefined || idCell === '' ? undefined : idCell;
  if (record.error !== undefined) {
    return {
      line: record.line,
      errors: [lineError('INVALID_CSV', `malformed row: ${record.error}`, where, undefined, id)],
    };
  }
  if (record.fields.length !== columns.length) {
    const message = `row has ${record.fields.length} columns, the header has ${columns.length}`;
    return { line: record.line, errors: [lineError('INVALID_CSV', message, where, undefined, id)] };
  }
  const raw: Record<string, unknown> = {};
  const extraErrors: LineError[] = [];
  let attributes: Record<string, unknown> | undefined;
  let columnAttributes: Record<string, unknown> | undefined;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i] as Column;
    const cell = record.fields[i] as string;
    if (column.kind === 'ignored' || cell.trim() === '') continue;
    if (column.kind === 'field') {
      raw[column.field] = cell;
    } else if (column.kind === 'attribute') {
      // Null prototype: an `attr.__proto__` column must arrive at validation as data (and be rejected there).
      columnAttributes ??= Object.create(null) as Record<string, unknown>;
      columnAttributes[column.name] = parseCsvAttribute(cell);
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(cell);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        attributes = parsed as Record<string, unknown>;
      } else {
        const message = `field "attributes" must be a JSON object, got ${describeValue(cell)}`;
        extraErrors.push(lineError('INVALID_FIELD', message, where, 'attributes', id));
      }
    }
  }
  // attr.<name> columns are more specific than the JSON column, so they win on a clash.
  if (attributes || columnAttributes) {
    raw.attributes = Object.assign(
      Object.create(null) as Record<string, unknown>,
      attributes,
      columnAttributes,
    );
  }
  return validated(raw, record.line, ctx, extraErrors);
}

async function* readCsv(ctx: ReadContext): AsyncGenerator<CatalogRecord[]> {
  let columns: Column[] | undefined;
  let idIndex = -1;
  for await (const records of readCsvRecordBatches(ctx.file, ctx.progress)) {
    const out: CatalogRecord[] = [];
    for (const record of records) {
      if (!columns) {
        columns = parseHeader(record, ctx);
        idIndex = columns.findIndex((column) => column.kind === 'field' && column.field === 'id');
      } else {
        out.push(csvRow(record, columns, idIndex, ctx));
      }
    }
    if (out.length > 0) yield out;
  }
}

// ---------------------------------------------------------------------------------------------------------

async function openContext(file: string, options: ReadCatalogOptions): Promise<ReadContext> {
  const size = await inputFileSize(file, 'Catalogue');
  return {
    file,
    baseDir: resolve(options.baseDir ?? dirname(resolve(file))),
    totalBytes: size,
    progress: new ProgressTicker(size, options.onProgress),
  };
}

/**
 * Reads a catalogue in batches of records (one batch per ~1 MiB read): the fast path for bulk loading,
 * since it avoids one promise round-trip per product.
 */
export async function* readCatalogBatches(
  file: string,
  options: ReadCatalogOptions = {},
): AsyncGenerator<CatalogRecord[]> {
  const format = catalogFormat(file);
  const ctx = await openContext(file, options);
  if (format === 'jsonl') yield* readJsonl(ctx);
  else if (format === 'json') yield* readJson(ctx);
  else yield* readCsv(ctx);
}

/**
 * Reads a catalogue record by record: each valid product, or the errors of the line it starts on.
 * Records are handed out of readCatalogBatches' batches by a plain iterator: an `async function*` here
 * costs several promise hops per record, a third of the whole read time on a large catalogue.
 */
export function readCatalog(file: string, options: ReadCatalogOptions = {}): AsyncGenerator<CatalogRecord> {
  const batches = readCatalogBatches(file, options);
  let buffer: CatalogRecord[] = [];
  let index = 0;
  const done = (): IteratorResult<CatalogRecord> => ({ value: undefined, done: true });
  const iterator: AsyncGenerator<CatalogRecord> = {
    next(): Promise<IteratorResult<CatalogRecord>> {
      if (index < buffer.length)
        return Promise.resolve({ value: buffer[index++] as CatalogRecord, done: false });
      return batches.next().then((result) => {
        if (result.done) return done();
        buffer = result.value;
        index = 0;
        return iterator.next();
      });
    },
    return(): Promise<IteratorResult<CatalogRecord>> {
      buffer = [];
      return batches.return(undefined).then(done);
    },
    throw(error: unknown): Promise<IteratorResult<CatalogRecord>> {
      buffer = [];
      return batches.return(undefined).then(() => Promise.reject(error));
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
