import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from './clock.js';
import { SlidingWindowLimiter } from './sliding-window-limiter.js';

const never = new AbortController().signal;

/** True when no window [t, t + windowMs) holds more than `limit` of the (sorted) times. */
function maxInAnyWindow(sortedTimes: number[], windowMs: number): number {
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < sortedTimes.length; hi++) {
    while ((sortedTimes[hi] as number) - (sortedTimes[lo] as number) >= windowMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

describe('SlidingWindowLimiter', () => {
  it('never exceeds the limit in any sliding window, serves FIFO and wastes no capacity (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 10, max: 5_000 }),
        fc.array(fc.nat({ max: 400 }), { minLength: 1, maxLength: 150 }),
        async (limit, windowMs, gapsPermille) => {
          const clock = createFakeClock(1_000_000);
          const limiter = new SlidingWindowLimiter({ limit, windowMs, clock });
          const arrivals: number[] = [];
          const grants: Array<{ i: number; t: number }> = [];
          for (const [i, gap] of gapsPermille.entries()) {
            await clock.advance(Math.floor((gap * windowMs) / 1_000));
            arrivals.push(clock.now());
            void limiter.acquire(never).then(() => grants.push({ i, t: clock.now() }));
          }
          await clock.advance(windowMs * (gapsPermille.length / limit + 2));
          expect(grants.length).toBe(arrivals.length);
          expect(grants.map((g) => g.i)).toEqual(arrivals.map((_, i) => i)); // FIFO
          const times = grants.map((g) => g.t);
          expect(maxInAnyWindow(times, windowMs)).toBeLessThanOrEqual(limit);
          // Work-conserving: each grant happens at the earliest instant the rules allow.
          for (let i = 0; i < times.length; i++) {
            const earliest = Math.max(
              arrivals[i] as number,
              i > 0 ? (times[i - 1] as number) : -Infinity,
              i >= limit ? (times[i - limit] as number) + windowMs : -Infinity,
            );
            expect(times[i]).toBe(earliest);
          }
          expect(limiter.stats()).toMatchObject({ acquired: arrivals.length, waiting: 0 });
          expect(limiter.stats().maxInWindow).toBe(maxInAnyWindow(times, windowMs));
          expect(clock.pendingTimers()).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sustains >= 95% of the limit over a long run with enough demand', async () => {
    const clock = createFakeClock();
    const limit = 200;
    const limiter = new SlidingWindowLimiter({ limit, clock });
    const grantTimes: number[] = [];
    const controller = new AbortController();
    const workers = Array.from({ length: 20 }, async () => {
      try {
        for (;;) {
          await limiter.acquire(controller.signal);
          grantTimes.push(clock.now());
          await clock.sleep(137, controller.signal); // the request itself
        }
      } catch {
        // aborted at the end of the run
      }
    });
    const minutes = 30;
    for (let s = 0; s < minutes * 60; s++) await clock.advance(1_000);
    controller.abort();
    await Promise.all(workers);
    const sorted = [...grantTimes].sort((a, b) => a - b);
    expect(maxInAnyWindow(sorted, 60_000)).toBeLessThanOrEqual(limit);
    const achieved = sorted.filter((t) => t < minutes * 60_000).length / (limit * minutes);
    expect(achieved).toBeGreaterThanOrEqual(0.95);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('serves waiters first-in first-out, one window apart at limit 1', async () => {
    const clock = createFakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1_000, clock });
    const order: Array<[string, number]> = [];
    for (const name of ['a', 'b', 'c', 'd'])
      void limiter.acquire(never).then(() => order.push([name, clock.now()]));
    await clock.advance(5_000);
    expect(order).toEqual([
      ['a', 0],
      ['b', 1_000],
      ['c', 2_000],
      ['d', 3_000],
    ]);
  });

  it('a newcomer does not overtake queued waiters even when it arrives as a slot frees', async () => {
    const clock = createFakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 1_000, clock });
    const order: string[] = [];
    await limiter.acquire(never);
    await limiter.acquire(never);
    // Wakes at t=1000 just before the limiter's own timer (same instant, started earlier).
    void clock.sleep(1_000).then(() => limiter.acquire(never).then(() => order.push('newcomer')));
    void limiter.acquire(never).then(() => order.push('queued'));
    await clock.advance(1_000);
    expect(order).toEqual(['queued', 'newcomer']);
  });

  it('rejects an aborted waiter with ABORTED, keeps the others, and leaves no timer when nobody waits', async () => {
    const clock = createFakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1_000, clock });
    await limiter.acquire(never);
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    let laterAt: number | undefined;
    void limiter.acquire(never).then(() => (laterAt = clock.now()));
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    await clock.advance(1_000);
    expect(laterAt).toBe(1_000); // the aborted waiter did not consume the slot
    const alone = new AbortController();
    const lone = limiter.acquire(alone.signal);
    expect(clock.pendingTimers()).toBe(1);
    alone.abort();
    await expect(lone).rejects.toMatchObject({ code: 'ABORTED' });
    expect(clock.pendingTimers()).toBe(0);
    expect(limiter.stats().waiting).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const limiter = new SlidingWindowLimiter({ limit: 5, clock: createFakeClock() });
    await expect(limiter.acquire(AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
    expect(limiter.stats().acquired).toBe(0);
  });

  it('pauseUntil holds back queued and new callers until then, and never shortens a pause', async () => {
    const clock = createFakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 100, windowMs: 1_000, clock });
    const grants: number[] = [];
    limiter.pauseUntil(5_000);
    limiter.pauseUntil(2_000);
    for (let i = 0; i < 3; i++) void limiter.acquire(never).then(() => grants.push(clock.now()));
    await clock.advance(4_999);
    expect(grants).toEqual([]);
    await clock.advance(1);
    expect(grants).toEqual([5_000, 5_000, 5_000]);
  });

  it('setLimit lowers and raises the limit, counting acquisitions already in the window', async () => {
    const clock = createFakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 1_000, clock });
    for (let i = 0; i < 4; i++) await limiter.acquire(never);
    limiter.setLimit(3);
    let grantedAt: number | undefined;
    void limiter.acquire(never).then(() => (grantedAt = clock.now()));
    await clock.advance(999);
    expect(grantedAt).toBeUndefined();
    await clock.advance(1);
    expect(grantedAt).toBe(1_000);
    limiter.setLimit(undefined);
    for (let i = 0; i < 50; i++) await limiter.acquire(never);
    expect(clock.now()).toBe(1_000);
  });

  it('raising the limit wakes waiters at once', async () => {
    const clock = createFakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1_000, clock });
    await limiter.acquire(never);
    let granted = false;
    void limiter.acquire(never).then(() => (granted = true));
    await clock.advance(10);
    expect(granted).toBe(false);
    limiter.setLimit(2);
    await clock.advance(0);
    expect(granted).toBe(true);
  });

  it('is unlimited when limit is undefined', async () => {
    const clock = createFakeClock();
    const limiter = new SlidingWindowLimiter({ limit: undefined, clock });
    for (let i = 0; i < 10_000; i++) await limiter.acquire(never);
    expect(limiter.stats()).toMatchObject({ acquired: 10_000, maxInWindow: 10_000, limit: undefined });
  });

  it('estimates when a new caller would be served', async () => {
    const clock = createFakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 1_000, clock });
    expect(limiter.estimateReadyAtMs()).toBe(0);
    await limiter.acquire(never);
    await clock.advance(100);
    await limiter.acquire(never);
    expect(limiter.estimateReadyAtMs()).toBe(1_000);
    void limiter.acquire(never);
    expect(limiter.estimateReadyAtMs()).toBe(1_100);
    expect(limiter.oldestExpiresAtMs()).toBe(1_000);
  });

  it('rejects invalid options naming the key', () => {
    const clock = createFakeClock();
    expect(() => new SlidingWindowLimiter({ limit: 0, clock })).toThrow(/limit/);
    expect(() => new SlidingWindowLimiter({ limit: 1.5, clock })).toThrow(/limit/);
    expect(() => new SlidingWindowLimiter({ limit: 1, windowMs: 0, clock })).toThrow(/windowMs/);
  });
});

describe('SlidingWindowLimiter.complete', () => {
  it('counts a request from its answer, so a slow send cannot put two requests in one server window', async () => {
    const clock = createFakeClock(0);
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1_000, clock });
    const never = new AbortController().signal;
    const first = await limiter.acquire(never);
    await clock.advance(400);
    limiter.complete(first); // the answer arrived at 400: the request counts from then
    const grants: number[] = [];
    void limiter.acquire(never).then(() => grants.push(clock.now()));
    await clock.advance(600); // t = 1000: a full window after the grant, not after the answer
    expect(grants).toEqual([]);
    await clock.advance(400); // t = 1400
    expect(grants).toEqual([1_400]);
  });
});
