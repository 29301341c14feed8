import type { SoukErrorCode } from '../errors.ts';

/**
 * Exit statuses of the `souk` command, one per family of failure so scripts can tell "your file has bad
 * lines" from "the disk is full" without parsing messages. Numbers above 2 follow BSD sysexits.h where one
 * fits. Typed as a full Record so a new error code fails the build until it is given a status here.
 *
 * | exit | meaning                                   | error codes                                                  |
 * |------|-------------------------------------------|--------------------------------------------------------------|
 * | 0    | success                                   |                                                              |
 * | 1    | internal error (a bug; please report it)  | INTERNAL, ENGINE_CLOSED                                      |
 * | 2    | usage: bad command, option or argument    | INVALID_REQUEST, INVALID_FILTER, INVALID_SORT (and CLI usage)|
 * | 65   | input data error (EX_DATAERR)             | INVALID_JSON, INVALID_CSV, MISSING_FIELD, INVALID_FIELD,     |
 * |      |                                           | UNSUPPORTED_FORMAT, STRICT_LOAD_FAILED, PAYLOAD_TOO_LARGE;   |
 * |      |                                           | also `souk ingest` when any line was rejected                |
 * | 65   |                                           | INVALID_IMAGE                                                |
 * | 66   | not found (EX_NOINPUT)                    | FILE_NOT_FOUND, PRODUCT_NOT_FOUND, NOT_FOUND, RANKER_NOT_FOUND |
 * | 69   | model unavailable (EX_UNAVAILABLE)        | EMBEDDER_NOT_CONFIGURED, MODEL_NOT_FOUND, EMBEDDING_FAILED,  |
 * |      |                                           | STORE_UNAVAILABLE (database unreachable)                     |
 * | 73   | data directory read-only (EX_CANTCREAT)   | STORE_READ_ONLY                                              |
 * | 74   | store I/O error (EX_IOERR)                | STORE_ERROR, SNAPSHOT_INVALID                                |
 * | 75   | disk full, retry after freeing space      | DISK_FULL, RATE_LIMITED                                      |
 * |      | (EX_TEMPFAIL)                             |                                                              |
 * | 77   | not authorised (EX_NOPERM)                | UNAUTHORIZED                                                 |
 * | 130  | interrupted by a second Ctrl-C            |                                                              |
 */
export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
export const EXIT_DATA_ERROR = 65;
export const EXIT_NOT_FOUND = 66;
export const EXIT_UNAVAILABLE = 69;
export const EXIT_READ_ONLY = 73;
export const EXIT_IO_ERROR = 74;
export const EXIT_DISK_FULL = 75;
export const EXIT_NO_PERMISSION = 77;
export const EXIT_INTERRUPTED = 130;

export const EXIT_CODES: Record<SoukErrorCode, number> = {
  INVALID_JSON: EXIT_DATA_ERROR,
  INVALID_CSV: EXIT_DATA_ERROR,
  MISSING_FIELD: EXIT_DATA_ERROR,
  INVALID_FIELD: EXIT_DATA_ERROR,
  UNSUPPORTED_FORMAT: EXIT_DATA_ERROR,
  FILE_NOT_FOUND: EXIT_NOT_FOUND,
  STRICT_LOAD_FAILED: EXIT_DATA_ERROR,
  // On the command line these come from option values the user typed.
  INVALID_REQUEST: EXIT_USAGE,
  INVALID_FILTER: EXIT_USAGE,
  INVALID_SORT: EXIT_USAGE,
  PRODUCT_NOT_FOUND: EXIT_NOT_FOUND,
  RANKER_NOT_FOUND: EXIT_NOT_FOUND,
  PAYLOAD_TOO_LARGE: EXIT_DATA_ERROR,
  UNAUTHORIZED: EXIT_NO_PERMISSION,
  // A server's rate limit (`souk` talking to a server): try again later, like EX_TEMPFAIL says.
  RATE_LIMITED: EXIT_DISK_FULL,
  NOT_FOUND: EXIT_NOT_FOUND,
  INVALID_IMAGE: EXIT_DATA_ERROR,
  EMBEDDER_NOT_CONFIGURED: EXIT_UNAVAILABLE,
  MODEL_NOT_FOUND: EXIT_UNAVAILABLE,
  EMBEDDING_FAILED: EXIT_UNAVAILABLE,
  STORE_ERROR: EXIT_IO_ERROR,
  STORE_READ_ONLY: EXIT_READ_ONLY,
  STORE_UNAVAILABLE: EXIT_UNAVAILABLE,
  DISK_FULL: EXIT_DISK_FULL,
  SNAPSHOT_INVALID: EXIT_IO_ERROR,
  // The CLI never uses an engine after closing it, so seeing this is a bug.
  ENGINE_CLOSED: EXIT_INTERNAL,
  INTERNAL: EXIT_INTERNAL,
};

export function exitCodeFor(code: SoukErrorCode): number {
  return EXIT_CODES[code];
}
