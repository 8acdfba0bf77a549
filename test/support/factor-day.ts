/**
 * A hand-built A-share day for the factor tests (src/factors/*.test.ts): ticks, books and 1-minute
 * bars at Shanghai times of 2026-01-05, and lookups into computed factor series.
 */
import { expect } from 'vitest';
import { shanghaiTime } from '../../src/domain/dates.js';
import type { Bar, BookSnapshot, FactorValue, Side, Tick } from '../../src/domain/rows.js';

export const D = '2026-01-05';
export const SYMBOL = '600000.SH';
export const at = (hms: string): number => shanghaiTime(D, hms);
export const DAILY_TS = at('15:00:00');

let seq = 0;
export function tick(hms: string, price: number, volume: number, side: Side = 'N'): Tick {
  seq += 1;
  return {
    symbol: SYMBOL,
    ts: at(hms),
    seq,
    price,
    volume,
    amount: price * volume,
    side,
    source: 'sim',
    tradeDate: D,
  };
}

export function book(hms: string, bids: [number, number][], asks: [number, number][]): BookSnapshot {
  return {
    symbol: SYMBOL,
    ts: at(hms),
    bidPrices: bids.map((l) => l[0]),
    bidVolumes: bids.map((l) => l[1]),
    askPrices: asks.map((l) => l[0]),
    askVolumes: asks.map((l) => l[1]),
    source: 'sim',
    tradeDate: D,
  };
}

export function bar(
  hm: string,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  amount: number,
): Bar {
  return {
    symbol: SYMBOL,
    interval: '1m',
    ts: at(`${hm}:00`),
    open,
    high,
    low,
    close,
    volume,
    amount,
    source: 'sim',
    tradeDate: D,
  };
}

/** Value of `factor` at Shanghai time `hms` (`undefined` when absent). */
export function valueAt(values: readonly FactorValue[], factor: string, hms: string): number | undefined {
  const ts = at(hms);
  const hits = values.filter((v) => v.factor === factor && v.ts === ts);
  expect(hits.length).toBeLessThanOrEqual(1);
  return hits[0]?.value;
}

export function seriesOf(values: readonly FactorValue[], factor: string): FactorValue[] {
  return values.filter((v) => v.factor === factor);
}

// A hand-built day: opening auction, an empty minute, the lunch break and a closing-auction print.
export function goldenTicks(): Tick[] {
  return [
    tick('09:25:00', 10.0, 1000),
    tick('09:30:10', 10.02, 200),
    tick('09:30:40', 10.01, 300, 'S'),
    tick('09:30:50', 10.01, 100),
    tick('09:32:05', 10.05, 400, 'B'),
    tick('11:29:30', 10.1, 100),
    tick('13:00:30', 10.2, 100),
    tick('13:01:10', 10.15, 100),
    tick('15:00:00', 10.3, 2000),
  ];
}
