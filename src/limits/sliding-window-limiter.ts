import { IngestError } from '../errors.js';
import type { Clock } from './clock.js';

/** Options of {@link SlidingWindowLimiter}. */
export interface SlidingWindowLimiterOptions {
  /** Most acquisitions in any window of `windowMs`; `undefined` = unlimited. Integer >= 1. */
  limit: number | undefined;
  /** Window length, ms. Default 60 000. */
  windowMs?: number;
  /** Time source. */
  clock: Clock;
}

/** Counters of one limiter, for stats, benches and tests. */
export interface SlidingWindowLimiterStats {
  /** Acquisitions granted since creation. */
  acquired: number;
  /** Current limit per window (`undefined` = unlimited). */
  limit: number | undefined;
  /** Most acquisitions ever observed inside one window of `windowMs`. */
  maxInWindow: number;
  /** Callers waiting right now. */
  waiting: number;
}

interface Waiter {
  resolve: (grantedAtMs: number) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

function checkLimit(limit: number | undefined, key: string): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new RangeError(`${key} must be an integer >= 1 or undefined (unlimited), got ${limit}`);
  }
}

/**
 * An exact sliding-window rate limiter: no window of `windowMs` (half-open, `[t, t + windowMs)`)
 * ever holds more than `limit` acquisitions. Waiters are served first-in first-out; the next
 * wake-up is computed from the timestamps in the window (no polling), so exactly one timer is
 * pending while anyone waits and none when nobody does.
 */
export class SlidingWindowLimiter {
  /** Window length, ms. */
  readonly windowMs: number;
  readonly #clock: Clock;
  #limit: number | undefined;
  /** Acquisition times still inside the window, oldest first (`#head` is the first live one). */
  #times: number[] = [];
  #head = 0;
  #waiters: Waiter[] = [];
  #pausedUntilMs = -Infinity;
  #timer: AbortController | undefined;
  #acquired = 0;
  #maxInWindow = 0;

  constructor(options: SlidingWindowLimiterOptions) {
    checkLimit(options.limit, 'limit');
    const windowMs = options.windowMs ?? 60_000;
    if (!(Number.isFinite(windowMs) && windowMs > 0)) {
      throw new RangeError(`windowMs must be a positive number of milliseconds, got ${windowMs}`);
    }
    this.windowMs = windowMs;
    this.#limit = options.limit;
    this.#clock = options.clock;
  }

  /** Current limit per window (`undefined` = unlimited). */
  get limit(): number | undefined {
    return this.#limit;
  }

  /** Time until which every acquisition is held back by {@link pauseUntil}, epoch ms. */
  get pausedUntilMs(): number {
    return this.#pausedUntilMs;
  }

  /**
   * Resolves when one acquisition fits in the window, recording it. Callers are served in the
   * order they called. Rejects with `ABORTED` when `signal` fires while waiting.
   */
  acquire(signal: AbortSignal): Promise<number> {
    if (signal.aborted)
      return Promise.reject(new IngestError('ABORTED', 'aborted', { cause: signal.reason }));
    if (this.#waiters.length === 0 && this.#readyAtMs() <= this.#clock.now()) {
      return Promise.resolve(this.#record());
    }
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(new IngestError('ABORTED', 'aborted', { cause: signal.reason }));
          this.#schedule();
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      // A caller behind others changes nothing: the timer is already armed for the head.
      if (this.#waiters.length === 1) this.#schedule();
    });
  }

  /**
   * Replaces the limit. Acquisitions already in the window still count: after lowering it, new
   * ones wait until the window holds fewer than the new limit.
   */
  setLimit(limit: number | undefined): void {
    checkLimit(limit, 'limit');
    this.#limit = limit;
    this.#schedule();
  }

