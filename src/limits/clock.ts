import { IngestError } from '../errors.js';

/**
 * Time as the scheduler sees it. Production uses {@link systemClock}; tests use the fake clock of
 * test/support/fake-clock.ts, so that minutes of rate-limited traffic run in milliseconds.
 */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds (at once when `ms <= 0`). Rejects with an `ABORTED`
   * `IngestError` when `signal` fires first, and then leaves no timer behind.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortedError(signal: AbortSignal): IngestError {
  return new IngestError('ABORTED', 'aborted', { cause: signal.reason });
}

/**
 * The promise part every clock's `sleep` shares (this one and the test clock of
 * test/support/fake-clock.ts): resolves at once for `ms <= 0`, rejects with
 * `ABORTED` when the signal fires (cancelling the timer), and detaches its listener when the
 * timer fires. `schedule` arms a timer calling `fire` and returns its cancel function.
 */
export function abortableSleep(
  ms: number,
  signal: AbortSignal | undefined,
  schedule: (fire: () => void) => () => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal));
      return;
    }
    if (ms <= 0) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(abortedError(signal as AbortSignal));
    };
    const cancel = schedule(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    abortableSleep(ms, signal, (fire) => {
      const timer = setTimeout(fire, ms);
      return () => clearTimeout(timer);
    }),
};
