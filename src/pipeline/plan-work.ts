/**
 * The model both the streaming planner (plan-stream.ts) and the arithmetic estimate
 * (plan-estimate.ts) read, so the estimate counts exactly the jobs the stream yields:
 * - a plan *shape*, the same for every symbol: which (provider, concrete data type) stream each
 *   requested type starts at, which streams share a job (same provider and days per call), and
 *   which requested types no provider serves;
 * - a symbol's *work*: its calendar, its listed span, and per stream the done bits of the ledger
 *   index, from which "to do", "skipped" and "not listed" follow per day without one object per unit.
 */
import type { ConcreteDataType, RequestedDataType } from '../domain/data-type.js';
import { listedSpan, type ListingLife } from '../domain/listing-life.js';
import type { Ticker } from '../domain/ticker.js';
import type { ProviderCapabilities } from '../providers/provider.js';
import { hasBit, type DayBits, type LedgerIndex } from './ledger-index.js';
import { concreteTypesFor, fallbackTypeFor, type Routing } from './routing.js';

/** What to plan: the inputs of the streaming planner and of the estimate. */
export interface PlanSpec {
  symbols: readonly Ticker[];
  /** Trading days per symbol (exchange-local), ascending. Symbols of one market should share one array. */
  tradingDays: (symbol: Ticker) => readonly string[];
  requested: readonly RequestedDataType[];
  routing: Routing;
  capabilities: Readonly<Record<string, ProviderCapabilities>>;
  /** Skip units the ledger has `ok`/`empty` (default true); without it they are rewritten. */
  resume: boolean;
  /** Symbols to schedule first, in this order. */
  priority?: readonly Ticker[];
  /** Restrict the plan to these unit keys (retry-failed). */
  onlyUnits?: ReadonlySet<string>;
  /** Listing life per symbol: units outside it are recorded empty without a call. */
  listing?: (symbol: Ticker) => ListingLife | undefined;
}

/** One (requested type → provider, concrete type) line of work, the same for every symbol. */
export interface Stream {
  requested: RequestedDataType;
  provider: string;
  /** Index of `provider` in the chain of `requested`. */
  chainIndex: number;
  dataType: ConcreteDataType;
  /** Trading days one fetch carries. */
  span: number;
  /** Where the ledger may record it done: (provider, type) along the chain. */
  doneAt: ReadonlyArray<{ provider: string; dataType: ConcreteDataType }>;
}

/** Requested types no provider of their chain serves. */
export interface UnservableType {
  requested: RequestedDataType;
  provider: string;
  dataType: ConcreteDataType;
  reason: string;
}

/** The per-symbol-independent part of a plan. */
export interface PlanShape {
  streams: Stream[];
  /** Streams that share per-symbol jobs: same provider and span, in first-seen order. */
  groups: Array<{ provider: string; span: number; streams: number[] }>;
  unservable: UnservableType[];
}

/** Derives the shape of a plan from its routing and the providers' capabilities. */
export function planShape(spec: PlanSpec): PlanShape {
  const streams: Stream[] = [];
  const unservable: UnservableType[] = [];
  const seen = new Set<string>();
  for (const requested of spec.requested) {
    const chain = spec.routing[requested];
    const first = chain.findIndex((p) => {
      const caps = spec.capabilities[p];
      return caps !== undefined && concreteTypesFor(requested, caps).length > 0;
    });
    if (first < 0) {
      unservable.push({
        requested,
        provider: chain[0] ?? 'none',
        dataType: requested === 'tick_data' ? 'ticks' : (requested as ConcreteDataType),
        reason: `no provider in routing.${requested} (${chain.join(', ')}) serves ${requested}`,
      });
      continue;
    }
    const provider = chain[first] as string;
    const caps = spec.capabilities[provider] as ProviderCapabilities;
    for (const dataType of concreteTypesFor(requested, caps)) {
      // tick_data and bars_1m may name the same unit: the first requested type plans it.
      if (seen.has(`${provider}|${dataType}`)) continue;
      seen.add(`${provider}|${dataType}`);
      const doneAt: Array<{ provider: string; dataType: ConcreteDataType }> = [];
      for (const p of chain) {
        const c = spec.capabilities[p];
        const there = p === provider ? dataType : c ? fallbackTypeFor(requested, dataType, c) : undefined;
        if (there) doneAt.push({ provider: p, dataType: there });
      }
      // Factors ride with the trades or bars they are computed from, so one fetch serves both.
      const fetchType = dataType === 'factors' ? caps.tickData : dataType;
      const span = Math.max(1, caps.maxDaysPerFetch[fetchType] ?? 1);
      streams.push({ requested, provider, chainIndex: first, dataType, span, doneAt });
    }
  }
  const groups: PlanShape['groups'] = [];
  streams.forEach((s, i) => {
    const g = groups.find((x) => x.provider === s.provider && x.span === s.span);
    if (g) g.streams.push(i);
    else groups.push({ provider: s.provider, span: s.span, streams: [i] });
  });
  return { streams, groups, unservable };
}

