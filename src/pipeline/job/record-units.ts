/**
 * The end of every unit: its rows written idempotently, then its ledger entry — never the other
 * way round, so a crash in between causes a harmless rewrite, never an `ok` over missing rows.
 * Store and ledger writes retry through the one executor (`ingestion.retry.store_write_attempts`,
 * `ledger_write_attempts`, the same backoff as provider calls).
 */
import { countRows } from '../../domain/rows.js';
import { IngestError, throwIfAborted, toErrorData, toIngestError, type ErrorData } from '../../errors.js';
import type { LedgerEntry, UnitKey } from '../../ledger/ledger-entry.js';
import { executeWithRetry } from '../../limits/execute-with-retry.js';
import { classifyFailure } from '../../limits/retry-policy.js';
import type { UnitWrite } from '../../storage/store.js';
import type { PlannedUnit } from '../plan.js';
import type { JobContext, JobDeps, Writable } from './job-context.js';

/** An error as data with its message redacted. */
export function redactError(error: unknown, deps: Pick<JobDeps, 'redact'>): ErrorData {
  const data = toErrorData(error);
  return { ...data, message: deps.redact(data.message) };
}

/** Writes the rows of every writable unit in one store write, then records them in one ledger write. */
export async function writeAndRecord(ctx: JobContext, writable: readonly Writable[]): Promise<void> {
  if (writable.length === 0) return;
  const { deps, signal } = ctx;
  const units: UnitWrite[] = writable.map((w) => ({ unit: unitKeyOf(w.unit), rows: w.rows }));
  const rewrites = writable.filter((w) => w.unit.rewrite);
  if (rewrites.length > 0) {
    // Replacing rows of done units: take them out of "done" first, so a crash between the
    // store's delete and insert leaves a unit to redo, not an `ok` entry over missing rows.
    await writeLedger(
      ctx,
      rewrites.map((w) => entry(w.unit, 'rewriting', 0, w.attempts, undefined, deps)),
    );
  }
  const written = await executeWithRetry(
    async () => {
      throwIfAborted(signal);
      // Not passing `signal`: a write that started completes, so a Ctrl-C never tears a unit.
      await deps.store.write({ units });
    },
    {
      policy: {
        maxAttempts: deps.retry.storeWriteAttempts,
        baseDelayMs: deps.retry.baseDelayMs,
        maxDelayMs: deps.retry.maxDelayMs,
      },
      clock: deps.clock,
      random: deps.random,
      signal,
    },
  );
  if (!written.ok) {
    const err = written.error;
    const data = redactError(
      err.code === 'STORAGE_FAILED'
        ? err
        : new IngestError('STORAGE_FAILED', `store write failed: ${err.message}`, { cause: err }),
      deps,
    );
    for (const w of writable) await recordFailures(ctx, [w.unit], data, w.attempts);
    return;
  }
  const entries = writable.map((w) => {
    const n = countRows(w.rows);
    return entry(w.unit, n > 0 ? 'ok' : 'empty', n, w.attempts, undefined, deps);
  });
  await writeLedger(ctx, entries);
  for (const e of entries) {
    const status = e.status as 'ok' | 'empty';
    ctx.outcome.units.push({ unit: unitKeyOf(e), status, rows: e.rows, attempts: e.attempts });
    deps.emit({ type: 'unit:succeeded', unit: unitKeyOf(e), status, rows: e.rows, attempts: e.attempts });
  }
}

/** Records units as failed (or `unsupported`, by the error's class) and reports them. */
export async function recordFailures(
  ctx: JobContext,
  units: readonly PlannedUnit[],
  error: ErrorData,
  attempts: number,
): Promise<void> {
  const { deps } = ctx;
  const cls = classifyFailure(error);
  const status = cls === 'unsupported' || cls === 'permission' ? 'unsupported' : 'failed';
  const entries = units.map((u) => entry(u, status, 0, attempts, error, deps));
  await writeLedger(ctx, entries);
  for (const e of entries) {
    ctx.outcome.units.push({ unit: unitKeyOf(e), status, rows: 0, attempts: e.attempts, error });
    deps.emit({ type: 'unit:failed', unit: unitKeyOf(e), status, error, attempts: e.attempts });
  }
}

/**
 * Writes ledger entries, retrying any failure. After the last attempt the run goes on with a
 * warning: without a ledger entry the unit is simply redone next run (rows are idempotent).
 */
export async function writeLedger(ctx: JobContext, entries: readonly LedgerEntry[]): Promise<void> {
  const { deps, signal } = ctx;
  const written = await executeWithRetry(
    async () => {
      try {
        await deps.store.writeLedger({ entries });
      } catch (e) {
        const err = toIngestError(e);
        if (err.code === 'ABORTED') throw err;
        // Any ledger failure is worth repeating: the write is idempotent per unit.
        throw new IngestError('STORAGE_FAILED', err.message, { cause: e, retryable: true });
      }
    },
    {
      policy: {
        maxAttempts: deps.retry.ledgerWriteAttempts,
        baseDelayMs: deps.retry.baseDelayMs,
        maxDelayMs: deps.retry.maxDelayMs,
      },
      clock: deps.clock,
      random: deps.random,
      signal,
    },
  );
  if (!written.ok) {
    deps.emit({
      type: 'run:warning',
      message: deps.redact(`ledger write failed: ${written.error.message}`),
    });
  }
}

/** A ledger entry of this run. */
export function entry(
  unit: UnitKey,
  status: LedgerEntry['status'],
  rows: number,
  attempts: number,
  error: ErrorData | undefined,
  deps: Pick<JobDeps, 'redact' | 'runId' | 'clock'>,
): LedgerEntry {
  return {
    ...unitKeyOf(unit),
    status,
    rows,
    attempts: Math.max(1, attempts),
    errorCode: error?.code ?? null,
    errorMessage: error ? deps.redact(error.message) : null,
    runId: deps.runId,
    updatedAt: deps.clock.now(),
  };
}

/** The unit key alone (a planned unit carries planning fields too). */
export function unitKeyOf(u: UnitKey): UnitKey {
  return { provider: u.provider, dataType: u.dataType, symbol: u.symbol, tradeDate: u.tradeDate };
}
