/**
 * Where rate-limit windows live: the state that every process sending requests with the same API
 * key must agree on. The gate (`rate-limit-gate.ts`) decides which key to use and how long to
 * wait; a `WindowStore` only answers "may one more request go now?" atomically and remembers
 * pauses, learned limits and disabled keys.
 *
 * Implementations: `MemoryWindowStore` (one process) and `RedisWindowStore`
 * (`src/distributed/`, many processes on many machines). One contract suite runs against both.
 *
 * Promises:
 * - **Never over the limit.** No half-open window `[t, t + windowMs)` of the store's clock ever
 *   holds more than `limit` entries of one key, however many callers reserve at once.
 * - **The store's clock.** Every time it takes or returns is its own clock (the Redis server's
 *   `TIME` for Redis), never the caller's, so processes with skewed clocks still agree. Callers
 *   turn `retryAtMs` into a wait with `retryAtMs - (await store.now())`.
 * - **Atomic.** `tryReserve` checks pause, disabled key, learned limit and window, and records the
 *   slot, as one step.
 * Leaves out: waiting (the gate sleeps, abort-aware), fairness between waiters, key choice.
 * Resources: the store owns its connections; `close()` releases them.
 */

/** One sliding window: a (provider, endpoint, API key) triple. */
export interface WindowKey {
  provider: string;
  /** Endpoint / interface name (`stk_mins`, `chart`, `generate`). */
  endpoint: string;
  /** Index of the API key in the provider's configured `tokens` (0 when it has one). */
  keyIndex: number;
}

/** Parameters of {@link WindowStore.tryReserve}. */
export interface ReserveParams {
  key: WindowKey;
  /**
   * Most requests in any window of `windowMs`, from config; `undefined` = unlimited. A learned
   * limit of (provider, endpoint) lower than this one applies instead.
   */
  limit: number | undefined;
  /** Window length, ms. */
  windowMs: number;
  signal?: AbortSignal;
}

/** The answer of {@link WindowStore.tryReserve}. */
export type ReserveResult =
  | {
      granted: true;
      /** Identifies the slot for {@link WindowStore.restamp}. Unique per store. */
      slotId: string;
      /** When the slot was recorded, store clock, epoch ms. */
      atMs: number;
    }
  | {
      granted: false;
      /** Earliest store time at which a reservation may succeed, epoch ms. */
      retryAtMs: number;
      /** Set when the key is disabled (then `retryAtMs` is `Infinity`). */
      disabledReason?: string;
    };

/** The window state port. Every method may reject with `ABORTED` when its signal fires. */
export interface WindowStore {
  /** Reserves one slot now when pause, disabled keys, learned limit and window allow it; never waits. */
  tryReserve(params: ReserveParams): Promise<ReserveResult>;
  /**
   * The request of `slotId` got its answer (or failed): its entry moves to the store's now, since
   * the server may have counted it any time up to the answer. Idempotent; unknown ids are ignored.
   */
  restamp(params: { key: WindowKey; slotId: string; windowMs: number }): Promise<void>;
  /**
   * A rate-limit answer: holds the key back for `forMs` (the provider's stated wait) or, when
   * undefined, until the oldest entry leaves the window. Never shortens an existing pause.
   * Resolves with the pause's end, store clock.
   */
  pause(params: { key: WindowKey; forMs?: number; windowMs: number }): Promise<number>;
  /**
   * A provider stated a per-window limit for (provider, endpoint) on every key. Keeps the lowest
   * ever stated; resolves true when this lowered it.
   */
  learnLimit(params: { provider: string; endpoint: string; limit: number }): Promise<boolean>;
  /** Learned limits, keyed `${provider}|${endpoint}`. */
  learnedLimits(): Promise<Record<string, number>>;
  /** Stops handing out a key of a provider on every endpoint (bad token, quota used up). */
  disableKey(params: { provider: string; keyIndex: number; reason: string }): Promise<void>;
  /** Disabled keys of a provider: keyIndex → reason. */
  disabledKeys(provider: string): Promise<Map<number, string>>;
  /** The store's clock, epoch ms. */
  now(): Promise<number>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
