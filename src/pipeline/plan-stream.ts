/**
 * The streaming planner. Jobs are produced lazily, symbol by symbol in priority order, while the
 * workers run: nothing holds one object per unit of the whole plan. The already-done check reads
 * a {@link LedgerIndex} (bitsets), filled from the ledger in batches of symbols.
 *
 * Library use (the distributed `enqueue` consumes the same stream):
 * ```ts
 * // Reads the ledger a batch of symbols ahead of the jobs it yields:
 * for await (const job of streamPlan({ spec, readLedger, signal })) await queue.add(job);
 * // Or: counts first (dry run, progress totals), then the jobs over the same index:
 * const plan = await preparePlan({ spec, store, range, signal }); // plan-prepare.ts
 * plan.estimate; // units, jobs, calls per endpoint, least duration (plan-estimate.ts)
 * for await (const job of streamPlan({ spec, index: plan.index, shape: plan.shape, signal })) ...
 * ```
 */
import { notListedReason } from '../domain/listing-life.js';
import type { Ticker } from '../domain/ticker.js';
import {
  createLedgerIndex,
  ledgerBatchSize,
  type LedgerIndex,
  type ReadLedgerBatch,
} from './ledger-index.js';
import type { Job, PlannedUnit } from './plan.js';
import {
  groupChunks,
  isDoneAt,
  isTodo,
  planShape,
  symbolOrder,
  symbolWork,
  type PlanShape,
  type PlanSpec,
  type SymbolWork,
} from './plan-work.js';

/** A shape with the streams served by whole-market jobs (one call per trading day). */
export interface MarketShape extends PlanShape {
  /** Stream indexes planned as whole-market jobs. */
  market: ReadonlySet<number>;
  /** Per whole-market stream, the trading days with any unit to do (its job count). */
  marketDays: ReadonlyMap<number, number>;
}

/**
 * Chooses whole-market jobs for a provider's market-day data types when they need fewer calls
 * than per-symbol jobs (daily bars of ALL for a month: 22 calls instead of one per symbol).
 * One pass over the symbols; arithmetic for symbols whose ledger has nothing done.
 */
export function decideMarket(spec: PlanSpec, shape: PlanShape, index: LedgerIndex): MarketShape {
  const candidates = shape.streams.flatMap((s, i) =>
    (spec.capabilities[s.provider]?.marketDayDataTypes ?? []).includes(s.dataType) ? [i] : [],
  );
  const market = new Set<number>();
  const marketDays = new Map<number, number>();
  if (candidates.length === 0) return { ...shape, market, marketDays };
  const perSymbolCalls = new Map<number, number>(candidates.map((i) => [i, 0]));
  // Days with any unit to do, per calendar array (A-shares share one).
  const marks = new Map<number, Map<readonly string[], Uint8Array>>(candidates.map((i) => [i, new Map()]));
  for (const symbol of symbolOrder(spec)) {
    const w = symbolWork(spec, shape, index, symbol);
    for (const i of candidates) {
      const s = shape.streams[i];
      const maxDays =
        spec.capabilities[s?.provider as string]?.maxDaysPerFetch[s?.dataType ?? 'bars_1d'] ?? 1;
      const byCal = marks.get(i) as Map<readonly string[], Uint8Array>;
      let m = byCal.get(w.days);
      if (!m) byCal.set(w.days, (m = new Uint8Array(w.days.length)));
      let todo = 0;
      if (w.uniform) {
        todo = w.to - w.from;
        m.fill(1, w.from, w.to);
      } else {
        for (let k = w.from; k < w.to; k++) {
          if (!isTodo(spec, shape, w, i, k)) continue;
          todo++;
          m[k] = 1;
        }
      }
      perSymbolCalls.set(i, (perSymbolCalls.get(i) ?? 0) + Math.ceil(todo / Math.max(1, maxDays)));
    }
  }
  for (const i of candidates) {
    const days = new Set<string>();
    for (const [cal, m] of marks.get(i) as Map<readonly string[], Uint8Array>) {
      m.forEach((x, k) => {
        if (x) days.add(cal[k] as string);
      });
    }
    if (days.size > 0 && days.size < (perSymbolCalls.get(i) ?? 0)) {
      market.add(i);
      marketDays.set(i, days.size);
    }
  }
  return { ...shape, market, marketDays };
}