  /** Holds every acquisition (queued and new) back until `untilMs` (epoch ms). Never shortens a pause. */
  pauseUntil(untilMs: number): void {
    if (untilMs <= this.#pausedUntilMs) return;
    this.#pausedUntilMs = untilMs;
    this.#schedule();
  }

  /**
   * Estimated epoch ms at which a new caller would be served, taking queued callers into
   * account. Exact for the next slot; an estimate further back in the queue. Used to pick the
   * API key whose window frees soonest.
   */
  estimateReadyAtMs(): number {
    const nowMs = this.#clock.now();
    this.#prune(nowMs);
    const base = Math.max(nowMs, this.#pausedUntilMs);
    const limit = this.#limit;
    if (limit === undefined) return base;
    const count = this.#times.length - this.#head;
    const j = count - limit + this.#waiters.length;
    if (j < 0) return base;
    if (j < count) return Math.max(base, (this.#times[this.#head + j] as number) + this.windowMs);
    // Deeper than the window's own entries: the queue drains about `limit` per window.
    return Math.max(base, nowMs + this.windowMs * Math.ceil((j - count + 1) / limit));
  }

  /**
   * Epoch ms at which the oldest acquisition still in the window leaves it (when the window
   * "frees"), or `undefined` when the window is empty.
   */
  oldestExpiresAtMs(): number | undefined {
    this.#prune(this.#clock.now());
    const oldest = this.#times[this.#head];
    return oldest === undefined ? undefined : oldest + this.windowMs;
  }

  /** Counters for stats and tests. */
  stats(): SlidingWindowLimiterStats {
    return {
      acquired: this.#acquired,
      limit: this.#limit,
      maxInWindow: this.#maxInWindow,
      waiting: this.#waiters.length,
    };
  }

  #prune(nowMs: number): void {
    const cutoff = nowMs - this.windowMs;
    while (this.#head < this.#times.length && (this.#times[this.#head] as number) <= cutoff) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Earliest epoch ms at which the next acquisition fits. */
  #readyAtMs(): number {
    const nowMs = this.#clock.now();
    this.#prune(nowMs);
    const limit = this.#limit;
    let readyMs = Math.max(nowMs, this.#pausedUntilMs);
    if (limit !== undefined) {
      const count = this.#times.length - this.#head;
      // The window must drop to limit - 1 entries: wait until entry #(count - limit) leaves it.
      if (count >= limit)
        readyMs = Math.max(readyMs, (this.#times[this.#head + count - limit] as number) + this.windowMs);
    }
    return readyMs;
  }

  #record(): number {
    const nowMs = this.#clock.now();
    this.#times.push(nowMs);
    this.#acquired++;
    const inWindow = this.#times.length - this.#head;
    if (inWindow > this.#maxInWindow) this.#maxInWindow = inWindow;
    return nowMs;
  }

  /**
   * The request granted at `acquiredAtMs` (the value `acquire` resolved with) has its answer:
   * its entry moves to now. The server counted the request somewhere between grant and answer;
   * a busy event loop or a slow connection can delay the send by seconds, so counting from the
   * answer keeps every server-side window within the limit (measured: 4–11 requests over a
   * 20-per-window limit with 8 workers when counting from the grant).
   */
  complete(acquiredAtMs: number): void {
    const nowMs = this.#clock.now();
    if (nowMs <= acquiredAtMs) return;
    // Entries are sorted; drop the last one equal to the grant time (any equal one is the same).
    for (let i = this.#times.length - 1; i >= this.#head; i--) {
      const t = this.#times[i] as number;
      if (t === acquiredAtMs) {
        this.#times.splice(i, 1);
        break;
      }
      if (t < acquiredAtMs) break;
    }
    // Now is the latest time ever recorded, so the array stays sorted.
    this.#times.push(nowMs);
  }

  /** Serves every waiter that fits now, then arms one timer for the next. */
  #schedule(): void {
    this.#timer?.abort();
    this.#timer = undefined;
    for (;;) {
      const waiter = this.#waiters[0];
      if (waiter === undefined) return;
      const readyMs = this.#readyAtMs();
      const delayMs = readyMs - this.#clock.now();
      if (delayMs > 0) {
        const timer = new AbortController();
        this.#timer = timer;
        this.#clock.sleep(delayMs, timer.signal).then(
          () => {
            if (this.#timer === timer) {
              this.#timer = undefined;
              this.#schedule();
            }
          },
          () => {},
        );
        return;
      }
      this.#waiters.shift();
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#record());
    }
  }
}
