/**
 * Prometheus metrics for one server (`GET /metrics`), in a Registry of its own so that any number of apps
 * can live in one process (tests). Request counts and latencies per route and search mode are observed by
 * a middleware; index, cache and embedding figures are read from the engine at scrape time.
 */
import type { Hono } from 'hono';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '../engine-api.ts';
import type { FeedbackEvent } from '../types.ts';

/** Click positions are counted in these buckets (1-based rank shown). */
const CLICK_BUCKETS: ReadonlyArray<[number, string]> = [
  [1, '1'],
  [3, '2-3'],
  [5, '4-5'],
  [10, '6-10'],
  [20, '11-20'],
];

function clickBucket(position: number | undefined): string {
  if (position === undefined) return 'unknown';
  for (const [upTo, label] of CLICK_BUCKETS) if (position <= upTo) return label;
  return '21+';
}

/** Adds the metrics middleware and `GET /metrics` to an app; call before the routes are added. */
export function installMetrics(app: Hono, engine: Engine): Registry {
  const registry = new Registry();
  const requests = new Counter({
    name: 'souk_http_requests_total',
    help: 'HTTP requests by route, method, status and search mode',
    labelNames: ['route', 'method', 'status', 'mode'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'souk_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and search mode',
    labelNames: ['route', 'method', 'mode'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const searches = new Counter({
    name: 'souk_searches_total',
    help: 'Answered searches by mode',
    labelNames: ['mode'],
    registers: [registry],
  });
  const zeroResults = new Counter({
    name: 'souk_search_zero_results_total',
    help: 'Answered searches that found nothing, by mode',
    labelNames: ['mode'],
    registers: [registry],
  });
  const clicks = new Counter({
    name: 'souk_feedback_clicks_total',
    help: 'Click feedback events by the position bucket the product was shown at',
    labelNames: ['position'],
    registers: [registry],
  });
  const feedbackEvents = new Counter({
    name: 'souk_feedback_events_total',
    help: 'Feedback events recorded, by type',
    labelNames: ['type'],
    registers: [registry],
  });
  const onFeedback = (engine as Engine & { onFeedback?: (l: (e: FeedbackEvent[]) => void) => unknown })
    .onFeedback;
  onFeedback?.call(engine, (events) => {
    for (const event of events) {
      feedbackEvents.inc({ type: event.type });
      if (event.type === 'click') clicks.inc({ position: clickBucket(event.position) });
    }
  });

  // Read from the engine at scrape time.
  const cache = new Gauge({
    name: 'souk_result_cache',
    help: 'Result-page cache: hits, misses, entries, invalidated and evicted entries (counts since start)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const hitRatio = new Gauge({
    name: 'souk_result_cache_hit_ratio',
    help: 'Result-page cache hits / lookups since start',
    registers: [registry],
  });
  const index = new Gauge({
    name: 'souk_index',
    help: 'Index size: live products, tombstones, vocabulary terms, index bytes',
    labelNames: ['kind'],
    registers: [registry],
  });
  const written = new Counter({
    name: 'souk_products_written_total',
    help: 'Product writes applied (change-log entries: upserts, patches, deletes)',
    registers: [registry],
  });
  const vectors = new Gauge({
    name: 'souk_vectors',
    help: 'Vectors per space and products waiting to be embedded (backlog)',
    labelNames: ['space', 'kind'],
    registers: [registry],
  });
  let lastSeq: number | undefined;

  const collect = async (): Promise<void> => {
    const stats = await engine.stats();
    index.set({ kind: 'products' }, stats.products);
    index.set({ kind: 'tombstones' }, stats.deletedPendingVacuum);
    index.set({ kind: 'terms' }, stats.terms);
    index.set({ kind: 'bytes' }, stats.indexBytes);
    // Writes before the server started are not this process's ingest.
    if (lastSeq !== undefined && stats.seq > lastSeq) written.inc(stats.seq - lastSeq);
    lastSeq = stats.seq;
    for (const [space, figures] of Object.entries(stats.vectors)) {
      vectors.set({ space, kind: 'vectors' }, figures.vectors);
      vectors.set({ space, kind: 'backlog' }, figures.backlog);
      vectors.set({ space, kind: 'bytes' }, figures.bytes);
    }
    const cached = engine.cacheStats();
    for (const kind of ['hits', 'misses', 'entries', 'invalidated', 'evicted'] as const) {
      cache.set({ kind }, cached[kind]);
    }
    hitRatio.set(cached.hitRatio);
  };
  void engine
    .stats()
    .then((stats) => (lastSeq ??= stats.seq))
    .catch(() => undefined);

  app.use(async (c, next) => {
    if (c.req.path === '/metrics') return next();
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const matched = c.req.matchedRoutes.filter((route) => route.method !== 'ALL');
    const route = matched[matched.length - 1]?.path ?? 'unmatched';
    let mode = '';
    if (route.startsWith('/search') && c.res.status === 200) {
      try {
        const body = (await c.res.clone().json()) as { mode?: string; total?: number };
        mode = body.mode ?? '';
        if (typeof body.total === 'number') {
          searches.inc({ mode });
          if (body.total === 0) zeroResults.inc({ mode });
        }
      } catch {
        // Not a search response (e.g. a batch): no mode.
      }
    }
    requests.inc({ route, method: c.req.method, status: String(c.res.status), mode });
    latency.observe({ route, method: c.req.method, mode }, seconds);
  });

  app.get('/metrics', async (c) => {
    await collect();
    return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });
  return registry;
}
