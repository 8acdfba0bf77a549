/**
 * The deterministic synthetic A-share market behind the Tushare emulator: a listed universe
 * (with delisted and suspended-listing entries), an SSE calendar, 241 one-minute bars per
 * trading day, daily bars aggregated from them, adjustment factors and a level-1 quote.
 * Everything is a pure function of the options, so tests can compare the provider's output
 * with this ground truth row for row.
 */

/** A listing as `stock_basic` reports it. Dates are `YYYY-MM-DD`. */
export interface TushareListing {
  tsCode: string;
  name: string;
  /** `L` listed, `D` delisted, `P` listing suspended. */
  listStatus: 'L' | 'D' | 'P';
  listDate: string;
  /** Last trading day for `D` and `P` listings. */
  lastTradeDate?: string;
  industry?: string;
}

/** Options of {@link createTushareMarket}. */
export interface TushareMarketOptions {
  /** Seed of every random choice (default 7). */
  seed?: number;
  /** First calendar day `YYYY-MM-DD` (default `2024-01-01`). */
  calendarStart?: string;
  /** Last calendar day `YYYY-MM-DD` (default `2026-12-31`). */
  calendarEnd?: string;
  /** Weekday holidays on which the exchange is closed (default: a few Chinese holidays). */
  holidays?: readonly string[];
  /** The universe (default {@link DEFAULT_LISTINGS}). */
  listings?: readonly TushareListing[];
  /** Days a symbol is suspended (no bars), by ts_code (default: a couple of days of 600000.SH). */
  suspensions?: Readonly<Record<string, readonly string[]>>;
  /** Shanghai time `HH:MM:SS` before which `rt_k` still shows the previous session (default `09:15:00`). */
  quoteResetAt?: string;
}

/** One 1-minute bar as `stk_mins` serves it (vol in shares, amount in CNY). */
export interface EmulatedMinuteBar {
  tsCode: string;
  /** End label, Shanghai wall clock `YYYY-MM-DD HH:MM:SS`. */
  tradeTime: string;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Shares. */
  vol: number;
  /** CNY. */
  amount: number;
}

/** One daily bar as `daily` serves it (vol in 手, amount in 千元). */
export interface EmulatedDailyBar {
  tsCode: string;
  /** `YYYY-MM-DD`. */
  tradeDate: string;
  open: number;
  high: number;
  low: number;
  close: number;
  preClose: number;
  change: number;
  pctChg: number;
  /** Lots of 100 shares. */
  vol: number;
  /** Thousand CNY. */
  amount: number;
}

/** A level-1 quote as `rt_k` serves it. */
export interface EmulatedQuote {
  tsCode: string;
  name: string;
  preClose: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Shares. */
  vol: number;
  /** CNY. */
  amount: number;
  num: number;
  bidPrice1: number;
  /** Shares. */
  bidVolume1: number;
  askPrice1: number;
  /** Shares. */
  askVolume1: number;
  /** `YYYY-MM-DD HH:MM:SS` Shanghai. */
  tradeTime: string;
}

/** The ground truth of the emulated market. */
export interface TushareMarket {
  readonly listings: readonly TushareListing[];
  readonly calendarStart: string;
  readonly calendarEnd: string;
  /** Whether the SSE is open on a date. */
  isOpen(date: string): boolean;
  /** Every calendar day of the calendar, ascending. */
  calendarDays(): readonly string[];
  /** Open days within an inclusive range, ascending. */
  tradingDays(start: string, end: string): string[];
  /** Whether the symbol traded on the date (listed, not suspended, exchange open). */
  trades(tsCode: string, date: string): boolean;
  /** The day's 241 one-minute bars, ascending; `[]` when the symbol did not trade. */
  minuteBars(tsCode: string, date: string): EmulatedMinuteBar[];
  /** The day's daily bar, or `undefined` when the symbol did not trade. */
  dailyBar(tsCode: string, date: string): EmulatedDailyBar | undefined;
  /** Adjustment factor of a listed day (also on suspended days), else `undefined`. */
  adjFactor(tsCode: string, date: string): number | undefined;
  /** Level-1 quote at an instant (the previous session's before 09:15), or `undefined` when the symbol does not trade. */
  quote(tsCode: string, nowMs: number): EmulatedQuote | undefined;
}

