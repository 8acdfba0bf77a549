/**
 * The deterministic synthetic market behind the Yahoo chart emulator, and its ground truth.
 *
 * Bars are what a start-labelled Yahoo would serve: `start` is the bar's first second (epoch
 * seconds). A-share sessions 09:30–11:30 and 13:00–15:00 Asia/Shanghai give 240 one-minute bars
 * stamped 09:30..11:29 and 13:00..14:59 (no 09:25 auction bar and no zero-length 11:30/15:00 bars:
 * Yahoo's real A-share intraday layout was not captured, see docs/PROVIDERS.md, "Yahoo Finance chart API"). US sessions
 * 09:30–16:00 America/New_York give 390 bars, DST-aware. Every day has at least one all-`null`
 * minute (Yahoo's gaps). Daily bars aggregate the day's non-null minutes and are stamped at the
 * session open (09:30 local), as Yahoo stamps completed daily bars.
 *
 * Time-zone arithmetic here deliberately uses `longOffset` names rather than the provider's helper,
 * so that the provider is checked against an independent computation.
 */
import { A_SHARE_HOLIDAYS } from '../../../src/domain/calendar.js';

/** One instrument the emulator knows. */
export interface YahooInstrument {
  /** Yahoo symbol (`600519.SS`, `000001.SZ`, `AAPL`). */
  symbol: string;
  currency: string;
  /** Yahoo exchange code: `SHH`, `SHZ`, `NMS`. */
  exchangeName: string;
  fullExchangeName: string;
  instrumentType: string;
  longName: string;
  shortName: string;
  /** IANA zone of the exchange. */
  timeZone: string;
  /** Continuous sessions as local `HH:MM` pairs, in order. */
  sessions: readonly (readonly [string, string])[];
  /** Weekdays without a session, `YYYY-MM-DD`. */
  holidays: readonly string[];
  /** First trading day, `YYYY-MM-DD`; requests ending before it get Yahoo's 400. */
  firstTradeDate: string;
  /** Price level around which the synthetic walk moves. */
  basePrice: number;
}

/** One start-labelled bar as Yahoo serves it; all price/volume fields `null` in a gap. */
export interface RawBar {
  /** Bar start, epoch seconds. */
  start: number;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
}

const A_SHARE_SESSIONS = [
  ['09:30', '11:30'],
  ['13:00', '15:00'],
] as const;
const US_SESSIONS = [['09:30', '16:00']] as const;

/** NYSE/Nasdaq full-day closures on weekdays, 2025–2026. */
// prettier-ignore
export const US_HOLIDAYS: readonly string[] = Object.freeze([
  '2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04',
  '2025-09-01', '2025-11-27', '2025-12-25',
  '2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07',
  '2026-11-26', '2026-12-25',
]);

/** The instruments the emulator serves by default. */
export const DEFAULT_INSTRUMENTS: readonly YahooInstrument[] = Object.freeze([
  aShare('600519.SS', 'SHH', 'Kweichow Moutai Co., Ltd.', 'KWEICHOW MOUTAI', '2001-08-27', 1500),
  aShare('601318.SS', 'SHH', 'Ping An Insurance (Group) Company of China, Ltd.', 'PING AN', '2007-03-01', 55),
  aShare('000001.SZ', 'SHZ', 'Ping An Bank Co., Ltd.', 'PING AN BANK', '1991-04-03', 11),
  aShare('300750.SZ', 'SHZ', 'Contemporary Amperex Technology Co., Limited', 'CATL', '2018-06-11', 250),
  us('AAPL', 'Apple Inc.', 'Apple Inc.', '1980-12-12', 190),
  us('MSFT', 'Microsoft Corporation', 'Microsoft Corporation', '1986-03-13', 420),
]);

function aShare(
  symbol: string,
  exchangeName: 'SHH' | 'SHZ',
  longName: string,
  shortName: string,
  firstTradeDate: string,
  basePrice: number,
): YahooInstrument {
  return {
    symbol,
    currency: 'CNY',
    exchangeName,
    fullExchangeName: exchangeName === 'SHH' ? 'Shanghai' : 'Shenzhen',
    instrumentType: 'EQUITY',
    longName,
    shortName,
    timeZone: 'Asia/Shanghai',
    sessions: A_SHARE_SESSIONS,
    holidays: A_SHARE_HOLIDAYS,
    firstTradeDate,
    basePrice,
  };
}

function us(symbol: string, longName: string, shortName: string, firstTradeDate: string, basePrice: number) {
  return {
    symbol,
    currency: 'USD',
    exchangeName: 'NMS',
    fullExchangeName: 'NasdaqGS',
    instrumentType: 'EQUITY',
    longName,
    shortName,
    timeZone: 'America/New_York',
    sessions: US_SESSIONS,
    holidays: US_HOLIDAYS,
    firstTradeDate,
    basePrice,
  } satisfies YahooInstrument;
}

/** Time-zone arithmetic with one cached formatter per zone (constructing one costs ~0.5 ms). */
export interface ZoneMath {
  /** Offset of `timeZone` from UTC at instant `ms`, in ms (east positive). */
  offsetMs(ms: number, timeZone: string): number;
  /** Epoch ms of local wall time `HH:MM` on `date` in `timeZone`. */
  wallTimeMs(date: string, hhmm: string, timeZone: string): number;
  /** The local date `YYYY-MM-DD` of instant `ms` in `timeZone`. */
  dateIn(ms: number, timeZone: string): string;
}

