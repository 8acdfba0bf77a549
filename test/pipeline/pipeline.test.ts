/**
 * Integration: createPipeline + memory store + the real simulated provider, with test doubles
 * around the provider and the store to inject failures.
 */
import { describe, expect, it } from 'vitest';
import { IngestError } from '../../src/errors.js';
import { isDone, unitKeyString } from '../../src/ledger/ledger-entry.js';
import type { ProviderName } from '../../src/config/schema.js';
import type { RequestedDataType } from '../../src/domain/data-type.js';
import type { PipelineEvent } from '../../src/pipeline/events.js';
import type { RequestGate } from '../../src/limits/request-gate.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import {
  buildPipeline,
  ledgerByUnit,
  loadTestConfig,
  recordingReporter,
  runOnce,
  runOptions,
  simulatorFor,
  storedSlices,
  tableCounts,
  wrapProvider,
  wrapStore,
} from './support/harness.js';

const DAYS = 2; // 2025-06-05 (Thu), 2025-06-06 (Fri)
/** Concrete units of the default data types per symbol-day: ticks, bars_1m, bars_1d, order_book, factors. */
const DEFAULT_UNITS = 5;

function expectNoDuplicates(counts: Record<string, { rows: number; distinct: number }>): void {
  for (const [table, c] of Object.entries(counts)) {
    expect(c.rows, `${table} has duplicate rows`).toBe(c.distinct);
  }
}

describe('pipeline on the simulator (happy path)', () => {
  it('ingests every unit once, resumes to nothing, and rewrites without duplicates on resume=false', async () => {
    const symbols = 16;
    const loaded = loadTestConfig({ universeSize: symbols, workers: 8 });
    const store = createMemoryStore();
    const rec = recordingReporter();
    const s1 = await runOnce(loaded, store, rec);
    const units = symbols * DAYS * DEFAULT_UNITS;

    expect(s1).toMatchObject({
      symbolsTotal: symbols,
      symbolsOk: symbols,
      unitsPlanned: units,
      unitsSkipped: 0,
      unitsOk: units,
      unitsFailed: 0,
      unitsUnsupported: 0,
      interrupted: false,
      failedSymbols: [],
    });
    expect(rec.of('unit:failed')).toEqual([]);
    const succeeded = rec.of('unit:succeeded');
    expect(succeeded).toHaveLength(units);
    expect(new Set(succeeded.map((e) => unitKeyString(e.unit))).size).toBe(units);
    expect(succeeded.every((e) => e.status === 'ok' && e.rows > 0)).toBe(true);
    expect(rec.of('run:finished').map((e) => e.summary)).toEqual([s1]);

    const counts1 = await tableCounts(store);
    expectNoDuplicates(counts1);
    for (const table of ['ticks', 'bars', 'order_book', 'factors'])
      expect(counts1[table]?.rows).toBeGreaterThan(0);
    expect(s1.rowsByTable.ticks).toBe(counts1.ticks?.rows);
    expect(s1.rowsByTable.order_book).toBe(counts1.order_book?.rows);
    expect(s1.rowsByTable.factors).toBe(counts1.factors?.rows);
    expect(s1.rowsByTable.bars).toBe(counts1.bars?.rows);
    // 241 one-minute bars + 1 daily bar per symbol-day.
    expect(counts1.bars?.rows).toBe(symbols * DAYS * 242);

    const ledger = await store.readLedger();
    expect(ledger).toHaveLength(units);
    expect(new Set(ledger.map(unitKeyString)).size).toBe(units);
    expect(ledger.every((e) => e.status === 'ok' && e.provider === 'simulated' && e.runId === s1.runId)).toBe(
      true,
    );
    expect(ledger.reduce((n, e) => n + e.rows, 0)).toBe(s1.rowsWritten);
    // Every slice with rows has its ok ledger entry and vice versa.
    expect([...(await storedSlices(store))].sort()).toEqual(ledger.map(unitKeyString).sort());

    // Second run: nothing to do.
    const rec2 = recordingReporter();
    const s2 = await runOnce(loaded, store, rec2);
    expect(s2).toMatchObject({
      unitsPlanned: 0,
      unitsSkipped: units,
      unitsOk: 0,
      symbolsOk: symbols,
      failedSymbols: [],
    });
    expect(rec2.of('job:started')).toEqual([]);
    expect(await tableCounts(store)).toEqual(counts1);

    // resume=false: everything again, same rows, one ledger entry per unit.
    const rec3 = recordingReporter();
    const s3 = await runOnce(loaded, store, rec3, {}, { resume: false });
    expect(s3).toMatchObject({ unitsPlanned: units, unitsSkipped: 0, unitsOk: units, unitsFailed: 0 });
    expect(await tableCounts(store)).toEqual(counts1);
    const ledger3 = await store.readLedger();
    expect(ledger3).toHaveLength(units);
    expect(ledger3.every((e) => e.status === 'ok' && e.runId === s3.runId)).toBe(true);
  });
});

