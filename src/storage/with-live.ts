/**
 * Attaches a separately created live-collection part (see `live-store.ts`) to a store that has
 * none (ClickHouse: `clickhouse/clickhouse-live.ts`); `close()` closes both.
 */
import type { LiveStore } from './live-store.js';
import type { Store } from './store.js';

/** The store with `live` set. The store keeps its own behaviour (methods are delegated). */
export function withLive(store: Store, live: LiveStore & { close(): Promise<void> }): Store {
  return {
    kind: store.kind,
    live,
    init: (p) => store.init(p),
    write: (p) => store.write(p),
    writeLedger: (p) => store.writeLedger(p),
    readLedger: (p) => store.readLedger(p),
    query: (p) => store.query(p),
    async close() {
      await Promise.allSettled([live.close()]);
      await store.close();
    },
  };
}
