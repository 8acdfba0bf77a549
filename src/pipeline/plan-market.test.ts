import { describe, expect, it } from 'vitest';
import type { ProviderCapabilities } from '../providers/provider.js';
import { planRun } from './plan.js';
import type { Routing } from './routing.js';

const caps: ProviderCapabilities = {
  dataTypes: ['bars_1m', 'bars_1d'],
  tickData: 'bars_1m',
  maxDaysPerFetch: { bars_1m: 30, bars_1d: 250 },
  endpoints: [],
  notes: [],
  marketDayDataTypes: ['bars_1d'],
};
const routing = { bars_1d: ['tushare'], tick_data: ['tushare'] } as unknown as Routing;
const days = ['2025-06-03', '2025-06-04', '2025-06-05'];

function plan(symbols: string[], requested: Array<'bars_1d' | 'tick_data'>) {
  return planRun({
    symbols,
    tradingDays: () => days,
    requested,
    routing,
    capabilities: { tushare: caps },
    ledger: new Map(),
    resume: true,
  });
}

describe('planRun with whole-market data types', () => {
  it('uses one market job per trading day when that needs fewer calls than per-symbol jobs', () => {
    const p = plan(['600000.SH', '600519.SH', '000001.SZ', '300750.SZ'], ['bars_1d', 'tick_data']);
    const market = p.jobs.filter((j) => j.market);
    expect(market.map((j) => j.tradeDates[0])).toEqual(['2025-06-05', '2025-06-04', '2025-06-03']);
    expect(
      market.every(
        (j) => j.symbol === '*' && j.units.length === 4 && j.units.every((u) => u.dataType === 'bars_1d'),
      ),
    ).toBe(true);
    // 1-minute bars stay per symbol.
    const perSymbol = p.jobs.filter((j) => !j.market);
    expect(perSymbol).toHaveLength(4);
    expect(perSymbol.every((j) => j.units.every((u) => u.dataType === 'bars_1m'))).toBe(true);
    expect(p.unitCount).toBe(24);
  });

  it('keeps per-symbol jobs when they need fewer calls (few symbols, many days)', () => {
    const p = plan(['600000.SH', '600519.SH'], ['bars_1d']);
    expect(p.jobs.some((j) => j.market)).toBe(false);
    expect(p.jobs).toHaveLength(2);
  });
});

describe('estimateCalls', () => {
  it('counts calls per endpoint (daily bars cost daily + adj_factor) and takes the slowest endpoint', async () => {
    const { estimateCalls } = await import('./create-pipeline.js');
    const provider = {
      name: 'tushare',
      capabilities: {
        ...caps,
        endpointsOf: { bars_1m: ['stk_mins'], bars_1d: ['daily', 'adj_factor'] },
        endpoints: [
          { name: 'stk_mins', requestsPerMinute: 2 },
          { name: 'daily', requestsPerMinute: 100 },
          { name: 'adj_factor', requestsPerMinute: 100 },
        ],
      },
    } as unknown as import('../providers/provider.js').Provider;
    const p = plan(['600000.SH', '600519.SH', '000001.SZ', '300750.SZ'], ['bars_1d', 'tick_data']);
    const e = estimateCalls(provider, p.jobs);
    expect(e.perEndpoint).toEqual({ daily: 3, adj_factor: 3, stk_mins: 4 });
    expect(e.calls).toBe(10);
    expect(e.minDurationMs).toBe(120_000); // 4 stk_mins calls at 2/min
  });
});