describe('pipeline with injected provider failures', () => {
  it('fail_rate 0.2 with enough attempts: every unit lands exactly once, after retries', async () => {
    const loaded = loadTestConfig({ universeSize: 12, failRate: 0.2, maxAttempts: 12 });
    const reference = createMemoryStore();
    await runOnce(
      loadTestConfig({ universeSize: 12 }),
      reference,
      recordingReporter(),
      {},
      { requested: ['tick_data'] },
    );
    const store = createMemoryStore();
    const rec = recordingReporter();
    const s = await runOnce(loaded, store, rec, {}, { requested: ['tick_data'] });
    const units = 12 * DAYS * 3;
    expect(s).toMatchObject({ unitsPlanned: units, unitsOk: units, unitsFailed: 0, symbolsOk: 12 });
    const retries = rec.of('unit:retrying');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((e) => e.error.code === 'PROVIDER_UNAVAILABLE' && e.attempt >= 2)).toBe(true);
    const ledger = await store.readLedger();
    expect(ledger).toHaveLength(units);
    expect(ledger.every((e) => e.status === 'ok')).toBe(true);
    expect(ledger.some((e) => e.attempts > 1)).toBe(true);
    expect(s.requests.simulated).toBe(units + retries.length);
    const counts = await tableCounts(store);
    expectNoDuplicates(counts);
    expect(counts).toEqual(await tableCounts(reference));
  });

  it('fail_rate 0.2 with max_attempts 1: failures are listed per symbol, and a follow-up run completes them', async () => {
    const store = createMemoryStore();
    const rec = recordingReporter();
    const s1 = await runOnce(
      loadTestConfig({ universeSize: 12, failRate: 0.2, maxAttempts: 1 }),
      store,
      rec,
      {},
      {
        requested: ['tick_data'],
      },
    );
    const units = 12 * DAYS * 3;
    expect(s1.unitsFailed).toBeGreaterThan(0);
    expect(s1.unitsOk + s1.unitsFailed).toBe(units);
    expect(rec.of('unit:retrying')).toEqual([]);
    const failedEvents = rec.of('unit:failed');
    expect(failedEvents).toHaveLength(s1.unitsFailed);
    const failedSymbols = new Set(failedEvents.map((e) => e.unit.symbol));
    expect(s1.failedSymbols.map((f) => f.symbol).sort()).toEqual([...failedSymbols].sort());
    expect(s1.symbolsOk).toBe(12 - failedSymbols.size);
    for (const f of s1.failedSymbols) {
      expect(f.ok).toBe(false);
      expect(f.failureClasses).toEqual(['transient']);
      expect(f.reasons.length).toBeGreaterThan(0);
      expect(f.reasons.every((r) => r.includes('Simulated fault'))).toBe(true);
    }
    const ledger1 = await store.readLedger();
    expect(ledger1.filter((e) => e.status === 'failed')).toHaveLength(s1.unitsFailed);
    expect(
      ledger1.filter((e) => e.status === 'failed').every((e) => e.errorCode === 'PROVIDER_UNAVAILABLE'),
    ).toBe(true);

    const rec2 = recordingReporter();
    const s2 = await runOnce(
      loadTestConfig({ universeSize: 12, failRate: 0.2, maxAttempts: 12 }),
      store,
      rec2,
      {},
      {
        requested: ['tick_data'],
      },
    );
    expect(s2).toMatchObject({
      unitsPlanned: s1.unitsFailed,
      unitsSkipped: s1.unitsOk,
      unitsFailed: 0,
      symbolsOk: 12,
    });
    const ledger2 = await store.readLedger();
    expect(ledger2).toHaveLength(units);
    expect(ledger2.every((e) => e.status === 'ok')).toBe(true);
    expectNoDuplicates(await tableCounts(store));
  });

  it('learns a stated rate limit from PROVIDER_RATE_LIMITED answers and fails no unit', async () => {
    const loaded = loadTestConfig({ universeSize: 6, maxAttempts: 2 });
    let calls = 0;
    const saved: Array<Record<string, number>> = [];
    const store = createMemoryStore();
    const rec = recordingReporter();
    const s = await runOnce(
      loaded,
      store,
      rec,
      {
        makeProvider: (_name, gate) =>
          wrapProvider(simulatorFor(loaded, gate), {
            before: () => {
              calls++;
              if (calls <= 5) {
                throw new IngestError('PROVIDER_RATE_LIMITED', '每分钟最多访问该接口100000次', {
                  retryAfterMs: 5,
                  context: { endpoint: 'market', statedLimitPerMinute: 100_000 },
                });
              }
            },
          }),
        saveLearnedLimits: (limits) => saved.push(limits),
      },
      { requested: ['bars_1d'] },
    );
    expect(s).toMatchObject({ unitsOk: 6 * DAYS, unitsFailed: 0 });
    expect(rec.of('rate-limit:learned')).toEqual([
      { type: 'rate-limit:learned', provider: 'simulated', endpoint: 'market', limit: 100_000 },
    ]);
    // Max attempts 2, yet five rate-limit answers: they do not use up attempts.
    expect(rec.of('unit:retrying').filter((e) => e.error.code === 'PROVIDER_RATE_LIMITED')).toHaveLength(5);
    expect(saved).toEqual([{ 'simulated|market': 100_000 }]);
  });

  it('falls back to the next provider of the chain on PROVIDER_UNSUPPORTED', async () => {
    const loaded = loadTestConfig({
      universeSize: 6,
      yahooEnabled: true,
      routing: { bars_1d: ['yahoo', 'simulated'] },
    });
    const store = createMemoryStore();
    const rec = recordingReporter();
    const built: string[] = [];
    const s = await runOnce(
      loaded,
      store,
      rec,
      {
        makeProvider: (name, gate) => {
          built.push(name);
          const sim = simulatorFor(loaded, gate);
          if (name !== 'yahoo') return sim;
          return wrapProvider(sim, {
            name: 'yahoo',
            before: (p) => {
              if (p.dataType === 'bars_1d')
                throw new IngestError('PROVIDER_UNSUPPORTED', 'no daily bars here');
            },
          });
        },
      },
      { symbols: ['000001.SZ', '600000.SH', '300750.SZ'], requested: ['bars_1d'] },
    );
    expect(built.sort()).toEqual(['simulated', 'yahoo']);
    const units = 3 * DAYS;
    expect(s).toMatchObject({
      unitsOk: units,
      unitsFailed: 0,
      unitsUnsupported: 0,
      symbolsOk: 3,
      failedSymbols: [],
    });
    const fallbacks = rec.of('unit:fallback');
    expect(fallbacks).toHaveLength(units);
    expect(fallbacks.every((e) => e.unit.provider === 'yahoo' && e.to === 'simulated')).toBe(true);
    const ledger = await store.readLedger();
    expect(ledger.filter((e) => e.provider === 'yahoo').map((e) => e.status)).toEqual(
      Array(units).fill('unsupported'),
    );
    expect(ledger.filter((e) => e.provider === 'simulated').map((e) => e.status)).toEqual(
      Array(units).fill('ok'),
    );
    const sources = await store.query({ sql: 'SELECT source FROM bars' });
    expect(new Set(sources.rows.map((r) => r[0]))).toEqual(new Set(['simulated']));
    expect(sources.rows).toHaveLength(units);

    const rec2 = recordingReporter();
    const s2 = await runOnce(
      loaded,
      store,
      rec2,
      {
        makeProvider: (name, gate) => wrapProvider(simulatorFor(loaded, gate), { name }),
      },
      { symbols: ['000001.SZ', '600000.SH', '300750.SZ'], requested: ['bars_1d'] },
    );
    expect(s2).toMatchObject({ unitsPlanned: 0, unitsSkipped: units });
  });

  describe('tick_data from a trades provider falling back to a bars provider', () => {
    const setup = () => {
      const loaded = loadTestConfig({ yahooEnabled: true, routing: { tick_data: ['simulated', 'yahoo'] } });
      const makeProvider = (name: ProviderName, gate: RequestGate) => {
        const sim = simulatorFor(loaded, gate);
        if (name === 'simulated') {
          return wrapProvider(sim, {
            before: () => {
              throw new IngestError('PROVIDER_UNSUPPORTED', 'no trades today (test)');
            },
          });
        }
        return wrapProvider(sim, {
          name: 'yahoo',
          capabilities: { ...sim.capabilities, dataTypes: ['bars_1m', 'bars_1d'], tickData: 'bars_1m' },
        });
      };
      const options = {
        symbols: ['600000.SH'],
        requested: ['tick_data'] as RequestedDataType[],
        range: { start: '2025-06-05', end: '2025-06-05' },
      };
      return { loaded, makeProvider, options };
    };

    it("serves the ticks unit with the bars provider's 1-minute bars", async () => {
      const { loaded, makeProvider, options } = setup();
      const store = createMemoryStore();
      const rec = recordingReporter();
      await runOnce(loaded, store, rec, { makeProvider }, options);
      expect(
        rec
          .of('unit:fallback')
          .map((e) => `${e.unit.dataType}->${e.to}`)
          .sort(),
      ).toEqual(['bars_1d->yahoo', 'bars_1m->yahoo', 'ticks->yahoo']);
      const ledger = await ledgerByUnit(store);
      expect(ledger.get('yahoo|bars_1m|600000.SH|2025-06-05')?.status).toBe('ok');
      expect(ledger.get('simulated|ticks|600000.SH|2025-06-05')?.status).toBe('unsupported');
      const bars = await store.query({ sql: "SELECT source FROM bars WHERE interval = '1m'" });
      expect(bars.rows).toHaveLength(241);
      expect(new Set(bars.rows.map((r) => r[0]))).toEqual(new Set(['yahoo']));
    });

    it('settles a unit reached by two fallbacks once', async () => {
      const { loaded, makeProvider, options } = setup();
      const rec = recordingReporter();
      await runOnce(loaded, createMemoryStore(), rec, { makeProvider }, options);
      const keys = rec.of('unit:succeeded').map((e) => unitKeyString(e.unit));
      expect(keys).toEqual([...new Set(keys)]);
    });

    it('does not redo the ticks unit on resume once the fallback served it', async () => {
      const { loaded, makeProvider, options } = setup();
      const store = createMemoryStore();
      await runOnce(loaded, store, recordingReporter(), { makeProvider }, options);
      const rec2 = recordingReporter();
      await runOnce(loaded, store, rec2, { makeProvider }, options);
      expect(rec2.of('unit:fallback').filter((e) => e.unit.dataType === 'ticks')).toEqual([]);
    });

    it('falls back for the daily bars of tick_data too', async () => {
      const { loaded, makeProvider, options } = setup();
      const s = await runOnce(loaded, createMemoryStore(), recordingReporter(), { makeProvider }, options);
      expect(s.unitsUnsupported).toBe(0);
    });
  });

  it('skips a disabled provider of the routing chain with a run:warning and never builds it', async () => {
    const loaded = loadTestConfig({ routing: { bars_1d: ['yahoo', 'simulated'] } });
    const built: string[] = [];
    const rec = recordingReporter();
    const s = await runOnce(
      loaded,
      createMemoryStore(),
      rec,
      {
        makeProvider: (name, gate) => {
          built.push(name);
          return simulatorFor(loaded, gate);
        },
      },
      { symbols: ['600000.SH'], requested: ['bars_1d'] },
    );
    expect(built).toEqual(['simulated']);
    expect(s).toMatchObject({ unitsOk: DAYS, unitsFailed: 0 });
    expect(rec.of('run:warning').map((e) => e.message)).toContain(
      'routing.bars_1d: yahoo is disabled (providers.yahoo.enabled: false); skipping it',
    );
  });

  it('reports unsupported (never silently empty) when no provider is left in the chain', async () => {
    const loaded = loadTestConfig({ universeSize: 6, yahooEnabled: true, routing: { bars_1d: ['yahoo'] } });
    const store = createMemoryStore();
    const rec = recordingReporter();
    const s = await runOnce(
      loaded,
      store,
      rec,
      {
        makeProvider: (name, gate) =>
          wrapProvider(simulatorFor(loaded, gate), {
            name,
            before: () => {
              throw new IngestError('PROVIDER_UNSUPPORTED', 'no daily bars here');
            },
          }),
      },
      { symbols: ['000001.SZ', '600000.SH'], requested: ['bars_1d'] },
    );
    expect(s).toMatchObject({ unitsOk: 0, unitsUnsupported: 4, unitsFailed: 0, symbolsOk: 0 });
    expect(s.failedSymbols.map((f) => [f.symbol, f.failureClasses])).toEqual([
      ['000001.SZ', ['unsupported']],
      ['600000.SH', ['unsupported']],
    ]);
    expect(rec.of('unit:failed').every((e) => e.status === 'unsupported')).toBe(true);
    expect(rec.of('unit:fallback')).toEqual([]);
    const ledger = await store.readLedger();
    expect(ledger.map((e) => `${e.provider}:${e.status}:${e.errorCode}`)).toEqual(
      Array(4).fill('yahoo:unsupported:PROVIDER_UNSUPPORTED'),
    );
    expect((await tableCounts(store)).bars?.rows).toBe(0);
  });

  it('quarantines a symbol the provider does not know: asked once, others succeed', async () => {
    const loaded = loadTestConfig({ workers: 1 });
    const unknown = '000002.SZ';
    const asked: string[] = [];
    const store = createMemoryStore();
    const rec = recordingReporter();
    const symbols = ['000001.SZ', unknown, '600000.SH'];
    const s = await runOnce(
      loaded,
      store,
      rec,
      {
        makeProvider: (_name, gate) =>
          wrapProvider(simulatorFor(loaded, gate), {
            before: (p) => {
              asked.push(p.symbol);
              if (p.symbol === unknown)
                throw new IngestError('PROVIDER_NOT_FOUND', `unknown symbol ${p.symbol}`);
            },
          }),
      },
      { symbols, requested: ['bars_1d'] },
    );
    expect(asked.filter((x) => x === unknown)).toHaveLength(1);
    expect(s).toMatchObject({ unitsOk: 4, unitsFailed: 2, symbolsOk: 2 });
    expect(s.failedSymbols).toHaveLength(1);
    expect(s.failedSymbols[0]).toMatchObject({ symbol: unknown, failureClasses: ['not_found'] });
    const ledger = await store.readLedger();
    expect(ledger.filter((e) => e.symbol === unknown).map((e) => `${e.status}:${e.errorCode}`)).toEqual([
      'failed:PROVIDER_NOT_FOUND',
      'failed:PROVIDER_NOT_FOUND',
    ]);
  });

  it('asks the provider once about an unknown symbol also within a multi-type job', async () => {
    const loaded = loadTestConfig({ workers: 1 });
    const unknown = '000002.SZ';
    const asked: string[] = [];
    await runOnce(
      loaded,
      createMemoryStore(),
      recordingReporter(),
      {
        makeProvider: (_name, gate) =>
          wrapProvider(simulatorFor(loaded, gate), {
            before: (p) => {
              if (p.symbol !== unknown) return;
              asked.push(p.dataType);
              throw new IngestError('PROVIDER_NOT_FOUND', `unknown symbol ${p.symbol}`);
            },
          }),
      },
      { symbols: [unknown], requested: ['tick_data'] },
    );
    expect(asked).toHaveLength(1);
  });
});