/** The unit of stream `i` on day `k`. */
function unitAt(shape: PlanShape, w: SymbolWork, i: number, k: number): PlannedUnit {
  const s = shape.streams[i] as PlanShape['streams'][number];
  return {
    provider: s.provider,
    dataType: s.dataType,
    symbol: w.symbol,
    tradeDate: w.days[k] as string,
    requested: s.requested,
    chainIndex: s.chainIndex,
    ...(isDoneAt(w, i, k) ? { rewrite: true } : {}),
  };
}

/** A symbol's jobs: not-listed units first (no call), then its fetch jobs, recent days first. */
export function symbolJobs(spec: PlanSpec, shape: MarketShape, w: SymbolWork): Job[] {
  const jobs: Job[] = [];
  // Not-listed units of every stream (whole-market ones too), one job per provider.
  const notListed = new Map<string, PlannedUnit[]>();
  shape.streams.forEach((s, i) => {
    for (let k = 0; k < w.days.length; k++) {
      if (k === w.from) k = w.to;
      if (k >= w.days.length) break;
      if (!isTodo(spec, shape, w, i, k)) continue;
      const list = notListed.get(s.provider) ?? [];
      list.push(unitAt(shape, w, i, k));
      notListed.set(s.provider, list);
    }
  });
  for (const [provider, units] of notListed) {
    jobs.push({
      id: `${provider}:${w.symbol}:not-listed`,
      provider,
      symbol: w.symbol,
      tradeDates: [...new Set(units.map((u) => u.tradeDate))].sort(),
      units,
      notListed: notListedReason(w.life),
    });
  }
  const fetchJobs: Job[] = [];
  // Jobs of a provider's groups with units here; ids name the types only when several do.
  const groupsWithJobs = new Map<string, number>();
  for (const group of shape.groups) {
    const streams = group.streams.filter((i) => !shape.market.has(i));
    if (streams.length === 0) continue;
    let any = false;
    for (const c of groupChunks(spec, shape, w, { span: group.span, streams })) {
      any = true;
      const units: PlannedUnit[] = [];
      for (let k = c.start; k < c.end; k++) {
        for (const i of c.streams) if (isTodo(spec, shape, w, i, k)) units.push(unitAt(shape, w, i, k));
      }
      fetchJobs.push({
        id: '',
        provider: group.provider,
        symbol: w.symbol,
        tradeDates: w.days.slice(c.start, c.end) as string[],
        units,
      });
    }
    if (any) groupsWithJobs.set(group.provider, (groupsWithJobs.get(group.provider) ?? 0) + 1);
  }
  for (const j of fetchJobs) {
    const d = j.tradeDates;
    const types =
      (groupsWithJobs.get(j.provider) ?? 0) > 1
        ? `:${[...new Set(j.units.map((u) => u.dataType))].join('+')}`
        : '';
    j.id = `${j.provider}:${w.symbol}:${d[0]}${d.length > 1 ? `..${d[d.length - 1]}` : ''}${types}`;
  }
  // Recent days before backfill (stable: equal first days keep group order).
  fetchJobs.sort((a, b) => (b.tradeDates[0] ?? '').localeCompare(a.tradeDates[0] ?? ''));
  return [...jobs, ...fetchJobs];
}

