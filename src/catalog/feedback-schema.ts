/**
 * Validation of behaviour-feedback events (see README "Feedback"), shared by `POST /feedback`,
 * `engine.feedback` and `souk feedback import`, so all three accept exactly the same events.
 *
 * Rules:
 * - `type`: `impression`, `click`, `add_to_cart` or `purchase` (case-insensitive; `-` or a space may stand
 *   for `_`, and `addtocart` is read as `add_to_cart`).
 * - `query`: required string (may be empty: browsing), at most MAX_FEEDBACK_QUERY_LENGTH characters;
 *   kept as sent (aggregates normalise it).
 * - `productId`: required non-empty string (trimmed) or finite number, converted like product ids.
 * - `position`: optional 1-based integer rank (numeric strings accepted, as CSV gives them).
 * - `userId`, `sessionId`: optional strings (trimmed; numbers converted); empty counts as absent.
 * - `at`: optional epoch milliseconds or a date-time string `Date.parse` reads (ISO 8601); default now.
 *   A number below 10^11 is refused: it is almost certainly epoch *seconds*.
 * - `product_id`, `user_id`, `session_id` are accepted for the camel-case names; other fields are dropped.
 *
 * Errors name the field, prefixed by `where.path` when given (`events[3].position`), and the file and
 * line when given, in the catalogue's style (`feedback.jsonl:4: field "position" …`).
 */
import type { FeedbackRecord, FeedbackType, LineError } from '../types.ts';
import { MAX_ID_LENGTH, describeValue, lineError, type Where } from './product-schema.ts';

export const FEEDBACK_TYPES: readonly FeedbackType[] = ['impression', 'click', 'add_to_cart', 'purchase'];
export const FEEDBACK_FIELDS = [
  'type',
  'query',
  'productId',
  'position',
  'userId',
  'sessionId',
  'at',
] as const;
export type FeedbackField = (typeof FEEDBACK_FIELDS)[number];

export const MAX_FEEDBACK_QUERY_LENGTH = 1024;
export const MAX_FEEDBACK_USER_ID_LENGTH = 256;
export const MAX_FEEDBACK_POSITION = 1_000_000;
/** Epoch milliseconds below this (1973-03-03) are taken for epoch seconds and refused. */
export const MIN_FEEDBACK_EPOCH_MS = 1e11;
const MAX_DATE_MS = 8.64e15;

/** Alternative spellings of field names (JSON keys and CSV headers). */
export const FEEDBACK_FIELD_ALIASES: Readonly<Record<string, FeedbackField>> = {
  product_id: 'productId',
  user_id: 'userId',
  session_id: 'sessionId',
};

export interface FeedbackWhere extends Where {
  /** Path of the event in a request body, e.g. `events[3]`; field names are reported below it. */
  path?: string;
}

export interface FeedbackValidationResult {
  event?: FeedbackRecord;
  errors: LineError[];
}

const TYPE_ALIASES: ReadonlyMap<string, FeedbackType> = new Map([
  ...FEEDBACK_TYPES.map((type) => [type, type] as const),
  ['addtocart', 'add_to_cart'],
]);

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

class Invalid {
  constructor(
    readonly message: string,
    readonly code: 'INVALID_FIELD' | 'MISSING_FIELD' = 'INVALID_FIELD',
  ) {}
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function missing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function normaliseType(name: string, value: unknown): FeedbackType | Invalid {
  if (missing(value)) return new Invalid(`missing required field "${name}"`, 'MISSING_FIELD');
  const type =
    typeof value === 'string'
      ? TYPE_ALIASES.get(
          value
            .trim()
            .toLowerCase()
            .replace(/[-\s]+/g, '_'),
        )
      : undefined;
  return (
    type ??
    new Invalid(`field "${name}" must be one of ${FEEDBACK_TYPES.join(', ')}, got ${describeValue(value)}`)
  );
}

function normaliseQuery(name: string, value: unknown): string | Invalid {
  if (value === undefined || value === null) {
    return new Invalid(`missing required field "${name}" (use "" for browsing)`, 'MISSING_FIELD');
  }
  const query = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof query !== 'string') {
    return new Invalid(`field "${name}" must be a string, got ${describeValue(value)}`);
  }
  if (query.length > MAX_FEEDBACK_QUERY_LENGTH) {
    return new Invalid(
      `field "${name}" must be at most ${MAX_FEEDBACK_QUERY_LENGTH} characters, got ${query.length}`,
    );
  }
  return query;
}

