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
    byKey.set(key, {
      term: token.term,
      surface: token.surface,
      kind: token.kind,
      weight: options.termWeights[token.kind],
      prefix,
      maxTypos,
    });
  }
  return [...byKey.values()];
}