/** The default universe: eleven listed, two delisted and one suspended listing. */
export const DEFAULT_LISTINGS: readonly TushareListing[] = [
  { tsCode: '600000.SH', name: '浦发银行', listStatus: 'L', listDate: '1999-11-10', industry: '银行' },
  { tsCode: '600519.SH', name: '贵州茅台', listStatus: 'L', listDate: '2001-08-27', industry: '白酒' },
  { tsCode: '601318.SH', name: '中国平安', listStatus: 'L', listDate: '2007-03-01', industry: '保险' },
  { tsCode: '688981.SH', name: '中芯国际', listStatus: 'L', listDate: '2020-07-16', industry: '半导体' },
  { tsCode: '605599.SH', name: '菜百股份', listStatus: 'L', listDate: '2024-03-04', industry: '服饰' },
  { tsCode: '000001.SZ', name: '平安银行', listStatus: 'L', listDate: '1991-04-03', industry: '银行' },
  { tsCode: '000858.SZ', name: '五粮液', listStatus: 'L', listDate: '1998-04-27', industry: '白酒' },
  { tsCode: '002594.SZ', name: '比亚迪', listStatus: 'L', listDate: '2011-06-30', industry: '汽车整车' },
  { tsCode: '300750.SZ', name: '宁德时代', listStatus: 'L', listDate: '2018-06-11', industry: '电气设备' },
  { tsCode: '301236.SZ', name: '软通动力', listStatus: 'L', listDate: '2022-03-15', industry: '软件服务' },
  { tsCode: '830799.BJ', name: '艾融软件', listStatus: 'L', listDate: '2021-11-15', industry: '软件服务' },
  {
    tsCode: '600087.SH',
    name: '退市长油',
    listStatus: 'D',
    listDate: '1997-06-12',
    lastTradeDate: '2024-06-28',
    industry: '水运',
  },
  {
    tsCode: '000005.SZ',
    name: 'ST星源',
    listStatus: 'D',
    listDate: '1990-12-10',
    lastTradeDate: '2024-04-26',
    industry: '环境保护',
  },
  {
    tsCode: '600074.SH',
    name: '*ST保千',
    listStatus: 'P',
    listDate: '2015-05-13',
    lastTradeDate: '2024-09-30',
    industry: '电器仪表',
  },
];

/** Default weekday holidays of the emulated SSE calendar. */
export const DEFAULT_HOLIDAYS: readonly string[] = [
  '2024-01-01',
  '2024-02-12',
  '2024-02-13',
  '2024-02-14',
  '2024-02-15',
  '2024-02-16',
  '2024-04-04',
  '2024-05-01',
  '2024-05-02',
  '2024-05-03',
  '2024-10-01',
  '2024-10-02',
  '2024-10-03',
  '2024-10-04',
  '2024-10-07',
  '2025-01-01',
  '2025-01-28',
  '2025-01-29',
  '2025-01-30',
  '2025-01-31',
  '2025-02-03',
  '2025-02-04',
  '2025-05-01',
  '2025-05-02',
  '2025-05-05',
  '2025-10-01',
  '2025-10-02',
  '2025-10-03',
  '2025-10-06',
  '2025-10-07',
  '2025-10-08',
  '2026-01-01',
  '2026-01-02',
  '2026-05-01',
  '2026-10-01',
  '2026-10-02',
  '2026-10-05',
  '2026-10-06',
  '2026-10-07',
];

const DEFAULT_SUSPENSIONS: Readonly<Record<string, readonly string[]>> = {
  '600000.SH': ['2024-03-12', '2025-06-18'],
};

