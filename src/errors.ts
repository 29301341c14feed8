/**
 * One error class for the whole engine. Every failure a user can cause or see carries a stable `code`;
 * the CLI maps codes to exit codes and the server maps them to HTTP statuses, each in one table.
 */
export const ERROR_CODES = [
  // catalogue input
  'INVALID_JSON',
  'INVALID_CSV',
  'MISSING_FIELD',
  'INVALID_FIELD',
  'UNSUPPORTED_FORMAT',
  'FILE_NOT_FOUND',
  'STRICT_LOAD_FAILED',
  // requests
  'INVALID_REQUEST',
  'INVALID_FILTER',
  'INVALID_SORT',
  'PRODUCT_NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHORIZED',
  'RATE_LIMITED',
  'NOT_FOUND',
  'INVALID_IMAGE',
  // embedding models
  'EMBEDDER_NOT_CONFIGURED',
  'MODEL_NOT_FOUND',
  'EMBEDDING_FAILED',
  // learned ranking
  'RANKER_NOT_FOUND',
  // storage
  'STORE_ERROR',
  'STORE_READ_ONLY',
  'STORE_UNAVAILABLE',
  'DISK_FULL',
  'SNAPSHOT_INVALID',
  'ENGINE_CLOSED',
  'INTERNAL',
] as const;

export type SoukErrorCode = (typeof ERROR_CODES)[number];

export interface SoukErrorDetails {
  file?: string;
  line?: number;
  field?: string;
  id?: string;
  position?: number;
  [key: string]: unknown;
}

export class SoukError extends Error {
  readonly code: SoukErrorCode;
  readonly details: SoukErrorDetails;

  constructor(
    code: SoukErrorCode,
    message: string,
    details: SoukErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SoukError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: SoukErrorCode; message: string; details: SoukErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isSoukError(value: unknown): value is SoukError {
  return value instanceof SoukError;
}

/** Wraps anything thrown into a SoukError, keeping SoukErrors as they are. */
export function toSoukError(error: unknown): SoukError {
  if (error instanceof SoukError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const sysCode = (error as { code?: unknown } | null)?.code;
  if (sysCode === 'ENOSPC' || sysCode === 'SQLITE_FULL') {
    return new SoukError('DISK_FULL', `No space left on device: ${message}`, {}, { cause: error });
  }
  if (sysCode === 'EROFS' || sysCode === 'EACCES' || sysCode === 'SQLITE_READONLY') {
    return new SoukError(
      'STORE_READ_ONLY',
      `Data directory is not writable: ${message}`,
      {},
      { cause: error },
    );
  }
  return new SoukError('INTERNAL', message, {}, { cause: error });
}
