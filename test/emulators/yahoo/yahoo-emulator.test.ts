import { afterEach, describe, expect, it } from 'vitest';
import { startYahooEmulator, type YahooEmulator } from './yahoo-emulator.js';

// Friday 2026-11-20 17:00 New York (EST) = Saturday 06:00 Shanghai.
const NOW = Date.parse('2026-11-20T22:00:00Z');
const s = (iso: string) => Date.parse(iso) / 1000;

let emu: YahooEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function get(path: string) {
  if (!emu) throw new Error('no emulator');
  const res = await fetch(`${emu.url}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

interface ChartResult {
  meta: Record<string, unknown>;
  timestamp?: number[];
  indicators: { quote: Record<string, (number | null)[]>[]; adjclose?: { adjclose?: number[] }[] };
}
const result = (text: string) =>
  (JSON.parse(text) as { chart: { result: ChartResult[] } }).chart.result[0] as ChartResult;

describe('Yahoo chart emulator', () => {
  it('serves 240 start-labelled A-share 1m bars with null gaps and no adjclose', async () => {
    emu = await startYahooEmulator({ now: () => NOW });
    const r = await get(
      `/v8/finance/chart/600519.SS?period1=${s('2026-11-17T16:00:00Z')}&period2=${s('2026-11-18T16:00:00Z')}&interval=1m`,
    );
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json;charset=utf-8');
    const res = result(r.text);
    expect(res.timestamp).toHaveLength(240);
    expect(res.timestamp?.[0]).toBe(s('2026-11-18T01:30:00Z')); // 09:30 CST
    expect(res.timestamp?.[119]).toBe(s('2026-11-18T03:29:00Z')); // 11:29
    expect(res.timestamp?.[120]).toBe(s('2026-11-18T05:00:00Z')); // 13:00
    expect(res.timestamp?.[239]).toBe(s('2026-11-18T06:59:00Z')); // 14:59
    expect(res.indicators.quote[0]?.close?.some((v) => v === null)).toBe(true);
    const q = res.indicators.quote[0];
    // Partial rows too: a missing open with a close, a missing volume with a close.
    expect(q?.open?.some((v, k) => v === null && q.close?.[k] !== null)).toBe(true);
    expect(q?.volume?.some((v, k) => v === null && q.close?.[k] !== null)).toBe(true);
    expect(res.indicators.adjclose).toBeUndefined();
    expect(res.meta).toMatchObject({
      currency: 'CNY',
      symbol: '600519.SS',
      exchangeName: 'SHH',
      instrumentType: 'EQUITY',
      gmtoffset: 28800,
      timezone: 'CST',
      exchangeTimezoneName: 'Asia/Shanghai',
      dataGranularity: '1m',
      range: '',
    });
    expect(res.meta.validRanges).toContain('max');
  });

  it('serves 390 US 1m bars at 09:30 New York on both sides of the DST switch', async () => {
    emu = await startYahooEmulator({ now: () => Date.parse('2026-11-06T22:00:00Z') });
    const edt = result(
      (
        await get(
          `/v8/finance/chart/AAPL?period1=${s('2026-10-30T04:00:00Z')}&period2=${s('2026-10-31T04:00:00Z')}&interval=1m`,
        )
      ).text,
    );
    expect(edt.timestamp).toHaveLength(390);
    expect(edt.timestamp?.[0]).toBe(s('2026-10-30T13:30:00Z'));
    const est = result(
      (
        await get(
          `/v8/finance/chart/AAPL?period1=${s('2026-11-02T05:00:00Z')}&period2=${s('2026-11-03T05:00:00Z')}&interval=1m`,
        )
      ).text,
    );
    expect(est.timestamp?.[0]).toBe(s('2026-11-02T14:30:00Z'));
    expect(est.timestamp?.[389]).toBe(s('2026-11-02T20:59:00Z'));
    expect(est.meta).toMatchObject({
      exchangeName: 'NMS',
      exchangeTimezoneName: 'America/New_York',
      timezone: 'EST',
      gmtoffset: -18000,
    });
  });

  it('stamps daily bars at the session open, with adjclose, aggregating the 1m ground truth', async () => {
    emu = await startYahooEmulator({ now: () => NOW });
    const res = result(
      (
        await get(
          `/v8/finance/chart/000001.SZ?period1=${s('2026-11-15T16:00:00Z')}&period2=${s('2026-11-20T16:00:00Z')}&interval=1d`,
        )
      ).text,
    );
    expect(res.timestamp).toEqual(['16', '17', '18', '19', '20'].map((d) => s(`2026-11-${d}T01:30:00Z`)));
    expect(res.indicators.adjclose?.[0]?.adjclose).toHaveLength(5);
    const minutes = emu.state.dataset
      .minuteBars('000001.SZ', '2026-11-16')
      .filter((b) => b.open !== null && b.close !== null);
    expect(res.indicators.quote[0]?.close?.[0]).toBe(minutes[minutes.length - 1]?.close);
    expect(res.indicators.quote[0]?.volume?.[0]).toBe(minutes.reduce((a, b) => a + (b.volume ?? 0), 0));
    expect(res.meta.exchangeName).toBe('SHZ');
  });

  it('answers an empty window without timestamp and with quote [{}]', async () => {
    emu = await startYahooEmulator({ now: () => NOW });
    const res = result(
      (
        await get(
          `/v8/finance/chart/AAPL?period1=${s('2026-11-14T05:00:00Z')}&period2=${s('2026-11-16T05:00:00Z')}&interval=1m`,
        )
      ).text,
    );
    expect(res.timestamp).toBeUndefined();
    expect(res.indicators).toEqual({ quote: [{}] });
  });

  it('reproduces the error envelopes: 404 unknown symbol, 400 interval, 422 look-back and window', async () => {
    emu = await startYahooEmulator({ now: () => NOW });
    const nf = await get('/v8/finance/chart/NOPE.SS?range=1d&interval=1d');
    expect(nf.status).toBe(404);
    expect(nf.text).toBe(
      '{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}',
    );
    const bad = await get('/v8/finance/chart/AAPL?range=1d&interval=5h');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain(
      'Invalid input - interval=5h is not supported. Valid intervals: [1m, 2m, 5m, 15m, 30m, 60m, 90m, 1h, 1d, 5d, 1wk, 1mo, 3mo]',
    );
    const old = await get(
      `/v8/finance/chart/AAPL?period1=${s('2026-10-01T04:00:00Z')}&period2=${s('2026-10-02T04:00:00Z')}&interval=1m`,
    );
    expect(old.status).toBe(422);
    expect(old.text).toContain(
      `1m data not available for startTime=${s('2026-10-01T04:00:00Z')} and endTime=${s('2026-10-02T04:00:00Z')}. The requested range must be within the last 30 days.`,
    );
    const long = await get(
      `/v8/finance/chart/AAPL?period1=${s('2026-11-09T05:00:00Z')}&period2=${s('2026-11-17T05:00:00Z')}&interval=1m`,
    );
    expect(long.status).toBe(422);
    expect(long.text).toContain(
      'Only 7 days worth of 1m granularity data are allowed to be fetched per request.',
    );
    const early = await get(
      `/v8/finance/chart/300750.SZ?period1=${s('2010-01-01T00:00:00Z')}&period2=${s('2010-02-01T00:00:00Z')}&interval=1d`,
    );
    expect(early.status).toBe(400);
    expect(early.text).toContain("Data doesn't exist for startDate");
  });

  it('rate-limits with plain-text 429 and records every request', async () => {
    emu = await startYahooEmulator({ now: () => NOW, rateLimit: { maxRequests: 2, windowMs: 60_000 } });
    const statuses: number[] = [];
    for (let k = 0; k < 4; k++)
      statuses.push((await get('/v8/finance/chart/AAPL?range=5d&interval=1d')).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    const r = await get('/v8/finance/chart/AAPL?range=5d&interval=1d');
    expect(r.text).toBe('Edge: Too Many Requests');
    expect(r.type).toMatch(/^text\/plain/);
    expect(emu.state.requests.map((q) => q.status)).toEqual([200, 200, 429, 429, 429]);
    expect(emu.state.requests[0]).toMatchObject({ symbol: 'AAPL', query: { range: '5d', interval: '1d' } });
  });

  it('injects faults in order: 500, connection reset, HTML page, then normal', async () => {
    emu = await startYahooEmulator({ now: () => NOW });
    emu.state.injectFaults({ kind: 'status', status: 500 }, { kind: 'reset' }, { kind: 'html' });
    expect((await get('/v8/finance/chart/AAPL?range=5d&interval=1d')).status).toBe(500);
    await expect(get('/v8/finance/chart/AAPL?range=5d&interval=1d')).rejects.toThrow();
    expect((await get('/v8/finance/chart/AAPL?range=5d&interval=1d')).text).toContain('Will be right back');
    expect((await get('/v8/finance/chart/AAPL?range=5d&interval=1d')).status).toBe(200);
    expect(emu.state.requests.map((q) => q.status)).toEqual([500, 'reset', 200, 200]);
  });
});
