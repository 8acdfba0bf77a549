/**
 * `ClickHouseStore`: the Store port over `@clickhouse/client`, against a ClickHouse server over
 * HTTP or an embedded chdb session (`connection: { chdbPath }`, same client API).
 *
 * - Schema: `ddl.ts`, chosen by `SELECT version()` (`modern` DateTime64 / `legacy` 18.16).
 * - Writes: rows of many `write()` calls are coalesced by an {@link InsertBatcher} into JSONEachRow
 *   inserts of up to `batch_rows` rows, sent at the latest `batch_ms` after the first waiting
 *   row, and earlier by group commit (right after the previous batch, or after 10 ms when idle:
 *   writers block until durable, so waiting out `batch_ms` would only idle them). `write()` resolves once every insert holding its rows succeeded; a failed insert rejects
 *   the writes whose rows it held with a retryable `STORAGE_FAILED`. Broken connections are
 *   retried inside the store first (inserts are idempotent: ReplacingMergeTree keeps each row
 *   identity once under `FINAL`).
 * - Unit rewrites (SPEC: a unit's slice is replaced, see `unit-scope.ts`): before a batch is
 *   inserted, one query per table finds which of its slices already hold rows; only those are
 *   deleted (one `ALTER TABLE … DELETE` mutation per table and batch, waited for), so first
 *   writes never pay for it. Stale rows a re-fetch no longer has are thus removed; the price of a
 *   rewrite is a mutation, which on large partitions is heavy (rewrites are rare: resume skips
 *   done units).
 * - Resources: owns its client (HTTP sockets or the chdb session); `close()` flushes waiting rows
 *   and releases it. The password is passed to the client only, never logged.
 */
import { systemClock } from '../../limits/clock.js';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { encodeRowBinary } from './row-binary.js';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient, ClickHouseLogLevel } from '@clickhouse/client';
import type { ResolvedConfig } from '../../config/schema.js';
import { IngestError, throwIfAborted } from '../../errors.js';
import type { LedgerEntry } from '../../ledger/ledger-entry.js';
import type { Logger } from '../../limits/logger.js';
import { silentLogger } from '../../limits/logger.js';
import { isReadOnlySql } from '../store.js';
import type { LedgerFilter, QueryResult, Store, UnitWrite } from '../store.js';
import { scopeUnitRows, sliceKey } from '../unit-scope.js';
import { parseClickHouseFailure, USER_SQL_ERROR_CODES } from './clickhouse-failure.js';
import type { ClickHouseFlavor, ClickHouseTable } from './ddl.js';
import { flavorOfVersion, intervalSeconds, quoteIdent, schemaStatements, tableColumns } from './ddl.js';
import type { BatchPart, CancelTimer } from './insert-batcher.js';
import { InsertBatcher } from './insert-batcher.js';
import type { EncodedRow, EncodedTables, JsonCompactBody } from './row-encoding.js';
import { decodeQueryResult, encodeLedgerEntry, encodeRowSet, sqlString } from './row-encoding.js';
import { quoteIntervalColumn } from './quote-interval-column.js';

/** The client methods the store uses (a wrapper may stand in, see {@link ClickHouseStoreDeps.wrapClient}). */
export type ClickHouseClientPort = Pick<ClickHouseClient, 'query' | 'command' | 'insert' | 'exec' | 'close'>;

/** Config of {@link createClickHouseStore}: `storage.clickhouse` plus how to connect. */
export type ClickHouseStoreConfig = ResolvedConfig['storage']['clickhouse'] & {
  /** `http` (default): the server at `url`. `{ chdbPath }`: embedded chdb with data in that directory. */
  connection?: 'http' | { chdbPath: string };
};

/** Injectable dependencies of {@link createClickHouseStore}. */
export interface ClickHouseStoreDeps {
  logger?: Logger;
  /** Current time, epoch ms (orders ledger entries). */
  now?: () => number;
  /** Waits between connection retries. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Schedules the partial-batch timer; defaults to `setTimeout`. */
  setTimer?: (fn: () => void, delayMs: number) => CancelTimer;
  /** Wraps the created client (instrumentation, fault injection in tests). */
  wrapClient?: (client: ClickHouseClientPort) => ClickHouseClientPort;
  /** Connection-error attempts per request, including the first (default 3). */
  maxConnectionAttempts?: number;
}

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

