import { describe, expect, it } from 'vitest';
import { shanghaiTime } from '../domain/dates.js';
import {
  currentOrNextWindow,
  localTimeOfDay,
  nextLocalTime,
  phaseAt,
  windowsOf,
} from './trading-sessions.js';

describe('trading sessions', () => {
  it('has a morning (with the opening auction) and an afternoon (with the closing auction) window', () => {
    expect(
      windowsOf('2025-06-17').map((w) => [
        w.name,
        localTimeOfDay(w.startMs),
        localTimeOfDay(w.endMs),
        w.closesDay,
      ]),
    ).toEqual([
      ['morning', '09:15:00', '11:30:00', false],
      ['afternoon', '13:00:00', '15:00:00', true],
    ]);
    expect(windowsOf('2025-06-21')).toEqual([]); // Saturday
    expect(windowsOf('2025-10-01')).toEqual([]); // National Day
  });

  it('finds the window to wait for: lunch → afternoon, evening → next trading day over weekends and holidays', () => {
    const w = (date: string, time: string) => currentOrNextWindow(shanghaiTime(date, time));
    expect(w('2025-06-17', '12:00:00')).toMatchObject({ tradeDate: '2025-06-17', name: 'afternoon' });
    expect(w('2025-06-17', '10:00:00')).toMatchObject({ tradeDate: '2025-06-17', name: 'morning' });
    expect(w('2025-06-20', '15:30:00')).toMatchObject({ tradeDate: '2025-06-23', name: 'morning' }); // Fri → Mon
    expect(w('2025-09-30', '16:00:00')).toMatchObject({ tradeDate: '2025-10-09', name: 'morning' }); // National Day
  });

  it('names phases in exchange-local time whatever the machine zone', () => {
    const p = (time: string) => phaseAt(shanghaiTime('2025-06-17', time));
    expect([
      p('09:00:00'),
      p('09:20:00'),
      p('09:27:00'),
      p('10:00:00'),
      p('12:00:00'),
      p('14:00:00'),
      p('14:58:00'),
      p('15:00:00'),
    ]).toEqual([
      'closed',
      'opening_auction',
      'pre_open',
      'morning',
      'lunch_break',
      'afternoon',
      'closing_auction',
      'closed',
    ]);
  });

  it('reads --until as the next occurrence of that Shanghai time', () => {
    const now = shanghaiTime('2025-06-17', '14:00:00');
    expect(nextLocalTime(now, '15:01:00')).toBe(shanghaiTime('2025-06-17', '15:01:00'));
    expect(nextLocalTime(now, '09:00:00')).toBe(shanghaiTime('2025-06-18', '09:00:00'));
  });
});
