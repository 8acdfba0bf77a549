/**
 * An open connection to ClickHouse (one server, a cluster's nodes, or embedded chdb): the schema
 * flavor and layout it was opened with, and the three kinds of request the store sends — selects,
 * commands and inserts — each run through the {@link NodePool} (failover, outage waits, one error
 * classification).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from '../../limits/logger.js';
import type { RequestSettings } from './client-port.js';
import type { ClickHouseFlavor, ClickHouseTable } from './ddl.js';
import { localTableName, quoteIdent, tableColumns } from './ddl.js';
import type { NodePool, PoolNode } from './node-pool.js';
import { encodeRowBinary } from './row-binary.js';
import type { EncodedRow, JsonCompactBody } from './row-encoding.js';

/** Longest wait of one replica sync before a read, s. */
const SYNC_TIMEOUT_S = 5;

/** Where the tables live. */
export type ClickHouseLayout = { kind: 'single' } | { kind: 'cluster'; cluster: string };

/** Options of one request. */
export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Only these nodes may serve it (one shard's replicas, one node's DDL). */
  candidates?: readonly PoolNode[];
  settings?: RequestSettings;
}

/** See the module comment. */
export class ClickHouseSession {
  readonly pool: NodePool;
  readonly flavor: ClickHouseFlavor;
  readonly version: string;
  readonly layout: ClickHouseLayout;
  readonly database: string;
  readonly embedded: boolean;
  readonly logger: Logger;
  readonly #now: () => number;
  #lastVersion = 0;
  /** Tables inserted into since their replicas were last synced (clusters). */
  readonly #dirty = new Set<ClickHouseTable>();

  constructor(params: {
    pool: NodePool;
    flavor: ClickHouseFlavor;
    version: string;
    layout: ClickHouseLayout;
    database: string;
    embedded: boolean;
    logger: Logger;
    now: () => number;
  }) {
    this.pool = params.pool;
    this.flavor = params.flavor;
    this.version = params.version;
    this.layout = params.layout;
    this.database = params.database;
    this.embedded = params.embedded;
    this.logger = params.logger;
    this.#now = params.now;
  }

  /** True for a cluster layout. */
  get clustered(): boolean {
    return this.layout.kind === 'cluster';
  }

  /** `db`.`table`: the Distributed table in a cluster, the table itself on one server. */
  table(table: ClickHouseTable): string {
    return `${quoteIdent(this.database)}.${quoteIdent(table)}`;
  }

  /** `db`.`table_local` in a cluster (mutations run there), else the table itself. */
  localTable(table: ClickHouseTable): string {
    return this.clustered
      ? `${quoteIdent(this.database)}.${quoteIdent(localTableName(table))}`
      : this.table(table);
  }

  /**
   * A version for the rows or ledger entries of one insert: a microsecond-scaled wall clock,
   * strictly increasing within this process, so the latest write wins (also across processes
   * with sane clocks).
   */
  nextVersion(): number {
    this.#lastVersion = Math.max(this.#now() * 1000, this.#lastVersion + 1);
    return this.#lastVersion;
  }

