/**
 * The engine's side of behaviour feedback: validates events, appends them to the store's feedback log,
 * keeps the engine's FeedbackStats equal to that log, and tells listeners (the learned ranker's online
 * updates) about every event once it is durable and counted.
 *
 * Order: appends are issued to the store at once (it commits them in call order) and applied to the
 * stats strictly in log order. Events another process appended to the same data directory meanwhile
 * (`souk feedback import` next to `souk serve`) are read from the log and applied first, so the stats
 * always reflect a prefix of the log.
 *
 * At open the stats are rebuilt from the whole log in batches (1M events: about 8 s of CPU; README "Feedback").
 * Affinity needs the category and brand of the products user events name: they are read from the store,
 * for user clicks, add-to-carts and purchases only, when the events are applied.
 */
import { validateFeedbackEvent } from './catalog/feedback-schema.ts';
import { readFeedbackBatches } from './catalog/read-feedback.ts';
import { SoukError, toSoukError } from './errors.ts';
import type { FeedbackStats, ProductFacts } from './rank/feedback-stats.ts';
import type { Store } from './store/store.ts';
import { CoalescedRun } from './util/coalesced-run.ts';
import type {
  FeedbackEvent,
  FeedbackRecord,
  FeedbackResult,
  IngestProgress,
  LineError,
  LoggedFeedback,
} from './types.ts';

/** Called with every batch of events once it is durable and in `feedbackStats`, in log order. */
export type FeedbackListener = (events: readonly LoggedFeedback[]) => void;

export interface FeedbackImportOptions {
  /** Any bad line fails the whole import and nothing is written. */
  strict?: boolean;
  onProgress?: (progress: IngestProgress) => void;
  /** Events written per transaction (default 5000). */
  batchSize?: number;
}

export interface FeedbackImportReport {
  loaded: number;
  rejected: number;
  /** At most 1000, in file order. */
  errors: LineError[];
  /** Feedback-log number of the last event written. */
  seq: number;
}

const LOAD_BATCH = 20_000;
const MAX_REPORTED_ERRORS = 1000;
/** Facts of this many products are kept while the log is replayed at open (then dropped). */
const FACTS_CACHE = 200_000;

export class EngineFeedback {
  private readonly listeners = new Set<FeedbackListener>();
  /** Stats updates, in the order their appends were issued. */
  private applied: Promise<unknown> = Promise.resolve();
  /** Log position the stats reflect. */
  private appliedSeq = 0;
  private closed = false;
  private readonly followRun = new CoalescedRun();
  /** Product facts read during load (null: not in the catalogue). */
  private facts = new Map<string, ProductFacts | null>();

  constructor(
    private readonly store: Store,
    readonly stats: FeedbackStats,
  ) {}

  /** Rebuilds the stats from the whole feedback log. */
  async load(): Promise<void> {
    await this.catchUp(Number.MAX_SAFE_INTEGER, LOAD_BATCH);
    this.facts = new Map();
  }

  /**
   * Validates every event (SoukError with the first problem; `details.errors` lists them all, fields
   * named `events[i].field` for an array), then appends them as one transaction.
   */
  async record(input: FeedbackEvent | readonly FeedbackEvent[]): Promise<FeedbackResult> {
    this.assertOpen();
    const events = validateFeedbackEvents(input);
    return this.append(events);
  }

  /** Appends events already validated (validateFeedbackEvent). */
  async append(events: readonly FeedbackRecord[]): Promise<FeedbackResult> {
    this.assertOpen();
    const outcome = this.store.appendFeedback(events).catch((error: unknown) => {
      throw toSoukError(error);
    });
    outcome.catch(() => undefined); // handled below, once the earlier appends are applied
    const result = this.applied
      .then(() => outcome)
      .then(async ({ seq, count }) => {
        if (count === 0) return { seq, count };
        const first = seq - count + 1;
        if (first - 1 > this.appliedSeq) await this.catchUp(first - 1, LOAD_BATCH);
        const logged = events.map((event, i): LoggedFeedback => ({ seq: first + i, ...event }));
        await this.apply(logged);
        return { seq, count };
      });
    this.applied = result.catch(() => undefined);
    return result;
  }