const MUTATION_POLL_MS = 20;

/** The columns that pick one unit's slice of a table. */
interface SliceFilter {
  source: string;
  symbol: string;
  tradeDate: string;
  interval: string | undefined;
}

/** Parses a part key `table|source|symbol|tradeDate[|interval]` back into its filter. */
function sliceFilterOf(part: BatchPart<ClickHouseTable, EncodedRow>): SliceFilter | undefined {
  const [, source, symbol, tradeDate, interval] = part.key.split('|');
  if (source === undefined || symbol === undefined || tradeDate === undefined) return undefined;
  return { source, symbol, tradeDate, interval };
}

const OFF_LOG_LEVEL: ClickHouseLogLevel = 127 as ClickHouseLogLevel;
const RETRY_BASE_MS = 200;

/** Creates a ClickHouse store; nothing connects until the first call (`init()` or any other). */
export function createClickHouseStore(config: ClickHouseStoreConfig, deps: ClickHouseStoreDeps = {}): Store {
  return new ClickHouseStore(config, deps);
}

interface Session {
  client: ClickHouseClientPort;
  flavor: ClickHouseFlavor;
  version: string;
  batcher: InsertBatcher<ClickHouseTable, EncodedRow>;
  embedded: boolean;
}

/** The part of `chdb/connection` the store uses. */
export interface ChdbConnectionModule {
  createChdbConnection(params: { path: string }): unknown;
}

/**
 * Loads chdb, an optional package (546 MB, Linux x64 and macOS builds only; the test script
 * installs it). The specifier is a variable so that compiling does not need chdb's types.
 */
export async function loadChdb(): Promise<ChdbConnectionModule> {
  const specifier = 'chdb/connection';
  return (await import(specifier)) as ChdbConnectionModule;
}

/** See the module comment. */
export class ClickHouseStore implements Store {
  readonly kind = 'clickhouse';
  readonly #config: ClickHouseStoreConfig;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #deps: ClickHouseStoreDeps;
  #session: Promise<Session> | undefined;
  #closed = false;
  #lastVersion = 0;

  constructor(config: ClickHouseStoreConfig, deps: ClickHouseStoreDeps = {}) {
    this.#config = config;
    this.#deps = deps;
    this.#logger = deps.logger ?? silentLogger;
    this.#now = deps.now ?? Date.now;
    this.#sleep = deps.sleep ?? systemClock.sleep;
  }

  /** Server version and schema flavor (after init), for reports and tests. */
  async serverInfo(
    params: { signal?: AbortSignal } = {},
  ): Promise<{ version: string; flavor: ClickHouseFlavor }> {
    const s = await this.#ready(params.signal);
    return { version: s.version, flavor: s.flavor };
  }

  async init(params: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#ready(params.signal);
  }

  async write(params: { units: readonly UnitWrite[]; signal?: AbortSignal }): Promise<void> {
    throwIfAborted(params.signal);
    const s = await this.#ready(params.signal);
    // Every part is built before anything is queued: a unit with rows outside it (refused by
    // scopeUnitRows) fails the whole call with nothing written.
    const parts: BatchPart<ClickHouseTable, EncodedRow>[] = [];
    for (const u of params.units) {
      const scoped = scopeUnitRows(u);
      const encoded: EncodedTables = encodeRowSet(s.flavor, scoped);
      for (const table of scoped.scope.tables) {
        parts.push({
          key: `${table}|${sliceKey(scoped.scope, table)}`,
          table,
          rows: encoded.get(table) ?? [],
        });
      }
    }
    await this.#raceAbort(s.batcher.add(parts), params.signal);
  }

