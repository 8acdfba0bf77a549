/**
 * When `tickpipe collect` polls: the A-share trading sessions of a day in exchange-local time
 * (Asia/Shanghai, UTC+8 all year, whatever the machine's zone), over the exchange calendar in
 * `domain/calendar.ts`. A day has two polling windows:
 *
 * | window      | from  | to    | phases                                                        |
 * | ----------- | ----- | ----- | ------------------------------------------------------------- |
 * | `morning`   | 09:15 | 11:30 | opening call auction 09:15–09:25, 09:25–09:30, continuous     |
 * | `afternoon` | 13:00 | 15:00 | continuous 13:00–14:57, closing call auction 14:57–15:00      |
 *
 * Nothing is polled in the lunch break, at night, on weekends or on holidays. One closing poll
 * follows each window's end so that the state at 11:30 / 15:00 (the closing auction's print) is
 * kept.
 */
import { isTradingDay, nextTradingDay } from '../domain/calendar.js';
import { addDays, shanghaiDate, shanghaiTime, SHANGHAI_OFFSET_MS } from '../domain/dates.js';

/** A polling window of one trading day. Times are UTC epoch ms. */
export interface CollectWindow {
  /** Exchange-local trade date `YYYY-MM-DD`. */
  tradeDate: string;
  name: 'morning' | 'afternoon';
  startMs: number;
  endMs: number;
  /** True for the day's last window (its end is the day's close: factors are computed then). */
  closesDay: boolean;
}

/** A trading phase, for logs and `--dry-run`. */
export type TradingPhase =
  'closed' | 'opening_auction' | 'pre_open' | 'morning' | 'lunch_break' | 'afternoon' | 'closing_auction';

const WINDOWS = [
  { name: 'morning', from: '09:15:00', to: '11:30:00', closesDay: false },
  { name: 'afternoon', from: '13:00:00', to: '15:00:00', closesDay: true },
] as const;

/** The polling windows of `date` (none on a non-trading day). */
export function windowsOf(date: string): CollectWindow[] {
  if (!isTradingDay(date)) return [];
  return WINDOWS.map((w) => ({
    tradeDate: date,
    name: w.name,
    startMs: shanghaiTime(date, w.from),
    endMs: shanghaiTime(date, w.to),
    closesDay: w.closesDay,
  }));
}

/**
 * The window containing `nowMs` (start inclusive, end inclusive) or else the next one to start.
 * Throws `USAGE` beyond the calendar's covered years.
 */
export function currentOrNextWindow(nowMs: number): CollectWindow {
  let date = shanghaiDate(nowMs);
  for (;;) {
    for (const w of windowsOf(date)) if (nowMs <= w.endMs) return w;
    date = isTradingDay(date) ? nextTradingDay(date) : addDays(date, 1);
  }
}

/** The trading phase at an instant. */
export function phaseAt(nowMs: number): TradingPhase {
  if (!isTradingDay(shanghaiDate(nowMs))) return 'closed';
  const hhmmss = localTimeOfDay(nowMs);
  if (hhmmss < '09:15:00' || hhmmss >= '15:00:00') return 'closed';
  if (hhmmss < '09:25:00') return 'opening_auction';
  if (hhmmss < '09:30:00') return 'pre_open';
  if (hhmmss < '11:30:00') return 'morning';
  if (hhmmss < '13:00:00') return 'lunch_break';
  if (hhmmss < '14:57:00') return 'afternoon';
  return 'closing_auction';
}

/** Shanghai wall-clock time of day `HH:MM:SS` of an instant. */
export function localTimeOfDay(nowMs: number): string {
  return new Date(nowMs + SHANGHAI_OFFSET_MS).toISOString().slice(11, 19);
}

/**
 * The first instant at or after `nowMs` whose Shanghai wall clock reads `hhmmss` (`--until`):
 * today's when still ahead, else tomorrow's.
 */
export function nextLocalTime(nowMs: number, hhmmss: string): number {
  const today = shanghaiTime(shanghaiDate(nowMs), hhmmss);
  return today >= nowMs ? today : shanghaiTime(addDays(shanghaiDate(nowMs), 1), hhmmss);
}
