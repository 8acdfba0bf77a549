import { describe, expect, it } from 'vitest';
import { fitInterval, minimumIntervalMs, parseIntervalMs } from './fit-interval.js';

describe('fitInterval', () => {
  it('keeps an interval that fits every limit', () => {
    const f = fitInterval({
      requestedMs: 3_000,
      requestsPerSnapshot: { rt_k: 2 },
      limits: { rt_k: 500 },
      keyCount: 1,
      windowMs: 61_000,
    });
    expect(f).toMatchObject({ intervalMs: 3_000, raised: false, requestsPerMinute: 40 });
  });

  it('raises to the smallest interval whose snapshots fit any window of the limit', () => {
    const f = fitInterval({
      requestedMs: 3_000,
      requestsPerSnapshot: { rt_k: 4 },
      limits: { rt_k: 20 },
      keyCount: 1,
      windowMs: 61_000,
    });
    expect(f).toMatchObject({ intervalMs: 12_300, raised: true, bindingEndpoint: 'rt_k' });
    // At most ⌊W/I⌋+1 = 5 snapshots (20 requests) in any 61 s window.
    expect(Math.floor(61_000 / f.intervalMs) + 1).toBe(5);
    // Two keys double the budget.
    expect(
      fitInterval({
        requestedMs: 3_000,
        requestsPerSnapshot: { rt_k: 4 },
        limits: { rt_k: 20 },
        keyCount: 2,
        windowMs: 61_000,
      }).intervalMs,
    ).toBe(6_200);
  });

  it('spreads a snapshot larger than the limit over several windows', () => {
    expect(minimumIntervalMs(30, 20, 60_000)).toBe(120_000);
  });

  it('ignores unlimited endpoints', () => {
    expect(
      fitInterval({
        requestedMs: 500,
        requestsPerSnapshot: { quote: 100 },
        limits: { quote: undefined },
        keyCount: 1,
        windowMs: 61_000,
      }),
    ).toMatchObject({ intervalMs: 500, raised: false });
  });
});

describe('parseIntervalMs', () => {
  it('reads s, ms, m and bare seconds; refuses the rest', () => {
    expect(parseIntervalMs('3s')).toBe(3_000);
    expect(parseIntervalMs('500ms')).toBe(500);
    expect(parseIntervalMs('1m')).toBe(60_000);
    expect(parseIntervalMs('2.5')).toBe(2_500);
    expect(parseIntervalMs('0s')).toBeUndefined();
    expect(parseIntervalMs('fast')).toBeUndefined();
  });
});
