/**
 * `ClickHouseStore`: the Store port over `@clickhouse/client`, against one ClickHouse server or
 * the nodes of a cluster over HTTP, or an embedded chdb session (`connection: { chdbPath }`, same
 * client API). docs/STORAGE.md describes the layouts and what survives which failure.
 *
 * - Schema: `ddl.ts`, chosen by `SELECT version()` (`modern` DateTime64 / `legacy` 18.16), created
 *   by `schema-setup.ts`; with `cluster`, replicated local tables behind Distributed tables.
 * - Nodes: `url` is one URL or a list; `node-pool.ts` sends each request to a node that answers,
 *   and when none does, waits out the outage within `outage_budget_ms` (the store's
 *   `availability` tells the pipeline to pause intake meanwhile).
 * - Writes: rows of many `write()` calls are coalesced by an {@link InsertBatcher} into inserts of
 *   up to `batch_rows` rows, sent at the latest `batch_ms` after the first waiting row, and
 *   earlier by group commit (right after the previous batch, or after 10 ms when idle: writers
 *   block until durable, so waiting out `batch_ms` would only idle them). `write()` resolves once
 *   every insert holding its rows succeeded; a failed insert rejects the writes whose rows it held
 *   with a retryable `STORAGE_FAILED`. Inserts are idempotent: ReplacingMergeTree keeps each row
 *   identity once under `FINAL`. Unit rewrites: `slice-rewrite.ts`.
 * - Resources: owns its clients (HTTP sockets or the chdb session); `close()` flushes waiting rows
 *   and releases them. The password is passed to the clients only, never logged.
 */
import type { ResolvedConfig } from '../../config/schema.js';
import { IngestError, throwIfAborted } from '../../errors.js';
import type { LedgerEntry } from '../../ledger/ledger-entry.js';
import { systemClock } from '../../limits/clock.js';
import type { Logger } from '../../limits/logger.js';
import { silentLogger } from '../../limits/logger.js';
import type { StoreAvailability, StoreAvailabilityChange } from '../store-availability.js';
import { isReadOnlySql } from '../store.js';
import type { LedgerFilter, QueryResult, Store, UnitWrite } from '../store.js';
import { scopeUnitRows, sliceKey } from '../unit-scope.js';
import type { ClickHouseClientPort } from './client-port.js';
import { ClickHouseSession } from './clickhouse-session.js';
import type { ClickHouseLayout } from './clickhouse-session.js';
import type { ClickHouseFlavor, ClickHouseTable } from './ddl.js';
import { flavorOfVersion, intervalColumnName, quoteIdent } from './ddl.js';
import type { CancelTimer } from './insert-batcher.js';
import { InsertBatcher } from './insert-batcher.js';
import { NodePool } from './node-pool.js';
import { createNodeClients } from './node-clients.js';
import { readLedgerSql, ledgerEntryOfRow } from './ledger-sql.js';
import { renameIntervalColumn, quoteIntervalColumn } from './quote-interval-column.js';
import type { EncodedRow, EncodedTables } from './row-encoding.js';
import { decodeQueryResult, encodeLedgerEntry, encodeRowSet } from './row-encoding.js';
import { createClusterSchema, createSingleServerSchema, probeVersion } from './schema-setup.js';
import { deleteExistingSlices, resolveShard } from './slice-rewrite.js';

export type { ClickHouseClientPort } from './client-port.js';
export { clickHouseUrls, loadChdb, type ChdbConnectionModule } from './node-clients.js';

/** Config of {@link createClickHouseStore}: `storage.clickhouse` plus how to connect. */
export type ClickHouseStoreConfig = ResolvedConfig['storage']['clickhouse'] & {
  /** `http` (default): the server(s) at `url`. `{ chdbPath }`: embedded chdb with data in that directory. */
  connection?: 'http' | { chdbPath: string };
};

/** Injectable dependencies of {@link createClickHouseStore}. */
export interface ClickHouseStoreDeps {
  logger?: Logger;
  /** Current time, epoch ms (orders ledger entries, measures outages). */
  now?: () => number;
  /** Waits between retries. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform random number in [0, 1) for backoff jitter. */
  random?: () => number;
  /** Schedules the partial-batch timer; defaults to `setTimeout`. */
  setTimer?: (fn: () => void, delayMs: number) => CancelTimer;
  /** Wraps each created client (instrumentation, fault injection in tests). */
  wrapClient?: (client: ClickHouseClientPort) => ClickHouseClientPort;
  /** Backoff between rounds over the nodes during an outage: first step and cap, ms (200, 5000). */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
}

/** Creates a ClickHouse store; nothing connects until the first call (`init()` or any other). */
export function createClickHouseStore(config: ClickHouseStoreConfig, deps: ClickHouseStoreDeps = {}): Store {
  return new ClickHouseStore(config, deps);
}

interface Session {
  s: ClickHouseSession;
  batcher: InsertBatcher<ClickHouseTable, EncodedRow>;
}

