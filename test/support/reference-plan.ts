/**
 * The planner as it was before the streaming plan (one object per unit, a Map of ledger
 * entries): kept as the reference the property tests compare the bitset index and the
 * streaming planner against. Tests only.
 */
import type { ConcreteDataType, RequestedDataType } from '../../src/domain/data-type.js';
import type { Ticker } from '../../src/domain/ticker.js';
import { isDone, unitKeyString, type LedgerEntry, type UnitKey } from '../../src/ledger/ledger-entry.js';
import type { ProviderCapabilities } from '../../src/providers/provider.js';
import type { Job, PlannedUnit } from '../../src/pipeline/plan.js';
import { concreteTypesFor, fallbackTypeFor, type Routing } from '../../src/pipeline/routing.js';

/** A unit no provider in its chain can serve. */
export interface UnservableUnit extends UnitKey {
  requested: RequestedDataType;
  reason: string;
}

/** Inputs of {@link planRun}. */
export interface ReferencePlanInput {
  symbols: readonly Ticker[];
  /** Trading days per symbol (exchange-local), ascending. */
  tradingDays: (symbol: Ticker) => readonly string[];
  requested: readonly RequestedDataType[];
  routing: Routing;
  capabilities: Readonly<Record<string, ProviderCapabilities>>;
  /** Latest ledger entry per unit key string. */
  ledger: ReadonlyMap<string, LedgerEntry>;
  /** Skip units already `ok`/`empty` (default true). */
  resume: boolean;
  /** Symbols to schedule first, in this order. */
  priority?: readonly Ticker[];
  /** Start from a given chain index per unit instead of the first provider (retry-failed). */
  onlyUnits?: ReadonlySet<string>;
}

/** Output of {@link planRun}. */
export interface ReferencePlan {
  jobs: Job[];
  /** Units skipped because the ledger has them done. */
  skipped: UnitKey[];
  /** Units no provider can serve (reported as unsupported). */
  unservable: UnservableUnit[];
  /** Units to run (sum over jobs). */
  unitCount: number;
  /** Every (symbol, requested type, day) cell considered, for the summary. */
  symbols: Ticker[];
}

