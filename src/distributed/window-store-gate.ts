/**
 * A {@link RequestGate} over a {@link WindowStore}: what a distributed worker paces its provider
 * calls with. Every decision (may this call go now?) is the store's, atomically, so any number of
 * processes using the same store never exceed a limit together; this gate only picks the key,
 * sleeps until the store's `retryAtMs`, and forwards rate-limit feedback.
 *
 * - Store failures (Redis unreachable and the command failed instead of waiting) are retried
 *   after a short wait: no provider call is made without a granted reservation.
 * - With several keys, each attempt tries the keys in turn, starting with the one after the key
 *   last granted, and sleeps until the earliest `retryAtMs` when none is free.
 */
import { IngestError, throwIfAborted, toIngestError } from '../errors.js';
import type { Clock } from '../limits/clock.js';
import type { AcquiredSlot, AcquireParams, RateLimitFeedback, RequestGate } from '../limits/request-gate.js';
import type { WindowKey, WindowStore } from '../limits/window-store.js';

/** Options of {@link createWindowStoreGate}. */
export interface WindowStoreGateOptions {
  store: WindowStore;
  /** Sleeps (abort-aware). */
  clock: Clock;
  /** Configured requests per window for (provider, endpoint); `undefined` = unlimited. */
  limitFor(provider: string, endpoint: string): number | undefined;
  /** Window length, ms. */
  windowMs: number;
  /** Store errors (logged by the caller); the gate retries regardless. Must not throw. */
  onStoreError?(error: unknown): void;
  /** Longest single sleep, ms, so a shortened pause elsewhere is noticed (default 5 000). */
  maxSleepMs?: number;
  /** Wait after a failed store call, ms (default 500). */
  storeRetryMs?: number;
}

/** Creates the gate. */
export function createWindowStoreGate(options: WindowStoreGateOptions): RequestGate {
  const { store, clock, windowMs } = options;
  const maxSleepMs = options.maxSleepMs ?? 5_000;
  const storeRetryMs = options.storeRetryMs ?? 500;
  const nextKey = new Map<string, number>();
  const background = (p: Promise<unknown>): void => {
    p.catch((e: unknown) => {
      options.onStoreError?.(e);
    });
  };

  /** Retries a store operation until it succeeds (or the signal fires). */
  async function withStore<T>(op: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (;;) {
      throwIfAborted(signal);
      try {
        return await op();
      } catch (e) {
        const err = toIngestError(e);
        if (err.code === 'ABORTED' || signal.aborted) throw err;
        options.onStoreError?.(e);
        await clock.sleep(storeRetryMs, signal);
      }
    }
  }

  return {
    async acquire(params: AcquireParams): Promise<AcquiredSlot> {
      const { provider, endpoint, signal } = params;
      const keyCount = params.keyCount ?? 1;
      if (!(Number.isInteger(keyCount) && keyCount >= 1))
        throw new RangeError(`keyCount must be an integer >= 1, got ${keyCount}`);
      const limit = options.limitFor(provider, endpoint);
      const pair = `${provider}|${endpoint}`;
      for (;;) {
        throwIfAborted(signal);
        const start = nextKey.get(pair) ?? 0;
        let earliest = Infinity;
        const disabled: string[] = [];
        for (let i = 0; i < keyCount; i++) {
          const keyIndex = (start + i) % keyCount;
          const key: WindowKey = { provider, endpoint, keyIndex };
          const r = await withStore(() => store.tryReserve({ key, limit, windowMs, signal }), signal);
          if (r.granted) {
            nextKey.set(pair, (keyIndex + 1) % keyCount);
            let done = false;
            return {
              keyIndex,
              done: () => {
                if (done) return;
                done = true;
                background(store.restamp({ key, slotId: r.slotId, windowMs }));
              },
            };
          }
          if (r.disabledReason !== undefined) disabled.push(`key ${keyIndex}: ${r.disabledReason}`);
          else earliest = Math.min(earliest, r.retryAtMs);
        }
        if (disabled.length === keyCount) {
          const what =
            keyCount === 1 ? `the API key of ${provider} is` : `all ${keyCount} API keys of ${provider} are`;
          throw new IngestError(
            'PROVIDER_AUTH',
            `${what} disabled for "${endpoint}": ${disabled.join('; ')}. Fix or replace the token(s) in the config.`,
            { retryable: false, context: { provider, endpoint, keyCount } },
          );
        }
        const nowMs = await withStore(() => store.now(), signal);
        const waitMs = Math.min(maxSleepMs, Math.max(1, earliest - nowMs));
        await clock.sleep(waitMs, signal);
      }
    },

    onRateLimited(feedback: RateLimitFeedback): void {
      const key: WindowKey = {
        provider: feedback.provider,
        endpoint: feedback.endpoint,
        keyIndex: feedback.keyIndex ?? 0,
      };
      const stated = feedback.statedLimitPerMinute;
      if (stated !== undefined && Number.isInteger(stated) && stated >= 1) {
        background(
          store.learnLimit({ provider: feedback.provider, endpoint: feedback.endpoint, limit: stated }),
        );
      }
      background(
        store.pause({
          key,
          windowMs,
          ...(feedback.retryAfterMs !== undefined && feedback.retryAfterMs >= 0
            ? { forMs: feedback.retryAfterMs }
            : {}),
        }),
      );
    },

    disableKey(params: { provider: string; keyIndex: number; reason: string; endpoint?: string }): void {
      // Keys are disabled for the whole provider (the store has no per-endpoint scope).
      background(
        store.disableKey({ provider: params.provider, keyIndex: params.keyIndex, reason: params.reason }),
      );
    },
  };
}
