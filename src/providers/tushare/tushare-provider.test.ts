import { afterEach, describe, expect, it } from 'vitest';
import { createSlidingWindowGate } from '../../../test/emulators/tushare/sliding-window-gate.js';
import {
  startTushareEmulator,
  type TushareEmulator,
  type TushareEmulatorOptions,
} from '../../../test/emulators/tushare/tushare-emulator.js';
import { configSchema } from '../../config/schema.js';
import type { IngestError } from '../../errors.js';
import { unlimitedGate, type RequestGate } from '../../limits/request-gate.js';
import { silentLogger } from '../../limits/logger.js';
import type { ProviderDeps } from '../provider.js';
import { createTushareClient } from './tushare-client.js';
import { createTushareProvider, type TushareConfig } from './tushare-provider.js';

const TOKEN = 'emulator-token-0001';
const SECRET = 'super-secret-token-zz99';
// 2025-06-17 10:15:30 in Shanghai.
const NOW = Date.parse('2025-06-17T02:15:30Z');
const running: TushareEmulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function emulator(options: TushareEmulatorOptions = {}): Promise<TushareEmulator> {
  const emu = await startTushareEmulator({ now: () => NOW, ...options });
  running.push(emu);
  return emu;
}

function config(baseUrl: string, overrides: Record<string, unknown> = {}): TushareConfig {
  return configSchema.parse({
    providers: { tushare: { enabled: true, token: TOKEN, base_url: baseUrl, ...overrides } },
  }).providers.tushare;
}

function deps(overrides: Partial<ProviderDeps> = {}): ProviderDeps {
  return { fetch: globalThis.fetch, gate: unlimitedGate, now: () => NOW, logger: silentLogger, ...overrides };
}

const signal = (): AbortSignal => new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<IngestError> {
  try {
    await promise;
  } catch (e) {
    return e as IngestError;
  }
  throw new Error('expected a failure');
}

/** UTC epoch ms of a Tushare `YYYY-MM-DD HH:MM:SS` Shanghai time, computed independently. */
const utc = (tradeTime: string): number => Date.parse(`${tradeTime.replace(' ', 'T')}+08:00`);

describe('tushare provider: universe and calendar', () => {
  it('returns exactly the listed universe, and with delisted also D and P listings, sorted', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    const listed = emu.state.market.listings.filter((l) => l.listStatus === 'L').map((l) => l.tsCode);
    expect(await p.universe({ includeDelisted: false, signal: signal() })).toEqual([...listed].sort());
    const all = emu.state.market.listings.map((l) => l.tsCode);
    expect(await p.universe({ includeDelisted: true, signal: signal() })).toEqual([...all].sort());
    // One stock_basic call per list_status for the provider's lifetime (a run).
    expect(emu.state.requests.map((r) => r.params['list_status'])).toEqual(['L', 'D', 'P']);
  });

  it('reads listing life from stock_basic: list_date, and delist_date for delisted listings, reusing the universe calls', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    await p.universe({ includeDelisted: false, signal: signal() });
    const life = await (p.listings as NonNullable<typeof p.listings>)({ signal: signal() });
    for (const l of emu.state.market.listings) {
      expect(life.get(l.tsCode)).toEqual({
        firstDay: l.listDate,
        ...(l.listStatus === 'D' && l.lastTradeDate ? { lastDay: l.lastTradeDate } : {}),
      });
    }
    expect(life.get('605599.SH')).toEqual({ firstDay: '2024-03-04' });
    expect(emu.state.requests.map((r) => r.params['list_status'])).toEqual(['L', 'D', 'P']);
  });

  it('returns SSE trading days ascending and caches them per instance', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    const days = await p.tradingDays({ range: { start: '2025-09-25', end: '2025-10-15' }, signal: signal() });
    expect(days).toEqual(emu.state.market.tradingDays('2025-09-25', '2025-10-15'));
    expect(days).not.toContain('2025-10-01');
    expect(days).not.toContain('2025-09-27');
    const inner = await p.tradingDays({
      range: { start: '2025-10-09', end: '2025-10-10' },
      signal: signal(),
    });
    expect(inner).toEqual(['2025-10-09', '2025-10-10']);
    expect(emu.state.requests).toHaveLength(1);
    expect(emu.state.requests[0]?.params).toMatchObject({
      exchange: 'SSE',
      start_date: '20250925',
      end_date: '20251015',
    });
  });

  it('posts to base_url exactly, whatever its path', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(`${emu.url}/dataapi/stock_basic`), deps());
    await p.universe({ includeDelisted: false, signal: signal() });
    expect(emu.state.requests.map((r) => r.path)).toEqual(['/dataapi/stock_basic']);
  });
});

