import type { Bar, BookSnapshot, FactorValue, Tick } from '../domain/rows.js';
import type { Ticker } from '../domain/ticker.js';
import { createFactorEngine } from './factor-engine.js';
import type { FactorSession } from './session-clock.js';

/** One symbol-day of input rows for {@link computeFactors}. */
export interface FactorInput {
  symbol: Ticker;
  /** Exchange-local trade date `YYYY-MM-DD`. */
  tradeDate: string;
  /** Copied into every value's `source`. */
  source: string;
  ticks?: readonly Tick[];
  books?: readonly BookSnapshot[];
  /** END-labelled 1-minute bars; used only when `ticks` is absent or empty. */
  bars1m?: readonly Bar[];
  /** Previous session's close; enables `ret_1d` and `amihud_1d`. */
  prevClose?: number;
  /** Daily limit prices; either enables `limit_hit`. */
  limitUp?: number;
  limitDown?: number;
  /** Session clock; default `a_share` for A-share tickers, else `plain` (see `session-clock.ts`). */
  session?: FactorSession;
}

function sortedByTs<T extends { ts: number }>(
  rows: readonly T[],
  tieBreak?: (a: T, b: T) => number,
): readonly T[] {
  for (let i = 1; i < rows.length; i += 1) {
    if ((rows[i] as T).ts < (rows[i - 1] as T).ts) {
      return [...rows].sort((a, b) => a.ts - b.ts || (tieBreak?.(a, b) ?? 0));
    }
  }
  return rows;
}

/**
 * Computes every factor its inputs allow for one symbol-day: ticks + books give the full set,
 * 1-minute bars alone the bar-derivable subset (no `trade_count_1m`, `trade_imbalance_1m`), books
 * add the spread, depth and OFI factors. Rows are sorted by `ts` (ticks by `seq` on ties) when
 * they are not already. Output is sorted by (ts, factor).
 */
export function computeFactors(input: FactorInput): FactorValue[] {
  const engine = createFactorEngine({
    symbol: input.symbol,
    tradeDate: input.tradeDate,
    source: input.source,
    prevClose: input.prevClose,
    limitUp: input.limitUp,
    limitDown: input.limitDown,
    session: input.session,
  });
  const ticks = input.ticks ?? [];
  if (ticks.length > 0) {
    for (const tick of sortedByTs(ticks, (a, b) => a.seq - b.seq)) engine.onTick(tick);
  } else {
    for (const bar of sortedByTs(input.bars1m ?? [])) engine.onBar(bar);
  }
  for (const book of sortedByTs(input.books ?? [])) engine.onBook(book);
  return engine.finish();
}
