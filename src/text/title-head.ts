/**
 * The head of a product title: the last words of its main phrase, which in English catalogue titles name
 * what the product is — "Ceiling Fan" in "Hampton Bay Littleton 42 in. White Ceiling Fan", "Remote Control"
 * in "Hampton Bay Ceiling Fan Remote Control", "Battery Pack" in "DEWALT 18-Volt XRP Lithium-Ion Battery
 * Pack (2-Pack)". The main phrase ends where qualifiers begin: " with ", " for ", " in " (a finish or
 * colour; not "in." for inches), " w/ ", a spaced dash, an opening parenthesis, a comma or a bar.
 *
 * Indexed as a field of its own (`titleHead`), it lets "ceiling fan" rank ceiling fans above the remotes and
 * wall controls made for them, which plain BM25 cannot tell apart: both titles contain both words.
 *
 * Chinese titles do not follow this order (the product word sits anywhere, often several times), so a title
 * whose main phrase holds Chinese has no head.
 */
import type { Token } from './token.ts';

/** Where the main phrase of a title ends (the first qualifier after its first word), case-insensitive. */
const QUALIFIER = /\s(?:with|for|in(?!\.)|w\/|-|–|—)\s|\(|,|\|/gi;
/** Words of the main phrase kept as the head, counted from its end. */
const HEAD_WORDS = 2;
const HAS_DIGIT = /\d/;

/** A word that can name a product: not a number, and no digits (sizes and model codes are not heads). */
export function isHeadWord(token: Token): boolean {
  return token.kind === 'word' && !HAS_DIGIT.test(token.surface);
}

/**
 * The tokens of `titleTokens` (`analyze(title)`) that make up the head: the word tokens (not numbers,
 * not words with digits, which are sizes and model codes) of the last `HEAD_WORDS` word positions before
 * the first qualifier. Returns the same token objects, in order.
 */
export function titleHeadTokens(title: string, titleTokens: readonly Token[]): Token[] {
  // A qualifier before the first word ("(2-Pack) Ceiling Fan") does not end the main phrase.
  const firstWord = titleTokens.find((token) => token.kind === 'word');
  if (firstWord === undefined) return [];
  QUALIFIER.lastIndex = firstWord.end;
  const match = QUALIFIER.exec(title);
  const end = match === null ? title.length : match.index;
  let last = 0;
  for (; last < titleTokens.length; last++) {
    const token = titleTokens[last]!;
    if (token.start >= end) break;
    // Chinese characters in the main phrase (tokens other than words and numbers).
    if (token.kind !== 'word' && token.kind !== 'number') return [];
  }
  const out: Token[] = [];
  let positions = 0;
  let position = -1;
  for (let i = last - 1; i >= 0; i--) {
    const token = titleTokens[i]!;
    if (!isHeadWord(token)) continue;
    if (token.position !== position) {
      if (positions === HEAD_WORDS) break;
      positions++;
      position = token.position;
    }
    out.push(token);
  }
  return out.reverse();
}
