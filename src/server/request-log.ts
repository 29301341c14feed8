/**
 * Structured logs (pino): one JSON line per request — method, route (the matched pattern), status, ms and,
 * for searches, the retrieval mode — at `info`, 5xx at `error`. The logger comes from the caller
 * (`souk serve --log-level`, `SOUK_LOG_LEVEL`); an app built without one logs nothing (tests).
 */
import type { Hono } from 'hono';
import { pino, type Level, type Logger } from 'pino';
import { SoukError } from '../errors.ts';

export type LogLevel = Level | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A JSON logger to stderr (stdout carries the CLI's own lines, such as "souk listening on …"). */
export function createLogger(
  level: LogLevel = 'info',
  destination: NodeJS.WritableStream = process.stderr,
): Logger {
  if (!LOG_LEVELS.includes(level)) {
    throw new SoukError('INVALID_REQUEST', `log level must be one of ${LOG_LEVELS.join(', ')}`, {
      field: 'logLevel',
    });
  }
  return pino({ name: 'souk', level, base: { name: 'souk' } }, destination);
}

export const silentLogger: Logger = pino({ level: 'silent' });

/** Search handlers note the mode that answered each request here, for its log line. */
const searchModes = new WeakMap<Request, string>();
export function noteSearchMode(request: Request, mode: string): void {
  searchModes.set(request, mode);
}

export function installRequestLog(app: Hono, logger: Logger): void {
  if (logger.level === 'silent') return;
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round((performance.now() - started) * 100) / 100;
    const matched = c.req.matchedRoutes.filter((route) => route.method !== 'ALL');
    const route = matched[matched.length - 1]?.path ?? 'unmatched';
    const status = c.res.status;
    const line: Record<string, unknown> = { method: c.req.method, route, status, ms };
    const mode = searchModes.get(c.req.raw);
    if (mode !== undefined) line.mode = mode;
    if (status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
  });
}
