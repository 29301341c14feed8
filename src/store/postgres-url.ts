/**
 * PostgreSQL connection URLs, apart from the store itself so that recognising one (the CLI, the engine
 * choosing its store) does not load the `pg` driver in processes that never use it.
 */

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Where a URL points, without its password (for messages). */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.username ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}
