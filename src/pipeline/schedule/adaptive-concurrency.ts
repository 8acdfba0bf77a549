import type { Clock } from '../../limits/clock.js';

/** Options of {@link AdaptiveConcurrency}. */
export interface AdaptiveConcurrencyOptions {
  /** Lowest limit (>= 1). */
  min: number;
  /** Highest limit (>= min). */
  max: number;
  /** Starting limit, clamped to [min, max]. Default 2. */
  initial?: number;
  /** Time source (cool-downs). */
  clock: Clock;
  /** Shortest time between two increases, ms. Default 0: one increase per healthy window. */
  increaseEveryMs?: number;
  /** After a decrease, no increase and no further decrease for this long, ms. Default 5 000. */
  cooldownMs?: number;
  /** Error share over a window above which the limit halves. Default 0.1. */
  maxErrorRate?: number;
  /** Window mean latency above this multiple of the baseline halves the limit. Default 2. */
  maxLatencyGrowth?: number;
  /** Double (instead of +1) per healthy window until the first decrease. Default true. */
  slowStart?: boolean;
}

/**
 * AIMD concurrency for `--workers auto`. Outcomes are judged in windows of `limit` requests:
 * a healthy window (error share <= `maxErrorRate`, mean latency <= `maxLatencyGrowth` × the
 * baseline) adds 1 — or, in slow start (until the first decrease), doubles the limit, so a run
 * reaches a large healthy worker count in a few windows instead of one window per worker
 * (additive-only growth reached 0.75× the best fixed count on the worker benchmark); an
 * unhealthy window halves the limit; a rate-limit answer halves it at once.
 * The baseline is an EWMA of the best latencies: it follows improvements fast and drifts up
 * only slowly, so queueing at the provider shows up as growth. After a decrease, a cool-down
 * holds the limit so that a burst of answers from requests already in flight halves it once.
 * The limit never leaves [min, max].
 */
export class AdaptiveConcurrency {
  readonly #min: number;
  readonly #max: number;
  readonly #clock: Clock;
  readonly #increaseEveryMs: number;
  readonly #cooldownMs: number;
  readonly #maxErrorRate: number;
  readonly #maxLatencyGrowth: number;
  #limit: number;
  #baselineMs: number | undefined;
  #windowSuccesses = 0;
  #windowErrors = 0;
  #windowLatencySumMs = 0;
  #lastIncreaseMs = -Infinity;
  #lastDecreaseMs = -Infinity;
  #slowStart: boolean;

  constructor(options: AdaptiveConcurrencyOptions) {
    const { min, max } = options;
    if (!(Number.isInteger(min) && min >= 1)) throw new RangeError(`min must be an integer >= 1, got ${min}`);
    if (!(Number.isInteger(max) && max >= min))
      throw new RangeError(`max must be an integer >= min (${min}), got ${max}`);
    this.#min = min;
    this.#max = max;
    this.#clock = options.clock;
    this.#increaseEveryMs = options.increaseEveryMs ?? 0;
    this.#cooldownMs = options.cooldownMs ?? 5_000;
    this.#maxErrorRate = options.maxErrorRate ?? 0.1;
    this.#maxLatencyGrowth = options.maxLatencyGrowth ?? 2;
    this.#limit = this.#clamp(Math.floor(options.initial ?? 2));
    this.#slowStart = options.slowStart ?? true;
  }

  /** Current limit: how many units may be in flight. */
  get limit(): number {
    return this.#limit;
  }

  /** A request succeeded after `latencyMs`. */
  onSuccess(latencyMs: number): void {
    const baseline = this.#baselineMs;
    if (baseline === undefined) this.#baselineMs = latencyMs;
    else if (latencyMs < baseline) this.#baselineMs = baseline + 0.5 * (latencyMs - baseline);
    else this.#baselineMs = baseline + 0.02 * (latencyMs - baseline);
    this.#windowSuccesses++;
    this.#windowLatencySumMs += latencyMs;
    this.#maybeEndWindow();
  }

  /** The provider answered "rate limited": halve at once (unless cooling down from a decrease). */
  onRateLimited(): void {
    this.#decrease();
  }

  /** A request failed (transiently). */
  onError(): void {
    this.#windowErrors++;
    this.#maybeEndWindow();
  }

  #clamp(n: number): number {
    return Math.min(this.#max, Math.max(this.#min, n));
  }

  #resetWindow(): void {
    this.#windowSuccesses = 0;
    this.#windowErrors = 0;
    this.#windowLatencySumMs = 0;
  }

  #maybeEndWindow(): void {
    const total = this.#windowSuccesses + this.#windowErrors;
    if (total < this.#limit) return;
    const errorRate = this.#windowErrors / total;
    const meanLatencyMs = this.#windowSuccesses > 0 ? this.#windowLatencySumMs / this.#windowSuccesses : 0;
    const baseline = this.#baselineMs;
    const latencyGrew =
      baseline !== undefined && baseline > 0 && meanLatencyMs > this.#maxLatencyGrowth * baseline;
    if (errorRate > this.#maxErrorRate || latencyGrew) {
      this.#decrease();
      return;
    }
    this.#resetWindow();
    const nowMs = this.#clock.now();
    if (nowMs - this.#lastDecreaseMs < this.#cooldownMs) return;
    if (nowMs - this.#lastIncreaseMs < this.#increaseEveryMs) return;
    if (this.#limit < this.#max) {
      this.#limit = this.#clamp(this.#slowStart ? this.#limit * 2 : this.#limit + 1);
      this.#lastIncreaseMs = nowMs;
    }
  }

  #decrease(): void {
    this.#resetWindow();
    const nowMs = this.#clock.now();
    if (nowMs - this.#lastDecreaseMs < this.#cooldownMs) return;
    this.#limit = this.#clamp(Math.floor(this.#limit * 0.5));
    this.#lastDecreaseMs = nowMs;
    this.#slowStart = false;
  }
}
