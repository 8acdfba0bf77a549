import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../ledger/ledger-entry.js';
import type { ProviderCapabilities } from '../providers/provider.js';
import { ledgerBatchSize } from './ledger-index.js';
import { streamPlan } from './plan-stream.js';
import type { PlanSpec } from './plan-work.js';
import type { Routing } from './routing.js';

const caps: ProviderCapabilities = {
  dataTypes: ['bars_1d'],
  tickData: 'bars_1m',
  maxDaysPerFetch: { bars_1d: 1 },
  endpoints: [],
  notes: [],
};
const DAYS = ['2025-06-03', '2025-06-04'];

describe('streamPlan', () => {
  it('reads the ledger a batch of symbols ahead of the jobs it yields, and skips what it says is done', async () => {
    // One unit per symbol-day and 2 days: the batch size for 2 units a symbol.
    const batch = ledgerBatchSize(2);
    const symbols = Array.from({ length: batch * 2 + 3 }, (_, i) => `${String(600000 + i)}.SH`);
    const spec: PlanSpec = {
      symbols,
      tradingDays: () => DAYS,
      requested: ['bars_1d'],
      routing: { bars_1d: ['simulated'] } as unknown as Routing,
      capabilities: { simulated: caps },
      resume: true,
    };
    const reads: number[] = [];
    const done = (symbol: string): LedgerEntry => ({
      provider: 'simulated',
      dataType: 'bars_1d',
      symbol,
      tradeDate: '2025-06-04',
      status: 'ok',
      rows: 1,
      attempts: 1,
      errorCode: null,
      errorMessage: null,
      runId: 'r',
      updatedAt: 1,
    });
    const stream = streamPlan({
      spec,
      signal: new AbortController().signal,
      readLedger: async ({ symbols: s }) => {
        reads.push(s.length);
        return s.map(done);
      },
    });
    const first = await stream.next();
    // The first job comes after one ledger read of one batch, not the whole universe.
    expect(reads).toEqual([batch]);
    expect(first.value).toMatchObject({ symbol: symbols[0], tradeDates: ['2025-06-03'] });
    let jobs = 1;
    for await (const job of stream) {
      jobs++;
      expect(job.tradeDates).toEqual(['2025-06-03']); // 06-04 is done everywhere
    }
    expect(jobs).toBe(symbols.length);
    expect(reads).toEqual([batch, batch, 3]);
  });
});
