/**
 * One provider call under the run's policy: the retry executor, plus what a failure means for
 * the state every worker shares — a rate-limit answer pauses the key's window in the gate (and
 * slows `--workers auto`), a rejected token or used-up quota disables the key for the provider on
 * every endpoint, transient failures feed the provider's circuit breaker. Data fetches and
 * planning calls (universe, calendar) both go through here, so they cannot disagree.
 */
import { IngestError, throwIfAborted } from '../errors.js';
import type { Clock } from '../limits/clock.js';
import {
  executeWithRetry,
  type AttemptFailure,
  type ExecuteOutcome,
  type FailureVerdict,
  type RetryNotice,
} from '../limits/execute-with-retry.js';
import type { RequestGate } from '../limits/request-gate.js';
import type { PipelineEvent } from './events.js';
import type { AdaptiveConcurrency } from './schedule/adaptive-concurrency.js';
import type { CircuitBreaker } from './schedule/circuit-breaker.js';

/** Retry numbers of provider calls (from `ingestion.retry.*`). */
export interface ProviderRetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Rate-limit answers absorbed per call (they use up no attempts). */
  rateLimitRetries: number;
}

/** What a provider call needs from the run. */
export interface ProviderCallDeps {
  gate: RequestGate;
  clock: Clock;
  random(): number;
  retry: ProviderRetryPolicy;
  emit(event: PipelineEvent): void;
  /** Removes secrets from messages. */
  redact(text: string): string;
}

/** Parameters of {@link callProvider}. */
export interface ProviderCallParams<T> {
  provider: string;
  /** Endpoint to blame when the error names none (the data type, or the planning call). */
  endpoint: string;
  signal: AbortSignal;
  call(): Promise<T>;
  /** The provider's breaker: open → attempts fail fast; outcomes feed it. */
  breaker?: CircuitBreaker | undefined;
  /** Adaptive worker count to feed with latency, errors and rate limits. */
  concurrency?: AdaptiveConcurrency | undefined;
  /** Called before each request is sent (request counts). */
  onRequest?(): void;
  onRetry?(notice: RetryNotice): void;
}

/** Runs one provider call under the policy. Rejects only with `ABORTED`. */
export function callProvider<T>(
  params: ProviderCallParams<T>,
  deps: ProviderCallDeps,
): Promise<ExecuteOutcome<T>> {
  const { provider, breaker, concurrency, signal } = params;
  const { clock } = deps;
  return executeWithRetry(
    async () => {
      throwIfAborted(signal);
      if (breaker && breaker.state === 'open' && breaker.openUntilMs > clock.now()) {
        // Fail fast while the provider is known to be down: the attempt counts, and the retry
        // waits for the end of the open period, so a dead provider ends units within
        // max_attempts instead of parking every worker at the breaker.
        const waitMs = breaker.openUntilMs - clock.now();
        throw new IngestError(
          'PROVIDER_UNAVAILABLE',
          `${provider} is failing repeatedly (circuit open); next probe in ${Math.ceil(waitMs / 1000)} s`,
          { retryAfterMs: waitMs, context: { circuitOpen: true } },
        );
      }
      await breaker?.beforeRequest(signal);
      params.onRequest?.();
      const startedMs = clock.now();
      const result = await params.call();
      breaker?.onSuccess();
      concurrency?.onSuccess(clock.now() - startedMs);
      return result;
    },
    {
      policy: {
        maxAttempts: deps.retry.maxAttempts,
        baseDelayMs: deps.retry.baseDelayMs,
        maxDelayMs: deps.retry.maxDelayMs,
        maxRateLimitRetries: deps.retry.rateLimitRetries,
      },
      clock,
      random: deps.random,
      signal,
      onFailure: (failure) => onProviderFailure(failure, params, deps),
      ...(params.onRetry ? { onRetry: params.onRetry } : {}),
    },
  );
}

async function onProviderFailure(
  failure: AttemptFailure,
  params: ProviderCallParams<unknown>,
  deps: ProviderCallDeps,
): Promise<FailureVerdict> {
  const { error, failureClass } = failure;
  const { provider, breaker, concurrency } = params;
  const ctx = error.context;
  if (ctx.circuitOpen !== true) breaker?.onFailure(failureClass);
  const keyIndex = typeof ctx.keyIndex === 'number' ? ctx.keyIndex : undefined;
  const endpoint = typeof ctx.endpoint === 'string' ? ctx.endpoint : params.endpoint;
  if (failureClass === 'rate_limited') {
    await deps.gate.onRateLimited({
      provider,
      endpoint,
      ...(keyIndex !== undefined ? { keyIndex } : {}),
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      ...(typeof ctx.statedLimitPerMinute === 'number'
        ? { statedLimitPerMinute: ctx.statedLimitPerMinute }
        : {}),
    });
    concurrency?.onRateLimited();
    return 'policy';
  }
  if ((failureClass === 'auth' || failureClass === 'quota') && keyIndex !== undefined) {
    // One bad or exhausted key: retire it for the provider on every endpoint and go on with the
    // others; the gate fails with PROVIDER_AUTH once none is left (docs/ARCHITECTURE.md,
    // "Rejected tokens").
    const reason = deps.redact(error.message);
    await deps.gate.disableKey({ provider, keyIndex, reason });
    deps.emit({ type: 'provider:key-disabled', provider, keyIndex, reason });
    return 'retry-now';
  }
  if (failureClass === 'transient' || failureClass === 'bad_response') concurrency?.onError();
  return 'policy';
}
