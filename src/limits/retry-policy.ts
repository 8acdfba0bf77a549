/**
 * Whether and when to retry a failed unit: a pure decision over the error's `code`,
 * `retryable` and `retryAfterMs` (cockatiel style: rules over error kinds, stateless backoff).
 */

/** What kind of failure an error is, for retry, circuit-breaker and fallback decisions. */
export type FailureClass =
  | 'rate_limited'
  | 'transient'
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'unsupported'
  | 'bad_request'
  | 'bad_response'
  | 'validation'
  | 'quota'
  | 'aborted'
  | 'internal';

/** The classification table, by `IngestError` code. */
const FAILURE_CLASS_BY_CODE: Readonly<Record<string, FailureClass>> = {
  PROVIDER_RATE_LIMITED: 'rate_limited',
  PROVIDER_UNAVAILABLE: 'transient',
  // A store write that failed (connection reset, server busy) is worth repeating: writes are idempotent.
  STORAGE_FAILED: 'transient',
  PROVIDER_AUTH: 'auth',
  PROVIDER_PERMISSION: 'permission',
  PROVIDER_NOT_FOUND: 'not_found',
  PROVIDER_UNSUPPORTED: 'unsupported',
  PROVIDER_BAD_REQUEST: 'bad_request',
  CONFIG_INVALID: 'bad_request',
  USAGE: 'bad_request',
  PROVIDER_BAD_RESPONSE: 'bad_response',
  DATA_INVALID: 'validation',
  PROVIDER_QUOTA_EXHAUSTED: 'quota',
  ABORTED: 'aborted',
  INTERNAL: 'internal',
};

/**
 * Classifies an error (an `IngestError` or its plain-data form) by its `code`. An unknown code is
 * `transient` when `retryable`, else `internal`.
 */
export function classifyFailure(error: { code: string; retryable: boolean }): FailureClass {
  return FAILURE_CLASS_BY_CODE[error.code] ?? (error.retryable ? 'transient' : 'internal');
}

/** Parameters of {@link decideRetry}. */
export interface DecideRetryParams {
  /** The failure (an `IngestError` or its plain-data form). */
  error: { code: string; retryable: boolean; retryAfterMs?: number | undefined };
  /** Attempts made so far, including the one that just failed (>= 1). */
  attempt: number;
  /** Most attempts per unit, including the first (>= 1). */
  maxAttempts: number;
  /** First backoff step, ms. */
  baseDelayMs: number;
  /** Backoff cap, ms (a provider's `retryAfterMs` may exceed it). */
  maxDelayMs: number;
  /** Uniform random number in [0, 1). */
  random: () => number;
}

/** The outcome of {@link decideRetry}. */
export type RetryDecision =
  | { retry: false; failureClass: FailureClass }
  | {
      retry: true;
      /** Wait before the next attempt, ms. */
      delayMs: number;
      failureClass: FailureClass;
    };

/**
 * Decides whether to attempt again and after how long. Never retries non-retryable errors,
 * aborts, or once `attempt >= maxAttempts`. The delay is exponential backoff with full jitter,
 * `random() × min(maxDelayMs, baseDelayMs × 2^(attempt−1))`; a provider's `retryAfterMs` wins:
 * the delay is never shorter than it. Rate-limit waits are mostly absorbed by the shared
 * rate-limit gate (which the gate's pause makes every request honour), so a rate-limited retry
 * needs no long private backoff of its own.
 */
export function decideRetry(params: DecideRetryParams): RetryDecision {
  const { error, attempt, maxAttempts, baseDelayMs, maxDelayMs, random } = params;
  if (!(Number.isInteger(attempt) && attempt >= 1))
    throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
    throw new RangeError(`maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  }
  if (!(baseDelayMs >= 0)) throw new RangeError(`baseDelayMs must be >= 0, got ${baseDelayMs}`);
  if (!(maxDelayMs >= 0)) throw new RangeError(`maxDelayMs must be >= 0, got ${maxDelayMs}`);
  const failureClass = classifyFailure(error);
  if (!error.retryable || failureClass === 'aborted' || attempt >= maxAttempts)
    return { retry: false, failureClass };
  // 2^(attempt-1) overflows to Infinity for huge attempts; min() with the cap keeps it finite.
  const ceilingMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  const r = random();
  const jitter = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  let delayMs = Math.floor(jitter * ceilingMs);
  const retryAfterMs = error.retryAfterMs;
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > delayMs) {
    delayMs = Math.ceil(retryAfterMs);
  }
  return { retry: true, delayMs, failureClass };
}
