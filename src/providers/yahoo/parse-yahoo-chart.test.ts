import { describe, expect, it } from 'vitest';
import { parseYahooChart } from './parse-yahoo-chart.js';

const meta = {
  symbol: 'AAPL',
  exchangeTimezoneName: 'America/New_York',
  chartPreviousClose: 100,
  currentTradingPeriod: { regular: { end: 1763672400 } },
};
const body = (result: unknown) => JSON.stringify({ chart: { result: [result], error: null } });

describe('parseYahooChart', () => {
  it('keeps rows aligned with timestamps, nulls included', () => {
    const parsed = parseYahooChart(
      body({
        meta,
        timestamp: [1, 2],
        indicators: {
          quote: [
            { open: [1, null], high: [2, null], low: [0.5, null], close: [1.5, null], volume: [10, null] },
          ],
        },
      }),
      'AAPL 1m',
    );
    expect(parsed).toEqual({
      kind: 'chart',
      meta: {
        symbol: 'AAPL',
        exchangeTimezoneName: 'America/New_York',
        chartPreviousClose: 100,
        regularEnd: 1763672400,
      },
      rows: [
        { start: 1, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
        { start: 2, open: null, high: null, low: null, close: null, volume: null },
      ],
    });
  });
  it('reads an empty window (no timestamp, quote [{}]) as no rows', () => {
    expect(parseYahooChart(body({ meta, indicators: { quote: [{}] } }), 'x')).toMatchObject({
      kind: 'chart',
      rows: [],
    });
  });
  it('returns an error envelope for the caller to classify', () => {
    const text = JSON.stringify({
      chart: { result: null, error: { code: 'Not Found', description: 'gone' } },
    });
    expect(parseYahooChart(text, 'x')).toEqual({ kind: 'error', code: 'Not Found', description: 'gone' });
  });
  it.each([
    ['empty body', ''],
    ['HTML outage page', '<html><body>Will be right back</body></html>'],
    ['truncated JSON', '{"chart":{"result":[{"meta":'],
    [
      'misaligned arrays',
      body({
        meta,
        timestamp: [1, 2],
        indicators: { quote: [{ open: [1], high: [1], low: [1], close: [1], volume: [1] }] },
      }),
    ],
    [
      'non-numeric price',
      body({
        meta,
        timestamp: [1],
        indicators: { quote: [{ open: ['x'], high: [1], low: [1], close: [1], volume: [1] }] },
      }),
    ],
  ])('rejects %s as a retryable bad response', (_name, text) => {
    expect(() => parseYahooChart(text, 'AAPL 1m')).toThrow(
      expect.objectContaining({ code: 'PROVIDER_BAD_RESPONSE', retryable: true }),
    );
  });
});
