/**
 * The one resilience executor: every retried call in tickpipe (provider fetches, planning calls,
 * store writes, ledger writes, ClickHouse requests) runs through {@link executeWithRetry}, so
 * attempts, backoff, the provider's stated wait, abort handling and the classification table are
 * decided in one place (see docs/ARCHITECTURE.md, "Retries").
 *
 * Promises:
 * - At most `policy.maxAttempts` attempts that count; rate-limit answers may be exempt
 *   (`policy.maxRateLimitRetries`) because the shared rate-limit gate already paces them.
 * - Between attempts: exponential backoff with full jitter and a cap (`decideRetry`); a stated
 *   `retryAfterMs` wins. Sleeps go through the injected clock and end at once on abort.
 * - With `policy.budgetMs`, no attempt starts after the budget since the first attempt is spent,
 *   and no backoff sleeps past it.
 * - Never throws for a failed operation: the last error comes back as data. It throws only an
 *   `ABORTED` `IngestError`, when the signal fired or the operation itself was aborted.
 * Leaves out: what a failure means for shared state (pausing a rate-limit window, disabling a
 * key, a circuit breaker): callers do that in `onFailure`.
 */
import { IngestError, toIngestError } from '../errors.js';
import type { Clock } from './clock.js';
import { classifyFailure, decideRetry, type FailureClass } from './retry-policy.js';

/** How many times and how patiently to try. Every number comes from config (`ingestion.retry.*`). */
export interface RetryPolicy {
  /** Most attempts, including the first (>= 1). */
  maxAttempts: number;
  /** First backoff step, ms (full jitter: the actual wait is uniform in [0, step]). */
  baseDelayMs: number;
  /** Backoff cap, ms (a stated `retryAfterMs` may exceed it). */
  maxDelayMs: number;
  /**
   * When set, `rate_limited` failures do not use up attempts and are retried at once (the
   * rate-limit gate, fed by `onFailure`, makes the next attempt wait); after this many of them the
   * call fails. When unset, rate-limit answers are retried like any retryable failure, waiting
   * at least their `retryAfterMs`.
   */
  maxRateLimitRetries?: number;
  /** Total time budget from the first attempt, ms (unset = none). */
  budgetMs?: number;
}

/** A failed attempt, as the hooks see it. */
export interface AttemptFailure {
  /** The failure, normalised. */
  error: IngestError;
  failureClass: FailureClass;
  /** Counted attempts so far, including the failed one (>= 1). */
  attempt: number;
  /** Rate-limit answers absorbed so far (only with `policy.maxRateLimitRetries`). */
  rateLimited: number;
}

/**
 * What to do with a failure, decided by the caller's `onFailure`:
 * - `'policy'` (or nothing): the policy decides (retry with backoff, or give up);
 * - `'retry-now'`: retry without waiting, using up an attempt (another API key is available);
 * - `'give-up'`: fail now with this error.
 */
export type FailureVerdict = 'policy' | 'retry-now' | 'give-up';

/** A retry about to happen, for events and logs. */
export interface RetryNotice extends AttemptFailure {
  /**
   * Why it retries: `backoff` (the policy's delay), `rate-limited` (absorbed, paced by the gate)
   * or `retry-now` (the caller's verdict, e.g. another API key).
   */
  kind: 'backoff' | 'rate-limited' | 'retry-now';
  /** Number of the next attempt (counted attempts + 1, or the same number after a rate limit). */
  nextAttempt: number;
  /** Wait before it, ms. */
  delayMs: number;
}

/** Options of {@link executeWithRetry}. */
export interface ExecuteOptions {
  policy: RetryPolicy;
  /** Time source for backoff sleeps and the budget. */
  clock: Clock;
  /** Uniform random number in [0, 1), for jitter. */
  random(): number;
  /**
   * Aborts the sleeps between attempts and stops further attempts. The first attempt always
   * starts: the operation checks the signal itself when it must not (a ledger write that follows
   * a completed store write should still be made).
   */
  signal?: AbortSignal;
  /** Overrides the classification table (default `classifyFailure` of retry-policy.ts). */
  classify?(error: IngestError): FailureClass;
  /**
   * Sees every failed attempt first (feed the gate, the breaker, disable a key) and may decide;
   * awaited before the next attempt. A rejection ends the call with that rejection.
   */
  onFailure?(failure: AttemptFailure): FailureVerdict | void | Promise<FailureVerdict | void>;
  /** Called before each retry (emit `unit:retrying`, log). Must not throw. */
  onRetry?(notice: RetryNotice): void;
}