/** Plans a run. Pure: the same inputs give the same plan. */
export function referencePlan(input: ReferencePlanInput): ReferencePlan {
  const skipped: UnitKey[] = [];
  const unservable: UnservableUnit[] = [];
  const byProviderSymbol = new Map<string, Map<string, PlannedUnit[]>>();
  const seenUnits = new Set<string>();

  for (const symbol of input.symbols) {
    const days = input.tradingDays(symbol);
    for (const requested of input.requested) {
      const chain = input.routing[requested];
      const first = chain.findIndex((p) => {
        const caps = input.capabilities[p];
        return caps !== undefined && concreteTypesFor(requested, caps).length > 0;
      });
      if (first < 0) {
        for (const day of days) {
          unservable.push({
            provider: chain[0] ?? 'none',
            dataType: requested === 'tick_data' ? 'ticks' : requested,
            symbol,
            tradeDate: day,
            requested,
            reason: `no provider in routing.${requested} (${chain.join(', ')}) serves ${requested}`,
          });
        }
        continue;
      }
      const provider = chain[first] as string;
      const types = concreteTypesFor(requested, input.capabilities[provider] as ProviderCapabilities);
      for (const dataType of types) {
        for (const day of days) {
          // A unit is done when any provider of its chain has it done.
          const done = chain.some((p) => {
            const caps = input.capabilities[p];
            const there =
              p === provider ? dataType : caps ? fallbackTypeFor(requested, dataType, caps) : undefined;
            if (!there) return false;
            const e = input.ledger.get(
              unitKeyString({ provider: p, dataType: there, symbol, tradeDate: day }),
            );
            return e !== undefined && isDone(e.status);
          });
          const key: UnitKey = { provider, dataType, symbol, tradeDate: day };
          const ks = unitKeyString(key);
          if (input.onlyUnits && !input.onlyUnits.has(ks)) continue;
          if (seenUnits.has(ks)) continue; // tick_data and bars_1m may name the same unit
          seenUnits.add(ks);
          if (input.resume && done) {
            skipped.push(key);
            continue;
          }
          const psKey = `${provider}|${symbol}`;
          let byDay = byProviderSymbol.get(psKey);
          if (!byDay) byProviderSymbol.set(psKey, (byDay = new Map()));
          const list = byDay.get(day) ?? [];
          list.push({ ...key, requested, chainIndex: first, ...(done ? { rewrite: true } : {}) });
          byDay.set(day, list);
        }
      }
    }
  }

  const jobs: Job[] = planMarketJobs(byProviderSymbol, input);
  for (const [psKey, byDay] of byProviderSymbol) {
    const [provider, symbol] = psKey.split('|') as [string, string];
    const caps = input.capabilities[provider] as ProviderCapabilities;
    const dayIndex = new Map(input.tradingDays(symbol).map((d, k) => [d, k]));
    // Types with different day spans per call get separate jobs (daily bars: 250 days a call,
    // not the 30 of the 1-minute bars they were asked with); factors ride with the trades or
    // bars they are computed from, so one fetch serves both.
    const spanOf = (t: string) =>
      caps.maxDaysPerFetch[(t === 'factors' ? caps.tickData : t) as ConcreteDataType] ?? 1;
    const groups = new Map<number, Map<string, PlannedUnit[]>>();
    for (const [day, units] of byDay) {
      for (const u of units) {
        const span = Math.max(1, spanOf(u.dataType));
        let g = groups.get(span);
        if (!g) groups.set(span, (g = new Map()));
        g.set(day, [...(g.get(day) ?? []), u]);
      }
    }
    for (const [chunk, unitsByDay] of groups) {
      const days = [...unitsByDay.keys()].sort();
      for (let i = 0; i < days.length;) {
        // Chunk consecutive trading days only, so one fetch covers a contiguous range.
        const group = [days[i] as string];
        let j = i + 1;
        while (
          j < days.length &&
          group.length < chunk &&
          dayIndex.get(days[j] as string) === (dayIndex.get(days[j - 1] as string) ?? -2) + 1
        ) {
          group.push(days[j] as string);
          j++;
        }
        i = j;
        const types = [...new Set(group.flatMap((d) => (unitsByDay.get(d) ?? []).map((u) => u.dataType)))];
        jobs.push({
          id: `${provider}:${symbol}:${group[0]}${group.length > 1 ? `..${group[group.length - 1]}` : ''}${groups.size > 1 ? `:${types.join('+')}` : ''}`,
          provider,
          symbol,
          tradeDates: group,
          units: group.flatMap((d) => unitsByDay.get(d) ?? []),
        });
      }
    }
  }

  const prio = new Map((input.priority ?? []).map((s, i) => [s, i]));
  const symbolOrder = new Map(input.symbols.map((s, i) => [s, i]));
  jobs.sort((a, b) => {
    const pa = prio.get(a.symbol) ?? Number.POSITIVE_INFINITY;
    const pb = prio.get(b.symbol) ?? Number.POSITIVE_INFINITY;
    if (pa !== pb) return pa - pb;
    const sa = symbolOrder.get(a.symbol) ?? 0;
    const sb = symbolOrder.get(b.symbol) ?? 0;
    if (sa !== sb) return sa - sb;
    // Recent days before backfill within a symbol.
    return (b.tradeDates[0] ?? '').localeCompare(a.tradeDates[0] ?? '');
  });
  return {
    jobs,
    skipped,
    unservable,
    unitCount: jobs.reduce((n, j) => n + j.units.length, 0),
    symbols: [...input.symbols],
  };
}

/**
 * Moves units of a provider's whole-market data types out of the per-symbol map into one job
 * per trading day, when that takes fewer provider calls (e.g. daily bars of ALL for a month:
 * 22 calls instead of one per symbol).
 */
function planMarketJobs(
  byProviderSymbol: Map<string, Map<string, PlannedUnit[]>>,
  input: ReferencePlanInput,
): Job[] {
  const jobs: Job[] = [];
  for (const provider of new Set([...byProviderSymbol.keys()].map((k) => k.split('|')[0] as string))) {
    const caps = input.capabilities[provider];
    for (const dataType of caps?.marketDayDataTypes ?? []) {
      const maxDays = caps?.maxDaysPerFetch[dataType] ?? 1;
      const byDate = new Map<string, PlannedUnit[]>();
      let perSymbolCalls = 0;
      for (const [psKey, byDay] of byProviderSymbol) {
        if (!psKey.startsWith(`${provider}|`)) continue;
        let days = 0;
        for (const [day, units] of byDay) {
          const u = units.find((x) => x.dataType === dataType);
          if (!u) continue;
          days++;
          byDate.set(day, [...(byDate.get(day) ?? []), u]);
        }
        perSymbolCalls += Math.ceil(days / maxDays);
      }
      if (byDate.size === 0 || byDate.size >= perSymbolCalls) continue;
      for (const [psKey, byDay] of byProviderSymbol) {
        if (!psKey.startsWith(`${provider}|`)) continue;
        for (const [day, units] of byDay) {
          const rest = units.filter((x) => x.dataType !== dataType);
          if (rest.length > 0) byDay.set(day, rest);
          else byDay.delete(day);
        }
      }
      for (const [day, units] of [...byDate].sort(([a], [b]) => b.localeCompare(a))) {
        jobs.push({
          id: `${provider}:*:${day}:${dataType}`,
          provider,
          symbol: '*',
          tradeDates: [day],
          units,
          market: true,
        });
      }
    }
  }
  return jobs;
}
