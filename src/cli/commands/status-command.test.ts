import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../ledger/ledger-entry.js';
import { summarizeLedger } from './status-command.js';

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
