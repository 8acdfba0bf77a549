import { IngestError, throwIfAborted } from '../errors.js';
import type { AcquiredSlot, AcquireParams, RateLimitFeedback, RequestGate } from './request-gate.js';
import type { Clock } from './clock.js';
import { SlidingWindowLimiter, type SlidingWindowLimiterStats } from './sliding-window-limiter.js';

/** What the gate tells reporters. */
export type GateEvent =
  | {
      /** A request must wait longer than `waitingEventMinMs` for its limiter. */
      type: 'rate-limit:waiting';
      provider: string;
      endpoint: string;
      keyIndex: number;
      /** Estimated wait, ms. */
      waitMs: number;
    }
  | {
      /** A provider stated a lower limit than configured; it now applies (and is persisted by the caller). */
      type: 'rate-limit:learned';
      provider: string;
      endpoint: string;
      /** New requests per window. */
      limit: number;
    };

/** Counters of one (provider, endpoint, key) limiter. */
export interface GateLimiterStats extends SlidingWindowLimiterStats {
  provider: string;
  endpoint: string;
  keyIndex: number;
}

/** Counters of every limiter the gate created, sorted by provider, endpoint, key. */
export interface GateStats {
  limiters: GateLimiterStats[];
}

/** Options of {@link createRateLimitGate}. */
export interface RateLimitGateOptions {
  /** Time source. */
  clock: Clock;
  /**
   * Requests per window per API key for (provider, endpoint), from config (`per_api` override,
   * else the provider-level `requests_per_minute`); `undefined` = unlimited. Read once, when the
   * limiter for that pair is first needed.
   */
  limitFor(provider: string, endpoint: string): number | undefined;
  /**
   * Limits learned in a previous run, keyed `${provider}|${endpoint}`. A learned limit applies
   * when it is lower than the configured one.
   */
  learnedLimits?: Record<string, number>;
  /** Receives {@link GateEvent}s (reporters show them). Must not throw. */
  onEvent?(event: GateEvent): void;
  /** Window length, ms. Default 60 000 (limits are per minute); tests may shorten it. */
  windowMs?: number;
  /** Shortest estimated wait that emits `rate-limit:waiting`, ms. Default 1 000. */
  waitingEventMinMs?: number;
}

/** The gate plus what the pipeline persists and benches measure. */
export interface RateLimitGate extends RequestGate {
  /** Learned limits (loaded ones plus those learned in this run), keyed `${provider}|${endpoint}`. */
  learnedLimits(): Record<string, number>;
  /** Per-limiter counters. */
  stats(): GateStats;
}

interface LimiterEntry {
  provider: string;
  endpoint: string;
  keyIndex: number;
  limiter: SlidingWindowLimiter;
  /** Fires when this key is disabled, so its waiters move to another key. */
  disabled: AbortController;
}

const pairKey = (provider: string, endpoint: string): string => `${provider}|${endpoint}`;

const minLimit = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/**
 * Creates the run's {@link RequestGate}: one exact sliding-window limiter per
 * (provider, endpoint, API key), created lazily. With several keys, each request goes to the
 * enabled key whose window frees soonest. A rate-limit answer pauses the whole limiter (everyone
 * using that key and endpoint waits), and a provider-stated lower limit replaces the configured
 * one for all keys of that endpoint and is reported by {@link RateLimitGate.learnedLimits}.
 */
