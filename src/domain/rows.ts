import type { BarInterval } from './data-type.js';
import type { Ticker } from './ticker.js';

/**
 * Row shapes shared by providers, factors and stores. Times are UTC epoch milliseconds;
 * `tradeDate` is the exchange-local date `YYYY-MM-DD`. Prices in the quote currency, volumes in
 * shares, amounts in currency units (docs/STORAGE.md, "Tables").
 */

/** Trade side: buyer-initiated, seller-initiated, or unknown/neutral. */
export type Side = 'B' | 'S' | 'N';

/** One trade (or one auction print). Identity: (symbol, ts, seq). */
export interface Tick {
  symbol: Ticker;
  /** UTC epoch milliseconds. */
  ts: number;
  /** Sequence number within the symbol-day, strictly increasing with time. */
  seq: number;
  price: number;
  /** Shares. */
  volume: number;
  /** Currency units. */
  amount: number;
  side: Side;
  source: string;
  /** Exchange-local date `YYYY-MM-DD`. */
  tradeDate: string;
}

/** One OHLCV bar, labelled by its END time. Identity: (symbol, interval, ts). */
export interface Bar {
  symbol: Ticker;
  interval: BarInterval;
  /** Bar end, UTC epoch milliseconds (daily bars: the session close). */
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Shares. */
  volume: number;
  /** Currency units. */
  amount: number;
  source: string;
  tradeDate: string;
}

/** A depth snapshot, best level first on both sides. Identity: (symbol, ts). */
export interface BookSnapshot {
  symbol: Ticker;
  ts: number;
  bidPrices: number[];
  /** Shares per level. */
  bidVolumes: number[];
  askPrices: number[];
  askVolumes: number[];
  source: string;
  tradeDate: string;
}

/** One factor value (long format). Identity: (symbol, ts, factor). */
export interface FactorValue {
  symbol: Ticker;
  /** End of the window the value describes, UTC epoch milliseconds. */
  ts: number;
  factor: string;
  value: number;
  /** The provider whose data the factor was computed from. */
  source: string;
  tradeDate: string;
}

/** Adjustment factor for a symbol-day (Tushare `adj_factor`). Identity: (symbol, tradeDate). */
export interface AdjFactor {
  symbol: Ticker;
  tradeDate: string;
  adjFactor: number;
  source: string;
}

/** Rows of one kind or several, for one symbol-day (or a batch). */
export interface RowSet {
  ticks?: Tick[];
  bars?: Bar[];
  books?: BookSnapshot[];
  factors?: FactorValue[];
  adjFactors?: AdjFactor[];
  /** Previous session's close, when the provider knows it (for daily returns and limit prices). */
  prevClose?: number;
}

/** Number of rows in a row set. */
export function countRows(rows: RowSet): number {
  return (
    (rows.ticks?.length ?? 0) +
    (rows.bars?.length ?? 0) +
    (rows.books?.length ?? 0) +
    (rows.factors?.length ?? 0) +
    (rows.adjFactors?.length ?? 0)
  );
}
