import { describe, expect, it } from 'vitest';
import type { FactorValue } from '../domain/rows.js';
import {
  D,
  DAILY_TS,
  SYMBOL,
  at,
  bar,
  goldenTicks,
  seriesOf,
  tick,
  valueAt,
} from '../../test/support/factor-day.js';
import { computeFactors } from './compute-factors.js';

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
