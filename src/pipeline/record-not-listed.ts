/**
 * Units outside a symbol's listing life have no data by definition: they are recorded `empty`
 * with the reason (e.g. "not listed (listed 2025-03-03)") and no provider call, so a backfill
 * that reaches before a listing spends no quota on it and a resumed run skips them.
 */
import { IngestError, toIngestError, type ErrorData } from '../errors.js';
import type { LedgerEntry, UnitKey } from '../ledger/ledger-entry.js';
import type { JobDeps, JobOutcome } from './job/job-context.js';
import type { Job } from './plan.js';

/** Ledger entries written per store call. */
const LEDGER_CHUNK = 5_000;

type NotListedDeps = Pick<JobDeps, 'store' | 'emit' | 'clock' | 'runId' | 'redact'>;

const keyOf = (u: UnitKey): UnitKey => ({
  provider: u.provider,
  dataType: u.dataType,
  symbol: u.symbol,
  tradeDate: u.tradeDate,
});

/**
 * Records a not-listed job's units `empty` (see {@link Job.notListed}). Never calls a provider;
 * emits `job:started`/`job:finished` like any job. Rejects only with `ABORTED`.
 */
export async function recordNotListed(
  job: Job,
  deps: NotListedDeps,
  signal: AbortSignal,
): Promise<JobOutcome> {
  const outcome: JobOutcome = { jobId: job.id, units: [], followUps: [], requests: {} };
  deps.emit({
    type: 'job:started',
    jobId: job.id,
    provider: job.provider,
    symbol: job.symbol,
    tradeDates: job.tradeDates,
  });
  let aborted = true;
  try {
    for (let i = 0; i < job.units.length; i += LEDGER_CHUNK) {
      if (signal.aborted) throw new IngestError('ABORTED', 'aborted');
      await recordChunk(job.units.slice(i, i + LEDGER_CHUNK), job.notListed ?? 'not listed', outcome, deps);
    }
    aborted = false;
    return outcome;
  } finally {
    deps.emit({
      type: 'job:finished',
      jobId: job.id,
      provider: job.provider,
      requests: {},
      followUps: 0,
      aborted,
    });
  }
}

async function recordChunk(
  units: Job['units'],
  reason: string,
  outcome: JobOutcome,
  deps: NotListedDeps,
): Promise<void> {
  const now = deps.clock.now();
  const entries: LedgerEntry[] = units.map((u) => ({
    ...keyOf(u),
    status: 'empty',
    rows: 0,
    attempts: 0,
    errorCode: null,
    errorMessage: reason,
    runId: deps.runId,
    updatedAt: now,
  }));
  try {
    // Rows stored earlier for such a day (`--no-resume`) are replaced by none.
    const rewrites = units.filter((u) => u.rewrite);
    if (rewrites.length > 0)
      await deps.store.write({ units: rewrites.map((u) => ({ unit: keyOf(u), rows: {} })) });
    await deps.store.writeLedger({ entries });
  } catch (e) {
    const error: ErrorData = {
      code: 'STORAGE_FAILED',
      message: deps.redact(`recording not-listed units failed: ${toIngestError(e).message}`),
      retryable: true,
    };
    for (const u of units) {
      outcome.units.push({ unit: keyOf(u), status: 'failed', rows: 0, attempts: 0, error });
      deps.emit({ type: 'unit:failed', unit: keyOf(u), status: 'failed', error, attempts: 0 });
    }
    return;
  }
  for (const e of entries) {
    outcome.units.push({ unit: keyOf(e), status: 'empty', rows: 0, attempts: 0 });
    deps.emit({ type: 'unit:succeeded', unit: keyOf(e), status: 'empty', rows: 0, attempts: 0 });
  }
}