export function createRateLimitGate(options: RateLimitGateOptions): RateLimitGate {
  const { clock } = options;
  const windowMs = options.windowMs ?? 60_000;
  const waitingEventMinMs = options.waitingEventMinMs ?? 1_000;
  const learned = new Map<string, number>();
  for (const [key, limit] of Object.entries(options.learnedLimits ?? {})) {
    if (!(Number.isInteger(limit) && limit >= 1)) {
      throw new RangeError(`learnedLimits["${key}"] must be an integer >= 1, got ${limit}`);
    }
    learned.set(key, limit);
  }
  const entries = new Map<string, LimiterEntry>();
  /** provider → keyIndex → reason, for keys disabled on every endpoint. */
  const disabledForProvider = new Map<string, Map<number, string>>();
  /** `${provider}|${endpoint}` → keyIndex → reason, for keys disabled on one endpoint. */
  const disabledForEndpoint = new Map<string, Map<number, string>>();

  const emit = (event: GateEvent): void => options.onEvent?.(event);

  const disabledReason = (provider: string, endpoint: string, keyIndex: number): string | undefined =>
    disabledForProvider.get(provider)?.get(keyIndex) ??
    disabledForEndpoint.get(pairKey(provider, endpoint))?.get(keyIndex);

  const entryFor = (provider: string, endpoint: string, keyIndex: number): LimiterEntry => {
    const id = `${provider}|${endpoint}|${keyIndex}`;
    let entry = entries.get(id);
    if (entry === undefined) {
      const configured = options.limitFor(provider, endpoint);
      entry = {
        provider,
        endpoint,
        keyIndex,
        limiter: new SlidingWindowLimiter({
          limit: minLimit(configured, learned.get(pairKey(provider, endpoint))),
          windowMs,
          clock,
        }),
        disabled: new AbortController(),
      };
      if (disabledReason(provider, endpoint, keyIndex) !== undefined) entry.disabled.abort();
      entries.set(id, entry);
    }
    return entry;
  };

  const allDisabledError = (provider: string, endpoint: string, keyCount: number): IngestError => {
    const reasons: string[] = [];
    for (let k = 0; k < keyCount; k++)
      reasons.push(`key ${k}: ${disabledReason(provider, endpoint, k) ?? '?'}`);
    const what =
      keyCount === 1 ? `the API key of ${provider} is` : `all ${keyCount} API keys of ${provider} are`;
    return new IngestError(
      'PROVIDER_AUTH',
      `${what} disabled for "${endpoint}": ${reasons.join('; ')}. Fix or replace the token(s) in the config.`,
      { retryable: false, context: { provider, endpoint, keyCount } },
    );
  };

  return {
    async acquire(params: AcquireParams): Promise<AcquiredSlot> {
      const { provider, endpoint, signal } = params;
      const keyCount = params.keyCount ?? 1;
      if (!(Number.isInteger(keyCount) && keyCount >= 1)) {
        throw new RangeError(`keyCount must be an integer >= 1, got ${keyCount}`);
      }
      for (;;) {
        throwIfAborted(signal);
        let best: LimiterEntry | undefined;
        let bestReadyMs = Infinity;
        let bestAcquired = Infinity;
        for (let k = 0; k < keyCount; k++) {
          if (disabledReason(provider, endpoint, k) !== undefined) continue;
          const entry = entryFor(provider, endpoint, k);
          const readyMs = entry.limiter.estimateReadyAtMs();
          const acquired = entry.limiter.stats().acquired;
          // Ties (several keys free now) go to the least used key: round-robin under light load.
          if (readyMs < bestReadyMs || (readyMs === bestReadyMs && acquired < bestAcquired)) {
            best = entry;
            bestReadyMs = readyMs;
            bestAcquired = acquired;
          }
        }
        if (best === undefined) throw allDisabledError(provider, endpoint, keyCount);
        const waitMs = bestReadyMs - clock.now();
        if (waitMs > waitingEventMinMs) {
          emit({ type: 'rate-limit:waiting', provider, endpoint, keyIndex: best.keyIndex, waitMs });
        }
        try {
          // A slot free now is granted synchronously, so the key cannot be disabled meanwhile.
          const limiter = best.limiter;
          const grantedAtMs = await limiter.acquire(
            waitMs > 0 ? AbortSignal.any([signal, best.disabled.signal]) : signal,
          );
          let completed = false;
          return {
            keyIndex: best.keyIndex,
            done: () => {
              if (completed) return;
              completed = true;
              limiter.complete(grantedAtMs);
            },
          };
        } catch (error) {
          // The key was disabled while we waited: pick another one (or fail if none is left).
          if (!signal.aborted && best.disabled.signal.aborted) continue;
          throw error;
        }
      }
    },

    onRateLimited(feedback: RateLimitFeedback): void {
      const { provider, endpoint } = feedback;
      const entry = entryFor(provider, endpoint, feedback.keyIndex ?? 0);
      const nowMs = clock.now();
      const stated = feedback.statedLimitPerMinute;
      if (stated !== undefined && Number.isInteger(stated) && stated >= 1) {
        const current = entry.limiter.limit;
        if (current === undefined || stated < current) {
          learned.set(pairKey(provider, endpoint), stated);
          for (const other of entries.values()) {
            if (other.provider === provider && other.endpoint === endpoint) {
              const otherLimit = other.limiter.limit;
              if (otherLimit === undefined || stated < otherLimit) other.limiter.setLimit(stated);
            }
          }
          emit({ type: 'rate-limit:learned', provider, endpoint, limit: stated });
        }
      }
      const untilMs =
        feedback.retryAfterMs !== undefined && feedback.retryAfterMs >= 0
          ? nowMs + feedback.retryAfterMs
          : (entry.limiter.oldestExpiresAtMs() ?? nowMs + windowMs);
      entry.limiter.pauseUntil(untilMs);
    },

    disableKey(params: { provider: string; keyIndex: number; reason: string; endpoint?: string }): void {
      const { provider, keyIndex, reason, endpoint } = params;
      const scopeKey = endpoint === undefined ? provider : pairKey(provider, endpoint);
      const scope = endpoint === undefined ? disabledForProvider : disabledForEndpoint;
      let reasons = scope.get(scopeKey);
      if (reasons === undefined) {
        reasons = new Map();
        scope.set(scopeKey, reasons);
      }
      if (!reasons.has(keyIndex)) reasons.set(keyIndex, reason);
      for (const entry of entries.values()) {
        if (
          entry.provider === provider &&
          entry.keyIndex === keyIndex &&
          (endpoint === undefined || entry.endpoint === endpoint)
        ) {
          entry.disabled.abort();
        }
      }
    },

    learnedLimits: () => Object.fromEntries(learned),

    stats: () => ({
      limiters: [...entries.values()]
        .map((e) => ({
          provider: e.provider,
          endpoint: e.endpoint,
          keyIndex: e.keyIndex,
          ...e.limiter.stats(),
        }))
        .sort(
          (a, b) =>
            a.provider.localeCompare(b.provider) ||
            a.endpoint.localeCompare(b.endpoint) ||
            a.keyIndex - b.keyIndex,
        ),
    }),
  };
}
