import type { Bar, BookSnapshot, FactorValue, Tick } from '../domain/rows.js';
import type { Ticker } from '../domain/ticker.js';
import { IngestError } from '../errors.js';
import { createBookAggregator } from './book-aggregator.js';
import type { FactorName } from './factor-definitions.js';
import { isAShare } from '../domain/ticker.js';
import { sessionClockOf, type FactorSession } from './session-clock.js';
import { createTradeAggregator } from './trade-aggregator.js';

/** What a factor engine is computing for: one symbol-day from one source. */
export interface FactorEngineParams {
  symbol: Ticker;
  /** Exchange-local trade date `YYYY-MM-DD`; daily factors are stamped 15:00 Shanghai of it. */
  tradeDate: string;
  /** Copied into every {@link FactorValue}'s `source`. */
  source: string;
  /** Previous session's close; enables `ret_1d` and `amihud_1d`. */
  prevClose?: number;
  /** Daily up-limit price; enables `limit_hit` (with or without `limitDown`). */
  limitUp?: number;
  /** Daily down-limit price; enables `limit_hit`. */
  limitDown?: number;
  /** Session clock; default `a_share` for A-share tickers (`.SH`, `.SZ`, `.BJ`), else `plain`. */
  session?: FactorSession;
}

/** Sizes of the engine's internal buffers: all bounded independently of the input length. */
export interface FactorEngineSizes {
  /** One-minute returns held for `realized_vol_30m` (≤ 30). */
  returnWindow: number;
  /** Factor values produced so far (≤ 241 buckets × 1-minute factors + daily factors). */
  values: number;
}

/**
 * A streaming factor calculator for one symbol-day. Feed ticks (or 1-minute bars, not both) and
 * book snapshots, each stream in time order, then call `finish()` once. State is O(1) in the
 * number of inputs; the output is bounded by the 241-bucket grid.
 */
export interface FactorEngine {
  /** Adds a trade (non-decreasing `ts`); throws `DATA_INVALID` when out of order. */
  onTick(tick: Tick): void;
  /** Adds a book snapshot (non-decreasing `ts`); throws `DATA_INVALID` when out of order. */
  onBook(book: BookSnapshot): void;
  /** Adds an END-labelled 1-minute bar (increasing `ts`); throws `INTERNAL` after any tick. */
  onBar(bar: Bar): void;
  /** Closes every open bucket, emits the daily factors and returns all values sorted by (ts, factor). */
  finish(): FactorValue[];
  /** Current buffer sizes (diagnostics; the streaming-memory test asserts they stay bounded). */
  sizes(): FactorEngineSizes;
}

/** Orders factor values by `ts`, then factor name (code-unit order, locale-independent). */
export function compareFactorValues(a: FactorValue, b: FactorValue): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.factor < b.factor ? -1 : a.factor > b.factor ? 1 : 0;
}

/** Creates a streaming factor engine for one symbol-day. */
export function createFactorEngine(params: FactorEngineParams): FactorEngine {
  const values: FactorValue[] = [];
  let finished = false;
  const emit = (ts: number, factor: FactorName, value: number): void => {
    if (!Number.isFinite(value)) return;
    values.push({
      symbol: params.symbol,
      ts,
      factor,
      value,
      source: params.source,
      tradeDate: params.tradeDate,
    });
  };
  const clock = sessionClockOf(params.session ?? (isAShare(params.symbol) ? 'a_share' : 'plain'));
  const trades = createTradeAggregator(
    {
      clock,
      tradeDate: params.tradeDate,
      prevClose: params.prevClose,
      limitUp: params.limitUp,
      limitDown: params.limitDown,
    },
    emit,
  );
  const books = createBookAggregator(clock, emit);

  function ensureOpen(): void {
    if (finished) {
      throw new IngestError(
        'INTERNAL',
        `Factor engine for ${params.symbol} ${params.tradeDate} used after finish()`,
      );
    }
  }

  return {
    onTick(tick) {
      ensureOpen();
      trades.onTick(tick);
    },
    onBook(book) {
      ensureOpen();
      books.onBook(book);
    },
    onBar(bar) {
      ensureOpen();
      trades.onBar(bar);
    },
    finish() {
      ensureOpen();
      finished = true;
      trades.finish();
      books.finish();
      return values.sort(compareFactorValues);
    },
    sizes() {
      return { returnWindow: trades.sizes().returnWindow, values: values.length };
    },
  };
}
