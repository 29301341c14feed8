/**
 * Aggregates of shoppers' behaviour feedback, built incrementally (`add`) from logged events, for the
 * learned ranker: per product popularity and attractiveness, per (query, product) click statistics for
 * training labels, and per user affinity to categories and brands (personalisation). Pure: no I/O.
 *
 * Position bias. A shopper examines the product at rank k with propensity
 *   p(k) = max(minPropensity, (1 / k)^η)          (η = 1: the classic 1/rank examination model)
 * and an event without a position is taken as examined (p = 1). Two standard corrections are kept:
 * - inverse propensity weighting (IPS): each click, add-to-cart and purchase counts 1 / p(k), so a click at
 *   rank 5 weighs 5 clicks at rank 1 (`debiasedClicks`, `popularity`). `minPropensity` (0.02) caps the
 *   weight at 50 so one deep click cannot dominate;
 * - clicks over expected clicks (COEC): each impression counts its propensity p(k) as exposure, so an
 *   unclicked impression at rank 20 is weak evidence against the product and one at rank 1 strong
 *   (`exposure`, `attractiveness`).
 * A ratio uses one of the two, never both (that would correct twice):
 *   attractiveness = (clicks + 3·carts + 10·purchases + m·a0) / (exposure + m)      (m = 10, a0 = 0.1)
 *   popularity     = ln(1 + Σ 1/p(k) · w(type))     w = click 1, add_to_cart 3, purchase 10
 * The IPS-weighted clicks over raw impressions per (query, product) is the unbiased click-through rate
 * the ranker can grade labels from.
 *
 * Queries are normalised like the analyser does (normalizeText: NFKC, case, width, whitespace), so
 * "Hoodie " and "hoodie" are one query.
 *
 * Affinity. A user's clicks (1), add-to-carts (3) and purchases (10) of products whose category and brand
 * are known (`describe`, at add time) accumulate per brand and per category prefix ("men", "men > tops",
 * …). The share of the user's weight on the candidate's brand, and the mean over the levels of its
 * category path of the share on each prefix, are smoothed towards 0 by `affinityPrior` pseudo-weight:
 *   share(key) = weight(key) / (total + 5)
 * so one click gives 0.17 and 20 clicks all in one brand 0.8. Impressions carry no affinity (the shopper
 * did not choose them); positions do not either (it is the user's own taste, not a ranking estimate).
 *
 * Memory is bounded: at most `maxProducts` products, `maxQueries` queries holding together at most
 * `maxQueryPairs` (query, product) pairs (and `maxProductsPerQuery` each), `maxUsers` users with at most
 * `maxKeysPerUser` category prefixes and as many brands each. Past a bound the least recently updated
 * entries are dropped, a tenth of the bound at a time (each entry records the event count of its last
 * update; a user's lightest keys go first). At the defaults the worst case is
 * roughly 150 MB (products) + 150 MB (pairs) + 60 MB (users); a typical log uses a small part of that.
 * There is no time decay: an event counts the same whatever its age.
 */
import { normalizeText } from '../text/normalize.ts';
import type { FeedbackRecord, FeedbackType } from '../types.ts';

export interface FeedbackStatsOptions {
  /** Exponent η of the examination propensity (1 / position)^η. */
  eta: number;
  /** Floor of the propensity: caps an inverse-propensity weight at 1 / minPropensity. */
  minPropensity: number;
  /** Weight of each interaction type in popularity, attractiveness and affinity. */
  weights: Record<Exclude<FeedbackType, 'impression'>, number>;
  /** Pseudo-exposure m and prior attractiveness a0 of the attractiveness estimate. */
  priorExposure: number;
  priorAttractiveness: number;
  /** Pseudo-weight added to a user's total interactions in affinity shares. */
  affinityPrior: number;
  maxProducts: number;
  maxQueries: number;
  maxProductsPerQuery: number;
  maxQueryPairs: number;
  maxUsers: number;
  maxKeysPerUser: number;
}

