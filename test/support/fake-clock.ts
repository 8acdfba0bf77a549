/**
 * The test clock: time moves only when a test calls `advance`, so minutes of rate-limited traffic
 * run in milliseconds. Shares its sleep semantics (abort, `ms <= 0`) with the real clock.
 */
import { abortableSleep, type Clock } from '../../src/limits/clock.js';

/** A test clock: time only moves when the test calls {@link FakeClock.advance}. */
export interface FakeClock extends Clock {
  /**
   * Moves time forward by `ms`, waking due sleepers one by one in time order (ties in the order
   * they started sleeping) and letting promise callbacks run after each wake-up, so that code
   * woken at time t can start new sleeps that are themselves due before the end of the advance.
   */
  advance(ms: number): Promise<void>;
  /** Number of sleeps not yet woken nor aborted. */
  pendingTimers(): number;
}

interface FakeTimer {
  atMs: number;
  seq: number;
  resolve: () => void;
}

/** Lets every queued promise callback (and the callbacks they queue) run. */
async function flushMicrotasks(): Promise<void> {
  // setImmediate runs only once the microtask queue is empty; two rounds cover callbacks that
  // were scheduled through an extra hop (e.g. an awaited thenable).
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Creates a {@link FakeClock} starting at `startMs`. */
export function createFakeClock(startMs = 0): FakeClock {
  let nowMs = startMs;
  let seq = 0;
  const timers: FakeTimer[] = [];

  const removeTimer = (timer: FakeTimer): void => {
    const i = timers.indexOf(timer);
    if (i >= 0) timers.splice(i, 1);
  };

  return {
    now: () => nowMs,
    sleep: (ms, signal) =>
      abortableSleep(ms, signal, (fire) => {
        const timer: FakeTimer = { atMs: nowMs + ms, seq: seq++, resolve: fire };
        timers.push(timer);
        return () => removeTimer(timer);
      }),
    advance: async (ms) => {
      if (!(ms >= 0)) throw new RangeError(`advance(ms): ms must be >= 0, got ${ms}`);
      const targetMs = nowMs + ms;
      await flushMicrotasks();
      for (;;) {
        let next: FakeTimer | undefined;
        for (const t of timers) {
          if (
            t.atMs <= targetMs &&
            (next === undefined || t.atMs < next.atMs || (t.atMs === next.atMs && t.seq < next.seq))
          ) {
            next = t;
          }
        }
        if (next === undefined) break;
        removeTimer(next);
        nowMs = Math.max(nowMs, next.atMs);
        next.resolve();
        await flushMicrotasks();
      }
      nowMs = targetMs;
      await flushMicrotasks();
    },
    pendingTimers: () => timers.length,
  };
}
