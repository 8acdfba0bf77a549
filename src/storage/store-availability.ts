/**
 * The store's availability signal: how a store that lives on a server (ClickHouse) tells the
 * pipeline that it cannot be reached, so that intake pauses instead of spending provider quota on
 * rows that cannot be stored. Optional on `Store` (embedded stores have no outages).
 *
 * Promises:
 * - While the store is reachable, `whenAvailable()` resolves at once.
 * - During an outage (no node answers), the store's own requests wait and retry until it is
 *   reachable again or the outage has lasted `budgetMs`; `whenAvailable()` waits alongside and
 *   resolves when the store answers again.
 * - Once an outage has outlasted its budget, requests fail fast with a retryable
 *   `STORAGE_FAILED`, and `whenAvailable()` probes once and rejects with that error when the
 *   store still does not answer.
 * - Listeners hear `waiting` once when an outage starts, then `recovered` or `gave-up`.
 * Leaves out: which node answers (a cluster store moves between nodes silently).
 */

/** A change of the store's availability. */
export type StoreAvailabilityChange =
  | {
      state: 'waiting';
      /** What is unreachable, for messages (`ClickHouse`, never credentials). */
      store: string;
      /** How long requests wait before units fail, ms. */
      budgetMs: number;
      /** The last failure, e.g. `connect ECONNREFUSED 127.0.0.1:8123`. */
      reason: string;
    }
  | { state: 'recovered'; store: string; downMs: number }
  | { state: 'gave-up'; store: string; downMs: number; reason: string };

/** See the module comment. */
export interface StoreAvailability {
  /** Resolves when the store answers (at once when it does); see the module comment for rejections. */
  whenAvailable(params?: { signal?: AbortSignal }): Promise<void>;
  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (change: StoreAvailabilityChange) => void): () => void;
}
