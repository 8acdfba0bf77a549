/**
 * The one error family of tickpipe. Errors cross process boundaries as plain data
 * (see {@link toErrorData}) and are checked by `code`, never with `instanceof`.
 */

/** Every error code tickpipe raises, with the action the pipeline takes for it. */
export const ERROR_CODES = {
  /** Configuration file or flags are invalid. Exit code 2. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** Command-line usage error (bad flag, malformed symbol, bad date). Exit code 2. */
  USAGE: 'USAGE',
  /** Provider answered "too many requests"; wait for the window (honour `retryAfterMs`) and retry. */
  PROVIDER_RATE_LIMITED: 'PROVIDER_RATE_LIMITED',
  /** Provider's daily quota is used up for the key; do not retry today with that key. */
  PROVIDER_QUOTA_EXHAUSTED: 'PROVIDER_QUOTA_EXHAUSTED',
  /** Bad or missing credentials. Never retried. */
  PROVIDER_AUTH: 'PROVIDER_AUTH',
  /** The account has no permission for this interface/data type: fall back or report unsupported. */
  PROVIDER_PERMISSION: 'PROVIDER_PERMISSION',
  /** The symbol is unknown to the provider. Never retried. */
  PROVIDER_NOT_FOUND: 'PROVIDER_NOT_FOUND',
  /** The provider cannot serve this request (data type, date range, market). Falls back to the next provider. */
  PROVIDER_UNSUPPORTED: 'PROVIDER_UNSUPPORTED',
  /** The response could not be parsed or broke an invariant. Retryable (truncated bodies happen). */
  PROVIDER_BAD_RESPONSE: 'PROVIDER_BAD_RESPONSE',
  /** Network failure, timeout, 5xx. Retryable. */
  PROVIDER_UNAVAILABLE: 'PROVIDER_UNAVAILABLE',
  /** The provider rejected the request parameters (HTTP 400/422, Tushare parameter errors). Not retried. */
  PROVIDER_BAD_REQUEST: 'PROVIDER_BAD_REQUEST',
  /** Fetched rows failed validation (crossed book, price off the tick grid, ...). Not retried. */
  DATA_INVALID: 'DATA_INVALID',
  /** The store failed to write or read. Retryable. */
  STORAGE_FAILED: 'STORAGE_FAILED',
  /** The run was aborted (Ctrl-C / signal). */
  ABORTED: 'ABORTED',
  /** A bug: an invariant of tickpipe itself broke. Exit code 1. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Codes that are retryable by default (a specific error may still override). */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_BAD_RESPONSE',
  'PROVIDER_UNAVAILABLE',
  'STORAGE_FAILED',
]);

/** Options of {@link IngestError}. */
export interface IngestErrorOptions {
  /** Whether the same request may succeed if repeated. Defaults by code. */
  retryable?: boolean;
  /** Provider-stated wait before the next attempt, in milliseconds. */
  retryAfterMs?: number;
  /** Structured context: provider, endpoint, symbol, tradeDate, key path, ... (never secrets). */
  context?: Record<string, unknown>;
  /** The underlying error. */
  cause?: unknown;
}

/** The base error of tickpipe: a code, whether to retry, context fields and a cause. */
export class IngestError extends Error {
  /** Machine-readable error code. */
  readonly code: ErrorCode;
  /** Whether the failed operation may succeed when repeated. */
  readonly retryable: boolean;
  /** Provider-stated wait before retrying, in milliseconds, if any. */
  readonly retryAfterMs: number | undefined;
  /** Structured context (no secrets). */
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: IngestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IngestError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.retryAfterMs = options.retryAfterMs;
    this.context = options.context ?? {};
  }
}

/** An error as plain data, safe to serialise across processes and into the ledger. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  context?: Record<string, unknown>;
}

/** True when `value` carries an `IngestError`-shaped `code` (checked by shape, not class). */
export function isIngestError(value: unknown): value is IngestError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    Object.hasOwn(ERROR_CODES, (value as { code: string }).code) &&
    typeof (value as { retryable?: unknown }).retryable === 'boolean'
  );
}

/** Normalises anything thrown into an `IngestError`; unknown errors become `INTERNAL`. */
export function toIngestError(error: unknown): IngestError {
  if (error instanceof IngestError) return error;
  if (isIngestError(error)) {
    return new IngestError(error.code, error.message, {
      retryable: error.retryable,
      retryAfterMs: error.retryAfterMs,
      context: error.context,
    });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new IngestError('ABORTED', 'aborted', { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new IngestError('INTERNAL', message, { cause: error, retryable: false });
}

/** Converts an error to plain data. */
export function toErrorData(error: unknown): ErrorData {
  const e = toIngestError(error);
  const data: ErrorData = { code: e.code, message: e.message, retryable: e.retryable };
  if (e.retryAfterMs !== undefined) data.retryAfterMs = e.retryAfterMs;
  if (Object.keys(e.context).length > 0) data.context = e.context;
  return data;
}

/** Throws an `ABORTED` error when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new IngestError('ABORTED', 'aborted', { cause: signal.reason });
}
