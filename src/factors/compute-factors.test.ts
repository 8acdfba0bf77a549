import { describe, expect, it } from 'vitest';
import { shanghaiTime } from '../domain/dates.js';
import type { Bar, BookSnapshot, FactorValue, Side, Tick } from '../domain/rows.js';
import { computeFactors } from './compute-factors.js';
import { createFactorEngine } from './factor-engine.js';

const D = '2026-01-05';
const SYMBOL = '600000.SH';
const at = (hms: string): number => shanghaiTime(D, hms);
const DAILY_TS = at('15:00:00');

let seq = 0;
function tick(hms: string, price: number, volume: number, side: Side = 'N'): Tick {
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

function book(hms: string, bids: [number, number][], asks: [number, number][]): BookSnapshot {
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

function bar(
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
function valueAt(values: readonly FactorValue[], factor: string, hms: string): number | undefined {
  const ts = at(hms);
  const hits = values.filter((v) => v.factor === factor && v.ts === ts);
  expect(hits.length).toBeLessThanOrEqual(1);
  return hits[0]?.value;
}

function seriesOf(values: readonly FactorValue[], factor: string): FactorValue[] {
  return values.filter((v) => v.factor === factor);
}

// A hand-built day: opening auction, an empty minute, the lunch break and a closing-auction print.
function goldenTicks(): Tick[] {
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

describe('computeFactors on ticks (golden day)', () => {
  const values = computeFactors({
    symbol: SYMBOL,
    tradeDate: D,
    source: 'sim',
    ticks: goldenTicks(),
    prevClose: 9.9,
    limitUp: 10.89,
    limitDown: 8.91,
  });

  it('emits volume_1m and trade_count_1m for all 241 buckets, 0 for empty minutes', () => {
    expect(seriesOf(values, 'volume_1m')).toHaveLength(241);
    expect(seriesOf(values, 'trade_count_1m')).toHaveLength(241);
    expect(valueAt(values, 'volume_1m', '09:30:00')).toBe(1000);
    expect(valueAt(values, 'volume_1m', '09:31:00')).toBe(600);
    expect(valueAt(values, 'trade_count_1m', '09:31:00')).toBe(3);
    expect(valueAt(values, 'volume_1m', '09:32:00')).toBe(0);
    expect(valueAt(values, 'trade_count_1m', '09:32:00')).toBe(0);
    expect(valueAt(values, 'volume_1m', '14:59:00')).toBe(0);
    expect(valueAt(values, 'volume_1m', '15:00:00')).toBe(2000);
    expect(valueAt(values, 'volume_1m', '12:00:00')).toBeUndefined();
  });

  it('computes vwap_1m from price × volume and omits it for empty minutes', () => {
    expect(valueAt(values, 'vwap_1m', '09:30:00')).toBe(10);
    expect(valueAt(values, 'vwap_1m', '09:31:00')).toBe((10.02 * 200 + 10.01 * 300 + 10.01 * 100) / 600);
    expect(valueAt(values, 'vwap_1m', '09:32:00')).toBeUndefined();
    expect(seriesOf(values, 'vwap_1m')).toHaveLength(7);
  });

  it('computes ret_1m from the previous traded price, never across lunch or for the first print', () => {
    expect(valueAt(values, 'ret_1m', '09:30:00')).toBeUndefined();
    expect(valueAt(values, 'ret_1m', '09:31:00')).toBe(Math.log(10.01 / 10.0));
    expect(valueAt(values, 'ret_1m', '09:32:00')).toBeUndefined();
    expect(valueAt(values, 'ret_1m', '09:33:00')).toBe(Math.log(10.05 / 10.01));
    expect(valueAt(values, 'ret_1m', '11:30:00')).toBe(Math.log(10.1 / 10.05));
    expect(valueAt(values, 'ret_1m', '13:01:00')).toBeUndefined();
    expect(valueAt(values, 'ret_1m', '13:02:00')).toBe(Math.log(10.15 / 10.2));
    expect(valueAt(values, 'ret_1m', '15:00:00')).toBe(Math.log(10.3 / 10.15));
    expect(seriesOf(values, 'ret_1m')).toHaveLength(5);
  });

  it('classifies trade sides with the tick rule where the side is N', () => {
    // Auction print N: unclassified. 09:31: up-tick buy 200, explicit sell 300, zero-tick after a down-move sell 100.
    expect(valueAt(values, 'trade_imbalance_1m', '09:30:00')).toBe(0);
    expect(valueAt(values, 'trade_imbalance_1m', '09:31:00')).toBe((200 - 400) / 600);
    expect(valueAt(values, 'trade_imbalance_1m', '09:33:00')).toBe(1);
    expect(valueAt(values, 'trade_imbalance_1m', '13:01:00')).toBe(1);
    expect(valueAt(values, 'trade_imbalance_1m', '13:02:00')).toBe(-1);
    expect(valueAt(values, 'trade_imbalance_1m', '15:00:00')).toBe(0);
    expect(valueAt(values, 'trade_imbalance_1m', '09:32:00')).toBeUndefined();
  });

  it('computes the daily factors at 15:00 Shanghai', () => {
    const day = values.filter((v) => v.ts === DAILY_TS && !v.factor.endsWith('_1m'));
    const r = [
      Math.log(10.01 / 10.0),
      Math.log(10.05 / 10.01),
      Math.log(10.1 / 10.05),
      Math.log(10.15 / 10.2),
      Math.log(10.3 / 10.15),
    ];
    const ticks = goldenTicks();
    let amount = 0;
    let pv = 0;
    for (const t of ticks) {
      amount += t.amount;
      pv += t.price * t.volume;
    }
    const ret1d = Math.log(10.3 / 9.9);
    expect(Object.fromEntries(day.map((v) => [v.factor, v.value]))).toEqual({
      ret_1d: ret1d,
      amihud_1d: Math.abs(ret1d) / (amount / 1e8),
      realized_vol_1d: Math.sqrt(r.reduce((s, x) => s + x * x, 0)),
      vwap_1d: pv / 4300,
      intraday_momentum_30m: Math.log(10.05 / 10.0),
      auction_volume_share: 3000 / 4300,
      limit_hit: 0,
    });
  });

  it('stamps every value with symbol, source and trade date and sorts by (ts, factor)', () => {
    for (const v of values) expect([v.symbol, v.source, v.tradeDate]).toEqual([SYMBOL, 'sim', D]);
    const keys = values.map((v) => `${String(v.ts).padStart(15, '0')} ${v.factor}`);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('daily edge cases', () => {
  const base = { symbol: SYMBOL, tradeDate: D, source: 'sim' };
  const daily = (values: FactorValue[], name: string): number | undefined =>
    values.find((v) => v.factor === name && v.ts === DAILY_TS)?.value;

  it('flags limit_hit when a trade touches either limit, and omits it without limits', () => {
    expect(daily(computeFactors({ ...base, ticks: goldenTicks(), limitUp: 10.3 }), 'limit_hit')).toBe(1);
    expect(daily(computeFactors({ ...base, ticks: goldenTicks(), limitDown: 10.0 }), 'limit_hit')).toBe(1);
    expect(daily(computeFactors({ ...base, ticks: goldenTicks(), limitDown: 9.99 }), 'limit_hit')).toBe(0);
    expect(
      daily(computeFactors({ ...base, ticks: goldenTicks(), prevClose: 9.9 }), 'limit_hit'),
    ).toBeUndefined();
  });

  it('omits ret_1d and amihud_1d without prevClose', () => {
    const values = computeFactors({ ...base, ticks: goldenTicks() });
    expect(daily(values, 'ret_1d')).toBeUndefined();
    expect(daily(values, 'amihud_1d')).toBeUndefined();
    expect(daily(values, 'vwap_1d')).toBeDefined();
  });

  it('uses the first continuous trade as the open without an auction print', () => {
    const ticks = goldenTicks().slice(1);
    const values = computeFactors({ ...base, ticks });
    expect(daily(values, 'intraday_momentum_30m')).toBe(Math.log(10.05 / 10.02));
    expect(daily(values, 'auction_volume_share')).toBe(2000 / 3300);
  });

  it('omits momentum when nothing traded before 10:00 and realized vol without returns', () => {
    const values = computeFactors({ ...base, ticks: [tick('10:30:00', 10, 100)] });
    expect(daily(values, 'intraday_momentum_30m')).toBeUndefined();
    expect(daily(values, 'realized_vol_1d')).toBeUndefined();
    expect(daily(values, 'vwap_1d')).toBe(10);
  });

  it('treats zero-volume prints and out-of-session prints as no trades', () => {
    const values = computeFactors({
      ...base,
      ticks: [
        tick('09:31:10', 10, 0),
        tick('09:31:20', 10.5, 100),
        tick('09:32:10', 11, 0),
        tick('15:05:00', 12, 100),
      ],
    });
    expect(valueAt(values, 'trade_count_1m', '09:32:00')).toBe(1);
    expect(valueAt(values, 'volume_1m', '09:33:00')).toBe(0);
    expect(valueAt(values, 'trade_count_1m', '09:33:00')).toBe(0);
    expect(valueAt(values, 'vwap_1m', '09:33:00')).toBeUndefined();
    expect(daily(values, 'vwap_1d')).toBe(10.5);
    expect(seriesOf(values, 'volume_1m').reduce((s, v) => s + v.value, 0)).toBe(100);
  });

  it('returns nothing for an empty input', () => {
    expect(computeFactors({ ...base, ticks: [], books: [], bars1m: [] })).toEqual([]);
  });
});

describe('realized_vol_30m', () => {
  it('warms up on 30 returns, then uses the trailing 30', () => {
    const prices = Array.from({ length: 33 }, (_, k) => [10.0, 10.03, 9.98, 10.01, 10.07][k % 5] as number);
    const ticks = prices.map((p, k) => {
      const minute = 31 + k; // 09:31 + k in minutes after 09:00, all before 11:30
      const h = 9 + Math.floor(minute / 60);
      const m = minute % 60;
      return tick(`${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:30`, p, 100);
    });
    const values = computeFactors({ symbol: SYMBOL, tradeDate: D, source: 'sim', ticks });
    const rets = prices.slice(1).map((p, k) => Math.log(p / (prices[k] as number)));
    const vol = seriesOf(values, 'realized_vol_30m');
    expect(vol).toHaveLength(3);
    const expected = [0, 1, 2].map((start) =>
      Math.sqrt(rets.slice(start, start + 30).reduce((s, x) => s + x * x, 0)),
    );
    expect(vol.map((v) => v.value)).toEqual(expected);
    // The first value sits on the minute of the 30th return: ticks[30] traded 10:01:30, bucket 10:02.
    expect(vol[0]?.ts).toBe(at('10:02:00'));
  });
});

describe('computeFactors on 1-minute bars only', () => {
  const bars = [
    bar('09:30', 10.0, 10.0, 10.0, 10.0, 1000, 10000),
    bar('09:31', 10.0, 10.05, 9.99, 10.02, 500, 5010),
    bar('09:32', 10.02, 10.02, 10.02, 10.02, 0, 0),
    bar('09:33', 10.03, 10.06, 10.03, 10.04, 300, 3012),
    bar('11:30', 10.1, 10.1, 10.1, 10.1, 100, 1010),
    bar('13:01', 10.2, 10.2, 10.2, 10.2, 100, 1020),
    bar('15:00', 10.3, 10.3, 10.3, 10.3, 2000, 20600),
  ];
  const values = computeFactors({
    symbol: SYMBOL,
    tradeDate: D,
    source: 'tushare',
    bars1m: bars,
    prevClose: 9.9,
  });

  it('derives the minute factors from the bars', () => {
    expect(seriesOf(values, 'volume_1m').map((v) => v.value)).toEqual([1000, 500, 0, 300, 100, 100, 2000]);
    expect(valueAt(values, 'vwap_1m', '09:31:00')).toBe(5010 / 500);
    expect(valueAt(values, 'vwap_1m', '09:32:00')).toBeUndefined();
    expect(valueAt(values, 'ret_1m', '09:30:00')).toBeUndefined();
    expect(valueAt(values, 'ret_1m', '09:31:00')).toBe(Math.log(10.02 / 10.0));
    expect(valueAt(values, 'ret_1m', '09:32:00')).toBeUndefined();
    expect(valueAt(values, 'ret_1m', '09:33:00')).toBe(Math.log(10.04 / 10.02));
    expect(valueAt(values, 'ret_1m', '13:01:00')).toBeUndefined();
    expect(valueAt(values, 'ret_1m', '15:00:00')).toBe(Math.log(10.3 / 10.2));
    expect(seriesOf(values, 'trade_count_1m')).toEqual([]);
    expect(seriesOf(values, 'trade_imbalance_1m')).toEqual([]);
  });

  it('clamps a bar vwap that rounding puts outside [low, high]', () => {
    const v = computeFactors({
      symbol: SYMBOL,
      tradeDate: D,
      source: 'tushare',
      bars1m: [bar('09:31', 10, 10.01, 10, 10.01, 100, 1001.5)],
    });
    expect(valueAt(v, 'vwap_1m', '09:31:00')).toBe(10.01);
  });

  it('derives the daily factors from the bars', () => {
    const day = Object.fromEntries(
      values.filter((v) => v.ts === DAILY_TS && !v.factor.endsWith('_1m')).map((v) => [v.factor, v.value]),
    );
    const r = [
      Math.log(10.02 / 10.0),
      Math.log(10.04 / 10.02),
      Math.log(10.1 / 10.04),
      Math.log(10.3 / 10.2),
    ];
    const amount = 10000 + 5010 + 3012 + 1010 + 1020 + 20600;
    const ret1d = Math.log(10.3 / 9.9);
    expect(day).toEqual({
      ret_1d: ret1d,
      amihud_1d: Math.abs(ret1d) / (amount / 1e8),
      realized_vol_1d: Math.sqrt(r.reduce((s, x) => s + x * x, 0)),
      vwap_1d: amount / 4000,
      intraday_momentum_30m: Math.log(10.04 / 10.0),
      auction_volume_share: 3000 / 4000,
    });
  });
});

describe('book factors', () => {
  const l5 = (top: [number, number]): [number, number][] => [
    top,
    [9.99, 100],
    [9.98, 100],
    [9.97, 100],
    [9.96, 100],
    [9.95, 999],
  ];
  const s1 = book('09:30:00', l5([10.0, 500]), [
    [10.02, 300],
    [10.03, 50],
  ]);
  const s2 = book('09:30:20', [[10.0, 600]], [[10.01, 200]]);
  const s3 = book('09:30:50', l5([10.01, 100]), [
    [10.02, 400],
    [10.03, 100],
    [10.04, 100],
  ]);
  const s4 = book('09:31:30', [[11.0, 9000]], []);
  const s5 = book('09:32:10', [[0, 0]], [[0, 0]]);
  const preOpen = book('09:25:00', [[10.5, 1]], [[9.5, 1]]);
  const closing = book('14:57:30', [[10.5, 1]], [[9.5, 1]]);
  const values = computeFactors({
    symbol: SYMBOL,
    tradeDate: D,
    source: 'sim',
    books: [preOpen, s1, s2, s3, s4, s5, closing],
  });
  const spread = (bid: number, ask: number): number => ((ask - bid) / ((ask + bid) / 2)) * 1e4;

  it('time-weights the spread over the minute', () => {
    const expected =
      (spread(10.0, 10.02) * 20_000 + spread(10.0, 10.01) * 30_000 + spread(10.01, 10.02) * 10_000) / 60_000;
    expect(valueAt(values, 'spread_bps', '09:31:00')).toBe(expected);
  });

  it('takes depth imbalances from the last snapshot of the minute', () => {
    expect(valueAt(values, 'depth_imbalance_l1', '09:31:00')).toBe((100 - 400) / 500);
    expect(valueAt(values, 'depth_imbalance_l5', '09:31:00')).toBe((500 - 600) / 1100);
  });

  it('sums the Cont-Kukanov-Stoikov OFI over consecutive snapshots', () => {
    // s1→s2: +600 −500 −200 = −100; s2→s3: +100 +200 = 300.
    expect(valueAt(values, 'ofi_1m', '09:31:00')).toBe(200);
    // s3→s4 (ask side emptied at the limit): +9000 + 400.
    expect(valueAt(values, 'ofi_1m', '09:32:00')).toBe(9400);
    // s4→s5 (bid side emptied as well): −9000.
    expect(valueAt(values, 'ofi_1m', '09:33:00')).toBe(-9000);
  });

  it('handles a limit-locked book: no spread, imbalance +1; both sides empty: neither', () => {
    expect(valueAt(values, 'spread_bps', '09:32:00')).toBeUndefined();
    expect(valueAt(values, 'depth_imbalance_l1', '09:32:00')).toBe(1);
    expect(valueAt(values, 'depth_imbalance_l5', '09:32:00')).toBe(1);
    expect(valueAt(values, 'spread_bps', '09:33:00')).toBeUndefined();
    expect(valueAt(values, 'depth_imbalance_l1', '09:33:00')).toBeUndefined();
  });

  it('ignores auction-time snapshots and produces no trade factors', () => {
    expect(values.filter((v) => v.ts === at('09:30:00') || v.ts >= at('14:58:00'))).toEqual([]);
    expect(new Set(values.map((v) => v.factor))).toEqual(
      new Set(['spread_bps', 'depth_imbalance_l1', 'depth_imbalance_l5', 'ofi_1m']),
    );
  });

  it('excludes one-sided snapshots from the spread weights and pairs no snapshots across lunch', () => {
    const v = computeFactors({
      symbol: SYMBOL,
      tradeDate: D,
      source: 'sim',
      books: [
        book('11:29:00', [[10, 100]], [[10.02, 100]]),
        book('11:29:30', [[10.02, 100]], []),
        book('13:00:10', [[10, 100]], [[10.01, 100]]),
      ],
    });
    expect(valueAt(v, 'spread_bps', '11:30:00')).toBe(spread(10, 10.02));
    expect(valueAt(v, 'ofi_1m', '11:30:00')).toBe(100 + 100);
    expect(valueAt(v, 'ofi_1m', '13:01:00')).toBeUndefined();
    expect(valueAt(v, 'spread_bps', '13:01:00')).toBe(spread(10, 10.01));
  });
});

describe('input handling', () => {
  it('sorts unsorted input rows before streaming them', () => {
    const ticks = goldenTicks();
    const sorted = computeFactors({ symbol: SYMBOL, tradeDate: D, source: 'sim', ticks });
    const shuffled = computeFactors({
      symbol: SYMBOL,
      tradeDate: D,
      source: 'sim',
      ticks: [...ticks].reverse(),
    });
    expect(shuffled).toEqual(sorted);
  });

  it('prefers ticks over bars when both are given', () => {
    const values = computeFactors({
      symbol: SYMBOL,
      tradeDate: D,
      source: 'sim',
      ticks: goldenTicks(),
      bars1m: [bar('09:31', 1, 1, 1, 1, 1, 1)],
    });
    expect(valueAt(values, 'volume_1m', '09:31:00')).toBe(600);
  });

  it('rejects out-of-order streams, mixed trade sources and use after finish', () => {
    const params = { symbol: SYMBOL, tradeDate: D, source: 'sim' };
    const e1 = createFactorEngine(params);
    e1.onTick(tick('09:31:00', 10, 1));
    expect(() => e1.onTick(tick('09:30:59', 10, 1))).toThrow(
      expect.objectContaining({ code: 'DATA_INVALID' }),
    );
    expect(() => e1.onBar(bar('09:35', 1, 1, 1, 1, 1, 1))).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
    const e2 = createFactorEngine(params);
    e2.onBook(book('09:31:00', [[10, 1]], [[10.01, 1]]));
    expect(() => e2.onBook(book('09:30:00', [[10, 1]], [[10.01, 1]]))).toThrow(
      expect.objectContaining({ code: 'DATA_INVALID' }),
    );
    const e3 = createFactorEngine(params);
    e3.onBar(bar('09:31', 1, 1, 1, 1, 1, 1));
    expect(() => e3.onBar(bar('09:31', 1, 1, 1, 1, 1, 1))).toThrow(
      expect.objectContaining({ code: 'DATA_INVALID' }),
    );
    e3.finish();
    expect(() => e3.finish()).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

describe('plain session for tickers outside the A-share market', () => {
  const utc = (iso: string): number => Date.parse(iso);
  const usTick = (iso: string, price: number, volume: number): Tick => ({
    symbol: 'AAPL',
    ts: utc(iso),
    seq: 0,
    price,
    volume,
    amount: price * volume,
    side: 'N',
    source: 'yahoo',
    tradeDate: '2026-01-05',
  });
  const ticks = [
    usTick('2026-01-05T14:30:05Z', 200, 10),
    usTick('2026-01-05T14:31:10Z', 201, 20),
    usTick('2026-01-05T21:00:00Z', 202, 30),
  ];
  const values = computeFactors({
    symbol: 'AAPL',
    tradeDate: '2026-01-05',
    source: 'yahoo',
    ticks,
    prevClose: 199,
  });
  const at = (iso: string, factor: string): number | undefined =>
    values.find((v) => v.ts === utc(iso) && v.factor === factor)?.value;

  it('buckets by UTC minute without a grid, lunch break or auctions', () => {
    expect(values.filter((v) => v.factor === 'volume_1m').map((v) => [v.ts, v.value])).toEqual([
      [utc('2026-01-05T14:31:00Z'), 10],
      [utc('2026-01-05T14:32:00Z'), 20],
      [utc('2026-01-05T21:01:00Z'), 30],
    ]);
    expect(at('2026-01-05T14:32:00Z', 'ret_1m')).toBe(Math.log(201 / 200));
    expect(at('2026-01-05T21:01:00Z', 'ret_1m')).toBe(Math.log(202 / 201));
    expect(at('2026-01-05T14:32:00Z', 'trade_imbalance_1m')).toBe(1);
  });

  it('stamps daily factors at the last traded bucket and skips the A-share-only ones', () => {
    const daily = values.filter((v) => v.ts === utc('2026-01-05T21:01:00Z') && !v.factor.endsWith('_1m'));
    expect(daily.map((v) => v.factor)).toEqual(['amihud_1d', 'realized_vol_1d', 'ret_1d', 'vwap_1d']);
    expect(
      values.some((v) => v.factor === 'auction_volume_share' || v.factor === 'intraday_momentum_30m'),
    ).toBe(false);
  });

  it('can be forced for any ticker, and the A-share clock for plain ones', () => {
    const forced = computeFactors({
      symbol: SYMBOL,
      tradeDate: D,
      source: 'sim',
      ticks: goldenTicks(),
      session: 'plain',
    });
    expect(forced.filter((v) => v.factor === 'volume_1m')).toHaveLength(7);
    const aShare = computeFactors({
      symbol: 'AAPL',
      tradeDate: D,
      source: 'sim',
      ticks: goldenTicks(),
      session: 'a_share',
    });
    expect(aShare.filter((v) => v.factor === 'volume_1m')).toHaveLength(241);
  });
});
