/**
 * A file change feed: reads a catalogue export (one .jsonl/.ndjson/.json/.csv file, or a directory of
 * .jsonl/.ndjson/.csv files taken in name order), diffs it against the stored id → content-hash map
 * (catalog-diff.ts) and applies only the difference to an engine. No CLI here: `souk watch` polls with it,
 * the watch benchmark times it.
 *
 * A half-written export must never be applied (under full-export semantics the missing half would be
 * deleted), so a read is only trusted when:
 * - every file has the same size, mtime, ctime and inode after the read as before it, and the directory
 *   still lists the same files (otherwise: `unstable`, retry later);
 * - every non-empty file ends with a line break; one that does not may be cut in mid-line, so it is read
 *   only once it has stayed exactly the same for a whole poll interval (`acceptUnterminated`).
 * Writing the export to a temporary name and renaming it into place avoids both waits.
 */
import { readdir, stat, open } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { productContentHash } from '../catalog/product-schema.ts';
import { catalogFormat, readCatalogBatches } from '../catalog/read-catalog.ts';
import type { Engine } from '../engine-api.ts';
import { isSoukError, SoukError } from '../errors.ts';
import { CatalogDiffer, plannedProducts, type CatalogDiff, type DiffOptions } from './catalog-diff.ts';

/** Extensions read from a watched directory (a `.json` file there is as likely a config file). */
const DIRECTORY_EXTENSIONS = new Set(['.jsonl', '.ndjson', '.csv']);

export interface FileState {
  file: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** What the export looks like on disk right now; equal `key`s mean nothing visibly changed. */
export interface ExportState {
  files: FileState[];
  /** Set when the watched path itself does not exist (a file being replaced by delete + copy). */
  missing: boolean;
  key: string;
}

function fileStateKey(s: FileState): string {
  return `${s.file}\0${s.size}\0${s.mtimeMs}\0${s.ctimeMs}\0${s.ino}`;
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/** The catalogue files of a watched path: the file itself, or a directory's catalogue files by name. */
export async function exportFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) {
    catalogFormat(path); // UNSUPPORTED_FORMAT for anything that is not a catalogue
    return [path];
  }
  const names = (await readdir(path, { withFileTypes: true }))
    .filter(
      (entry) => !entry.name.startsWith('.') && DIRECTORY_EXTENSIONS.has(extname(entry.name).toLowerCase()),
    )
    .filter((entry) => entry.isFile() || entry.isSymbolicLink())
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => join(path, name));
}

/** Stats the export (cheap: one stat per file plus a directory listing). */
export async function exportState(path: string): Promise<ExportState> {
  let files: string[];
  try {
    files = await exportFiles(path);
  } catch (error) {
    if (isNotFound(error)) return { files: [], missing: true, key: '\0missing' };
    throw error;
  }
  const states: FileState[] = [];
  for (const file of files) {
    try {
      const info = await stat(file);
      states.push({ file, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino });
    } catch (error) {
      // Removed between the listing and the stat: the next poll sees the directory without it.
      if (!isNotFound(error)) throw error;
      return { files: states, missing: false, key: '\0changing' };
    }
  }
  return { files: states, missing: false, key: states.map(fileStateKey).join('\n') };
}