/** Symbols in plan order: priority symbols first (in their order), then the input order. */
export function* symbolOrder(spec: PlanSpec): Generator<Ticker> {
  const all = new Set(spec.symbols);
  const seen = new Set<Ticker>();
  for (const s of spec.priority ?? []) {
    if (all.has(s) && !seen.has(s)) {
      seen.add(s);
      yield s;
    }
  }
  for (const s of spec.symbols) {
    if (!seen.has(s)) {
      seen.add(s);
      yield s;
    }
  }
}

/** One symbol's work: its calendar, listed span and the done bits per stream. */
export interface SymbolWork {
  symbol: Ticker;
  days: readonly string[];
  life: ListingLife | undefined;
  /** Listed days: `[from, to)` of `days`. */
  from: number;
  to: number;
  /** Done bits per stream (OR over its chain), `undefined` when nothing is done. */
  done: Array<DayBits | undefined>;
  /** Every stream's units over the listed span are to do: counts follow by arithmetic. */
  uniform: boolean;
}

/** Reads a symbol's work from the spec and the ledger index. */
export function symbolWork(spec: PlanSpec, shape: PlanShape, index: LedgerIndex, symbol: Ticker): SymbolWork {
  const days = spec.tradingDays(symbol);
  const life = spec.listing?.(symbol);
  const { from, to } = listedSpan(days, life);
  const done = shape.streams.map((s) => {
    let out: DayBits | undefined;
    for (const at of s.doneAt) {
      const bits = index.doneBits(at.provider, at.dataType, symbol);
      if (!bits) continue;
      if (!out) out = bits;
      else {
        if (out === bits) continue;
        const merged = new Uint32Array(out);
        for (let w = 0; w < bits.length; w++) merged[w] = (merged[w] as number) | (bits[w] as number);
        out = merged;
      }
    }
    return out;
  });
  const uniform = spec.onlyUnits === undefined && (!spec.resume || done.every((d) => d === undefined));
  return { symbol, days, life, from, to, done, uniform };
}

/** Key string of a unit (as `unitKeyString`), built only when `onlyUnits` restricts the plan. */
const keyOf = (s: Stream, symbol: Ticker, day: string) => `${s.provider}|${s.dataType}|${symbol}|${day}`;

/** The unit of stream `i` on day `k` belongs to the plan (restricted by `onlyUnits`). */
function inScope(spec: PlanSpec, shape: PlanShape, w: SymbolWork, i: number, k: number): boolean {
  return (
    spec.onlyUnits === undefined ||
    spec.onlyUnits.has(keyOf(shape.streams[i] as Stream, w.symbol, w.days[k] as string))
  );
}

/** The ledger has the unit of stream `i` on day `k` done. */
export function isDoneAt(w: SymbolWork, i: number, k: number): boolean {
  const d = w.done[i];
  return d !== undefined && hasBit(d, k);
}

/** The unit of stream `i` on day `k` is to be done (fetched, or recorded not listed). */
export function isTodo(spec: PlanSpec, shape: PlanShape, w: SymbolWork, i: number, k: number): boolean {
  if (w.uniform) return true;
  return inScope(spec, shape, w, i, k) && !(spec.resume && isDoneAt(w, i, k));
}

/** The unit of stream `i` on day `k` is skipped as done. */
export function isSkipped(spec: PlanSpec, shape: PlanShape, w: SymbolWork, i: number, k: number): boolean {
  return spec.resume && isDoneAt(w, i, k) && inScope(spec, shape, w, i, k);
}

/** A per-symbol job's days `[start, end)` and the streams with units in it. */
export interface Chunk {
  start: number;
  end: number;
  streams: number[];
}

/**
 * The jobs of one group for a symbol: runs of consecutive listed days with any unit to do,
 * cut into chunks of at most the group's span (never across a day with nothing to do).
 */
export function* groupChunks(
  spec: PlanSpec,
  shape: PlanShape,
  w: SymbolWork,
  group: { span: number; streams: readonly number[] },
): Generator<Chunk> {
  const any = (k: number) => group.streams.some((i) => isTodo(spec, shape, w, i, k));
  let k = w.from;
  while (k < w.to) {
    if (!any(k)) {
      k++;
      continue;
    }
    const start = k;
    while (k < w.to && k - start < group.span && any(k)) k++;
    const streams = w.uniform
      ? [...group.streams]
      : group.streams.filter((i) => {
          for (let d = start; d < k; d++) if (isTodo(spec, shape, w, i, d)) return true;
          return false;
        });
    yield { start, end: k, streams };
  }
}
