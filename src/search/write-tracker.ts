/**
 * Which products writes are touching, so a search can tell whether the products it read from the store
 * after ranking may be newer than the index it ranked them on. A write commits in the store before it is
 * applied to the index, and a search awaits the store for its page: in that window a hit could show a
 * price it was not filtered or sorted by, or be gone while `total` still counts it.
 *
 * Writes are numbered as issued and settle in that order (the engine applies them in a chain). A search
 * notes `settledThrough()` when it starts; afterwards `touched(ids, since)` is true when one of its page's
 * products belongs to a write still pending, or to one that settled since — then the search runs again.
 */
export class WriteTracker {
  private issued = 0;
  private settled = 0;
  /** Products of writes issued and not yet settled: id → number of its latest pending write. */
  private readonly pending = new Map<string, number>();
  /** The last writes settled, oldest first (enough for any search that is not extremely slow). */
  private readonly recent: Array<{ no: number; ids: ReadonlySet<string> }> = [];

  constructor(private readonly keep = 64) {}

  issue(ids: readonly string[]): number {
    const no = ++this.issued;
    for (const id of ids) this.pending.set(id, no);
    return no;
  }

  settle(no: number, ids: readonly string[]): void {
    for (const id of ids) if (this.pending.get(id) === no) this.pending.delete(id);
    this.settled = Math.max(this.settled, no);
    this.recent.push({ no, ids: new Set(ids) });
    if (this.recent.length > this.keep) this.recent.shift();
  }

  settledThrough(): number {
    return this.settled;
  }

  /** True when a write issued after write number `since` settled or is pending names one of `ids`. */
  touched(ids: readonly string[], since: number): boolean {
    if (ids.length === 0) return false;
    if (this.pending.size > 0 && ids.some((id) => this.pending.has(id))) return true;
    if (this.settled <= since) return false;
    const oldest = this.recent[0];
    // The writes since then are no longer all remembered: assume the worst.
    if (!oldest || oldest.no > since + 1) return true;
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const write = this.recent[i]!;
      if (write.no <= since) break;
      if (ids.some((id) => write.ids.has(id))) return true;
    }
    return false;
  }
}
