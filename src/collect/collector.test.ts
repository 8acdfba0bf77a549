import { createClient } from '@clickhouse/client';
import { afterEach, describe, expect, it } from 'vitest';
import { clickHouseTestConfig, clickHouseTestUrl } from '../../test/support/clickhouse-env.js';
import { createClickHouseLive } from '../storage/clickhouse/clickhouse-live.js';
import { createClickHouseStore } from '../storage/clickhouse/clickhouse-store.js';
import { withLive } from '../storage/with-live.js';
import {
  startTushareEmulator,
  type TushareEmulator,
  type TushareEmulatorOptions,
} from '../../test/emulators/tushare/tushare-emulator.js';
import { createVirtualClock, type VirtualClock } from '../../test/support/virtual-clock.js';
import { configSchema } from '../config/schema.js';
import { shanghaiTime } from '../domain/dates.js';
import type { Ticker } from '../domain/ticker.js';
import { computeFactors } from '../factors/compute-factors.js';
import { IngestError } from '../errors.js';
import { silentLogger } from '../limits/logger.js';
import { createMemoryStore } from '../storage/memory/memory-store.js';
import type { Store } from '../storage/store.js';
import { createCollector, type CollectEvent, type CollectResult } from './collector.js';
import { prepareCollect } from './prepare-collect.js';
import { localTimeOfDay, nextLocalTime } from './trading-sessions.js';

const TOKEN = 'emulator-token-0001';
const DAY = '2025-06-17'; // a Tuesday
const running: TushareEmulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

interface Rig {
  clock: VirtualClock;
  emu: TushareEmulator;
  store: Store;
}

async function rig(
  startLocal: string,
  emulatorOptions: TushareEmulatorOptions = {},
  store?: Store,
  startDate = DAY,
): Promise<Rig> {
  const clock = createVirtualClock(shanghaiTime(startDate, startLocal));
  const emu = await startTushareEmulator({ now: () => clock.now(), ...emulatorOptions });
  running.push(emu);
  const s = store ?? createMemoryStore();
  await s.init();
  return { clock, emu, store: s };
}

