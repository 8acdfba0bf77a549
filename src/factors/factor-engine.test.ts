import { describe, expect, it } from 'vitest';
import { shanghaiTime } from '../domain/dates.js';
import type { BookSnapshot, Tick } from '../domain/rows.js';
import { createFactorEngine } from './factor-engine.js';

const D = '2026-01-05';
const SYMBOL = '600519.SH';
const OPEN_TS = shanghaiTime(D, '09:30:00');
const LUNCH_TS = shanghaiTime(D, '11:30:00');
const AFTERNOON_TS = shanghaiTime(D, '13:00:00');
const CLOSE_TS = shanghaiTime(D, '15:00:00');
const SESSION_MS = LUNCH_TS - OPEN_TS + (CLOSE_TS - AFTERNOON_TS);

/** Streams `n` synthetic ticks (one reused object) and a snapshot every 3 s through one engine. */
function runDay(n: number): { values: number; returnWindow: number; maxValuesBeforeFinish: number } {
  const engine = createFactorEngine({
    symbol: SYMBOL,
    tradeDate: D,
    source: 'sim',
    prevClose: 100,
    limitUp: 110,
    limitDown: 90,
  });
  const tick: Tick = {
    symbol: SYMBOL,
    ts: 0,
    seq: 0,
    price: 100,
    volume: 100,
    amount: 10_000,
    side: 'N',
    source: 'sim',
    tradeDate: D,
  };
  const book: BookSnapshot = {
    symbol: SYMBOL,
    ts: 0,
    bidPrices: [99.99],
    bidVolumes: [100],
    askPrices: [100.01],
    askVolumes: [100],
    source: 'sim',
    tradeDate: D,
  };
  let nextBookOffsetMs = 0;
  let maxReturnWindow = 0;
  for (let i = 0; i < n; i += 1) {
    const offsetMs = Math.floor((i * SESSION_MS) / n);
    const ts =
      offsetMs < LUNCH_TS - OPEN_TS ? OPEN_TS + offsetMs : AFTERNOON_TS + offsetMs - (LUNCH_TS - OPEN_TS);
    while (nextBookOffsetMs <= offsetMs) {
      const bookOffset = nextBookOffsetMs;
      book.ts =
        bookOffset < LUNCH_TS - OPEN_TS
          ? OPEN_TS + bookOffset
          : AFTERNOON_TS + bookOffset - (LUNCH_TS - OPEN_TS);
      book.bidVolumes[0] = 100 + (nextBookOffsetMs % 7);
      engine.onBook(book);
      nextBookOffsetMs += 3000;
    }
    tick.ts = ts;
    tick.seq = i + 1;
    tick.price = 100 + (i % 13) / 100;
    tick.amount = tick.price * tick.volume;
    engine.onTick(tick);
    if ((i & 0xffff) === 0) maxReturnWindow = Math.max(maxReturnWindow, engine.sizes().returnWindow);
  }
  const maxValuesBeforeFinish = engine.sizes().values;
  const values = engine.finish().length;
  return {
    values,
    returnWindow: Math.max(maxReturnWindow, engine.sizes().returnWindow),
    maxValuesBeforeFinish,
  };
}

describe('createFactorEngine streaming', () => {
  it('keeps state and output bounded by the minute grid, not by the tick count', () => {
    const small = runDay(10_000);
    const startMs = performance.now();
    const large = runDay(1_000_000);
    const elapsedMs = performance.now() - startMs;
    expect(large.values).toBe(small.values);
    // 241 buckets × at most 10 one-minute factors + 7 daily factors.
    expect(large.values).toBeLessThanOrEqual(241 * 10 + 7);
    expect(large.returnWindow).toBe(30);
    expect(large.maxValuesBeforeFinish).toBeLessThanOrEqual(241 * 10);
    expect(elapsedMs).toBeLessThan(10_000);
  });
});