/** Whole-market jobs of one stream: one per trading day with any unit to do, most recent first. */
export function* marketJobs(spec: PlanSpec, shape: MarketShape, index: LedgerIndex): Generator<Job> {
  if (shape.market.size === 0) return;
  const works = [...symbolOrder(spec)].map((s) => symbolWork(spec, shape, index, s));
  for (const i of shape.market) {
    const s = shape.streams[i] as PlanShape['streams'][number];
    const days = new Set<string>();
    for (const w of works) {
      for (let k = w.from; k < w.to; k++) if (isTodo(spec, shape, w, i, k)) days.add(w.days[k] as string);
    }
    for (const day of [...days].sort().reverse()) {
      const units: PlannedUnit[] = [];
      for (const w of works) {
        const k = dayIndex(w.days, day);
        if (k >= w.from && k < w.to && isTodo(spec, shape, w, i, k)) units.push(unitAt(shape, w, i, k));
      }
      yield {
        id: `${s.provider}:*:${day}:${s.dataType}`,
        provider: s.provider,
        symbol: '*',
        tradeDates: [day],
        units,
        market: true,
      };
    }
  }
}

function dayIndex(days: readonly string[], day: string): number {
  let lo = 0;
  let hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((days[mid] as string) < day) lo = mid + 1;
    else hi = mid;
  }
  return days[lo] === day ? lo : -1;
}

/**
 * Every job of a plan over an already filled ledger index, lazily: one symbol's jobs are built
 * when the consumer asks for them. Whole-market jobs come last (they need every symbol's state).
 */
export function* planJobs(spec: PlanSpec, shape: MarketShape, index: LedgerIndex): Generator<Job> {
  for (const symbol of symbolOrder(spec))
    yield* symbolJobs(spec, shape, symbolWork(spec, shape, index, symbol));
  yield* marketJobs(spec, shape, index);
}

/** Parameters of {@link streamPlan}. */
export interface StreamPlanParams {
  spec: PlanSpec;
  /**
   * Reads the ledger of a batch of symbols (within the plan's dates). Omit with `index` given,
   * or for a plan from scratch.
   */
  readLedger?: ReadLedgerBatch;
  /** An index already filled for every symbol (e.g. by the estimate); then nothing is read. */
  index?: LedgerIndex;
  /** A shape with the whole-market decision already taken (with `index`). */
  shape?: MarketShape;
  signal: AbortSignal;
}

/**
 * The plan as an async stream of jobs. Reads the ledger a batch of symbols at a time, just ahead
 * of the jobs it yields, so the first jobs start while later symbols are still unread. With
 * whole-market data types (Tushare daily bars of many symbols) the whole ledger is indexed first,
 * since that decision needs every symbol's state; the index is bitsets, a few MB for ten years.
 */
export async function* streamPlan(params: StreamPlanParams): AsyncGenerator<Job, void, undefined> {
  const { spec, signal } = params;
  const index = params.index ?? createLedgerIndex(spec.tradingDays);
  const base = params.shape ?? planShape(spec);
  const read = params.index ? undefined : params.readLedger;
  const needsAll = base.streams.some((s) =>
    (spec.capabilities[s.provider]?.marketDayDataTypes ?? []).includes(s.dataType),
  );
  const order = [...symbolOrder(spec)];
  const unitsPerSymbol = base.streams.length * Math.max(1, spec.tradingDays(order[0] ?? '').length);
  const size = ledgerBatchSize(unitsPerSymbol);
  let loaded = 0;
  const loadUpTo = async (n: number) => {
    while (read && loaded < n) {
      const batch = order.slice(loaded, loaded + size);
      index.add(await read({ symbols: batch, signal }));
      loaded += batch.length;
    }
  };
  if (needsAll && !params.shape) await loadUpTo(order.length);
  const shape: MarketShape = params.shape ?? decideMarket(spec, base, index);
  for (let n = 0; n < order.length; n++) {
    if (signal.aborted) return;
    await loadUpTo(n + 1);
    yield* symbolJobs(spec, shape, symbolWork(spec, shape, index, order[n] as Ticker));
  }
  yield* marketJobs(spec, shape, index);
}
