import { describe, expect, it } from 'vitest';
import { planRtkCodes, quoteFromRtk } from './tushare-realtime.js';
import { shanghaiTime } from '../../domain/dates.js';

describe('rt_k request planning', () => {
  it('covers the whole market with wildcards per exchange and leading digit, splitting groups over the cap', () => {
    const main = Array.from({ length: 8 }, (_, i) => `60000${i}.SH`);
    const more = Array.from({ length: 5 }, (_, i) => `60100${i}.SH`);
    const symbols = [
      ...main,
      ...more,
      '688001.SH',
      '688002.SH',
      '000001.SZ',
      '000002.SZ',
      '300750.SZ',
      '830799.BJ',
    ];
    // 15 codes starting with 6 exceed 90% of the cap (9): split by two, then three digits.
    // A segment of one code is asked by name; such codes share one comma list.
    expect(planRtkCodes({ symbols, wholeMarket: true }, 10)).toEqual([
      '600*.SH',
      '601*.SH',
      '68*.SH',
      '0*.SZ',
      '830799.BJ,300750.SZ',
    ]);
  });

  it('sends a symbol list as comma lists of at most the cap', () => {
    const symbols = ['600000.SH', '600519.SH', '000001.SZ'];
    expect(planRtkCodes({ symbols, wholeMarket: false }, 2)).toEqual(['600000.SH,600519.SH', '000001.SZ']);
  });
});

describe('quoteFromRtk', () => {
  it('maps a row, dates it by trade_time and leaves an empty book side empty', () => {
    const q = quoteFromRtk({
      ts_code: '600519.SH',
      pre_close: 1500,
      close: 1510.5,
      vol: 123400,
      amount: 186_000_000.5,
      bid_price1: 1510.4,
      bid_volume1: 300,
      ask_price1: 0,
      ask_volume1: 0,
      trade_time: '2025-06-17 10:15:30',
    });
    expect(q).toEqual({
      symbol: '600519.SH',
      price: 1510.5,
      preClose: 1500,
      cumVolume: 123400,
      cumAmount: 186_000_000.5,
      bidPrices: [1510.4],
      bidVolumes: [300],
      askPrices: [],
      askVolumes: [],
      lastTradeTs: shanghaiTime('2025-06-17', '10:15:30'),
      sessionDate: '2025-06-17',
    });
    expect(quoteFromRtk({ ts_code: '600519.SH', trade_time: '10:15:30' })?.sessionDate).toBeNull();
  });
});
