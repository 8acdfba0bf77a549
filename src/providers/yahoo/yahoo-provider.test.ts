import { afterEach, describe, expect, it } from 'vitest';
import {
  startYahooEmulator,
  type YahooEmulator,
  type YahooEmulatorOptions,
} from '../../../test/emulators/yahoo/yahoo-emulator.js';
import { DEFAULT_INSTRUMENTS, type YahooInstrument } from '../../../test/emulators/yahoo/yahoo-dataset.js';
import { configSchema } from '../../config/schema.js';
import type { Bar } from '../../domain/rows.js';
import type { IngestError } from '../../errors.js';
import type { AcquireParams, RateLimitFeedback, RequestGate } from '../../limits/request-gate.js';
import { silentLogger } from '../../limits/logger.js';
import type { FetchParams, Provider } from '../provider.js';
import { createYahooProvider } from './yahoo-provider.js';

// Friday 2026-11-20 17:00 New York = Saturday 06:00 Shanghai: the week's sessions are all closed.
const NOW = Date.parse('2026-11-20T22:00:00Z');
const WEEK = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20'];
const signal = new AbortController().signal;

interface Harness {
  emu: YahooEmulator;
  provider: Provider;
  acquires: AcquireParams[];
  rateLimited: RateLimitFeedback[];
}

let open: Harness | undefined;
afterEach(async () => {
  await open?.provider.close();
  await open?.emu.close();
  open = undefined;
});

async function harness(
  options: { providerNow?: number; timeoutMs?: number; emulator?: YahooEmulatorOptions } = {},
): Promise<Harness> {
  const emu = await startYahooEmulator({ now: () => NOW, ...options.emulator });
  const acquires: AcquireParams[] = [];
  const rateLimited: RateLimitFeedback[] = [];
  const gate: RequestGate = {
    acquire: async (p) => {
      acquires.push(p);
      return { keyIndex: 0 };
    },
    onRateLimited: async (f) => {
      rateLimited.push(f);
    },
    disableKey: async () => {},
  };
  const config = configSchema.parse({
    providers: { yahoo: { enabled: true, base_url: emu.url, timeout_ms: options.timeoutMs ?? 5_000 } },
  }).providers.yahoo;
  const provider = createYahooProvider(config, {
    fetch: globalThis.fetch,
    gate,
    now: () => options.providerNow ?? NOW,
    logger: silentLogger,
  });
  open = { emu, provider, acquires, rateLimited };
  return open;
}

/** What the provider must store for one day, computed from the emulator's ground truth. */
function expectedMinuteBars(emu: YahooEmulator, ticker: string, yahooSymbol: string, date: string): Bar[] {
  return emu.state.dataset
    .minuteBars(yahooSymbol, date)
    .filter((b) => b.open !== null && b.high !== null && b.low !== null && b.close !== null)
    .map((b) => ({
      symbol: ticker,
      interval: '1m' as const,
      ts: b.start * 1000 + 60_000,
      open: b.open as number,
      high: b.high as number,
      low: b.low as number,
      close: b.close as number,
      volume: b.volume ?? 0,
      amount:
        Math.round(
          (((b.volume ?? 0) * ((b.high as number) + (b.low as number) + (b.close as number))) / 3) * 100,
        ) / 100,
      source: 'yahoo',
      tradeDate: date,
    }));
}

function windowSeconds(emu: YahooEmulator): number[] {
  return emu.state.requests.map((r) => Number(r.query.period2) - Number(r.query.period1));
}

const fetch1m = (p: Provider, symbol: string, tradeDates: string[]) =>
  p.fetch({ dataType: 'bars_1m', symbol, tradeDates, signal } satisfies FetchParams);