describe('tushare provider: bars', () => {
  it('returns 241 end-labelled 1m bars per trading day matching the emulator row for row, and confirms suspended days empty', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    const dates = ['2025-06-16', '2025-06-17', '2025-06-18', '2025-06-19'];
    const result = await p.fetch({
      dataType: 'bars_1m',
      symbol: '600000.SH',
      tradeDates: dates,
      signal: signal(),
    });
    expect([...result.byDate.keys()]).toEqual(dates);
    expect(result.byDate.get('2025-06-18')).toEqual({ bars: [] }); // suspended in the emulated market
    for (const date of ['2025-06-16', '2025-06-17', '2025-06-19']) {
      const bars = result.byDate.get(date)?.bars ?? [];
      const truth = emu.state.market.minuteBars('600000.SH', date);
      expect(bars).toHaveLength(241);
      expect(bars).toEqual(
        truth.map((t) => ({
          symbol: '600000.SH',
          interval: '1m',
          ts: utc(t.tradeTime),
          open: t.open,
          high: t.high,
          low: t.low,
          close: t.close,
          volume: t.vol,
          amount: t.amount,
          source: 'tushare',
          tradeDate: date,
        })),
      );
      expect(bars[0]?.ts).toBe(Date.parse(`${date}T01:30:00Z`));
      expect(bars[240]?.ts).toBe(Date.parse(`${date}T07:00:00Z`));
    }
    expect(emu.state.requests).toHaveLength(1);
    expect(emu.state.requests[0]?.params).toEqual({
      ts_code: '600000.SH',
      freq: '1min',
      start_date: '2025-06-16 09:00:00',
      end_date: '2025-06-19 19:00:00',
    });
  });

  it('splits a 40-trading-day request that hits the 8000-row cap and stores no truncated day', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    const dates = emu.state.market.tradingDays('2025-03-03', '2025-05-31').slice(0, 40);
    expect(dates).toHaveLength(40);
    const result = await p.fetch({
      dataType: 'bars_1m',
      symbol: '300750.SZ',
      tradeDates: dates,
      signal: signal(),
    });
    for (const d of dates) {
      const bars = result.byDate.get(d)?.bars ?? [];
      expect(bars.map((b) => b.ts)).toEqual(
        emu.state.market.minuteBars('300750.SZ', d).map((b) => utc(b.tradeTime)),
      );
    }
    expect(emu.state.requests.map((r) => r.rowCount)).toEqual([8000, 20 * 241, 20 * 241]);
  });

  it('also splits when the server says has_more', async () => {
    const emu = await emulator({ rowCaps: { stk_mins: 1000 }, reportHasMore: true });
    const p = createTushareProvider(config(emu.url), deps());
    const dates = emu.state.market.tradingDays('2025-06-02', '2025-06-10');
    const result = await p.fetch({
      dataType: 'bars_1m',
      symbol: '600519.SH',
      tradeDates: dates,
      signal: signal(),
    });
    for (const d of dates) expect(result.byDate.get(d)?.bars).toHaveLength(241);
    expect(emu.state.requests.length).toBeGreaterThan(1);
    expect(emu.state.requests.every((r) => r.rowCount <= 1000)).toBe(true);
  });

  it('converts daily bars to shares and CNY at the 15:00 close, with prevClose and adjustment factors', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    const dates = emu.state.market.tradingDays('2025-06-09', '2025-06-20');
    const result = await p.fetch({
      dataType: 'bars_1d',
      symbol: '600000.SH',
      tradeDates: dates,
      signal: signal(),
    });
    for (const d of dates) {
      const set = result.byDate.get(d);
      const truth = emu.state.market.dailyBar('600000.SH', d);
      expect(set?.adjFactors).toEqual([
        {
          symbol: '600000.SH',
          tradeDate: d,
          adjFactor: emu.state.market.adjFactor('600000.SH', d),
          source: 'tushare',
        },
      ]);
      if (!truth) {
        expect(set?.bars).toEqual([]);
        continue;
      }
      const minutes = emu.state.market.minuteBars('600000.SH', d);
      expect(set?.bars).toEqual([
        {
          symbol: '600000.SH',
          interval: '1d',
          ts: Date.parse(`${d}T07:00:00Z`),
          open: truth.open,
          high: truth.high,
          low: truth.low,
          close: truth.close,
          volume: minutes.reduce((s, b) => s + b.vol, 0),
          amount: Math.round(truth.amount * 1000 * 100) / 100,
          source: 'tushare',
          tradeDate: d,
        },
      ]);
      expect(set?.prevClose).toBe(truth.preClose);
    }
    expect(result.byDate.get('2025-06-18')?.bars).toEqual([]);
    expect(emu.state.requests.map((r) => [r.apiName, r.params['start_date'], r.params['end_date']])).toEqual([
      ['daily', '20250609', '20250620'],
      ['adj_factor', '20250609', '20250620'],
    ]);
  });

  it('fetches the whole market for one date in a single daily call', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    const market = await p.dailyMarket({ tradeDate: '2025-06-17', signal: signal() });
    const trading = emu.state.market.listings.filter((l) => emu.state.market.trades(l.tsCode, '2025-06-17'));
    expect([...market.keys()].sort()).toEqual(trading.map((l) => l.tsCode).sort());
    expect(market.get('600519.SH')?.bars?.[0]?.volume).toBe(
      (emu.state.market.dailyBar('600519.SH', '2025-06-17')?.vol ?? 0) * 100,
    );
    expect(emu.state.requests).toHaveLength(1);
  });

  it('refuses data types and symbols it does not serve', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    for (const [dataType, symbol] of [
      ['ticks', '600000.SH'],
      ['bars_1m', 'AAPL'],
    ] as const) {
      const e = await failure(p.fetch({ dataType, symbol, tradeDates: ['2025-06-17'], signal: signal() }));
      expect(e.code).toBe('PROVIDER_UNSUPPORTED');
    }
    expect(emu.state.requests).toHaveLength(0);
  });
});