describe('pipeline validation', () => {
  it('fails a unit whose rows break the data model with DATA_INVALID, without retrying or writing it', async () => {
    const loaded = loadTestConfig({ workers: 2 });
    const bad = '000002.SZ';
    const asked: string[] = [];
    const store = createMemoryStore();
    const rec = recordingReporter();
    const s = await runOnce(
      loaded,
      store,
      rec,
      {
        makeProvider: (_name, gate) =>
          wrapProvider(simulatorFor(loaded, gate), {
            before: (p) => {
              asked.push(p.symbol);
            },
            transform: (p, result) => {
              if (p.symbol !== bad) return result;
              const byDate = new Map(
                [...result.byDate].map(([d, rows]) => {
                  const books = [...(rows.books ?? [])];
                  const first = books[0];
                  if (first)
                    books[0] = {
                      ...first,
                      bidPrices: [first.askPrices[0] ?? 1, ...first.bidPrices.slice(1)],
                    };
                  return [d, { ...rows, books }];
                }),
              );
              return { ...result, byDate };
            },
          }),
      },
      { symbols: ['000001.SZ', bad], requested: ['order_book'] },
    );
    expect(s).toMatchObject({ unitsOk: DAYS, unitsFailed: DAYS, symbolsOk: 1 });
    expect(s.failedSymbols.map((f) => [f.symbol, f.failureClasses])).toEqual([[bad, ['validation']]]);
    expect(asked.filter((x) => x === bad)).toHaveLength(DAYS);
    expect(rec.of('unit:retrying')).toEqual([]);
    const failed = rec.of('unit:failed');
    expect(
      failed.every(
        (e) =>
          e.unit.symbol === bad &&
          e.error.code === 'DATA_INVALID' &&
          e.error.message.includes('crossed book'),
      ),
    ).toBe(true);
    const rows = await store.query({ sql: `SELECT symbol FROM order_book WHERE symbol = '${bad}'` });
    expect(rows.rows).toEqual([]);
    const ledger = await store.readLedger({ filter: { symbols: [bad] } });
    expect(ledger.map((e) => `${e.status}:${e.errorCode}`)).toEqual(Array(DAYS).fill('failed:DATA_INVALID'));
  });
});

