import { basename } from 'node:path';
import type { FacetResult, LineError, SearchResponse } from '../types.ts';

/** Plain-text renderings for people; `--json` output bypasses all of this. */

export const MAX_REPORTED_ERRORS = 50;

/** `file:line: field "x": message [CODE]`, the shape editors and CI logs already link to. */
export function formatLineError(error: LineError, fallbackFile: string): string {
  const file = error.file ?? fallbackFile;
  const where = error.line === undefined ? file : `${file}:${error.line}`;
  const field = error.field === undefined ? '' : `field "${error.field}": `;
  return `${where}: ${field}${withoutLocation(error)} [${error.code}]`;
}

/** Validator messages already start with their location; it is printed once, in front, instead. */
function withoutLocation(error: LineError): string {
  if (error.line === undefined) return error.message;
  const prefixes = [`line ${error.line}: `];
  if (error.file !== undefined)
    prefixes.unshift(`${error.file}:${error.line}: `, `${basename(error.file)}:${error.line}: `);
  const prefix = prefixes.find((p) => error.message.startsWith(p));
  return prefix === undefined ? error.message : error.message.slice(prefix.length);
}

export function formatLineErrors(
  errors: readonly LineError[],
  fallbackFile: string,
  total = errors.length,
): string[] {
  const lines = errors.slice(0, MAX_REPORTED_ERRORS).map((error) => formatLineError(error, fallbackFile));
  const more = total - Math.min(errors.length, MAX_REPORTED_ERRORS);
  if (more > 0) lines.push(`… and ${more} more`);
  return lines;
}

export function formatSearch(response: SearchResponse): string {
  const lines: string[] = [];
  const shown = response.hits.length;
  const range = shown === 0 ? 'none shown' : `${response.offset + 1}–${response.offset + shown} shown`;
  const query = response.query === '' ? 'all products' : `"${response.query}"`;
  lines.push(`${response.total} results for ${query} (${range}, ${response.tookMs} ms)`);
  if (response.suggestion !== undefined) lines.push(`Did you mean: ${response.suggestion}`);
  if (shown > 0) {
    const rows = response.hits.map((hit, i) => [
      String(response.offset + i + 1),
      hit.score.toFixed(3),
      hit.id,
      truncate(hit.title, 60),
      hit.price === undefined ? '' : `${hit.price.toFixed(2)}${hit.currency ? ' ' + hit.currency : ''}`,
    ]);
    lines.push('', ...table(['#', 'score', 'id', 'title', 'price'], rows, new Set([0, 1, 4])));
  }
  const facets = Object.entries(response.facets ?? {});
  if (facets.length > 0) {
    lines.push('', 'facets:');
    for (const [name, facet] of facets) lines.push(`  ${name}: ${formatFacet(facet)}`);
  }
  return lines.join('\n');
}

function formatFacet(facet: FacetResult): string {
  const parts: string[] = [];
  for (const { value, count } of facet.values ?? []) parts.push(`${value} (${count})`);
  for (const bucket of facet.buckets ?? []) {
    const label = bucket.max === undefined ? `${bucket.min}+` : `${bucket.min}–${bucket.max}`;
    parts.push(`${label} (${bucket.count})`);
  }
  if (parts.length === 0 && facet.min !== undefined && facet.max !== undefined) {
    parts.push(`${facet.min}–${facet.max}`);
  }
  return parts.length === 0 ? '(none)' : parts.join(', ');
}

function table(header: string[], rows: string[][], rightAligned: Set<number>): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => [...(row[c] ?? '')].length)));
  const render = (row: string[]) =>
    row
      .map((cell, c) => {
        const pad = ' '.repeat((widths[c] ?? 0) - [...cell].length);
        return rightAligned.has(c) ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [render(header), ...rows.map(render)];
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}
