import { afterEach, describe, expect, it } from 'vitest';
import {
  startTushareEmulator,
  type TushareEmulator,
  type TushareEmulatorOptions,
} from './tushare-emulator.js';
import { MINUTE_LABELS } from './tushare-market.js';

const TOKEN = 'emulator-token-0001';
const running: TushareEmulator[] = [];

async function start(options: TushareEmulatorOptions = {}): Promise<TushareEmulator> {
  const emu = await startTushareEmulator(options);
  running.push(emu);
  return emu;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

interface Envelope {
  request_id: string;
  code: number;
  msg: string;
  data: { fields: string[]; items: unknown[][]; has_more: boolean; count: number } | null;
  detail: string;
}

async function call(url: string, body: Record<string, unknown>, path = '/'): Promise<Envelope> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: TOKEN, params: {}, fields: '', ...body }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Envelope;
}

const DOC = '权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。';

describe('tushare emulator: envelope and routing', () => {
  it('answers the same envelope on /, /dataapi and /dataapi/<api_name>, dispatching on the body', async () => {
    const emu = await start();
    for (const path of ['/', '/dataapi', '/dataapi/daily']) {
      const env = await call(
        emu.url,
        { api_name: 'trade_cal', params: { start_date: '20240102', end_date: '20240105' } },
        path,
      );
      expect(env.code).toBe(0);
      expect(env.msg).toBe('');
      expect(env.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(env.data?.fields).toEqual(['exchange', 'cal_date', 'is_open', 'pretrade_date']);
      expect(env.data?.items.map((r) => r[1])).toEqual(['20240105', '20240104', '20240103', '20240102']);
    }
    expect(emu.state.requests.map((r) => r.path)).toEqual(['/', '/dataapi', '/dataapi/daily']);
  });

  it('answers a bad token, an unknown api and a missing permission with the real codes and messages', async () => {
    const emu = await start({ tokens: { [TOKEN]: { apis: ['daily'] } } });
    const bad = await call(emu.url, {
      api_name: 'daily',
      token: 'nope-1234',
      params: { ts_code: '600000.SH' },
    });
    expect(bad).toMatchObject({ code: 40101, msg: '您的token不对，请确认。', data: null });
    const unknown = await call(emu.url, { api_name: 'no_such_api' });
    expect(unknown.code).not.toBe(0);
    expect(unknown.msg).toContain('请指定正确的接口名');
    const denied = await call(emu.url, {
      api_name: 'stk_mins',
      params: { ts_code: '600000.SH', freq: '1min' },
    });
    expect(denied).toMatchObject({
      code: 40203,
      msg: `抱歉，您没有接口(stk_mins)访问权限，${DOC}`,
      data: null,
    });
    const missing = await call(emu.url, { api_name: 'daily' });
    expect(missing.msg).toContain('参数校验失败');
    expect(emu.state.requests.map((r) => r.tokenLast4)).toEqual(['1234', '0001', '0001', '0001']);
  });
});

describe('tushare emulator: rate limits', () => {
  it('refuses the N+1-th request in a sliding 60 s window, records it as over the limit, and frees with the clock', async () => {
    let now = Date.parse('2025-06-17T02:00:00Z');
    const emu = await start({ now: () => now, tokens: { [TOKEN]: { perMinute: { trade_cal: 2 } } } });
    const q = { api_name: 'trade_cal', params: { start_date: '20250617', end_date: '20250617' } };
    expect((await call(emu.url, q)).code).toBe(0);
    now += 30_000;
    expect((await call(emu.url, q)).code).toBe(0);
    now += 29_000;
    const refused = await call(emu.url, q);
    expect(refused).toMatchObject({ code: 40203, msg: `抱歉，您每分钟最多访问该接口2次，${DOC}` });
    // Other APIs have their own budget.
    expect((await call(emu.url, { api_name: 'stock_basic' })).code).toBe(0);
    now += 1_001;
    expect((await call(emu.url, q)).code).toBe(0);
    expect(emu.state.requests.map((r) => r.overLimit)).toEqual([false, false, true, false, false]);
  });

  it('can use fixed, aligned windows instead', async () => {
    let now = Date.parse('2025-06-17T02:00:50Z');
    const emu = await start({ now: () => now, rateWindow: 'fixed', tokens: { [TOKEN]: { perMinute: 1 } } });
    const q = { api_name: 'stock_basic' };
    expect((await call(emu.url, q)).code).toBe(0);
    now += 5_000; // 02:00:55, same bucket
    expect((await call(emu.url, q)).code).toBe(40203);
    now += 6_000; // 02:01:01, next bucket although only 11 s passed
    expect((await call(emu.url, q)).code).toBe(0);
  });

  it('applies daily and hourly caps with their own messages', async () => {
    let now = Date.parse('2025-06-17T02:00:00Z');
    const emu = await start({
      now: () => now,
      tokens: { [TOKEN]: { perDay: { daily: 2 }, perHour: { adj_factor: 1 } } },
    });
    const daily = { api_name: 'daily', params: { ts_code: '600000.SH', trade_date: '20250617' } };
    await call(emu.url, daily);
    await call(emu.url, daily);
    expect((await call(emu.url, daily)).msg).toBe(`抱歉，您每天最多访问该接口2次，${DOC}`);
    const adj = { api_name: 'adj_factor', params: { ts_code: '600000.SH' } };
    await call(emu.url, adj);
    expect((await call(emu.url, adj)).msg).toContain('每小时最多访问该接口1次');
    now += 20 * 3_600_000; // next Shanghai day
    expect((await call(emu.url, daily)).code).toBe(0);
  });
});

describe('tushare emulator: data', () => {
  it('serves 241 newest-first end-labelled 1min bars per trading day with the observed field order', async () => {
    const emu = await start();
    const env = await call(emu.url, {
      api_name: 'stk_mins',
      params: {
        ts_code: '600519.SH',
        freq: '1min',
        start_date: '2025-06-16 09:00:00',
        end_date: '2025-06-17 19:00:00',
      },
    });
    expect(env.data?.fields).toEqual([
      'ts_code',
      'trade_time',
      'close',
      'open',
      'high',
      'low',
      'vol',
      'amount',
    ]);
    const times = env.data?.items.map((r) => r[1] as string) ?? [];
    expect(times).toHaveLength(482);
    expect(times[0]).toBe('2025-06-17 15:00:00');
    expect(times[times.length - 1]).toBe('2025-06-16 09:30:00');
    expect(times).toContain('2025-06-16 11:30:00');
    expect(times).toContain('2025-06-16 13:01:00');
    expect(times).not.toContain('2025-06-16 11:31:00');
    expect(times).not.toContain('2025-06-16 13:00:00');
    expect(MINUTE_LABELS).toHaveLength(241);
    const truth = emu.state.market.minuteBars('600519.SH', '2025-06-17');
    expect(env.data?.items[0]).toEqual([
      '600519.SH',
      '2025-06-17 15:00:00',
      truth[240]?.close,
      truth[240]?.open,
      truth[240]?.high,
      truth[240]?.low,
      truth[240]?.vol,
      truth[240]?.amount,
    ]);
  });

  it('keeps bars consistent: daily vol in 手 and amount in 千元 aggregate the minutes; highs bound opens and closes', async () => {
    const emu = await start();
    const m = emu.state.market;
    for (const date of m.tradingDays('2025-06-02', '2025-06-13')) {
      const mins = m.minuteBars('000001.SZ', date);
      const day = m.dailyBar('000001.SZ', date);
      expect(mins).toHaveLength(241);
      expect(day?.vol).toBe(mins.reduce((s, b) => s + b.vol, 0) / 100);
      expect(day?.amount).toBeCloseTo(mins.reduce((s, b) => s + b.amount, 0) / 1000, 2);
      for (const b of mins) {
        expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close));
        expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
      }
    }
    // Suspended day and days outside the listing have no data.
    expect(m.minuteBars('600000.SH', '2025-06-18')).toEqual([]);
    expect(m.dailyBar('600087.SH', '2024-07-01')).toBeUndefined();
    expect(m.dailyBar('605599.SH', '2024-03-01')).toBeUndefined();
  });

  it('has weekends and holidays closed in trade_cal, configurable', async () => {
    const emu = await start({ market: { holidays: ['2025-06-18'] } });
    const env = await call(emu.url, {
      api_name: 'trade_cal',
      params: { exchange: 'SSE', start_date: '20250613', end_date: '20250618' },
    });
    const open = Object.fromEntries(env.data?.items.map((r) => [r[1], r[2]]) ?? []);
    expect(open).toEqual({
      '20250613': 1,
      '20250614': 0,
      '20250615': 0,
      '20250616': 1,
      '20250617': 1,
      '20250618': 0,
    });
    expect(env.data?.items[0]?.[3]).toBe('20250617');
  });

  it('honours fields as a string or an array, drops unknown ones, and returns the whole market for daily trade_date', async () => {
    const emu = await start();
    const a = await call(emu.url, {
      api_name: 'daily',
      params: { trade_date: '20250617' },
      fields: 'vol,ts_code,bogus',
    });
    const b = await call(emu.url, {
      api_name: 'daily',
      params: { trade_date: '20250617' },
      fields: ['vol', 'ts_code'],
    });
    expect(a.data?.fields).toEqual(['ts_code', 'vol']);
    expect(b.data).toEqual(a.data);
    const trading = emu.state.market.listings.filter((l) => emu.state.market.trades(l.tsCode, '2025-06-17'));
    expect(a.data?.items.map((r) => r[0])).toEqual(trading.map((l) => l.tsCode).sort());
  });

  it('cuts answers at the row cap keeping the newest rows, and pages with limit/offset', async () => {
    const emu = await start({ rowCaps: { stk_mins: 500 }, reportHasMore: true });
    const q = {
      api_name: 'stk_mins',
      params: {
        ts_code: '600000.SH',
        freq: '1min',
        start_date: '2025-06-02 00:00:00',
        end_date: '2025-06-06 23:59:59',
      },
    };
    const capped = await call(emu.url, q);
    expect(capped.data?.items).toHaveLength(500);
    expect(capped.data?.items[0]?.[1]).toBe('2025-06-06 15:00:00');
    expect(capped.data?.has_more).toBe(true);
    const page = await call(emu.url, { ...q, params: { ...q.params, limit: '10', offset: '241' } });
    expect(page.data?.items.map((r) => r[1])).toEqual(
      MINUTE_LABELS.slice(-10)
        .reverse()
        .map((l) => `2025-06-05 ${l}`),
    );
    expect(emu.state.requests.map((r) => r.rowCount)).toEqual([500, 10]);
  });

  it('serves stock_basic by list_status and rt_k with level-1 fields only when asked', async () => {
    const now = Date.parse('2025-06-17T02:15:30Z'); // 10:15:30 Shanghai
    const emu = await start({ now: () => now });
    const listed = await call(emu.url, { api_name: 'stock_basic', fields: 'ts_code' });
    const delisted = await call(emu.url, {
      api_name: 'stock_basic',
      params: { list_status: 'D' },
      fields: 'ts_code',
    });
    expect(listed.data?.items.flat()).toHaveLength(11);
    expect(delisted.data?.items.flat().sort()).toEqual(['000005.SZ', '600087.SH']);
    const plain = await call(emu.url, { api_name: 'rt_k', params: { ts_code: '6*.SH' } });
    expect(plain.data?.fields).not.toContain('bid_price1');
    expect(plain.data?.items.map((r) => r[0])).toEqual([
      '600000.SH',
      '600519.SH',
      '601318.SH',
      '688981.SH',
      '605599.SH',
    ]);
    const book = await call(emu.url, {
      api_name: 'rt_k',
      params: { ts_code: '600519.SH' },
      fields: 'ts_code,bid_price1,bid_volume1,ask_price1,ask_volume1,trade_time',
    });
    const q = emu.state.market.quote('600519.SH', now);
    expect(book.data?.items).toEqual([
      ['600519.SH', q?.askPrice1, q?.askVolume1, q?.bidPrice1, q?.bidVolume1, '2025-06-17 10:15:30'],
    ]);
  });
});

