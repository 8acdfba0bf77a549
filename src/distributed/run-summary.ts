/**
 * The summary of a distributed run, built by a coordinator that ran no job: from the ledger
 * entries the workers wrote for the run and what `enqueue` recorded (units per symbol,
 * unservable units). Pure; `watch` feeds it.
 */
import { isDone, type LedgerEntry } from '../ledger/ledger-entry.js';
import { classifyFailure } from '../limits/retry-policy.js';
import type { RunSummary, SymbolOutcome } from '../pipeline/events.js';
import type { RunMeta } from './run-registry.js';

/** Inputs of {@link summarizeRun}. */
export interface SummarizeRunInput {
  meta: RunMeta;
  /** Units enqueued per symbol. */
  symbolUnits: ReadonlyMap<string, number>;
  /** Ledger entries whose `runId` is the run's. */
  entries: readonly LedgerEntry[];
  durationMs: number;
  /** True when the coordinator stopped before every job finished. */
  interrupted: boolean;
}

const tableOf = (dataType: string): string => (dataType.startsWith('bars') ? 'bars' : dataType);

/** Builds `run`'s summary for a distributed run. */
export function summarizeRun(input: SummarizeRunInput): RunSummary {
  const { meta } = input;
  const bySymbol = new Map<string, LedgerEntry[]>();
  for (const e of input.entries) bySymbol.set(e.symbol, [...(bySymbol.get(e.symbol) ?? []), e]);
  const counts = { ok: 0, empty: 0, failed: 0, unsupported: 0, rows: 0 };
  const rowsByTable: Record<string, number> = {};
  const failedSymbols: SymbolOutcome[] = [];
  let unitsPlanned = 0;
  for (const n of input.symbolUnits.values()) unitsPlanned += n;

  const symbols = new Set<string>([...input.symbolUnits.keys(), ...Object.keys(meta.unservable)]);
  for (const symbol of [...symbols].sort()) {
    const entries = bySymbol.get(symbol) ?? [];
    const reasons: string[] = [...(meta.unservable[symbol] ?? [])];
    const classes = new Set<string>(reasons.length > 0 ? ['unsupported'] : []);
    counts.unsupported += meta.unservable[symbol]?.length ?? 0;
    let settled = 0;
    for (const e of entries) {
      if (isDone(e.status)) {
        counts[e.status as 'ok' | 'empty']++;
        counts.rows += e.rows;
        rowsByTable[tableOf(e.dataType)] = (rowsByTable[tableOf(e.dataType)] ?? 0) + e.rows;
        settled++;
        continue;
      }
      // An unsupported unit another provider then served was a fallback, not a failure.
      const servedElsewhere =
        e.status === 'unsupported' &&
        entries.some((o) => o.provider !== e.provider && o.tradeDate === e.tradeDate && isDone(o.status));
      if (servedElsewhere || e.status === 'rewriting') continue;
      settled++;
      counts[e.status === 'unsupported' ? 'unsupported' : 'failed']++;
      reasons.push(`${e.dataType} ${e.tradeDate} via ${e.provider}: ${e.errorMessage ?? e.status}`);
      classes.add(classifyFailure({ code: e.errorCode ?? 'INTERNAL', retryable: false }));
    }
    const pending = (input.symbolUnits.get(symbol) ?? 0) - settled;
    if (reasons.length === 0 && pending <= 0) continue;
    if (reasons.length === 0) {
      reasons.push(
        `${input.interrupted ? 'interrupted' : 'not done'}: ${pending} unit(s) without an outcome (enqueue again to resume)`,
      );
      classes.add('interrupted');
    }
    failedSymbols.push({ symbol, ok: false, reasons: [...new Set(reasons)], failureClasses: [...classes] });
  }
  return {
    runId: meta.runId,
    symbolsTotal: meta.symbolsTotal,
    symbolsOk: meta.symbolsTotal - failedSymbols.length,
    unitsPlanned,
    unitsSkipped: meta.unitsSkipped,
    unitsOk: counts.ok,
    unitsEmpty: counts.empty,
    unitsFailed: counts.failed,
    unitsUnsupported: counts.unsupported,
    rowsWritten: counts.rows,
    rowsByTable,
    durationMs: input.durationMs,
    interrupted: input.interrupted,
    failedSymbols,
    requests: {},
  };
}
