/**
 * The run summary as a reducer over pipeline events: (tally, event) → tally, then
 * (tally, duration, interrupted) → `RunSummary`. It reads nothing but the plan's counts and the
 * events — no job state, no clock, no I/O — so a process that ran no job (a coordinator watching
 * a distributed run's event stream) computes the same summary as the process that ran them.
 *
 * For speed over millions of events, `tallyEvent` updates the tally it is given and returns it
 * (a fold's accumulator): keep only the latest.
 */
import type { Ticker } from '../domain/ticker.js';
import { classifyFailure } from '../limits/retry-policy.js';
import type { PipelineEvent, RunSummary, SymbolOutcome } from './events.js';

/** What the plan says, before any event. */
export interface RunTallyInit {
  runId: string;
  /** Every symbol of the run, in plan order. */
  symbols: readonly Ticker[];
  /** Units to run. */
  unitsPlanned: number;
  /** Units the ledger had done. */
  unitsSkipped: number;
  /** Units to run per symbol (a whole-market job holds many symbols). */
  unitsBySymbol: Iterable<readonly [Ticker, number]>;
  /**
   * Units no provider can serve: each counts as unsupported and fails its symbol. An entry may
   * stand for `units` units of one symbol and requested type (default 1).
   */
  unservable: ReadonlyArray<{ symbol: Ticker; requested: string; reason: string; units?: number }>;
}

/** The running tally. */
export interface RunTally {
  readonly init: RunTallyInit;
  counts: { ok: number; empty: number; failed: number; unsupported: number; rows: number; done: number };
  rowsByTable: Record<string, number>;
  requests: Record<string, number>;
  /** Units not yet settled, per symbol. */
  pendingBySymbol: Map<Ticker, number>;
  failures: Map<Ticker, { reasons: Set<string>; classes: Set<string> }>;
}

function addFailure(tally: RunTally, symbol: Ticker, reason: string, cls: string): void {
  let f = tally.failures.get(symbol);
  if (f === undefined) tally.failures.set(symbol, (f = { reasons: new Set(), classes: new Set() }));
  f.reasons.add(reason);
  f.classes.add(cls);
}

function settle(tally: RunTally, symbol: Ticker): void {
  tally.pendingBySymbol.set(symbol, (tally.pendingBySymbol.get(symbol) ?? 1) - 1);
}

/** The tally before any event. */
export function initialRunTally(init: RunTallyInit): RunTally {
  const tally: RunTally = {
    init,
    counts: { ok: 0, empty: 0, failed: 0, unsupported: 0, rows: 0, done: 0 },
    rowsByTable: {},
    requests: {},
    pendingBySymbol: new Map(init.unitsBySymbol),
    failures: new Map(),
  };
  for (const u of init.unservable) {
    addFailure(tally, u.symbol, `${u.requested}: ${u.reason}`, 'unsupported');
    tally.counts.unsupported += u.units ?? 1;
  }
  return tally;
}

/** Folds one event into the tally (events other than unit outcomes and job ends change nothing). */
export function tallyEvent(tally: RunTally, e: PipelineEvent): RunTally {
  switch (e.type) {
    case 'unit:succeeded': {
      tally.counts[e.status]++;
      tally.counts.rows += e.rows;
      tally.counts.done++;
      const table = e.unit.dataType.startsWith('bars') ? 'bars' : e.unit.dataType;
      tally.rowsByTable[table] = (tally.rowsByTable[table] ?? 0) + e.rows;
      settle(tally, e.unit.symbol);
      break;
    }
    case 'unit:failed':
      tally.counts[e.status]++;
      tally.counts.done++;
      addFailure(
        tally,
        e.unit.symbol,
        `${e.unit.dataType} ${e.unit.tradeDate} via ${e.unit.provider}: ${e.error.message}`,
        classifyFailure(e.error),
      );
      settle(tally, e.unit.symbol);
      break;
    case 'job:finished':
      for (const [provider, n] of Object.entries(e.requests)) {
        tally.requests[provider] = (tally.requests[provider] ?? 0) + n;
      }
      break;
    default:
      break;
  }
  return tally;
}

/** The summary of a tally. `interrupted`: the run stopped before every unit settled. */
export function summarizeRun(tally: RunTally, end: { durationMs: number; interrupted: boolean }): RunSummary {
  const { init, counts } = tally;
  const failedSymbols: SymbolOutcome[] = [];
  let symbolsOk = 0;
  for (const symbol of init.symbols) {
    const f = tally.failures.get(symbol);
    const pending = tally.pendingBySymbol.get(symbol) ?? 0;
    if (!f && pending <= 0) {
      symbolsOk++;
      continue;
    }
    failedSymbols.push({
      symbol,
      ok: false,
      reasons: f ? [...f.reasons] : [`interrupted: ${pending} unit(s) not done (re-run to resume)`],
      failureClasses: f ? [...f.classes] : ['interrupted'],
    });
  }
  return {
    runId: init.runId,
    symbolsTotal: init.symbols.length,
    symbolsOk,
    unitsPlanned: init.unitsPlanned,
    unitsSkipped: init.unitsSkipped,
    unitsOk: counts.ok,
    unitsEmpty: counts.empty,
    unitsFailed: counts.failed,
    unitsUnsupported: counts.unsupported,
    rowsWritten: counts.rows,
    rowsByTable: { ...tally.rowsByTable },
    durationMs: end.durationMs,
    interrupted: end.interrupted,
    failedSymbols,
    requests: { ...tally.requests },
  };
}
