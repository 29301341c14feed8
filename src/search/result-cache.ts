/**
 * Result-page cache: an LRU of search responses keyed by a canonical form of the request, with the
 * bookkeeping exact invalidation needs. The cache knows nothing about the index: the engine tells it which
 * entries a write affects (`drop`, `dropWhere`), and `clear` drops everything (rules, adapter changes).
 *
 * An entry records the product ids on its page (an update to one of them always drops it) and flags for
 * what else its answer depends on: `vector` (vector retrieval: any product or vector change may move it) and
 * `volatile` (few results: "did you mean" reads the whole vocabulary).
 */

import type { SearchRequest, SearchResponse } from '../types.ts';

export interface CacheEntry<Request = SearchRequest> {
  key: string;
  /** The request as asked (the engine re-evaluates it against a written product). */
  request: Request;
  response: SearchResponse;
  /** Product ids on the page. */
  pageIds: ReadonlySet<string>;
  /** Answered with vector retrieval: dropped on any product write. */
  vector: boolean;
  /** Few results (a suggestion may be computed): dropped on any product write. */
  volatile: boolean;
}

export interface ResultCacheStats {
  enabled: boolean;
  entries: number;
  maxEntries: number;
  hits: number;
  misses: number;
  /** hits / (hits + misses), 0 before the first lookup. */
  hitRatio: number;
  /** Entries dropped by invalidation (not by LRU eviction). */
  invalidated: number;
  evicted: number;
}

export class ResultCache<Request = SearchRequest> {
  private readonly entries = new Map<string, CacheEntry<Request>>();
  /** Product id → keys of the entries whose page shows it. */
  private readonly byProduct = new Map<string, Set<string>>();
  private hits = 0;
  private misses = 0;
  private invalidated = 0;
  private evicted = 0;
  /**
   * Bumped by every invalidation: a search that started before one must not store its answer (it may have
   * read the index before the write and finished after it).
   */
  epoch = 0;

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached response (and marks it most recently used), counting a hit or a miss. */
  get(key: string): SearchResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.response;
  }

  /** Stores an answer computed at `epoch`; ignored when something was invalidated meanwhile. */
  set(entry: CacheEntry<Request>, epoch: number): void {
    if (this.maxEntries <= 0 || epoch !== this.epoch) return;
    this.remove(entry.key);
    this.entries.set(entry.key, entry);
    for (const id of entry.pageIds) {
      let keys = this.byProduct.get(id);
      if (!keys) this.byProduct.set(id, (keys = new Set()));
      keys.add(entry.key);
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.remove(oldest);
      this.evicted++;
    }
  }

  /** Every entry, least recently used first. */
  values(): IterableIterator<CacheEntry<Request>> {
    return this.entries.values();
  }

  /** Drops the entries whose page shows one of these products. */
  dropShowing(ids: Iterable<string>): void {
    this.epoch++;
    for (const id of ids) {
      const keys = this.byProduct.get(id);
      if (!keys) continue;
      for (const key of [...keys]) this.invalidate(key);
    }
  }

  dropWhere(predicate: (entry: CacheEntry<Request>) => boolean): void {
    this.epoch++;
    for (const entry of [...this.entries.values()]) if (predicate(entry)) this.invalidate(entry.key);
  }

  drop(keys: Iterable<string>): void {
    this.epoch++;
    for (const key of keys) this.invalidate(key);
  }

  clear(): void {
    this.epoch++;
    this.invalidated += this.entries.size;
    this.entries.clear();
    this.byProduct.clear();
  }

  stats(enabled = true): ResultCacheStats {
    const lookups = this.hits + this.misses;
    return {
      enabled,
      entries: this.entries.size,
      maxEntries: this.maxEntries,
      hits: this.hits,
      misses: this.misses,
      hitRatio: lookups === 0 ? 0 : this.hits / lookups,
      invalidated: this.invalidated,
      evicted: this.evicted,
    };
  }

  private invalidate(key: string): void {
    if (this.remove(key)) this.invalidated++;
  }

  private remove(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    for (const id of entry.pageIds) {
      const keys = this.byProduct.get(id);
      keys?.delete(key);
      if (keys?.size === 0) this.byProduct.delete(id);
    }
    return true;
  }
}

/** JSON with object keys sorted, so equal requests give equal keys whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const object = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const name of Object.keys(object).sort()) {
    if (object[name] === undefined) continue;
    parts.push(`${JSON.stringify(name)}:${canonicalJson(object[name])}`);
  }
  return `{${parts.join(',')}}`;
}
