import { throwIfAborted } from '../errors.js';

/**
 * The rate-limit gate that providers call before every outgoing request. It is owned by the
 * pipeline (one per run, shared by all workers) and keyed by (provider, endpoint, API key); its
 * window state lives in a `WindowStore` (window-store.ts), in memory or shared through Redis.
 * Providers never sleep on their own; they wait here.
 */

/** Parameters of {@link RequestGate.acquire}. */
export interface AcquireParams {
  provider: string;
  /** Endpoint / interface name (`stk_mins`, `chart`, `generate`). */
  endpoint: string;
  /** Number of API keys the provider can choose from (default 1). The gate picks one with budget. */
  keyCount?: number;
  signal: AbortSignal;
}

/** A granted request slot. */
export interface AcquiredSlot {
  /** The API key to use. */
  keyIndex: number;
  /**
   * Call once the answer (or the failure) of the request arrived: the slot then counts from
   * that moment, since the server may have seen the request any time up to it. Idempotent.
   */
  done?(): void;
}

/** Rate-limit feedback from a provider answer. */
export interface RateLimitFeedback {
  provider: string;
  endpoint: string;
  keyIndex?: number;
  /** Wait the provider asked for, ms. */
  retryAfterMs?: number;
  /** A per-minute limit the provider stated (Tushare "每分钟最多访问该接口N次"). */
  statedLimitPerMinute?: number;
}

/** The gate. */
export interface RequestGate {
  /**
   * Resolves when one request may be sent without exceeding any limit, reserving it.
   * Returns the index of the API key to use. Rejects with `ABORTED` when the signal fires, and
   * with `PROVIDER_AUTH` when every key of the provider has been disabled.
   */
  acquire(params: AcquireParams): Promise<AcquiredSlot>;
  /** A provider answered "rate limited": pause the key's window for everyone sharing it. */
  onRateLimited(feedback: RateLimitFeedback): Promise<void>;
  /**
   * Stop handing out a key of a provider, on every endpoint (a rejected token, a used-up daily
   * quota), with the reason for messages. Waiters move to another key, or fail with
   * `PROVIDER_AUTH` once none is left.
   */
  disableKey(params: { provider: string; keyIndex: number; reason: string }): Promise<void>;
}

/** A gate with no limits (library use, tests that do not exercise pacing). */
export const unlimitedGate: RequestGate = {
  acquire: async (params) => {
    throwIfAborted(params.signal);
    return { keyIndex: 0 };
  },
  onRateLimited: async () => {},
  disableKey: async () => {},
};
