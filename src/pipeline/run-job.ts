/**
 * `runJob`: the single unit of work, shared by the local pool and the distributed worker. For
 * one provider, one symbol and consecutive trading days it fetches each data type (retrying by
 * policy, pacing through the gate), validates, writes idempotently, and only then records the
 * ledger (docs/ARCHITECTURE.md, "The unit of work").
 *
 * It returns what happened as data — each unit's outcome, the follow-up jobs for units the
 * provider could not serve, the requests it sent — and never recurses: the caller schedules the
 * follow-ups. A failure ends only the units it touches; it throws only `ABORTED`.
 */
import type { ConcreteDataType } from '../domain/data-type.js';
import type { RowSet } from '../domain/rows.js';
import { IngestError, toErrorData, type ErrorData } from '../errors.js';
import { classifyFailure } from '../limits/retry-policy.js';
import type { Provider } from '../providers/provider.js';
import { failOrFallback, fallbackJobs } from './job/fallbacks.js';
import {
  onlyRowsOf,
  type JobContext,
  type JobDeps,
  type JobOutcome,
  type Writable,
} from './job/job-context.js';
import { computeFactorUnits } from './job/job-factors.js';
import { fetchDataType, jobCall } from './job/job-fetch.js';
import { recordFailures, redactError, writeAndRecord } from './job/record-units.js';
import type { Job, PlannedUnit } from './plan.js';
import { recordNotListed } from './record-not-listed.js';
import { validateRows } from './validate-rows.js';

export type {
  FactorComputeInput,
  JobDeps,
  JobOutcome,
  JobRetryPolicy,
  UnitOutcome,
} from './job/job-context.js';

/** The order a job fetches its data types in (factors reuse what came before). */
const FETCH_ORDER: readonly ConcreteDataType[] = ['ticks', 'bars_1m', 'bars_1d', 'order_book'];

/** Runs one job. Resolves when every unit of the job has a ledger outcome; rejects only with `ABORTED`. */
export async function runJob(job: Job, deps: JobDeps, signal: AbortSignal): Promise<JobOutcome> {
  if (job.notListed !== undefined) return recordNotListed(job, deps, signal);
  const provider = deps.providers.get(job.provider);
  if (!provider) throw new IngestError('INTERNAL', `provider ${job.provider} is not constructed`);
  deps.emit({
    type: 'job:started',
    jobId: job.id,
    provider: job.provider,
    symbol: job.symbol,
    tradeDates: job.tradeDates,
  });
  const ctx: JobContext = {
    job,
    provider,
    deps,
    signal,
    outcome: { jobId: job.id, units: [], followUps: [], requests: {} },
    fallbacks: [],
  };
  let aborted = true;
  try {
    if (job.market) await runMarketJob(ctx, provider);
    else await runSymbolJob(ctx);
    // Units the provider could not serve go to the next provider of their routing chain.
    if (ctx.fallbacks.length > 0 && !signal.aborted) ctx.outcome.followUps = fallbackJobs(ctx.fallbacks);
    aborted = false;
    return ctx.outcome;
  } finally {
    deps.emit({
      type: 'job:finished',
      jobId: job.id,
      provider: job.provider,
      requests: { ...ctx.outcome.requests },
      followUps: ctx.outcome.followUps.length,
      aborted,
    });
  }
}

