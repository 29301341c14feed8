/**
 * What analysers produce. `term` is the normalised index term; `surface` is the normalised word before
 * stemming (used for prefix and typo matching); offsets point into the ORIGINAL input string so the
 * highlighter can wrap them.
 */
export type TokenKind =
  /** A Latin/Cyrillic/etc. word (case-folded, stemmed). */
  | 'word'
  /** A number, or a number with its unit in canonical form (`42cm`, `1gal`, `3/4in`, `42码`). */
  | 'number'
  /** A Chinese word from jieba segmentation (length ≥ 2). */
  | 'cjk-word'
  /** A single Chinese character. */
  | 'cjk-char'
  /** Two adjacent Chinese characters. */
  | 'cjk-bigram';

export interface Token {
  term: string;
  surface: string;
  kind: TokenKind;
  /** Offset of the first UTF-16 unit in the original text. */
  start: number;
  /** Offset just past the last UTF-16 unit in the original text. */
  end: number;
  /** Ordinal of the token's word in the text (tokens from the same Chinese run share nearby positions). */
  position: number;
}
