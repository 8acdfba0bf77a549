import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { A_SHARE_TRADING_DAYS, previousTradingDay } from '../../domain/calendar.js';
import { shanghaiTime } from '../../domain/dates.js';
import type { Bar, BookSnapshot, Tick } from '../../domain/rows.js';
import { dailyBarFromTicks, minuteBarsFromTicks } from './bars-from-ticks.js';
import { dailyPath, dailyPlan, planFromPath } from './daily-plan.js';
import type { DailyPlan } from './daily-plan.js';
import { generateSessionDay, sessionBooks, sessionTicks } from './session-day.js';
import { limitPricesCents, symbolProfile } from './symbol-profile.js';
import { simulatedUniverse } from './simulated-universe.js';

const SEED = 42;
const LEVELS = 10;

interface GeneratedDay {
  plan: DailyPlan;
  ticks: Tick[];
  books: BookSnapshot[];
  minuteBars: Bar[];
  dailyBar: Bar | undefined;
}

function generate(symbol: string, tradeDate: string, seed = SEED, levels = LEVELS): GeneratedDay {
  const profile = symbolProfile(seed, symbol);
  const plan = dailyPlan(seed, profile, tradeDate);
  const day = generateSessionDay(seed, profile, plan);
  const ticks = sessionTicks(day, 'simulated');
  const prevClose = plan.prevCloseCents / 100;
  const params = { symbol, tradeDate, ticks, prevClose, source: 'simulated' };
  return {
    plan,
    ticks,
    books: sessionBooks(day, seed, levels, 'simulated'),
    minuteBars: minuteBarsFromTicks(params),
    dailyBar: dailyBarFromTicks(params),
  };
}

const LIMIT_PCT: Record<string, number> = { '60': 10, '00': 10, '68': 20, '30': 20 };
function limitPercentOf(symbol: string): number {
  return symbol.endsWith('.BJ') ? 30 : (LIMIT_PCT[symbol.slice(0, 2)] as number);
}

const cents = (price: number) => Math.round(price * 100);
const onGrid = (price: number) =>
  Math.abs(price * 100 - Math.round(price * 100)) < 1e-7 && cents(price) / 100 === price;