/** See the module comment. */
export class ClickHouseStore implements Store {
  readonly kind = 'clickhouse';
  readonly availability: StoreAvailability | undefined;
  readonly #config: ClickHouseStoreConfig;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #deps: ClickHouseStoreDeps;
  readonly #listeners = new Set<(change: StoreAvailabilityChange) => void>();
  #pool: NodePool | undefined;
  #session: Promise<Session> | undefined;
  #closed = false;

  constructor(config: ClickHouseStoreConfig, deps: ClickHouseStoreDeps = {}) {
    this.#config = config;
    this.#deps = deps;
    this.#logger = deps.logger ?? silentLogger;
    this.#now = deps.now ?? Date.now;
    this.#sleep = deps.sleep ?? systemClock.sleep;
    if (typeof config.connection === 'object') {
      this.availability = undefined; // embedded: nothing to lose contact with
    } else {
      this.availability = {
        whenAvailable: (params) => this.#pool?.whenAvailable(params) ?? Promise.resolve(),
        onChange: (listener) => {
          this.#listeners.add(listener);
          return () => this.#listeners.delete(listener);
        },
      };
    }
  }

  /** Server version, schema flavor and layout (after init), for reports and tests. */
  async serverInfo(
    params: { signal?: AbortSignal } = {},
  ): Promise<{ version: string; flavor: ClickHouseFlavor; layout: ClickHouseLayout }> {
    const { s } = await this.#ready(params.signal);
    return { version: s.version, flavor: s.flavor, layout: s.layout };
  }

  async init(params: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#ready(params.signal);
  }

  async write(params: { units: readonly UnitWrite[]; signal?: AbortSignal }): Promise<void> {
    throwIfAborted(params.signal);
    const { s, batcher } = await this.#ready(params.signal);
    // Every part is built before anything is queued: a unit with rows outside it (refused by
    // scopeUnitRows) fails the whole call with nothing written.
    const parts = [];
    for (const u of params.units) {
      const scoped = scopeUnitRows(u);
      const encoded: EncodedTables = encodeRowSet(s.flavor, scoped);
      for (const table of scoped.scope.tables) {
        parts.push({
          key: `${table}|${sliceKey(scoped.scope, table)}`,
          table,
          rows: renameRows(s, table, encoded.get(table) ?? []),
        });
      }
    }
    await raceAbort(batcher.add(parts), params.signal);
  }

  async writeLedger(params: { entries: readonly LedgerEntry[]; signal?: AbortSignal }): Promise<void> {
    throwIfAborted(params.signal);
    if (params.entries.length === 0) return;
    const { s } = await this.#ready(params.signal);
    const rows = params.entries.map((e) => encodeLedgerEntry(s.flavor, e, e.version ?? s.nextVersion()));
    await s.insert('ingest_ledger', rows, params.signal === undefined ? {} : { signal: params.signal });
  }

  async readLedger(params: { filter?: LedgerFilter; signal?: AbortSignal } = {}): Promise<LedgerEntry[]> {
    throwIfAborted(params.signal);
    const { s } = await this.#ready(params.signal);
    await s.syncReplicas(['ingest_ledger']);
    const sql = readLedgerSql(s.flavor, s.table('ingest_ledger'), params.filter ?? {});
    const body = await s.select(sql, 'read the ledger', { signal: params.signal });
    return body.data.map(ledgerEntryOfRow);
  }

  async query(params: { sql: string; signal?: AbortSignal }): Promise<QueryResult> {
    throwIfAborted(params.signal);
    if (!isReadOnlySql(params.sql)) {
      throw new IngestError(
        'USAGE',
        'query accepts read-only SQL only (SELECT, SHOW, DESCRIBE, EXPLAIN, WITH …)',
        {
          retryable: false,
        },
      );
    }
    const { s } = await this.#ready(params.signal);
    let sql = params.sql.trim().replace(/;\s*$/, '');
    const stored = intervalColumnName(s.flavor, s.clustered);
    if (stored !== 'interval') sql = renameIntervalColumn(sql, stored);
    else if (s.flavor === 'legacy') sql = quoteIntervalColumn(sql);
    await s.syncReplicas('all');
    const result = decodeQueryResult(
      await s.select(sql, 'run the query', { signal: params.signal, userSql: true }),
      s.flavor,
    );
    // The stored name of bars.interval is answered as `interval` (see ddl.ts).
    if (stored !== 'interval') result.columns = result.columns.map((c) => (c === stored ? 'interval' : c));
    return result;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = this.#session;
    if (pending === undefined) return;
    let session: Session;
    try {
      session = await pending;
    } catch {
      return; // init failed: nothing was opened that is still open
    }
    // Rows still waiting belong to writes whose callers stopped waiting (the pipeline awaits every
    // write before its ledger entry): flush them, but do not sit out an outage for them.
    session.s.pool.close();
    try {
      await session.batcher.flush();
    } finally {
      await Promise.allSettled(session.s.pool.nodes.map((n) => n.client.close()));
    }
  }

