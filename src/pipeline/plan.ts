/**
 * Planning: jobs and units. A job is the work of one provider for one symbol over consecutive
 * trading days (or one day of the whole market); it holds one unit per (data type, day). The
 * planner itself streams (plan-stream.ts over plan-work.ts); the estimate counts without
 * planning (plan-estimate.ts); `planRun` materialises a small plan.
 */
import type { RequestedDataType } from '../domain/data-type.js';
import type { Ticker } from '../domain/ticker.js';
import { unitKeyString, type LedgerEntry, type UnitKey } from '../ledger/ledger-entry.js';
import { createLedgerIndex } from './ledger-index.js';
import { estimatePlan, type PlanEstimate } from './plan-estimate.js';
import { decideMarket, planJobs } from './plan-stream.js';
import { planShape, type PlanSpec } from './plan-work.js';

/** A unit planned for a provider, remembering where in its routing chain it stands. */
export interface PlannedUnit extends UnitKey {
  /** The requested data type this unit serves (for fallback along its chain). */
  requested: RequestedDataType;
  /** Index of `provider` in the chain of `requested`. */
  chainIndex: number;
  /** The ledger has this unit done: writing it replaces stored rows (`--no-resume`). */
  rewrite?: boolean;
}

/** One job: a provider, a symbol, consecutive trading days, and the units to do for them. */
export interface Job {
  id: string;
  provider: string;
  symbol: Ticker;
  /** Ascending trading days covered by the job. */
  tradeDates: string[];
  units: PlannedUnit[];
  /**
   * A whole-market job (`symbol` is `*`): one trading day of one data type for every symbol of
   * `units`, fetched with `Provider.fetchMarketDay` in one call.
   */
  market?: boolean;
  /**
   * Set on a job of units outside the symbol's listing life, to the reason ("not listed (listed
   * 2025-03-03)"): they are recorded `empty` with it, without a provider call. Such a job may
   * span many days and data types.
   */
  notListed?: string;
}

/** Inputs of {@link planRun}: a plan spec and the latest ledger entry per unit key string. */
export interface PlanInput extends PlanSpec {
  ledger: ReadonlyMap<string, LedgerEntry>;
}

/** A whole plan in memory (see {@link planRun}). */
export interface Plan {
  jobs: Job[];
  /** Units skipped because the ledger has them done. */
  skipped: number;
  /** Requested types no provider can serve, with their unit counts. */
  unservable: PlanEstimate['unservable'];
  /** Units to run (sum over jobs). */
  unitCount: number;
  symbols: Ticker[];
  estimate: PlanEstimate;
}

/**
 * Materialises a plan: every job at once. For tests and small plans only; the pipeline streams
 * jobs with `streamPlan`/`planJobs` (plan-stream.ts) and counts them with `estimatePlan`.
 */
export function planRun(input: PlanInput): Plan {
  const index = createLedgerIndex(input.tradingDays);
  index.add([...input.ledger.values()]);
  const shape = decideMarket(input, planShape(input), index);
  const jobs = [...planJobs(input, shape, index)];
  const estimate = estimatePlan(input, shape, index);
  return {
    jobs,
    skipped: estimate.skipped,
    unservable: estimate.unservable,
    unitCount: jobs.reduce((n, j) => n + j.units.length, 0),
    symbols: [...new Set(input.symbols)],
    estimate,
  };
}

/** Latest ledger entry per unit key. */
export function indexLedger(entries: readonly LedgerEntry[]): Map<string, LedgerEntry> {
  const out = new Map<string, LedgerEntry>();
  for (const e of entries) {
    const k = unitKeyString(e);
    const prev = out.get(k);
    if (!prev || prev.updatedAt <= e.updatedAt) out.set(k, e);
  }
  return out;
}
