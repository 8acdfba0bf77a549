import { describe, expect, it } from 'vitest';
import { eachDay, weekday } from './dates.js';
import {
  A_SHARE_HOLIDAYS,
  A_SHARE_TRADING_DAYS,
  isTradingDay,
  nextTradingDay,
  previousTradingDay,
  tradingDayIndex,
  tradingDaysBetween,
} from './calendar.js';

const expectUsage = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect((error as { code?: string }).code).toBe('USAGE');
    expect((error as Error).message).toMatch(/2024.*2026/);
    return;
  }
  throw new Error('expected a USAGE error');
};

describe('A-share trading calendar', () => {
  it('trades on the README example days and not on the weekend', () => {
    expect(isTradingDay('2025-06-05')).toBe(true);
    expect(isTradingDay('2025-06-06')).toBe(true);
    expect(isTradingDay('2025-06-07')).toBe(false);
    expect(tradingDaysBetween({ start: '2025-06-05', end: '2025-06-07' })).toEqual([
      '2025-06-05',
      '2025-06-06',
    ]);
  });

  it.each([
    ['2024-01-01'],
    ['2024-02-09'],
    ['2024-02-12'],
    ['2024-02-16'],
    ['2024-04-04'],
    ['2024-04-05'],
    ['2024-05-01'],
    ['2024-05-03'],
    ['2024-06-10'],
    ['2024-09-16'],
    ['2024-09-17'],
    ['2024-10-01'],
    ['2024-10-07'],
    ['2025-01-01'],
    ['2025-01-28'],
    ['2025-01-31'],
    ['2025-02-03'],
    ['2025-02-04'],
    ['2025-04-04'],
    ['2025-05-01'],
    ['2025-05-02'],
    ['2025-05-05'],
    ['2025-06-02'],
    ['2025-10-01'],
    ['2025-10-06'],
    ['2025-10-08'],
    ['2026-01-01'],
    ['2026-01-02'],
    ['2026-02-16'],
    ['2026-02-20'],
    ['2026-02-23'],
    ['2026-04-06'],
    ['2026-05-01'],
    ['2026-05-04'],
    ['2026-05-05'],
    ['2026-06-19'],
    ['2026-09-25'],
    ['2026-10-01'],
    ['2026-10-02'],
    ['2026-10-05'],
    ['2026-10-07'],
  ])('is closed on the holiday %s', (date) => {
    expect(weekday(date)).not.toBe(0);
    expect(weekday(date)).not.toBe(6);
    expect(isTradingDay(date)).toBe(false);
  });

  it.each([
    // Weekend make-up workdays (调休上班日): offices work, the exchanges do not.
    ['2024-02-04'],
    ['2024-02-18'],
    ['2024-04-07'],
    ['2024-04-28'],
    ['2024-05-11'],
    ['2024-09-14'],
    ['2024-09-29'],
    ['2024-10-12'],
    ['2025-01-26'],
    ['2025-02-08'],
    ['2025-04-27'],
    ['2025-09-28'],
    ['2025-10-11'],
  ])('is closed on the make-up workday %s', (date) => {
    expect(isTradingDay(date)).toBe(false);
  });

  it.each([
    ['2024-01-02'],
    ['2024-02-08'],
    ['2024-02-19'],
    ['2024-04-03'],
    ['2024-05-06'],
    ['2024-10-08'],
    ['2025-01-27'],
    ['2025-02-05'],
    ['2025-04-07'],
    ['2025-05-06'],
    ['2025-10-09'],
    ['2026-01-05'],
    ['2026-02-13'],
    ['2026-02-24'],
    ['2026-10-08'],
    ['2026-12-31'],
  ])('trades on the ordinary weekday %s', (date) => {
    expect(isTradingDay(date)).toBe(true);
  });

  it('closes every weekend and only lists weekdays as holidays', () => {
    const all = eachDay({ start: '2024-01-01', end: '2026-12-31' });
    for (const d of all) {
      if (weekday(d) === 0 || weekday(d) === 6) expect(isTradingDay(d)).toBe(false);
    }
    for (const h of A_SHARE_HOLIDAYS) expect([0, 6]).not.toContain(weekday(h));
    expect(new Set(A_SHARE_HOLIDAYS).size).toBe(A_SHARE_HOLIDAYS.length);
  });

  it('counts the trading days of each year (2024: 242, 2025: 243)', () => {
    const count = (y: string) => A_SHARE_TRADING_DAYS.filter((d) => d.startsWith(y)).length;
    expect(count('2024')).toBe(242);
    expect(count('2025')).toBe(243);
    expect(count('2026')).toBe(242);
  });

  it('lists trading days of a range in order and nothing for an empty range', () => {
    const days = tradingDaysBetween({ start: '2025-01-24', end: '2025-02-07' });
    expect(days).toEqual(['2025-01-24', '2025-01-27', '2025-02-05', '2025-02-06', '2025-02-07']);
    expect(tradingDaysBetween({ start: '2025-10-01', end: '2025-10-08' })).toEqual([]);
  });

  it('finds previous and next trading days across holidays', () => {
    expect(previousTradingDay('2025-02-05')).toBe('2025-01-27');
    expect(previousTradingDay('2025-06-09')).toBe('2025-06-06');
    expect(nextTradingDay('2024-09-30')).toBe('2024-10-08');
    expect(nextTradingDay('2026-02-13')).toBe('2026-02-24');
    expect(tradingDayIndex('2024-01-02')).toBe(0);
    expect(tradingDayIndex('2024-01-01')).toBeUndefined();
  });

  it('refuses dates outside 2024–2026 with a USAGE error', () => {
    expectUsage(() => isTradingDay('2023-12-29'));
    expectUsage(() => isTradingDay('2027-01-04'));
    expectUsage(() => tradingDaysBetween({ start: '2023-12-01', end: '2024-01-05' }));
    expectUsage(() => tradingDaysBetween({ start: '2026-12-01', end: '2027-01-05' }));
    expectUsage(() => previousTradingDay('2024-01-02'));
    expectUsage(() => nextTradingDay('2026-12-31'));
  });
});
