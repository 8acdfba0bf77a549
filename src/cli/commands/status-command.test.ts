import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../ledger/ledger-entry.js';
import { statusDocument, summarizeLedger } from './status-command.js';

function entry(patch: Partial<LedgerEntry>): LedgerEntry {
  return {
    provider: 'simulated',
    dataType: 'ticks',
    symbol: '600000.SH',
    tradeDate: '2025-06-05',
    status: 'ok',
    rows: 10,
    attempts: 1,
    errorCode: null,
    errorMessage: null,
    runId: 'r1',
    updatedAt: 0,
    ...patch,
  };
}

describe('summarizeLedger', () => {
  it('counts units and rows per provider, data type and status, sorted', () => {
    expect(
      summarizeLedger([
        entry({ symbol: 'a' }),
        entry({ symbol: 'b', rows: 5 }),
        entry({ symbol: 'c', status: 'failed', rows: 0 }),
        entry({ provider: 'tushare', dataType: 'bars_1m', rows: 240 }),
        entry({ dataType: 'order_book', status: 'empty', rows: 0 }),
      ]),
    ).toEqual([
      ['simulated', 'order_book', 'empty', 1, 0],
      ['simulated', 'ticks', 'failed', 1, 0],
      ['simulated', 'ticks', 'ok', 2, 15],
      ['tushare', 'bars_1m', 'ok', 1, 240],
    ]);
  });

  it('is empty for an empty ledger', () => {
    expect(summarizeLedger([])).toEqual([]);
  });
});

describe('statusDocument', () => {
  it('is one JSON-ready document: summary, failed units (first `limit`), missing symbol-days', () => {
    const entries = [
      entry({ symbol: '600000.SH', tradeDate: '2025-06-05' }),
      entry({
        symbol: '600000.SH',
        tradeDate: '2025-06-06',
        status: 'failed',
        rows: 0,
        errorCode: 'PROVIDER_UNAVAILABLE',
        errorMessage: 'down',
      }),
      entry({
        symbol: '000001.SZ',
        tradeDate: '2025-06-05',
        status: 'failed',
        rows: 0,
        errorCode: 'PROVIDER_NOT_FOUND',
        errorMessage: '无此代码',
      }),
    ];
    const doc = statusDocument({
      entries,
      limit: 1,
      runId: 'r1',
      missingCheck: {
        symbols: ['600000.SH'],
        range: { start: '2025-06-05', end: '2025-06-06' },
        requested: ['ticks'],
      },
    });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    expect(doc.runId).toBe('r1');
    expect(doc.units).toBe(3);
    expect(doc.summary).toEqual([
      { provider: 'simulated', dataType: 'ticks', status: 'failed', units: 2, rows: 0 },
      { provider: 'simulated', dataType: 'ticks', status: 'ok', units: 1, rows: 10 },
    ]);
    expect(doc.failed.total).toBe(2);
    expect(doc.failed.units).toEqual([
      expect.objectContaining({ symbol: '000001.SZ', errorCode: 'PROVIDER_NOT_FOUND', reason: '无此代码' }),
    ]);
    expect(doc.missing).toEqual({
      total: 1,
      cells: [{ symbol: '600000.SH', tradeDate: '2025-06-06', dataType: 'ticks' }],
    });
  });

  it('has no missing section without symbols and dates', () => {
    expect(statusDocument({ entries: [], limit: 5 }).missing).toBeNull();
  });
});