const DAY_MS = 86_400_000;
const SHANGHAI_MS = 8 * 3_600_000;

/** End labels of the 241 one-minute bars of an A-share day, `HH:MM:SS`. */
export const MINUTE_LABELS: readonly string[] = buildMinuteLabels();

function buildMinuteLabels(): string[] {
  const out = ['09:30:00'];
  const push = (fromMin: number, toMin: number): void => {
    for (let m = fromMin; m <= toMin; m++) {
      out.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00`);
    }
  };
  push(9 * 60 + 31, 11 * 60 + 30);
  push(13 * 60 + 1, 15 * 60);
  return out;
}

/** Builds the market. Cheap: bars are generated on demand. */
export function createTushareMarket(options: TushareMarketOptions = {}): TushareMarket {
  const seed = options.seed ?? 7;
  const calendarStart = options.calendarStart ?? '2024-01-01';
  const calendarEnd = options.calendarEnd ?? '2026-12-31';
  const holidays = new Set(options.holidays ?? DEFAULT_HOLIDAYS);
  const listings = options.listings ?? DEFAULT_LISTINGS;
  const suspensions = options.suspensions ?? DEFAULT_SUSPENSIONS;
  const byCode = new Map(listings.map((l) => [l.tsCode, l]));
  const quoteResetAt = options.quoteResetAt ?? '09:15:00';

  const allDays: string[] = [];
  for (let t = Date.parse(`${calendarStart}T00:00:00Z`); ; t += DAY_MS) {
    const d = new Date(t).toISOString().slice(0, 10);
    if (d > calendarEnd) break;
    allDays.push(d);
  }
  const isOpen = (date: string): boolean => {
    const wd = new Date(`${date}T00:00:00Z`).getUTCDay();
    return date >= calendarStart && date <= calendarEnd && wd !== 0 && wd !== 6 && !holidays.has(date);
  };
  const openDays = allDays.filter(isOpen);
  const openIndex = new Map(openDays.map((d, i) => [d, i]));

  const listed = (l: TushareListing, date: string): boolean =>
    date >= l.listDate && (l.lastTradeDate === undefined || date <= l.lastTradeDate);
  const trades = (tsCode: string, date: string): boolean => {
    const l = byCode.get(tsCode);
    return l !== undefined && isOpen(date) && listed(l, date) && !(suspensions[tsCode] ?? []).includes(date);
  };

  // Per symbol, the day-level path (pre close, open, close, factor) over every open day; built
  // once per symbol because each day depends on the previous one.
  interface DayPlan {
    preClose: number;
    open: number;
    close: number;
    factor: number;
  }
  const plans = new Map<string, Map<string, DayPlan>>();
  const planOf = (tsCode: string): Map<string, DayPlan> => {
    const cached = plans.get(tsCode);
    if (cached) return cached;
    const plan = new Map<string, DayPlan>();
    const rnd = prng(hash(`${seed}|${tsCode}|plan`));
    let close = round2(5 + rnd() * 95);
    let factor = round3(1 + rnd() * 4);
    const l = byCode.get(tsCode);
    for (const d of openDays) {
      if (!l || !listed(l, d)) continue;
      let preClose = close;
      // Roughly one ex-rights event a year: the factor rises and pre_close is adjusted down.
      if (rnd() < 1 / 250) {
        const ratio = 1 + round3(0.02 + rnd() * 0.3);
        factor = round3(factor * ratio);
        preClose = round2(Math.max(0.5, close / ratio));
      }
      if ((suspensions[tsCode] ?? []).includes(d)) {
        plan.set(d, { preClose, open: preClose, close: preClose, factor });
        close = preClose;
        continue;
      }
      const open = clampPrice(round2(preClose * (1 + (rnd() - 0.5) * 0.02)));
      const dayClose = clampPrice(round2(preClose * (1 + (rnd() - 0.5) * 0.06)));
      plan.set(d, { preClose, open, close: dayClose, factor });
      close = dayClose;
    }
    plans.set(tsCode, plan);
    return plan;
  };

  // Live-collection tests ask for the same day's bars thousands of times.
  const barCache = new Map<string, EmulatedMinuteBar[]>();
  const cachedBars = (tsCode: string, date: string): readonly EmulatedMinuteBar[] => {
    const key = `${tsCode}|${date}`;
    const cached = barCache.get(key);
    if (cached) return cached;
    const bars = buildMinuteBars(tsCode, date);
    if (barCache.size > 5000) barCache.clear();
    barCache.set(key, bars);
    return bars;
  };
  const minuteBars = (tsCode: string, date: string): EmulatedMinuteBar[] =>
    cachedBars(tsCode, date).map((b) => ({ ...b }));
  const buildMinuteBars = (tsCode: string, date: string): EmulatedMinuteBar[] => {
    if (!trades(tsCode, date)) return [];
    const p = planOf(tsCode).get(date);
    if (!p) return [];
    const rnd = prng(hash(`${seed}|${tsCode}|${date}|mins`));
    const steps = MINUTE_LABELS.length - 1;
    // Brownian bridge from the open to the close across the 240 continuous minutes.
    const walk: number[] = [0];
    for (let i = 1; i <= steps; i++) walk.push((walk[i - 1] as number) + (rnd() - 0.5) * p.open * 0.002);
    const drift = walk[steps] as number;
    const path = walk.map((w, i) =>
      clampPrice(round2(p.open + w - (drift * i) / steps + ((p.close - p.open) * i) / steps)),
    );
    const bars: EmulatedMinuteBar[] = [];
    MINUTE_LABELS.forEach((label, i) => {
      const close = path[i] as number;
      const open = i === 0 ? close : (path[i - 1] as number);
      const spread = i === 0 ? 0 : round2(rnd() * p.open * 0.001);
      const high = round2(Math.max(open, close) + spread);
      const low = clampPrice(round2(Math.min(open, close) - spread));
      const lots = 1 + Math.floor(rnd() * (i === 0 || i === steps ? 4000 : 800));
      const vol = lots * 100;
      const amount = round2(vol * ((open + close + high + low) / 4));
      bars.push({ tsCode, tradeTime: `${date} ${label}`, open, high, low, close, vol, amount });
    });
    return bars;
  };

  const dailyBar = (tsCode: string, date: string): EmulatedDailyBar | undefined => {
    const mins = minuteBars(tsCode, date);
    const first = mins[0];
    const last = mins[mins.length - 1];
    const p = planOf(tsCode).get(date);
    if (!first || !last || !p) return undefined;
    let high = -Infinity;
    let low = Infinity;
    let shares = 0;
    let cny = 0;
    for (const b of mins) {
      high = Math.max(high, b.high);
      low = Math.min(low, b.low);
      shares += b.vol;
      cny += b.amount;
    }
    const change = round2(last.close - p.preClose);
    return {
      tsCode,
      tradeDate: date,
      open: first.open,
      high,
      low,
      close: last.close,
      preClose: p.preClose,
      change,
      pctChg: round4((change / p.preClose) * 100),
      vol: shares / 100,
      amount: round3(cny / 1000),
    };
  };

  const adjFactor = (tsCode: string, date: string): number | undefined => planOf(tsCode).get(date)?.factor;

  /**
   * The level-1 quote at an instant, as `rt_k` shows it through a day:
   * - before 09:15 (and on closed days) the previous session's final state, dated that session;
   * - 09:15–09:25 the opening call auction: nothing traded, an indicative book;
   * - from 09:25 the opening auction's print (the 09:30 bar), then each minute bar filling in
   *   3-second steps (cumulative volume and amount rise, the book moves every step);
   * - 11:30–13:00 the 11:30 state; 14:57–15:00 the closing call auction: frozen at 14:57;
   * - from 15:00 the closing print (the 14:58–15:00 bars) and the final state.
   */
  const quote = (tsCode: string, nowMs: number): EmulatedQuote | undefined => {
    const local = new Date(nowMs + SHANGHAI_MS).toISOString();
    const today = local.slice(0, 10);
    const clock = local.slice(11, 19);
    if (!isOpen(today) || clock < quoteResetAt) {
      const prev = openDays.filter((d) => d < today).pop();
      return prev === undefined ? undefined : quoteAt(tsCode, prev, '23:59:59');
    }
    return quoteAt(tsCode, today, clock);
  };

  const quoteAt = (tsCode: string, date: string, clock: string): EmulatedQuote | undefined => {
    const all = cachedBars(tsCode, date);
    const l = byCode.get(tsCode);
    const p = planOf(tsCode).get(date);
    if (all.length === 0 || !l || !p) return undefined;
    const sec = (hhmmss: string): number =>
      Number(hhmmss.slice(0, 2)) * 3600 + Number(hhmmss.slice(3, 5)) * 60 + Number(hhmmss.slice(6, 8));
    const hms = (s: number): string =>
      `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    // The instant whose state is shown, on the 3-second grid, frozen in the breaks.
    let at = Math.floor(sec(clock) / 3) * 3;
    if (clock >= '15:00:00') at = sec('15:00:00');
    else if (clock >= '14:57:00') at = sec('14:57:00');
    else if (clock >= '11:30:00' && clock < '13:00:00') at = sec('11:30:00');
    const stamp = hms(at);
    const included: { bar: EmulatedMinuteBar; share: number }[] = [];
    if (stamp >= '09:25:00') {
      for (const [i, bar] of all.entries()) {
        const label = bar.tradeTime.slice(11);
        if (i === 0 || label <= stamp) {
          included.push({ bar, share: 1 });
          continue;
        }
        // The bar labelled L covers the minute before L; the closing auction prints only at 15:00.
        const startSec = sec(label) - 60;
        if (label > '14:57:00' || at <= startSec) break;
        included.push({ bar, share: Math.floor((at - startSec) / 3) / 20 });
        break;
      }
    }
    let vol = 0;
    let amount = 0;
    let high = 0;
    let low = 0;
    let close = p.preClose;
    for (const { bar, share } of included) {
      const v = share === 1 ? bar.vol : Math.floor((bar.vol * share) / 100) * 100;
      if (v === 0) continue;
      vol += v;
      amount += share === 1 ? bar.amount : round2((bar.amount * v) / bar.vol);
      close = share === 1 ? bar.close : round2(bar.open + (bar.close - bar.open) * share);
      high = high === 0 ? Math.max(bar.high, close) : Math.max(high, share === 1 ? bar.high : close);
      low = low === 0 ? Math.min(bar.low, close) : Math.min(low, share === 1 ? bar.low : close);
    }
    const first = included[0]?.bar;
    const rnd = prng(hash(`${seed}|${tsCode}|${date}|${stamp}|book`));
    return {
      tsCode,
      name: l.name,
      preClose: p.preClose,
      open: first?.open ?? 0,
      high,
      low,
      close,
      vol,
      amount: round2(amount),
      num: included.length * 37,
      bidPrice1: clampPrice(round2(close - 0.01)),
      bidVolume1: (1 + Math.floor(rnd() * 500)) * 100,
      askPrice1: close,
      askVolume1: (1 + Math.floor(rnd() * 500)) * 100,
      tradeTime: `${date} ${stamp}`,
    };
  };

  return {
    listings,
    calendarStart,
    calendarEnd,
    isOpen,
    calendarDays: () => allDays,
    tradingDays: (start, end) => openDays.filter((d) => d >= start && d <= end),
    trades,
    minuteBars,
    dailyBar,
    adjFactor: (tsCode, date) => (openIndex.has(date) ? adjFactor(tsCode, date) : undefined),
    quote,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
function clampPrice(x: number): number {
  return Math.max(0.01, x);
}

/** FNV-1a 32-bit hash of a string. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
