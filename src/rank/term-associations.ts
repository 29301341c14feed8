/**
 * Learned term associations: which product words go with which query words, learned from the products
 * judged relevant (or chosen by shoppers) for queries. A shopper's "otr microwave" is answered by titles
 * saying "over the range"; "l bracket" by an "angle"; BM25 sees neither, because the words differ. Counting,
 * over the positive (query, product) pairs, how often a product word b appears with a query word a — against
 * how often b appears in the catalogue at all — gives a lift per pair:
 *
 *   strength(a, b) = ln((n(a, b) + ½) / (n(a) · df(b) / N + ½))
 *
 * with n(a, b) the positive pairs whose query has a and product has b, n(a) the positive pairs whose query
 * has a, df(b) the products with b among N. Only pairs seen `minCount` times and lifting (strength > 0)
 * are kept; a's own word never counts as its association (BM25 already scores it).
 *
 * The ranker reads two features from it: for each query word the strongest association among the
 * candidate's words, averaged over the query words — over the words the candidate lacks (`assoc_missing`:
 * evidence for what the lexical match cannot see) and over all of them (`assoc_all`). Pure: terms are the
 * lexical index's keys, given by the caller.
 */

export interface AssociationExample {
  /** The query's terms (index keys, each once). */
  queryTerms: readonly string[];
  /** The positive product's terms. */
  productTerms: ReadonlySet<string>;
}

export interface AssociationOptions {
  /** Positive pairs a (query word, product word) pair must occur in to be kept. Default 2. */
  minCount?: number;
  /** Most pairs kept (strongest first). Default 200,000. */
  maxPairs?: number;
}

/** Query term → product term → strength (> 0). */
export type TermAssociations = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** As stored with a model: `[query term, [[product term, strength], …]]` entries. */
export type PackedAssociations = Array<[string, Array<[string, number]>]>;

/** Separates the two keys of a pair in the counting map (index keys never hold it). */
const SEPARATOR = '\u0000';

export function learnTermAssociations(
  examples: Iterable<AssociationExample>,
  productFrequency: (term: string) => number,
  productCount: number,
  options: AssociationOptions = {},
): TermAssociations {
  const minCount = options.minCount ?? 2;
  const maxPairs = options.maxPairs ?? 200_000;
  const pairCounts = new Map<string, number>();
  const queryCounts = new Map<string, number>();
  for (const { queryTerms, productTerms } of examples) {
    for (const a of queryTerms) {
      queryCounts.set(a, (queryCounts.get(a) ?? 0) + 1);
      for (const b of productTerms) {
        if (queryTerms.includes(b)) continue;
        const key = a + SEPARATOR + b;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + 1);
      }
    }
  }
  const kept: Array<[string, string, number]> = [];
  if (productCount > 0) {
    for (const [key, count] of pairCounts) {
      if (count < minCount) continue;
      const at = key.indexOf(SEPARATOR);
      const a = key.slice(0, at);
      const b = key.slice(at + 1);
      const expected = (queryCounts.get(a)! * productFrequency(b)) / productCount;
      const strength = Math.log((count + 0.5) / (expected + 0.5));
      if (strength > 0) kept.push([a, b, strength]);
    }
  }
  kept.sort((x, y) => y[2] - x[2]);
  const out = new Map<string, Map<string, number>>();
  for (const [a, b, strength] of kept.slice(0, maxPairs)) {
    let row = out.get(a);
    if (!row) out.set(a, (row = new Map()));
    row.set(b, strength);
  }
  return out;
}

/** `assoc_missing` and `assoc_all` of one candidate (see the file comment); 0 without query terms. */
export function associationFeatures(
  associations: TermAssociations,
  queryTerms: readonly string[],
  productTerms: ReadonlySet<string>,
): { missing: number; all: number } {
  if (queryTerms.length === 0) return { missing: 0, all: 0 };
  let missing = 0;
  let all = 0;
  for (const a of queryTerms) {
    const row = associations.get(a);
    if (!row) continue;
    let best = 0;
    // The shorter side drives the loop: a query word has few associations, a product many words.
    if (row.size < productTerms.size) {
      for (const [b, strength] of row) if (strength > best && productTerms.has(b)) best = strength;
    } else {
      for (const b of productTerms) {
        const strength = row.get(b);
        if (strength !== undefined && strength > best) best = strength;
      }
    }
    all += best;
    if (!productTerms.has(a)) missing += best;
  }
  return { missing: missing / queryTerms.length, all: all / queryTerms.length };
}

export function packAssociations(associations: TermAssociations): PackedAssociations {
  return [...associations].map(([a, row]) => [a, [...row].map(([b, s]) => [b, Math.round(s * 1e4) / 1e4])]);
}

export function unpackAssociations(packed: PackedAssociations): TermAssociations {
  return new Map(packed.map(([a, row]) => [a, new Map(row)]));
}
