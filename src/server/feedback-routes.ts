import { Hono } from 'hono';
import type { Engine } from '../engine-api.ts';
import { SoukError } from '../errors.ts';
import type { FeedbackEvent } from '../types.ts';
import { readJsonBody } from './body.ts';

/** Events one request may carry; larger batches are split by the client (or imported from a file). */
export const MAX_FEEDBACK_EVENTS_PER_REQUEST = 10_000;

export interface FeedbackRoutesOptions {
  engine: Engine;
  maxBodyBytes: number;
  maxEvents?: number;
}

/**
 * `POST /feedback`: one event, an array of events, or `{"events": [...]}` (see README "Feedback").
 * All or nothing: a bad event fails the request with its path (`events[3].position`) and writes none.
 * Answers `{seq, count}` once the events are durable. The admin-key middleware is mounted in front.
 */
export function feedbackRoutes({
  engine,
  maxBodyBytes,
  maxEvents = MAX_FEEDBACK_EVENTS_PER_REQUEST,
}: FeedbackRoutesOptions): Hono {
  const app = new Hono();
  app.post('/', async (c) => {
    const body = await readJsonBody(c.req.raw, maxBodyBytes);
    const events = feedbackBody(body);
    if (Array.isArray(events) && events.length > maxEvents) {
      throw new SoukError(
        'PAYLOAD_TOO_LARGE',
        `A feedback request carries at most ${maxEvents} events, got ${events.length}; split the batch`,
        { limit: maxEvents },
      );
    }
    return c.json(await engine.feedback(events as FeedbackEvent | FeedbackEvent[]));
  });
  return app;
}

function feedbackBody(body: unknown): unknown {
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null && 'events' in body) {
    const events = (body as { events: unknown }).events;
    if (Array.isArray(events)) return events;
    throw new SoukError('INVALID_REQUEST', 'Field "events" must be an array of feedback events', {
      field: 'events',
    });
  }
  if (typeof body === 'object' && body !== null) return body;
  throw new SoukError(
    'INVALID_REQUEST',
    'POST /feedback takes one feedback event, a JSON array of events, or {"events": [...]}',
    { field: 'body' },
  );
}
