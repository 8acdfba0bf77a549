import { IngestError } from '../errors.js';

/** An inclusive range of exchange-local dates, `YYYY-MM-DD`. */
export interface DateRange {
  start: string;
  end: string;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;

/** Parses `YYYY-MM-DD` or `YYYYMMDD` into `YYYY-MM-DD`; throws `USAGE` naming `what` when invalid. */
export function parseDate(input: string, what = 'date'): string {
  const m = ISO.exec(input.trim()) ?? COMPACT.exec(input.trim());
  if (!m) throw new IngestError('USAGE', `Invalid ${what} "${input}": expected YYYY-MM-DD or YYYYMMDD`);
  const iso = `${m[1]}-${m[2]}-${m[3]}`;
  const d = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso) {
    throw new IngestError('USAGE', `Invalid ${what} "${input}": no such calendar day`);
  }
  return iso;
}

/** Validates and builds a range; `start` must not be after `end`. */
export function parseDateRange(start: string, end: string): DateRange {
  const s = parseDate(start, '--start-date');
  const e = parseDate(end, '--end-date');
  if (s > e) throw new IngestError('USAGE', `--start-date ${s} is after --end-date ${e}`);
  return { start: s, end: e };
}

/** Every calendar day of the range, in order. */
export function eachDay(range: DateRange): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${range.start}T00:00:00Z`); ; t += 86_400_000) {
    const d = new Date(t).toISOString().slice(0, 10);
    if (d > range.end) break;
    out.push(d);
  }
  return out;
}

/** Adds `days` calendar days to a `YYYY-MM-DD` date. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Day of week of a `YYYY-MM-DD` date, 0 = Sunday. */
export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** `YYYY-MM-DD` → `YYYYMMDD`. */
export function compactDate(date: string): string {
  return date.replaceAll('-', '');
}

/** A-share exchange time is UTC+8 all year (China has no DST). */
export const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** UTC epoch ms of a Shanghai wall-clock time on a date; `hhmmss` like `09:30:00`. */
export function shanghaiTime(date: string, hhmmss: string): number {
  return Date.parse(`${date}T${hhmmss}Z`) - SHANGHAI_OFFSET_MS;
}

/** The Shanghai-local date `YYYY-MM-DD` of a UTC epoch-ms instant. */
export function shanghaiDate(ts: number): string {
  return new Date(ts + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

// Building an Intl.DateTimeFormat costs ~0.5 ms; formatters are immutable, so one per zone is kept.
const dateFormatters = new Map<string, Intl.DateTimeFormat>();

/** The date `YYYY-MM-DD` of an instant in an IANA time zone (for non-A-share markets). */
export function localDate(ts: number, timeZone: string): string {
  let f = dateFormatters.get(timeZone);
  if (!f) {
    // en-CA formats as YYYY-MM-DD.
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormatters.set(timeZone, f);
  }
  return f.format(new Date(ts));
}
