/**
 * A tiny, test-only sliding-window {@link RequestGate}: at most `limit` acquisitions per
 * (provider, endpoint, key) in any `windowMs + marginMs` span. The margin absorbs the delay
 * between acquiring and the request reaching the server, so the server's own window never sees
 * more than `limit`. The pipeline has its own, fuller gate; this one exists to prove the
 * Tushare provider calls the gate before every request.
 */
import { IngestError, throwIfAborted } from '../../../src/errors.js';
import type { AcquireParams, RateLimitFeedback, RequestGate } from '../../../src/limits/request-gate.js';

/** Options of {@link createSlidingWindowGate}. */
export interface SlidingWindowGateOptions {
  /** Requests per window per key. */
  limit: number;
  windowMs: number;
  /** Extra span each request occupies, ms (default 50). */
  marginMs?: number;
}

/** The gate plus what it observed. */
export interface SlidingWindowGate extends RequestGate {
  readonly acquired: { endpoint: string; keyIndex: number; atMs: number }[];
  readonly rateLimited: RateLimitFeedback[];
  readonly disabled: number[];
}

/** Builds the gate on the real clock (it is used only with real-HTTP emulator tests). */
export function createSlidingWindowGate(options: SlidingWindowGateOptions): SlidingWindowGate {
  const span = options.windowMs + (options.marginMs ?? 50);
  const history = new Map<string, number[]>();
  const acquired: SlidingWindowGate['acquired'] = [];
  const rateLimited: RateLimitFeedback[] = [];
  const disabled: number[] = [];

  const acquire = async (params: AcquireParams): Promise<{ keyIndex: number }> => {
    const keyCount = params.keyCount ?? 1;
    for (;;) {
      throwIfAborted(params.signal);
      const now = Date.now();
      let soonest = Infinity;
      for (let k = 0; k < keyCount; k++) {
        if (disabled.includes(k)) continue;
        const key = `${params.provider}|${params.endpoint}|${k}`;
        const times = (history.get(key) ?? []).filter((t) => t > now - span);
        history.set(key, times);
        if (times.length < options.limit) {
          times.push(now);
          acquired.push({ endpoint: params.endpoint, keyIndex: k, atMs: now });
          return { keyIndex: k };
        }
        soonest = Math.min(soonest, (times[0] as number) + span - now);
      }
      if (soonest === Infinity)
        throw new IngestError('PROVIDER_AUTH', `every ${params.provider} key is disabled`);
      await new Promise((r) => setTimeout(r, Math.max(1, soonest)));
    }
  };

  return {
    acquired,
    rateLimited,
    disabled,
    acquire,
    onRateLimited: async (f) => {
      rateLimited.push(f);
    },
    disableKey: async ({ keyIndex }) => {
      disabled.push(keyIndex);
    },
  };
}
