import { describe, expect, it } from 'vitest';
import { bookFromRow, dailyBarFromRow, minuteBarFromRow, parseTushareTime } from './tushare-rows.js';

describe('tushare rows', () => {
  it('parses Shanghai times in the three shapes Tushare uses into UTC epoch ms', () => {
    const ts = Date.parse('2025-06-17T01:30:00Z');
    expect(parseTushareTime('2025-06-17 09:30:00')).toEqual({ tradeDate: '2025-06-17', ts });
    expect(parseTushareTime('20250617 09:30:00')).toEqual({ tradeDate: '2025-06-17', ts });
    expect(parseTushareTime('09:30', '2025-06-17')).toEqual({ tradeDate: '2025-06-17', ts });
    expect(parseTushareTime('09:30')).toBeUndefined();
    expect(parseTushareTime('soon')).toBeUndefined();
  });

  it('keeps stk_mins units and end labels', () => {
    const bar = minuteBarFromRow(
      {
        ts_code: '518880.SH',
        trade_time: '2025-08-01 15:00:00',
        close: 7.352,
        open: 7.352,
        high: 7.353,
        low: 7.351,
        vol: 1343100.0,
        amount: 9874709.0,
      },
      '518880.SH',
    );
    expect(bar).toEqual({
      symbol: '518880.SH',
      interval: '1m',
      ts: Date.parse('2025-08-01T07:00:00Z'),
      open: 7.352,
      high: 7.353,
      low: 7.351,
      close: 7.352,
      volume: 1343100,
      amount: 9874709,
      source: 'tushare',
      tradeDate: '2025-08-01',
    });
  });

  it('converts daily lots to shares and thousand CNY to CNY without float noise (doc sample)', () => {
    const { bar, prevClose } = dailyBarFromRow(
      {
        ts_code: '000001.SZ',
        trade_date: '20180718',
        open: 8.75,
        high: 8.85,
        low: 8.69,
        close: 8.7,
        pre_close: 8.72,
        vol: 525152.77,
        amount: 460697.377,
      },
      '000001.SZ',
    );
    expect(bar.volume).toBe(52_515_277);
    expect(bar.amount).toBe(460_697_377);
    expect(bar.ts).toBe(Date.parse('2018-07-18T07:00:00Z'));
    expect(prevClose).toBe(8.72);
  });

  it('rejects a bar without a numeric price', () => {
    expect(() => minuteBarFromRow({ trade_time: '2025-08-01 15:00:00', open: null }, '600000.SH')).toThrow(
      expect.objectContaining({ code: 'PROVIDER_BAD_RESPONSE' }),
    );
  });

  it('turns an rt_k row into a one-level book, leaving an empty side empty', () => {
    const book = bookFromRow(
      {
        ts_code: '600000.SH',
        trade_time: '10:15:30',
        bid_price1: 8.5,
        bid_volume1: 1200,
        ask_price1: 0,
        ask_volume1: 0,
      },
      '600000.SH',
      '2025-06-17',
      0,
    );
    expect(book).toMatchObject({
      ts: Date.parse('2025-06-17T02:15:30Z'),
      bidPrices: [8.5],
      bidVolumes: [1200],
      askPrices: [],
      askVolumes: [],
      tradeDate: '2025-06-17',
    });
  });
});