describe('tushare provider: order books', () => {
  it('serves best bid/ask from rt_k for today in Shanghai', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    const result = await p.fetch({
      dataType: 'order_book',
      symbol: '600519.SH',
      tradeDates: ['2025-06-17'],
      signal: signal(),
    });
    const q = emu.state.market.quote('600519.SH', NOW);
    expect(result.byDate.get('2025-06-17')?.books).toEqual([
      {
        symbol: '600519.SH',
        ts: NOW,
        bidPrices: [q?.bidPrice1],
        bidVolumes: [q?.bidVolume1],
        askPrices: [q?.askPrice1],
        askVolumes: [q?.askVolume1],
        source: 'tushare',
        tradeDate: '2025-06-17',
      },
    ]);
  });

  it('refuses historical order books as unsupported without calling rt_k, and never returns them empty', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url), deps());
    const e = await failure(
      p.fetch({ dataType: 'order_book', symbol: '600519.SH', tradeDates: ['2025-06-16'], signal: signal() }),
    );
    expect(e.code).toBe('PROVIDER_UNSUPPORTED');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain(
      'Tushare has no historical order books; rt_k serves only the current session',
    );
    expect(emu.state.requests).toHaveLength(0);
    const mixed = await p.fetch({
      dataType: 'order_book',
      symbol: '600519.SH',
      tradeDates: ['2025-06-16', '2025-06-17'],
      signal: signal(),
    });
    expect(mixed.byDate.get('2025-06-17')?.books).toHaveLength(1);
    expect(mixed.byDate.has('2025-06-16')).toBe(false);
    expect(mixed.errors?.get('2025-06-16')?.code).toBe('PROVIDER_UNSUPPORTED');
  });
});

