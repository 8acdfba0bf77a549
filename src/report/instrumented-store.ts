/**
 * A {@link Store} decorator that times every `write` (rows of a job) for the
 * `tickpipe_store_write_duration_seconds` metric. Everything else passes through unchanged (a
 * Proxy, so methods a store gains later pass through too).
 */
import type { Store } from '../storage/store.js';

/** Wraps `store`; `observe` receives each write's duration and whether it succeeded. */
export function instrumentStore(
  store: Store,
  observe: (params: { store: string; durationMs: number; ok: boolean; error?: unknown }) => void,
  now: () => number = Date.now,
): Store {
  const write: Store['write'] = async (params) => {
    const started = now();
    try {
      await store.write(params);
      observe({ store: store.kind, durationMs: now() - started, ok: true });
    } catch (e) {
      observe({ store: store.kind, durationMs: now() - started, ok: false, error: e });
      throw e;
    }
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'write') return write;
      // The target as receiver: getters that read private fields (`#x`) fail on the proxy itself.
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
