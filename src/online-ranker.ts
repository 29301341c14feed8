/**
 * Online updates of the active learned ranker: new clicks, carts and purchases are counted as they are
 * logged; once `ranker.online.minEvents` have arrived, the queries they touched become feedback-labelled
 * examples and a few trees are added to the active model (`updateFromFeedback`), guarded by the judged
 * holdout. Updates run one at a time, off the request path; feedback arriving meanwhile waits for the next.
 */
import type { RankerConfig } from './config.ts';
import type { FeedbackStats } from './rank/feedback-stats.ts';
import { normalizeFeedbackQuery } from './rank/feedback-stats.ts';
import type { RankerModels } from './rank/ranker-models.ts';
import {
  feedbackExamples,
  updateFromFeedback,
  type OnlineUpdateReport,
  type TrainingHost,
} from './ranker-training.ts';
import type { LoggedFeedback } from './types.ts';

export class OnlineRankerUpdates {
  private pendingEvents = 0;
  private readonly pendingQueries = new Set<string>();
  private running: Promise<OnlineUpdateReport | undefined> | undefined;
  /** The last update's outcome (accepted or why not), for stats and tests. */
  last: OnlineUpdateReport | undefined;

  constructor(
    private readonly host: TrainingHost,
    private readonly config: RankerConfig,
    private readonly stats: FeedbackStats,
    private readonly rankers: RankerModels,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Counts new feedback; starts an update in the background when enough has arrived. */
  note(events: readonly LoggedFeedback[]): void {
    for (const event of events) {
      if (event.type === 'impression') continue;
      this.pendingEvents++;
      this.pendingQueries.add(normalizeFeedbackQuery(event.query));
    }
    const { online } = this.config;
    if (!online.enabled || this.running || !this.rankers.activeModel()) return;
    if (this.pendingEvents >= online.minEvents) void this.update().catch(this.onError);
  }

  /**
   * Updates now from the feedback that arrived since the last update (or, with none pending, from every
   * query with feedback). Undefined when there is no active model to update.
   */
  update(): Promise<OnlineUpdateReport | undefined> {
    if (this.running) return this.running.then(() => this.update());
    const base = this.rankers.activeModel();
    if (!base) return Promise.resolve(undefined);
    const queries = this.pendingQueries.size > 0 ? [...this.pendingQueries] : this.stats.queries();
    const events = this.pendingEvents;
    this.pendingQueries.clear();
    this.pendingEvents = 0;
    this.running = updateFromFeedback(this.host, this.config, base, feedbackExamples(this.stats, queries), {
      events,
    })
      .then((report) => (this.last = report))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves when no update is running (close waits for it). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
