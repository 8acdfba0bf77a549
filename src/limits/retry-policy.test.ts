import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, IngestError } from '../errors.js';
import { classifyFailure, decideRetry, type DecideRetryParams } from './retry-policy.js';

const base = (overrides: Partial<DecideRetryParams> = {}): DecideRetryParams => ({
  error: { code: 'PROVIDER_UNAVAILABLE', retryable: true },
  attempt: 1,
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  random: () => 0.5,
  ...overrides,
});

describe('classifyFailure', () => {
  it('classifies every error code by the table', () => {
    const expected: Record<keyof typeof ERROR_CODES, string> = {
      CONFIG_INVALID: 'bad_request',
      USAGE: 'bad_request',
      PROVIDER_RATE_LIMITED: 'rate_limited',
      PROVIDER_QUOTA_EXHAUSTED: 'quota',
      PROVIDER_AUTH: 'auth',
      PROVIDER_PERMISSION: 'permission',
      PROVIDER_NOT_FOUND: 'not_found',
      PROVIDER_UNSUPPORTED: 'unsupported',
      PROVIDER_BAD_RESPONSE: 'bad_response',
      PROVIDER_UNAVAILABLE: 'transient',
      PROVIDER_BAD_REQUEST: 'bad_request',
      DATA_INVALID: 'validation',
      STORAGE_FAILED: 'transient',
      ABORTED: 'aborted',
      INTERNAL: 'internal',
    };
    for (const code of Object.values(ERROR_CODES)) {
      expect([code, classifyFailure(new IngestError(code, 'x'))]).toEqual([code, expected[code]]);
    }
  });

  it('classifies unknown codes by retryable', () => {
    expect(classifyFailure({ code: 'SOMETHING_NEW', retryable: true })).toBe('transient');
    expect(classifyFailure({ code: 'SOMETHING_NEW', retryable: false })).toBe('internal');
  });
});

describe('decideRetry', () => {
  it('uses exponential backoff with full jitter under the cap (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseDelayMs, maxDelayMs, r) => {
          const d = decideRetry(
            base({ attempt, maxAttempts: 100, baseDelayMs, maxDelayMs, random: () => r }),
          );
          expect(d.retry).toBe(true);
          if (!d.retry) return;
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          expect(d.delayMs).toBeGreaterThanOrEqual(0);
          expect(d.delayMs).toBeLessThanOrEqual(ceiling);
          expect(d.delayMs).toBe(Math.floor(r * ceiling));
        },
      ),
    );
  });

  it('doubles the ceiling per attempt until the cap', () => {
    const almostOne = () => 0.999_999;
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => {
      const d = decideRetry(
        base({ attempt, maxAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 10_000, random: almostOne }),
      );
      return d.retry ? d.delayMs : -1;
    });
    expect(delays).toEqual([999, 1_999, 3_999, 7_999, 9_999, 9_999, 9_999]);
    const zero = decideRetry(base({ random: () => 0 }));
    expect(zero).toEqual({ retry: true, delayMs: 0, failureClass: 'transient' });
  });

  it("lets the provider's retryAfterMs win: never shorter, even above the cap", () => {
    const err = { code: 'PROVIDER_RATE_LIMITED', retryable: true, retryAfterMs: 45_000 };
    expect(decideRetry(base({ error: err, random: () => 0 }))).toEqual({
      retry: true,
      delayMs: 45_000,
      failureClass: 'rate_limited',
    });
    const small = { ...err, retryAfterMs: 10 };
    const d = decideRetry(base({ error: small, attempt: 4, baseDelayMs: 1_000, random: () => 0.5 }));
    expect(d).toEqual({ retry: true, delayMs: 4_000, failureClass: 'rate_limited' });
  });

  it('never retries non-retryable errors or aborts', () => {
    for (const code of [
      'PROVIDER_AUTH',
      'PROVIDER_NOT_FOUND',
      'DATA_INVALID',
      'PROVIDER_BAD_REQUEST',
    ] as const) {
      const d = decideRetry(base({ error: new IngestError(code, 'x') }));
      expect(d.retry).toBe(false);
    }
    expect(decideRetry(base({ error: { code: 'ABORTED', retryable: true } }))).toEqual({
      retry: false,
      failureClass: 'aborted',
    });
    // A normally retryable code marked non-retryable by its thrower is not retried either.
    expect(decideRetry(base({ error: { code: 'PROVIDER_UNAVAILABLE', retryable: false } })).retry).toBe(
      false,
    );
  });

  it('stops once attempt reaches maxAttempts', () => {
    expect(decideRetry(base({ attempt: 4, maxAttempts: 5 })).retry).toBe(true);
    expect(decideRetry(base({ attempt: 5, maxAttempts: 5 }))).toEqual({
      retry: false,
      failureClass: 'transient',
    });
    expect(decideRetry(base({ attempt: 1, maxAttempts: 1 })).retry).toBe(false);
  });

  it('rejects nonsense parameters', () => {
    expect(() => decideRetry(base({ attempt: 0 }))).toThrow(/attempt/);
    expect(() => decideRetry(base({ maxAttempts: 0 }))).toThrow(/maxAttempts/);
    expect(() => decideRetry(base({ baseDelayMs: -1 }))).toThrow(/baseDelayMs/);
  });
});
