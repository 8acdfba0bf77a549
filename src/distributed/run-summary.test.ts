import { describe, expect, it } from 'vitest';
import type { Ticker } from '../domain/ticker.js';
import type { LedgerEntry } from '../ledger/ledger-entry.js';
import { summarizeRun } from './run-summary.js';
import type { RunMeta } from './run-registry.js';

const meta: RunMeta = {
  runId: 'r1',
  createdAt: 0,
  requested: ['bars_1m'],
  symbolsTotal: 5,
  unitsSkipped: 2,
  unservable: { '688981.SH': ['bars_1m: not served by any routed provider'] },
};

function e(symbol: string, over: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    provider: 'tushare',
    dataType: 'bars_1m',
    symbol: symbol as Ticker,
    tradeDate: '2025-06-05',
    status: 'ok',
    rows: 241,
    attempts: 1,
    errorCode: null,
    errorMessage: null,
    runId: 'r1',
    updatedAt: 1,
    ...over,
  };
}

describe('summarizeRun', () => {
  it('counts outcomes from the ledger; failures, unservable and fallbacks as run does', () => {
    const s = summarizeRun({
      meta,
      symbolUnits: new Map([
        ['600000.SH', 2],
        ['600519.SH', 1],
        ['000001.SZ', 1],
      ]),
      entries: [
        e('600000.SH'),
        e('600000.SH', { tradeDate: '2025-06-06', status: 'empty', rows: 0 }),
        e('600519.SH', {
          status: 'failed',
          rows: 0,
          errorCode: 'PROVIDER_UNAVAILABLE',
          errorMessage: 'HTTP 503',
        }),
        // Unsupported at the primary, then served by the fallback: a success.
        e('000001.SZ', {
          status: 'unsupported',
          rows: 0,
          errorCode: 'PROVIDER_UNSUPPORTED',
          errorMessage: 'no',
        }),
        e('000001.SZ', { provider: 'yahoo', rows: 240 }),
      ],
      durationMs: 5,
      interrupted: false,
    });
    expect(s).toMatchObject({
      runId: 'r1',
      symbolsTotal: 5,
      symbolsOk: 3,
      unitsPlanned: 4,
      unitsSkipped: 2,
      unitsOk: 2,
      unitsEmpty: 1,
      unitsFailed: 1,
      unitsUnsupported: 1,
      rowsWritten: 481,
      rowsByTable: { bars: 481 },
    });
    expect(s.failedSymbols).toEqual([
      {
        symbol: '600519.SH',
        ok: false,
        reasons: ['bars_1m 2025-06-05 via tushare: HTTP 503'],
        failureClasses: ['transient'],
      },
      {
        symbol: '688981.SH',
        ok: false,
        reasons: ['bars_1m: not served by any routed provider'],
        failureClasses: ['unsupported'],
      },
    ]);
  });

  it('a symbol with units lacking an outcome is not successful', () => {
    const s = summarizeRun({
      meta: { ...meta, unservable: {}, symbolsTotal: 1 },
      symbolUnits: new Map([['600000.SH', 2]]),
      entries: [e('600000.SH')],
      durationMs: 1,
      interrupted: true,
    });
    expect(s.symbolsOk).toBe(0);
    expect(s.failedSymbols[0]?.reasons[0]).toMatch(/^interrupted: 1 unit\(s\) without an outcome/);
  });
});