function normaliseId(name: string, value: unknown, required: boolean, maxLength: number) {
  if (missing(value)) {
    return required ? new Invalid(`missing required field "${name}"`, 'MISSING_FIELD') : undefined;
  }
  let id: string;
  if (typeof value === 'string') id = value.trim();
  else if (typeof value === 'number' && Number.isFinite(value)) id = String(value);
  else return new Invalid(`field "${name}" must be a string or a number, got ${describeValue(value)}`);
  if (id.length > maxLength) {
    return new Invalid(`field "${name}" must be at most ${maxLength} characters, got ${id.length}`);
  }
  return id;
}

function normalisePosition(name: string, value: unknown): number | undefined | Invalid {
  if (missing(value)) return undefined;
  const position = typeof value === 'string' && INTEGER.test(value.trim()) ? Number(value.trim()) : value;
  if (
    typeof position !== 'number' ||
    !Number.isInteger(position) ||
    position < 1 ||
    position > MAX_FEEDBACK_POSITION
  ) {
    return new Invalid(
      `field "${name}" must be a 1-based integer rank (1 to ${MAX_FEEDBACK_POSITION}), got ${describeValue(value)}`,
    );
  }
  return position;
}

function normaliseAt(name: string, value: unknown, now: number): number | Invalid {
  if (missing(value)) return now;
  let at: number;
  if (typeof value === 'number') at = value;
  else if (typeof value === 'string' && NUMBER.test(value.trim())) at = Number(value.trim());
  else if (typeof value === 'string') {
    at = Date.parse(value.trim());
    if (Number.isNaN(at)) {
      return new Invalid(
        `field "${name}" must be an ISO date-time or epoch milliseconds, got ${describeValue(value)}`,
      );
    }
    return at;
  } else {
    return new Invalid(
      `field "${name}" must be an ISO date-time or epoch milliseconds, got ${describeValue(value)}`,
    );
  }
  if (!Number.isFinite(at) || at < 0 || at > MAX_DATE_MS) {
    return new Invalid(
      `field "${name}" must be a valid time in epoch milliseconds, got ${describeValue(value)}`,
    );
  }
  if (at < MIN_FEEDBACK_EPOCH_MS) {
    return new Invalid(
      `field "${name}" must be epoch milliseconds, got ${describeValue(value)} (epoch seconds? multiply by 1000)`,
    );
  }
  return Math.round(at);
}

/**
 * Validates and normalises one raw event. Returns the event (`at` in epoch ms, `now` when absent) when it
 * has no errors; otherwise every problem found on it, each naming its field.
 */
export function validateFeedbackEvent(
  raw: unknown,
  where?: FeedbackWhere,
  now: number = Date.now(),
): FeedbackValidationResult {
  const path = where?.path;
  const fieldName = (field: string): string => (path === undefined ? field : `${path}.${field}`);
  if (!isPlainObject(raw)) {
    const what = path === undefined ? 'a feedback event' : `${path}`;
    return {
      errors: [
        lineError('INVALID_JSON', `${what} must be a JSON object, got ${describeValue(raw)}`, where, path),
      ],
    };
  }
  const values: Partial<Record<FeedbackField, unknown>> = {};
  for (const key in raw) {
    const field = (FEEDBACK_FIELDS as readonly string[]).includes(key)
      ? (key as FeedbackField)
      : FEEDBACK_FIELD_ALIASES[key];
    if (field !== undefined && values[field] === undefined) values[field] = raw[key];
  }
  const errors: LineError[] = [];
  const check = <T>(field: FeedbackField, result: T | Invalid): T | undefined => {
    if (!(result instanceof Invalid)) return result;
    errors.push(lineError(result.code, result.message, where, fieldName(field)));
    return undefined;
  };
  const type = check('type', normaliseType(fieldName('type'), values.type));
  const query = check('query', normaliseQuery(fieldName('query'), values.query));
  const productId = check(
    'productId',
    normaliseId(fieldName('productId'), values.productId, true, MAX_ID_LENGTH),
  );
  const position = check('position', normalisePosition(fieldName('position'), values.position));
  const userId = check(
    'userId',
    normaliseId(fieldName('userId'), values.userId, false, MAX_FEEDBACK_USER_ID_LENGTH),
  );
  const sessionId = check(
    'sessionId',
    normaliseId(fieldName('sessionId'), values.sessionId, false, MAX_FEEDBACK_USER_ID_LENGTH),
  );
  const at = check('at', normaliseAt(fieldName('at'), values.at, now));
  if (errors.length > 0 || type === undefined || query === undefined || productId === undefined) {
    return { errors };
  }
  const event: FeedbackRecord = { type, query, productId: productId as string, at: at as number };
  if (position !== undefined) event.position = position;
  if (userId !== undefined) event.userId = userId;
  if (sessionId !== undefined) event.sessionId = sessionId;
  // Key order as documented, `at` last.
  const { at: time, ...rest } = event;
  return { event: { ...rest, at: time }, errors };
}
