import { afterEach, describe, expect, it } from 'vitest';
import {
  startTushareEmulator,
  type TushareEmulator,
} from '../../../test/emulators/tushare/tushare-emulator.js';
import { configSchema } from '../../config/schema.js';
import { shanghaiTime } from '../../domain/dates.js';
import { unlimitedGate } from '../../limits/request-gate.js';
import { silentLogger } from '../../limits/logger.js';
import { createTushareRealtime, planRtkCodes, quoteFromRtk } from './tushare-realtime.js';

let emu: TushareEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

describe('rt_k request planning', () => {
  it('covers the whole market with wildcards per exchange and leading digit, splitting groups over the cap', () => {
    const main = Array.from({ length: 8 }, (_, i) => `60000${i}.SH`);
    const more = Array.from({ length: 5 }, (_, i) => `60100${i}.SH`);
    const symbols = [
      ...main,
      ...more,
      '688001.SH',
      '688002.SH',
      '000001.SZ',
      '000002.SZ',
      '300750.SZ',
      '830799.BJ',
    ];
    // 15 codes starting with 6 exceed 90% of the cap (9): split by two, then three digits.
    // A segment of one code is asked by name; such codes share one comma list.
    expect(planRtkCodes({ symbols, wholeMarket: true }, 10)).toEqual([
      '600*.SH',
      '601*.SH',
      '68*.SH',
      '0*.SZ',
      '830799.BJ,300750.SZ',
    ]);
  });

  it('sends a symbol list as comma lists of at most the cap', () => {
    const symbols = ['600000.SH', '600519.SH', '000001.SZ'];
    expect(planRtkCodes({ symbols, wholeMarket: false }, 2)).toEqual(['600000.SH,600519.SH', '000001.SZ']);
  });
});

describe('quoteFromRtk', () => {
  it('maps a row, dates it by trade_time and leaves an empty book side empty', () => {
    const q = quoteFromRtk({
      ts_code: '600519.SH',
      pre_close: 1500,
      close: 1510.5,
      vol: 123400,
      amount: 186_000_000.5,
      bid_price1: 1510.4,
      bid_volume1: 300,
      ask_price1: 0,
      ask_volume1: 0,
      trade_time: '2025-06-17 10:15:30',
    });
    expect(q).toEqual({
      symbol: '600519.SH',
      price: 1510.5,
      preClose: 1500,
      cumVolume: 123400,
      cumAmount: 186_000_000.5,
      bidPrices: [1510.4],
      bidVolumes: [300],
      askPrices: [],
      askVolumes: [],
      lastTradeTs: shanghaiTime('2025-06-17', '10:15:30'),
      sessionDate: '2025-06-17',
    });
    expect(quoteFromRtk({ ts_code: '600519.SH', trade_time: '10:15:30' })?.sessionDate).toBeNull();
  });
});

describe('rt_k against the emulator', () => {
  it('covers the whole market under a small row cap: every listed symbol quoted once, as the emulator has it', async () => {
    const now = shanghaiTime('2025-06-17', '10:15:30');
    emu = await startTushareEmulator({ now: () => now, rowCaps: { rt_k: 3 } });
    const config = configSchema.parse({
      providers: { tushare: { enabled: true, token: 'emulator-token-0001', base_url: emu.url } },
    }).providers.tushare;
    const source = createTushareRealtime(
      { ...config, tokens: ['emulator-token-0001'] },
      { fetch: globalThis.fetch, gate: unlimitedGate, now: () => now, logger: silentLogger },
      { rowCap: 3 },
    );
    const listed = emu.state.market.listings.filter((l) => l.listStatus === 'L').map((l) => l.tsCode);
    const target = { symbols: listed, wholeMarket: true };
    const snap = await source.snapshot({ target, signal: new AbortController().signal });
    const rtk = emu.state.requests.filter((r) => r.apiName === 'rt_k');
    expect(rtk).toHaveLength(source.requestsPerSnapshot(target).rt_k as number);
    expect(rtk.every((r) => r.rowCount <= 3)).toBe(true);
    const traded = listed.filter((s) => emu!.state.market.trades(s, '2025-06-17'));
    expect(snap.quotes.map((q) => q.symbol).sort()).toEqual([...traded].sort());
    const q = snap.quotes.find((x) => x.symbol === '600519.SH');
    const truth = emu.state.market.quote('600519.SH', now);
    expect(q).toMatchObject({ cumVolume: truth?.vol, cumAmount: truth?.amount, price: truth?.close });
  });
});