/** Checks every invariant of one generated symbol-day; written independently of the generator. */
function checkDay(symbol: string, tradeDate: string, g: GeneratedDay, levels = LEVELS): void {
  const { ticks, books, minuteBars, dailyBar, plan } = g;
  const at = (hhmmss: string) => shanghaiTime(tradeDate, hhmmss);
  const prevCloseCents = plan.prevCloseCents;
  const pct = limitPercentOf(symbol);
  // Limits recomputed here: round half up of prevClose × (1 ± pct).
  const up = Math.floor((prevCloseCents * (100 + pct)) / 100 + 0.5);
  const down = Math.floor((prevCloseCents * (100 - pct)) / 100 + 0.5);
  const fail = (what: string, row: unknown) => {
    throw new Error(`${symbol} ${tradeDate}: ${what}: ${JSON.stringify(row)}`);
  };

  const s0930 = at('09:30:00');
  const s1130 = at('11:30:00');
  const s1300 = at('13:00:00');
  const s1457 = at('14:57:00');

  // Ticks.
  expect(ticks.length).toBeGreaterThan(2);
  const first = ticks[0] as Tick;
  const last = ticks[ticks.length - 1] as Tick;
  expect(first.ts).toBe(at('09:25:00'));
  expect(first.side).toBe('N');
  expect(last.ts).toBe(at('15:00:00'));
  expect(last.side).toBe('N');
  expect(cents(last.price)).toBe(plan.closeCents);
  expect(cents(first.price)).toBe(plan.openCents);
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i] as Tick;
    if (t.seq !== i + 1) fail('seq not 1,2,3,…', t);
    if (i > 0 && t.ts <= (ticks[i - 1] as Tick).ts) fail('ts not strictly increasing', t);
    if (!onGrid(t.price)) fail('price off the 0.01 grid', t);
    if (cents(t.price) > up || cents(t.price) < down) fail(`price outside limits [${down}, ${up}]`, t);
    if (!(t.volume > 0) || t.volume % 100 !== 0) fail('volume not a positive multiple of 100', t);
    if (Math.abs(t.amount - t.volume * t.price) > 0.005 || !onGrid(t.amount))
      fail('amount ≠ volume × price', t);
    if (t.source !== 'simulated' || t.tradeDate !== tradeDate || t.symbol !== symbol)
      fail('identity fields', t);
    if (i > 0 && i < ticks.length - 1) {
      const inSession = (t.ts >= s0930 && t.ts < s1130) || (t.ts >= s1300 && t.ts < s1457);
      if (!inSession) fail('continuous tick outside 09:30–11:30 / 13:00–14:57', t);
      if (t.side !== 'B' && t.side !== 'S') fail('continuous tick side not B/S', t);
    }
  }

  // Books.
  expect(books.length).toBe(2 + 2400 + 2340);
  expect((books[0] as BookSnapshot).ts).toBe(at('09:25:00'));
  expect((books[books.length - 1] as BookSnapshot).ts).toBe(at('15:00:00'));
  const bookAt = new Map<number, BookSnapshot>();
  for (let i = 0; i < books.length; i++) {
    const b = books[i] as BookSnapshot;
    bookAt.set(b.ts, b);
    if (i > 0 && b.ts <= (books[i - 1] as BookSnapshot).ts) fail('book ts not increasing', b.ts);
    if (i > 0 && i < books.length - 1 && (b.ts - s0930) % 3000 !== 0) fail('book off the 3 s grid', b.ts);
    if (b.bidPrices.length > levels || b.askPrices.length > levels) fail('too many levels', b);
    if (b.bidPrices.length !== b.bidVolumes.length || b.askPrices.length !== b.askVolumes.length)
      fail('ragged', b);
    if (b.bidPrices.length + b.askPrices.length === 0) fail('empty book', b);
    for (const p of [...b.bidPrices, ...b.askPrices]) {
      if (!onGrid(p) || cents(p) > up || cents(p) < down) fail('book price off grid or outside limits', b);
    }
    for (const v of [...b.bidVolumes, ...b.askVolumes])
      if (!(v > 0) || v % 100 !== 0) fail('book volume lot', b);
    for (let l = 1; l < b.bidPrices.length; l++) {
      if ((b.bidPrices[l] as number) >= (b.bidPrices[l - 1] as number))
        fail('bids not strictly decreasing', b);
    }
    for (let l = 1; l < b.askPrices.length; l++) {
      if ((b.askPrices[l] as number) <= (b.askPrices[l - 1] as number))
        fail('asks not strictly increasing', b);
    }
    const bid = b.bidPrices[0];
    const ask = b.askPrices[0];
    if (bid !== undefined && ask !== undefined && cents(ask) - cents(bid) < 1)
      fail('crossed or locked book', b);
    if (b.source !== 'simulated' || b.tradeDate !== tradeDate || b.symbol !== symbol)
      fail('identity fields', b);
  }
  // Each trade lies within the touch of the snapshot that closes its 3-second interval.
  for (const t of ticks) {
    const snapshotTs = t.side === 'N' ? t.ts : t.ts - ((t.ts - s0930) % 3000) + 3000;
    const b = bookAt.get(snapshotTs);
    if (b === undefined) fail('no book for tick interval', t);
    const bid = b?.bidPrices[0];
    const ask = b?.askPrices[0];
    if (bid !== undefined && cents(t.price) < cents(bid)) fail('trade below best bid', { t, b });
    if (ask !== undefined && cents(t.price) > cents(ask)) fail('trade above best ask', { t, b });
  }

  // One-minute bars, recomputed from the ticks with an independent bucketing.
  expect(minuteBars).toHaveLength(241);
  const labels = minuteBars.map((b) => b.ts);
  expect(labels[0]).toBe(at('09:30:00'));
  expect(labels[1]).toBe(at('09:31:00'));
  expect(labels[120]).toBe(at('11:30:00'));
  expect(labels[121]).toBe(at('13:01:00'));
  expect(labels[240]).toBe(at('15:00:00'));
  const open930 = at('09:30:00');
  const close1130 = at('11:30:00');
  const close1500 = at('15:00:00');
  const midnight = at('00:00:00');
  const bucketOf = (ts: number): number => {
    if (ts < open930) return open930;
    if (ts === close1130 || ts === close1500) return ts;
    return ts - ((ts - midnight) % 60_000) + 60_000;
  };
  const ticksByBar = new Map<number, Tick[]>();
  for (const t of ticks) {
    const key = bucketOf(t.ts);
    const list = ticksByBar.get(key);
    if (list === undefined) ticksByBar.set(key, [t]);
    else list.push(t);
  }
  let lastClose = prevCloseCents;
  for (const bar of minuteBars) {
    const inBar = ticksByBar.get(bar.ts) ?? [];
    if (bar.interval !== '1m' || bar.source !== 'simulated' || bar.tradeDate !== tradeDate)
      fail('bar fields', bar);
    if (inBar.length === 0) {
      for (const p of [bar.open, bar.high, bar.low, bar.close])
        if (cents(p) !== lastClose) fail('empty bar price', bar);
      if (bar.volume !== 0 || bar.amount !== 0) fail('empty bar volume', bar);
      continue;
    }
    const prices = inBar.map((t) => cents(t.price));
    const expected = {
      open: prices[0],
      high: Math.max(...prices),
      low: Math.min(...prices),
      close: prices[prices.length - 1],
      volume: inBar.reduce((s, t) => s + t.volume, 0),
      amount: inBar.reduce((s, t) => s + cents(t.amount), 0),
    };
    const actual = {
      open: cents(bar.open),
      high: cents(bar.high),
      low: cents(bar.low),
      close: cents(bar.close),
      volume: bar.volume,
      amount: cents(bar.amount),
    };
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      fail(`bar ≠ ticks ${JSON.stringify(expected)}`, bar);
    lastClose = expected.close as number;
  }
  expect(minuteBars.reduce((s, b) => s + b.volume, 0)).toBe(ticks.reduce((s, t) => s + t.volume, 0));

  // Daily bar.
  if (dailyBar === undefined) throw new Error('no daily bar');
  const prices = ticks.map((t) => cents(t.price));
  expect(dailyBar.ts).toBe(at('15:00:00'));
  expect(dailyBar.interval).toBe('1d');
  expect(cents(dailyBar.open)).toBe(prices[0]);
  expect(cents(dailyBar.close)).toBe(prices[prices.length - 1]);
  expect(cents(dailyBar.high)).toBe(Math.max(...prices));
  expect(cents(dailyBar.low)).toBe(Math.min(...prices));
  expect(dailyBar.volume).toBe(ticks.reduce((s, t) => s + t.volume, 0));
  expect(cents(dailyBar.amount)).toBe(ticks.reduce((s, t) => s + cents(t.amount), 0));
  expect(onGrid(dailyBar.amount)).toBe(true);
}