/** What happened: the value, or the last error, with the attempts made. */
export type ExecuteOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: IngestError; failureClass: FailureClass; attempts: number };

/** Context handed to each attempt. */
export interface AttemptContext {
  /** Counted attempt number (1-based; a rate-limited retry keeps its number). */
  attempt: number;
  signal: AbortSignal | undefined;
}

function checkPolicy(policy: RetryPolicy): void {
  const { maxAttempts, baseDelayMs, maxDelayMs, maxRateLimitRetries, budgetMs } = policy;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1))
    throw new RangeError(`policy.maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  if (!(baseDelayMs >= 0)) throw new RangeError(`policy.baseDelayMs must be >= 0, got ${baseDelayMs}`);
  if (!(maxDelayMs >= 0)) throw new RangeError(`policy.maxDelayMs must be >= 0, got ${maxDelayMs}`);
  if (
    maxRateLimitRetries !== undefined &&
    !(Number.isInteger(maxRateLimitRetries) && maxRateLimitRetries >= 0)
  )
    throw new RangeError(`policy.maxRateLimitRetries must be an integer >= 0, got ${maxRateLimitRetries}`);
  if (budgetMs !== undefined && !(budgetMs >= 0))
    throw new RangeError(`policy.budgetMs must be >= 0, got ${budgetMs}`);
}

function aborted(cause: unknown): IngestError {
  return new IngestError('ABORTED', 'aborted', { cause });
}

/**
 * Runs `operation` until it succeeds, the policy gives up, or the signal fires (see the module
 * comment for the promises).
 */
export async function executeWithRetry<T>(
  operation: (context: AttemptContext) => Promise<T>,
  options: ExecuteOptions,
): Promise<ExecuteOutcome<T>> {
  const { policy, clock, signal } = options;
  checkPolicy(policy);
  const classify = options.classify ?? classifyFailure;
  const startedMs = clock.now();
  let attempt = 1;
  let rateLimited = 0;
  for (;;) {
    let error: IngestError;
    try {
      return { ok: true, value: await operation({ attempt, signal }), attempts: attempt };
    } catch (e) {
      error = toIngestError(e);
    }
    if (error.code === 'ABORTED' || signal?.aborted) throw aborted(error);
    const failureClass = classify(error);
    const failure: AttemptFailure = { error, failureClass, attempt, rateLimited };
    const verdict = (await options.onFailure?.(failure)) ?? 'policy';
    const giveUp = (): ExecuteOutcome<T> => ({ ok: false, error, failureClass, attempts: attempt });
    if (verdict === 'give-up') return giveUp();

    let delayMs: number;
    let nextAttempt = attempt + 1;
    let kind: RetryNotice['kind'] = 'backoff';
    if (verdict === 'retry-now') {
      if (attempt >= policy.maxAttempts) return giveUp();
      delayMs = 0;
      kind = 'retry-now';
    } else if (failureClass === 'rate_limited' && policy.maxRateLimitRetries !== undefined) {
      if (rateLimited >= policy.maxRateLimitRetries) return giveUp();
      rateLimited++;
      nextAttempt = attempt; // absorbed by the gate: does not use up an attempt
      delayMs = 0;
      kind = 'rate-limited';
    } else {
      const decision = decideRetry({
        error,
        attempt,
        maxAttempts: policy.maxAttempts,
        baseDelayMs: policy.baseDelayMs,
        maxDelayMs: policy.maxDelayMs,
        random: options.random,
      });
      if (!decision.retry) return giveUp();
      delayMs = decision.delayMs;
    }
    if (policy.budgetMs !== undefined && clock.now() + delayMs - startedMs > policy.budgetMs) return giveUp();
    if (signal?.aborted) throw aborted(signal.reason);
    options.onRetry?.({ ...failure, rateLimited, nextAttempt, delayMs, kind });
    await clock.sleep(delayMs, signal);
    attempt = nextAttempt;
  }
}

/** The value of an outcome, or its error thrown (for callers whose failure ends the run). */
export function valueOrThrow<T>(outcome: ExecuteOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
