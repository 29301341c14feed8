import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { resolveConfig, type ResolvedConfig, type SoukConfig } from '../config.ts';
import type { Engine, SimilarOptions } from '../engine-api.ts';
import { SoukError } from '../errors.ts';
import { ApiKeys, keyRoutes, RateLimiter, scopedEngine, searchAccess } from './api-keys.ts';
import { requireAdminKey } from './auth.ts';
import { readJsonBody } from './body.ts';
import { errorBody, errorStatus, toHttpError } from './error-status.ts';
import { imageHandler } from './image-route.ts';
import { imageSearchRequest } from './image-search.ts';
import { rewriteHit } from './image-urls.ts';
import { installMetrics } from './metrics.ts';
import { productRoutes } from './product-routes.ts';
import { clickEventRoutes } from './click-events.ts';
import { webRoutes } from './web-static.ts';
import { feedbackRoutes } from './feedback-routes.ts';
import { rulesRoutes } from './rules-routes.ts';
import { batchRoutes } from './batch-routes.ts';
import { DOCS_PAGE_CSP, docsPage, OPENAPI_DOCUMENT } from './openapi.ts';
import { searchRequestFromBody, searchRequestFromQuery } from './search-params.ts';
import type { SearchRequest } from '../types.ts';
import type { Logger } from 'pino';
import { SearchLog } from '../analytics/aggregate.ts';
import { analyticsRoutes } from './analytics-routes.ts';
import { installRequestLog, noteSearchMode, silentLogger } from './request-log.ts';

export interface AppOptions {
  /** Server and search limits are read from here (`server.adminKey`, `server.maxBodyBytes`, `search.*`). */
  config?: SoukConfig | ResolvedConfig;
  /** Receives unexpected (5xx) errors; by default they are written to stderr. */
  onServerError?: (error: SoukError, request: Request) => void;
  /** Request log (pino); none by default, so tests stay quiet. */
  logger?: Logger;
  /** Where answered searches are counted for `/analytics/*` (a new bounded log by default). */
  searchLog?: SearchLog;
}

/**
 * Builds the HTTP API around an engine without binding a socket, so tests can drive it with
 * `app.request()` and `startServer` can hand it to Node's HTTP server.
 */
