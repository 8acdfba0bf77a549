/**
 * Units outside a symbol's listing life have no data by definition: they are recorded `empty`
 * with the reason (e.g. "not listed (listed 2025-03-03)") and no provider call, so a backfill
 * that reaches before a listing spends no quota on it and a resumed run skips them.
 */
import { IngestError, toIngestError } from '../errors.js';
import type { LedgerEntry, UnitKey } from '../ledger/ledger-entry.js';
import type { Job } from './plan.js';
import type { JobDeps } from './run-job.js';

/** Ledger entries written per store call. */
const LEDGER_CHUNK = 5_000;

/** Records a not-listed job's units `empty` (see {@link Job.notListed}). Never calls a provider. */
export async function recordNotListed(
  job: Job,
  deps: Pick<JobDeps, 'store' | 'emit' | 'clock' | 'runId' | 'redact'>,
  signal: AbortSignal,
): Promise<void> {
  const reason = job.notListed ?? 'not listed';
  const key = (u: UnitKey): UnitKey => ({
    provider: u.provider,
    dataType: u.dataType,
    symbol: u.symbol,
    tradeDate: u.tradeDate,
  });
  for (let i = 0; i < job.units.length; i += LEDGER_CHUNK) {
    if (signal.aborted) throw new IngestError('ABORTED', 'aborted');
    const units = job.units.slice(i, i + LEDGER_CHUNK);
    const now = deps.clock.now();
    const entries: LedgerEntry[] = units.map((u) => ({
      ...key(u),
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
        await deps.store.write({ units: rewrites.map((u) => ({ unit: key(u), rows: {} })) });
      await deps.store.writeLedger({ entries });
    } catch (e) {
      const err = toIngestError(e);
      const error = {
        code: 'STORAGE_FAILED' as const,
        message: deps.redact(`recording not-listed units failed: ${err.message}`),
        retryable: true,
        context: {},
      };
      for (const u of units)
        deps.emit({ type: 'unit:failed', unit: key(u), status: 'failed', error, attempts: 0 });
      continue;
    }
    for (const e of entries) {
      deps.emit({ type: 'unit:succeeded', unit: key(e), status: 'empty', rows: 0, attempts: 0 });
    }
  }
}