describe('pipeline interruption', () => {
  it('stop + abort mid-run leaves no torn unit, and a second run completes to the uninterrupted counts', async () => {
    const symbols = 8;
    const reference = createMemoryStore();
    await runOnce(loadTestConfig({ universeSize: symbols }), reference, recordingReporter());
    const refCounts = await tableCounts(reference);

    const loaded = loadTestConfig({ universeSize: symbols, latencyMs: 15, workers: 4 });
    const stop = new AbortController();
    const abort = new AbortController();
    let okSeen = 0;
    const rec = recordingReporter((e: PipelineEvent) => {
      if (e.type === 'unit:succeeded' && ++okSeen === 12) {
        stop.abort();
        setTimeout(() => abort.abort(), 20);
      }
    });
    const store = createMemoryStore();
    const { pipeline } = buildPipeline(loaded, { store, reporter: rec });
    const s1 = await pipeline.run(runOptions(loaded), { stop: stop.signal, abort: abort.signal });
    const units = symbols * DAYS * DEFAULT_UNITS;
    expect(s1.interrupted).toBe(true);
    expect(s1.unitsOk).toBeGreaterThanOrEqual(12);
    expect(s1.unitsOk).toBeLessThan(units);
    expect(s1.symbolsOk).toBeLessThan(symbols);
    expect(s1.failedSymbols.some((f) => f.failureClasses.includes('interrupted'))).toBe(true);

    // Every slice with rows has an ok ledger entry: no unit is half written or unrecorded.
    const ledger = await ledgerByUnit(store);
    for (const slice of await storedSlices(store)) {
      expect(ledger.get(slice)?.status, `slice ${slice} has rows but no ok ledger entry`).toBe('ok');
    }
    const done = [...ledger.values()].filter((e) => isDone(e.status)).length;
    expectNoDuplicates(await tableCounts(store));

    const rec2 = recordingReporter();
    const s2 = await runOnce(loaded, store, rec2, {}, {});
    expect(s2).toMatchObject({
      interrupted: false,
      unitsSkipped: done,
      unitsPlanned: units - done,
      unitsFailed: 0,
    });
    expect(s2.unitsOk).toBe(units - done);
    expect(await tableCounts(store)).toEqual(refCounts);
    const ledger2 = await store.readLedger();
    expect(ledger2).toHaveLength(units);
    expect(ledger2.every((e) => e.status === 'ok')).toBe(true);
  });
});

