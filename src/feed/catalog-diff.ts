/**
 * The difference between a full catalogue export and what the store holds, by content hash: which products
 * are new, which changed, which are gone, and which lines could not be read. Knows no files and no engine:
 * records go in (from readCatalogBatches, one or several files), a plan comes out.
 *
 * Rules:
 * - A product is compared by `productContentHash` (sha1 of the canonical JSON, the hash the store itself
 *   compares on upsert), so an unchanged product costs no write, no index update and no re-embedding.
 * - An id that appears twice (in two files, or twice in one) is taken from its later record; each repeat
 *   is reported as a warning naming both places.
 * - A product whose line is bad is kept as stored: neither updated nor deleted. When a bad line has no
 *   readable id (broken JSON), it could be any product, so no product is deleted in that pass at all.
 * - Missing products are deleted only with `deleteMissing` (full-export semantics), and never when the
 *   export is incomplete (a file could not be read) or holds no product at all (an emptied file is far
 *   more often an export caught while being rewritten than a catalogue that really became empty).
 */
import { canonicalProductJson, hashCanonicalJson } from '../catalog/product-schema.ts';
import type { CatalogRecord } from '../catalog/read-catalog.ts';
import type { LineError, Product } from '../types.ts';

/** A product to write: its canonical JSON (parse it to get the product) and the content hash of that. */
export interface PlannedUpsert {
  id: string;
  /** Canonical JSON (kept instead of the object: a third of the memory on a large first load). */
  body: string;
  hash: string;
  /** True when the store does not hold this id yet. */
  added: boolean;
}

export interface CatalogDiff {
  /** New and changed products, in the order of their (last) record. */
  upserts: PlannedUpsert[];
  added: number;
  changed: number;
  /** Ids the store holds that the export no longer lists (empty when deletions are held back). */
  deletes: string[];
  /** Products whose content is identical to the stored one. */
  unchanged: number;
  /** Records (lines, rows) that could not be read as a product. */
  rejected: number;
  /** Their errors (at most `maxErrors`), plus whole-file errors passed to `fileError`. */
  errors: LineError[];
  /** Stored ids whose record is bad: kept as they are. */
  kept: string[];
  /** Products that would have been deleted but were not, and why (undefined when none were held). */
  heldBack: number;
  heldBackReason: string | undefined;
  /** Repeated ids and held-back deletions, as sentences (at most `maxWarnings` repeats are listed). */
  warnings: string[];
  /** Ids seen more than once. */
  duplicates: number;
}

export interface DiffOptions {
  /** Delete stored products the export does not list (default true). */
  deleteMissing?: boolean;
  /** Errors kept in the result (all are counted); default 1000. */
  maxErrors?: number;
  /** Duplicate-id warnings listed one by one; default 20. */
  maxWarnings?: number;
}

interface Seen {
  hash: string;
  /** Canonical JSON, only while it differs from the stored hash (unchanged products keep nothing). */
  body: string | undefined;
  where: string;
}

/** `file:line` (file name only) for messages. */
function place(file: string | undefined, line: number): string {
  if (file === undefined) return `line ${line}`;
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return `${file.slice(slash + 1)}:${line}`;
}

/**
 * Accumulates one pass over an export: `add` every record (of every file, in file order), report files
 * that could not be read with `fileError`, then `finish` against the stored id → hash map.
 */
export class CatalogDiffer {
  private readonly seen = new Map<string, Seen>();
  private readonly badIds = new Set<string>();
  private badWithoutId = 0;
  private rejected = 0;
  private readonly errors: LineError[] = [];
  private readonly duplicateWarnings: string[] = [];
  private duplicates = 0;
  private unreadableFiles = 0;
  private readonly deleteMissing: boolean;
  private readonly maxErrors: number;
  private readonly maxWarnings: number;

  constructor(
    private readonly known: ReadonlyMap<string, string>,
    options: DiffOptions = {},
  ) {
    this.deleteMissing = options.deleteMissing ?? true;
    this.maxErrors = options.maxErrors ?? 1000;
    this.maxWarnings = options.maxWarnings ?? 20;
  }

