import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import type { ConcreteDataType } from '../../domain/data-type.js';
import { parseTicker } from '../../domain/ticker.js';
import type { IngestError } from '../../errors.js';
import type { AcquireParams, RequestGate } from '../../limits/request-gate.js';
import { unlimitedGate } from '../../limits/request-gate.js';
import type { ProviderDeps } from '../provider.js';
import { silentLogger } from '../../limits/logger.js';
import type { SimulatedProviderConfig, SimulatedProviderOptions } from './simulated-provider.js';
import { createSimulatedProvider } from './simulated-provider.js';

const signal = new AbortController().signal;

function config(overrides: Partial<SimulatedProviderConfig> = {}): SimulatedProviderConfig {
  return { ...configSchema.parse({}).providers.simulated, ...overrides };
}

function deps(gate: RequestGate = unlimitedGate): ProviderDeps {
  return {
    fetch: () => Promise.reject(new Error('the simulator must not use the network')),
    gate,
    now: () => 0,
    logger: silentLogger,
  };
}

function provider(overrides: Partial<SimulatedProviderConfig> = {}, options: SimulatedProviderOptions = {}) {
  return createSimulatedProvider(config(overrides), deps(), options);
}

async function caught(promise: Promise<unknown>): Promise<IngestError> {
  try {
    await promise;
  } catch (error) {
    return error as IngestError;
  }
  throw new Error('expected a rejection');
}

const fetchOne = (
  p: ReturnType<typeof provider>,
  dataType: ConcreteDataType,
  symbol: string,
  tradeDate: string,
) => p.fetch({ dataType, symbol, tradeDates: [tradeDate], signal });

