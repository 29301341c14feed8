import type { QueryTerm } from '../lexical/lexical-index.ts';
import { termKey } from '../lexical/lexical-index.ts';
import type { Token, TokenKind } from '../text/token.ts';

export interface QueryPlanOptions {
  prefix: boolean;
  typos: boolean;
  oneTypoMinLength: number;
  twoTyposMinLength: number;
  termWeights: Readonly<Record<TokenKind, number>>;
}

const HAS_DIGIT = /\d/;

/**
 * Turns analysed query tokens into index query terms: duplicates merged, the word being typed (the last
 * one, when the text does not end in a space) marked as a prefix, typo budgets from word length. Typos are
 * never allowed for numbers, model numbers (words with digits) or Chinese.
 *
 * Chinese is matched as characters, character bigrams and jieba words (see the analyser); only the
 * characters count towards coverage (the share of the query a product matches, see `coordination`), so
 * coverage is the share of the query's characters and Latin words a product has, and a brand written in
 * Latin letters in a Chinese query (`adidas纸袋子`) is not outweighed by the bigrams and words that
 * repeat the Chinese characters. Measured on Multi-CPR dev: MRR@10 0.7874 → 0.7963.
 */
export function planQuery(text: string, tokens: readonly Token[], options: QueryPlanOptions): QueryTerm[] {
  const byKey = new Map<string, QueryTerm>();
  const typedEnd = text.length;
  for (const token of tokens) {
    const isWord = token.kind === 'word';
    const lengthInLetters = [...token.surface].length;
    let maxTypos = 0;
    if (options.typos && isWord && !HAS_DIGIT.test(token.surface)) {
      if (lengthInLetters >= options.twoTyposMinLength) maxTypos = 2;
      else if (lengthInLetters >= options.oneTypoMinLength) maxTypos = 1;
    }
    const prefix = options.prefix && (isWord || token.kind === 'number') && token.end === typedEnd;
    const key = termKey(token);
    const existing = byKey.get(key);
    if (existing) {
      existing.prefix ||= prefix;
      existing.maxTypos = Math.max(existing.maxTypos, maxTypos);
      continue;
    }
    const term: QueryTerm = {
      term: token.term,
      surface: token.surface,
      kind: token.kind,
      weight: options.termWeights[token.kind],
      prefix,
      maxTypos,
    };
    // Jieba words and bigrams are other readings of the query's characters: they add score (a title
    // segmented like the query ranks higher) but coverage counts the characters once.
    if (token.kind === 'cjk-word' || token.kind === 'cjk-bigram') term.alternativeCredit = 0;
    byKey.set(key, term);
  }
  return [...byKey.values()];
}
