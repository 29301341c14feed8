import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { SoukError, toSoukError, type SoukErrorCode, type SoukErrorDetails } from '../errors.ts';

/**
 * The one table from error code to HTTP status. Typed as a full Record so that adding a code to
 * `ERROR_CODES` fails the build until someone decides its status here.
 *
 * | code                | status |
 * |---------------------|--------|
 * | INVALID_JSON        | 400    |
 * | INVALID_CSV         | 400    |
 * | MISSING_FIELD       | 400    |
 * | INVALID_FIELD       | 400    |
 * | UNSUPPORTED_FORMAT  | 415    |
 * | FILE_NOT_FOUND      | 404    |
 * | STRICT_LOAD_FAILED  | 400    |
 * | INVALID_REQUEST     | 400    |
 * | INVALID_FILTER      | 400    |
 * | INVALID_SORT        | 400    |
 * | PRODUCT_NOT_FOUND   | 404    |
 * | PAYLOAD_TOO_LARGE   | 413    |
 * | UNAUTHORIZED        | 401    |
 * | RATE_LIMITED        | 429    |
 * | NOT_FOUND           | 404    |
 * | INVALID_IMAGE       | 400    |
 * | EMBEDDER_NOT_CONFIGURED | 400 |
 * | MODEL_NOT_FOUND     | 500    |
 * | EMBEDDING_FAILED    | 502    |
 * | RANKER_NOT_FOUND    | 404    |
 * | STORE_ERROR         | 500    |
 * | STORE_READ_ONLY     | 503    |
 * | STORE_UNAVAILABLE   | 503    |
 * | DISK_FULL           | 507    |
 * | SNAPSHOT_INVALID    | 500    |
 * | ENGINE_CLOSED       | 503    |
 * | INTERNAL            | 500    |
 */
export const HTTP_STATUS: Record<SoukErrorCode, ContentfulStatusCode> = {
  INVALID_JSON: 400,
  INVALID_CSV: 400,
  MISSING_FIELD: 400,
  INVALID_FIELD: 400,
  // Only reachable through a request body in a format the route does not take.
  UNSUPPORTED_FORMAT: 415,
  FILE_NOT_FOUND: 404,
  STRICT_LOAD_FAILED: 400,
  INVALID_REQUEST: 400,
  INVALID_FILTER: 400,
  INVALID_SORT: 400,
  PRODUCT_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  // Sent with Retry-After (seconds until the key's or address's bucket has a token again).
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  INVALID_IMAGE: 400,
  // The request asked for a retrieval mode this engine was configured without (see `embedding`).
  EMBEDDER_NOT_CONFIGURED: 400,
  MODEL_NOT_FOUND: 500,
  // A model server (the `http` provider) or model runtime failed: the fault is upstream of souk.
  EMBEDDING_FAILED: 502,
  RANKER_NOT_FOUND: 404,
  STORE_ERROR: 500,
  // Both are conditions an operator can fix without a code change, so clients may retry later.
  STORE_READ_ONLY: 503,
  // The shared database (PostgreSQL) cannot be reached; reads from the replica's indexes still work.
  STORE_UNAVAILABLE: 503,
  DISK_FULL: 507,
  SNAPSHOT_INVALID: 500,
  ENGINE_CLOSED: 503,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: SoukErrorCode; message: string; details: SoukErrorDetails };
}

export function errorStatus(code: SoukErrorCode): ContentfulStatusCode {
  return HTTP_STATUS[code];
}

/** The response body for any error; `cause` chains are never serialised. */
export function errorBody(error: SoukError): ErrorBody {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

/** Normalises whatever a handler threw, treating malformed percent-encoding in the URL as a client error. */
export function toHttpError(error: unknown): SoukError {
  if (error instanceof URIError) {
    return new SoukError('INVALID_REQUEST', `Malformed URL encoding: ${error.message}`, {}, { cause: error });
  }
  return toSoukError(error);
}
