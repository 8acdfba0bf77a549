/**
 * The live-collection part of a store (`tickpipe collect`), reached as `store.live` on stores that
 * support it (memory, DuckDB). Additive to the unit-based `Store` port: a collector appends rows
 * every few seconds, so it cannot rewrite a unit's whole slice each time.
 *
 * Promises:
 * - `append()` writes `order_book` and `ticks` rows, the `live_quotes` state rows and the
 *   `collect_coverage` rows of a batch in one transaction; a row whose identity is already stored
 *   (order_book/live_quotes: source, symbol, ts; ticks: source, symbol, ts, seq; coverage: source,
 *   symbol, trade_date) is replaced, so appending a batch again (a retry after an outage, a
 *   restart) leaves each logical row once.
 * - `lastState()` returns, per symbol of a source and trade date, the last stored quote state and
 *   its book: the baseline a restarted collector continues from.
 * - `dayRows()` reads one symbol-day's ticks and books back; `coverage()` reads coverage rows.
 * Leaves out: deleting or compacting live rows; a `run` over the same unit replaces the unit's
 * slice as usual.
 */
import type { BookSnapshot, Side, Tick } from '../domain/rows.js';
import type { Ticker } from '../domain/ticker.js';

/**
 * The provider state behind one stored snapshot (table `live_quotes`): its last-trade time, last
 * price and cumulative volume and amount, and the last derived trade (for the tick rule).
 */
export interface LiveQuoteRow {
  source: string;
  symbol: Ticker;
  /** The snapshot's observation time (the poll's answer), UTC epoch ms; same as its order_book row. */
  ts: number;
  tradeDate: string;
  /** The provider's last-trade time, UTC epoch ms, or null. */
  lastTradeTs: number | null;
  price: number;
  /** Shares. */
  cumVolume: number;
  /** Currency units. */
  cumAmount: number;
  /** Price and side of the last trade derived up to this snapshot (null before the first). */
  tradePrice: number | null;
  tradeSide: Side | null;
}

/** One symbol-day's collection coverage (table `collect_coverage`). */
export interface CoverageRow {
  source: string;
  symbol: Ticker;
  tradeDate: string;
  /** First and last poll that observed the symbol, UTC epoch ms. */
  firstTs: number;
  lastTs: number;
  /** Polls that observed the symbol. */
  polls: number;
  /** Snapshots stored (observations that differed from the previous one). */
  snapshots: number;
  /** Stretches inside a session longer than 3 intervals without an observation. */
  gaps: number;
  /** Longest such stretch, ms (0 when none). */
  longestGapMs: number;
  /** Polling interval the gaps were judged against, ms. */
  intervalMs: number;
  updatedAt: number;
}

/** Rows of one collector write. */
export interface LiveBatch {
  books: BookSnapshot[];
  ticks: Tick[];
  quotes: LiveQuoteRow[];
  coverage: CoverageRow[];
}

/** The last stored state of a symbol. */
export interface LiveLastState {
  quote: LiveQuoteRow;
  /** The order_book row stored with it (absent if it was removed since). */
  book: BookSnapshot | undefined;
}

/** The live-collection store part. */
export interface LiveStore {
  append(params: { batch: LiveBatch; signal?: AbortSignal }): Promise<void>;
  lastState(params: {
    source: string;
    tradeDate: string;
    signal?: AbortSignal;
  }): Promise<Map<Ticker, LiveLastState>>;
  /** The stored ticks and books of one symbol-day of a source (for the day's factors). */
  dayRows(params: {
    source: string;
    symbol: Ticker;
    tradeDate: string;
    signal?: AbortSignal;
  }): Promise<{ ticks: Tick[]; books: BookSnapshot[] }>;
  coverage(params: {
    source?: string;
    startDate?: string;
    endDate?: string;
    symbols?: readonly string[];
    signal?: AbortSignal;
  }): Promise<CoverageRow[]>;
}

/** Number of rows of a batch. */
export function liveBatchSize(b: LiveBatch): number {
  return b.books.length + b.ticks.length + b.quotes.length + b.coverage.length;
}
