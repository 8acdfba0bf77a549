/**
 * A discrete-event clock for tests of code that sleeps one sleeper at a time (the live
 * collector): `sleep(ms)` moves virtual time forward by `ms` at once and resolves on the next
 * macrotask, so a whole trading day runs in seconds while HTTP calls to in-process emulators take
 * no virtual time. Not for concurrent sleepers (use `createFakeClock` there).
 */
import { IngestError } from '../../src/errors.js';
import type { Clock } from '../../src/limits/clock.js';

/** The clock plus a way to move it by hand. */
export interface VirtualClock extends Clock {
  /** Moves time forward to `ms` (never backwards). */
  set(ms: number): void;
  /** Sleeps taken, for assertions. */
  readonly sleeps: number[];
}

/** Creates a virtual clock at `startMs`. */
export function createVirtualClock(startMs: number): VirtualClock {
  let nowMs = startMs;
  const sleeps: number[] = [];
  const aborted = (signal: AbortSignal): IngestError =>
    new IngestError('ABORTED', 'aborted', { cause: signal.reason });
  return {
    now: () => nowMs,
    sleeps,
    set: (ms) => {
      nowMs = Math.max(nowMs, ms);
    },
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw aborted(signal);
      if (ms > 0) {
        sleeps.push(ms);
        nowMs += ms;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw aborted(signal);
    },
  };
}
