import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency } from './adaptive-concurrency.js';
import { createFakeClock } from '../../../test/support/fake-clock.js';

describe('AdaptiveConcurrency', () => {
  it('grows by one per healthy window of `limit` successes, up to max', () => {
    const clock = createFakeClock();
    const ac = new AdaptiveConcurrency({ min: 1, max: 6, clock, slowStart: false });
    expect(ac.limit).toBe(2);
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) {
      ac.onSuccess(100);
      seen.push(ac.limit);
    }
    expect(seen.slice(0, 6)).toEqual([2, 3, 3, 3, 4, 4]);
    expect(ac.limit).toBe(6);
    expect(Math.max(...seen)).toBe(6);
  });

  it('doubles per healthy window in slow start, then grows by one after the first decrease', async () => {
    const clock = createFakeClock();
    const ac = new AdaptiveConcurrency({ min: 1, max: 64, clock, cooldownMs: 1_000 });
    const grow = () => {
      const before = ac.limit;
      for (let i = 0; i < before; i++) ac.onSuccess(100);
      return ac.limit;
    };
    expect([grow(), grow(), grow(), grow(), grow()]).toEqual([4, 8, 16, 32, 64]);
    ac.onRateLimited();
    expect(ac.limit).toBe(32);
    await clock.advance(1_000);
    expect([grow(), grow()]).toEqual([33, 34]);
  });

  it('halves on a rate-limit answer, once per cool-down, never below min', async () => {
    const clock = createFakeClock();
    const ac = new AdaptiveConcurrency({ min: 2, max: 64, initial: 40, clock, cooldownMs: 5_000 });
    ac.onRateLimited();
    expect(ac.limit).toBe(20);
    ac.onRateLimited(); // same burst
    expect(ac.limit).toBe(20);
    for (let i = 0; i < 100; i++) ac.onSuccess(50); // no increase during the cool-down
    expect(ac.limit).toBe(20);
    for (const expected of [10, 5, 2, 2]) {
      await clock.advance(5_000);
      ac.onRateLimited();
      expect(ac.limit).toBe(expected);
    }
  });

  it('halves when more than 10% of a window failed', async () => {
    const clock = createFakeClock();
    const ac = new AdaptiveConcurrency({ min: 1, max: 64, initial: 20, clock, slowStart: false });
    for (let i = 0; i < 18; i++) ac.onSuccess(100);
    ac.onError();
    expect(ac.limit).toBe(20);
    ac.onError(); // 2 of 20 = 10%: still healthy
    expect(ac.limit).toBe(21);
    for (let i = 0; i < 18; i++) ac.onSuccess(100);
    for (let i = 0; i < 3; i++) ac.onError(); // 3 of 21
    expect(ac.limit).toBe(10);
  });

  it('halves when latency grows beyond twice the baseline', async () => {
    const clock = createFakeClock();
    const ac = new AdaptiveConcurrency({ min: 1, max: 64, initial: 8, clock, slowStart: false });
    for (let i = 0; i < 8; i++) ac.onSuccess(100);
    expect(ac.limit).toBe(9);
    for (let i = 0; i < 9; i++) ac.onSuccess(350);
    expect(ac.limit).toBe(4);
  });

  it('stays within [min, max] under any sequence of outcomes', async () => {
    const clock = createFakeClock();
    const ac = new AdaptiveConcurrency({ min: 3, max: 7, initial: 100, clock, cooldownMs: 0 });
    expect(ac.limit).toBe(7);
    let seed = 1;
    const rnd = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
    for (let i = 0; i < 10_000; i++) {
      const r = rnd();
      if (r < 0.05) ac.onRateLimited();
      else if (r < 0.15) ac.onError();
      else ac.onSuccess(50 + rnd() * 200);
      expect(ac.limit).toBeGreaterThanOrEqual(3);
      expect(ac.limit).toBeLessThanOrEqual(7);
      if (i % 100 === 0) await clock.advance(100);
    }
  });

  it('spaces increases by increaseEveryMs', async () => {
    const clock = createFakeClock();
    const ac = new AdaptiveConcurrency({
      min: 1,
      max: 64,
      initial: 2,
      clock,
      increaseEveryMs: 1_000,
      slowStart: false,
    });
    for (let i = 0; i < 50; i++) ac.onSuccess(10);
    expect(ac.limit).toBe(3);
    await clock.advance(1_000);
    for (let i = 0; i < 3; i++) ac.onSuccess(10);
    expect(ac.limit).toBe(4);
  });

  it('rejects bad bounds', () => {
    const clock = createFakeClock();
    expect(() => new AdaptiveConcurrency({ min: 0, max: 4, clock })).toThrow(/min/);
    expect(() => new AdaptiveConcurrency({ min: 4, max: 2, clock })).toThrow(/max/);
  });
});
