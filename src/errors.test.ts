import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  IngestError,
  isIngestError,
  throwIfAborted,
  toErrorData,
  toIngestError,
  type ErrorData,
} from './errors.js';

describe('IngestError', () => {
  it('defaults retryable by code', () => {
    expect(new IngestError('PROVIDER_RATE_LIMITED', 'x').retryable).toBe(true);
    expect(new IngestError('PROVIDER_UNAVAILABLE', 'x').retryable).toBe(true);
    expect(new IngestError('PROVIDER_BAD_RESPONSE', 'x').retryable).toBe(true);
    expect(new IngestError('STORAGE_FAILED', 'x').retryable).toBe(true);
    expect(new IngestError('PROVIDER_AUTH', 'x').retryable).toBe(false);
    expect(new IngestError('DATA_INVALID', 'x').retryable).toBe(false);
    expect(new IngestError('PROVIDER_UNAVAILABLE', 'x', { retryable: false }).retryable).toBe(false);
  });

  it('carries context, retryAfterMs and cause', () => {
    const cause = new Error('socket hang up');
    const e = new IngestError('PROVIDER_RATE_LIMITED', 'slow down', {
      retryAfterMs: 1500,
      context: { provider: 'tushare', endpoint: 'stk_mins' },
      cause,
    });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('IngestError');
    expect(e.retryAfterMs).toBe(1500);
    expect(e.context).toEqual({ provider: 'tushare', endpoint: 'stk_mins' });
    expect(e.cause).toBe(cause);
  });
});

describe('isIngestError', () => {
  it('checks by shape, not class', () => {
    expect(isIngestError(new IngestError('USAGE', 'x'))).toBe(true);
    expect(isIngestError({ code: 'STORAGE_FAILED', message: 'm', retryable: true })).toBe(true);
    expect(isIngestError({ code: 'NOPE', retryable: true })).toBe(false);
    expect(isIngestError({ code: 'USAGE' })).toBe(false);
    expect(isIngestError(new Error('x'))).toBe(false);
    expect(isIngestError(null)).toBe(false);
    expect(isIngestError('USAGE')).toBe(false);
  });

  it('rejects codes inherited from Object.prototype', () => {
    expect(isIngestError({ code: 'toString', message: 'm', retryable: true })).toBe(false);
    expect(isIngestError({ code: 'constructor', message: 'm', retryable: false })).toBe(false);
  });
});

describe('toIngestError / toErrorData', () => {
  it('returns the same IngestError instance', () => {
    const e = new IngestError('USAGE', 'bad flag');
    expect(toIngestError(e)).toBe(e);
  });

  it('wraps unknown errors as INTERNAL, not retryable', () => {
    const e = toIngestError(new TypeError('x is undefined'));
    expect(e.code).toBe('INTERNAL');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe('x is undefined');
    expect(toIngestError('plain string').message).toBe('plain string');
  });

  it('maps AbortError to ABORTED', () => {
    const abort = new Error('The operation was aborted');
    abort.name = 'AbortError';
    expect(toIngestError(abort).code).toBe('ABORTED');
    const c = new AbortController();
    c.abort();
    expect(() => throwIfAborted(c.signal)).toThrowError(expect.objectContaining({ code: 'ABORTED' }));
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
  });

  it('round-trips through JSON as plain data, checked by code', () => {
    const original = new IngestError('PROVIDER_RATE_LIMITED', '每分钟最多访问该接口200次', {
      retryAfterMs: 60_000,
      context: { provider: 'tushare', endpoint: 'stk_mins', symbol: '600000.SH' },
    });
    const data = toErrorData(original);
    expect(data).toEqual({
      code: 'PROVIDER_RATE_LIMITED',
      message: '每分钟最多访问该接口200次',
      retryable: true,
      retryAfterMs: 60_000,
      context: { provider: 'tushare', endpoint: 'stk_mins', symbol: '600000.SH' },
    });
    const wire = JSON.parse(JSON.stringify(data)) as ErrorData;
    expect(wire).toEqual(data);
    expect(isIngestError(wire)).toBe(true);
    const revived = toIngestError(wire);
    expect(revived).toBeInstanceOf(IngestError);
    expect(revived.code).toBe('PROVIDER_RATE_LIMITED');
    expect(revived.retryable).toBe(true);
    expect(revived.retryAfterMs).toBe(60_000);
    expect(revived.context).toEqual(data.context);
    expect(toErrorData(revived)).toEqual(data);
  });

  it('keeps an overridden retryable flag across the round trip', () => {
    const data = toErrorData(new IngestError('PROVIDER_UNAVAILABLE', 'down', { retryable: false }));
    expect(toIngestError(JSON.parse(JSON.stringify(data))).retryable).toBe(false);
  });

  it('omits empty optional fields', () => {
    expect(toErrorData(new IngestError('USAGE', 'x'))).toEqual({
      code: 'USAGE',
      message: 'x',
      retryable: false,
    });
    expect(toErrorData(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom', retryable: false });
  });

  it('has every code mapped to itself', () => {
    for (const [k, v] of Object.entries(ERROR_CODES)) expect(k).toBe(v);
  });
});