/** Whether a non-empty file's last byte is a line break. */
async function endsWithNewline(file: string, size: number): Promise<boolean> {
  if (size === 0) return true;
  const handle = await open(file, 'r');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, size - 1);
    return byte[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

export type ReadOutcome =
  | { status: 'ok'; diff: CatalogDiff; state: ExportState }
  /** Not applied: the export changed while it was read, or a file may be cut in mid-line. */
  | { status: 'unstable'; reason: string; unterminated: boolean; state: ExportState }
  | { status: 'aborted' };

export interface ReadExportOptions extends DiffOptions {
  /** Read files that do not end in a line break (they have stayed the same for a poll interval). */
  acceptUnterminated?: boolean;
  signal?: AbortSignal;
}

/**
 * Reads the whole export and diffs it against `known` (id → productContentHash of what is stored).
 * Nothing is written; apply the result with applyDiff.
 */
export async function readExport(
  path: string,
  known: ReadonlyMap<string, string>,
  options: ReadExportOptions = {},
): Promise<ReadOutcome> {
  const before = await exportState(path);
  if (before.missing)
    return { status: 'unstable', reason: `${path} does not exist`, unterminated: false, state: before };
  if (before.key === '\0changing') {
    return { status: 'unstable', reason: 'files were being replaced', unterminated: false, state: before };
  }
  for (const file of before.files) {
    if (!(await endsWithNewline(file.file, file.size).catch(() => true)) && !options.acceptUnterminated) {
      return {
        status: 'unstable',
        reason: `${file.file} does not end with a line break (still being written?)`,
        unterminated: true,
        state: before,
      };
    }
  }
  const differ = new CatalogDiffer(known, options);
  for (const { file } of before.files) {
    try {
      for await (const records of readCatalogBatches(file)) {
        if (options.signal?.aborted) return { status: 'aborted' };
        for (const record of records) differ.add(record, file);
      }
    } catch (error) {
      if (isNotFound(error) || (isSoukError(error) && error.code === 'FILE_NOT_FOUND')) {
        return {
          status: 'unstable',
          reason: `${file} disappeared while it was read`,
          unterminated: false,
          state: before,
        };
      }
      if (!isSoukError(error)) throw error;
      // A whole file that cannot be read (a CSV header without an id column …): reported, nothing deleted.
      const details = error.details as { line?: unknown; field?: unknown };
      differ.fileError({
        code: error.code,
        message: error.message,
        file,
        ...(typeof details.line === 'number' ? { line: details.line } : {}),
        ...(typeof details.field === 'string' ? { field: details.field } : {}),
      });
    }
  }
  const after = await exportState(path);
  if (after.key !== before.key) {
    return {
      status: 'unstable',
      reason: after.missing
        ? `${path} disappeared while it was read`
        : 'the export changed while it was read',
      unterminated: false,
      state: after,
    };
  }
  return { status: 'ok', diff: differ.finish(), state: before };
}

export interface ApplyReport {
  /** Products written (new or changed) and deleted. */
  written: number;
  deleted: number;
  /** False when stopped by the signal between batches (what was applied is reflected in `known`). */
  complete: boolean;
}

/**
 * Writes a diff to the engine in batches (upserts first, then deletes) and keeps `known` equal to the
 * store as it goes, so a stop between batches leaves nothing to reconcile.
 */
export async function applyDiff(
  engine: Engine,
  diff: CatalogDiff,
  known: Map<string, string>,
  { batchSize = 5000, signal }: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<ApplyReport> {
  const report: ApplyReport = { written: 0, deleted: 0, complete: false };
  for (let from = 0; from < diff.upserts.length; from += batchSize) {
    if (signal?.aborted) return report;
    const batch = diff.upserts.slice(from, from + batchSize);
    const result = await engine.upsert(plannedProducts(batch));
    report.written += result.count;
    for (const upsert of batch) known.set(upsert.id, upsert.hash);
  }
  for (let from = 0; from < diff.deletes.length; from += batchSize) {
    if (signal?.aborted) return report;
    const batch = diff.deletes.slice(from, from + batchSize);
    const result = await engine.delete(batch);
    report.deleted += result.count;
    for (const id of batch) known.delete(id);
  }
  report.complete = true;
  return report;
}

/** id → productContentHash of every stored product, read once from the engine (the feed keeps it current). */
export async function storedHashes(engine: Engine): Promise<Map<string, string>> {
  const known = new Map<string, string>();
  for await (const products of engine.scan()) {
    for (const product of products) known.set(product.id, productContentHash(product));
  }
  return known;
}

/** SoukError FILE_NOT_FOUND / UNSUPPORTED_FORMAT when `path` is not something `souk watch` can follow. */
export async function checkWatchPath(path: string): Promise<void> {
  try {
    await exportFiles(path);
  } catch (error) {
    if (isSoukError(error)) throw error;
    const code = (error as { code?: unknown }).code;
    const reason = code === 'ENOENT' ? 'not found' : `cannot be read (${String(code ?? error)})`;
    throw new SoukError(
      'FILE_NOT_FOUND',
      `Catalogue path ${reason}: ${path}`,
      { file: path },
      { cause: error },
    );
  }
}
