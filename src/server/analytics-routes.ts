import { Hono } from 'hono';
import {
  ClickLog,
  noResultQueries,
  parseAnalyticsLimit,
  parsePeriod,
  popularQueries,
  SearchLog,
  topClickedProducts,
  type AggregateOptions,
} from '../analytics/aggregate.ts';
import type { Engine } from '../engine-api.ts';

export interface AnalyticsRoutesOptions {
  engine: Engine;
  /** Searches answered by this server (app.ts records each one). */
  searches: SearchLog;
  /** Clicks, filled from the engine's feedback log; a new one per app by default. */
  clicks?: ClickLog;
}

/** Feedback-log events read per page while catching up. */
const FEEDBACK_PAGE = 10_000;

/**
 * `/analytics/*` (admin key, mounted in front): popular queries, queries without results and top clicked
 * products over `period=24h|7d|30d|all` (default 24h), `limit` rows (default 20). Clicks are read from the
 * durable feedback log incrementally (from where the last request stopped), so they survive restarts;
 * searches are this process's own (in memory, bounded).
 */
export function analyticsRoutes({ engine, searches, clicks = new ClickLog() }: AnalyticsRoutesOptions): Hono {
  const app = new Hono();
  let readSeq = 0;
  let catchingUp: Promise<void> | undefined;
  const catchUp = async (): Promise<void> => {
    for (;;) {
      const events = await engine.feedbackEvents(readSeq, FEEDBACK_PAGE);
      for (const event of events) {
        readSeq = Math.max(readSeq, event.seq);
        if (event.type === 'click') clicks.push({ productId: event.productId, at: event.at });
      }
      if (events.length < FEEDBACK_PAGE) return;
    }
  };
  const options = (query: (name: string) => string | undefined): AggregateOptions => ({
    period: parsePeriod(query('period')),
    limit: parseAnalyticsLimit(query('limit')),
  });

  app.get('/queries', (c) => {
    const o = options((name) => c.req.query(name));
    return c.json({ period: o.period, queries: popularQueries(searches, o) });
  });
  app.get('/no-results', (c) => {
    const o = options((name) => c.req.query(name));
    return c.json({ period: o.period, queries: noResultQueries(searches, o) });
  });
  app.get('/products', async (c) => {
    const o = options((name) => c.req.query(name));
    catchingUp ??= catchUp().finally(() => (catchingUp = undefined));
    await catchingUp;
    return c.json({ period: o.period, products: topClickedProducts(clicks, o) });
  });
  return app;
}