  /** One record; `file` names it in duplicate warnings (errors already carry their file). */
  add(record: CatalogRecord, file?: string): void {
    const product: Product | undefined = record.errors.length === 0 ? record.product : undefined;
    if (!product) {
      this.rejected++;
      for (const error of record.errors) {
        if (this.errors.length < this.maxErrors) this.errors.push(error);
      }
      const id = record.errors.find((error) => error.id !== undefined && error.id !== '')?.id;
      if (id === undefined) this.badWithoutId++;
      else this.badIds.add(id);
      return;
    }
    const body = canonicalProductJson(product);
    const hash = hashCanonicalJson(body);
    const where = place(file, record.line);
    const previous = this.seen.get(product.id);
    if (previous) {
      this.duplicates++;
      if (this.duplicateWarnings.length < this.maxWarnings) {
        this.duplicateWarnings.push(
          `product ${JSON.stringify(product.id)} appears at ${previous.where} and at ${where}; ${where} wins`,
        );
      }
    }
    // Deleted first so the map keeps export order by each id's latest record.
    if (previous) this.seen.delete(product.id);
    this.seen.set(product.id, { hash, body: this.known.get(product.id) === hash ? undefined : body, where });
  }

  /** A whole file that could not be read (bad CSV header …): its products are unknown, so none is deleted. */
  fileError(error: LineError): void {
    this.unreadableFiles++;
    if (this.errors.length < this.maxErrors) this.errors.push(error);
  }

  finish(): CatalogDiff {
    const upserts: PlannedUpsert[] = [];
    let unchanged = 0;
    for (const [id, seen] of this.seen) {
      if (seen.body === undefined) {
        unchanged++;
        continue;
      }
      upserts.push({ id, body: seen.body, hash: seen.hash, added: !this.known.has(id) });
    }
    const added = upserts.reduce((n, upsert) => n + (upsert.added ? 1 : 0), 0);

    const kept: string[] = [];
    const missing: string[] = [];
    for (const id of this.known.keys()) {
      if (this.seen.has(id)) continue;
      if (this.badIds.has(id)) kept.push(id);
      else missing.push(id);
    }

    const warnings = [...this.duplicateWarnings];
    if (this.duplicates > this.duplicateWarnings.length) {
      warnings.push(`… and ${this.duplicates - this.duplicateWarnings.length} more repeated ids`);
    }
    let heldBackReason: string | undefined;
    if (this.deleteMissing && missing.length > 0) {
      if (this.unreadableFiles > 0) {
        heldBackReason = `${this.unreadableFiles} file(s) could not be read`;
      } else if (this.badWithoutId > 0) {
        heldBackReason = `${this.badWithoutId} bad line(s) have no readable id, so they could be any of them`;
      } else if (this.seen.size === 0 && this.rejected === 0) {
        heldBackReason = 'the export holds no product at all';
      }
    }
    const deletes = this.deleteMissing && heldBackReason === undefined ? missing : [];
    const heldBack = heldBackReason === undefined ? 0 : missing.length;
    if (heldBackReason !== undefined) {
      warnings.push(`${heldBack} product(s) missing from the export were not deleted: ${heldBackReason}`);
    }
    return {
      upserts,
      added,
      changed: upserts.length - added,
      deletes,
      unchanged,
      rejected: this.rejected,
      errors: this.errors,
      kept,
      heldBack,
      heldBackReason,
      warnings,
      duplicates: this.duplicates,
    };
  }
}

/** The whole diff of a record stream (batches, as readCatalogBatches yields them, or single records). */
export async function diffCatalog(
  records: AsyncIterable<CatalogRecord[] | CatalogRecord> | Iterable<CatalogRecord[] | CatalogRecord>,
  known: ReadonlyMap<string, string>,
  options: DiffOptions & { file?: string } = {},
): Promise<CatalogDiff> {
  const differ = new CatalogDiffer(known, options);
  for await (const item of records) {
    if (Array.isArray(item)) for (const record of item) differ.add(record, options.file);
    else differ.add(item, options.file);
  }
  return differ.finish();
}

/** The products of some planned upserts (parsed from their canonical JSON). */
export function plannedProducts(upserts: readonly PlannedUpsert[]): Product[] {
  return upserts.map((upsert) => JSON.parse(upsert.body) as Product);
}
