import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { createFakeClock } from '../../test/support/fake-clock.js';

describe('createFakeClock', () => {
  it('wakes sleepers in time order, ties in start order, and moves now() to each wake time', async () => {
    const clock = createFakeClock(1_000);
    const woke: Array<[string, number]> = [];
    const sleepLog = (name: string, ms: number) => clock.sleep(ms).then(() => woke.push([name, clock.now()]));
    void sleepLog('c', 300);
    void sleepLog('a', 100);
    void sleepLog('b', 100);
    expect(clock.pendingTimers()).toBe(3);
    await clock.advance(150);
    expect(woke).toEqual([
      ['a', 1_100],
      ['b', 1_100],
    ]);
    expect(clock.now()).toBe(1_150);
    await clock.advance(1_000);
    expect(woke.at(-1)).toEqual(['c', 1_300]);
    expect(clock.now()).toBe(2_150);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('runs sleeps started by a woken sleeper within the same advance', async () => {
    const clock = createFakeClock();
    const times: number[] = [];
    void (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(10);
        times.push(clock.now());
      }
    })();
    await clock.advance(45);
    expect(times).toEqual([10, 20, 30, 40]);
  });

  it('rejects with ABORTED and drops the timer on abort', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const slept = clock.sleep(1_000, controller.signal);
    expect(clock.pendingTimers()).toBe(1);
    controller.abort();
    await expect(slept).rejects.toMatchObject({ code: 'ABORTED' });
    expect(clock.pendingTimers()).toBe(0);
    await expect(clock.sleep(5, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('systemClock', () => {
  it('sleep rejects with ABORTED when aborted and leaves no timer keeping the process alive', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const slept = systemClock.sleep(60_000, controller.signal);
    setTimeout(() => controller.abort(), 5);
    await expect(slept).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('sleep resolves after a short real delay', async () => {
    const started = systemClock.now();
    await systemClock.sleep(20);
    expect(systemClock.now() - started).toBeGreaterThanOrEqual(15);
  });
});