/** Creates a {@link ZoneMath} with its own formatter cache. */
export function createZoneMath(): ZoneMath {
  const formats = new Map<string, Intl.DateTimeFormat>();
  // Offsets only change on half-hour boundaries in the zones emulated; memoise per half hour.
  const offsets = new Map<string, number>();
  const offsetMs = (ms: number, timeZone: string): number => {
    const key = `${timeZone}|${Math.floor(ms / 1_800_000)}`;
    let offset = offsets.get(key);
    if (offset === undefined) {
      offset = computeOffsetMs(ms, timeZone);
      offsets.set(key, offset);
    }
    return offset;
  };
  const computeOffsetMs = (ms: number, timeZone: string): number => {
    let format = formats.get(timeZone);
    if (!format) {
      format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
      formats.set(timeZone, format);
    }
    const name = format.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
    if (!m) return 0; // "GMT" alone means UTC
    const sign = m[1] === '-' ? -1 : 1;
    return sign * (Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000);
  };
  return {
    offsetMs,
    wallTimeMs(date, hhmm, timeZone) {
      const naive = Date.parse(`${date}T${hhmm}:00Z`);
      const first = naive - offsetMs(naive, timeZone);
      return naive - offsetMs(first, timeZone);
    },
    dateIn: (ms, timeZone) => new Date(ms + offsetMs(ms, timeZone)).toISOString().slice(0, 10),
  };
}

/** The ground truth of the synthetic market. */
export interface YahooDataset {
  instruments: ReadonlyMap<string, YahooInstrument>;
  /** The dataset's time-zone arithmetic. */
  zone: ZoneMath;
  /** True when the instrument has a session on `date`. */
  isTradingDay(symbol: string, date: string): boolean;
  /** Session open and close of `date`, epoch ms. */
  sessionBounds(symbol: string, date: string): { openMs: number; closeMs: number };
  /** Start-labelled 1m bars of one day, gaps included as all-null rows; `[]` on non-trading days. */
  minuteBars(symbol: string, date: string): readonly RawBar[];
  /** The day's bar stamped at the session open; `undefined` on non-trading days. */
  dailyBar(symbol: string, date: string): RawBar | undefined;
}

/** Builds the dataset; days are generated lazily and memoised per dataset (not per module). */
export function createYahooDataset(
  instruments: readonly YahooInstrument[] = DEFAULT_INSTRUMENTS,
): YahooDataset {
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
  const minuteCache = new Map<string, readonly RawBar[]>();
  const zone = createZoneMath();
  const wallTimeMs = zone.wallTimeMs;

  const get = (symbol: string): YahooInstrument => {
    const i = bySymbol.get(symbol);
    if (!i) throw new Error(`emulator: unknown instrument ${symbol}`);
    return i;
  };

  const isTradingDay = (symbol: string, date: string): boolean => {
    const i = get(symbol);
    const wd = new Date(`${date}T00:00:00Z`).getUTCDay();
    return wd !== 0 && wd !== 6 && !i.holidays.includes(date) && date >= i.firstTradeDate;
  };

  const minuteBars = (symbol: string, date: string): readonly RawBar[] => {
    const key = `${symbol}|${date}`;
    const cached = minuteCache.get(key);
    if (cached) return cached;
    const i = get(symbol);
    const bars: RawBar[] = [];
    if (isTradingDay(symbol, date)) {
      const rnd = mulberry32(hash(key));
      const level = i.basePrice * (1 + 0.1 * (rnd() - 0.5));
      let last = round2(level);
      const starts: number[] = [];
      for (const [from, to] of i.sessions) {
        const endMs = wallTimeMs(date, to, i.timeZone);
        for (let t = wallTimeMs(date, from, i.timeZone); t < endMs; t += 60_000) {
          starts.push(t / 1000);
        }
      }
      const forcedGap = 10 + (hash(`${key}|gap`) % (starts.length - 30));
      starts.forEach((start, idx) => {
        const gap = idx === forcedGap || rnd() < 0.01;
        const open = last;
        const close = round2(Math.max(0.01, open * (1 + (rnd() - 0.5) * 0.004)));
        const high = round2(Math.max(open, close) + rnd() * open * 0.001);
        const low = round2(Math.max(0.01, Math.min(open, close) - rnd() * open * 0.001));
        const volume = 100 * (1 + Math.floor(rnd() * 500));
        if (gap) {
          bars.push({ start, open: null, high: null, low: null, close: null, volume: null });
          return;
        }
        // Partial rows, as Yahoo also serves: a missing open (a gap to drop), a missing volume (prices valid).
        if (idx === forcedGap + 7) {
          bars.push({ start, open: null, high, low, close, volume });
          return;
        }
        if (idx === forcedGap + 13) {
          last = close;
          bars.push({ start, open, high, low, close, volume: null });
          return;
        }
        last = close;
        bars.push({ start, open, high, low, close, volume });
      });
    }
    minuteCache.set(key, bars);
    return bars;
  };

  const sessionBounds = (symbol: string, date: string) => {
    const i = get(symbol);
    const first = i.sessions[0];
    const last = i.sessions[i.sessions.length - 1];
    if (!first || !last) throw new Error(`emulator: ${symbol} has no sessions`);
    return { openMs: wallTimeMs(date, first[0], i.timeZone), closeMs: wallTimeMs(date, last[1], i.timeZone) };
  };

  const dailyBar = (symbol: string, date: string): RawBar | undefined => {
    const real = minuteBars(symbol, date).filter((b) => b.open !== null && b.close !== null);
    const first = real[0];
    const lastBar = real[real.length - 1];
    if (!first || !lastBar) return undefined;
    return {
      start: sessionBounds(symbol, date).openMs / 1000,
      open: first.open,
      high: Math.max(...real.map((b) => b.high as number)),
      low: Math.min(...real.map((b) => b.low as number)),
      close: lastBar.close,
      volume: real.reduce((s, b) => s + (b.volume ?? 0), 0),
    };
  };

  return { instruments: bySymbol, zone, isTradingDay, sessionBounds, minuteBars, dailyBar };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
