import { describe, expect, it } from 'vitest';
import { limitPctOf, priceLimits } from './price-limits.js';

describe('limitPctOf', () => {
  it('maps boards to their bands', () => {
    expect(limitPctOf('sse_main')).toBe(0.1);
    expect(limitPctOf('szse_main')).toBe(0.1);
    expect(limitPctOf('star')).toBe(0.2);
    expect(limitPctOf('chinext')).toBe(0.2);
    expect(limitPctOf('bse')).toBe(0.3);
    expect(limitPctOf('other')).toBeUndefined();
  });
});

describe('priceLimits', () => {
  it('main boards: ±10%', () => {
    expect(priceLimits('600000.SH', 10)).toEqual({ limitUp: 11, limitDown: 9 });
    expect(priceLimits('000001.SZ', 12.34)).toEqual({ limitUp: 13.57, limitDown: 11.11 });
  });

  it('ChiNext and STAR: ±20%', () => {
    expect(priceLimits('300750.SZ', 12.34)).toEqual({ limitUp: 14.81, limitDown: 9.87 });
    expect(priceLimits('688981.SH', 50)).toEqual({ limitUp: 60, limitDown: 40 });
  });

  it('BSE: ±30%', () => {
    expect(priceLimits('830799.BJ', 9.99)).toEqual({ limitUp: 12.99, limitDown: 6.99 });
  });

  it('rounds half away from zero to the cent', () => {
    // 10.05 × 1.1 = 11.055 → 11.06; × 0.9 = 9.045 → 9.05 (exact-cent arithmetic, no float drift).
    expect(priceLimits('600000.SH', 10.05)).toEqual({ limitUp: 11.06, limitDown: 9.05 });
    // 1.15 × 1.1 = 1.265 → 1.27; × 0.9 = 1.035 → 1.04.
    expect(priceLimits('000001.SZ', 1.15)).toEqual({ limitUp: 1.27, limitDown: 1.04 });
    // 11.05 × 1.1 = 12.155 → 12.16; × 0.9 = 9.945 → 9.95.
    expect(priceLimits('600519.SH', 11.05)).toEqual({ limitUp: 12.16, limitDown: 9.95 });
  });

  it('limits are always on the 0.01 grid', () => {
    for (let cents = 101; cents < 5000; cents += 37) {
      const l = priceLimits('600000.SH', cents / 100);
      expect(l).toBeDefined();
      expect(Math.abs(l!.limitUp * 100 - Math.round(l!.limitUp * 100))).toBeLessThan(1e-6);
      expect(Math.abs(l!.limitDown * 100 - Math.round(l!.limitDown * 100))).toBeLessThan(1e-6);
      expect(l!.limitUp).toBeGreaterThan(cents / 100);
      expect(l!.limitDown).toBeLessThan(cents / 100);
    }
  });

  it('is undefined for funds, non-A-shares and non-positive previous closes', () => {
    expect(priceLimits('510300.SH', 4)).toBeUndefined();
    expect(priceLimits('AAPL', 200)).toBeUndefined();
    expect(priceLimits('600000.SH', 0)).toBeUndefined();
    expect(priceLimits('600000.SH', Number.NaN)).toBeUndefined();
  });

  it('throws USAGE for a malformed ticker', () => {
    expect(() => priceLimits('60000.SH', 10)).toThrowError(/Malformed symbol/);
  });
});