describe('tushare provider: errors', () => {
  it('classifies a bad token as PROVIDER_AUTH naming the token only by its last 4 characters', async () => {
    const emu = await emulator();
    const p = createTushareProvider(config(emu.url, { token: SECRET }), deps());
    const e = await failure(
      p.fetch({ dataType: 'bars_1m', symbol: '600000.SH', tradeDates: ['2025-06-17'], signal: signal() }),
    );
    expect(e.code).toBe('PROVIDER_AUTH');
    expect(e.retryable).toBe(false);
    expect(e.context).toMatchObject({ keyIndex: 0 });
    expect(e.message).toContain('…zz99');
    expect(e.message).toMatch(/^Tushare "stk_mins" refused 600000\.SH: /);
    expect(JSON.stringify({ message: e.message, context: e.context, stack: e.stack })).not.toContain(SECRET);
  });

  it('uses the token the gate picks', async () => {
    const emu = await emulator();
    const pick = (keyIndex: number): RequestGate => ({
      ...unlimitedGate,
      acquire: async () => ({ keyIndex }),
    });
    const cfg = config(emu.url, { token: undefined, tokens: [SECRET, TOKEN] });
    const ok = createTushareProvider(cfg, deps({ gate: pick(1) }));
    expect(await ok.universe({ includeDelisted: false, signal: signal() })).toHaveLength(11);
    const bad = createTushareProvider(cfg, deps({ gate: pick(0) }));
    const e = await failure(bad.universe({ includeDelisted: false, signal: signal() }));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH', context: { keyIndex: 0 } });
    expect(emu.state.requests.map((r) => r.tokenLast4)).toEqual(['0001', 'zz99']);
  });

  it('fails fast without any token', () => {
    expect(() => createTushareProvider(config('http://127.0.0.1:1', { token: undefined }), deps())).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('classifies a missing interface permission as PROVIDER_PERMISSION', async () => {
    const emu = await emulator({ tokens: { [TOKEN]: { apis: ['stock_basic', 'trade_cal', 'daily'] } } });
    const p = createTushareProvider(config(emu.url), deps());
    const e = await failure(
      p.fetch({ dataType: 'bars_1m', symbol: '600000.SH', tradeDates: ['2025-06-17'], signal: signal() }),
    );
    expect(e).toMatchObject({ code: 'PROVIDER_PERMISSION', retryable: false });
  });

  it('classifies a per-minute refusal with the stated limit and a wait from its own send log', async () => {
    let now = NOW;
    const emu = await emulator({ now: () => now, tokens: { [TOKEN]: { perMinute: { stk_mins: 3 } } } });
    const p = createTushareProvider(config(emu.url), deps({ now: () => now }));
    const fetchDay = () =>
      p.fetch({ dataType: 'bars_1m', symbol: '600000.SH', tradeDates: ['2025-06-16'], signal: signal() });
    for (let i = 0; i < 3; i++) {
      await fetchDay();
      now += 10_000;
    }
    const e = await failure(fetchDay());
    expect(e.code).toBe('PROVIDER_RATE_LIMITED');
    expect(e.retryable).toBe(true);
    expect(e.context).toMatchObject({ endpoint: 'stk_mins', keyIndex: 0, statedLimitPerMinute: 3 });
    // Sends at 0, 10, 20 and the refused one at 30 s: the window holds < 3 again once the 10 s send ages out.
    expect(e.retryAfterMs).toBe(40_000);
    expect(e.message).toBe(
      'Tushare "stk_mins" refused 600000.SH: rate limit of 3/min reached on key 0; waiting 40 s',
    );
  });

  it('classifies a daily cap as PROVIDER_QUOTA_EXHAUSTED for the key', async () => {
    const emu = await emulator({ tokens: { [TOKEN]: { perDay: { daily: 1 } } } });
    const p = createTushareProvider(config(emu.url), deps());
    await p.dailyMarket({ tradeDate: '2025-06-17', signal: signal() });
    const e = await failure(p.dailyMarket({ tradeDate: '2025-06-16', signal: signal() }));
    expect(e).toMatchObject({ code: 'PROVIDER_QUOTA_EXHAUSTED', retryable: false, context: { keyIndex: 0 } });
  });

  it('classifies an unknown interface as PROVIDER_BAD_REQUEST', async () => {
    const emu = await emulator();
    const client = createTushareClient({
      baseUrl: emu.url,
      tokens: [TOKEN],
      timeoutMs: 5000,
      fetch: globalThis.fetch,
      gate: unlimitedGate,
      now: () => NOW,
      logger: silentLogger,
    });
    const e = await failure(client.query({ api: 'no_such_api', params: {}, fields: [], signal: signal() }));
    expect(e).toMatchObject({ code: 'PROVIDER_BAD_REQUEST', retryable: false });
  });

  it.each([
    ['http500', 'PROVIDER_UNAVAILABLE'],
    ['reset', 'PROVIDER_UNAVAILABLE'],
    ['truncated', 'PROVIDER_BAD_RESPONSE'],
  ] as const)(
    'classifies an injected %s as retryable %s, and the next attempt succeeds',
    async (fault, code) => {
      const emu = await emulator();
      emu.state.enqueueFaults(fault);
      const p = createTushareProvider(config(emu.url), deps());
      const e = await failure(p.universe({ includeDelisted: false, signal: signal() }));
      expect(e).toMatchObject({ code, retryable: true });
      expect(await p.universe({ includeDelisted: false, signal: signal() })).toHaveLength(11);
    },
  );

  it('times out a slow answer after timeout_ms as retryable PROVIDER_UNAVAILABLE', async () => {
    const emu = await emulator({ slowMs: 2_000 });
    emu.state.enqueueFaults('slow');
    const p = createTushareProvider(config(emu.url, { timeout_ms: 150 }), deps());
    const t0 = Date.now();
    const e = await failure(p.universe({ includeDelisted: false, signal: signal() }));
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(e).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(e.message).toContain('no answer within 150 ms');
  });

  it("reports the caller's abort as ABORTED, not as a provider failure", async () => {
    const emu = await emulator({ slowMs: 2_000 });
    emu.state.enqueueFaults('slow');
    const p = createTushareProvider(config(emu.url), deps());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const e = await failure(p.universe({ includeDelisted: false, signal: controller.signal }));
    expect(e.code).toBe('ABORTED');
  });
});

describe('tushare provider: pacing', () => {
  // A shortened "minute" keeps the real-clock test fast; the emulator and the gate agree on it.
  const windowMs = 1_000;
  const limit = 4;
  const dates = [
    '2025-06-02',
    '2025-06-03',
    '2025-06-04',
    '2025-06-05',
    '2025-06-06',
    '2025-06-09',
    '2025-06-10',
    '2025-06-11',
    '2025-06-12',
    '2025-06-13',
    '2025-06-16',
    '2025-06-17',
  ];

  it('sends zero requests over the emulator limit when a sliding-window gate paces it, under concurrency', async () => {
    const emu = await emulator({
      now: Date.now,
      windowMs,
      tokens: { [TOKEN]: { perMinute: { stk_mins: limit } } },
    });
    // The emulator shares this process's event loop, so acquire→arrival jitter reaches ~150 ms;
    // the gate's margin must exceed it (so must the pipeline gate's, against real latency).
    const gate = createSlidingWindowGate({ limit, windowMs, marginMs: 300 });
    for (const d of dates) emu.state.market.dailyBar('600519.SH', d);
    const p = createTushareProvider(config(emu.url), deps({ gate }));
    // Warm the HTTP client and the emulator up on an unlimited interface first.
    await p.dailyMarket({ tradeDate: '2025-06-17', signal: signal() });
    const results = await Promise.all(
      dates.map((d) =>
        p.fetch({ dataType: 'bars_1m', symbol: '600519.SH', tradeDates: [d], signal: signal() }),
      ),
    );
    expect(results.every((r) => r.byDate.get([...r.byDate.keys()][0] as string)?.bars?.length === 241)).toBe(
      true,
    );
    expect(emu.state.requests).toHaveLength(dates.length + 1);
    expect(gate.acquired).toHaveLength(dates.length + 1);
    expect(emu.state.requests.filter((r) => r.overLimit)).toEqual([]);
  });

  it('spreads requests over several tokens, each within its own limit', async () => {
    const other = 'emulator-token-0002';
    const policy = { perMinute: { stk_mins: 2 } };
    const emu = await emulator({ now: Date.now, windowMs, tokens: { [TOKEN]: policy, [other]: policy } });
    const gate = createSlidingWindowGate({ limit: 2, windowMs, marginMs: 300 });
    for (const d of dates) emu.state.market.dailyBar('600519.SH', d);
    const p = createTushareProvider(
      config(emu.url, { token: undefined, tokens: [TOKEN, other] }),
      deps({ gate }),
    );
    await Promise.all(
      dates
        .slice(0, 8)
        .map((d) => p.fetch({ dataType: 'bars_1m', symbol: '600519.SH', tradeDates: [d], signal: signal() })),
    );
    expect(emu.state.requests.filter((r) => r.overLimit)).toEqual([]);
    const perToken = emu.state.requests.map((r) => r.tokenLast4);
    expect(perToken.filter((t) => t === '0001')).toHaveLength(4);
    expect(perToken.filter((t) => t === '0002')).toHaveLength(4);
  });

  it('does go over the limit without pacing (the check above can fail)', async () => {
    const emu = await emulator({
      now: Date.now,
      windowMs,
      tokens: { [TOKEN]: { perMinute: { stk_mins: limit } } },
    });
    const p = createTushareProvider(config(emu.url), deps());
    const settled = await Promise.allSettled(
      dates.map((d) =>
        p.fetch({ dataType: 'bars_1m', symbol: '600519.SH', tradeDates: [d], signal: signal() }),
      ),
    );
    const refused = settled.filter((s) => s.status === 'rejected').map((s) => (s.reason as IngestError).code);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['PROVIDER_RATE_LIMITED']));
    expect(emu.state.requests.filter((r) => r.overLimit).length).toBe(refused.length);
  });
});

describe('tushare provider: capabilities', () => {
  it('declares its data types, fetch sizes and per-endpoint limits from config', () => {
    const p = createTushareProvider(
      config('http://127.0.0.1:1', { rate_limit: { requests_per_minute: 200, per_api: { stk_mins: 50 } } }),
      deps(),
    );
    expect(p.name).toBe('tushare');
    expect(p.capabilities.dataTypes).toEqual(['bars_1m', 'bars_1d', 'order_book']);
    expect(p.capabilities.tickData).toBe('bars_1m');
    expect(p.capabilities.maxDaysPerFetch).toMatchObject({ bars_1m: 33, bars_1d: 250 });
    const byName = Object.fromEntries(p.capabilities.endpoints.map((e) => [e.name, e]));
    expect(byName['stk_mins']).toMatchObject({ requestsPerMinute: 50, rowCap: 8000 });
    expect(byName['daily']).toMatchObject({ requestsPerMinute: 200, rowCap: 6000 });
  });
});
