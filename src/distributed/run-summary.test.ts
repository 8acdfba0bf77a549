import { describe, expect, it } from 'vitest';
import type { Ticker } from '../domain/ticker.js';
import type { LedgerEntry, UnitKey } from '../ledger/ledger-entry.js';
import type { RunMeta, SharedEvent } from './run-registry.js';
import { summarizeDistributedRun } from './run-summary.js';

const meta: RunMeta = {
  runId: 'r1',
  createdAt: 0,
  requested: ['bars_1m'],
  routing: { bars_1m: ['tushare'] } as RunMeta['routing'],
  symbols: ['600000.SH', '600519.SH', '000001.SZ', '688981.SH', '601318.SH'],
  symbolsTotal: 5,
  unitsSkipped: 2,
  unservable: [{ symbol: '688981.SH', requested: 'bars_1m', reason: 'not served by any routed provider' }],
};

const unit = (symbol: string, tradeDate = '2025-06-05'): UnitKey => ({
  provider: 'tushare',
  dataType: 'bars_1m',
  symbol: symbol as Ticker,
  tradeDate,
});
const ok = (symbol: string, rows = 241, tradeDate?: string): SharedEvent => ({
  type: 'unit:succeeded',
  unit: unit(symbol, tradeDate),
  status: rows > 0 ? 'ok' : 'empty',
  rows,
  attempts: 1,
});
const failed = (symbol: string, message: string): SharedEvent => ({
  type: 'unit:failed',
  unit: unit(symbol),
  status: 'failed',
  error: { code: 'PROVIDER_UNAVAILABLE', message, retryable: true },
  attempts: 3,
});
const entry = (e: SharedEvent): LedgerEntry => {
  if (e.type === 'job:finished') throw new Error('no ledger entry for a job');
  return {
    ...e.unit,
    status: e.status,
    rows: e.type === 'unit:succeeded' ? e.rows : 0,
    attempts: e.attempts,
    errorCode: e.type === 'unit:failed' ? e.error.code : null,
    errorMessage: e.type === 'unit:failed' ? e.error.message : null,
    runId: 'r1',
    updatedAt: 1,
  };
};
const symbolUnits = new Map([
  ['600000.SH', 2],
  ['600519.SH', 1],
  ['000001.SZ', 1],
]);

describe('summarizeDistributedRun', () => {
  it('folds the workers’ events with the pipeline reducer; duplicates count once; requests add up', () => {
    const events: SharedEvent[] = [
      ok('600000.SH'),
      ok('600000.SH', 0, '2025-06-06'),
      failed('600519.SH', 'HTTP 503'),
      ok('000001.SZ'),
      ok('000001.SZ'), // the same unit again: its job ran twice after a crash
      {
        type: 'job:finished',
        jobId: 'j1',
        provider: 'tushare',
        requests: { tushare: 2 },
        followUps: 0,
        aborted: false,
      },
      {
        type: 'job:finished',
        jobId: 'j1',
        provider: 'tushare',
        requests: { tushare: 2 },
        followUps: 0,
        aborted: false,
      },
      {
        type: 'job:finished',
        jobId: 'j2',
        provider: 'tushare',
        requests: { tushare: 1 },
        followUps: 0,
        aborted: false,
      },
    ];
    const s = summarizeDistributedRun({
      meta,
      symbolUnits,
      events,
      ledger: events.filter((e) => e.type !== 'job:finished').map(entry),
      durationMs: 5,
      interrupted: false,
    });
    expect(s).toMatchObject({
      runId: 'r1',
      symbolsTotal: 5,
      symbolsOk: 3, // 600000.SH, 000001.SZ, and 601318.SH (all its units were already done)
      unitsPlanned: 4,
      unitsSkipped: 2,
      unitsOk: 2,
      unitsEmpty: 1,
      unitsFailed: 1,
      unitsUnsupported: 1,
      rowsWritten: 482,
      rowsByTable: { bars: 482 },
      requests: { tushare: 3 },
    });
    expect(s.failedSymbols.map((f) => [f.symbol, f.reasons, f.failureClasses])).toEqual([
      ['600519.SH', ['bars_1m 2025-06-05 via tushare: HTTP 503'], ['transient']],
      ['688981.SH', ['bars_1m: not served by any routed provider'], ['unsupported']],
    ]);
  });

  it('the ledger (newest fenced outcome) wins over a stale worker’s later event', () => {
    // A stale worker published "failed" after the job had succeeded elsewhere; the ledger says ok.
    const events = [ok('600519.SH'), failed('600519.SH', 'timed out')];
    const s = summarizeDistributedRun({
      meta: { ...meta, symbols: ['600519.SH'], symbolsTotal: 1, unservable: [] },
      symbolUnits: new Map([['600519.SH', 1]]),
      events,
      ledger: [entry(ok('600519.SH'))],
      durationMs: 1,
      interrupted: false,
    });
    expect(s).toMatchObject({ symbolsOk: 1, unitsOk: 1, unitsFailed: 0, failedSymbols: [] });
  });

  it('a symbol whose units have no outcome yet is not successful', () => {
    const s = summarizeDistributedRun({
      meta: { ...meta, symbols: ['600000.SH'], symbolsTotal: 1, unservable: [] },
      symbolUnits: new Map([['600000.SH', 2]]),
      events: [ok('600000.SH')],
      ledger: [],
      durationMs: 1,
      interrupted: true,
    });
    expect(s.symbolsOk).toBe(0);
    expect(s.failedSymbols[0]?.reasons[0]).toMatch(/^interrupted: 1 unit\(s\) not done/);
  });
});
