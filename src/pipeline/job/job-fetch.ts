/** Provider calls of a job: one data type for the job's days, or one whole-market day. */
import type { ConcreteDataType } from '../../domain/data-type.js';
import type { ExecuteOutcome, RetryNotice } from '../../limits/execute-with-retry.js';
import type { FetchResult } from '../../providers/provider.js';
import { callProvider } from '../provider-call.js';
import type { JobContext } from './job-context.js';
import { redactError } from './record-units.js';

/** Fetches one data type for the given days of the job's symbol, under the run's policy. */
export function fetchDataType(
  ctx: JobContext,
  dataType: ConcreteDataType,
  dates: readonly string[],
): Promise<ExecuteOutcome<FetchResult>> {
  const { provider, job, signal } = ctx;
  return jobCall(ctx, dataType, () =>
    provider.fetch({ dataType, symbol: job.symbol, tradeDates: dates, signal }),
  );
}

/** Runs one provider call of the job: counts its requests, reports its retries, quarantines unknown symbols. */
export async function jobCall<T>(
  ctx: JobContext,
  dataType: ConcreteDataType,
  call: () => Promise<T>,
): Promise<ExecuteOutcome<T>> {
  const { provider, job, deps, signal, outcome } = ctx;
  const name = provider.name;
  const result = await callProvider(
    {
      provider: name,
      endpoint: dataType,
      signal,
      call,
      breaker: deps.breakers?.get(name),
      concurrency: deps.concurrency,
      onRequest: () => {
        outcome.requests[name] = (outcome.requests[name] ?? 0) + 1;
      },
      onRetry: (notice: RetryNotice) => {
        // Switching to another key is reported as provider:key-disabled, not as a retry.
        if (notice.kind === 'retry-now') return;
        deps.emit({
          type: 'unit:retrying',
          jobId: job.id,
          provider: name,
          dataType,
          symbol: job.symbol,
          attempt: notice.nextAttempt,
          delayMs: notice.delayMs,
          error: redactError(notice.error, deps),
        });
      },
    },
    deps,
  );
  if (!result.ok && result.failureClass === 'not_found' && deps.quarantine) {
    deps.quarantine.set(job.symbol, redactError(result.error, deps));
  }
  return result;
}
