/**
 * Intake paused while the store is unreachable (see `storage/store-availability.ts`): a job
 * starts only once the store answers, so no provider quota is spent on rows that cannot be
 * stored, and the store's outage changes become pipeline events (`store:waiting`,
 * `store:recovered`, `store:unavailable`).
 */
import { toErrorData, toIngestError, type ErrorData } from '../errors.js';
import type { RequestGate } from '../limits/request-gate.js';
import type { Store } from '../storage/store.js';
import type { PipelineEvent } from './events.js';

/** Turns the store's availability changes into events; returns the unsubscribe function. */
export function watchStoreAvailability(store: Store, emit: (e: PipelineEvent) => void): () => void {
  if (store.availability === undefined) return () => undefined;
  return store.availability.onChange((c) => {
    if (c.state === 'waiting')
      emit({ type: 'store:waiting', store: c.store, budgetMs: c.budgetMs, reason: c.reason });
    else if (c.state === 'recovered') emit({ type: 'store:recovered', store: c.store, downMs: c.downMs });
    else emit({ type: 'store:unavailable', store: c.store, downMs: c.downMs, reason: c.reason });
  });
}

/**
 * Waits until the store answers before a job starts. Resolves `undefined` to go ahead, or the
 * error to fail the job's units with (the store stayed away past its outage budget). Rejects
 * only when `signal` aborts.
 */
export async function waitForStore(store: Store, signal: AbortSignal): Promise<ErrorData | undefined> {
  if (store.availability === undefined) return undefined;
  try {
    await store.availability.whenAvailable({ signal });
    return undefined;
  } catch (e) {
    const error = toIngestError(e);
    if (error.code === 'ABORTED' || signal.aborted) throw e;
    return toErrorData(error);
  }
}

/**
 * The gate, held while the store is unreachable: a job that was already running when the store
 * went away (or that waited in a rate-limit window meanwhile) sends no further provider request
 * until the store answers, so no quota is spent on rows that cannot be stored. A slot granted
 * during the outage stays counted in its window, which only errs on the safe side. Past the
 * store's outage budget `acquire` rejects with the store's error, failing that request.
 */
export function holdGateWhileStoreDown<G extends RequestGate>(gate: G, store: Store): G {
  const availability = store.availability;
  if (availability === undefined) return gate;
  return {
    ...gate,
    async acquire(params) {
      await availability.whenAvailable({ signal: params.signal });
      const slot = await gate.acquire(params);
      try {
        await availability.whenAvailable({ signal: params.signal });
      } catch (e) {
        slot.done?.();
        throw e;
      }
      return slot;
    },
  };
}