export const DEFAULT_FEEDBACK_STATS_OPTIONS: Readonly<FeedbackStatsOptions> = Object.freeze({
  eta: 1,
  minPropensity: 0.02,
  weights: Object.freeze({ click: 1, add_to_cart: 3, purchase: 10 }),
  priorExposure: 10,
  priorAttractiveness: 0.1,
  affinityPrior: 5,
  maxProducts: 1_000_000,
  maxQueries: 100_000,
  maxProductsPerQuery: 500,
  maxQueryPairs: 1_000_000,
  maxUsers: 100_000,
  maxKeysPerUser: 64,
});

/** The part of an event the aggregates read (a FeedbackRecord or LoggedFeedback fits). */
export type FeedbackInput = Pick<FeedbackRecord, 'type' | 'query' | 'productId'> &
  Partial<Pick<FeedbackRecord, 'position' | 'userId'>> & { seq?: number };

/** What affinity needs to know of a product. */
export interface ProductFacts {
  category?: readonly string[] | undefined;
  brand?: string | undefined;
}

/** Facts of the products events name; undefined for a product it does not know. */
export type ProductFactsLookup = (productId: string) => ProductFacts | undefined;

/** Per product (over all queries). */
export interface ProductFeedback {
  impressions: number;
  /** Σ p(position) over impressions: expected examinations. */
  exposure: number;
  clicks: number;
  /** Σ 1 / p(position) over clicks. */
  debiasedClicks: number;
  carts: number;
  debiasedCarts: number;
  purchases: number;
  debiasedPurchases: number;
}

/** Per (normalised query, product): the raw material of training labels. */
export interface QueryProductStats {
  impressions: number;
  exposure: number;
  clicks: number;
  /** Σ 1 / p(position) over clicks; debiasedClicks / impressions is the unbiased click-through rate. */
  debiasedClicks: number;
  carts: number;
  purchases: number;
}

interface UserProfile {
  total: number;
  categories: Map<string, number>;
  brands: Map<string, number>;
}

/** Examination propensity of a position (see the module comment); 1 without a position. */
export function examinationPropensity(
  position: number | undefined,
  eta: number = DEFAULT_FEEDBACK_STATS_OPTIONS.eta,
  minPropensity: number = DEFAULT_FEEDBACK_STATS_OPTIONS.minPropensity,
): number {
  if (position === undefined || !(position > 1)) return 1;
  return Math.max(minPropensity, Math.pow(1 / position, eta));
}

/** The key a query is aggregated under: the analyser's normalisation ("Hoodie " = "hoodie"). */
export function normalizeFeedbackQuery(query: string): string {
  return normalizeText(query);
}

const CATEGORY_SEPARATOR = ' > ';
const QUERY_KEY_CACHE = 10_000;

/** Entries carry the clock value of their last update: eviction drops the smallest. */
interface Ticked {
  tick: number;
}

/**
 * Shrinks `map` to `keep` entries by dropping the least recently updated ones (smallest ticks; ticks are
 * unique). Called when a map outgrows its bound, with `keep` a tenth below it, so the sort is amortised
 * over many updates; `dropped` sees each removed entry.
 */
function evictOldest<V extends Ticked>(
  map: Map<string, V>,
  keep: number,
  dropped?: (value: V) => void,
): void {
  if (map.size <= keep) return;
  const ticks = new Float64Array(map.size);
  let i = 0;
  for (const value of map.values()) ticks[i++] = value.tick;
  ticks.sort();
  const threshold = ticks[map.size - keep - 1]!;
  for (const [key, value] of map) {
    if (value.tick > threshold) continue;
    map.delete(key);
    dropped?.(value);
  }
}

/** The size a map is shrunk to once it passes `bound`. */
function shrinkTarget(bound: number): number {
  return Math.max(1, Math.floor(bound * 0.9));
}

type ProductEntry = ProductFeedback & Ticked;
type PairEntry = QueryProductStats & Ticked;
interface QueryEntry extends Ticked {
  products: Map<string, PairEntry>;
}
interface UserEntry extends UserProfile, Ticked {}