  async writeLedger(params: { entries: readonly LedgerEntry[]; signal?: AbortSignal }): Promise<void> {
    throwIfAborted(params.signal);
    if (params.entries.length === 0) return;
    const s = await this.#ready(params.signal);
    const rows = params.entries.map((e) => encodeLedgerEntry(s.flavor, e, e.version ?? this.#nextVersion()));
    await this.#insert(s, 'ingest_ledger', rows, params.signal);
  }

  async readLedger(params: { filter?: LedgerFilter; signal?: AbortSignal } = {}): Promise<LedgerEntry[]> {
    throwIfAborted(params.signal);
    const s = await this.#ready(params.signal);
    const f = params.filter ?? {};
    // Key filters go inside FINAL (pruning); the others outside, so they see only the winning
    // version (old servers move non-key conditions to PREWHERE, before FINAL's dedup).
    const where: string[] = [];
    const outer: string[] = [];
    const inList = (col: string, values: readonly string[]): string =>
      values.length === 0 ? '0' : `${col} IN (${values.map(sqlString).join(', ')})`;
    if (f.provider !== undefined) where.push(`provider = ${sqlString(f.provider)}`);
    if (f.dataTypes !== undefined) where.push(inList('data_type', f.dataTypes));
    if (f.symbols !== undefined) where.push(inList('symbol', f.symbols));
    if (f.startDate !== undefined) where.push(`trade_date >= toDate(${sqlString(f.startDate)})`);
    if (f.endDate !== undefined) where.push(`trade_date <= toDate(${sqlString(f.endDate)})`);
    if (f.statuses !== undefined) outer.push(inList('status', f.statuses));
    if (f.runId !== undefined) outer.push(`run_id = ${sqlString(f.runId)}`);
    // Output aliases differ from column names: ClickHouse lets aliases shadow columns in WHERE.
    const updatedAtMs = s.flavor === 'legacy' ? 'updated_at' : 'toUnixTimestamp64Milli(updated_at)';
    const inner =
      `SELECT provider, data_type, symbol, toString(trade_date) AS trade_day, status, rows, attempts, ` +
      `error_code, error_message, run_id, ${updatedAtMs} AS updated_ms ` +
      `FROM ${this.#table('ingest_ledger')} FINAL` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '');
    const sql =
      `SELECT * FROM (${inner})` +
      (outer.length > 0 ? ` WHERE ${outer.join(' AND ')}` : '') +
      ' ORDER BY provider, data_type, symbol, trade_day';
    const body = await this.#select(s, sql, params.signal, 'read the ledger');
    return body.data.map((r) => ({
      provider: String(r[0]),
      dataType: String(r[1]) as LedgerEntry['dataType'],
      symbol: String(r[2]) as LedgerEntry['symbol'],
      tradeDate: String(r[3]),
      status: String(r[4]) as LedgerEntry['status'],
      rows: Number(r[5]),
      attempts: Number(r[6]),
      errorCode: r[7] === null ? null : String(r[7]),
      errorMessage: r[8] === null ? null : String(r[8]),
      runId: String(r[9]),
      updatedAt: Number(r[10]),
    }));
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
    const s = await this.#ready(params.signal);
    let sql = params.sql.trim().replace(/;\s*$/, '');
    if (s.flavor === 'legacy') sql = quoteIntervalColumn(sql);
    return decodeQueryResult(await this.#select(s, sql, params.signal, 'run the query', true), s.flavor);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = this.#session;
    if (pending === undefined) return;
    let s: Session;
    try {
      s = await pending;
    } catch {
      return; // init failed: nothing was opened that is still open
    }
    try {
      await s.batcher.flush();
    } finally {
      await s.client.close();
    }
  }

  #table(table: ClickHouseTable): string {
    return `${quoteIdent(this.#config.database)}.${quoteIdent(table)}`;
  }

  #nextVersion(): number {
    // Microsecond-scaled wall clock, strictly increasing within this process: the latest write
    // of a unit wins, also across processes with sane clocks.
    this.#lastVersion = Math.max(this.#now() * 1000, this.#lastVersion + 1);
    return this.#lastVersion;
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

  async #open(signal: AbortSignal | undefined): Promise<Session> {
    const cfg = this.#config;
    const embedded = cfg.connection !== undefined && cfg.connection !== 'http';
    const wrap = this.#deps.wrapClient ?? ((c: ClickHouseClientPort) => c);
    let client: ClickHouseClientPort;
    let bootstrap: ClickHouseClientPort;
    if (typeof cfg.connection === 'object') {
      let chdb: ChdbConnectionModule;
      try {
        chdb = await loadChdb();
      } catch (cause) {
        throw new IngestError(
          'CONFIG_INVALID',
          'embedded ClickHouse needs the optional package "chdb" (npm install chdb)',
          {
            cause,
            retryable: false,
          },
        );
      }
      // chdb keeps one session (SET and USE persist), so one client serves bootstrap and queries.
      client = wrap(
        createClient({
          // chdb types its connection against its own copy of @clickhouse/client-common.
          connection: chdb.createChdbConnection({
            path: cfg.connection.chdbPath,
          }) as unknown as ClientConnection,
          log: { level: OFF_LOG_LEVEL },
        }),
      );
      bootstrap = client;
    } else {
      const base = {
        url: cfg.url,
        username: cfg.username,
        password: cfg.password,
        request_timeout: cfg.request_timeout_ms,
        max_open_connections: cfg.max_open_connections,
        log: { level: OFF_LOG_LEVEL },
      };
      // The server refuses every request naming a missing database, so the database is created
      // through a client without one.
      bootstrap = wrap(createClient({ ...base, max_open_connections: 1 }));
      client = wrap(createClient({ ...base, database: cfg.database }));
    }
    try {
      const versionBody = await this.#selectWith(
        bootstrap,
        'SELECT version()',
        signal,
        'connect',
        false,
        embedded,
      );
      const version = String(versionBody.data[0]?.[0] ?? '');
      const flavor = flavorOfVersion(version);
      for (const statement of schemaStatements(flavor, cfg.database)) {
        await this.#command(bootstrap, statement, signal, 'create the schema');
      }
      if (embedded)
        await this.#command(client, `USE ${quoteIdent(cfg.database)}`, signal, 'select the database');
      const session: Session = { client, flavor, version, embedded, batcher: undefined as never };
      session.batcher = new InsertBatcher<ClickHouseTable, EncodedRow>({
        batchRows: cfg.batch_rows,
        batchMs: cfg.batch_ms,
        maxConcurrentInserts: cfg.max_open_connections,
        insert: ({ table, rows }) => this.#insert(session, table, rows, undefined),
        prepare: (parts) => this.#deleteExistingSlices(session, parts),
        ...(this.#deps.setTimer === undefined ? {} : { setTimer: this.#deps.setTimer }),
      });
      this.#logger.debug('clickhouse store ready', { version, flavor, database: cfg.database, embedded });
      if (bootstrap !== client) await bootstrap.close().catch(() => undefined);
      return session;
    } catch (error) {
      await Promise.allSettled([bootstrap.close(), client === bootstrap ? undefined : client.close()]);
      throw error;
    }
  }

