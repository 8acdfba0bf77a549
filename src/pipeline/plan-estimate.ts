/**
 * The dry-run estimate, by arithmetic: units, jobs, provider calls per endpoint and the least
 * time they take under the per-minute limits, from per-symbol counts (listed days, popcounts of
 * the ledger index) instead of a materialised plan. A symbol with nothing done costs a few
 * multiplications, so a full-market, ten-year estimate takes well under a second after the
 * ledger is read. It counts exactly what `planJobs` yields (pinned by plan-estimate.test.ts).
 */
import type { ConcreteDataType } from '../domain/data-type.js';
import type { Ticker } from '../domain/ticker.js';
import type { Provider, ProviderCapabilities } from '../providers/provider.js';
import { countBits, type LedgerIndex } from './ledger-index.js';
import type { Job } from './plan.js';
import type { MarketShape } from './plan-stream.js';
import {
  groupChunks,
  isSkipped,
  isTodo,
  symbolOrder,
  symbolWork,
  type PlanSpec,
  type SymbolWork,
  type UnservableType,
} from './plan-work.js';

/** Calls of one provider. */
export interface ProviderEstimate {
  provider: string;
  calls: number;
  /** The lowest per-minute limit among the endpoints called; `undefined` = unlimited. */
  requestsPerMinute: number | undefined;
  /** The least time the calls take under the per-minute limits (the slowest endpoint). */
  minDurationMs: number;
  /** Calls per endpoint (`stk_mins`, `daily`, ...). */
  perEndpoint: Record<string, number>;
}

/** What a plan holds, counted without building it. */
export interface PlanEstimate {
  symbols: number;
  /** Units to do: fetched, or recorded empty as not listed. */
  units: number;
  /** Of `units`, those outside their symbol's listing life (no provider call). */
  notListed: number;
  /** Units the ledger has done (skipped on resume). */
  skipped: number;
  /** Units no provider can serve, per requested type. */
  unservable: Array<UnservableType & { units: number }>;
  jobs: number;
  /** Units to do per symbol (whole-market units counted under their own symbol). */
  unitsBySymbol: Map<Ticker, number>;
  providers: ProviderEstimate[];
}

/**
 * Endpoints one fetch job calls for the data types it carries (with multiplicity): factors
 * need the trades or bars they are computed from, and the order book when the provider has one.
 */
export function fetchEndpoints(caps: ProviderCapabilities, dataTypes: Iterable<ConcreteDataType>): string[] {
  const list = [...dataTypes];
  const types = new Set(list.map((t) => (t === 'factors' ? caps.tickData : t)));
  if (list.includes('factors') && caps.dataTypes.includes('order_book')) types.add('order_book');
  return [...types].flatMap((t) => [...(caps.endpointsOf?.[t] ?? [t])]);
}

function providerEstimate(
  name: string,
  caps: ProviderCapabilities,
  perEndpoint: ReadonlyMap<string, number>,
): ProviderEstimate {
  const rpmOf = (e: string) => caps.endpoints.find((x) => x.name === e)?.requestsPerMinute;
  const calls = [...perEndpoint.values()].reduce((a, b) => a + b, 0);
  const minDurationMs = Math.max(
    0,
    ...[...perEndpoint].map(([e, n]) => (rpmOf(e) ? Math.ceil((n / (rpmOf(e) as number)) * 60_000) : 0)),
  );
  const limits = [...perEndpoint.keys()].map(rpmOf).filter((x): x is number => x !== undefined);
  return {
    provider: name,
    calls,
    requestsPerMinute: limits.length > 0 ? Math.min(...limits) : undefined,
    minDurationMs,
    perEndpoint: Object.fromEntries(perEndpoint),
  };
}

/**
 * Calls a list of jobs needs, per endpoint (not-listed jobs call nothing). A lower bound: calls
 * split further when an answer hits a row cap.
 */
export function estimateCalls(
  p: Pick<Provider, 'name' | 'capabilities'>,
  jobs: Iterable<Job>,
): ProviderEstimate {
  const perEndpoint = new Map<string, number>();
  for (const j of jobs) {
    if (j.provider !== p.name || j.notListed) continue;
    for (const e of fetchEndpoints(p.capabilities, new Set(j.units.map((u) => u.dataType))))
      perEndpoint.set(e, (perEndpoint.get(e) ?? 0) + 1);
  }
  return providerEstimate(p.name, p.capabilities, perEndpoint);
}

