/**
 * `runJob` on its own: a scripted provider double, the memory store, the real gate. Pins the
 * job-outcome contract: unit outcomes as data, follow-up jobs instead of recursion, request
 * counts, the write-then-ledger order, and how failures feed the shared gate.
 */
import { describe, expect, it } from 'vitest';
import { barsOf, adjFactorOf, unitKey } from '../../test/fixtures/rows.js';
import type { ConcreteDataType } from '../domain/data-type.js';
import type { RowSet } from '../domain/rows.js';
import { IngestError } from '../errors.js';
import { createFakeClock } from '../limits/clock.js';
import { createRateLimitGate } from '../limits/rate-limit-gate.js';
import type { RateLimitFeedback, RequestGate } from '../limits/request-gate.js';
import type { FetchParams, FetchResult, Provider, ProviderCapabilities } from '../providers/provider.js';
import { createMemoryStore } from '../storage/memory/memory-store.js';
import type { Store } from '../storage/store.js';
import type { PipelineEvent } from './events.js';
import type { Job, PlannedUnit } from './plan.js';
import type { Routing } from './routing.js';
import { runJob, type JobDeps } from './run-job.js';

const DAYS = ['2025-06-05', '2025-06-06'];

const capabilities: ProviderCapabilities = {
  dataTypes: ['bars_1m', 'bars_1d'],
  tickData: 'bars_1m',
  maxDaysPerFetch: {},
  endpoints: [{ name: 'daily', requestsPerMinute: undefined }],
  notes: [],
};

/** A provider whose answers come from `script` (called per fetch); the default serves bars. */
function scriptedProvider(
  name: string,
  script: (params: FetchParams, call: number) => Promise<FetchResult> | FetchResult | undefined = () =>
    undefined,
): Provider & { calls: FetchParams[] } {
  const calls: FetchParams[] = [];
  return {
    name,
    capabilities,
    calls,
    universe: async () => [],
    tradingDays: async () => DAYS,
    async fetch(params) {
      calls.push(params);
      const scripted = await script(params, calls.length);
      if (scripted) return scripted;
      return { byDate: new Map(params.tradeDates.map((d) => [d, rowsFor(name, params.dataType, d)])) };
    },
    close: async () => {},
  };
}

function rowsFor(provider: string, dataType: ConcreteDataType, tradeDate: string): RowSet {
  const unit = unitKey({ provider, dataType, tradeDate });
  return dataType === 'bars_1d'
    ? { bars: barsOf(unit, 1), adjFactors: [adjFactorOf(unit)] }
    : { bars: barsOf(unit, 3) };
}

function jobOf(provider: string, dataType: ConcreteDataType, chainIndex = 0): Job {
  const units: PlannedUnit[] = DAYS.map((tradeDate) => ({
    provider,
    dataType,
    symbol: '600000.SH',
    tradeDate,
    requested: dataType === 'bars_1d' ? 'bars_1d' : 'bars_1m',
    chainIndex,
  }));
  return { id: `${provider}:600000.SH`, provider, symbol: '600000.SH', tradeDates: DAYS, units };
}

function setup(providers: Provider[], over: Partial<JobDeps> = {}) {
  const clock = createFakeClock(Date.UTC(2025, 5, 7));
  const events: PipelineEvent[] = [];
  const store: Store = createMemoryStore();
  const gate = createRateLimitGate({ clock, limitFor: () => undefined });
  const routing = {
    bars_1d: providers.map((p) => p.name),
    bars_1m: providers.map((p) => p.name),
  } as unknown as Routing;
  const deps: JobDeps = {
    runId: 'run-1',
    providers: new Map(providers.map((p) => [p.name, p])),
    routing,
    store,
    gate,
    emit: (e) => events.push(e),
    retry: {
      maxAttempts: 3,
      baseDelayMs: 10,
      maxDelayMs: 100,
      rateLimitRetries: 5,
      storeWriteAttempts: 3,
      ledgerWriteAttempts: 3,
    },
    clock,
    random: () => 0.5,
    redact: (s) => s.replaceAll('secret-token', '[redacted]'),
    computeFactors: () => [],
    quarantine: new Map(),
    ...over,
  };
  return { clock, events, store, deps };
}

const never = new AbortController().signal;