describe('tushare emulator: faults', () => {
  it('injects scripted faults in order: HTTP 500, reset, truncated body, slow answer', async () => {
    const emu = await start({ slowMs: 150 });
    emu.state.enqueueFaults('http500', 'reset', 'truncated', 'slow');
    const post = () =>
      fetch(emu.url, {
        method: 'POST',
        body: JSON.stringify({ api_name: 'stock_basic', token: TOKEN, params: {}, fields: '' }),
      });
    expect((await post()).status).toBe(500);
    await expect(post()).rejects.toThrow();
    const truncated = await (await post()).text();
    expect(() => JSON.parse(truncated) as unknown).toThrow();
    const t0 = Date.now();
    expect(((await (await post()).json()) as Envelope).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(((await (await post()).json()) as Envelope).code).toBe(0);
    expect(emu.state.requests.map((r) => r.fault)).toEqual([
      'http500',
      'reset',
      'truncated',
      'slow',
      undefined,
    ]);
  });

  it('injects faults at a seeded rate', async () => {
    const emu = await start({ faultRate: 0.5, faultKinds: ['http500'], faultSeed: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(emu.url, {
        method: 'POST',
        body: JSON.stringify({ api_name: 'stock_basic', token: TOKEN, params: {}, fields: 'ts_code' }),
      });
      statuses.push(res.status);
      await res.text();
    }
    const failures = statuses.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(3);
    expect(failures).toBeLessThan(17);
  });
});