describe('Yahoo provider against the chart emulator', () => {
  it('stores A-share 1m bars end-labelled with exactly the emulator values, nulls dropped, one request', async () => {
    const { emu, provider, acquires } = await harness();
    const result = await fetch1m(provider, '600519.SH', WEEK);
    expect(result.errors).toBeUndefined();
    for (const date of WEEK) {
      const expected = expectedMinuteBars(emu, '600519.SH', '600519.SS', date);
      expect(result.byDate.get(date)?.bars).toEqual(expected);
      expect(expected.length).toBeLessThan(240); // the emulator's null gaps were dropped
      expect(expected.length).toBeGreaterThan(200);
    }
    const firstDay = result.byDate.get('2026-11-16')?.bars ?? [];
    expect(firstDay[0]?.ts).toBe(Date.parse('2026-11-16T01:31:00Z')); // 09:31 CST
    expect(firstDay[firstDay.length - 1]?.ts).toBe(Date.parse('2026-11-16T07:00:00Z')); // 15:00 CST
    expect(emu.state.requests).toHaveLength(1);
    const request = emu.state.requests[0];
    expect(request?.path).toBe('/v8/finance/chart/600519.SS');
    expect(request?.query).toMatchObject({ interval: '1m', includePrePost: 'false', events: 'div|split' });
    expect(request?.userAgent).toMatch(/^Mozilla\/5\.0/);
    expect(acquires).toEqual([{ provider: 'yahoo', endpoint: 'chart', signal }]);
  });

  it('stores US 1m bars in New York dates and confirms a US holiday (Thanksgiving) empty', async () => {
    const { emu, provider } = await harness({
      emulator: { now: () => Date.parse('2026-11-30T22:00:00Z') },
      providerNow: Date.parse('2026-11-30T22:00:00Z'),
    });
    const dates = ['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27'];
    const result = await fetch1m(provider, 'AAPL', dates);
    expect(result.byDate.get('2026-11-26')).toEqual({ bars: [], prevClose: expect.any(Number) });
    for (const date of dates.filter((d) => d !== '2026-11-26')) {
      expect(result.byDate.get(date)?.bars).toEqual(expectedMinuteBars(emu, 'AAPL', 'AAPL', date));
    }
    expect(result.byDate.get('2026-11-23')?.bars?.[0]?.ts).toBe(Date.parse('2026-11-23T14:31:00Z')); // 09:31 EST
    expect(emu.state.requests).toHaveLength(1);
  });

  it('splits 1m requests so that no window exceeds 7 days', async () => {
    const { emu, provider } = await harness();
    const dates = ['2026-11-10', '2026-11-12', '2026-11-13', '2026-11-17', '2026-11-20'];
    const result = await fetch1m(provider, '000001.SZ', dates);
    for (const date of dates)
      expect(result.byDate.get(date)?.bars).toEqual(expectedMinuteBars(emu, '000001.SZ', '000001.SZ', date));
    expect(emu.state.requests.length).toBe(2);
    for (const seconds of windowSeconds(emu)) expect(seconds).toBeLessThanOrEqual(7 * 86_400);
    expect(emu.state.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('daily A-share bars: ts at 15:00 Shanghai, prevClose chained, holiday confirmed empty', async () => {
    const { emu, provider } = await harness();
    const dates = await provider.tradingDays({
      range: { start: '2026-09-28', end: '2026-10-16' },
      symbol: '600519.SH',
      signal,
    });
    expect(dates).not.toContain('2026-10-01'); // National Day, from the A-share calendar
    expect(dates).toHaveLength(10);
    const result = await provider.fetch({
      dataType: 'bars_1d',
      symbol: '600519.SH',
      tradeDates: [...dates.slice(0, 3), '2026-10-01', ...dates.slice(3)].sort(),
      signal,
    });
    expect(result.byDate.get('2026-10-01')?.bars).toEqual([]);
    let previous = emu.state.dataset.dailyBar('600519.SS', '2026-09-24')?.close; // 09-25 is Mid-Autumn
    for (const date of dates) {
      const truth = emu.state.dataset.dailyBar('600519.SS', date);
      const rows = result.byDate.get(date);
      expect(rows?.bars).toEqual([
        expect.objectContaining({
          symbol: '600519.SH',
          interval: '1d',
          ts: Date.parse(`${date}T07:00:00Z`),
          open: truth?.open,
          high: truth?.high,
          low: truth?.low,
          close: truth?.close,
          volume: truth?.volume,
          source: 'yahoo',
          tradeDate: date,
        }),
      ]);
      expect(rows?.prevClose).toBe(previous);
      previous = truth?.close;
    }
    expect(emu.state.requests).toHaveLength(1);
    expect(emu.state.requests[0]?.query.interval).toBe('1d');
  });

  it('daily US bars: ts at 16:00 New York across the DST switch', async () => {
    const { provider } = await harness();
    const result = await provider.fetch({
      dataType: 'bars_1d',
      symbol: 'MSFT',
      tradeDates: ['2026-10-30', '2026-11-02'],
      signal,
    });
    expect(result.byDate.get('2026-10-30')?.bars?.[0]?.ts).toBe(Date.parse('2026-10-30T20:00:00Z'));
    expect(result.byDate.get('2026-11-02')?.bars?.[0]?.ts).toBe(Date.parse('2026-11-02T21:00:00Z'));
  });

  it('learns a non-New-York exchange zone from meta.exchangeTimezoneName', async () => {
    const tokyo: YahooInstrument = {
      ...(DEFAULT_INSTRUMENTS.find((i) => i.symbol === 'AAPL') as YahooInstrument),
      symbol: '7203.T',
      exchangeName: 'JPX',
      timeZone: 'Asia/Tokyo',
      sessions: [
        ['09:00', '11:30'],
        ['12:30', '15:30'],
      ],
      holidays: [],
    };
    const { emu, provider } = await harness({ emulator: { instruments: [...DEFAULT_INSTRUMENTS, tokyo] } });
    const daily = await provider.fetch({
      dataType: 'bars_1d',
      symbol: '7203.T',
      tradeDates: ['2026-11-18', '2026-11-19'],
      signal,
    });
    expect(daily.byDate.get('2026-11-19')?.bars?.[0]?.ts).toBe(Date.parse('2026-11-19T06:30:00Z')); // 15:30 JST
    expect(emu.state.requests).toHaveLength(2); // first with New York midnights, then with Tokyo's
    const minute = await fetch1m(provider, '7203.T', ['2026-11-19']);
    expect(minute.byDate.get('2026-11-19')?.bars?.[0]?.ts).toBe(Date.parse('2026-11-19T00:01:00Z')); // 09:01 JST
    expect(emu.state.requests).toHaveLength(3); // zone remembered
  });

  it('a storm of 429s is classified rate limited; a simple retry loop ends with all data', async () => {
    const { emu, provider, rateLimited } = await harness({
      emulator: { rateLimit: { maxRequests: 2, windowMs: 250 } },
    });
    emu.state.injectFaults({ kind: 'rate-limit' }, { kind: 'rate-limit' }, { kind: 'rate-limit' });
    const seen: IngestError[] = [];
    const symbols = [
      ['600519.SH', '600519.SS'],
      ['601318.SH', '601318.SS'],
      ['000001.SZ', '000001.SZ'],
      ['AAPL', 'AAPL'],
      ['MSFT', 'MSFT'],
    ] as const;
    for (const [ticker, yahooSymbol] of symbols) {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await fetch1m(provider, ticker, ['2026-11-19', '2026-11-20']);
          expect(result.byDate.get('2026-11-20')?.bars).toEqual(
            expectedMinuteBars(emu, ticker, yahooSymbol, '2026-11-20'),
          );
          break;
        } catch (error) {
          const e = error as IngestError;
          expect(e.code).toBe('PROVIDER_RATE_LIMITED');
          seen.push(e);
          if (attempt > 30) throw error;
          await new Promise((r) => setTimeout(r, 50)); // the pipeline would wait retryAfterMs; the emulator window is 250 ms
        }
      }
    }
    expect(seen.length).toBeGreaterThanOrEqual(3); // the 3 injected; the 250 ms window usually adds more
    expect(seen[0]).toMatchObject({
      retryable: true,
      retryAfterMs: 15_000,
      context: expect.objectContaining({ endpoint: 'chart' }),
    });
    expect(rateLimited.length).toBe(seen.length);
    expect(emu.state.requests.filter((r) => r.status === 429)).toHaveLength(seen.length);
  });

  it('unknown symbol → NOT_FOUND naming it', async () => {
    const { provider } = await harness();
    await expect(fetch1m(provider, 'ZZZZ', ['2026-11-20'])).rejects.toMatchObject({
      code: 'PROVIDER_NOT_FOUND',
      retryable: false,
      message: expect.stringContaining('ZZZZ'),
    });
  });

  it('1m older than 30 days → per-date unsupported without a request for those dates', async () => {
    const { emu, provider, acquires } = await harness();
    const onlyOld = await fetch1m(provider, 'AAPL', ['2026-10-19', '2026-10-20']);
    expect(onlyOld.byDate.size).toBe(0);
    expect(onlyOld.errors?.get('2026-10-19')).toMatchObject({
      code: 'PROVIDER_UNSUPPORTED',
      retryable: false,
      message: 'Yahoo keeps 1-minute data for 30 days; 2026-10-19 is older',
    });
    expect(emu.state.requests).toHaveLength(0);
    expect(acquires).toHaveLength(0);
    const mixed = await fetch1m(provider, '600519.SH', ['2026-10-20', '2026-11-20']);
    expect(mixed.errors?.get('2026-10-20')?.code).toBe('PROVIDER_UNSUPPORTED');
    expect(mixed.byDate.get('2026-11-20')?.bars?.length).toBeGreaterThan(200);
    expect(emu.state.requests).toHaveLength(1);
  });

  it('classifies a 422 look-back answer (Yahoo clock ahead of ours) the same way', async () => {
    const { emu, provider } = await harness({ emulator: { now: () => NOW + 3 * 86_400_000 } });
    const result = await fetch1m(provider, 'AAPL', ['2026-10-22']);
    expect(emu.state.requests.map((r) => r.status)).toEqual([422]);
    expect(result.errors?.get('2026-10-22')).toMatchObject({
      code: 'PROVIDER_UNSUPPORTED',
      message: 'Yahoo keeps 1-minute data for 30 days; 2026-10-22 is older',
    });
  });

  it('.BJ codes are unsupported and nothing is sent', async () => {
    const { emu, provider } = await harness();
    await expect(fetch1m(provider, '830799.BJ', ['2026-11-20'])).rejects.toMatchObject({
      code: 'PROVIDER_UNSUPPORTED',
      retryable: false,
      message: expect.stringContaining('Yahoo does not list Beijing Stock Exchange codes'),
    });
    expect(emu.state.requests).toHaveLength(0);
  });

  it('faults: 500 and resets → unavailable, HTML/empty 200 → bad response, slow → timeout, abort → ABORTED', async () => {
    const { emu, provider } = await harness({ timeoutMs: 150 });
    emu.state.injectFaults(
      { kind: 'status', status: 503 },
      { kind: 'reset' },
      { kind: 'html' },
      { kind: 'empty-body' },
      { kind: 'slow', delayMs: 600 },
    );
    const attempt = () => fetch1m(provider, 'AAPL', ['2026-11-20']);
    await expect(attempt()).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    await expect(attempt()).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    await expect(attempt()).rejects.toMatchObject({ code: 'PROVIDER_BAD_RESPONSE', retryable: true });
    await expect(attempt()).rejects.toMatchObject({ code: 'PROVIDER_BAD_RESPONSE', retryable: true });
    await expect(attempt()).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      message: expect.stringContaining('timed out after 150 ms'),
    });
    const controller = new AbortController();
    controller.abort();
    await expect(
      provider.fetch({
        dataType: 'bars_1m',
        symbol: 'AAPL',
        tradeDates: ['2026-11-20'],
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await attempt()).byDate.get('2026-11-20')?.bars?.length).toBeGreaterThan(300);
  });

  it('declares capabilities, refuses universe() and other data types', async () => {
    const { provider } = await harness();
    expect(provider.name).toBe('yahoo');
    expect(provider.capabilities).toMatchObject({
      dataTypes: ['bars_1m', 'bars_1d'],
      tickData: 'bars_1m',
      maxDaysPerFetch: { bars_1m: 5, bars_1d: 250 },
    });
    await expect(provider.universe({ includeDelisted: false, signal })).rejects.toMatchObject({
      code: 'PROVIDER_UNSUPPORTED',
      retryable: false,
    });
    await expect(
      provider.fetch({ dataType: 'ticks', symbol: 'AAPL', tradeDates: ['2026-11-20'], signal }),
    ).rejects.toMatchObject({ code: 'PROVIDER_UNSUPPORTED' });
    expect(
      await provider.tradingDays({
        range: { start: '2026-11-20', end: '2026-11-24' },
        symbol: 'AAPL',
        signal,
      }),
    ).toEqual(['2026-11-20', '2026-11-23', '2026-11-24']);
  });
});
