import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import { A_SHARE_TRADING_DAYS, nextTradingDay, previousTradingDay } from '../../domain/calendar.js';
import { unlimitedGate } from '../../limits/request-gate.js';
import { silentLogger } from '../../limits/logger.js';
import { createSimulatedProvider } from './simulated-provider.js';
import { simulatedUniverse, WELL_KNOWN_SYMBOLS } from './simulated-universe.js';

const signal = new AbortController().signal;

describe('simulated universe: listing life', () => {
  it('lists 1 symbol in 100 inside the calendar (never a well-known one), none below 100 symbols', () => {
    const u = simulatedUniverse(7, 5_000);
    expect(u.listedOn.size).toBe(50);
    const first = A_SHARE_TRADING_DAYS[0] as string;
    const last = A_SHARE_TRADING_DAYS[A_SHARE_TRADING_DAYS.length - 1] as string;
    for (const [symbol, day] of u.listedOn) {
      expect(u.listed).toContain(symbol);
      expect(WELL_KNOWN_SYMBOLS).not.toContain(symbol);
      expect(A_SHARE_TRADING_DAYS).toContain(day);
      expect(day > first && day < last).toBe(true);
    }
    expect(simulatedUniverse(7, 99).listedOn.size).toBe(0);
    // The listings themselves do not change with the listing dates' own random stream.
    expect(simulatedUniverse(7, 5_000).listed).toEqual(u.listed);
  });

  it('serves no rows before a listing day, rows from it on, and reports listing and delisting days', async () => {
    const config = configSchema.parse({ providers: { simulated: { universe_size: 500, seed: 3 } } }).providers
      .simulated;
    const p = createSimulatedProvider(config, {
      fetch: globalThis.fetch,
      gate: unlimitedGate,
      now: () => 0,
      logger: silentLogger,
    });
    const u = simulatedUniverse(3, 500);
    const [symbol, listedOn] = [...u.listedOn][0] as [string, string];
    const before = previousTradingDay(listedOn);
    const r = await p.fetch({ dataType: 'bars_1d', symbol, tradeDates: [before, listedOn], signal });
    expect(r.byDate.get(before)).toEqual({});
    expect(r.byDate.get(listedOn)?.bars).toHaveLength(1);
    expect(
      (await p.fetch({ dataType: 'ticks', symbol, tradeDates: [nextTradingDay(listedOn)], signal })).byDate
        .size,
    ).toBe(1);

    const life = await (p.listings as NonNullable<typeof p.listings>)({ signal });
    expect(life.get(symbol)).toEqual({ firstDay: listedOn });
    for (const [s, lastDay] of u.delisted) expect(life.get(s)).toEqual({ lastDay });
    expect(life.size).toBe(u.listedOn.size + u.delisted.size);
  });
});
