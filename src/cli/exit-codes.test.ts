import { describe, expect, it } from 'vitest';
import { ERROR_CODES, IngestError, type ErrorCode } from '../errors.js';
import { EXIT, exitCodeOf } from './exit-codes.js';

describe('exitCodeOf', () => {
  it.each(['USAGE', 'CONFIG_INVALID', 'PROVIDER_AUTH'] as const)('%s → 2', (code) => {
    expect(exitCodeOf(new IngestError(code, 'x'))).toBe(2);
  });

  it('ABORTED → 130, INTERNAL → 1', () => {
    expect(exitCodeOf(new IngestError('ABORTED', 'x'))).toBe(130);
    expect(exitCodeOf(new IngestError('INTERNAL', 'x'))).toBe(1);
  });

  it('every other code → 3', () => {
    const special = new Set<ErrorCode>(['USAGE', 'CONFIG_INVALID', 'PROVIDER_AUTH', 'ABORTED', 'INTERNAL']);
    const others = (Object.values(ERROR_CODES) as ErrorCode[]).filter((c) => !special.has(c));
    expect(others.length).toBeGreaterThan(5);
    for (const code of others) expect([code, exitCodeOf(new IngestError(code, 'x'))]).toEqual([code, 3]);
  });

  it('maps plain errors and AbortError', () => {
    expect(exitCodeOf(new Error('bug'))).toBe(1);
    expect(exitCodeOf('thrown string')).toBe(1);
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(exitCodeOf(abort)).toBe(130);
    expect(exitCodeOf({ code: 'USAGE', message: 'm', retryable: false })).toBe(2);
  });

  it('has the documented values (README.md, "Output and exit codes")', () => {
    expect(EXIT).toEqual({ OK: 0, INTERNAL: 1, USAGE: 2, PARTIAL: 3, INTERRUPTED: 130 });
  });
});
