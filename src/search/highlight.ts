import type { Token } from '../text/token.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/**
 * Wraps the spans of `text` whose tokens matched in <mark>…</mark>, HTML-escaping everything else.
 * Overlapping or touching spans (Chinese characters and bigrams of one word) merge into one mark.
 */
export function highlight(
  text: string,
  tokens: readonly Token[],
  matched: (token: Token) => boolean,
): string {
  const spans: Array<[number, number]> = [];
  for (const token of tokens) if (matched(token)) spans.push([token.start, token.end]);
  if (spans.length === 0) return escapeHtml(text);
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([span[0], span[1]]);
  }
  let out = '';
  let cursor = 0;
  for (const [start, end] of merged) {
    out += escapeHtml(text.slice(cursor, start)) + '<mark>' + escapeHtml(text.slice(start, end)) + '</mark>';
    cursor = end;
  }
  return out + escapeHtml(text.slice(cursor));
}
