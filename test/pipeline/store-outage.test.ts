/**
 * The pipeline pauses intake while its store is unreachable (store availability, see
 * src/storage/store-availability.ts): no provider call is made for data that cannot be stored;
 * when the store answers again the run goes on, and past the store's outage budget the units
 * not yet fetched fail with the store's reason, without a fetch.
 */
import { describe, expect, it } from 'vitest';
import { IngestError } from '../../src/errors.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import type { StoreAvailability, StoreAvailabilityChange } from '../../src/storage/store-availability.js';
import type { Store } from '../../src/storage/store.js';
import {
  buildPipeline,
  loadTestConfig,
  quietSignals,
  recordingReporter,
  runOptions,
  simulatorFor,
  wrapProvider,
  wrapStore,
} from './support/harness.js';

/** A store whose outage the test switches on and off. */
function switchableStore() {
  const listeners = new Set<(c: StoreAvailabilityChange) => void>();
  let down = false;
  let gaveUp = false;
  const budgetError = () =>
    new IngestError('STORAGE_FAILED', 'ClickHouse could not answer: past the outage budget');
  let waiters: { resolve(): void; reject(e: unknown): void }[] = [];
  const emit = (c: StoreAvailabilityChange) => listeners.forEach((l) => l(c));
  const availability: StoreAvailability = {
    whenAvailable: () =>
      gaveUp
        ? Promise.reject(budgetError())
        : down
          ? new Promise((resolve, reject) => waiters.push({ resolve, reject }))
          : Promise.resolve(),
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  let writes = 0;
  let onWrite: (n: number) => void = () => undefined;
  const inner = wrapStore(createMemoryStore(), {
    async beforeWrite() {
      onWrite(++writes);
      // A write during the outage waits, as the ClickHouse store's writes do.
      if (down) await availability.whenAvailable();
    },
  });
  const store: Store = { ...inner, availability };
  return {
    store,
    onWrite: (f: (n: number) => void) => (onWrite = f),
    goDown() {
      down = true;
      emit({ state: 'waiting', store: 'ClickHouse', budgetMs: 300_000, reason: 'connect ECONNREFUSED' });
    },
    comeBack() {
      down = false;
      emit({ state: 'recovered', store: 'ClickHouse', downMs: 1234 });
      const w = waiters;
      waiters = [];
      w.forEach((x) => x.resolve());
    },
    giveUp() {
      gaveUp = true;
      emit({ state: 'gave-up', store: 'ClickHouse', downMs: 300_000, reason: 'connect ECONNREFUSED' });
      const w = waiters;
      waiters = [];
      w.forEach((x) => x.reject(budgetError()));
    },
  };
}

describe('store outages during a run', () => {
  it('makes no provider call while the store waits, then finishes every unit', async () => {
    const loaded = loadTestConfig({ universeSize: 6, workers: 2 });
    const s = switchableStore();
    let fetches = 0;
    const reporter = recordingReporter();
    const { pipeline } = buildPipeline(loaded, {
      store: s.store,
      reporter,
      makeProvider: (_n, gate) => wrapProvider(simulatorFor(loaded, gate), { before: () => void fetches++ }),
    });
    let fetchesWhenDown = -1;
    let fetchesLater = -1;
    s.onWrite((n) => {
      if (n !== 2) return;
      s.goDown();
      fetchesWhenDown = fetches;
      setTimeout(() => {
        fetchesLater = fetches;
        s.comeBack();
      }, 300);
    });
    const summary = await pipeline.run(runOptions(loaded), quietSignals());
    expect(fetchesWhenDown).toBeGreaterThan(0);
    // The other worker may finish the job it had; no new job starts while the store is away.
    expect(fetchesLater).toBe(fetchesWhenDown);
    expect(reporter.of('store:waiting')).toHaveLength(1);
    expect(reporter.of('store:recovered')).toHaveLength(1);
    expect(summary.unitsFailed).toBe(0);
    expect(summary.unitsOk).toBe(summary.unitsPlanned);
  });

  it('past the outage budget fails the units not yet fetched with the store reason, without fetching', async () => {
    const loaded = loadTestConfig({ universeSize: 6, workers: 1 });
    const s = switchableStore();
    let fetches = 0;
    const reporter = recordingReporter();
    const { pipeline } = buildPipeline(loaded, {
      store: s.store,
      reporter,
      makeProvider: (_n, gate) => wrapProvider(simulatorFor(loaded, gate), { before: () => void fetches++ }),
    });
    let fetchesWhenDown = -1;
    s.onWrite((n) => {
      if (n !== 1) return;
      s.goDown();
      fetchesWhenDown = fetches;
      setTimeout(() => s.giveUp(), 100);
    });
    const summary = await pipeline.run(runOptions(loaded), quietSignals());
    expect(fetches).toBe(fetchesWhenDown);
    expect(reporter.of('store:unavailable')).toHaveLength(1);
    expect(summary.unitsOk).toBe(0);
    expect(summary.unitsFailed).toBe(summary.unitsPlanned);
    const reasons = reporter.of('unit:failed').map((e) => e.error.message);
    expect(new Set(reasons)).toContain('ClickHouse could not answer: past the outage budget');
  });
});
