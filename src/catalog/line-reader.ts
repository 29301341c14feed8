/**
 * Streaming line and CSV-record reading shared by the catalogue reader (read-catalog.ts) and the feedback
 * reader (read-feedback.ts): files larger than memory, physical line numbers for every record, a UTF-8
 * BOM dropped, progress in lines and bytes. What a line or record means is the caller's business.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { SoukError } from '../errors.ts';
import { CsvRecordParser, type CsvRecord } from './csv-records.ts';
import { wherePrefix, type Where } from './product-schema.ts';

export interface ReadProgress {
  linesRead: number;
  bytesRead: number;
  totalBytes: number;
}

const PROGRESS_EVERY_LINES = 1000;
/** A "line" longer than this is not a record; stop before it exhausts memory. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 1 << 20;

/** Reports progress at most every ~1000 lines, and whenever forced (at the end). */
export class ProgressTicker {
  lastReportedLine = 0;

  constructor(
    readonly totalBytes: number,
    private readonly onProgress: ((progress: ReadProgress) => void) | undefined,
  ) {}

  /** True when a report would be due at `linesRead` (lets hot loops skip computing the byte count). */
  due(linesRead: number): boolean {
    return this.onProgress !== undefined && linesRead - this.lastReportedLine >= PROGRESS_EVERY_LINES;
  }

  report(linesRead: number, bytesRead: number, force: boolean): void {
    if (!this.onProgress) return;
    if (!force && linesRead - this.lastReportedLine < PROGRESS_EVERY_LINES) return;
    this.lastReportedLine = linesRead;
    this.onProgress({ linesRead, bytesRead, totalBytes: this.totalBytes });
  }
}

/**
 * The size of an input file; SoukError FILE_NOT_FOUND (naming `what`, e.g. "Catalogue") when it is
 * missing, unreadable or a directory.
 */
export async function inputFileSize(file: string, what: string): Promise<number> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) {
      throw new SoukError('FILE_NOT_FOUND', `${what} path is a directory, not a file: ${file}`, { file });
    }
    return info.size;
  } catch (error) {
    if (error instanceof SoukError) throw error;
    const code = (error as { code?: unknown }).code;
    const reason = code === 'ENOENT' ? 'not found' : `cannot be read (${String(code ?? error)})`;
    throw new SoukError('FILE_NOT_FOUND', `${what} file ${reason}: ${file}`, { file }, { cause: error });
  }
}

/**
 * Reads a text file line by line, in batches (one per ~1 MiB read). `parseLine` gets each non-empty line
 * without its line break (CRLF or LF) and its 1-based physical line number, and returns a record or
 * undefined to skip it.
 */
export async function* readLineBatches<T>(
  file: string,
  parseLine: (text: string, line: number) => T | undefined,
  progress: ProgressTicker,
): AsyncGenerator<T[]> {
  const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  // Bytes after the last newline seen, kept as buffers so a multi-byte character cut in two decodes whole.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  let offset = 0;

  // Decoding a whole block once and slicing lines out of the string is much cheaper than one native
  // decode per line; progress bytes inside a block are interpolated.
  const takeBlock = (text: string, blockBytes: number, out: T[]): void => {
    let from = 0;
    if (line === 0 && text.charCodeAt(0) === 0xfeff) from = 1;
    const length = text.length;
    while (from < length) {
      let end = text.indexOf('\n', from);
      if (end === -1) end = length;
      line++;
      const contentEnd = end > from && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      if (contentEnd > from) {
        const record = parseLine(text.slice(from, contentEnd), line);
        if (record !== undefined) out.push(record);
      }
      from = end + 1;
      if (progress.due(line)) {
        progress.report(line, offset + Math.round((blockBytes * Math.min(from, length)) / length), false);
      }
    }
    offset += blockBytes;
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes > MAX_LINE_BYTES) {
        stream.destroy();
        const where: Where = { file, line: line + 1 };
        throw new SoukError(
          'INVALID_JSON',
          `${wherePrefix(where)}line is longer than ${MAX_LINE_BYTES} bytes`,
          { ...where },
        );
      }
      continue;
    }
    const head = chunk.subarray(0, last + 1);
    const block = pending.length > 0 ? Buffer.concat([...pending, head]) : head;
    pending = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    pendingBytes = chunk.length - last - 1;
    const out: T[] = [];
    takeBlock(block.toString('utf8'), block.length, out);
    if (out.length > 0) yield out;
  }
  const out: T[] = [];
  if (pending.length > 0) {
    const block = Buffer.concat(pending);
    takeBlock(block.toString('utf8'), block.length, out);
  }
  progress.report(line, progress.totalBytes, true);
  if (out.length > 0) yield out;
}

/** Reads a CSV file as records (see CsvRecordParser), one batch per ~1 MiB read; the header is the first. */
export async function* readCsvRecordBatches(
  file: string,
  progress: ProgressTicker,
): AsyncGenerator<CsvRecord[]> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  const parser = new CsvRecordParser();
  let lastLine = 0;
  let first = true;
  for await (const chunk of stream as AsyncIterable<string>) {
    const records: CsvRecord[] = [];
    // The BOM goes before the parser sees it, or a quoted first header cell would not parse as quoted.
    parser.push(first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk, records);
    first = false;
    if (records.length > 0) lastLine = (records[records.length - 1] as CsvRecord).line;
    progress.report(lastLine, stream.bytesRead, false);
    if (records.length > 0) yield records;
  }
  const records: CsvRecord[] = [];
  parser.end(records);
  if (records.length > 0) lastLine = (records[records.length - 1] as CsvRecord).line;
  progress.report(lastLine, progress.totalBytes, true);
  if (records.length > 0) yield records;
}
