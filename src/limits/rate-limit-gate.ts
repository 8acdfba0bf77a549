import { IngestError, throwIfAborted } from '../errors.js';
import type { AcquiredSlot, AcquireParams, RateLimitFeedback, RequestGate } from './request-gate.js';
import type { Clock } from './clock.js';
import { MemoryWindowStore } from './memory-window-store.js';
import type { WindowKey, WindowStore } from './window-store.js';

/** What the gate tells reporters. */
export type GateEvent =
  | {
      /** A request must wait longer than `waitingEventMinMs` for its window. */
      type: 'rate-limit:waiting';
      provider: string;
      endpoint: string;
      keyIndex: number;
      /** Expected wait, ms. */
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

/** Counters of one (provider, endpoint, key) as this process saw them. */
export interface GateLimiterStats {
  provider: string;
  endpoint: string;
  keyIndex: number;
  /** Requests this gate granted on the key. */
  acquired: number;
  /** Limit per window in force (configured, or a lower learned one); `undefined` = unlimited. */
  limit: number | undefined;
  /** Most grants of this gate inside one window of the key. */
  maxInWindow: number;
  /** Callers of this provider and endpoint waiting right now. */
  waiting: number;
}

/** Counters of every key the gate used, sorted by provider, endpoint, key. */
export interface GateStats {
  limiters: GateLimiterStats[];
}

/** Options of {@link createRateLimitGate}. */
export interface RateLimitGateOptions {
  /** Time source for waiting (sleeps are abort-aware). */
  clock: Clock;
  /**
   * Where the windows live (default: a `MemoryWindowStore` on `clock`). A shared store (Redis)
   * makes several processes share one quota; its clock then decides every time.
   */
  store?: WindowStore;
  /**
   * Requests per window per API key for (provider, endpoint), from config (`per_api` override,
   * else the provider-level `requests_per_minute`); `undefined` = unlimited.
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
  /** Shortest expected wait that emits `rate-limit:waiting`, ms. Default 1 000. */
  waitingEventMinMs?: number;
}

/** The gate plus what the pipeline persists and benches measure. */
export interface RateLimitGate extends RequestGate {
  /**
   * Learned limits (loaded ones, those learned here and those the store learned from other
   * processes), keyed `${provider}|${endpoint}`.
   */
  learnedLimits(): Promise<Record<string, number>>;
  /** Per-key counters of this gate. */
  stats(): GateStats;
}

interface KeyStats {
  provider: string;
  endpoint: string;
  keyIndex: number;
  acquired: number;
  /** Grant times (store clock) inside the last window, oldest first. */
  recent: number[];
  maxInWindow: number;
}

/** Callers of one (provider, endpoint), served one at a time in arrival order. */
interface PairQueue {
  tail: Promise<void>;
  waiting: number;
}

const pairKey = (provider: string, endpoint: string): string => `${provider}|${endpoint}`;

const minLimit = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/** Resolves when `promise` does, or rejects with `ABORTED` when `signal` fires first. */
function untilOrAbort(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(new IngestError('ABORTED', 'aborted', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * Creates the run's {@link RequestGate} over a {@link WindowStore}: one exact sliding window per
 * (provider, endpoint, API key). Callers of one (provider, endpoint) are served first-in
 * first-out; the caller at the head asks the store for a slot on each enabled key (least used
 * first, so keys take turns under light load) and, when every window is full, sleeps until the
 * earliest time the store named. A rate-limit answer pauses the key's window for everyone
 * sharing the store; a provider-stated lower limit applies to every key of that endpoint and is
 * reported by {@link RateLimitGate.learnedLimits}. A disabled key is refused by the store on every
 * endpoint of its provider (docs/ARCHITECTURE.md, "Rejected tokens").
 */
export function createRateLimitGate(options: RateLimitGateOptions): RateLimitGate {
  const { clock } = options;
  const store = options.store ?? new MemoryWindowStore({ clock });
  const windowMs = options.windowMs ?? 60_000;
  const waitingEventMinMs = options.waitingEventMinMs ?? 1_000;
  const learned = new Map<string, number>();
  for (const [key, limit] of Object.entries(options.learnedLimits ?? {})) {
    if (!(Number.isInteger(limit) && limit >= 1)) {
      throw new RangeError(`learnedLimits["${key}"] must be an integer >= 1, got ${limit}`);
    }
    learned.set(key, limit);
  }
  const keyStats = new Map<string, KeyStats>();
  const queues = new Map<string, PairQueue>();
  /** Fired (and replaced) when a key of the provider is disabled here: waiters look again. */
  const wakeByProvider = new Map<string, AbortController>();
  let loadedPushed: Promise<void> | undefined;

  const emit = (event: GateEvent): void => options.onEvent?.(event);

  /** Shares limits learned by earlier runs with every process using the store (once). */
  const pushLoaded = (): Promise<void> =>
    (loadedPushed ??= (async () => {
      for (const [id, limit] of learned) {
        const sep = id.indexOf('|');
        await store.learnLimit({ provider: id.slice(0, sep), endpoint: id.slice(sep + 1), limit });
      }
    })());

  const limitOf = (provider: string, endpoint: string): number | undefined =>
    minLimit(options.limitFor(provider, endpoint), learned.get(pairKey(provider, endpoint)));

  const statsFor = (provider: string, endpoint: string, keyIndex: number): KeyStats => {
    const id = `${provider}|${endpoint}|${keyIndex}`;
    let s = keyStats.get(id);
    if (s === undefined) {
      s = { provider, endpoint, keyIndex, acquired: 0, recent: [], maxInWindow: 0 };
      keyStats.set(id, s);
    }
    return s;
  };

  const wakeSignal = (provider: string): AbortSignal => {
    let c = wakeByProvider.get(provider);
    if (c === undefined) wakeByProvider.set(provider, (c = new AbortController()));
    return c.signal;
  };

  const allDisabledError = (
    provider: string,
    endpoint: string,
    reasons: ReadonlyMap<number, string>,
    keyCount: number,
  ): IngestError => {
    const parts: string[] = [];
    for (let k = 0; k < keyCount; k++) parts.push(`key ${k}: ${reasons.get(k) ?? '?'}`);
    const what =
      keyCount === 1 ? `the API key of ${provider} is` : `all ${keyCount} API keys of ${provider} are`;
    return new IngestError(
      'PROVIDER_AUTH',
      `${what} disabled: ${parts.join('; ')}. Fix or replace the token(s) in the config.`,
      { retryable: false, context: { provider, endpoint, keyCount } },
    );
  };

  /** The head of the queue: tries every key, sleeps until the earliest refusal ends, repeats. */
  const reserve = async (
    provider: string,
    endpoint: string,
    keyCount: number,
    signal: AbortSignal,
  ): Promise<AcquiredSlot> => {
    const stats = Array.from({ length: keyCount }, (_, k) => statsFor(provider, endpoint, k));
    let announcedUntilMs = -Infinity;
    for (;;) {
      throwIfAborted(signal);
      const wake = wakeSignal(provider);
      const limit = limitOf(provider, endpoint);
      // Least used first (ties: lower index): keys take turns while several have room.
      const order = [...stats].sort((a, b) => a.acquired - b.acquired || a.keyIndex - b.keyIndex);
      const disabled = new Map<number, string>();
      let soonest: { atMs: number; keyIndex: number } | undefined;
      for (const s of order) {
        const key: WindowKey = { provider, endpoint, keyIndex: s.keyIndex };
        const r = await store.tryReserve({ key, limit, windowMs, signal });
        if (r.granted) {
          s.acquired++;
          const cutoff = r.atMs - windowMs;
          while (s.recent.length > 0 && (s.recent[0] as number) <= cutoff) s.recent.shift();
          s.recent.push(r.atMs);
          s.maxInWindow = Math.max(s.maxInWindow, s.recent.length);
          let restamped = false;
          return {
            keyIndex: s.keyIndex,
            done: () => {
              if (restamped) return;
              restamped = true;
              // A lost restamp only makes the window count the request from its grant.
              store.restamp({ key, slotId: r.slotId, windowMs }).catch(() => {});
            },
          };
        }
        if (r.disabledReason !== undefined) disabled.set(s.keyIndex, r.disabledReason);
        else if (soonest === undefined || r.retryAtMs < soonest.atMs)
          soonest = { atMs: r.retryAtMs, keyIndex: s.keyIndex };
      }
      if (soonest === undefined) throw allDisabledError(provider, endpoint, disabled, keyCount);
      const waitMs = soonest.atMs - (await store.now());
      if (waitMs > waitingEventMinMs && soonest.atMs > announcedUntilMs) {
        announcedUntilMs = soonest.atMs;
        emit({ type: 'rate-limit:waiting', provider, endpoint, keyIndex: soonest.keyIndex, waitMs });
      }
      try {
        await clock.sleep(waitMs, AbortSignal.any([signal, wake]));
      } catch (error) {
        // A key was disabled meanwhile: look again (another key, or fail when none is left).
        if (signal.aborted || !wake.aborted) throw error;
      }
    }
  };

  return {
    async acquire(params: AcquireParams): Promise<AcquiredSlot> {
      const { provider, endpoint, signal } = params;
      const keyCount = params.keyCount ?? 1;
      if (!(Number.isInteger(keyCount) && keyCount >= 1)) {
        throw new RangeError(`keyCount must be an integer >= 1, got ${keyCount}`);
      }
      throwIfAborted(signal);
      const id = pairKey(provider, endpoint);
      let queue = queues.get(id);
      if (queue === undefined) queues.set(id, (queue = { tail: Promise.resolve(), waiting: 0 }));
      const previous = queue.tail;
      let release!: () => void;
      queue.tail = new Promise<void>((resolve) => (release = resolve));
      queue.waiting++;
      try {
        await pushLoaded();
        await untilOrAbort(previous, signal);
        return await reserve(provider, endpoint, keyCount, signal);
      } finally {
        queue.waiting--;
        // Hand over in arrival order, also when this caller gave up before its turn.
        void previous.then(release);
      }
    },

    async onRateLimited(feedback: RateLimitFeedback): Promise<void> {
      const { provider, endpoint } = feedback;
      const stated = feedback.statedLimitPerMinute;
      if (stated !== undefined && Number.isInteger(stated) && stated >= 1) {
        // Decided before any await, so concurrent answers stating the same limit report it once.
        const current = limitOf(provider, endpoint);
        if (current === undefined || stated < current) {
          learned.set(pairKey(provider, endpoint), stated);
          emit({ type: 'rate-limit:learned', provider, endpoint, limit: stated });
        }
        await pushLoaded();
        await store.learnLimit({ provider, endpoint, limit: stated });
      }
      const forMs =
        feedback.retryAfterMs !== undefined && feedback.retryAfterMs >= 0 ? feedback.retryAfterMs : undefined;
      await store.pause({
        key: { provider, endpoint, keyIndex: feedback.keyIndex ?? 0 },
        ...(forMs === undefined ? {} : { forMs }),
        windowMs,
      });
    },

    async disableKey(params: { provider: string; keyIndex: number; reason: string }): Promise<void> {
      await store.disableKey(params);
      const wake = wakeByProvider.get(params.provider);
      wakeByProvider.delete(params.provider);
      wake?.abort();
    },

    async learnedLimits(): Promise<Record<string, number>> {
      const shared = await store.learnedLimits();
      const merged = new Map(learned);
      for (const [id, limit] of Object.entries(shared))
        merged.set(id, Math.min(limit, merged.get(id) ?? limit));
      return Object.fromEntries(merged);
    },

    stats: () => ({
      limiters: [...keyStats.values()]
        .map((s) => ({
          provider: s.provider,
          endpoint: s.endpoint,
          keyIndex: s.keyIndex,
          acquired: s.acquired,
          limit: limitOf(s.provider, s.endpoint),
          maxInWindow: s.maxInWindow,
          waiting: queues.get(pairKey(s.provider, s.endpoint))?.waiting ?? 0,
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