export class FeedbackStats {
  readonly options: Readonly<FeedbackStatsOptions>;
  private readonly products = new Map<string, ProductEntry>();
  private readonly queryMap = new Map<string, QueryEntry>();
  private readonly users = new Map<string, UserEntry>();
  /** Raw query → normalised key, two generations (the older one is dropped when the newer fills). */
  private queryKeys = new Map<string, string>();
  private olderQueryKeys = new Map<string, string>();
  private pairs = 0;
  private readonly factKeys = new WeakMap<ProductFacts, { category: string[]; brand: string }>();
  /** Advances on every event: the recency of entries. */
  private clock = 0;
  private eventCount = 0;
  private highestSeq = 0;
  private readonly typeCounts: Record<FeedbackType, number> = {
    impression: 0,
    click: 0,
    add_to_cart: 0,
    purchase: 0,
  };

  constructor(options: Partial<FeedbackStatsOptions> = {}) {
    this.options = Object.freeze({
      ...DEFAULT_FEEDBACK_STATS_OPTIONS,
      ...options,
      weights: { ...DEFAULT_FEEDBACK_STATS_OPTIONS.weights, ...options.weights },
    });
  }

  /** Events added so far. */
  get events(): number {
    return this.eventCount;
  }

  /** Highest feedback-log `seq` among the events added (0 when none carried one). */
  get lastSeq(): number {
    return this.highestSeq;
  }

  /**
   * Adds events, oldest first. `describe` gives the category and brand of the products user events name
   * (for affinity); without it, or for a product it does not know, an event counts everywhere but there.
   */
  add(events: Iterable<FeedbackInput>, describe?: ProductFactsLookup): void {
    const { eta, minPropensity, weights } = this.options;
    for (const event of events) {
      this.clock++;
      this.eventCount++;
      this.typeCounts[event.type]++;
      if (event.seq !== undefined && event.seq > this.highestSeq) this.highestSeq = event.seq;
      const propensity = examinationPropensity(event.position, eta, minPropensity);
      const product = this.productEntry(event.productId);
      const pair = this.pairEntry(this.queryKey(event.query), event.productId);
      switch (event.type) {
        case 'impression':
          product.impressions++;
          product.exposure += propensity;
          pair.impressions++;
          pair.exposure += propensity;
          break;
        case 'click':
          product.clicks++;
          product.debiasedClicks += 1 / propensity;
          pair.clicks++;
          pair.debiasedClicks += 1 / propensity;
          break;
        case 'add_to_cart':
          product.carts++;
          product.debiasedCarts += 1 / propensity;
          pair.carts++;
          break;
        case 'purchase':
          product.purchases++;
          product.debiasedPurchases += 1 / propensity;
          pair.purchases++;
          break;
      }
      if (event.type !== 'impression' && event.userId !== undefined && describe) {
        const facts = describe(event.productId);
        if (facts) this.addAffinity(event.userId, facts, weights[event.type]);
      }
    }
  }

  /** Counts of one product over all queries (a copy), or undefined when it has no feedback. */
  product(productId: string): ProductFeedback | undefined {
    const entry = this.products.get(productId);
    if (!entry) return undefined;
    const { tick: _tick, ...counts } = entry;
    return counts;
  }

  /**
   * Smoothed, position-debiased attractiveness (clicks over expected clicks):
   * (clicks + 3·carts + 10·purchases + m·a0) / (exposure + m). a0 (0.1) for a product without feedback.
   */
  attractiveness(productId: string): number {
    const { priorExposure: m, priorAttractiveness: a0, weights } = this.options;
    const entry = this.products.get(productId);
    if (!entry) return a0;
    const gained =
      weights.click * entry.clicks + weights.add_to_cart * entry.carts + weights.purchase * entry.purchases;
    return (gained + m * a0) / (entry.exposure + m);
  }

  /** ln(1 + inverse-propensity-weighted clicks + 3·carts + 10·purchases); 0 without feedback. */
  popularity(productId: string): number {
    const entry = this.products.get(productId);
    if (!entry) return 0;
    const { weights } = this.options;
    return Math.log1p(
      weights.click * entry.debiasedClicks +
        weights.add_to_cart * entry.debiasedCarts +
        weights.purchase * entry.debiasedPurchases,
    );
  }

