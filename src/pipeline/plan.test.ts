import { describe, expect, it } from 'vitest';
import type { RequestedDataType } from '../domain/data-type.js';
import { unitKeyString, type LedgerEntry, type UnitKey, type UnitStatus } from '../ledger/ledger-entry.js';
import type { ProviderCapabilities } from '../providers/provider.js';
import { indexLedger, planRun, type PlanInput } from './plan.js';
import type { Routing } from './routing.js';

const trades: ProviderCapabilities = {
  dataTypes: ['ticks', 'bars_1m', 'bars_1d', 'order_book'],
  tickData: 'ticks',
  maxDaysPerFetch: { ticks: 1, bars_1m: 1, bars_1d: 1, order_book: 1 },
  endpoints: [],
  notes: [],
};
const bars: ProviderCapabilities = {
  dataTypes: ['bars_1m', 'bars_1d'],
  tickData: 'bars_1m',
  maxDaysPerFetch: { bars_1m: 2, bars_1d: 30 },
  endpoints: [],
  notes: [],
};

const DAYS = ['2025-06-03', '2025-06-04', '2025-06-05', '2025-06-06', '2025-06-09'];

function routingAll(chain: string[]): Routing {
  const types: RequestedDataType[] = ['tick_data', 'order_book', 'factors', 'ticks', 'bars_1m', 'bars_1d'];
  return Object.fromEntries(types.map((t) => [t, chain])) as Routing;
}

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    symbols: ['600000.SH', '000001.SZ'],
    tradingDays: () => DAYS.slice(0, 3),
    requested: ['order_book'],
    routing: routingAll(['simulated']),
    capabilities: { simulated: trades, yahoo: bars },
    ledger: new Map(),
    resume: true,
    ...over,
  };
}

function ledgerOf(entries: Array<UnitKey & { status: UnitStatus }>): Map<string, LedgerEntry> {
  return indexLedger(
    entries.map((e, i) => ({
      ...e,
      rows: e.status === 'ok' ? 10 : 0,
      attempts: 1,
      errorCode: null,
      errorMessage: null,
      runId: 'r1',
      updatedAt: 1_000 + i,
    })),
  );
}

const keysOf = (plan: ReturnType<typeof planRun>) =>
  plan.jobs.flatMap((j) => j.units.map((u) => unitKeyString(u))).sort();

