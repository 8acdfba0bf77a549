import { afterEach, describe, expect, it } from 'vitest';
import {
  quoteOf,
  startYahooEmulator,
  type YahooEmulator,
} from '../../../test/emulators/yahoo/yahoo-emulator.js';
import { createVirtualClock } from '../../../test/support/virtual-clock.js';
import { configSchema } from '../../config/schema.js';
import { shanghaiTime } from '../../domain/dates.js';
import { computeFactors } from '../../factors/compute-factors.js';
import { unlimitedGate } from '../../limits/request-gate.js';
import { silentLogger } from '../../limits/logger.js';
import { createMemoryStore } from '../../storage/memory/memory-store.js';
import { createCollector } from '../../collect/collector.js';
import { createYahooQuote, YAHOO_QUOTE_BATCH } from './yahoo-quote.js';

const DAY = '2025-06-17';
let emu: YahooEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const config = (url: string) =>
  configSchema.parse({ providers: { yahoo: { enabled: true, base_url: url } } }).providers.yahoo;

describe('Yahoo quote source', () => {
  it('reads a crumb once, asks quote in batches, maps .SS back to .SH and dates quotes in Shanghai', async () => {
    const now = shanghaiTime(DAY, '10:00:30');
    emu = await startYahooEmulator({ now: () => now });
    const source = createYahooQuote(config(emu.url), {
      fetch: globalThis.fetch,
      gate: unlimitedGate,
      now: () => now,
      logger: silentLogger,
    });
    const target = { symbols: ['600519.SH', '000001.SZ'], wholeMarket: false };
    expect(source.requestsPerSnapshot(target)).toEqual({ quote: 1 });
    expect(
      source.requestsPerSnapshot({
        symbols: Array(YAHOO_QUOTE_BATCH + 1).fill('600519.SH'),
        wholeMarket: false,
      }),
    ).toEqual({
      quote: 2,
    });
    const snap = await source.snapshot({ target, signal: new AbortController().signal });
    await source.snapshot({ target, signal: new AbortController().signal });
    expect(emu.state.requests.map((r) => r.path)).toEqual([
      '/v1/test/getcrumb',
      '/v7/finance/quote',
      '/v7/finance/quote',
    ]);
    expect(snap.quotes.map((q) => q.symbol).sort()).toEqual(['000001.SZ', '600519.SH']);
    const moutai = snap.quotes.find((q) => q.symbol === '600519.SH');
    expect(moutai).toMatchObject({
      sessionDate: DAY,
      lastTradeTs: shanghaiTime(DAY, '10:00:00'),
      cumAmount: null,
    });
    expect(moutai?.cumVolume).toBeGreaterThan(0);
  });

  it('feeds the collector: trades add up to Yahoo’s day volume since the baseline', async () => {
    const clock = createVirtualClock(shanghaiTime(DAY, '09:40:00'));
    emu = await startYahooEmulator({ now: () => clock.now() });
    const source = createYahooQuote(config(emu.url), {
      fetch: globalThis.fetch,
      gate: unlimitedGate,
      now: () => clock.now(),
      logger: silentLogger,
    });
    const store = createMemoryStore();
    await store.init();
    const collector = createCollector({
      source,
      target: { symbols: ['600519.SH'], wholeMarket: false },
      store,
      clock,
      gate: unlimitedGate,
      intervalMs: 20_000,
      untilMs: shanghaiTime(DAY, '10:10:00'),
      runId: 'yahoo-test',
      computeFactors,
    });
    await collector.run(new AbortController().signal);
    const r = await store.query({ sql: "SELECT volume FROM ticks WHERE symbol = '600519.SH'" });
    const sum = r.rows.reduce((a, row) => a + (row[0] as number), 0);
    const books = await store.query({
      sql: "SELECT ts FROM order_book WHERE symbol = '600519.SH' ORDER BY ts",
    });
    expect(books.rows.length).toBeGreaterThan(10);
    const volumeAt = (iso: unknown) =>
      quoteOf(emu!.state.dataset, Date.parse(iso as string), '600519.SS')?.regularMarketVolume as number;
    // The 09:40 baseline carries the morning so far and yields no trade; every later rise is one trade.
    expect(volumeAt(books.rows[0]?.[0])).toBeGreaterThan(0);
    expect(sum).toBe(volumeAt(books.rows[books.rows.length - 1]?.[0]) - volumeAt(books.rows[0]?.[0]));
  });
});
