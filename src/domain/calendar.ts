import { IngestError } from '../errors.js';
import { addDays, eachDay, weekday } from './dates.js';
import type { DateRange } from './dates.js';

/**
 * The Shanghai / Shenzhen (and Beijing) stock exchanges' trading calendar for the years it covers.
 * All three A-share exchanges share one calendar. Dates are exchange-local `YYYY-MM-DD`.
 *
 * Sources: the State Council General Office's annual holiday notices (国务院办公厅关于2024年 /
 * 2025年 / 2026年部分节假日安排的通知, 国办发明电〔2023〕7号, 〔2024〕12号, 〔2025〕7号) and the SSE/SZSE
 * year-end notices "关于20XX年休市安排的通知" derived from them. The exchanges close on every
 * public holiday weekday AND on every Saturday and Sunday, including the weekend make-up workdays
 * (调休上班日) on which offices work: those are never trading days. The 2024 Spring Festival
 * closure also covers 除夕 (Fri 2024-02-09), which the exchanges' notice closed although the State
 * Council notice only "encouraged" a day off.
 *
 * Uncertainty: the 2026 dates follow 国办发明电〔2025〕7号 (published November 2025) as recalled
 * here, not checked against the exchanges' published 2026 休市安排 text; check them against
 * Tushare `trade_cal` when a real provider is available.
 */

/** First calendar year covered. */
export const CALENDAR_FIRST_YEAR = 2024;
/** Last calendar year covered. */
export const CALENDAR_LAST_YEAR = 2026;

/** Weekdays (Mon–Fri) on which the A-share exchanges are closed for public holidays. */
// prettier-ignore
export const A_SHARE_HOLIDAYS: readonly string[] = Object.freeze([
  // 2024
  '2024-01-01', // New Year
  '2024-02-09', '2024-02-12', '2024-02-13', '2024-02-14', '2024-02-15', '2024-02-16', // Spring Festival (Feb 9–17)
  '2024-04-04', '2024-04-05', // Qingming
  '2024-05-01', '2024-05-02', '2024-05-03', // Labour Day (May 1–5)
  '2024-06-10', // Dragon Boat
  '2024-09-16', '2024-09-17', // Mid-Autumn (Sep 15–17)
  '2024-10-01', '2024-10-02', '2024-10-03', '2024-10-04', '2024-10-07', // National Day (Oct 1–7)
  // 2025
  '2025-01-01', // New Year
  '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-03', '2025-02-04', // Spring Festival (Jan 28–Feb 4)
  '2025-04-04', // Qingming (Apr 4–6)
  '2025-05-01', '2025-05-02', '2025-05-05', // Labour Day (May 1–5)
  '2025-06-02', // Dragon Boat (May 31–Jun 2)
  '2025-10-01', '2025-10-02', '2025-10-03', '2025-10-06', '2025-10-07', '2025-10-08', // National Day + Mid-Autumn (Oct 1–8)
  // 2026
  '2026-01-01', '2026-01-02', // New Year (Jan 1–3)
  '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-23', // Spring Festival (Feb 15–23)
  '2026-04-06', // Qingming (Apr 4–6; Apr 5 is a Sunday)
  '2026-05-01', '2026-05-04', '2026-05-05', // Labour Day (May 1–5)
  '2026-06-19', // Dragon Boat (Jun 19–21)
  '2026-09-25', // Mid-Autumn (Sep 25–27)
  '2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07', // National Day (Oct 1–7)
]);

const HOLIDAYS: ReadonlySet<string> = new Set(A_SHARE_HOLIDAYS);

const FIRST_DAY = `${CALENDAR_FIRST_YEAR}-01-01`;
const LAST_DAY = `${CALENDAR_LAST_YEAR}-12-31`;

/** Every trading day covered, ascending (immutable). */
export const A_SHARE_TRADING_DAYS: readonly string[] = Object.freeze(
  eachDay({ start: FIRST_DAY, end: LAST_DAY }).filter((d) => isOpen(d)),
);

const DAY_INDEX: ReadonlyMap<string, number> = new Map(A_SHARE_TRADING_DAYS.map((d, i) => [d, i]));

function isOpen(date: string): boolean {
  const wd = weekday(date);
  return wd !== 0 && wd !== 6 && !HOLIDAYS.has(date);
}

function outOfRange(date: string): IngestError {
  return new IngestError(
    'USAGE',
    `Date ${date} is outside the A-share trading calendar built into tickpipe (${FIRST_DAY} to ${LAST_DAY}); choose dates in ${CALENDAR_FIRST_YEAR}–${CALENDAR_LAST_YEAR}`,
    { context: { date } },
  );
}

/** Throws a `USAGE` error when `date` (`YYYY-MM-DD`) is outside the covered years. */
export function assertCalendarCovers(date: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || date < FIRST_DAY || date > LAST_DAY) throw outOfRange(date);
}

/** True when the A-share exchanges trade on `date`. Throws `USAGE` outside the covered years. */
export function isTradingDay(date: string): boolean {
  assertCalendarCovers(date);
  return DAY_INDEX.has(date);
}

/** Trading days within the inclusive range, ascending. Throws `USAGE` when the range leaves the covered years. */
export function tradingDaysBetween(range: DateRange): string[] {
  assertCalendarCovers(range.start);
  assertCalendarCovers(range.end);
  if (range.start > range.end) return [];
  return A_SHARE_TRADING_DAYS.filter((d) => d >= range.start && d <= range.end);
}

/** The last trading day strictly before `date`. Throws `USAGE` when there is none in the covered years. */
export function previousTradingDay(date: string): string {
  assertCalendarCovers(date);
  for (let d = addDays(date, -1); d >= FIRST_DAY; d = addDays(d, -1)) {
    if (DAY_INDEX.has(d)) return d;
  }
  throw outOfRange(addDays(date, -1));
}

/** The first trading day strictly after `date`. Throws `USAGE` when there is none in the covered years. */
export function nextTradingDay(date: string): string {
  assertCalendarCovers(date);
  for (let d = addDays(date, 1); d <= LAST_DAY; d = addDays(d, 1)) {
    if (DAY_INDEX.has(d)) return d;
  }
  throw outOfRange(addDays(date, 1));
}

/**
 * Position of a trading day in {@link A_SHARE_TRADING_DAYS} (0 = first covered trading day), or
 * `undefined` when `date` is not a trading day. Throws `USAGE` outside the covered years.
 */
export function tradingDayIndex(date: string): number | undefined {
  assertCalendarCovers(date);
  return DAY_INDEX.get(date);
}
