/**
 * Prepares a streaming plan: reads the ledger in batches of symbols into a bitset index, takes
 * the whole-market decision and counts the plan by arithmetic. What it returns holds no job: the
 * jobs are produced lazily by {@link PreparedPlan.jobs} while the workers run.
 */
import type { DateRange } from '../domain/dates.js';
import type { ListingLife } from '../domain/listing-life.js';
import type { Ticker } from '../domain/ticker.js';
import { toIngestError } from '../errors.js';
import type { Provider } from '../providers/provider.js';
import type { Store } from '../storage/store.js';
import { createLedgerIndex, loadLedgerIndex, type LedgerIndex } from './ledger-index.js';
import type { Job } from './plan.js';
import { estimatePlan, type PlanEstimate } from './plan-estimate.js';
import { decideMarket, planJobs, type MarketShape } from './plan-stream.js';
import { planShape, symbolOrder, type PlanSpec } from './plan-work.js';

/** A plan ready to run: its spec, the ledger index, the counts, and a lazy job stream. */
export interface PreparedPlan {
  spec: PlanSpec;
  shape: MarketShape;
  index: LedgerIndex;
  estimate: PlanEstimate;
  /** Symbols in plan order. */
  symbols: readonly Ticker[];
  /** A fresh lazy iterator over the plan's jobs (symbol by symbol, whole-market jobs last). */
  jobs(): Generator<Job, void, undefined>;
}

/** Parameters of {@link preparePlan}. */
export interface PreparePlanParams {
  spec: PlanSpec;
  /** The ledger to skip done units from; read per batch of symbols within `range`. */
  store: Pick<Store, 'readLedger'>;
  range: DateRange;
  signal: AbortSignal;
}

/** Reads the ledger into an index (bounded batches) and counts the plan; builds no job. */
export async function preparePlan(params: PreparePlanParams): Promise<PreparedPlan> {
  const { spec, store, range, signal } = params;
  const index = createLedgerIndex(spec.tradingDays);
  const base = planShape(spec);
  const symbols = [...symbolOrder(spec)];
  const longest = symbols.reduce((n, s) => Math.max(n, spec.tradingDays(s).length), 0);
  // Also without resume: done units are marked as rewrites.
  await loadLedgerIndex({
    index,
    symbols,
    unitsPerSymbol: Math.max(1, base.streams.length) * Math.max(1, longest),
    signal,
    read: ({ symbols: batch, signal: s }) =>
      store.readLedger({
        filter: { symbols: batch, startDate: range.start, endDate: range.end },
        signal: s,
      }),
  });
  const shape = decideMarket(spec, base, index);
  const estimate = estimatePlan(spec, shape, index);
  return { spec, shape, index, estimate, symbols, jobs: () => planJobs(spec, shape, index) };
}

/**
 * Listing life of the symbols from the first provider of `chain` that knows it, or `undefined`
 * with a warning when none answers (then every trading day is planned, as before).
 */
export async function readListings(params: {
  chain: readonly Provider[];
  signal: AbortSignal;
  warn(message: string): void;
}): Promise<Map<Ticker, ListingLife> | undefined> {
  for (const p of params.chain) {
    if (!p.listings) continue;
    try {
      return await p.listings({ signal: params.signal });
    } catch (e) {
      const err = toIngestError(e);
      if (err.code === 'ABORTED' || params.signal.aborted) throw err;
      params.warn(
        `${p.name}: listing dates unavailable (${err.message}); days before a listing or after a delisting are fetched too`,
      );
    }
  }
  return undefined;
}
