import { describe, expect, it } from 'vitest';
import { shanghaiTime } from '../../domain/dates.js';
import type { Tick } from '../../domain/rows.js';
import {
  dailyBarFromTicks,
  MINUTE_BAR_LABELS,
  minuteBarLabelOf,
  minuteBarsFromTicks,
} from './bars-from-ticks.js';

const DATE = '2025-06-05';
const at = (hhmmss: string, ms = 0) => shanghaiTime(DATE, hhmmss) + ms;
const tick = (ts: number, price: number, volume: number, side: Tick['side'] = 'B'): Tick => ({
  symbol: '600000.SH',
  ts,
  seq: 1,
  price,
  volume,
  amount: Math.round(price * volume * 100) / 100,
  side,
  source: 'simulated',
  tradeDate: DATE,
});
const label = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

describe('minute bar labels', () => {
  it('has 241 end labels: 09:30, 09:31–11:30, 13:01–15:00', () => {
    expect(MINUTE_BAR_LABELS).toHaveLength(241);
    expect(MINUTE_BAR_LABELS[0]).toBe(label('09:30'));
    expect(MINUTE_BAR_LABELS[1]).toBe(label('09:31'));
    expect(MINUTE_BAR_LABELS[120]).toBe(label('11:30'));
    expect(MINUTE_BAR_LABELS[121]).toBe(label('13:01'));
    expect(MINUTE_BAR_LABELS[240]).toBe(label('15:00'));
  });

  it.each([
    ['09:25:00', 0, '09:30'],
    ['09:30:00', 0, '09:31'],
    ['09:30:59', 999, '09:31'],
    ['09:31:00', 0, '09:32'],
    ['11:29:59', 999, '11:30'],
    ['11:30:00', 0, '11:30'],
    ['13:00:00', 0, '13:01'],
    ['14:56:59', 999, '14:57'],
    ['14:59:59', 999, '15:00'],
    ['15:00:00', 0, '15:00'],
  ])('puts a trade at %s.%s into the %s bar', (hhmmss, ms, expected) => {
    expect(minuteBarLabelOf(at(hhmmss, ms), DATE)).toBe(label(expected));
  });
});

describe('minuteBarsFromTicks', () => {
  const ticks = [
    tick(at('09:25:00'), 10.0, 5000, 'N'),
    tick(at('09:30:01'), 10.02, 200),
    tick(at('09:30:40'), 9.98, 300, 'S'),
    tick(at('09:30:59', 500), 10.01, 100),
    tick(at('09:32:10'), 10.05, 400),
    tick(at('15:00:00'), 10.1, 7000, 'N'),
  ];
  const bars = minuteBarsFromTicks({
    symbol: '600000.SH',
    tradeDate: DATE,
    ticks,
    prevClose: 9.9,
    source: 'simulated',
  });

  it('aggregates OHLCV and amount per end-labelled minute', () => {
    expect(bars).toHaveLength(241);
    expect(bars[0]).toMatchObject({
      ts: at('09:30:00'),
      open: 10,
      high: 10,
      low: 10,
      close: 10,
      volume: 5000,
      amount: 50000,
    });
    expect(bars[1]).toMatchObject({
      ts: at('09:31:00'),
      interval: '1m',
      open: 10.02,
      high: 10.02,
      low: 9.98,
      close: 10.01,
      volume: 600,
      amount: 2004 + 2994 + 1001,
    });
    expect(bars[3]).toMatchObject({
      ts: at('09:33:00'),
      open: 10.05,
      close: 10.05,
      volume: 400,
      amount: 4020,
    });
    expect(bars[240]).toMatchObject({
      ts: at('15:00:00'),
      open: 10.1,
      close: 10.1,
      volume: 7000,
      amount: 70700,
    });
  });

  it('fills a minute without trades with the last price and zero volume', () => {
    expect(bars[2]).toMatchObject({
      ts: at('09:32:00'),
      open: 10.01,
      high: 10.01,
      low: 10.01,
      close: 10.01,
      volume: 0,
      amount: 0,
    });
    expect(bars[239]).toMatchObject({ ts: at('14:59:00'), open: 10.05, close: 10.05, volume: 0, amount: 0 });
  });

  it('uses the previous close before the first trade', () => {
    const late = minuteBarsFromTicks({
      symbol: '600000.SH',
      tradeDate: DATE,
      ticks: [tick(at('10:00:30'), 10.5, 100)],
      prevClose: 9.9,
      source: 'simulated',
    });
    expect(late[0]).toMatchObject({ open: 9.9, close: 9.9, volume: 0 });
    expect(late[31]).toMatchObject({ ts: at('10:01:00'), open: 10.5, volume: 100 });
    expect(late[32]).toMatchObject({ close: 10.5, volume: 0 });
  });

  it('sums amounts in cents without float drift', () => {
    const many = Array.from({ length: 1000 }, (_, i) => tick(at('10:00:00', i), 0.1, 100));
    const [daily] = [
      dailyBarFromTicks({ symbol: '600000.SH', tradeDate: DATE, ticks: many, prevClose: 0.1, source: 's' }),
    ];
    expect(daily?.amount).toBe(10000);
    expect(daily?.volume).toBe(100_000);
  });
});

describe('dailyBarFromTicks', () => {
  it('aggregates the whole day at 15:00 Shanghai', () => {
    const ticks = [
      tick(at('09:25:00'), 10, 100, 'N'),
      tick(at('10:00:00'), 10.3, 200),
      tick(at('15:00:00'), 9.95, 300, 'N'),
    ];
    const bar = dailyBarFromTicks({
      symbol: '600000.SH',
      tradeDate: DATE,
      ticks,
      prevClose: 9.9,
      source: 'simulated',
    });
    expect(bar).toEqual({
      symbol: '600000.SH',
      interval: '1d',
      ts: at('15:00:00'),
      open: 10,
      high: 10.3,
      low: 9.95,
      close: 9.95,
      volume: 600,
      amount: 1000 + 2060 + 2985,
      source: 'simulated',
      tradeDate: DATE,
    });
  });

  it('returns undefined without ticks', () => {
    expect(
      dailyBarFromTicks({ symbol: 'X', tradeDate: DATE, ticks: [], prevClose: 1, source: 's' }),
    ).toBeUndefined();
  });
});
