/**
 * The cross-lingual bridge: a Chinese query also looks for English products and an English query for
 * Chinese ones, by dictionary (CC-CEDICT), plus pinyin typed in Latin letters. Pure: the dictionary is
 * data, the catalogue is seen only through `BridgeContext`.
 */
import type { CrossLingualConfig } from '../config.ts';
import type { QueryTerm } from '../lexical/lexical-index.ts';
import type { Token } from '../text/token.ts';

export interface BridgeContext {
  /** Live products containing an index term key (0 when the catalogue never uses it). */
  frequency(key: string): number;
  /** Live products in the catalogue. */
  readonly size: number;
}

export interface BridgedQuery {
  /** Extra query terms in the other language (or Chinese words spelled by pinyin). */
  terms: QueryTerm[];
  /** The query rendered in the other language, for the vector path (an English model sees English). */
  translation?: string;
}

export function bridgeQuery(
  _text: string,
  _tokens: readonly Token[],
  _planned: readonly QueryTerm[],
  _context: BridgeContext,
  _options: CrossLingualConfig,
): BridgedQuery {
  return { terms: [] };
}
