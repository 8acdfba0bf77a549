import { describe, expect, it } from 'vitest';
import { isIngestError } from '../errors.js';
import {
  addDays,
  compactDate,
  eachDay,
  localDate,
  parseDate,
  parseDateRange,
  shanghaiDate,
  shanghaiTime,
  weekday,
} from './dates.js';

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isIngestError(e) && e.code).toBe('USAGE');
    return (e as Error).message;
  }
  throw new Error('expected a USAGE error');
}

describe('parseDate', () => {
  it('accepts YYYY-MM-DD and YYYYMMDD', () => {
    expect(parseDate('2025-06-05')).toBe('2025-06-05');
    expect(parseDate('20250605')).toBe('2025-06-05');
    expect(parseDate(' 2024-02-29 ')).toBe('2024-02-29');
  });

  it('rejects days that do not exist, naming what was parsed', () => {
    expect(usageError(() => parseDate('2025-02-30', '--start-date'))).toBe(
      'Invalid --start-date "2025-02-30": no such calendar day',
    );
    expect(usageError(() => parseDate('20250229'))).toContain('no such calendar day');
    expect(usageError(() => parseDate('2025-13-01'))).toContain('no such calendar day');
    expect(usageError(() => parseDate('2025-00-10'))).toContain('no such calendar day');
  });

  it.each(['2025/06/05', '2025-6-5', '06-05-2025', 'yesterday', '', '2025060'])(
    'rejects the format %j',
    (input) => {
      expect(usageError(() => parseDate(input))).toContain('expected YYYY-MM-DD or YYYYMMDD');
    },
  );
});

describe('parseDateRange', () => {
  it('builds an inclusive range (single day allowed)', () => {
    expect(parseDateRange('20250605', '2025-06-07')).toEqual({ start: '2025-06-05', end: '2025-06-07' });
    expect(parseDateRange('2025-06-05', '2025-06-05')).toEqual({ start: '2025-06-05', end: '2025-06-05' });
  });

  it('rejects a start after the end, naming both', () => {
    expect(usageError(() => parseDateRange('2025-06-07', '2025-06-05'))).toBe(
      '--start-date 2025-06-07 is after --end-date 2025-06-05',
    );
  });

  it('names the flag of an invalid date', () => {
    expect(usageError(() => parseDateRange('2025-06-01', '2025-06-31'))).toContain('--end-date');
  });
});

describe('calendar-day helpers', () => {
  it('eachDay lists every day inclusive, across month and year ends', () => {
    expect(eachDay({ start: '2024-12-30', end: '2025-01-02' })).toEqual([
      '2024-12-30',
      '2024-12-31',
      '2025-01-01',
      '2025-01-02',
    ]);
    expect(eachDay({ start: '2024-02-28', end: '2024-03-01' })).toEqual([
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ]);
    expect(eachDay({ start: '2025-06-05', end: '2025-06-05' })).toEqual(['2025-06-05']);
    expect(eachDay({ start: '2025-06-06', end: '2025-06-05' })).toEqual([]);
  });

  it('addDays, weekday, compactDate', () => {
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addDays('2025-01-01', -1)).toBe('2024-12-31');
    expect(weekday('2025-06-05')).toBe(4);
    expect(weekday('2025-06-08')).toBe(0);
    expect(compactDate('2025-06-05')).toBe('20250605');
  });
});

describe('Shanghai time', () => {
  it('shanghaiTime is UTC+8 wall clock', () => {
    expect(new Date(shanghaiTime('2025-06-05', '09:30:00')).toISOString()).toBe('2025-06-05T01:30:00.000Z');
    expect(new Date(shanghaiTime('2025-06-05', '00:00:00')).toISOString()).toBe('2025-06-04T16:00:00.000Z');
  });

  it('shanghaiDate round-trips shanghaiTime at every hour of the day', () => {
    for (let h = 0; h < 24; h++) {
      const hh = String(h).padStart(2, '0');
      expect(shanghaiDate(shanghaiTime('2025-06-05', `${hh}:00:00`))).toBe('2025-06-05');
    }
    expect(shanghaiDate(shanghaiTime('2025-06-05', '23:59:59.999'))).toBe('2025-06-05');
  });

  it('shanghaiDate of a UTC instant after 16:00 is the next day', () => {
    expect(shanghaiDate(Date.parse('2025-06-05T15:59:59Z'))).toBe('2025-06-05');
    expect(shanghaiDate(Date.parse('2025-06-05T16:00:00Z'))).toBe('2025-06-06');
  });
});

describe('localDate', () => {
  it('follows New York time across the DST changes', () => {
    const ny = 'America/New_York';
    // Winter (EST, UTC-5): 04:59Z is still the previous evening.
    expect(localDate(Date.parse('2025-01-15T04:59:00Z'), ny)).toBe('2025-01-14');
    expect(localDate(Date.parse('2025-01-15T05:00:00Z'), ny)).toBe('2025-01-15');
    // Summer (EDT, UTC-4): 04:00Z is already local midnight.
    expect(localDate(Date.parse('2025-07-15T03:59:00Z'), ny)).toBe('2025-07-14');
    expect(localDate(Date.parse('2025-07-15T04:00:00Z'), ny)).toBe('2025-07-15');
    // DST starts 2025-03-09 02:00 local; ends 2025-11-02 02:00 local.
    expect(localDate(Date.parse('2025-03-09T04:59:00Z'), ny)).toBe('2025-03-08');
    expect(localDate(Date.parse('2025-03-10T03:59:00Z'), ny)).toBe('2025-03-09');
    expect(localDate(Date.parse('2025-11-03T04:59:00Z'), ny)).toBe('2025-11-02');
    expect(localDate(Date.parse('2025-11-03T05:00:00Z'), ny)).toBe('2025-11-03');
  });

  it('agrees with shanghaiDate for Asia/Shanghai', () => {
    for (const iso of ['2025-06-05T15:59:59Z', '2025-06-05T16:00:00Z', '2025-12-31T20:00:00Z']) {
      const ts = Date.parse(iso);
      expect(localDate(ts, 'Asia/Shanghai')).toBe(shanghaiDate(ts));
    }
  });
});