  /** Per product statistics of one query (normalised here), as copies; empty for an unknown query. */
  queryProductStats(query: string): Map<string, QueryProductStats> {
    const entry = this.queryMap.get(normalizeFeedbackQuery(query));
    const out = new Map<string, QueryProductStats>();
    if (entry) {
      for (const [id, { tick: _tick, ...stats }] of entry.products) out.set(id, stats);
    }
    return out;
  }

  /** The normalised queries held, least recently updated first. */
  queries(): string[] {
    return [...this.queryMap].sort((a, b) => a[1].tick - b[1].tick).map(([query]) => query);
  }

  hasUser(userId: string): boolean {
    return this.users.has(userId);
  }

  /** Share of the user's weighted interactions on this brand, smoothed; 0 for an unknown user or brand. */
  brandAffinity(userId: string, brand: string | undefined): number {
    const user = this.users.get(userId);
    if (!user || brand === undefined) return 0;
    const key = normalizeText(brand);
    if (key === '') return 0;
    return (user.brands.get(key) ?? 0) / (user.total + this.options.affinityPrior);
  }

  /** Mean over the levels of the path of the user's smoothed share on each prefix; 0 when unknown. */
  categoryAffinity(userId: string, category: readonly string[] | undefined): number {
    const user = this.users.get(userId);
    if (!user || !category || category.length === 0) return 0;
    const denominator = user.total + this.options.affinityPrior;
    let sum = 0;
    let levels = 0;
    for (const prefix of categoryPrefixes(category)) {
      sum += (user.categories.get(prefix) ?? 0) / denominator;
      levels++;
    }
    return levels === 0 ? 0 : sum / levels;
  }

  /**
   * The user's affinity to a candidate in [0, 1]: the mean of categoryAffinity and brandAffinity over the
   * parts the candidate has (only the brand when it has no category, …); 0 for an unknown user.
   */
  affinity(userId: string, category: readonly string[] | undefined, brand: string | undefined): number {
    if (!this.users.has(userId)) return 0;
    const hasCategory = category !== undefined && category.some((segment) => normalizeText(segment) !== '');
    const hasBrand = brand !== undefined && normalizeText(brand) !== '';
    if (!hasCategory && !hasBrand) return 0;
    let sum = 0;
    if (hasCategory) sum += this.categoryAffinity(userId, category);
    if (hasBrand) sum += this.brandAffinity(userId, brand);
    return sum / ((hasCategory ? 1 : 0) + (hasBrand ? 1 : 0));
  }

  /** Sizes, for stats and for checking the memory bounds. */
  summary(): {
    events: number;
    byType: Record<FeedbackType, number>;
    products: number;
    queries: number;
    queryProductPairs: number;
    users: number;
  } {
    return {
      events: this.eventCount,
      byType: { ...this.typeCounts },
      products: this.products.size,
      queries: this.queryMap.size,
      queryProductPairs: this.pairs,
      users: this.users.size,
    };
  }

  private queryKey(query: string): string {
    let key = this.queryKeys.get(query);
    if (key !== undefined) return key;
    key = this.olderQueryKeys.get(query) ?? normalizeFeedbackQuery(query);
    if (this.queryKeys.size >= QUERY_KEY_CACHE) {
      this.olderQueryKeys = this.queryKeys;
      this.queryKeys = new Map();
    }
    this.queryKeys.set(query, key);
    return key;
  }

  private productEntry(productId: string): ProductEntry {
    let entry = this.products.get(productId);
    if (entry === undefined) {
      entry = {
        impressions: 0,
        exposure: 0,
        clicks: 0,
        debiasedClicks: 0,
        carts: 0,
        debiasedCarts: 0,
        purchases: 0,
        debiasedPurchases: 0,
        tick: this.clock,
      };
      this.products.set(productId, entry);
      if (this.products.size > this.options.maxProducts) {
        evictOldest(this.products, shrinkTarget(this.options.maxProducts));
      }
    }
    entry.tick = this.clock;
    return entry;
  }

