import { describe, expect, it } from 'vitest';
import type { Tick } from '../domain/rows.js';
import { D, SYMBOL, at, bar, book, goldenTicks, tick, valueAt } from '../../test/support/factor-day.js';
import { computeFactors } from './compute-factors.js';
import { createFactorEngine } from './factor-engine.js';

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
