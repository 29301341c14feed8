/**
 * Which products writes are touching, so a search can tell whether the products it read from the store
 * after ranking may be newer than the index it ranked them on. A write commits in the store before it is
 * applied to the index, and a search awaits the store for its page: in that window a hit could show a
 * price it was not filtered or sorted by, or be gone while `total` still counts it.
 *
 * Writes are numbered as issued and settle in that order (the engine applies them in a chain). A search
 * notes `settledThrough()` when it starts; afterwards `touched(ids, since)` names the latest write touching
 * one of its page's products that is still pending or settled since — then the search runs again once that
 * write settled (`settledAfter`), not after every write queued behind it.
 */
export class WriteTracker {
  private issued = 0;
  private settled = 0;
  /** Products of writes issued and not yet settled: id → number of its latest pending write. */
  private readonly pending = new Map<string, number>();
  /** The last writes settled, oldest first (enough for any search that is not extremely slow). */
  private readonly recent: Array<{ no: number; ids: ReadonlySet<string> }> = [];
  /** Searches waiting for a write to settle, by its number. */
  private waiting: Array<{ no: number; resolve: () => void }> = [];

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
    if (this.waiting.length > 0) {
      const ready = this.waiting.filter((w) => w.no <= this.settled);
      this.waiting = this.waiting.filter((w) => w.no > this.settled);
      for (const w of ready) w.resolve();
    }
  }

  /** Resolves once write number `no` (and every one before it) has settled. */
  settledAfter(no: number): Promise<void> {
    if (no <= this.settled) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ no, resolve }));
  }

  settledThrough(): number {
    return this.settled;
  }

  /**
   * The number of the latest write issued after write `since` that names one of `ids` and is pending or
   * has settled; undefined when there is none (what the store returned matches what was ranked).
   */
  touched(ids: readonly string[], since: number): number | undefined {
    if (ids.length === 0) return undefined;
    let latest: number | undefined;
    if (this.pending.size > 0) {
      for (const id of ids) {
        const no = this.pending.get(id);
        if (no !== undefined && (latest === undefined || no > latest)) latest = no;
      }
      if (latest !== undefined) return latest;
    }
    if (this.settled <= since) return undefined;
    const oldest = this.recent[0];
    // The writes since then are no longer all remembered: assume the worst (they have all settled).
    if (!oldest || oldest.no > since + 1) return this.settled;
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const write = this.recent[i]!;
      if (write.no <= since) break;
      if (ids.some((id) => write.ids.has(id))) return write.no;
    }
    return undefined;
  }
}