  private pairEntry(query: string, productId: string): PairEntry {
    const { maxQueries, maxProductsPerQuery, maxQueryPairs } = this.options;
    let entry = this.queryMap.get(query);
    if (entry === undefined) {
      entry = { tick: this.clock, products: new Map() };
      this.queryMap.set(query, entry);
    }
    entry.tick = this.clock;
    let pair = entry.products.get(productId);
    if (pair === undefined) {
      pair = {
        impressions: 0,
        exposure: 0,
        clicks: 0,
        debiasedClicks: 0,
        carts: 0,
        purchases: 0,
        tick: this.clock,
      };
      entry.products.set(productId, pair);
      this.pairs++;
      if (entry.products.size > maxProductsPerQuery) {
        evictOldest(entry.products, shrinkTarget(maxProductsPerQuery), () => this.pairs--);
      }
      // Whole queries go, least recently updated first (never the one being updated: it is the newest).
      if (this.queryMap.size > maxQueries || this.pairs > maxQueryPairs) {
        let keep = this.queryMap.size > maxQueries ? shrinkTarget(maxQueries) : this.queryMap.size;
        while (this.pairs > maxQueryPairs && keep > 1) {
          // Drop about a tenth of the queries at a time until the pairs fit.
          keep = Math.max(1, Math.min(keep - 1, Math.floor(keep * 0.9)));
          evictOldest(this.queryMap, keep, (dropped) => (this.pairs -= dropped.products.size));
        }
        evictOldest(this.queryMap, keep, (dropped) => (this.pairs -= dropped.products.size));
      }
    }
    pair.tick = this.clock;
    return pair;
  }

  /** Normalised category prefixes and brand of a facts object (cached per object: lookups reuse them). */
  private affinityKeys(facts: ProductFacts): { category: string[]; brand: string } {
    let keys = this.factKeys.get(facts);
    if (keys === undefined) {
      keys = {
        category: facts.category && facts.category.length > 0 ? [...categoryPrefixes(facts.category)] : [],
        brand: facts.brand === undefined ? '' : normalizeText(facts.brand),
      };
      this.factKeys.set(facts, keys);
    }
    return keys;
  }

  private addAffinity(userId: string, facts: ProductFacts, weight: number): void {
    const { category, brand } = this.affinityKeys(facts);
    if (category.length === 0 && brand === '') return;
    let user = this.users.get(userId);
    if (user === undefined) {
      user = { total: 0, categories: new Map(), brands: new Map(), tick: this.clock };
      this.users.set(userId, user);
      if (this.users.size > this.options.maxUsers)
        evictOldest(this.users, shrinkTarget(this.options.maxUsers));
    }
    user.tick = this.clock;
    user.total += weight;
    for (const prefix of category) this.bump(user.categories, prefix, weight);
    if (brand !== '') this.bump(user.brands, brand, weight);
  }

  /** Adds weight to a user's key; past maxKeysPerUser the lightest other key goes (it matters least). */
  private bump(map: Map<string, number>, key: string, weight: number): void {
    const current = map.get(key);
    map.set(key, (current ?? 0) + weight);
    if (current !== undefined || map.size <= this.options.maxKeysPerUser) return;
    let lightest: string | undefined;
    let least = Infinity;
    for (const [other, value] of map) {
      if (other !== key && value < least) {
        least = value;
        lightest = other;
      }
    }
    if (lightest !== undefined) map.delete(lightest);
  }
}

/** "men", "men > tops", "men > tops > hoodies" for a path (segments normalised, empty ones skipped). */
function* categoryPrefixes(category: readonly string[]): Generator<string> {
  let prefix = '';
  for (const segment of category) {
    const key = normalizeText(segment);
    if (key === '') continue;
    prefix = prefix === '' ? key : prefix + CATEGORY_SEPARATOR + key;
    yield prefix;
  }
}
