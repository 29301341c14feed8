/**
 * Streaming readers of feedback-event files (`souk feedback import`), by extension:
 * - `.jsonl` / `.ndjson`: one JSON event per line (see feedback-schema.ts); blank lines are skipped.
 * - `.csv`: a header row naming the fields (`type,query,productId,position,userId,sessionId,at`; case does
 *   not matter, `product_id`, `user_id`, `session_id` work too; unknown columns are ignored). An empty
 *   `query` cell is the empty query (browsing); other empty cells are absent values.
 * Every record names its physical line; a bad line is reported and the rest still reads. A CSV header
 * without `type`, `query` or `productId` throws INVALID_CSV.
 */
import { extname } from 'node:path';
import { SoukError } from '../errors.ts';
import type { FeedbackRecord, LineError } from '../types.ts';
import type { CsvRecord } from './csv-records.ts';
import {
  FEEDBACK_FIELDS,
  FEEDBACK_FIELD_ALIASES,
  validateFeedbackEvent,
  type FeedbackField,
} from './feedback-schema.ts';
import {
  ProgressTicker,
  inputFileSize,
  readCsvRecordBatches,
  readLineBatches,
  type ReadProgress,
} from './line-reader.ts';
import { describeValue, lineError, wherePrefix, type Where } from './product-schema.ts';

export type FeedbackFormat = 'jsonl' | 'csv';

export interface FeedbackLineRecord {
  /** 1-based line the event is on. */
  line: number;
  /** Present when the line is valid. */
  event?: FeedbackRecord;
  errors: LineError[];
}

export interface ReadFeedbackOptions {
  onProgress?: (progress: ReadProgress) => void;
  /** Time given to events without `at` (default: when the reading starts). */
  now?: number;
}

const EXTENSIONS: Record<string, FeedbackFormat> = { '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.csv': 'csv' };

export function feedbackFormat(file: string): FeedbackFormat {
  const format = EXTENSIONS[extname(file).toLowerCase()];
  if (!format) {
    throw new SoukError(
      'UNSUPPORTED_FORMAT',
      `Unsupported feedback file format "${extname(file) || '(no extension)'}" for ${file}: use .jsonl, .ndjson or .csv`,
      { file },
    );
  }
  return format;
}

const COLUMN_BY_NAME = new Map<string, FeedbackField>([
  ...FEEDBACK_FIELDS.map((field) => [field.toLowerCase(), field] as const),
  ...Object.entries(FEEDBACK_FIELD_ALIASES),
]);

function jsonLine(file: string, text: string, line: number, now: number): FeedbackLineRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    if (text.trim() === '') return undefined;
    const reason = error instanceof Error ? error.message : String(error);
    return { line, errors: [lineError('INVALID_JSON', `invalid JSON: ${reason}`, { file, line })] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const message = `expected a JSON object, got ${describeValue(raw)}`;
    return { line, errors: [lineError('INVALID_JSON', message, { file, line })] };
  }
  return validated(raw, { file, line }, now);
}

function validated(raw: unknown, where: Where & { line: number }, now: number): FeedbackLineRecord {
  const { event, errors } = validateFeedbackEvent(raw, where, now);
  return event ? { line: where.line, event, errors } : { line: where.line, errors };
}

function csvHeader(file: string, record: CsvRecord): Array<FeedbackField | undefined> {
  const where: Where = { file, line: record.line };
  if (record.error !== undefined) {
    throw new SoukError('INVALID_CSV', `${wherePrefix(where)}malformed header: ${record.error}`, {
      ...where,
    });
  }
  const columns = record.fields.map((cell) => COLUMN_BY_NAME.get(cell.trim().toLowerCase()));
  for (const required of ['type', 'query', 'productId'] as const) {
    if (!columns.includes(required)) {
      throw new SoukError(
        'INVALID_CSV',
        `${wherePrefix(where)}the header has no "${required}" column (columns: ${record.fields.join(', ')})`,
        { ...where, field: required },
      );
    }
  }
  return columns;
}

function csvRow(
  file: string,
  record: CsvRecord,
  columns: Array<FeedbackField | undefined>,
  now: number,
): FeedbackLineRecord {
  const where = { file, line: record.line };
  if (record.error !== undefined) {
    return { line: record.line, errors: [lineError('INVALID_CSV', `malformed row: ${record.error}`, where)] };
  }
  if (record.fields.length !== columns.length) {
    const message = `row has ${record.fields.length} columns, the header has ${columns.length}`;
    return { line: record.line, errors: [lineError('INVALID_CSV', message, where)] };
  }
  const raw: Record<string, unknown> = {};
  columns.forEach((field, i) => {
    const cell = record.fields[i] as string;
    if (field === undefined || raw[field] !== undefined) return;
    if (field === 'query') raw.query = cell;
    else if (cell.trim() !== '') raw[field] = cell;
  });
  return validated(raw, where, now);
}

/** Reads a feedback file in batches of records (one batch per ~1 MiB read). */
export async function* readFeedbackBatches(
  file: string,
  options: ReadFeedbackOptions = {},
): AsyncGenerator<FeedbackLineRecord[]> {
  const format = feedbackFormat(file);
  const size = await inputFileSize(file, 'Feedback');
  const progress = new ProgressTicker(size, options.onProgress);
  const now = options.now ?? Date.now();
  if (format === 'jsonl') {
    yield* readLineBatches(file, (text, line) => jsonLine(file, text, line, now), progress);
    return;
  }
  let columns: Array<FeedbackField | undefined> | undefined;
  for await (const records of readCsvRecordBatches(file, progress)) {
    const out: FeedbackLineRecord[] = [];
    for (const record of records) {
      if (!columns) columns = csvHeader(file, record);
      else out.push(csvRow(file, record, columns, now));
    }
    if (out.length > 0) yield out;
  }
}
