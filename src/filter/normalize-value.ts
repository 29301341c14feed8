/**
 * Stand-in for `normalizeText` from src/text/analyzer.ts, which was unfinished when this module was
 * written; the lead may swap it in later. Filter values, document values and field names all go through
 * this one function so that both sides of a comparison agree. Internal whitespace runs collapse to one
 * space so `"Hoodies  &  Sweatshirts"` and `Hoodies & Sweatshirts` compare equal.
 */
const SIMPLE_ASCII = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;

export function normalizeValue(s: string): string {
  // Printable ASCII words with single spaces are already NFKC and trimmed: only case remains.
  if (SIMPLE_ASCII.test(s)) return s.toLowerCase();
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

const NUMBER_RE = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i;

/**
 * Strict number parse: the whole string must be a decimal literal. `Number()` alone would accept
 * `""`, `"0x1f"` and `"Infinity"`, which would let non-numeric attribute values satisfy range filters.
 */
export function parseNumber(s: string): number {
  const t = s.trim();
  if (!NUMBER_RE.test(t)) return NaN;
  const n = Number(t);
  return Number.isFinite(n) ? n : NaN;
}