const universe = simulatedUniverse(SEED, 300).listed;
const arbitrarySymbol = fc.oneof(
  fc.constantFrom(...universe),
  fc
    .tuple(
      fc.constantFrom(
        '600',
        '601',
        '603',
        '605',
        '688',
        '000',
        '001',
        '002',
        '003',
        '300',
        '301',
        '920',
        '430',
        '830',
        '871',
      ),
      fc.integer({ min: 0, max: 999 }),
    )
    .map(([prefix, n]) => {
      const code = `${prefix}${String(n).padStart(3, '0')}`;
      return `${code}.${prefix.startsWith('6') ? 'SH' : /^(9|4|8)/.test(prefix) ? 'BJ' : 'SZ'}`;
    }),
);
const arbitraryDay = fc.constantFrom(...A_SHARE_TRADING_DAYS);

describe('simulated session day', () => {
  it('keeps every invariant for random symbols and days', () => {
    fc.assert(
      fc.property(
        arbitrarySymbol,
        arbitraryDay,
        fc.integer({ min: 0, max: 1_000_000 }),
        (symbol, tradeDate, seed) => {
          checkDay(symbol, tradeDate, generate(symbol, tradeDate, seed));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('keeps every invariant with 5-level books and on the README example days', () => {
    for (const symbol of [
      '000001.SZ',
      '000002.SZ',
      '600000.SH',
      '600519.SH',
      '300750.SZ',
      '688981.SH',
      '830799.BJ',
    ]) {
      for (const tradeDate of ['2025-06-05', '2025-06-06']) {
        checkDay(symbol, tradeDate, generate(symbol, tradeDate, SEED, 5), 5);
      }
    }
  });

  it('keeps the invariants on limit-up and limit-down days, which do occur', () => {
    const hits: { symbol: string; tradeDate: string; up: boolean }[] = [];
    for (const symbol of universe.slice(0, 80)) {
      const path = dailyPath(SEED, symbolProfile(SEED, symbol));
      for (const tradeDate of A_SHARE_TRADING_DAYS) {
        const plan = planFromPath(path, tradeDate);
        if (plan.closeCents === plan.upLimitCents) hits.push({ symbol, tradeDate, up: true });
        if (plan.closeCents === plan.downLimitCents) hits.push({ symbol, tradeDate, up: false });
      }
    }
    const limitUp = hits.find((h) => h.up);
    const limitDown = hits.find((h) => !h.up);
    expect(limitUp).toBeDefined();
    expect(limitDown).toBeDefined();
    for (const h of [limitUp, limitDown]) {
      if (h === undefined) continue;
      const g = generate(h.symbol, h.tradeDate);
      checkDay(h.symbol, h.tradeDate, g);
      const limit = h.up ? g.plan.upLimitCents : g.plan.downLimitCents;
      expect(cents((g.dailyBar as Bar).close)).toBe(limit);
    }
  });

  it("chains days: day d's previous close is day d−1's close", () => {
    for (const symbol of ['600519.SH', '000001.SZ', '300750.SZ', '830799.BJ', ...universe.slice(0, 3)]) {
      for (const tradeDate of ['2024-01-03', '2024-02-19', '2025-02-05', '2025-06-06', '2026-12-31']) {
        const before = previousTradingDay(tradeDate);
        const today = generate(symbol, tradeDate);
        const yesterday = generate(symbol, before);
        expect(today.plan.prevCloseCents).toBe(yesterday.plan.closeCents);
        expect(cents((yesterday.dailyBar as Bar).close)).toBe(today.plan.prevCloseCents);
      }
    }
  });

  it('is deterministic: same rows twice, whatever was generated in between', () => {
    const a = generate('600000.SH', '2025-06-05');
    generate('600000.SH', '2025-06-06');
    generate('000001.SZ', '2025-06-05');
    const b = generate('600000.SH', '2025-06-05');
    expect(b).toEqual(a);
    const otherSeed = generate('600000.SH', '2025-06-05', SEED + 1);
    expect(otherSeed.ticks).not.toEqual(a.ticks);
  });

  it('rounds limit prices half up to the 0.01 tick', () => {
    expect(limitPricesCents(1005, 10)).toEqual({ upCents: 1106, downCents: 905 }); // 11.055 → 11.06, 9.045 → 9.05
    expect(limitPricesCents(1000, 20)).toEqual({ upCents: 1200, downCents: 800 });
    expect(limitPricesCents(333, 30)).toEqual({ upCents: 433, downCents: 233 });
  });

  it('generates a full symbol-day (ticks, 10-level books, bars) in under 50 ms', () => {
    generate('600519.SH', '2025-06-04'); // warm-up (JIT)
    const days = ['2025-06-05', '2025-06-06', '2025-06-09', '2025-06-10', '2025-06-11'];
    const symbols = ['600519.SH', '000001.SZ', '300750.SZ', '830799.BJ'];
    // CPU time, not wall time: parallel test runs on a busy machine must not fail this.
    const start = process.cpuUsage();
    for (const s of symbols) for (const d of days) generate(s, d);
    const used = process.cpuUsage(start);
    const perDayMs = (used.user + used.system) / 1000 / (days.length * symbols.length);
    expect(perDayMs).toBeLessThan(50);
  });
});
