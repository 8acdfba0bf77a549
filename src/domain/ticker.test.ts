import { describe, expect, it } from 'vitest';
import { isIngestError } from '../errors.js';
import { boardOf, isAShare, parseTicker, parseTickerList } from './ticker.js';

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isIngestError(e) && e.code).toBe('USAGE');
    return (e as Error).message;
  }
  throw new Error('expected a USAGE error');
}

describe('parseTicker', () => {
  it.each([
    ['600000.SH', 'SH', 'sse_main'],
    ['601318.SH', 'SH', 'sse_main'],
    ['603986.SH', 'SH', 'sse_main'],
    ['605117.SH', 'SH', 'sse_main'],
    ['688981.SH', 'SH', 'star'],
    ['689009.SH', 'SH', 'star'],
    ['000001.SZ', 'SZ', 'szse_main'],
    ['002594.SZ', 'SZ', 'szse_main'],
    ['003816.SZ', 'SZ', 'szse_main'],
    ['300750.SZ', 'SZ', 'chinext'],
    ['301236.SZ', 'SZ', 'chinext'],
    ['830799.BJ', 'BJ', 'bse'],
    ['430047.BJ', 'BJ', 'bse'],
    ['920001.BJ', 'BJ', 'bse'],
    ['510300.SH', 'SH', 'other'],
    ['159915.SZ', 'SZ', 'other'],
  ] as const)('parses %s as %s %s', (input, exchange, board) => {
    const t = parseTicker(input);
    expect(t).toEqual({ ticker: input, code: input.slice(0, 6), exchange, board });
  });

  it('normalises a lower-case suffix and surrounding space', () => {
    expect(parseTicker(' 600000.sh ').ticker).toBe('600000.SH');
    expect(parseTicker('000001.sz').exchange).toBe('SZ');
  });

  it.each(['AAPL', 'BRK-B', '^GSPC', 'EURUSD=X', '0700.HK'])('accepts the plain ticker %s', (input) => {
    expect(parseTicker(input)).toEqual({ ticker: input, code: input, exchange: undefined, board: 'other' });
  });

  it('upper-cases plain tickers', () => {
    expect(parseTicker('brk-b').ticker).toBe('BRK-B');
  });

  it('rejects a 5-digit A-share code with a 6-digit hint', () => {
    const msg = usageError(() => parseTicker('60000.SH'));
    expect(msg).toContain('60000.SH');
    expect(msg).toContain('6 digits');
  });

  it('rejects a code outside the board ranges', () => {
    expect(usageError(() => parseTicker('999999.SH'))).toContain('999999');
    expect(usageError(() => parseTicker('100000.BJ'))).toContain('not a valid BJ code');
  });

  it.each(['ABC.XYZ!', '123', '', '600000', 'A B'])('rejects %j', (input) => {
    expect(usageError(() => parseTicker(input))).toContain('Malformed symbol');
  });

  it('names the symbol in the error context', () => {
    expect(() => parseTicker('ABC.XYZ!')).toThrowError(
      expect.objectContaining({ context: { symbol: 'ABC.XYZ!' } }),
    );
  });

  it('rejects 600000.XX (6-digit code, unknown exchange suffix)', () => {
    usageError(() => parseTicker('600000.XX'));
  });
});

describe('boardOf / isAShare', () => {
  it('classifies by prefix', () => {
    expect(boardOf('600519', 'SH')).toBe('sse_main');
    expect(boardOf('300001', 'SZ')).toBe('chinext');
    expect(boardOf('870001', 'BJ')).toBe('bse');
    expect(boardOf('700001', 'SH')).toBe('other');
  });

  it('recognises A-share tickers only', () => {
    expect(isAShare('600000.SH')).toBe(true);
    expect(isAShare('830799.BJ')).toBe(true);
    expect(isAShare('AAPL')).toBe(false);
    expect(isAShare('0700.HK')).toBe(false);
  });
});

describe('parseTickerList', () => {
  it('splits on spaces and commas in any mix', () => {
    expect(parseTickerList(['000001.SZ,000002.SZ', '600000.SH  600519.SH,', ' , AAPL'])).toEqual([
      '000001.SZ',
      '000002.SZ',
      '600000.SH',
      '600519.SH',
      'AAPL',
    ]);
  });

  it('removes duplicates after normalisation, keeping first order', () => {
    expect(parseTickerList(['600000.SH', '000001.sz', '600000.sh', '000001.SZ'])).toEqual([
      '600000.SH',
      '000001.SZ',
    ]);
  });

  it('reports every malformed code at once', () => {
    const msg = usageError(() => parseTickerList(['600000.SH,60000.SH', 'ABC.XYZ!', '123', 'AAPL']));
    expect(msg).toContain('"60000.SH"');
    expect(msg).toContain('"ABC.XYZ!"');
    expect(msg).toContain('"123"');
    expect(msg.split('\n')).toHaveLength(3);
  });

  it('returns an empty list for empty input', () => {
    expect(parseTickerList([' ', ','])).toEqual([]);
  });
});