export function createApp(engine: Engine, options: AppOptions = {}): Hono {
  const config = resolveConfig(options.config);
  const limits = { maxLimit: config.search.maxLimit, maxQueryLength: config.search.maxQueryLength };
  const maxBodyBytes = config.server.maxBodyBytes;
  const onServerError = options.onServerError ?? defaultServerErrorLog;
  const app = new Hono();

  app.use(async (c, next) => {
    await next();
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
  });
  const { origins } = config.server.cors;
  if (origins.length > 0) {
    const origin = origins.includes('*') ? '*' : origins;
    app.use(
      cors({ origin, allowHeaders: ['Authorization', 'Content-Type'], exposeHeaders: ['Retry-After'] }),
    );
  }
  installRequestLog(app, options.logger ?? silentLogger);
  installMetrics(app, engine);
  const searchLog = options.searchLog ?? new SearchLog();

  // The shopper page from web/ at / and /web/*; its clicks go to the public, bounded /events/click.
  webRoutes(app);

  app.get('/health', async (c) => {
    const stats = await engine.stats();
    // appliedSeq < seq: a replica of a shared store still catching up (followError says why, if stuck).
    const { products, seq, appliedSeq, store, followError } = stats;
    return c.json({
      status: 'ok',
      products,
      seq,
      appliedSeq,
      store,
      ...(followError ? { followError } : {}),
    });
  });
  app.get('/ready', (c) => {
    const status = engine.status();
    return status === 'open' ? c.json({ status: 'ready' }) : c.json({ status }, 503);
  });
  app.get('/openapi.json', (c) => c.json(OPENAPI_DOCUMENT));
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', DOCS_PAGE_CSP);
    return c.html(docsPage());
  });

  // Search keys (POST /keys): scoped keys' filters are ANDed in by searchEngine, within their rate limits.
  const keys = new ApiKeys(engine);
  const limiter = new RateLimiter();
  const searchEngine = scopedEngine(engine);
  app.on(['GET', 'POST'], SEARCH_PATHS, searchAccess({ keys, limiter, ...config.server }));

  const search = async (request: SearchRequest, raw?: Request) => {
    const response = await searchEngine.search(request);
    searchLog.record(request.q, response.total);
    if (raw) noteSearchMode(raw, response.mode);
    return { ...response, hits: response.hits.map(rewriteHit) };
  };
  app.get('/search', async (c) =>
    c.json(
      await search(
        searchRequestFromQuery((name) => c.req.query(name), limits),
        c.req.raw,
      ),
    ),
  );
  app.post('/search', async (c) =>
    c.json(
      await search(searchRequestFromBody(await readJsonBody(c.req.raw, maxBodyBytes), limits), c.req.raw),
    ),
  );

  batchRoutes(app, {
    engine: searchEngine,
    limits,
    maxBodyBytes,
    maxBatchQueries: config.server.maxBatchQueries,
  });

  const imageLimits = { ...limits, maxImageBytes: config.server.maxImageBytes };
  app.post('/search/image', async (c) =>
    c.json(await search(await imageSearchRequest(c.req.raw, imageLimits))),
  );

  app.get('/products/:id/images/:slot', imageHandler(engine));
  app.get('/products/:id/similar', async (c) => {
    const query = searchRequestFromQuery((name) => c.req.query(name), limits);
    const options: SimilarOptions = {};
    if (query.limit !== undefined) options.limit = query.limit;
    if (query.offset !== undefined) options.offset = query.offset;
    if (query.filter !== undefined) options.filter = query.filter;
    const response = await searchEngine.similar(c.req.param('id'), options);
    return c.json({ ...response, hits: response.hits.map(rewriteHit) });
  });

  const adminOnly = requireAdminKey(config.server.adminKey);
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    app.on(method, ['/products', '/products/*'], adminOnly);
  }
  app.route('/products', productRoutes({ engine, maxBodyBytes }));
  app.on('POST', ['/feedback', '/feedback/*'], adminOnly);
  app.route('/feedback', feedbackRoutes({ engine, maxBodyBytes }));
  app.route('/events', clickEventRoutes({ engine }));
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '/rules', adminOnly);
  app.route('/rules', rulesRoutes({ engine, maxBodyBytes }));
  app.use('/keys', adminOnly);
  app.use('/keys/*', adminOnly);
  app.route('/keys', keyRoutes(keys, limiter, maxBodyBytes));
  app.use('/analytics/*', adminOnly);
  app.route('/analytics', analyticsRoutes({ engine, searches: searchLog }));

  app.notFound((c) => {
    const error = new SoukError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`, {
      method: c.req.method,
      path: c.req.path,
    });
    return c.json(errorBody(error), 404);
  });

  app.onError((thrown, c) => {
    const error = toHttpError(thrown);
    const status = errorStatus(error.code);
    if (status >= 500) onServerError(error, c.req.raw);
    return c.json(errorBody(error), status);
  });

  return app;
}

/** Routes that need a search key when `server.searchKeyRequired` is set. */
const SEARCH_PATHS = [
  '/search',
  '/search/image',
  '/search/batch',
  '/rerank',
  '/suggest',
  '/products/:id/similar',
];

function defaultServerErrorLog(error: SoukError, request: Request): void {
  const { pathname } = new URL(request.url);
  console.error(`souk: ${request.method} ${pathname} failed: [${error.code}] ${error.message}`);
  if (error.code === 'INTERNAL' && error.cause instanceof Error && error.cause.stack) {
    console.error(error.cause.stack);
  }
}
