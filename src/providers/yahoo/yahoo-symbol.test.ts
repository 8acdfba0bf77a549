import { describe, expect, it } from 'vitest';
import { yahooMarketOf } from './yahoo-symbol.js';

describe('yahooMarketOf', () => {
  it('maps .SH to .SS and keeps .SZ, both in Asia/Shanghai closing 15:00', () => {
    expect(yahooMarketOf('600519.SH')).toEqual({
      yahooSymbol: '600519.SS',
      aShare: true,
      timeZone: 'Asia/Shanghai',
      sessionClose: '15:00',
    });
    expect(yahooMarketOf('000001.SZ').yahooSymbol).toBe('000001.SZ');
  });
  it('passes plain tickers through with the zone left to the response', () => {
    expect(yahooMarketOf('AAPL')).toEqual({
      yahooSymbol: 'AAPL',
      aShare: false,
      timeZone: undefined,
      sessionClose: undefined,
    });
    expect(yahooMarketOf('0700.HK').yahooSymbol).toBe('0700.HK');
  });
  it('refuses Beijing codes as unsupported, not retryable', () => {
    expect(() => yahooMarketOf('830799.BJ')).toThrow(
      expect.objectContaining({
        code: 'PROVIDER_UNSUPPORTED',
        retryable: false,
        message: expect.stringContaining('Yahoo does not list Beijing Stock Exchange codes'),
      }),
    );
  });
});
