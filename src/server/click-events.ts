import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import type { Engine } from '../engine-api.ts';
import { SoukError } from '../errors.ts';
import type { FeedbackEvent } from '../types.ts';
import { readJsonBody } from './body.ts';

/**
 * `POST /events/click`: the one write a public shopper page may make without the admin key. It takes
 * exactly one click (`{productId, query, position?, sessionId?}`) on a product that exists, in a small
 * JSON body, and is rate-limited per client address and overall; anything else (other event types,
 * user ids, batches) still goes through the admin-only `POST /feedback`. The JSON content type is
 * required so a cross-site form cannot post clicks without a CORS preflight, which this server refuses.
 */

export interface ClickEventOptions {
  engine: Engine;
  /** Clicks one client address may send per minute (default 60). */
  perClientPerMinute?: number;
  /** Clicks all clients together may send per minute (default 1200). */
  totalPerMinute?: number;
  /** Client addresses tracked at once; the oldest are forgotten past this (default 10,000). */
  maxClients?: number;
  now?: () => number;
}

const MAX_BODY_BYTES = 2048;
const MAX_QUERY_LENGTH = 500;
const MAX_ID_LENGTH = 256;
const MAX_POSITION = 1000;
const WINDOW_MS = 60_000;

/** A fixed one-minute window counter per key; enough to bound what an anonymous client can write. */
class WindowCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly limit: number,
    private readonly maxKeys: number,
  ) {}

  take(key: string, now: number): boolean {
    let window = this.windows.get(key);
    if (window === undefined || now - window.start >= WINDOW_MS) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) {
        const oldest = this.windows.keys().next().value;
        if (oldest !== undefined) this.windows.delete(oldest);
      }
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count >= this.limit) return false;
    window.count++;
    return true;
  }
}

function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // app.request() in tests has no socket
  }
}

function invalid(field: string, message: string): SoukError {
  return new SoukError('INVALID_REQUEST', message, { field });
}

function optionalString(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw invalid(field, `Field "${field}" must be a string of at most ${max} characters`);
  }
  return value;
}

export function clickEventRoutes(options: ClickEventOptions): Hono {
  const { engine } = options;
  const now = options.now ?? Date.now;
  const maxClients = options.maxClients ?? 10_000;
  const perClient = new WindowCounter(options.perClientPerMinute ?? 60, maxClients);
  const total = new WindowCounter(options.totalPerMinute ?? 1200, 1);
  const app = new Hono();

  app.post('/click', async (c) => {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) {
      throw new SoukError('UNSUPPORTED_FORMAT', 'POST /events/click takes a JSON body (application/json)', {
        contentType: type,
      });
    }
    const at = now();
    if (!perClient.take(clientAddress(c), at) || !total.take('*', at)) {
      c.header('Retry-After', '60');
      return c.json(
        { error: { code: 'RATE_LIMITED', message: 'Too many click events; try again later' } },
        429,
      );
    }
    const body = await readJsonBody(c.req.raw, MAX_BODY_BYTES);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalid(
        'body',
        'POST /events/click takes one JSON object {productId, query, position?, sessionId?}',
      );
    }
    const fields = body as Record<string, unknown>;
    const productId = optionalString(fields, 'productId', MAX_ID_LENGTH);
    if (productId === undefined || productId === '')
      throw invalid('productId', 'Field "productId" is required');
    const query = optionalString(fields, 'query', MAX_QUERY_LENGTH) ?? '';
    const sessionId = optionalString(fields, 'sessionId', MAX_ID_LENGTH);
    const position = fields.position;
    if (
      position !== undefined &&
      (typeof position !== 'number' || !Number.isInteger(position) || position < 1 || position > MAX_POSITION)
    ) {
      throw invalid('position', `Field "position" must be an integer from 1 to ${MAX_POSITION}`);
    }
    if ((await engine.get(productId)) === undefined) {
      throw new SoukError('PRODUCT_NOT_FOUND', `No product with id "${productId}"`, { id: productId });
    }
    const event: FeedbackEvent = { type: 'click', query, productId };
    if (position !== undefined) event.position = position;
    if (sessionId !== undefined) event.sessionId = sessionId;
    const result = await engine.feedback(event);
    return c.json({ accepted: true, seq: result.seq }, 202);
  });
  return app;
}
