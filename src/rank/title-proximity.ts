/**
 * Where the query's words sit in a candidate's title, for the learned ranker. The lexical index keeps no
 * word positions (BM25F scores bags of words), so "light kit" scores the same on "Ceiling Fan Light Kit"
 * and on "LED Light, Ceiling Fan Remote Kit"; these features read the order back from the analysed title:
 * query words next to each other and in order, the smallest window holding them, where in the title they
 * start and end. Latin words and numbers only: Chinese titles are matched by characters and bigrams, which
 * carry their own adjacency.
 *
 * Every feature is a share or a relative position, so titles of any length compare; -1 means "does not
 * apply" (a one-word query has no word pairs, a title without a query word has no match position).
 */
import type { Token } from '../text/token.ts';

export const TITLE_PROXIMITY_FEATURES = [
  /** Share of the query's adjacent word pairs that are adjacent, in order, in the title. */
  'title_query_bigrams',
  /** Share of the query's adjacent word pairs within three words of each other in the title, either order. */
  'title_query_pairs_near',
  /** 1 when all the query's words occur as one run of title words, in order; 0 otherwise. */
  'title_contains_query',
  /** Smallest run of title words holding every matched query word, per matched word (1 = side by side). */
  'title_match_span',
  /** Share of matched query word pairs whose first occurrences in the title keep the query's order. */
  'title_match_order',
  /** Position of the first title word that is a query word, relative to the title's length. */
  'title_first_match',
  /** Position of the matched query word that comes last in the title (its first occurrence), relative. */
  'title_last_match',
  /** Position of the query's last word (often what the shopper wants) in the title, relative. */
  'title_query_last_word',
] as const;

/**
 * Words a shopper types between the words that matter ("table for outside", "vanity with top"): left out
 * of the query's pairs, so "vanity with top" pairs "vanity" with "top".
 */
const CONNECTIVES = new Set(['a', 'an', 'and', 'for', 'in', 'of', 'on', 'or', 'the', 'to', 'with']);

/** One term per word position (the first token there: a number keeps its unit), Latin words and numbers. */
function wordSequence(tokens: readonly Token[]): string[] {
  const out: string[] = [];
  let position = -1;
  for (const token of tokens) {
    if (token.kind !== 'word' && token.kind !== 'number') continue;
    if (token.position === position) continue;
    position = token.position;
    out.push(token.term);
  }
  return out;
}

/** The query's content words, in order (see CONNECTIVES). */
export function proximityQueryWords(queryTokens: readonly Token[]): string[] {
  return wordSequence(queryTokens).filter((term) => !CONNECTIVES.has(term));
}

/**
 * The `TITLE_PROXIMITY_FEATURES` of one title, written into `out` at `offset`. `queryWords` comes from
 * `proximityQueryWords`, `titleTokens` from `analyze(title)`.
 */
export function titleProximity(
  queryWords: readonly string[],
  titleTokens: readonly Token[],
  out: Float32Array,
  offset: number,
): void {
  const title = wordSequence(titleTokens);
  const positions = new Map<string, number[]>();
  title.forEach((term, i) => {
    const list = positions.get(term);
    if (list) list.push(i);
    else positions.set(term, [i]);
  });
  const length = Math.max(1, title.length);
  const pairs = queryWords.length - 1;
  let adjacent = 0;
  let near = 0;
  for (let i = 0; i < pairs; i++) {
    const left = positions.get(queryWords[i]!);
    const right = positions.get(queryWords[i + 1]!);
    if (!left || !right) continue;
    if (left.some((p) => right.includes(p + 1))) adjacent++;
    if (left.some((p) => right.some((r) => Math.abs(r - p) <= 3))) near++;
  }
  let contains = 0;
  for (const start of positions.get(queryWords[0] ?? '') ?? []) {
    if (queryWords.every((term, k) => title[start + k] === term)) contains = 1;
  }
  const matched = [...new Set(queryWords.filter((term) => positions.has(term)))];
  const first = matched.map((term) => positions.get(term)![0]!);
  let inOrder = 0;
  let orderPairs = 0;
  for (let i = 0; i < first.length; i++) {
    for (let j = i + 1; j < first.length; j++) {
      orderPairs++;
      if (first[j]! > first[i]!) inOrder++;
    }
  }
  const lastWord = positions.get(queryWords[queryWords.length - 1] ?? '');
  let at = offset;
  out[at++] = pairs > 0 ? adjacent / pairs : -1;
  out[at++] = pairs > 0 ? near / pairs : -1;
  out[at++] = pairs > 0 ? contains : -1;
  out[at++] =
    matched.length > 1 ? smallestWindow(matched.map((term) => positions.get(term)!)) / matched.length : -1;
  out[at++] = orderPairs > 0 ? inOrder / orderPairs : -1;
  out[at++] = first.length > 0 ? Math.min(...first) / length : -1;
  out[at++] = first.length > 0 ? Math.max(...first) / length : -1;
  out[at++] = lastWord ? lastWord[0]! / length : -1;
}

/** Length of the smallest run of positions holding at least one position of every list. */
function smallestWindow(lists: readonly number[][]): number {
  const events: Array<[position: number, list: number]> = [];
  lists.forEach((list, k) => list.forEach((position) => events.push([position, k])));
  events.sort((a, b) => a[0] - b[0]);
  const seen = new Int32Array(lists.length);
  let covered = 0;
  let best = Infinity;
  let low = 0;
  for (const [position, list] of events) {
    if (seen[list]!++ === 0) covered++;
    while (covered === lists.length) {
      const [lowPosition, lowList] = events[low++]!;
      best = Math.min(best, position - lowPosition + 1);
      if (--seen[lowList]! === 0) covered--;
    }
  }
  return best;
}
