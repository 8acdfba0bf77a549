import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../test/support/fake-clock.js';
import { runPool } from './worker-pool.js';

function queue<T>(items: T[]): () => T | undefined {
  let i = 0;
  return () => items[i++];
}

describe('runPool', () => {
  it('keeps exactly `concurrency` workers busy and processes every item once', async () => {
    const clock = createFakeClock();
    let inFlight = 0;
    let maxInFlight = 0;
    const done: number[] = [];
    const items = Array.from({ length: 100 }, (_, i) => i);
    const pool = runPool<number>({
      take: queue(items),
      concurrency: () => 7,
      signal: new AbortController().signal,
      worker: async (item) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await clock.sleep(10 + (item % 5) * 10);
        inFlight--;
        done.push(item);
      },
    });
    await clock.advance(0);
    expect(inFlight).toBe(7);
    for (let t = 0; t < 2_000; t += 10) await clock.advance(10);
    await pool;
    expect(maxInFlight).toBe(7);
    expect([...done].sort((a, b) => a - b)).toEqual(items);
  });

  it('re-reads concurrency() as slots free: grows and shrinks while running', async () => {
    const clock = createFakeClock();
    let limit = 2;
    let inFlight = 0;
    const observed: number[] = [];
    const pool = runPool({
      take: queue(Array.from({ length: 200 }, (_, i) => i)),
      concurrency: () => limit,
      signal: new AbortController().signal,
      worker: async () => {
        inFlight++;
        observed.push(inFlight);
        await clock.sleep(10);
        inFlight--;
      },
    });
    await clock.advance(50);
    expect(Math.max(...observed)).toBe(2);
    limit = 8;
    observed.length = 0;
    await clock.advance(50);
    expect(Math.max(...observed)).toBe(8);
    limit = 3;
    await clock.advance(10); // in-flight workers finish; only 3 start again
    observed.length = 0;
    await clock.advance(50);
    expect(Math.max(...observed)).toBe(3);
    limit = 0; // treated as 1
    await clock.advance(10);
    observed.length = 0;
    await clock.advance(50);
    expect(Math.max(...observed)).toBe(1);
    limit = 50;
    await clock.advance(1_000);
    await pool;
  });

  it('on abort stops taking, passes the signal to in-flight workers and waits for them', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    let taken = 0;
    const settled: string[] = [];
    const pool = runPool({
      take: () => taken++,
      concurrency: () => 4,
      signal: controller.signal,
      worker: async (item, signal) => {
        try {
          await clock.sleep(1_000, signal);
          settled.push(`done ${item}`);
        } catch {
          await clock.sleep(50); // grace: finish writing
          settled.push(`aborted ${item}`);
        }
      },
    });
    await clock.advance(1_500);
    expect(taken).toBe(8);
    let finished = false;
    void pool.then(() => (finished = true));
    controller.abort();
    await clock.advance(0);
    expect(finished).toBe(false);
    await clock.advance(50);
    await pool;
    expect(taken).toBe(8);
    expect(settled).toEqual([
      'done 0',
      'done 1',
      'done 2',
      'done 3',
      'aborted 4',
      'aborted 5',
      'aborted 6',
      'aborted 7',
    ]);
  });

  it('keeps going when a worker throws and rethrows after the drain', async () => {
    const done: number[] = [];
    const pool = runPool<number>({
      take: queue([1, 2, 3, 4, 5]),
      concurrency: () => 2,
      signal: new AbortController().signal,
      worker: async (item) => {
        if (item === 2) throw new Error('boom 2');
        done.push(item);
      },
    });
    await expect(pool).rejects.toThrow('boom 2');
    expect(done).toEqual([1, 3, 4, 5]);
    const twoFailures = runPool({
      take: queue([1, 2]),
      concurrency: () => 2,
      signal: new AbortController().signal,
      worker: (item) => {
        throw new Error(`sync ${item}`);
      },
    });
    await expect(twoFailures).rejects.toBeInstanceOf(AggregateError);
  });

  it('resolves at once with no items, and takes items a finished worker queued', async () => {
    await runPool({
      take: () => undefined,
      concurrency: () => 3,
      signal: new AbortController().signal,
      worker: async () => {},
    });
    const items = [1];
    const seen: number[] = [];
    await runPool({
      take: () => items.shift(),
      concurrency: () => 3,
      signal: new AbortController().signal,
      worker: async (item) => {
        seen.push(item);
        if (item < 4) items.push(item + 1);
      },
    });
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('with onIdleWait, waits for delayed work (a retry due later), also while others run, and ends when told', async () => {
    const clock = createFakeClock();
    // The caller's queue: items become takeable at `atMs` (delayed retries).
    const queued: Array<{ item: string; atMs: number }> = [
      { item: 'a', atMs: 0 },
      { item: 'b', atMs: 0 },
      { item: 'slow', atMs: 0 },
    ];
    const processed: Array<[string, number]> = [];
    let attemptsOfB = 0;
    const pool = runPool({
      take: () => {
        const i = queued.findIndex((q) => q.atMs <= clock.now());
        return i < 0 ? undefined : queued.splice(i, 1)[0]?.item;
      },
      concurrency: () => 3,
      signal: new AbortController().signal,
      worker: async (item) => {
        await clock.sleep(item === 'slow' ? 10_000 : 10);
        if (item === 'b' && ++attemptsOfB < 3) {
          queued.push({ item, atMs: clock.now() + 1_000 });
          return;
        }
        processed.push([item, clock.now()]);
      },
      onIdleWait: async (signal) => {
        // Only waits; the item stays queued, so a cancelled wait loses nothing.
        if (queued.length === 0) return false;
        await clock.sleep(Math.min(...queued.map((q) => q.atMs)) - clock.now(), signal);
        return true;
      },
    });
    await clock.advance(20_000);
    await pool;
    expect(processed).toEqual([
      ['a', 10],
      ['b', 2_030],
      ['slow', 10_000],
    ]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('an abort during onIdleWait ends the pool without an error', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const pool = runPool({
      take: () => undefined,
      concurrency: () => 2,
      signal: controller.signal,
      worker: async () => {},
      onIdleWait: async (signal) => {
        await clock.sleep(60_000, signal);
        return true;
      },
    });
    await clock.advance(100);
    controller.abort();
    await expect(pool).resolves.toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);
  });
});
