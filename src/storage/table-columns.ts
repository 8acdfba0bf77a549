/**
 * The one mapping from domain rows to the columns of the tables of docs/STORAGE.md, shared by every store.
 * Stores differ only in how a time is encoded (ISO text, DateTime64 text, epoch ms), which they
 * pass as `time`.
 */
import type { AdjFactor, Bar, BookSnapshot, FactorValue, Tick } from '../domain/rows.js';

/** A row as column name → value. */
export type ColumnRow = Record<string, unknown>;
/** Encodes a UTC epoch-ms instant for a store. */
export type TimeEncoder = (epochMs: number) => unknown;

/** `ticks` columns of a trade. */
export function tickColumns(t: Tick, time: TimeEncoder): ColumnRow {
  return {
    symbol: t.symbol,
    ts: time(t.ts),
    seq: t.seq,
    price: t.price,
    volume: t.volume,
    amount: t.amount,
    side: t.side,
    source: t.source,
    trade_date: t.tradeDate,
  };
}

/** `bars` columns of a bar. */
export function barColumns(b: Bar, time: TimeEncoder): ColumnRow {
  return {
    symbol: b.symbol,
    interval: b.interval,
    ts: time(b.ts),
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
    amount: b.amount,
    source: b.source,
    trade_date: b.tradeDate,
  };
}

/** `order_book` columns of a snapshot (arrays copied). */
export function bookColumns(b: BookSnapshot, time: TimeEncoder): ColumnRow {
  return {
    symbol: b.symbol,
    ts: time(b.ts),
    bid_prices: [...b.bidPrices],
    bid_volumes: [...b.bidVolumes],
    ask_prices: [...b.askPrices],
    ask_volumes: [...b.askVolumes],
    source: b.source,
    trade_date: b.tradeDate,
  };
}

/** `factors` columns of a factor value. */
export function factorColumns(f: FactorValue, time: TimeEncoder): ColumnRow {
  return {
    symbol: f.symbol,
    ts: time(f.ts),
    factor: f.factor,
    value: f.value,
    source: f.source,
    trade_date: f.tradeDate,
  };
}

/** `adj_factors` columns of an adjustment factor. */
export function adjFactorColumns(a: AdjFactor): ColumnRow {
  return { symbol: a.symbol, trade_date: a.tradeDate, adj_factor: a.adjFactor, source: a.source };
}
