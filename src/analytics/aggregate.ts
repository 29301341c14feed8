/**
 * Search analytics (see README "Analytics"): popular queries, queries that found nothing and the most
 * clicked products over a period. Pure aggregation over timestamped records — no I/O; the server feeds it
 * searches as they are answered (`SearchLog`) and clicks read from the feedback log (`ClickLog`).
 *
 * Memory is bounded: each log is a ring buffer keeping the newest `capacity` records, so `period=all`
 * means "everything still held". Searches live in memory only (a restart starts them afresh); clicks are
 * re-read from the durable feedback log.
 */
import { SoukError } from '../errors.ts';
import { normalizeFeedbackQuery } from '../rank/feedback-stats.ts';

export type AnalyticsPeriod = '24h' | '7d' | '30d' | 'all';
export const ANALYTICS_PERIODS: readonly AnalyticsPeriod[] = ['24h', '7d', '30d', 'all'];

const HOUR = 3_600_000;
const PERIOD_MS: Record<Exclude<AnalyticsPeriod, 'all'>, number> = {
  '24h': 24 * HOUR,
  '7d': 7 * 24 * HOUR,
  '30d': 30 * 24 * HOUR,
};

export const DEFAULT_ANALYTICS_LIMIT = 20;
export const MAX_ANALYTICS_LIMIT = 1000;

/** Reads `period` (default 24h); INVALID_REQUEST naming the parameter otherwise. */
export function parsePeriod(text: string | undefined): AnalyticsPeriod {
  if (text === undefined || text === '') return '24h';
  if ((ANALYTICS_PERIODS as readonly string[]).includes(text)) return text as AnalyticsPeriod;
  throw new SoukError('INVALID_REQUEST', `period must be one of ${ANALYTICS_PERIODS.join(', ')}`, {
    field: 'period',
  });
}

/** Reads `limit` (default 20, 1 … 1000); INVALID_REQUEST naming the parameter otherwise. */
export function parseAnalyticsLimit(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_ANALYTICS_LIMIT;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_ANALYTICS_LIMIT) {
    throw new SoukError('INVALID_REQUEST', `limit must be an integer from 1 to ${MAX_ANALYTICS_LIMIT}`, {
      field: 'limit',
    });
  }
  return value;
}

/** First timestamp (ms) inside `period` ending at `now`; -Infinity for `all`. */
export function periodStart(period: AnalyticsPeriod, now: number): number {
  return period === 'all' ? -Infinity : now - PERIOD_MS[period];
}

/** Keeps the newest `capacity` records, oldest first when read. */
export class RingLog<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }
  get size(): number {
    return this.items.length;
  }
  *[Symbol.iterator](): IterableIterator<T> {
    const n = this.items.length;
    const start = n < this.capacity ? 0 : this.next;
    for (let i = 0; i < n; i++) yield this.items[(start + i) % n]!;
  }
}

export interface SearchRecord {
  /** Normalised query text (NFKC, case, width, whitespace: "Hoodie " = "hoodie"). */
  query: string;
  /** Products found (`total`). */
  hits: number;
  /** Epoch ms. */
  at: number;
}

export interface ClickRecord {
  productId: string;
  at: number;
}

/** Answered searches; empty queries (browsing) are not recorded. */
export class SearchLog extends RingLog<SearchRecord> {
  constructor(capacity = 100_000) {
    super(capacity);
  }
  record(query: string | undefined, hits: number, at: number = Date.now()): void {
    const normalized = normalizeFeedbackQuery(query ?? '');
    if (normalized === '') return;
    this.push({ query: normalized, hits, at });
  }
}

/** Clicks read from the feedback log. */
export class ClickLog extends RingLog<ClickRecord> {
  constructor(capacity = 1_000_000) {
    super(capacity);
  }
}

export interface QueryCount {
  query: string;
  searches: number;
  /** Searches of it that found nothing. */
  noResults: number;
  /** Mean products found. */
  meanHits: number;
  lastAt: string;
}

export interface ProductClicks {
  productId: string;
  clicks: number;
  lastAt: string;
}

export interface AggregateOptions {
  period: AnalyticsPeriod;
  limit: number;
  now?: number;
}

interface Tally {
  count: number;
  zero: number;
  hits: number;
  last: number;
}

function tally<T>(
  records: Iterable<T>,
  key: (record: T) => string,
  at: (record: T) => number,
  since: number,
  now: number,
  hits: (record: T) => number = () => 0,
): Map<string, Tally> {
  const tallies = new Map<string, Tally>();
  for (const record of records) {
    const time = at(record);
    if (time < since || time > now) continue;
    const k = key(record);
    let entry = tallies.get(k);
    if (!entry) tallies.set(k, (entry = { count: 0, zero: 0, hits: 0, last: time }));
    const h = hits(record);
    entry.count++;
    entry.hits += h;
    if (h === 0) entry.zero++;
    if (time > entry.last) entry.last = time;
  }
  return tallies;
}

/** Most count first, then most recent, then key: a stable order for equal counts. */
function top(tallies: Map<string, Tally>, count: (t: Tally) => number, limit: number): [string, Tally][] {
  return [...tallies]
    .filter(([, t]) => count(t) > 0)
    .sort(([ka, a], [kb, b]) => count(b) - count(a) || b.last - a.last || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, limit);
}

/** The most searched queries in the period. */
export function popularQueries(records: Iterable<SearchRecord>, options: AggregateOptions): QueryCount[] {
  const now = options.now ?? Date.now();
  const tallies = tally(
    records,
    (r) => r.query,
    (r) => r.at,
    periodStart(options.period, now),
    now,
    (r) => r.hits,
  );
  return top(tallies, (t) => t.count, options.limit).map(([query, t]) => queryCount(query, t));
}

/** The queries searched most often without finding anything in the period. */
export function noResultQueries(records: Iterable<SearchRecord>, options: AggregateOptions): QueryCount[] {
  const now = options.now ?? Date.now();
  const zero = (function* () {
    for (const r of records) if (r.hits === 0) yield r;
  })();
  const tallies = tally(
    zero,
    (r) => r.query,
    (r) => r.at,
    periodStart(options.period, now),
    now,
    (r) => r.hits,
  );
  return top(tallies, (t) => t.zero, options.limit).map(([query, t]) => queryCount(query, t));
}

/** The most clicked products in the period. */
export function topClickedProducts(
  clicks: Iterable<ClickRecord>,
  options: AggregateOptions,
): ProductClicks[] {
  const now = options.now ?? Date.now();
  const tallies = tally(
    clicks,
    (r) => r.productId,
    (r) => r.at,
    periodStart(options.period, now),
    now,
  );
  return top(tallies, (t) => t.count, options.limit).map(([productId, t]) => ({
    productId,
    clicks: t.count,
    lastAt: new Date(t.last).toISOString(),
  }));
}

function queryCount(query: string, t: Tally): QueryCount {
  return {
    query,
    searches: t.count,
    noResults: t.zero,
    meanHits: Math.round((t.hits / t.count) * 100) / 100,
    lastAt: new Date(t.last).toISOString(),
  };
}