describe('simulated provider', () => {
  it('declares its capabilities', () => {
    const p = provider();
    expect(p.name).toBe('simulated');
    expect([...p.capabilities.dataTypes].sort()).toEqual(['bars_1d', 'bars_1m', 'order_book', 'ticks']);
    expect(p.capabilities.tickData).toBe('ticks');
    expect(p.capabilities.maxDaysPerFetch.ticks).toBe(1);
    expect(p.capabilities.endpoints[0]).toMatchObject({ name: 'market', requestsPerMinute: undefined });
    const limited = provider({ rate_limit: { requests_per_minute: 6000, per_api: {} } });
    expect(limited.capabilities.endpoints[0]?.requestsPerMinute).toBe(6000);
  });

  it('lists a sorted universe of valid A-share codes with the well-known symbols', async () => {
    const listed = await provider({ universe_size: 150 }).universe({ includeDelisted: false, signal });
    expect(listed).toHaveLength(150);
    expect(listed).toEqual([...listed].sort());
    expect(new Set(listed).size).toBe(150);
    for (const s of ['000001.SZ', '000002.SZ', '600000.SH', '600519.SH']) expect(listed).toContain(s);
    for (const s of listed) expect(parseTicker(s).board).not.toBe('other');
    const boards = new Set(listed.map((s) => parseTicker(s).board));
    expect([...boards].sort()).toEqual(['bse', 'chinext', 'sse_main', 'star', 'szse_main']);
    expect(await provider({ universe_size: 150 }).universe({ includeDelisted: false, signal })).toEqual(
      listed,
    );
    expect(
      await provider({ universe_size: 150, seed: 7 }).universe({ includeDelisted: false, signal }),
    ).not.toEqual(listed);
    expect(await provider({ universe_size: 2 }).universe({ includeDelisted: false, signal })).toHaveLength(2);
  });

  it('adds delisted symbols that have no data after their delisting', async () => {
    const p = provider({ universe_size: 150 });
    const listed = await p.universe({ includeDelisted: false, signal });
    const all = await p.universe({ includeDelisted: true, signal });
    const delisted = all.filter((s) => !listed.includes(s));
    expect(delisted.length).toBeGreaterThanOrEqual(3);
    expect(all).toEqual([...all].sort());
    const symbol = delisted[0] as string;
    const early = await fetchOne(p, 'bars_1d', symbol, '2024-01-02');
    const late = await fetchOne(p, 'bars_1d', symbol, '2026-12-31');
    expect(early.byDate.get('2024-01-02')?.bars).toHaveLength(1);
    expect(late.byDate.get('2026-12-31')).toEqual({});
  });

  it('serves every data type for the README example with source "simulated" and prevClose', async () => {
    const p = provider();
    for (const [dataType, key, count] of [
      ['ticks', 'ticks', undefined],
      ['bars_1m', 'bars', 241],
      ['bars_1d', 'bars', 1],
      ['order_book', 'books', 4742],
    ] as const) {
      const result = await fetchOne(p, dataType, '600519.SH', '2025-06-05');
      const rows = result.byDate.get('2025-06-05');
      expect(result.errors).toBeUndefined();
      expect(rows?.prevClose).toBeGreaterThan(0);
      const list = rows?.[key] as { source: string }[];
      if (count !== undefined) expect(list).toHaveLength(count);
      expect(list.length).toBeGreaterThan(0);
      for (const row of list) expect(row.source).toBe('simulated');
    }
  });

  it('answers a weekend or holiday with a confirmed-empty row set', async () => {
    const p = provider();
    for (const day of ['2025-06-07', '2025-10-01']) {
      const result = await fetchOne(p, 'ticks', '000001.SZ', day);
      expect(result.byDate.get(day)).toEqual({});
    }
  });

  it('reports dates beyond its calendar per date as unsupported', async () => {
    const result = await fetchOne(provider(), 'ticks', '000001.SZ', '2027-01-04');
    expect(result.byDate.size).toBe(0);
    expect(result.errors?.get('2027-01-04')).toMatchObject({
      code: 'PROVIDER_UNSUPPORTED',
      retryable: false,
    });
  });

  it('fetches any A-share stock code, deterministically, and refuses other tickers', async () => {
    const a = await fetchOne(provider({ universe_size: 10 }), 'bars_1d', '603999.SH', '2025-06-05');
    const b = await fetchOne(provider({ universe_size: 500 }), 'bars_1d', '603999.SH', '2025-06-05');
    expect(a.byDate.get('2025-06-05')?.bars).toHaveLength(1);
    expect(b).toEqual(a);
    for (const symbol of ['AAPL', '510300.SH', '600000.XX', 'garbage']) {
      const error = await caught(fetchOne(provider(), 'ticks', symbol, '2025-06-05'));
      expect(error).toMatchObject({ code: 'PROVIDER_NOT_FOUND', retryable: false });
    }
    const error = await caught(fetchOne(provider(), 'factors', '600000.SH', '2025-06-05'));
    expect(error.code).toBe('PROVIDER_UNSUPPORTED');
  });

  it('is independent of call order and of the cache', async () => {
    const warm = provider({}, { cacheEntries: 2 });
    await fetchOne(warm, 'ticks', '300750.SZ', '2025-06-06');
    await fetchOne(warm, 'order_book', '000001.SZ', '2025-06-05');
    const warmTicks = await fetchOne(warm, 'ticks', '000001.SZ', '2025-06-05');
    const warmBars = await fetchOne(warm, 'bars_1m', '000001.SZ', '2025-06-05');
    const cold = provider({}, { cacheEntries: 1 });
    expect(await fetchOne(cold, 'bars_1m', '000001.SZ', '2025-06-05')).toEqual(warmBars);
    expect(await fetchOne(cold, 'ticks', '000001.SZ', '2025-06-05')).toEqual(warmTicks);
  });

  it('returns fresh row objects on every call', async () => {
    const p = provider();
    const first = await fetchOne(p, 'ticks', '000001.SZ', '2025-06-05');
    const tick = first.byDate.get('2025-06-05')?.ticks?.[0];
    if (tick === undefined) throw new Error('no tick');
    tick.price = -1;
    const second = await fetchOne(p, 'ticks', '000001.SZ', '2025-06-05');
    expect(second.byDate.get('2025-06-05')?.ticks?.[0]?.price).toBeGreaterThan(0);
  });

  it("chains the daily closes: a day's prevClose is the previous trading day's daily close", async () => {
    const p = provider();
    const thu = await fetchOne(p, 'bars_1d', '600000.SH', '2025-06-05');
    const fri = await fetchOne(p, 'bars_1d', '600000.SH', '2025-06-06');
    expect(fri.byDate.get('2025-06-06')?.prevClose).toBe(thu.byDate.get('2025-06-05')?.bars?.[0]?.close);
  });

  it('lists trading days from the A-share calendar', async () => {
    const days = await provider().tradingDays({ range: { start: '2025-06-05', end: '2025-06-09' }, signal });
    expect(days).toEqual(['2025-06-05', '2025-06-06', '2025-06-09']);
    const error = await caught(
      provider().tradingDays({ range: { start: '2023-12-28', end: '2024-01-03' }, signal }),
    );
    expect(error.code).toBe('USAGE');
  });

  it('passes the request gate before each fetch', async () => {
    const calls: AcquireParams[] = [];
    const gate: RequestGate = {
      ...unlimitedGate,
      acquire: async (params) => {
        calls.push(params);
        return { keyIndex: 0 };
      },
    };
    const p = createSimulatedProvider(config(), deps(gate));
    await fetchOne(p, 'bars_1d', '600000.SH', '2025-06-05');
    await fetchOne(p, 'bars_1d', '600000.SH', '2025-06-07');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ provider: 'simulated', endpoint: 'market', signal });
  });

  it('waits latency_ms through the injected sleep and stops when aborted', async () => {
    const slept: number[] = [];
    const p = provider({ latency_ms: 250 }, { sleep: async (ms) => void slept.push(ms) });
    await fetchOne(p, 'bars_1d', '600000.SH', '2025-06-05');
    expect(slept).toEqual([250]);

    const controller = new AbortController();
    let sleeping: () => void = () => {};
    const asleep = new Promise<void>((resolve) => (sleeping = resolve));
    const hanging = provider(
      { latency_ms: 250 },
      {
        sleep: (_ms, s) =>
          new Promise((_resolve, reject) => {
            s.addEventListener('abort', () => reject(new Error('aborted sleep')));
            sleeping();
          }),
      },
    );
    const pending = hanging.fetch({
      dataType: 'ticks',
      symbol: '600000.SH',
      tradeDates: ['2025-06-05'],
      signal: controller.signal,
    });
    await asleep;
    controller.abort();
    await expect(pending).rejects.toThrow('aborted sleep');
    const already = await caught(
      provider().fetch({
        dataType: 'ticks',
        symbol: '600000.SH',
        tradeDates: ['2025-06-05'],
        signal: controller.signal,
      }),
    );
    expect(already.code).toBe('ABORTED');
  });

  it('aborts a real latency sleep promptly', async () => {
    const controller = new AbortController();
    const p = provider({ latency_ms: 60_000 });
    const pending = p.fetch({
      dataType: 'bars_1d',
      symbol: '600000.SH',
      tradeDates: ['2025-06-05'],
      signal: controller.signal,
    });
    setImmediate(() => controller.abort());
    const error = await caught(pending);
    expect(error.code).toBe('ABORTED');
  });

  it('fails about fail_rate of requests transiently, so a retry can succeed', async () => {
    const p = provider({ fail_rate: 0.3 });
    let failures = 0;
    let retriedOk = 0;
    for (let i = 0; i < 200; i++) {
      try {
        await fetchOne(p, 'bars_1d', '600000.SH', '2025-06-05');
      } catch (error) {
        expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
        failures++;
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            await fetchOne(p, 'bars_1d', '600000.SH', '2025-06-05');
            retriedOk++;
            break;
          } catch {
            // another transient fault: try again
          }
        }
      }
    }
    expect(failures).toBeGreaterThan(30);
    expect(failures).toBeLessThan(90);
    expect(retriedOk).toBe(failures);
    let none = 0;
    const healthy = provider({ fail_rate: 0 });
    for (let i = 0; i < 50; i++)
      if ((await fetchOne(healthy, 'bars_1d', '600000.SH', '2025-06-05')).byDate.size === 1) none++;
    expect(none).toBe(50);
  });
});
