/**
 * The summary of a distributed run, built by a coordinator that ran no job (`watch`): the
 * pipeline's own reducer (`src/pipeline/run-summary.ts`) folded over the unit events every
 * worker published, checked against the ledger. The event stream is at-least-once (a job that
 * ran again after a crash publishes its units again), so only the latest event of each unit
 * and job counts; and where a unit's ledger entry — versioned by fencing tokens, so the newest
 * outcome — disagrees with its latest event, the ledger wins. Pure.
 */
import type { Ticker } from '../domain/ticker.js';
import { unitKeyString, type LedgerEntry } from '../ledger/ledger-entry.js';
import type { PipelineEvent, RunSummary } from '../pipeline/events.js';
import { initialRunTally, summarizeRun, tallyEvent } from '../pipeline/run-summary.js';
import type { RunMeta, SharedEvent } from './run-registry.js';

/** Inputs of {@link summarizeDistributedRun}. */
export interface DistributedSummaryInput {
  meta: RunMeta;
  /** Units enqueued per symbol (follow-ups excluded). */
  symbolUnits: ReadonlyMap<string, number>;
  /** The run's stream, in order (duplicates allowed). */
  events: Iterable<SharedEvent>;
  /** Ledger entries whose `runId` is the run's. */
  ledger: readonly LedgerEntry[];
  durationMs: number;
  interrupted: boolean;
}

/** The ledger entry as the event a worker would have emitted for it. */
function eventOfEntry(e: LedgerEntry): PipelineEvent | undefined {
  const unit = { provider: e.provider, dataType: e.dataType, symbol: e.symbol, tradeDate: e.tradeDate };
  if (e.status === 'ok' || e.status === 'empty')
    return { type: 'unit:succeeded', unit, status: e.status, rows: e.rows, attempts: e.attempts };
  if (e.status === 'failed' || e.status === 'unsupported') {
    return {
      type: 'unit:failed',
      unit,
      status: e.status,
      error: {
        code: (e.errorCode ?? 'INTERNAL') as never,
        message: e.errorMessage ?? e.status,
        retryable: false,
      },
      attempts: e.attempts,
    };
  }
  return undefined;
}

/** Latest event per unit and per job, in stream order. */
export function latestEvents(events: Iterable<SharedEvent>): SharedEvent[] {
  const latest = new Map<string, SharedEvent>();
  for (const e of events) {
    const key = e.type === 'job:finished' ? `job|${e.jobId}` : `unit|${unitKeyString(e.unit)}`;
    latest.delete(key);
    latest.set(key, e);
  }
  return [...latest.values()];
}

/** `run`'s summary for a distributed run. */
export function summarizeDistributedRun(input: DistributedSummaryInput): RunSummary {
  const { meta } = input;
  const ledger = new Map(input.ledger.map((e) => [unitKeyString(e), e]));
  let unitsPlanned = 0;
  for (const n of input.symbolUnits.values()) unitsPlanned += n;
  let tally = initialRunTally({
    runId: meta.runId,
    symbols: meta.symbols as Ticker[],
    unitsPlanned,
    unitsSkipped: meta.unitsSkipped,
    unitsBySymbol: [...input.symbolUnits].map(([s, n]) => [s as Ticker, n] as const),
    unservable: meta.unservable.map((u) => ({ ...u, symbol: u.symbol as Ticker })),
  });
  for (const e of latestEvents(input.events)) {
    let event: PipelineEvent = e;
    if (e.type !== 'job:finished') {
      const entry = ledger.get(unitKeyString(e.unit));
      const status = e.status;
      if (entry !== undefined && entry.status !== status && entry.status !== 'rewriting')
        event = eventOfEntry(entry) ?? e;
    }
    tally = tallyEvent(tally, event);
  }
  return summarizeRun(tally, { durationMs: input.durationMs, interrupted: input.interrupted });
}