describe('planRun', () => {
  it('plans one unit per symbol × trading day × requested type', () => {
    const plan = planRun(input({ requested: ['order_book', 'bars_1d'] }));
    expect(plan.unitCount).toBe(2 * 3 * 2);
    expect(keysOf(plan)).toHaveLength(12);
    expect(new Set(keysOf(plan)).size).toBe(12);
    expect(plan.skipped).toBe(0);
    expect(plan.unservable).toEqual([]);
    expect(plan.symbols).toEqual(['600000.SH', '000001.SZ']);
    for (const j of plan.jobs) {
      expect(j.provider).toBe('simulated');
      expect(j.units.every((u) => u.symbol === j.symbol && j.tradeDates.includes(u.tradeDate))).toBe(true);
    }
  });

  it('expands tick_data to ticks + bars_1m + bars_1d on a trades provider and to bars_1m on a bars provider', () => {
    const onTrades = planRun(
      input({ symbols: ['600000.SH'], tradingDays: () => ['2025-06-05'], requested: ['tick_data'] }),
    );
    expect(onTrades.jobs.flatMap((j) => j.units.map((u) => u.dataType)).sort()).toEqual([
      'bars_1d',
      'bars_1m',
      'ticks',
    ]);
    expect(
      onTrades.jobs.flatMap((j) => j.units).every((u) => u.requested === 'tick_data' && u.chainIndex === 0),
    ).toBe(true);

    const onBars = planRun(
      input({
        symbols: ['AAPL'],
        tradingDays: () => ['2025-06-05'],
        requested: ['tick_data'],
        routing: routingAll(['yahoo']),
      }),
    );
    expect(onBars.jobs.flatMap((j) => j.units.map((u) => `${u.provider}:${u.dataType}`))).toEqual([
      'yahoo:bars_1m',
    ]);
  });

  it('does not plan a unit twice when tick_data and bars_1m name the same unit', () => {
    const plan = planRun(
      input({
        symbols: ['AAPL'],
        tradingDays: () => ['2025-06-05'],
        requested: ['tick_data', 'bars_1m'],
        routing: routingAll(['yahoo']),
      }),
    );
    expect(keysOf(plan)).toEqual(['yahoo|bars_1m|AAPL|2025-06-05']);
  });

  it('skips units the ledger has ok or empty, re-plans failed and unsupported ones, and ignores the ledger with resume=false', () => {
    const base = { provider: 'simulated', dataType: 'order_book' as const, symbol: '600000.SH' };
    const ledger = ledgerOf([
      { ...base, tradeDate: DAYS[0] as string, status: 'ok' },
      { ...base, tradeDate: DAYS[1] as string, status: 'empty' },
      { ...base, tradeDate: DAYS[2] as string, status: 'failed' },
      { ...base, symbol: '000001.SZ', tradeDate: DAYS[0] as string, status: 'unsupported' },
    ]);
    const plan = planRun(input({ ledger }));
    expect(plan.skipped).toBe(2);
    expect(keysOf(plan)).not.toContain(`simulated|order_book|600000.SH|${DAYS[0]}`);
    expect(keysOf(plan)).not.toContain(`simulated|order_book|600000.SH|${DAYS[1]}`);
    expect(plan.unitCount).toBe(4);
    expect(keysOf(plan)).toContain(`simulated|order_book|600000.SH|${DAYS[2]}`);
    expect(keysOf(plan)).toContain(`simulated|order_book|000001.SZ|${DAYS[0]}`);

    const fresh = planRun(input({ ledger, resume: false }));
    expect(fresh.skipped).toBe(0);
    // Done units planned again are marked as rewrites.
    expect(fresh.jobs.flatMap((j) => j.units).filter((u) => u.rewrite)).toHaveLength(2);
    expect(fresh.unitCount).toBe(6);
  });

  it('counts a unit done by a later provider of its chain as done', () => {
    const ledger = ledgerOf([
      { provider: 'yahoo', dataType: 'bars_1d', symbol: '600000.SH', tradeDate: '2025-06-05', status: 'ok' },
    ]);
    const plan = planRun(
      input({
        symbols: ['600000.SH'],
        tradingDays: () => ['2025-06-05'],
        requested: ['bars_1d'],
        routing: routingAll(['simulated', 'yahoo']),
        ledger,
      }),
    );
    expect(plan.unitCount).toBe(0);
    expect(plan.skipped).toBe(1);
  });

  it('counts a tick_data ticks unit done when the fallback bars provider has its bars_1m', () => {
    const ledger = ledgerOf([
      { provider: 'yahoo', dataType: 'bars_1m', symbol: '600000.SH', tradeDate: '2025-06-05', status: 'ok' },
      { provider: 'yahoo', dataType: 'bars_1d', symbol: '600000.SH', tradeDate: '2025-06-05', status: 'ok' },
    ]);
    const plan = planRun(
      input({
        symbols: ['600000.SH'],
        tradingDays: () => ['2025-06-05'],
        requested: ['tick_data'],
        routing: routingAll(['simulated', 'yahoo']),
        ledger,
      }),
    );
    expect(keysOf(plan)).not.toContain('simulated|ticks|600000.SH|2025-06-05');
  });

  it('chunks consecutive trading days up to maxDaysPerFetch and never across a gap', () => {
    const days = DAYS; // 5 consecutive trading days
    const chunked = planRun(
      input({
        symbols: ['AAPL'],
        tradingDays: () => days,
        requested: ['bars_1m'],
        routing: routingAll(['yahoo']),
      }),
    );
    // maxDaysPerFetch.bars_1m = 2; recent days first.
    expect(chunked.jobs.map((j) => j.tradeDates)).toEqual([
      [days[4]],
      [days[2], days[3]],
      [days[0], days[1]],
    ]);
    expect(chunked.jobs.every((j) => j.units.length === j.tradeDates.length)).toBe(true);

    // A done day in the middle: days 2 and 4 are not consecutive among those left.
    const ledger = ledgerOf([
      { provider: 'yahoo', dataType: 'bars_1m', symbol: 'AAPL', tradeDate: days[2] as string, status: 'ok' },
    ]);
    const gapped = planRun(
      input({
        symbols: ['AAPL'],
        tradingDays: () => days,
        requested: ['bars_1d'],
        routing: routingAll(['yahoo']),
        ledger: new Map(),
      }),
    );
    expect(gapped.jobs.map((j) => j.tradeDates)).toEqual([days]); // bars_1d: up to 30 days per fetch
    const withGap = planRun(
      input({
        symbols: ['AAPL'],
        tradingDays: () => days,
        requested: ['bars_1m', 'bars_1d'],
        routing: routingAll(['yahoo']),
        ledger,
      }),
    );
    // Each type keeps its own span per fetch (bars_1m 2 days, bars_1d up to 30 in separate
    // jobs), and no job spans days[1]..days[3] across the done day.
    for (const j of withGap.jobs) {
      const types = new Set(j.units.map((u) => u.dataType));
      expect(types.size).toBe(1);
      expect(j.tradeDates.length).toBeLessThanOrEqual(types.has('bars_1m') ? 2 : 30);
      const idx = j.tradeDates.map((d) => days.indexOf(d));
      for (let k = 1; k < idx.length; k++) expect(idx[k]).toBe((idx[k - 1] as number) + 1);
    }
    expect([...new Set(withGap.jobs.flatMap((j) => j.tradeDates))].sort()).toEqual([...days].sort());
    expect(withGap.unitCount).toBe(9);
  });

  it('does not chunk across a gap in the symbol calendar (non-consecutive trading days)', () => {
    // With 06-04 done, 06-03 and 06-06 are left: not consecutive trading days, so two jobs.
    const cal = ['2025-06-03', '2025-06-04', '2025-06-06'];
    const ledger = ledgerOf([
      { provider: 'yahoo', dataType: 'bars_1d', symbol: 'AAPL', tradeDate: '2025-06-04', status: 'ok' },
    ]);
    const plan = planRun(
      input({
        symbols: ['AAPL'],
        tradingDays: () => cal,
        requested: ['bars_1d'],
        routing: routingAll(['yahoo']),
        ledger,
      }),
    );
    expect(plan.jobs.map((j) => j.tradeDates)).toEqual([['2025-06-06'], ['2025-06-03']]);
  });

  it('schedules priority symbols first, then the input order, recent days first within a symbol', () => {
    const plan = planRun(
      input({
        symbols: ['A.X', 'B.X', 'C.X'],
        priority: ['C.X', 'B.X'],
        tradingDays: () => DAYS.slice(0, 3),
        requested: ['bars_1d'],
        capabilities: { simulated: { ...trades, maxDaysPerFetch: {} } },
      }),
    );
    expect(plan.jobs.map((j) => `${j.symbol} ${j.tradeDates.join(',')}`)).toEqual([
      `C.X ${DAYS[2]}`,
      `C.X ${DAYS[1]}`,
      `C.X ${DAYS[0]}`,
      `B.X ${DAYS[2]}`,
      `B.X ${DAYS[1]}`,
      `B.X ${DAYS[0]}`,
      `A.X ${DAYS[2]}`,
      `A.X ${DAYS[1]}`,
      `A.X ${DAYS[0]}`,
    ]);
  });

  it('reports units no provider in the chain serves as unservable, and starts at the first provider that serves', () => {
    const plan = planRun(
      input({
        requested: ['order_book', 'bars_1d'],
        routing: { ...routingAll(['yahoo']), bars_1d: ['yahoo'] },
      }),
    );
    expect(plan.unservable).toHaveLength(1);
    expect(plan.unservable[0]).toMatchObject({
      requested: 'order_book',
      dataType: 'order_book',
      provider: 'yahoo',
      units: 2 * 3,
    });
    expect(plan.unservable[0]?.reason).toContain('order_book');
    expect(plan.unitCount).toBe(2 * 3);
    expect(plan.jobs.every((j) => j.units.every((u) => u.dataType === 'bars_1d'))).toBe(true);

    const second = planRun(input({ requested: ['order_book'], routing: routingAll(['yahoo', 'simulated']) }));
    expect(second.unservable).toEqual([]);
    expect(
      second.jobs.flatMap((j) => j.units).every((u) => u.provider === 'simulated' && u.chainIndex === 1),
    ).toBe(true);
  });

  it('restricts the plan to onlyUnits', () => {
    const only = new Set([`simulated|order_book|000001.SZ|${DAYS[1]}`]);
    const plan = planRun(input({ onlyUnits: only }));
    expect(keysOf(plan)).toEqual([...only]);
    expect(plan.jobs).toHaveLength(1);
  });

  it('is deterministic', () => {
    const i = input({
      symbols: ['A.X', 'B.X', 'C.X'],
      requested: ['tick_data', 'order_book', 'factors'],
      priority: ['B.X'],
    });
    const a = planRun(i);
    const b = planRun(i);
    expect(b).toEqual(a);
    expect(a.jobs.map((j) => j.id)).toEqual(b.jobs.map((j) => j.id));
    expect(new Set(a.jobs.map((j) => j.id)).size).toBe(a.jobs.length);
  });
});

describe('indexLedger', () => {
  it('keeps the latest entry per unit', () => {
    const key = { provider: 'simulated', dataType: 'ticks' as const, symbol: 'A.X', tradeDate: '2025-06-05' };
    const e = (status: UnitStatus, updatedAt: number): LedgerEntry => ({
      ...key,
      status,
      rows: 0,
      attempts: 1,
      errorCode: null,
      errorMessage: null,
      runId: 'r',
      updatedAt,
    });
    const m = indexLedger([e('ok', 5), e('failed', 3), e('empty', 4)]);
    expect(m.size).toBe(1);
    expect(m.get(unitKeyString(key))?.status).toBe('ok');
  });
});
