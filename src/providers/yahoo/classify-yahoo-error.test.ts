import { describe, expect, it } from 'vitest';
import {
  classifyYahooEnvelope,
  classifyYahooHttpError,
  classifyYahooTransportError,
  DEFAULT_RATE_LIMIT_WAIT_MS,
  oneMinuteLookBackError,
  parseRetryAfterMs,
  type YahooRequestContext,
} from './classify-yahoo-error.js';

const ctx: YahooRequestContext = {
  symbol: '600519.SH',
  yahooSymbol: '600519.SS',
  interval: '1m',
  tradeDates: ['2026-10-01'],
};
const NOW = Date.parse('2026-11-20T00:00:00Z');
const envelope = (code: string, description: string) =>
  JSON.stringify({ chart: { result: null, error: { code, description } } });
const classify = (status: number, bodyText: string, retryAfter: string | null = null) =>
  classifyYahooHttpError({ status, bodyText, retryAfter }, ctx, NOW);

describe('classifyYahooHttpError', () => {
  it('429 plain text → rate limited, retryable, default wait, endpoint in context', () => {
    const e = classify(429, 'Edge: Too Many Requests');
    expect(e).toMatchObject({
      code: 'PROVIDER_RATE_LIMITED',
      retryable: true,
      retryAfterMs: DEFAULT_RATE_LIMIT_WAIT_MS,
    });
    expect(e.context).toMatchObject({ provider: 'yahoo', endpoint: 'chart', symbol: '600519.SH' });
    expect(e.message).toContain('Edge: Too Many Requests');
  });

  it('429 honours Retry-After in seconds and as an HTTP date', () => {
    expect(classify(429, 'Too Many Requests', '7').retryAfterMs).toBe(7000);
    expect(classify(429, '', new Date(NOW + 12_000).toUTCString()).retryAfterMs).toBe(12_000);
  });

  it('404 → not found naming the symbol and the Yahoo spelling', () => {
    const e = classify(404, envelope('Not Found', 'No data found, symbol may be delisted'));
    expect(e).toMatchObject({ code: 'PROVIDER_NOT_FOUND', retryable: false });
    expect(e.message).toContain('600519.SH');
    expect(e.message).toContain('600519.SS');
    expect(e.message).toContain('No data found, symbol may be delisted');
  });

  it('422 30-day look-back → unsupported, not retried', () => {
    const e = classify(
      422,
      envelope(
        'Unprocessable Entity',
        '1m data not available for startTime=1 and endTime=2. The requested range must be within the last 30 days.',
      ),
    );
    expect(e).toMatchObject({ code: 'PROVIDER_UNSUPPORTED', retryable: false });
    expect(e.message).toContain('Yahoo keeps 1-minute data for 30 days; 2026-10-01 is older');
  });

  it("400/422 otherwise → bad request with Yahoo's description, not retried", () => {
    const seven = classify(
      422,
      envelope(
        'Unprocessable Entity',
        '1m data not available for startTime=1 and endTime=2. Only 7 days worth of 1m granularity data are allowed to be fetched per request.',
      ),
    );
    expect(seven).toMatchObject({ code: 'PROVIDER_BAD_REQUEST', retryable: false });
    expect(seven.message).toContain('Only 7 days worth');
    const interval = classify(400, envelope('Bad Request', 'Invalid input - interval=5h is not supported.'));
    expect(interval).toMatchObject({ code: 'PROVIDER_BAD_REQUEST', retryable: false });
    expect(interval.message).toContain('interval=5h is not supported');
  });

  it('5xx → unavailable, retryable', () => {
    expect(classify(503, '')).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(classify(500, envelope('Internal Server Error', 'boom')).message).toContain('boom');
  });
});

describe('classifyYahooEnvelope (error inside a 200)', () => {
  it('maps Not Found to not found and anything else to bad request', () => {
    expect(classifyYahooEnvelope({ code: 'Not Found', description: 'x' }, ctx).code).toBe(
      'PROVIDER_NOT_FOUND',
    );
    expect(classifyYahooEnvelope({ code: 'Bad Request', description: 'x' }, ctx)).toMatchObject({
      code: 'PROVIDER_BAD_REQUEST',
      retryable: false,
    });
  });
});

describe('classifyYahooTransportError', () => {
  const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
  it('reset → unavailable naming the socket error', () => {
    const e = classifyYahooTransportError(reset, ctx, { aborted: false, timedOut: false, timeoutMs: 100 });
    expect(e).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(e.message).toContain('ECONNRESET');
  });
  it('our timeout → unavailable naming the timeout; caller abort → ABORTED', () => {
    expect(
      classifyYahooTransportError(reset, ctx, { aborted: false, timedOut: true, timeoutMs: 250 }).message,
    ).toContain('timed out after 250 ms');
    expect(
      classifyYahooTransportError(reset, ctx, { aborted: true, timedOut: false, timeoutMs: 250 }).code,
    ).toBe('ABORTED');
  });
});

describe('helpers', () => {
  it('oneMinuteLookBackError carries the fixed message', () => {
    expect(oneMinuteLookBackError('AAPL', '2026-09-01')).toMatchObject({
      code: 'PROVIDER_UNSUPPORTED',
      retryable: false,
      message: 'Yahoo keeps 1-minute data for 30 days; 2026-09-01 is older',
    });
  });
  it('parseRetryAfterMs ignores garbage', () => {
    expect(parseRetryAfterMs(null, NOW)).toBeUndefined();
    expect(parseRetryAfterMs('soon', NOW)).toBeUndefined();
  });
});