describe('pipeline with a failing store', () => {
  it('retries a write that fails transiently twice, and records the ledger only after the write resolved', async () => {
    const loaded = loadTestConfig({ universeSize: 6 });
    const failures = new Map<string, number>();
    const written = new Set<string>();
    const violations: string[] = [];
    let writeCalls = 0;
    const store = wrapStore(createMemoryStore(), {
      beforeWrite: (units) => {
        writeCalls++;
        const key = units.map((u) => unitKeyString(u.unit)).join(',');
        const n = (failures.get(key) ?? 0) + 1;
        failures.set(key, n);
        if (n <= 2) throw new IngestError('STORAGE_FAILED', 'connection reset (test)');
      },
      afterWrite: (units) => {
        for (const u of units) written.add(unitKeyString(u.unit));
      },
      beforeWriteLedger: (entries) => {
        for (const e of entries)
          if (isDone(e.status) && !written.has(unitKeyString(e))) violations.push(unitKeyString(e));
      },
    });
    const rec = recordingReporter();
    const s = await runOnce(loaded, store, rec, {}, { requested: ['tick_data'] });
    const units = 6 * DAYS * 3;
    expect(s).toMatchObject({ unitsOk: units, unitsFailed: 0 });
    expect(violations).toEqual([]);
    expect(writeCalls).toBe(failures.size * 3);
    expect((await store.readLedger()).every((e) => e.status === 'ok')).toBe(true);
    expectNoDuplicates(await tableCounts(store));
  });

  it('fails units with STORAGE_FAILED and writes no ok ledger entry when every write fails', async () => {
    const loaded = loadTestConfig({ universeSize: 4 });
    const store = wrapStore(createMemoryStore(), {
      beforeWrite: () => {
        throw new IngestError('STORAGE_FAILED', 'disk full (test)');
      },
    });
    const rec = recordingReporter();
    const s = await runOnce(loaded, store, rec);
    const units = 4 * DAYS * DEFAULT_UNITS;
    expect(s).toMatchObject({ unitsOk: 0, unitsFailed: units, symbolsOk: 0 });
    expect(
      rec.of('unit:failed').every((e) => e.error.code === 'STORAGE_FAILED' && e.status === 'failed'),
    ).toBe(true);
    const ledger = await store.readLedger();
    expect(ledger).toHaveLength(units);
    expect(ledger.filter((e) => isDone(e.status))).toEqual([]);
    expect(ledger.every((e) => e.errorCode === 'STORAGE_FAILED')).toBe(true);
    const counts = await tableCounts(store);
    expect(Object.values(counts).every((c) => c.rows === 0)).toBe(true);
  });
});

