import { IngestError, throwIfAborted } from '../../errors.js';
import type { Clock } from '../../limits/clock.js';
import type { FailureClass } from '../../limits/retry-policy.js';

/** States of a {@link CircuitBreaker}. */
export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;

/** `closed`: requests flow; `open`: requests wait; `half-open`: one probe request decides. */
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Time source. */
  clock: Clock;
  /** Consecutive transient failures (`transient`, `bad_response`) that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the first opening lasts, ms; doubles on each reopening without a success in between. Default 30 000. */
  openMs?: number;
  /** Cap of the doubling open period, ms. Default 300 000. */
  maxOpenMs?: number;
  /** Called on every state change, with the end of the open period when opening (epoch ms). */
  onStateChange?(state: CircuitState, openUntilMs?: number): void;
}

/** Failure classes that say "the provider is unwell" and count towards opening. */
const COUNTED: ReadonlySet<FailureClass> = new Set<FailureClass>(['transient', 'bad_response']);
/** Failure classes that say nothing about the provider's health. */
const NEUTRAL: ReadonlySet<FailureClass> = new Set<FailureClass>(['aborted', 'internal']);

/**
 * A circuit breaker for one provider. After `failureThreshold` consecutive transient failures it
 * opens: {@link beforeRequest} then waits until the open period ends; next, exactly one probe
 * request goes through (half-open) while the others keep waiting; the probe's success closes the
 * circuit, its transient failure reopens it for twice as long (up to `maxOpenMs`).
 *
 * Any answer that is not a transient failure (not found, rate limited, bad request...) proves the
 * provider is reachable and counts as success for the breaker; aborts and internal errors count
 * for nothing.
 */
export class CircuitBreaker {
  readonly #clock: Clock;
  readonly #failureThreshold: number;
  readonly #openMs: number;
  readonly #maxOpenMs: number;
  readonly #onStateChange: CircuitBreakerOptions['onStateChange'];
  #state: CircuitState = 'closed';
  #consecutiveFailures = 0;
  /** Openings since the last close; sets the doubling. */
  #openings = 0;
  #openUntilMs = 0;
  #probeInFlight = false;
  /** Wakes callers waiting in half-open when the probe settles. */
  #probeWaiters: Array<() => void> = [];

  constructor(options: CircuitBreakerOptions) {
    this.#clock = options.clock;
    this.#failureThreshold = options.failureThreshold ?? 5;
    this.#openMs = options.openMs ?? 30_000;
    this.#maxOpenMs = options.maxOpenMs ?? 300_000;
    this.#onStateChange = options.onStateChange;
    if (!(Number.isInteger(this.#failureThreshold) && this.#failureThreshold >= 1)) {
      throw new RangeError(`failureThreshold must be an integer >= 1, got ${this.#failureThreshold}`);
    }
    if (!(this.#openMs > 0)) throw new RangeError(`openMs must be > 0, got ${this.#openMs}`);
    if (!(this.#maxOpenMs >= this.#openMs))
      throw new RangeError(`maxOpenMs must be >= openMs, got ${this.#maxOpenMs}`);
  }

  /** Current state. */
  get state(): CircuitState {
    return this.#state;
  }

  /** End of the current (or last) open period, epoch ms. */
  get openUntilMs(): number {
    return this.#openUntilMs;
  }

  /**
   * Resolves when a request may be sent: at once when closed; after the open period when open;
   * in half-open, at once for the single probe, and for everyone else when the probe has settled
   * (then they follow the new state). Rejects with `ABORTED` when `signal` fires.
   */
  async beforeRequest(signal: AbortSignal): Promise<void> {
    for (;;) {
      throwIfAborted(signal);
      if (this.#state === 'closed') return;
      if (this.#state === 'open') {
        const waitMs = this.#openUntilMs - this.#clock.now();
        if (waitMs > 0) {
          await this.#clock.sleep(waitMs, signal);
          continue;
        }
        this.#setState('half-open');
      }
      if (!this.#probeInFlight) {
        this.#probeInFlight = true;
        return;
      }
      await this.#waitForProbe(signal);
    }
  }

  /** Reports a successful request. */
  onSuccess(): void {
    this.#consecutiveFailures = 0;
    if (this.#state === 'half-open') {
      this.#openings = 0;
      this.#setState('closed');
    }
  }

  /** Reports a failed request by its class; only `transient` and `bad_response` count towards opening. */
  onFailure(failureClass: FailureClass): void {
    if (NEUTRAL.has(failureClass)) {
      // The probe told us nothing: let another caller probe.
      if (this.#state === 'half-open' && this.#probeInFlight) {
        this.#probeInFlight = false;
        this.#wakeProbeWaiters();
      }
      return;
    }
    if (!COUNTED.has(failureClass)) {
      this.onSuccess();
      return;
    }
    if (this.#state === 'open') return; // late answers of requests sent before opening
    this.#consecutiveFailures++;
    if (this.#state === 'half-open' || this.#consecutiveFailures >= this.#failureThreshold) this.#open();
  }

  #open(): void {
    this.#openings++;
    const openMs = Math.min(this.#maxOpenMs, this.#openMs * 2 ** (this.#openings - 1));
    this.#openUntilMs = this.#clock.now() + openMs;
    this.#setState('open');
  }

  #setState(state: CircuitState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#probeInFlight = false;
    if (state !== 'half-open') this.#wakeProbeWaiters();
    this.#onStateChange?.(state, state === 'open' ? this.#openUntilMs : undefined);
  }

  #wakeProbeWaiters(): void {
    const waiters = this.#probeWaiters;
    this.#probeWaiters = [];
    for (const wake of waiters) wake();
  }

  #waitForProbe(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#probeWaiters = this.#probeWaiters.filter((w) => w !== wake);
        reject(new IngestError('ABORTED', 'aborted', { cause: signal.reason }));
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#probeWaiters.push(wake);
    });
  }
}