async function collect(
  r: Rig,
  options: {
    intervalMs: number;
    symbols?: readonly Ticker[] | 'ALL';
    untilLocal?: string;
    sessions?: number;
    rpm?: number;
    signal?: AbortSignal;
    onEvent?: (e: CollectEvent) => void;
  },
): Promise<{ result: CollectResult; events: CollectEvent[]; intervalMs: number; raised: boolean }> {
  const config = configSchema.parse({
    providers: {
      tushare: {
        enabled: true,
        token: TOKEN,
        base_url: r.emu.url,
        rate_limit: { requests_per_minute: options.rpm ?? 500 },
      },
    },
  });
  const signal = options.signal ?? new AbortController().signal;
  const prepared = await prepareCollect({
    config,
    provider: 'tushare',
    symbols: options.symbols ?? 'ALL',
    requestedIntervalMs: options.intervalMs,
    clock: r.clock,
    fetch: globalThis.fetch,
    logger: silentLogger,
    signal,
  });
  const events: CollectEvent[] = [];
  const collector = createCollector({
    source: prepared.source,
    target: prepared.target,
    store: r.store,
    clock: r.clock,
    gate: prepared.gate,
    intervalMs: prepared.fitted.intervalMs,
    ...(options.untilLocal ? { untilMs: nextLocalTime(r.clock.now(), options.untilLocal) } : {}),
    ...(options.sessions ? { sessions: options.sessions } : {}),
    runId: 'collect-test',
    computeFactors,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  const result = await collector.run(signal);
  return { result, events, intervalMs: prepared.fitted.intervalMs, raised: prepared.fitted.raised };
}

async function rows(store: Store, table: string, symbol: string): Promise<Record<string, unknown>[]> {
  const r = await store.query({
    sql: `SELECT * FROM ${table} WHERE symbol = '${symbol}' AND trade_date = '${DAY}' ORDER BY ts`,
  });
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
}

const rtkRequests = (emu: TushareEmulator) => emu.state.requests.filter((q) => q.apiName === 'rt_k');
const local = (ms: number) => localTimeOfDay(ms);

describe('collector through a trading day (Tushare emulator, virtual clock)', () => {
  it('polls only inside sessions, stores changed snapshots, and derives trades that add up to the cumulative volume', async () => {
    const r = await rig('08:30:00', { market: { quoteResetAt: '09:20:00' } });
    const { result, events } = await collect(r, { intervalMs: 60_000, sessions: 1 });
    expect(result.reason).toBe('sessions');

    const times = rtkRequests(r.emu).map((q) => local(q.atMs));
    expect(times.length).toBeGreaterThan(0);
    // Nothing before the opening auction, nothing in the lunch break but the closing poll, nothing at night.
    expect(times.filter((t) => t < '09:15:00')).toEqual([]);
    expect(times.filter((t) => t > '11:30:00' && t < '13:00:00').every((t) => t === '11:30:01')).toBe(true);
    expect(times.filter((t) => t > '11:30:00' && t < '13:00:00').length).toBeGreaterThan(0);
    expect(times.filter((t) => t > '15:00:01')).toEqual([]);
    expect(times).toContain('15:00:01');

    const market = r.emu.state.market;
    const listed = market.listings.filter((l) => l.listStatus === 'L').map((l) => l.tsCode);
    for (const symbol of listed) {
      const ticks = await rows(r.store, 'ticks', symbol);
      const books = await rows(r.store, 'order_book', symbol);
      const daily = market.dailyBar(symbol, DAY);
      if (daily === undefined) {
        expect(ticks).toEqual([]);
        continue;
      }
      // The previous session, still served until 09:20, is not stored as today's.
      expect(books.every((b) => local(Date.parse(b.ts as string)) >= '09:20:00')).toBe(true);
      const volumes = ticks.map((t) => t.volume as number);
      expect(volumes.every((v) => v > 0)).toBe(true);
      // First snapshot (the auction, nothing traded) is the baseline: trades sum to the day's volume.
      expect(volumes.reduce((a, b) => a + b, 0)).toBe(daily.vol * 100);
      const amount = ticks.reduce((a, t) => a + (t.amount as number), 0);
      const closing = market.quote(symbol, shanghaiTime(DAY, '15:00:01'));
      expect(amount).toBeCloseTo(closing?.amount ?? NaN, 2);
      const seqs = ticks.map((t) => t.seq as number);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(seqs.length);
      // The closing auction freezes the quote: between 14:57 and 15:00 at most one snapshot is new.
      const auction = books.filter((b) => {
        const t = local(Date.parse(b.ts as string));
        return t > '14:57:00' && t < '15:00:00';
      });
      expect(auction.length).toBeLessThanOrEqual(1);
      // The closing print is kept (closing poll after 15:00).
      expect(ticks.some((t) => local(Date.parse(t.ts as string)) === '15:00:01')).toBe(true);
      // No two consecutive stored snapshots are identical.
      for (let i = 1; i < books.length; i++) {
        const a = books[i - 1] as Record<string, unknown>;
        const b = books[i] as Record<string, unknown>;
        const same =
          JSON.stringify([a.bid_prices, a.bid_volumes, a.ask_prices, a.ask_volumes]) ===
          JSON.stringify([b.bid_prices, b.bid_volumes, b.ask_prices, b.ask_volumes]);
        if (same) {
          const ti = ticks.find((t) => t.ts === b.ts);
          expect(ti, `identical book at ${String(b.ts)} stored without a trade`).toBeDefined();
        }
      }
      const factors = await rows(r.store, 'factors', symbol);
      expect(factors.length).toBeGreaterThan(0);
    }
    const closed = events.filter((e) => e.type === 'collect:day-closed');
    expect(closed).toHaveLength(1);
    const ledger = await r.store.readLedger({ filter: { provider: 'tushare' } });
    expect(ledger.filter((e) => e.dataType === 'ticks' && e.status === 'ok').length).toBeGreaterThan(5);
    const coverage = await r.store.live?.coverage({ source: 'tushare' });
    expect(coverage?.length).toBeGreaterThan(5);
    for (const c of coverage ?? []) {
      // The only gap: 09:15–09:20, while rt_k still showed the previous session.
      expect(c).toMatchObject({ gaps: 1, longestGapMs: 5 * 60_000 });
      expect(local(c.lastTs)).toBe('15:00:01');
    }
  }, 60_000);

  it('skips an unchanged snapshot (same state polled twice) and never stores zero-volume trades', async () => {
    const r = await rig('13:59:00');
    // 1 s polls against 3 s quote steps: two of three polls see the same snapshot.
    await collect(r, { intervalMs: 1_000, symbols: ['600519.SH'], untilLocal: '14:01:00' });
    const polls = rtkRequests(r.emu).length;
    const books = await rows(r.store, 'order_book', '600519.SH');
    expect(polls).toBe(120);
    expect(books.length).toBe(40);
    const ticks = await rows(r.store, 'ticks', '600519.SH');
    expect(ticks.every((t) => (t.volume as number) > 0)).toBe(true);
  }, 30_000);

  it('restarts mid-session without a duplicate or a changed row', async () => {
    const symbols = ['600519.SH', '000001.SZ', '830799.BJ'];
    const whole = await rig('10:00:00');
    await collect(whole, { intervalMs: 15_000, symbols, untilLocal: '11:00:00' });

    const split = await rig('10:00:00');
    await collect(split, { intervalMs: 15_000, symbols, untilLocal: '10:30:00' });
    // A new process: new tracker, same store; it continues from the last stored snapshot.
    const second = await collect(split, { intervalMs: 15_000, symbols, untilLocal: '11:00:00' });
    expect(second.events.find((e) => e.type === 'collect:window-open')).toMatchObject({
      restoredSymbols: expect.any(Number),
    });
    for (const symbol of symbols) {
      for (const table of ['ticks', 'order_book']) {
        expect(await rows(split.store, table, symbol)).toEqual(await rows(whole.store, table, symbol));
      }
    }
    const [cw] = (await whole.store.live?.coverage({ symbols: ['600519.SH'] })) ?? [];
    const [cs] = (await split.store.live?.coverage({ symbols: ['600519.SH'] })) ?? [];
    // The same coverage: the only gap is the one before the first start (09:15–10:00).
    expect(cs).toMatchObject({
      polls: cw?.polls,
      snapshots: cw?.snapshots,
      gaps: 1,
      longestGapMs: 45 * 60_000,
    });
  }, 30_000);

  it('after a restart with downtime, the first trade carries the missed volume once and the gap is recorded', async () => {
    const r = await rig('10:00:00');
    await collect(r, { intervalMs: 15_000, symbols: ['600519.SH'], untilLocal: '10:20:00' });
    r.clock.set(shanghaiTime(DAY, '10:40:00'));
    await collect(r, { intervalMs: 15_000, symbols: ['600519.SH'], untilLocal: '11:00:00' });
    const ticks = await rows(r.store, 'ticks', '600519.SH');
    const books = await rows(r.store, 'order_book', '600519.SH');
    const q0 = r.emu.state.market.quote('600519.SH', Date.parse(books[0]?.ts as string));
    const q1 = r.emu.state.market.quote('600519.SH', shanghaiTime(DAY, '10:59:45'));
    const sum = ticks.reduce((a, t) => a + (t.volume as number), 0);
    expect(sum).toBe((q1?.vol ?? 0) - (q0?.vol ?? 0));
    const [c] = (await r.store.live?.coverage({ symbols: ['600519.SH'] })) ?? [];
    // 09:15–10:00 before the first start, and the downtime 10:19:45–10:40:00.
    expect(c?.gaps).toBe(2);
    expect(c?.longestGapMs).toBe(45 * 60_000);
    expect(c?.lastTs).toBe(shanghaiTime(DAY, '10:59:45'));
  }, 30_000);
});

describe('collector on ClickHouse', () => {
  const url = clickHouseTestUrl();
  it.skipIf(url === undefined)(
    'stores the same rows as the memory store, once each under FINAL, and the day’s factors',
    async () => {
      const cfg = clickHouseTestConfig({ url: url as string });
      const ch = createClickHouseStore(cfg);
      await ch.init();
      const store = withLive(ch, await createClickHouseLive(cfg));
      try {
        const symbols = ['600519.SH', '000001.SZ'];
        const a = await rig('14:50:00');
        await collect(a, { intervalMs: 15_000, symbols, sessions: 1 });
        const b = await rig('14:50:00', {}, store);
        await collect(b, { intervalMs: 15_000, symbols, sessions: 1 });
        for (const table of ['ticks', 'order_book', 'factors']) {
          const sql = (final: string) =>
            `SELECT * FROM ${table}${final} WHERE symbol = '600519.SH' ORDER BY ts${table === 'factors' ? ', factor' : ''}`;
          const mem = await a.store.query({ sql: sql('') });
          const got = await store.query({ sql: sql(' FINAL') });
          expect(got.rows.length).toBeGreaterThan(0);
          expect(got.rows).toEqual(mem.rows);
        }
      } finally {
        await store.close();
        const c = createClient({ url: url as string });
        await c.command({ query: `DROP DATABASE IF EXISTS ${cfg.database}` });
        await c.close();
      }
    },
    60_000,
  );
});

describe('collector: days without trading', () => {
  it('sleeps through a weekend and the National Day holiday without a single request', async () => {
    const r = await rig('15:30:00', {}, undefined, '2025-09-26'); // a Friday before the holiday week
    const { events } = await collect(r, {
      intervalMs: 60_000,
      symbols: ['600519.SH'],
      untilLocal: '09:20:00',
    });
    // --until 09:20 is the next 09:20 (Saturday): nothing is polled.
    expect(rtkRequests(r.emu)).toEqual([]);
    expect(events.filter((e) => e.type === 'collect:sleeping')).toHaveLength(1);

    r.clock.set(shanghaiTime('2025-09-30', '15:30:00')); // the eve of the National Day week
    const more = await collect(r, { intervalMs: 60_000, symbols: ['600519.SH'], sessions: 1 });
    expect(more.events.find((e) => e.type === 'collect:sleeping')).toMatchObject({
      next: { tradeDate: '2025-10-09', name: 'morning' },
    });
    const days = new Set(
      rtkRequests(r.emu).map((q) => new Date(q.atMs + 8 * 3_600_000).toISOString().slice(0, 10)),
    );
    expect([...days]).toEqual(['2025-10-09']);
    expect(more.result.reason).toBe('sessions');
  }, 30_000);
});

describe('collector: limits and failures', () => {
  it('raises the interval to the smallest that fits the limit and keeps that cadence with no refusal', async () => {
    const r = await rig('09:59:00', { tokens: { [TOKEN]: { perMinute: { rt_k: 20 } } } });
    const { intervalMs, raised } = await collect(r, { intervalMs: 3_000, rpm: 20, untilLocal: '10:30:00' });
    // 4 requests per snapshot (6*.SH, 0*.SZ, 3*.SZ, 830799.BJ); 20 per 61 s window → 5 snapshots.
    expect(raised).toBe(true);
    expect(intervalMs).toBe(12_300);
    const reqs = rtkRequests(r.emu);
    expect(reqs.filter((q) => q.code !== 0)).toEqual([]);
    const starts = reqs.filter((_, i) => i % 4 === 0).map((q) => q.atMs);
    const diffs = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(new Set(diffs)).toEqual(new Set([12_300]));
    for (const q of reqs) {
      expect(reqs.filter((o) => o.atMs > q.atMs - 60_000 && o.atMs <= q.atMs).length).toBeLessThanOrEqual(20);
    }
  }, 30_000);

  it('learns a lower limit from a rate-limit answer and waits for it instead of hammering the provider', async () => {
    // The config allows 500/min but the account gets 10/min: Tushare says so in its refusal.
    const r = await rig('10:00:00', { tokens: { [TOKEN]: { perMinute: { rt_k: 10 } } } });
    const { events } = await collect(r, {
      intervalMs: 3_000,
      symbols: ['600519.SH'],
      untilLocal: '10:10:00',
    });
    const failed = events.filter((e) => e.type === 'collect:poll-failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => e.type === 'collect:poll-failed' && e.rateLimited)).toBe(true);
    const reqs = rtkRequests(r.emu);
    const refused = reqs.filter((q) => q.code !== 0);
    expect(refused.length).toBeLessThanOrEqual(2);
    // After the refusal every later request lands within the learned limit.
    const after = reqs.filter((q) => q.atMs > (refused[refused.length - 1]?.atMs ?? 0));
    expect(after.length).toBeGreaterThan(40);
    for (const q of after) {
      expect(after.filter((o) => o.atMs > q.atMs - 60_000 && o.atMs <= q.atMs).length).toBeLessThanOrEqual(
        10,
      );
    }
  }, 30_000);

  it('keeps the cadence through provider failures and a store outage, and loses no volume', async () => {
    const base = createMemoryStore();
    let down = false;
    const live = base.live;
    const store: Store = {
      ...base,
      init: (p) => base.init(p),
      live: live && {
        ...live,
        append: async (p) => {
          if (down) throw new IngestError('STORAGE_FAILED', 'store is down (test)');
          return live.append(p);
        },
      },
    };
    const r = await rig('10:00:00', {}, store);
    let pollsSeen = 0;
    const events: CollectEvent[] = [];
    await collect(r, {
      intervalMs: 15_000,
      symbols: ['600519.SH'],
      untilLocal: '10:30:00',
      onEvent: (e) => {
        events.push(e);
        if (e.type !== 'collect:polled' && e.type !== 'collect:poll-failed') return;
        pollsSeen++;
        if (pollsSeen === 10) r.emu.state.enqueueFaults('http500', 'reset', 'http500', 'http500', 'http500');
        if (pollsSeen === 30) down = true;
        if (pollsSeen === 40) down = false;
      },
    });
    const failed = events.filter((e) => e.type === 'collect:poll-failed');
    expect(failed).toHaveLength(5);
    expect(events.some((e) => e.type === 'collect:store-failed')).toBe(true);
    expect(events.some((e) => e.type === 'collect:store-recovered')).toBe(true);
    // Cadence: every poll on the 15 s grid.
    const grid = r.emu.state.requests.map((q) => (q.atMs - shanghaiTime(DAY, '09:15:00')) % 15_000);
    expect(new Set(grid)).toEqual(new Set([0]));
    const ticks = await rows(base, 'ticks', '600519.SH');
    const books = await rows(base, 'order_book', '600519.SH');
    const first = r.emu.state.market.quote('600519.SH', Date.parse(books[0]?.ts as string));
    const last = r.emu.state.market.quote('600519.SH', Date.parse(books[books.length - 1]?.ts as string));
    expect(ticks.reduce((a, t) => a + (t.volume as number), 0)).toBe((last?.vol ?? 0) - (first?.vol ?? 0));
    const [c] = (await base.live?.coverage({ symbols: ['600519.SH'] })) ?? [];
    // 09:15–10:00 before the start, and the five failed polls (75 s > 3 intervals).
    expect(c?.gaps).toBe(2);
  }, 30_000);

  it('ends with PROVIDER_AUTH on a bad token', async () => {
    const r = await rig('10:00:00', { tokens: { 'another-token': {} } });
    await expect(
      collect(r, { intervalMs: 3_000, symbols: ['600519.SH'], untilLocal: '10:05:00' }),
    ).rejects.toMatchObject({
      code: 'PROVIDER_AUTH',
    });
  });

  it('stops cleanly on abort, keeping what was collected', async () => {
    const r = await rig('10:00:00');
    const stop = new AbortController();
    let n = 0;
    const { result } = await collect(r, {
      intervalMs: 3_000,
      symbols: ['600519.SH'],
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'collect:polled' && ++n === 5) stop.abort();
      },
    });
    expect(result.reason).toBe('aborted');
    expect((await rows(r.store, 'order_book', '600519.SH')).length).toBe(5);
  });
});
