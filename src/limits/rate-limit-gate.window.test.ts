/**
 * The sliding-window promises of the gate over a `MemoryWindowStore` on a fake clock: exact
 * limits in every window, first-in first-out service, no wasted capacity, counting from the
 * answer. (These pinned the in-process limiter the gate used before its windows moved behind the
 * `WindowStore` port.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from './clock.js';
import { createRateLimitGate } from './rate-limit-gate.js';

const never = new AbortController().signal;
const at = { provider: 'tushare', endpoint: 'daily' } as const;

/** Most of the (sorted) times inside one half-open window [t, t + windowMs). */
function maxInAnyWindow(sortedTimes: number[], windowMs: number): number {
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < sortedTimes.length; hi++) {
    while ((sortedTimes[hi] as number) - (sortedTimes[lo] as number) >= windowMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

function gateOf(limit: number | undefined, windowMs: number, startMs = 0) {
  const clock = createFakeClock(startMs);
  const gate = createRateLimitGate({ clock, windowMs, limitFor: () => limit });
  return { clock, gate };
}

describe('rate-limit gate windows', () => {
  it('never exceeds the limit in any sliding window, serves FIFO and wastes no capacity (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 10, max: 5_000 }),
        fc.array(fc.nat({ max: 400 }), { minLength: 1, maxLength: 120 }),
        async (limit, windowMs, gapsPermille) => {
          const { clock, gate } = gateOf(limit, windowMs, 1_000_000);
          const arrivals: number[] = [];
          const grants: Array<{ i: number; t: number }> = [];
          for (const [i, gap] of gapsPermille.entries()) {
            await clock.advance(Math.floor((gap * windowMs) / 1_000));
            arrivals.push(clock.now());
            void gate.acquire({ ...at, signal: never }).then(() => grants.push({ i, t: clock.now() }));
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
          const [stats] = gate.stats().limiters;
          expect(stats).toMatchObject({ acquired: arrivals.length, waiting: 0 });
          expect(stats?.maxInWindow).toBe(maxInAnyWindow(times, windowMs));
          expect(clock.pendingTimers()).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('sustains >= 95% of the limit over a long run with enough demand', async () => {
    const limit = 200;
    const { clock, gate } = gateOf(limit, 60_000);
    const grantTimes: number[] = [];
    const controller = new AbortController();
    const workers = Array.from({ length: 20 }, async () => {
      try {
        for (;;) {
          const slot = await gate.acquire({ ...at, signal: controller.signal });
          grantTimes.push(clock.now());
          await clock.sleep(137, controller.signal); // the request itself
          slot.done?.();
        }
      } catch {
        // aborted at the end of the run
      }
    });
    const minutes = 20;
    for (let s = 0; s < minutes * 60; s++) await clock.advance(1_000);
    controller.abort();
    await Promise.all(workers);
    const sorted = [...grantTimes].sort((a, b) => a - b);
    expect(maxInAnyWindow(sorted, 60_000)).toBeLessThanOrEqual(limit);
    const achieved = sorted.filter((t) => t < minutes * 60_000).length / (limit * minutes);
    expect(achieved).toBeGreaterThanOrEqual(0.95);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a newcomer does not overtake queued waiters even when it arrives as a slot frees', async () => {
    const { clock, gate } = gateOf(2, 1_000);
    const order: string[] = [];
    await gate.acquire({ ...at, signal: never });
    await gate.acquire({ ...at, signal: never });
    // Wakes at t=1000 just before the gate's own timer (same instant, started earlier).
    void clock
      .sleep(1_000)
      .then(() => gate.acquire({ ...at, signal: never }).then(() => order.push('newcomer')));
    void gate.acquire({ ...at, signal: never }).then(() => order.push('queued'));
    await clock.advance(1_000);
    expect(order).toEqual(['queued', 'newcomer']);
  });

  it('an aborted waiter gives its turn to the next one and leaves no timer when nobody waits', async () => {
    const { clock, gate } = gateOf(1, 1_000);
    await gate.acquire({ ...at, signal: never });
    const controller = new AbortController();
    const aborted = gate.acquire({ ...at, signal: controller.signal });
    let laterAt: number | undefined;
    void gate.acquire({ ...at, signal: never }).then(() => (laterAt = clock.now()));
    await clock.advance(0);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    await clock.advance(1_000);
    expect(laterAt).toBe(1_000); // the aborted waiter did not consume the slot
    const alone = new AbortController();
    const lone = gate.acquire({ ...at, signal: alone.signal });
    await clock.advance(0);
    expect(clock.pendingTimers()).toBe(1);
    alone.abort();
    await expect(lone).rejects.toMatchObject({ code: 'ABORTED' });
    expect(clock.pendingTimers()).toBe(0);
    expect(gate.stats().limiters[0]).toMatchObject({ waiting: 0, acquired: 2 });
    await expect(gate.acquire({ ...at, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });

  it('is unlimited when the limit is undefined', async () => {
    const { clock, gate } = gateOf(undefined, 1_000);
    for (let i = 0; i < 2_000; i++) await gate.acquire({ ...at, signal: never });
    expect(clock.now()).toBe(0);
    expect(gate.stats().limiters[0]).toMatchObject({ acquired: 2_000, maxInWindow: 2_000, limit: undefined });
  });

  it('counts a request from its answer, so a slow send cannot put two requests in one server window', async () => {
    const { clock, gate } = gateOf(1, 1_000);
    const first = await gate.acquire({ ...at, signal: never });
    await clock.advance(400);
    first.done?.(); // the answer arrived at 400: the request counts from then
    first.done?.(); // idempotent
    const grants: number[] = [];
    void gate.acquire({ ...at, signal: never }).then(() => grants.push(clock.now()));
    await clock.advance(600); // t = 1000: a full window after the grant, not after the answer
    expect(grants).toEqual([]);
    await clock.advance(400); // t = 1400
    expect(grants).toEqual([1_400]);
  });

  it('rejects an invalid keyCount naming it', async () => {
    const { gate } = gateOf(1, 1_000);
    await expect(gate.acquire({ ...at, keyCount: 0, signal: never })).rejects.toThrow(/keyCount/);
  });
});