  /**
   * Applies events other writers appended (a shared store's replicas), behind the appends issued so far;
   * a request while one is queued is the same request.
   */
  follow(): void {
    if (this.closed) return;
    this.applied = this.followRun.schedule(
      this.applied,
      () => this.catchUp(Number.MAX_SAFE_INTEGER, LOAD_BATCH),
      (error) => process.emitWarning(`following the feedback log failed: ${toSoukError(error).message}`),
    );
  }

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: FeedbackListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Imports a `.jsonl` / `.ndjson` / `.csv` file of events (see read-feedback.ts). */
  async importFile(file: string, options: FeedbackImportOptions = {}): Promise<FeedbackImportReport> {
    this.assertOpen();
    const batchSize = options.batchSize ?? 5000;
    const now = Date.now();
    const report: FeedbackImportReport = { loaded: 0, rejected: 0, errors: [], seq: this.appliedSeq };
    const keep = (errors: LineError[]): void => {
      for (const error of errors) if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push(error);
    };
    if (options.strict) {
      for await (const records of readFeedbackBatches(file, { now })) {
        for (const record of records) {
          if (record.errors.length === 0) continue;
          report.rejected++;
          keep(record.errors);
        }
      }
      if (report.rejected > 0) {
        throw new SoukError(
          'STRICT_LOAD_FAILED',
          `${file}: ${report.rejected} bad line(s), no feedback was imported (strict mode); first: ${report.errors[0]?.message ?? ''}`,
          { file, rejected: report.rejected, errors: report.errors },
        );
      }
    }
    let linesRead = 0;
    let progress = { bytesRead: 0, totalBytes: undefined as number | undefined };
    const tell = (): void =>
      options.onProgress?.({
        linesRead,
        loaded: report.loaded,
        rejected: report.rejected,
        bytesRead: progress.bytesRead,
        totalBytes: progress.totalBytes,
      });
    let batch: FeedbackRecord[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      const written = await this.append(events);
      report.loaded += written.count;
      report.seq = written.seq;
      tell();
    };
    const batches = readFeedbackBatches(file, {
      now,
      onProgress: (p) => {
        progress = { bytesRead: p.bytesRead, totalBytes: p.totalBytes };
      },
    });
    for await (const records of batches) {
      for (const record of records) {
        linesRead++;
        if (record.event && record.errors.length === 0) {
          batch.push(record.event);
          if (batch.length >= batchSize) await flush();
        } else {
          report.rejected++;
          keep(record.errors);
        }
      }
    }
    await flush();
    tell();
    return report;
  }

  /** Waits for the appends issued so far, then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.applied;
  }

  private assertOpen(): void {
    if (this.closed) throw new SoukError('ENGINE_CLOSED', 'the engine is closed');
  }

  /** Applies logged events up to `throughSeq` that the stats have not seen yet. */
  private async catchUp(throughSeq: number, batchSize: number): Promise<void> {
    while (this.appliedSeq < throughSeq) {
      const limit = Math.min(batchSize, throughSeq - this.appliedSeq);
      const events = await this.store.feedbackSince(this.appliedSeq, limit);
      if (events.length === 0) return;
      await this.apply(events);
    }
  }

  private async apply(events: readonly LoggedFeedback[]): Promise<void> {
    const facts = await this.productFacts(events);
    this.stats.add(events, (id) => facts.get(id) ?? undefined);
    this.appliedSeq = Math.max(this.appliedSeq, events[events.length - 1]?.seq ?? 0);
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        // A listener's failure is its own: the events are durable and counted whatever it does.
        process.emitWarning(`feedback listener failed: ${toSoukError(error).message}`);
      }
    }
  }

  /** Category and brand of the products that user interactions (not impressions) name. */
  private async productFacts(events: readonly LoggedFeedback[]): Promise<Map<string, ProductFacts | null>> {
    const wanted = new Set<string>();
    for (const event of events) {
      if (event.userId !== undefined && event.type !== 'impression' && !this.facts.has(event.productId)) {
        wanted.add(event.productId);
      }
    }
    if (wanted.size === 0) return this.facts;
    const ids = [...wanted];
    const products = await this.store.getMany(ids);
    if (this.facts.size + ids.length > FACTS_CACHE) this.facts = new Map();
    ids.forEach((id, i) => {
      const product = products[i];
      this.facts.set(id, product ? { category: product.category, brand: product.brand } : null);
    });
    return this.facts;
  }
}

/** Validates one event or a list (see record); throws the first problem with all of them in details. */
export function validateFeedbackEvents(
  input: FeedbackEvent | readonly FeedbackEvent[] | unknown,
  now: number = Date.now(),
): FeedbackRecord[] {
  const list = Array.isArray(input) ? (input as unknown[]) : [input];
  const events: FeedbackRecord[] = [];
  const errors: LineError[] = [];
  list.forEach((raw, index) => {
    const where = Array.isArray(input) ? { path: `events[${index}]` } : undefined;
    const result = validateFeedbackEvent(raw, where, now);
    if (result.event) events.push(result.event);
    else if (errors.length < MAX_REPORTED_ERRORS) errors.push(...result.errors);
  });
  const first = errors[0];
  if (first) {
    const code =
      first.code === 'MISSING_FIELD' || first.code === 'INVALID_JSON' ? first.code : 'INVALID_FIELD';
    const details: Record<string, unknown> = {
      errors: errors.map(({ code: c, message, field }) => ({ code: c, message, field })),
    };
    if (first.field !== undefined) details.field = first.field;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem(s))` : '';
    throw new SoukError(code, `${first.message}${more}`, details);
  }
  return events;
}
