import { describe, expect, it } from 'vitest';
import { barsOf, booksOf, factorsOf, ticksOf, unitKey } from '../../test/fixtures/rows.js';
import type { ConcreteDataType } from '../domain/data-type.js';
import type { RowSet } from '../domain/rows.js';
import { validateRows } from './validate-rows.js';

const UNIT = unitKey({ provider: 'simulated', symbol: '600000.SH', tradeDate: '2025-06-05' });

function check(dataType: ConcreteDataType, rows: RowSet): void {
  validateRows({ rows, dataType, symbol: UNIT.symbol, tradeDate: UNIT.tradeDate, source: UNIT.provider });
}

function codeOf(fn: () => void): { code: string; message: string; retryable: boolean } | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e as { code: string; message: string; retryable: boolean };
  }
}

function expectInvalid(dataType: ConcreteDataType, rows: RowSet, messagePart: string): void {
  const e = codeOf(() => check(dataType, rows));
  expect(e, `expected DATA_INVALID (${messagePart})`).toBeDefined();
  expect(e?.code).toBe('DATA_INVALID');
  expect(e?.retryable).toBe(false);
  expect(e?.message).toContain(messagePart);
}

const ticks = () => ticksOf({ ...UNIT, dataType: 'ticks' }, 5);
const bars = () => barsOf({ ...UNIT, dataType: 'bars_1m' }, 5);
const books = () => booksOf({ ...UNIT, dataType: 'order_book' }, 5);
const factors = () => factorsOf({ ...UNIT, dataType: 'factors' }, ['vwap_1m', 'ret_1d']);

describe('validateRows', () => {
  it('passes good rows of every kind, and empty row sets', () => {
    expect(() => check('ticks', { ticks: ticks() })).not.toThrow();
    expect(() => check('bars_1m', { bars: bars() })).not.toThrow();
    expect(() => check('bars_1d', { bars: barsOf({ ...UNIT, dataType: 'bars_1d' }, 1) })).not.toThrow();
    expect(() => check('order_book', { books: books() })).not.toThrow();
    expect(() => check('factors', { factors: factors() })).not.toThrow();
    expect(() => check('ticks', {})).not.toThrow();
  });

  it('refuses a crossed book', () => {
    const b = books();
    b[2] = {
      ...b[2]!,
      bidPrices: [10.05, ...b[2]!.bidPrices.slice(1)],
      askPrices: [10.04, ...b[2]!.askPrices.slice(1)],
    };
    expectInvalid('order_book', { books: b }, 'crossed book');
  });

  it('refuses a locked book (best bid == best ask)', () => {
    const b = books();
    b[0] = {
      ...b[0]!,
      bidPrices: [10, ...b[0]!.bidPrices.slice(1)],
      askPrices: [10, ...b[0]!.askPrices.slice(1)],
    };
    expectInvalid('order_book', { books: b }, 'crossed book');
  });

  it('refuses book price and volume arrays of different lengths', () => {
    const b = books();
    b[1] = { ...b[1]!, bidVolumes: b[1]!.bidVolumes.slice(1) };
    expectInvalid('order_book', { books: b }, 'differ in length');
  });

  it('refuses a bad trade side', () => {
    const t = ticks();
    t[3] = { ...t[3]!, side: 'X' as never };
    expectInvalid('ticks', { ticks: t }, 'side must be B, S or N');
  });

  it('refuses non-positive prices and negative volumes', () => {
    const t = ticks();
    t[0] = { ...t[0]!, price: 0 };
    expectInvalid('ticks', { ticks: t }, 'price must be positive');
    const u = ticks();
    u[0] = { ...u[0]!, volume: -100 };
    expectInvalid('ticks', { ticks: u }, 'non-negative');
  });

  it('refuses rows of a foreign symbol, trade date or source', () => {
    expectInvalid(
      'ticks',
      { ticks: ticksOf({ ...UNIT, dataType: 'ticks', symbol: '000001.SZ' }, 2) },
      'symbol 000001.SZ',
    );
    expectInvalid(
      'bars_1m',
      { bars: barsOf({ ...UNIT, dataType: 'bars_1m', tradeDate: '2025-06-06' }, 2) },
      'trade date 2025-06-06',
    );
    expectInvalid(
      'order_book',
      { books: booksOf({ ...UNIT, dataType: 'order_book', provider: 'yahoo' }, 2) },
      'source yahoo',
    );
    expectInvalid(
      'factors',
      { factors: factorsOf({ ...UNIT, dataType: 'factors', provider: 'tushare' }, ['x']) },
      'source tushare',
    );
  });

  it('refuses a bar whose high is below its low, or that does not bound open/close', () => {
    const b = bars();
    b[1] = { ...b[1]!, high: 9.9, low: 10.1 };
    expectInvalid('bars_1m', { bars: b }, 'high/low');
    const c = bars();
    c[0] = { ...c[0]!, close: (c[0]!.high as number) + 1 };
    expectInvalid('bars_1m', { bars: c }, 'high/low');
  });

  it('refuses non-numeric OHLCV and negative bar volume', () => {
    const b = bars();
    b[0] = { ...b[0]!, open: Number.NaN };
    expectInvalid('bars_1m', { bars: b }, 'non-numeric');
    const c = bars();
    c[0] = { ...c[0]!, volume: -1 };
    expectInvalid('bars_1m', { bars: c }, 'negative volume');
  });

  it('refuses a non-finite factor value', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const f = factors();
      f[1] = { ...f[1]!, value };
      expectInvalid('factors', { factors: f }, 'factor ret_1d is not finite');
    }
  });

  it('refuses a non-numeric timestamp', () => {
    const t = ticks();
    t[0] = { ...t[0]!, ts: Number.NaN };
    expectInvalid('ticks', { ticks: t }, 'timestamp');
  });

  it('names the provider, data type, symbol and date in the message and context', () => {
    const t = ticks();
    t[0] = { ...t[0]!, side: 'Q' as never };
    const e = codeOf(() => check('ticks', { ticks: t })) as
      { message: string; context: Record<string, unknown> } | undefined;
    expect(e?.message).toContain('simulated ticks 600000.SH 2025-06-05');
    expect(e?.context).toMatchObject({
      provider: 'simulated',
      symbol: '600000.SH',
      tradeDate: '2025-06-05',
      dataType: 'ticks',
    });
  });

  it('refuses an infinite trade volume', () => {
    const t = ticks();
    t[0] = { ...t[0]!, volume: Number.POSITIVE_INFINITY };
    expectInvalid('ticks', { ticks: t }, 'non-negative');
  });

  it('refuses a book with a non-finite price or a negative volume', () => {
    const b = books();
    b[0] = { ...b[0]!, bidPrices: [Number.NaN, ...b[0]!.bidPrices.slice(1)] };
    expect(codeOf(() => check('order_book', { books: b }))?.code).toBe('DATA_INVALID');
    const c = books();
    c[0] = { ...c[0]!, askVolumes: [-100, ...c[0]!.askVolumes.slice(1)] };
    expect(codeOf(() => check('order_book', { books: c }))?.code).toBe('DATA_INVALID');
  });
});