  #ready(signal: AbortSignal | undefined): Promise<Session> {
    if (this.#closed)
      return Promise.reject(new IngestError('INTERNAL', 'ClickHouse store is closed', { retryable: false }));
    if (this.#session === undefined) {
      const opening = this.#open(signal);
      this.#session = opening;
      // A failed open may be retried by the next call.
      opening.catch(() => {
        if (this.#session === opening) this.#session = undefined;
      });
    }
    return this.#session;
  }

  #makePool(clients: { url: string; client: ClickHouseClientPort }[], budgetMs: number): NodePool {
    return new NodePool({
      nodes: clients,
      budgetMs,
      baseDelayMs: this.#deps.retryBaseDelayMs ?? 200,
      maxDelayMs: this.#deps.retryMaxDelayMs ?? 5_000,
      database: this.#config.database,
      now: this.#now,
      sleep: this.#sleep,
      random: this.#deps.random ?? Math.random,
      logger: this.#logger,
    });
  }

  async #open(signal: AbortSignal | undefined): Promise<Session> {
    const cfg = this.#config;
    const embedded = typeof cfg.connection === 'object';
    const wrap = this.#deps.wrapClient ?? ((c: ClickHouseClientPort) => c);
    const layout: ClickHouseLayout =
      cfg.cluster === undefined ? { kind: 'single' } : { kind: 'cluster', cluster: cfg.cluster };
    if (typeof cfg.connection === 'object' && layout.kind === 'cluster') {
      throw new IngestError(
        'CONFIG_INVALID',
        'storage.clickhouse.cluster needs ClickHouse servers, not embedded chdb',
        {
          retryable: false,
        },
      );
    }
    const { admins, clients } = await createNodeClients(cfg, wrap);
    // Opening does not wait out an outage: a store that cannot be reached at start is an error
    // to report now (a wrong URL must not cost a 5-minute wait).
    const session = (pool: NodePool, flavor: ClickHouseFlavor, version: string) =>
      new ClickHouseSession({
        pool,
        flavor,
        version,
        layout,
        database: cfg.database,
        embedded,
        logger: this.#logger,
        now: this.#now,
      });
    const closeAll = async (list: typeof clients) => {
      await Promise.allSettled(list.map((c) => c.client.close()));
    };
    try {
      const probe = session(this.#makePool(admins, 0), 'modern', '');
      throwIfAborted(signal);
      const version = await probeVersion(probe);
      const flavor = flavorOfVersion(version);
      const admin = session(probe.pool, flavor, version);
      let shardCount = 0;
      if (layout.kind === 'cluster') {
        shardCount = await createClusterSchema({
          admin,
          flavor,
          cluster: layout.cluster,
          sleep: (ms) => this.#sleep(ms),
          now: this.#now,
        });
      } else {
        await createSingleServerSchema(admin, flavor);
      }
      if (embedded) await admin.command(`USE ${quoteIdent(cfg.database)}`, 'select the database');
      const pool = this.#makePool(clients, cfg.outage_budget_ms);
      pool.onChange((change) => {
        for (const listener of this.#listeners) listener(change);
      });
      this.#pool = pool;
      const s = session(pool, flavor, version);
      if (layout.kind === 'cluster') {
        for (const node of pool.nodes) await resolveShard(s, node).catch(() => undefined);
      }
      const batcher = new InsertBatcher<ClickHouseTable, EncodedRow>({
        batchRows: cfg.batch_rows,
        batchMs: cfg.batch_ms,
        maxConcurrentInserts: cfg.max_open_connections,
        insert: ({ table, rows }) => s.insert(table, rows),
        prepare: (parts) =>
          deleteExistingSlices(s, parts, {
            sleep: this.#sleep,
            now: this.#now,
            timeoutMs: cfg.request_timeout_ms,
            shardCount,
          }),
        ...(this.#deps.setTimer === undefined ? {} : { setTimer: this.#deps.setTimer }),
      });
      this.#logger.debug('clickhouse store ready', {
        version,
        flavor,
        database: cfg.database,
        embedded,
        layout: layout.kind,
      });
      if (!embedded) await closeAll(admins);
      return { s, batcher };
    } catch (error) {
      await closeAll(embedded ? admins : [...admins, ...clients]);
      throw error;
    }
  }
}

/** Legacy clusters store `bars.interval` under another name (see ddl.ts). */
function renameRows(s: ClickHouseSession, table: ClickHouseTable, rows: EncodedRow[]): EncodedRow[] {
  const stored = intervalColumnName(s.flavor, s.clustered);
  if (table !== 'bars' || stored === 'interval') return rows;
  return rows.map(({ interval, ...rest }) => ({ ...rest, [stored]: interval }));
}

function raceAbort(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  // The rows stay in their batch (re-inserting is harmless); only the caller stops waiting.
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(new IngestError('ABORTED', 'aborted', { cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
