import { afterEach, describe, expect, it } from 'vitest';
import { createSlidingWindowGate } from '../../../test/emulators/tushare/sliding-window-gate.js';
import {
  NOW,
  SECRET,
  TOKEN,
  closeEmulators,
  config,
  deps,
  emulator,
  failure,
  signal,
} from '../../../test/support/tushare-provider-setup.js';
import type { IngestError } from '../../errors.js';
import { silentLogger } from '../../limits/logger.js';
import { unlimitedGate, type RequestGate } from '../../limits/request-gate.js';
import { createTushareClient } from './tushare-client.js';
import { createTushareProvider } from './tushare-provider.js';

afterEach(closeEmulators);

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
