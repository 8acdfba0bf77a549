import { afterEach, describe, expect, it } from 'vitest';
import {
  NOW,
  closeEmulators,
  config,
  deps,
  emulator,
  failure,
  signal,
  utc,
} from '../../../test/support/tushare-provider-setup.js';
import { createTushareProvider } from './tushare-provider.js';

afterEach(closeEmulators);

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