describe('runJob', () => {
  it('returns each unit outcome and the requests it sent, writing rows before the ledger', async () => {
    const provider = scriptedProvider('tushare');
    const { deps, store, events } = setup([provider]);
    const outcome = await runJob(jobOf('tushare', 'bars_1d'), deps, never);
    expect(outcome).toEqual({
      jobId: 'tushare:600000.SH',
      units: DAYS.map((tradeDate) => ({
        unit: { provider: 'tushare', dataType: 'bars_1d', symbol: '600000.SH', tradeDate },
        status: 'ok',
        rows: 2,
        attempts: 1,
      })),
      followUps: [],
      requests: { tushare: 1 },
    });
    const ledger = await store.readLedger({});
    expect(ledger.map((e) => [e.tradeDate, e.status, e.rows])).toEqual([
      ['2025-06-05', 'ok', 2],
      ['2025-06-06', 'ok', 2],
    ]);
    expect(events.at(-1)).toEqual({
      type: 'job:finished',
      jobId: 'tushare:600000.SH',
      provider: 'tushare',
      requests: { tushare: 1 },
      followUps: 0,
      aborted: false,
    });
  });

  it('hands units the provider cannot serve back as a follow-up job for the next provider, without running it', async () => {
    const primary = scriptedProvider('tushare', () => {
      throw new IngestError('PROVIDER_PERMISSION', 'no permission for stk_mins', { retryable: false });
    });
    const next = scriptedProvider('yahoo');
    const { deps, store, events } = setup([primary, next]);
    const outcome = await runJob(jobOf('tushare', 'bars_1m'), deps, never);
    expect(next.calls).toEqual([]); // not recursed into
    expect(outcome.units.map((u) => [u.status, u.fallbackTo])).toEqual([
      ['unsupported', 'yahoo'],
      ['unsupported', 'yahoo'],
    ]);
    expect(outcome.followUps).toHaveLength(1);
    expect(outcome.followUps[0]).toMatchObject({ provider: 'yahoo', symbol: '600000.SH', tradeDates: DAYS });
    expect(outcome.followUps[0]?.units.map((u) => [u.provider, u.chainIndex])).toEqual([
      ['yahoo', 1],
      ['yahoo', 1],
    ]);
    expect((await store.readLedger({})).map((e) => e.status)).toEqual(['unsupported', 'unsupported']);
    expect(events.filter((e) => e.type === 'unit:fallback')).toHaveLength(2);
    // The follow-up is an ordinary job: running it serves the units.
    const second = await runJob(outcome.followUps[0] as Job, deps, never);
    expect(second.units.map((u) => u.status)).toEqual(['ok', 'ok']);
    expect(second.requests).toEqual({ yahoo: 1 });
  });

  it('absorbs rate-limit answers without using attempts and pauses the shared window', async () => {
    const provider = scriptedProvider('tushare', (_p, call) => {
      if (call <= 4) {
        throw new IngestError('PROVIDER_RATE_LIMITED', '每分钟最多访问该接口2次', {
          context: { endpoint: 'daily', keyIndex: 0, statedLimitPerMinute: 2 },
        });
      }
      return undefined;
    });
    const feedback: RateLimitFeedback[] = [];
    const { deps } = setup([provider]);
    const gate: RequestGate = {
      ...deps.gate,
      acquire: (p) => deps.gate.acquire(p),
      onRateLimited: async (f) => {
        feedback.push(f);
      },
      disableKey: (p) => deps.gate.disableKey(p),
    };
    const outcome = await runJob(jobOf('tushare', 'bars_1d'), { ...deps, gate }, never);
    expect(outcome.units.map((u) => [u.status, u.attempts])).toEqual([
      ['ok', 1],
      ['ok', 1],
    ]);
    expect(outcome.requests).toEqual({ tushare: 5 });
    expect(feedback).toHaveLength(4);
    expect(feedback[0]).toEqual({
      provider: 'tushare',
      endpoint: 'daily',
      keyIndex: 0,
      statedLimitPerMinute: 2,
    });
  });

  it('disables a rejected key for its provider on every endpoint and tries the next key', async () => {
    const provider = scriptedProvider('tushare', (_p, call) => {
      if (call === 1) {
        throw new IngestError('PROVIDER_AUTH', 'token secret-token rejected', {
          retryable: false,
          context: { endpoint: 'daily', keyIndex: 0 },
        });
      }
      return undefined;
    });
    const { deps, events } = setup([provider]);
    const outcome = await runJob(jobOf('tushare', 'bars_1d'), deps, never);
    expect(outcome.units.map((u) => u.status)).toEqual(['ok', 'ok']);
    expect(events).toContainEqual({
      type: 'provider:key-disabled',
      provider: 'tushare',
      keyIndex: 0,
      reason: 'token [redacted] rejected',
    });
    // Key 0 is gone for the provider on other endpoints too (planning calls included).
    for (const endpoint of ['stk_mins', 'trade_cal']) {
      await expect(
        deps.gate.acquire({ provider: 'tushare', endpoint, keyCount: 2, signal: never }),
      ).resolves.toMatchObject({ keyIndex: 1 });
    }
    await expect(
      deps.gate.acquire({ provider: 'tushare', endpoint: 'stock_basic', signal: never }),
    ).rejects.toMatchObject({
      code: 'PROVIDER_AUTH',
    });
  });

  it('retries a transiently failing store write with backoff, and records the ledger only after it', async () => {
    const provider = scriptedProvider('tushare');
    const inner = createMemoryStore();
    const order: string[] = [];
    let writes = 0;
    const store: Store = {
      ...inner,
      kind: inner.kind,
      init: () => inner.init(),
      readLedger: (p) => inner.readLedger(p),
      query: (p) => inner.query(p),
      close: () => inner.close(),
      async write(p) {
        writes++;
        order.push(`write ${writes}`);
        if (writes < 3) throw new IngestError('STORAGE_FAILED', 'connection reset');
        await inner.write(p);
      },
      async writeLedger(p) {
        order.push('ledger');
        await inner.writeLedger(p);
      },
    };
    const { deps, clock } = setup([provider], { store });
    const running = runJob(jobOf('tushare', 'bars_1d'), deps, never);
    await clock.advance(1_000);
    const outcome = await running;
    expect(order).toEqual(['write 1', 'write 2', 'write 3', 'ledger']);
    expect(outcome.units.map((u) => u.status)).toEqual(['ok', 'ok']);
  });

  it('fails the job units with STORAGE_FAILED when every write attempt fails', async () => {
    const provider = scriptedProvider('tushare');
    const inner = createMemoryStore();
    const store: Store = Object.assign(Object.create(inner) as Store, {
      write: async () => {
        throw new IngestError('STORAGE_FAILED', 'disk full');
      },
    });
    const { deps, clock } = setup([provider], { store });
    const running = runJob(jobOf('tushare', 'bars_1d'), deps, never);
    await clock.advance(1_000);
    const outcome = await running;
    expect(outcome.units.map((u) => [u.status, u.error?.code])).toEqual([
      ['failed', 'STORAGE_FAILED'],
      ['failed', 'STORAGE_FAILED'],
    ]);
  });

  it('quarantines a symbol the provider does not know and fails its other data types without asking', async () => {
    const provider = scriptedProvider('tushare', () => {
      throw new IngestError('PROVIDER_NOT_FOUND', 'unknown symbol 600000.SH', { retryable: false });
    });
    const { deps } = setup([provider]);
    const job = jobOf('tushare', 'bars_1m');
    job.units.push(...jobOf('tushare', 'bars_1d').units);
    const outcome = await runJob(job, deps, never);
    expect(provider.calls).toHaveLength(1);
    expect(outcome.units.map((u) => [u.unit.dataType, u.status])).toEqual([
      ['bars_1m', 'failed'],
      ['bars_1m', 'failed'],
      ['bars_1d', 'failed'],
      ['bars_1d', 'failed'],
    ]);
    expect(deps.quarantine?.get('600000.SH')?.code).toBe('PROVIDER_NOT_FOUND');
  });

  it('rejects with ABORTED when aborted during a backoff, reporting the job finished as aborted', async () => {
    const provider = scriptedProvider('tushare', () => {
      throw new IngestError('PROVIDER_UNAVAILABLE', 'HTTP 503');
    });
    const { deps, events, clock } = setup([provider]);
    const controller = new AbortController();
    const running = runJob(jobOf('tushare', 'bars_1d'), deps, controller.signal);
    await clock.advance(0);
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    expect(events.at(-1)).toMatchObject({ type: 'job:finished', aborted: true, requests: { tushare: 1 } });
  });
});