  /**
   * Settings of every request in a cluster: replicas in the configured order and no local
   * shortcut, so reads and writes of a shard go to the same (first live) replica — a read right
   * after a write sees it although the other replica may lag behind.
   */
  #routing(settings: RequestSettings | undefined): RequestSettings | undefined {
    if (!this.clustered) return settings;
    return { load_balancing: 'in_order', prefer_localhost_replica: 0, ...settings };
  }

  /** Runs a SELECT; `userSql` marks the user's own SQL (read-only, its errors are `USAGE`). */
  select(
    sql: string,
    what: string,
    options: RequestOptions & { userSql?: boolean } = {},
  ): Promise<JsonCompactBody> {
    const settings = this.#routing({
      output_format_json_quote_64bit_integers: 0,
      // Over HTTP each request has its own settings; in chdb a SET would stick to the session.
      ...(options.userSql === true && !this.embedded ? { readonly: 2 } : {}),
      ...options.settings,
    });
    return this.pool.run(
      what,
      async (node) => {
        const result = await node.client.query({
          query: sql,
          format: 'JSONCompact',
          ...(settings === undefined ? {} : { clickhouse_settings: settings as never }),
          ...(options.signal === undefined ? {} : { abort_signal: options.signal }),
        });
        return (await result.json()) as unknown as JsonCompactBody;
      },
      runOptions(options, options.userSql),
    );
  }

  /** Runs a SELECT once on one node only (see {@link NodePool.tryOn}). */
  selectOn(node: PoolNode, sql: string, what: string, settings?: RequestSettings): Promise<JsonCompactBody> {
    return this.pool.tryOn(node, what, async () => {
      const result = await node.client.query({
        query: sql,
        format: 'JSONCompact',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0, ...settings } as never,
      });
      return (await result.json()) as unknown as JsonCompactBody;
    });
  }

  /** Runs a statement once on one node only (see {@link NodePool.tryOn}). */
  async commandOn(node: PoolNode, sql: string, what: string, settings?: RequestSettings): Promise<void> {
    await this.pool.tryOn(node, what, () =>
      node.client.command({
        query: sql,
        ...(settings === undefined ? {} : { clickhouse_settings: settings as never }),
      }),
    );
  }

  /**
   * Read-your-writes in a cluster: the other replica of a shard fetches a part a moment after a
   * synchronous insert stored it on one, and a read may go to either. Before a read of tables
   * this session wrote since their last sync, every node that answers is made to catch up
   * (`SYSTEM SYNC REPLICA`, in parallel; a node that does not answer is skipped — a read then
   * goes to the replica that answers, which holds what was acknowledged).
   */
  async syncReplicas(tables: readonly ClickHouseTable[] | 'all'): Promise<void> {
    if (!this.clustered) return;
    const due = [...this.#dirty].filter((t) => tables === 'all' || tables.includes(t));
    if (due.length === 0) return;
    for (const t of due) this.#dirty.delete(t);
    const now = this.#now();
    await Promise.all(
      this.pool.nodes
        .filter((node) => node.downUntil <= now)
        .map(async (node) => {
          for (const t of due) {
            try {
              // Bounded: a part only a dead replica holds would keep the sync waiting.
              await this.commandOn(
                node,
                `SYSTEM SYNC REPLICA ${this.localTable(t)}`,
                `sync ${t} on ${node.url}`,
                {
                  receive_timeout: SYNC_TIMEOUT_S,
                },
              );
            } catch (error) {
              this.logger.debug('clickhouse replica sync skipped', {
                node: node.url,
                table: t,
                error: String(error),
              });
              return;
            }
          }
        }),
    );
  }

  /** Runs a statement that returns no rows (DDL, mutations). */
  async command(sql: string, what: string, options: RequestOptions = {}): Promise<void> {
    const settings = this.#routing(options.settings);
    await this.pool.run(
      what,
      (node) =>
        node.client.command({
          query: sql,
          ...(settings === undefined ? {} : { clickhouse_settings: settings as never }),
          ...(options.signal === undefined ? {} : { abort_signal: options.signal }),
        }),
      runOptions(options),
    );
  }

  /**
   * Inserts rows into `table`, returning once they are stored: in a cluster through the
   * Distributed table with `insert_distributed_sync=1` (acknowledged once every shard stored its
   * part on a replica, never left in a background queue). A retry — on the same node or another —
   * sends the very same bytes: the same blocks, which replicated tables deduplicate.
   */
  async insert(
    table: ClickHouseTable,
    rows: EncodedRow[],
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const specs = tableColumns(this.flavor, table, this.clustered);
    const columns = specs.map((c) => quoteIdent(c.name));
    if (this.clustered && table !== 'ingest_ledger') {
      const version = this.nextVersion();
      for (const r of rows) r.version = version;
    }
    if (this.clustered) this.#dirty.add(table);
    const what = `insert ${rows.length} rows into ${this.database}.${table}`;
    const signal = options.signal;
    if (this.embedded) {
      // chdb (ClickHouse 26.x) parses floats exactly and takes JSONEachRow in-process.
      await this.pool.run(what, (node) =>
        node.client.insert({
          table: this.table(table),
          columns: columns as [string, ...string[]],
          values: rows,
          format: 'JSONEachRow',
          ...(signal === undefined ? {} : { abort_signal: signal }),
        }),
      );
      return;
    }
    // Over HTTP: RowBinary, so Float64 values arrive bit-exact (see row-binary.ts).
    const body = encodeRowBinary(specs, rows);
    const settings = this.#routing(this.clustered ? { insert_distributed_sync: 1 } : undefined);
    await this.pool.run(
      what,
      async (node) => {
        const result = await node.client.exec({
          query: `INSERT INTO ${this.table(table)} (${columns.join(', ')}) FORMAT RowBinary`,
          values: Readable.from([body], { objectMode: false }),
          // The id names table and row count, for system.query_log and for tests that count inserts.
          query_id: `tickpipe-insert-${table}-${rows.length}-${randomUUID()}`,
          ...(settings === undefined ? {} : { clickhouse_settings: settings as never }),
          ...(signal === undefined ? {} : { abort_signal: signal }),
        });
        result.stream.resume();
        await new Promise<void>((resolve, reject) => {
          result.stream.once('end', resolve);
          result.stream.once('error', reject);
        });
      },
      signal === undefined ? {} : { signal },
    );
  }
}

function runOptions(
  options: RequestOptions,
  userSql?: boolean,
): { signal?: AbortSignal; candidates?: readonly PoolNode[]; userSql?: boolean } {
  return {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.candidates === undefined ? {} : { candidates: options.candidates }),
    ...(userSql === undefined ? {} : { userSql }),
  };
}
