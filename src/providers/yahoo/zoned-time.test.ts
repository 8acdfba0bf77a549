import { describe, expect, it } from 'vitest';
import { createZoneClock } from './zoned-time.js';

describe('createZoneClock', () => {
  const ny = createZoneClock('America/New_York');
  const sh = createZoneClock('Asia/Shanghai');

  it('converts New York wall time on both sides of the 2026 DST switches', () => {
    expect(ny.wallTimeMs('2026-03-06', '09:30')).toBe(Date.parse('2026-03-06T14:30:00Z'));
    expect(ny.wallTimeMs('2026-03-09', '09:30')).toBe(Date.parse('2026-03-09T13:30:00Z'));
    expect(ny.wallTimeMs('2026-10-30', '16:00')).toBe(Date.parse('2026-10-30T20:00:00Z'));
    expect(ny.wallTimeMs('2026-11-02', '16:00')).toBe(Date.parse('2026-11-02T21:00:00Z'));
    expect(ny.wallTimeMs('2026-11-01', '00:00')).toBe(Date.parse('2026-11-01T04:00:00Z'));
  });
  it('converts Shanghai wall time (UTC+8, no DST)', () => {
    expect(sh.wallTimeMs('2026-07-01', '15:00')).toBe(Date.parse('2026-07-01T07:00:00Z'));
    expect(sh.offsetMs(Date.parse('2026-01-01T00:00:00Z'))).toBe(8 * 3_600_000);
  });
  it('reads local dates and times back', () => {
    expect(ny.localHhmm(Date.parse('2026-11-02T21:00:00Z'))).toBe('16:00');
    expect(ny.localDate(Date.parse('2026-11-03T03:00:00Z'))).toBe('2026-11-02');
    expect(sh.localDate(Date.parse('2026-11-02T16:00:00Z'))).toBe('2026-11-03');
  });
  it('rejects unknown zones', () => {
    expect(() => createZoneClock('Mars/Olympus')).toThrow(RangeError);
  });
});