async function runSymbolJob(ctx: JobContext): Promise<void> {
  const { job, deps, provider } = ctx;
  const quarantined = deps.quarantine?.get(job.symbol);
  if (quarantined) {
    await recordFailures(ctx, job.units, quarantined, 0);
    return;
  }

  const byType = new Map<ConcreteDataType, PlannedUnit[]>();
  for (const u of job.units) byType.set(u.dataType, [...(byType.get(u.dataType) ?? []), u]);
  const fetched = new Map<ConcreteDataType, Map<string, RowSet>>();
  const writable: Writable[] = [];

  let providerDown: ErrorData | undefined;
  for (const dataType of FETCH_ORDER) {
    const units = byType.get(dataType);
    if (!units) continue;
    const known = deps.quarantine?.get(job.symbol) ?? providerDown;
    if (known) {
      // The provider already said the symbol does not exist, or is down right now (a fetch of
      // this job used up its attempts on transient failures): do not spend quota and time on
      // the job's other data types; they fail with the same reason and retry-failed redoes them.
      await recordFailures(ctx, units, known, 0);
      continue;
    }
    const outcome = await fetchDataType(
      ctx,
      dataType,
      units.map((u) => u.tradeDate),
    );
    if (!outcome.ok) {
      const cls = classifyFailure(outcome.error);
      if (cls === 'transient' || cls === 'bad_response') providerDown = redactError(outcome.error, deps);
      await failOrFallback(ctx, units, outcome.error, outcome.attempts);
      continue;
    }
    const rowsByDate = outcome.value.byDate;
    fetched.set(dataType, rowsByDate);
    for (const unit of units) {
      const dateError = outcome.value.errors?.get(unit.tradeDate);
      if (dateError) {
        await failOrFallback(ctx, [unit], dateError, outcome.attempts);
        continue;
      }
      const rows = rowsByDate.get(unit.tradeDate);
      if (!rows) {
        const err = new IngestError(
          'PROVIDER_BAD_RESPONSE',
          `${provider.name} returned no answer for ${unit.symbol} ${unit.tradeDate} (${dataType})`,
          { retryable: false },
        );
        await recordFailures(ctx, [unit], toErrorData(err), outcome.attempts);
        continue;
      }
      try {
        validateRows({
          rows,
          dataType,
          symbol: unit.symbol,
          tradeDate: unit.tradeDate,
          source: provider.name,
        });
      } catch (e) {
        await recordFailures(ctx, [unit], toErrorData(e), outcome.attempts);
        continue;
      }
      writable.push({ unit, rows: onlyRowsOf(dataType, rows), attempts: outcome.attempts });
    }
  }

  const factorUnits = byType.get('factors');
  const knownMissing = deps.quarantine?.get(job.symbol) ?? providerDown;
  if (factorUnits && knownMissing) await recordFailures(ctx, factorUnits, knownMissing, 0);
  else if (factorUnits) writable.push(...(await computeFactorUnits(ctx, factorUnits, fetched)));
  // One write and one ledger write for the whole job: fewer, larger transactions.
  await writeAndRecord(ctx, writable);
}

/**
 * A whole-market job: one call returns one trading day of a data type for every symbol; each
 * unit gets its symbol's rows, or is confirmed empty when the symbol did not trade that day.
 */
async function runMarketJob(ctx: JobContext, provider: Provider): Promise<void> {
  const { job, signal } = ctx;
  const first = job.units[0];
  const tradeDate = job.tradeDates[0];
  if (!first || !tradeDate || !provider.fetchMarketDay) return;
  const { dataType } = first;
  const fetchMarketDay = provider.fetchMarketDay.bind(provider);
  const outcome = await jobCall(ctx, dataType, () => fetchMarketDay({ dataType, tradeDate, signal }));
  if (!outcome.ok) {
    await failOrFallback(ctx, job.units, outcome.error, outcome.attempts);
    return;
  }
  const writable: Writable[] = [];
  for (const unit of job.units) {
    const unknown = ctx.deps.quarantine?.get(unit.symbol);
    if (unknown) {
      // Not in the market answer because the provider does not know it: not "no trades".
      await recordFailures(ctx, [unit], unknown, 0);
      continue;
    }
    const rows = outcome.value.get(unit.symbol) ?? {};
    try {
      validateRows({ rows, dataType, symbol: unit.symbol, tradeDate, source: provider.name });
      writable.push({ unit, rows: onlyRowsOf(dataType, rows), attempts: outcome.attempts });
    } catch (e) {
      await recordFailures(ctx, [unit], toErrorData(e), outcome.attempts);
    }
  }
  await writeAndRecord(ctx, writable);
}