/** Counts of one stream for one symbol: to do (listed), not listed, skipped. */
function streamCounts(spec: PlanSpec, shape: MarketShape, w: SymbolWork, i: number) {
  const n = w.days.length;
  const listed = w.to - w.from;
  const done = w.done[i];
  if (w.uniform || (spec.onlyUnits === undefined && (!spec.resume || done === undefined))) {
    return { todo: listed, notListed: n - listed, skipped: 0 };
  }
  if (spec.onlyUnits === undefined && done !== undefined) {
    const doneIn = countBits(done, w.from, w.to);
    const doneAll = countBits(done, 0, n);
    return { todo: listed - doneIn, notListed: n - listed - (doneAll - doneIn), skipped: doneAll };
  }
  let todo = 0;
  let notListed = 0;
  let skipped = 0;
  for (let k = 0; k < n; k++) {
    if (isTodo(spec, shape, w, i, k)) {
      if (k >= w.from && k < w.to) todo++;
      else notListed++;
    } else if (isSkipped(spec, shape, w, i, k)) skipped++;
  }
  return { todo, notListed, skipped };
}

/** Estimates a plan over a filled ledger index (see {@link PlanEstimate}). */
export function estimatePlan(spec: PlanSpec, shape: MarketShape, index: LedgerIndex): PlanEstimate {
  const perEndpoint = new Map<string, Map<string, number>>();
  const addCalls = (provider: string, endpoints: readonly string[], times: number) => {
    if (times <= 0) return;
    let m = perEndpoint.get(provider);
    if (!m) perEndpoint.set(provider, (m = new Map()));
    for (const e of endpoints) m.set(e, (m.get(e) ?? 0) + times);
  };
  const unitsBySymbol = new Map<Ticker, number>();
  let units = 0;
  let notListed = 0;
  let skipped = 0;
  let jobs = 0;
  let symbols = 0;
  // Endpoints of a whole group's job, when every stream of it has units in the job.
  const groupEndpoints = shape.groups.map((g) => {
    const streams = g.streams.filter((i) => !shape.market.has(i));
    const caps = spec.capabilities[g.provider] as ProviderCapabilities;
    return {
      streams,
      caps,
      all: fetchEndpoints(
        caps,
        streams.map((i) => shape.streams[i]?.dataType as ConcreteDataType),
      ),
    };
  });
  for (const symbol of symbolOrder(spec)) {
    symbols++;
    const w = symbolWork(spec, shape, index, symbol);
    let symbolUnits = 0;
    const notListedProviders = new Set<string>();
    shape.streams.forEach((s, i) => {
      const c = streamCounts(spec, shape, w, i);
      symbolUnits += c.todo + c.notListed;
      notListed += c.notListed;
      skipped += c.skipped;
      if (c.notListed > 0) notListedProviders.add(s.provider);
    });
    jobs += notListedProviders.size;
    shape.groups.forEach((g, gi) => {
      const { streams, caps, all } = groupEndpoints[gi] as (typeof groupEndpoints)[number];
      if (streams.length === 0) return;
      if (w.uniform) {
        const chunks = Math.ceil((w.to - w.from) / g.span);
        jobs += chunks;
        addCalls(g.provider, all, chunks);
        return;
      }
      for (const c of groupChunks(spec, shape, w, { span: g.span, streams })) {
        jobs++;
        const types = c.streams.map((i) => shape.streams[i]?.dataType as ConcreteDataType);
        addCalls(g.provider, fetchEndpoints(caps, types), 1);
      }
    });
    units += symbolUnits;
    if (symbolUnits > 0) unitsBySymbol.set(symbol, symbolUnits);
  }
  for (const i of shape.market) {
    const s = shape.streams[i];
    if (!s) continue;
    const days = shape.marketDays.get(i) ?? 0;
    jobs += days;
    addCalls(
      s.provider,
      fetchEndpoints(spec.capabilities[s.provider] as ProviderCapabilities, [s.dataType]),
      days,
    );
  }
  const unservable = shape.unservable.map((u) => ({
    ...u,
    units: [...symbolOrder(spec)].reduce((n, s) => n + spec.tradingDays(s).length, 0),
  }));
  return {
    symbols,
    units,
    notListed,
    skipped,
    unservable,
    jobs,
    unitsBySymbol,
    providers: Object.entries(spec.capabilities).map(([name, caps]) =>
      providerEstimate(name, caps, perEndpoint.get(name) ?? new Map()),
    ),
  };
}
