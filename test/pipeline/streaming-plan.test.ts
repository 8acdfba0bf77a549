/**
 * Integration: the streaming plan inside createPipeline (simulator + memory store): jobs are
 * planned while the pool runs, and units outside a symbol's listing life are recorded `empty`
 * ("not listed") without a provider call.
 */
import { describe, expect, it } from 'vitest';
import type { ListingLife } from '../../src/domain/listing-life.js';
import type { Ticker } from '../../src/domain/ticker.js';
import type { FetchParams, Provider } from '../../src/providers/provider.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import {
  buildPipeline,
  ledgerByUnit,
  loadTestConfig,
  quietSignals,
  recordingReporter,
  runOptions,
  simulatorFor,
} from './support/harness.js';

/** A listing map that logs each lookup: the planner asks once per symbol as it plans it. */
class LoggingListings extends Map<Ticker, ListingLife> {
  constructor(
    entries: Iterable<[Ticker, ListingLife]>,
    private readonly log: string[],
  ) {
    super(entries);
  }
  override get(symbol: Ticker): ListingLife | undefined {
    this.log.push(`plan ${symbol}`);
    return super.get(symbol);
  }
}

/** The simulator with a listing map of our own and a log of its fetches. */
function simulatorWithListings(
  inner: Provider,
  listings: () => Map<Ticker, ListingLife>,
  fetched: FetchParams[],
): Provider {
  return {
    name: inner.name,
    capabilities: inner.capabilities,
    universe: (p) => inner.universe(p),
    tradingDays: (p) => inner.tradingDays(p),
    listings: async () => listings(),
    fetch: (params) => {
      fetched.push(params);
      return inner.fetch(params);
    },
    close: () => inner.close(),
  };
}

describe('streaming plan in the pipeline', () => {
  it('starts the pool before planning ends: each symbol is planned when a worker asks for work', async () => {
    const loaded = loadTestConfig({ universeSize: 12, workers: 2 });
    const log: string[] = [];
    const reporter = recordingReporter((e) => {
      if (e.type === 'job:started') log.push(`job ${e.symbol}`);
    });
    const { pipeline } = buildPipeline(loaded, {
      reporter,
      makeProvider: (_n, gate) =>
        simulatorWithListings(simulatorFor(loaded, gate), () => new LoggingListings([], log), []),
    });
    const options = runOptions(loaded, { requested: ['bars_1d'] });
    const prepared = await pipeline.prepare(options, new AbortController().signal);
    const symbols = [...prepared.plan.symbols];
    expect(symbols).toHaveLength(12);
    log.length = 0; // the estimate looked at every symbol; now only the run's planning counts
    const summary = await pipeline.execute(prepared, options, quietSignals());
    expect(summary.unitsOk).toBe(12 * 2);

    const first = symbols[0] as Ticker;
    const last = symbols[symbols.length - 1] as Ticker;
    // The first symbol's jobs run before the second symbol is even planned ...
    expect(log.indexOf(`job ${first}`)).toBeGreaterThan(-1);
    expect(log.indexOf(`job ${first}`)).toBeLessThan(log.indexOf(`plan ${symbols[1]}`));
    // ... and many jobs have started before the last symbol is planned.
    const lastPlanned = log.indexOf(`plan ${last}`);
    expect(log.slice(0, lastPlanned).filter((l) => l.startsWith('job ')).length).toBeGreaterThanOrEqual(
      (symbols.length - 2) * 2,
    );
    await pipeline.closeProviders(prepared.providers);
  });

  it('records units outside the listing life empty ("not listed") without a provider call, and skips them on resume', async () => {
    const loaded = loadTestConfig({ universeSize: 12, workers: 2 });
    const fetched: FetchParams[] = [];
    const store = createMemoryStore();
    // 2025-06-05 and 2025-06-06: one symbol listed on the second day, one delisted after the first.
    const life = new Map<Ticker, ListingLife>([
      ['600000.SH', { firstDay: '2025-06-06' }],
      ['000001.SZ', { firstDay: '1991-04-03', lastDay: '2025-06-05' }],
    ]);
    const makeProvider = (_n: string, gate: Parameters<typeof simulatorFor>[1]) =>
      simulatorWithListings(simulatorFor(loaded, gate), () => life, fetched);
    const options = runOptions(loaded, {
      symbols: ['600000.SH', '000001.SZ', '600519.SH'],
      requested: ['tick_data', 'factors'],
    });
    const rec = recordingReporter();
    const first = buildPipeline(loaded, { store, reporter: rec, makeProvider });
    const prepared = await first.pipeline.prepare(options, new AbortController().signal);
    // ticks, bars_1m, bars_1d, factors: 4 units a symbol-day, 2 of the 6 symbol-days not listed.
    expect(prepared.plan.estimate).toMatchObject({ units: 3 * 2 * 4, notListed: 2 * 4 });
    const summary = await first.pipeline.execute(prepared, options, quietSignals());
    await first.pipeline.closeProviders(prepared.providers);
    expect(summary).toMatchObject({ symbolsOk: 3, unitsEmpty: 8, unitsOk: 16, unitsFailed: 0 });

    const notListed = [
      ['600000.SH', '2025-06-05'],
      ['000001.SZ', '2025-06-06'],
    ];
    for (const [symbol, day] of notListed) {
      expect(fetched.filter((f) => f.symbol === symbol && f.tradeDates.includes(day as string))).toEqual([]);
    }
    expect(fetched.filter((f) => f.symbol === '600000.SH').flatMap((f) => f.tradeDates)).toContain(
      '2025-06-06',
    );
    const ledger = [...(await ledgerByUnit(store)).values()];
    const empties = ledger.filter((e) => e.status === 'empty');
    expect(empties.map((e) => `${e.symbol} ${e.tradeDate}`).sort()).toEqual([
      ...Array(4).fill('000001.SZ 2025-06-06'),
      ...Array(4).fill('600000.SH 2025-06-05'),
    ]);
    expect(empties.find((e) => e.symbol === '600000.SH')?.errorMessage).toBe(
      'not listed (listed 2025-06-06)',
    );
    expect(empties.find((e) => e.symbol === '000001.SZ')?.errorMessage).toContain(
      'delisted after 2025-06-05',
    );
    expect(rec.of('unit:succeeded').filter((e) => e.status === 'empty')).toHaveLength(8);

    // A second run finds them done: nothing to plan, nothing fetched.
    fetched.length = 0;
    const again = buildPipeline(loaded, { store, reporter: recordingReporter(), makeProvider });
    const s2 = await again.pipeline.run(options, quietSignals());
    expect(s2).toMatchObject({ unitsPlanned: 0, unitsSkipped: 24 });
    expect(fetched).toEqual([]);
  });
});