describe('pipeline concurrency', () => {
  it('never has more fetches in flight than workers', async () => {
    const workers = 3;
    const loaded = loadTestConfig({ universeSize: 12, latencyMs: 3, workers });
    let inFlight = 0;
    let maxInFlight = 0;
    const rec = recordingReporter();
    const s = await runOnce(
      loaded,
      createMemoryStore(),
      rec,
      {
        makeProvider: (_name, gate) =>
          wrapProvider(simulatorFor(loaded, gate), {
            before: () => {
              inFlight++;
              maxInFlight = Math.max(maxInFlight, inFlight);
            },
            after: () => {
              inFlight--;
            },
          }),
      },
      { requested: ['tick_data'] },
    );
    expect(s.unitsFailed).toBe(0);
    expect(maxInFlight).toBeLessThanOrEqual(workers);
    expect(maxInFlight).toBeGreaterThanOrEqual(2);
    expect(rec.of('progress').every((e) => e.inFlight <= workers && e.workers === workers)).toBe(true);
  });

  it('--workers auto backs off on rate limits, stays within [1, max], and fails no unit', async () => {
    const maxWorkers = 6;
    // Below the initial auto limit (4), so the provider pushes back from the start.
    const allowed = 1;
    const loaded = loadTestConfig({ universeSize: 12, latencyMs: 4, workers: 'auto', maxWorkers });
    let inFlight = 0;
    let rateLimited = 0;
    const rec = recordingReporter();
    const s = await runOnce(
      loaded,
      createMemoryStore(),
      rec,
      {
        makeProvider: (_name, gate) =>
          wrapProvider(simulatorFor(loaded, gate), {
            before: async (p) => {
              // Like a real provider: pace through the gate before "sending" the request.
              await gate.acquire({ provider: 'simulated', endpoint: 'market', signal: p.signal });
              inFlight++;
              if (inFlight > allowed) {
                rateLimited++;
                throw new IngestError('PROVIDER_RATE_LIMITED', 'too many concurrent requests (test)', {
                  retryAfterMs: 10,
                  context: { endpoint: 'market' },
                });
              }
            },
            after: () => {
              inFlight--;
            },
          }),
      },
      { requested: ['tick_data'] },
    );
    expect(s.unitsFailed).toBe(0);
    expect(s.unitsOk).toBe(12 * DAYS * 3);
    expect(rateLimited).toBeGreaterThan(0);
    const workerCounts = rec.of('progress').map((e) => e.workers);
    expect(workerCounts.length).toBeGreaterThan(0);
    expect(workerCounts.every((w) => w >= 1 && w <= maxWorkers)).toBe(true);
    // It backed off from the initial 4 after the provider pushed back (halving at most once per
    // 5-second cool-down, so a short run ends at 2).
    expect(Math.min(...workerCounts)).toBeLessThanOrEqual(2);
    const changes = rec.of('workers:changed').map((e) => e.workers);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((w) => w >= 1 && w <= maxWorkers)).toBe(true);
  });
});
