/**
 * A catch-up job that runs behind other queued work, with at most one run waiting: asking again while a
 * run waits is the same request (the waiting run will see everything up to the moment it starts).
 * Replicas use it to follow a shared store's logs after every notification without piling up runs.
 */
export class CoalescedRun {
  private waiting = false;

  /**
   * Chains `run` behind `after` unless a run is already waiting; returns the new end of the chain (or
   * `after` unchanged). A failed run goes to `onError` and the chain carries on.
   */
  schedule(
    after: Promise<unknown>,
    run: () => Promise<unknown>,
    onError: (error: unknown) => void,
  ): Promise<unknown> {
    if (this.waiting) return after;
    this.waiting = true;
    return after
      .then(() => {
        this.waiting = false;
        return run();
      })
      .catch((error: unknown) => {
        this.waiting = false;
        onError(error);
      });
  }
}
