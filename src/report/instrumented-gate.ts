/**
 * A {@link RequestGate} decorator that measures every outgoing provider request: how long it
 * waited for its rate-limit slot and how long the provider took to answer. Providers call
 * `acquire()` before and `done()` after each request, so wrapping the gate they receive sees
 * every request of every provider (simulated included) without touching provider code.
 */
import type { PipelineEvent } from '../pipeline/events.js';
import type { RequestGate } from '../limits/request-gate.js';

/** Wraps `gate`; `emit` receives one `provider:request` event per finished request. */
export function instrumentGate(
  gate: RequestGate,
  emit: (event: Extract<PipelineEvent, { type: 'provider:request' }>) => void,
  now: () => number = Date.now,
): RequestGate {
  return {
    async acquire(params) {
      const asked = now();
      const slot = await gate.acquire(params);
      const granted = now();
      let reported = false;
      return {
        keyIndex: slot.keyIndex,
        done() {
          slot.done?.();
          if (reported) return;
          reported = true;
          emit({
            type: 'provider:request',
            provider: params.provider,
            endpoint: params.endpoint,
            keyIndex: slot.keyIndex,
            waitMs: granted - asked,
            latencyMs: now() - granted,
          });
        },
      };
    },
    onRateLimited: (feedback) => gate.onRateLimited(feedback),
    disableKey: (params) => gate.disableKey(params),
  };
}