  async #insert(
    s: Session,
    table: ClickHouseTable,
    rows: EncodedRow[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const specs = tableColumns(s.flavor, table);
    const columns = specs.map((c) => quoteIdent(c.name));
    const started = this.#now();
    await this.#withRetry(
      `insert ${rows.length} rows into ${this.#config.database}.${table}`,
      signal,
      async () => {
        if (s.embedded) {
          // chdb (ClickHouse 26.x) parses floats exactly and takes JSONEachRow in-process.
          await s.client.insert({
            table: this.#table(table),
            columns: columns as [string, ...string[]],
            values: rows,
            format: 'JSONEachRow',
            ...(signal === undefined ? {} : { abort_signal: signal }),
          });
          return;
        }
        // Over HTTP: RowBinary, so Float64 values arrive bit-exact (see row-binary.ts).
        const body = encodeRowBinary(specs, rows);
        const result = await s.client.exec({
          query: `INSERT INTO ${this.#table(table)} (${columns.join(', ')}) FORMAT RowBinary`,
          values: Readable.from([body], { objectMode: false }),
          // The id names table and row count, for system.query_log and for tests that count inserts.
          query_id: `tickpipe-insert-${table}-${rows.length}-${randomUUID()}`,
          ...(signal === undefined ? {} : { abort_signal: signal }),
        });
        result.stream.resume();
        await new Promise<void>((resolve, reject) => {
          result.stream.once('end', resolve);
          result.stream.once('error', reject);
        });
      },
    );
    this.#logger.debug('clickhouse insert', { table, rows: rows.length, ms: this.#now() - started });
  }

  /** Deletes the rows of every slice in `parts` that already holds rows (unit rewrites). */
  async #deleteExistingSlices(
    s: Session,
    parts: readonly BatchPart<ClickHouseTable, EncodedRow>[],
  ): Promise<void> {
    const byTable = new Map<ClickHouseTable, Map<string, SliceFilter>>();
    for (const part of parts) {
      const f = sliceFilterOf(part);
      if (f === undefined) continue;
      let slices = byTable.get(part.table);
      if (slices === undefined) byTable.set(part.table, (slices = new Map()));
      slices.set(part.key, f);
    }
    for (const [table, slices] of byTable) {
      const filters = [...slices.values()];
      // bars slices also match the interval; on legacy servers through interval_seconds (see ddl.ts).
      const intervalColumn =
        table !== 'bars' ? undefined : s.flavor === 'legacy' ? 'interval_seconds' : '`interval`';
      const intervalValue = (f: SliceFilter): string =>
        s.flavor === 'legacy' ? String(intervalSeconds(f.interval ?? '')) : sqlString(f.interval ?? '');
      const sliceId = (source: string, symbol: string, tradeDate: string, interval: string): string =>
        `${source}|${symbol}|${tradeDate}|${interval}`;
      const list = (values: string[]): string => [...new Set(values)].join(', ');
      const sql =
        `SELECT DISTINCT source, symbol, toString(trade_date)${intervalColumn ? `, ${intervalColumn}` : ''} ` +
        `FROM ${this.#table(table)} ` +
        `WHERE source IN (${list(filters.map((f) => sqlString(f.source)))}) ` +
        `AND symbol IN (${list(filters.map((f) => sqlString(f.symbol)))}) ` +
        `AND trade_date IN (${list(filters.map((f) => `toDate(${sqlString(f.tradeDate)})`))})` +
        (intervalColumn ? ` AND ${intervalColumn} IN (${list(filters.map(intervalValue))})` : '');
      const existing = await this.#select(s, sql, undefined, `look up existing rows in ${table}`);
      const present = new Set(
        existing.data.map((r) =>
          sliceId(String(r[0]), String(r[1]), String(r[2]), r[3] === undefined ? '' : String(r[3])),
        ),
      );
      const stale = filters.filter((f) => {
        const interval =
          intervalColumn === undefined ? '' : s.flavor === 'legacy' ? intervalValue(f) : (f.interval ?? '');
        return present.has(sliceId(f.source, f.symbol, f.tradeDate, interval));
      });
      if (stale.length === 0) continue;
      const where = stale
        .map(
          (f) =>
            `(source = ${sqlString(f.source)} AND symbol = ${sqlString(f.symbol)} AND trade_date = toDate(${sqlString(f.tradeDate)})` +
            (intervalColumn ? ` AND ${intervalColumn} = ${intervalValue(f)})` : ')'),
        )
        .join(' OR ');
      const started = this.#now();
      await this.#mutate(s, table, `ALTER TABLE ${this.#table(table)} DELETE WHERE ${where}`);
      this.#logger.debug('clickhouse unit rewrite: deleted old slices', {
        table,
        slices: stale.length,
        ms: this.#now() - started,
      });
    }
  }

  /** Runs a mutation and returns once it is applied. */
  async #mutate(s: Session, table: ClickHouseTable, sql: string): Promise<void> {
    const what = `delete rewritten units from ${table}`;
    if (s.flavor === 'modern') {
      await this.#withRetry(what, undefined, () =>
        s.client.command({ query: sql, clickhouse_settings: { mutations_sync: '1' } }),
      );
      return;
    }
    // 18.16 has no mutations_sync: poll until the mutation is done. It applies only to parts that
    // existed when it was created, so the inserts that follow are never touched by it.
    await this.#command(s.client, sql, undefined, what);
    const pollSql =
      `SELECT count() FROM system.mutations WHERE database = ${sqlString(this.#config.database)} ` +
      `AND table = ${sqlString(table)} AND is_done = 0`;
    const maxPolls = Math.max(1, Math.ceil(this.#config.request_timeout_ms / MUTATION_POLL_MS));
    for (let i = 0; i < maxPolls; i++) {
      const body = await this.#select(s, pollSql, undefined, what);
      if (Number(body.data[0]?.[0] ?? 0) === 0) return;
      await this.#sleep(MUTATION_POLL_MS);
    }
    throw new IngestError(
      'STORAGE_FAILED',
      `ClickHouse did not finish deleting rewritten units from ${table} within ${this.#config.request_timeout_ms} ms`,
      {
        context: { database: this.#config.database, table },
      },
    );
  }

  async #command(
    client: ClickHouseClientPort,
    sql: string,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<void> {
    await this.#withRetry(what, signal, () =>
      client.command({ query: sql, ...(signal === undefined ? {} : { abort_signal: signal }) }),
    );
  }

  #select(
    s: Session,
    sql: string,
    signal: AbortSignal | undefined,
    what: string,
    userSql = false,
  ): Promise<JsonCompactBody> {
    return this.#selectWith(s.client, sql, signal, what, userSql, s.embedded);
  }

  async #selectWith(
    client: ClickHouseClientPort,
    sql: string,
    signal: AbortSignal | undefined,
    what: string,
    userSql: boolean,
    embedded: boolean,
  ): Promise<JsonCompactBody> {
    return this.#withRetry(
      what,
      signal,
      async () => {
        const result = await client.query({
          query: sql,
          format: 'JSONCompact',
          clickhouse_settings: {
            output_format_json_quote_64bit_integers: 0,
            // Over HTTP each request has its own settings; in chdb a SET would stick to the session.
            ...(userSql && !embedded ? { readonly: '2' } : {}),
          },
          ...(signal === undefined ? {} : { abort_signal: signal }),
        });
        return (await result.json()) as unknown as JsonCompactBody;
      },
      userSql,
    );
  }

  async #withRetry<T>(
    what: string,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
    userSql = false,
  ): Promise<T> {
    const maxAttempts = Math.max(1, this.#deps.maxConnectionAttempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      try {
        return await run();
      } catch (error) {
        if (signal?.aborted) throw new IngestError('ABORTED', 'aborted', { cause: error });
        const failure = parseClickHouseFailure(error);
        if (failure.connection && attempt < maxAttempts) {
          const delayMs = RETRY_BASE_MS * 2 ** (attempt - 1);
          this.#logger.warn('clickhouse connection error, retrying', {
            what,
            attempt,
            delayMs,
            error: failure.message,
          });
          await this.#sleep(delayMs, signal);
          continue;
        }
        const userError =
          userSql && failure.serverCode !== undefined && USER_SQL_ERROR_CODES.has(failure.serverCode);
        // 192 unknown user, 193 wrong password, 516 authentication failed: fix the config.
        const authError = failure.serverCode !== undefined && [192, 193, 516].includes(failure.serverCode);
        const codePart = failure.serverCode === undefined ? '' : ` (ClickHouse code ${failure.serverCode})`;
        throw new IngestError(
          authError ? 'CONFIG_INVALID' : userError ? 'USAGE' : 'STORAGE_FAILED',
          `ClickHouse could not ${what}${codePart}: ${failure.message}`,
          {
            retryable: !userError && !authError,
            context: { database: this.#config.database, serverCode: failure.serverCode, attempts: attempt },
            cause: error,
          },
        );
      }
    }
  }

  #raceAbort(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
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
}
