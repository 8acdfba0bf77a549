import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates.js';
import { planMinuteWindows } from './plan-minute-windows.js';

describe('planMinuteWindows', () => {
  it('keeps Mon–Fri in one window and splits Wed..Thu of the next week', () => {
    const week = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20'];
    expect(planMinuteWindows(week)).toEqual([week]);
    expect(planMinuteWindows(['2026-11-18', '2026-11-20', '2026-11-24', '2026-11-25', '2026-11-26'])).toEqual(
      [
        ['2026-11-18', '2026-11-20', '2026-11-24'],
        ['2026-11-25', '2026-11-26'],
      ],
    );
    expect(planMinuteWindows([])).toEqual([]);
  });
  it('never spans more than 7 calendar days and keeps every date once, in order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 20 }), (offsets) => {
        const dates = [...offsets].sort((a, b) => a - b).map((o) => addDays('2026-10-01', o));
        const windows = planMinuteWindows(dates);
        expect(windows.flat()).toEqual(dates);
        for (const w of windows) {
          expect(w.length).toBeGreaterThan(0);
          expect(addDays(w[w.length - 1] as string, 1) <= addDays(w[0] as string, 7)).toBe(true);
        }
      }),
    );
  });
});
