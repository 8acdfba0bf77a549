/**
 * `DuckDbStore`: the store port over an embedded DuckDB file (the default store).
 *
 * - Writes replace each unit's slice (see `unit-scope.ts`) in one transaction: one batched DELETE
 *   per table, then one DataChunk appender per table, then COMMIT. A crash before COMMIT leaves
 *   the previous state (DuckDB's WAL); when `write()` resolves the commit is in the WAL.
 * - Concurrent `write()` calls are grouped: calls that arrive while a transaction runs share the
 *   next one (group commit), so many small units cost few transactions. Each caller's rows are
 *   checked before they join a group, so one caller's bad rows never fail another's write.
 * - Reads (`query`, `readLedger`) run on a second connection and see committed data only.
 * - One process may open a file for writing; other processes may open it `readOnly` only while
 *   no writer holds it (DuckDB's file lock).
 * Resources: the instance and both connections, released (after a CHECKPOINT) by `close()`.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { IngestError, throwIfAborted } from '../../errors.js';
import { unitKeyString, type LedgerEntry } from '../../ledger/ledger-entry.js';
import { isReadOnlySql, type Store, type UnitWrite } from '../store.js';
import { DATA_TABLES, STORE_TABLES, scopeUnitRows, type DataTable, type ScopedRows } from '../unit-scope.js';
import { appendTableRows, appendedColumnNames, type TableRows } from './duckdb-appenders.js';
import { DUCKDB_DDL } from './duckdb-schema.js';
import { selectLedger, upsertLedger } from './duckdb-ledger.js';
import { runReadQuery } from './duckdb-query.js';
import { lit, messageOf, storageError, UNITS_PER_STATEMENT } from './duckdb-sql.js';
import { createDuckDbLive, DUCKDB_LIVE_DDL } from './duckdb-live.js';
import { toPlainValue } from './duckdb-values.js';

/** Parameters of {@link createDuckDbStore}. */
export interface DuckDbStoreParams {
  /** Database file; parent folders are created. `:memory:` for a throw-away database. */
  path: string;
  /** Open without write access (e.g. for `tickpipe query` next to a finished run). Default false. */
  readOnly?: boolean;
}

interface PendingWrite {
  units: ScopedRows[];
  signal: AbortSignal | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Opened {
  instance: DuckDBInstance;
  writer: DuckDBConnection;
  reader: DuckDBConnection;
}

/** WAL size that triggers an automatic checkpoint (see `openDatabase`). */
const CHECKPOINT_THRESHOLD = '256MB';

/** Creates a DuckDB-backed store (kind `duckdb`). Opens the file lazily, on `init()` or first use. */
export function createDuckDbStore(params: DuckDbStoreParams): Store {
  const path = params.path;
  const readOnly = params.readOnly ?? false;
  const inMemory = path === ':memory:' || path === '';
  let opening: Promise<Opened> | undefined;
  /** Set when `close()` starts: new calls are refused, queued ones still run. */
  let closed = false;
  /** Set when the native handles are gone: nothing may touch them any more. */
  let released = false;
  const writeLock = createLock();
  const readLock = createLock();
  const pending: PendingWrite[] = [];
  let flushQueued = false;

  const closedError = (): IngestError =>
    new IngestError('STORAGE_FAILED', `The DuckDB store ${path} is closed`, { retryable: false });
  /** Checks a call on entry: not aborted, store not closed. */
  const admit = (signal: AbortSignal | undefined): void => {
    throwIfAborted(signal);
    if (closed) throw closedError();
  };
  /** The open database; call only inside a lock so that `close()` waits for the caller. */
  const open = (): Promise<Opened> => {
    if (released) return Promise.reject(closedError());
    opening ??= openDatabase(path, readOnly, inMemory).catch((error: unknown) => {
      // Forget the failure so that a retry (e.g. after another process released the file) reopens.
      opening = undefined;
      throw error;
    });
    return opening;
  };

  const refuseWriteWhenReadOnly = (what: string): void => {
    if (readOnly) {
      throw new IngestError('USAGE', `Cannot ${what}: the DuckDB store ${path} was opened read-only`, {
        context: { path },
      });
    }
  };

  const flush = async (): Promise<void> => {
    flushQueued = false;
    const batch = pending.splice(0);
    const live = batch.filter((p) => {
      if (!p.signal?.aborted) return true;
      p.reject(new IngestError('ABORTED', 'aborted', { cause: p.signal.reason }));
      return false;
    });
    if (live.length === 0) return;
    // Within one group the later call's copy of a unit wins, as if the calls ran one by one.
    const byUnit = new Map<string, ScopedRows>();
    for (const p of live) {
      for (const u of p.units) {
        const key = unitKeyString(u.unit);
        byUnit.delete(key);
        byUnit.set(key, u);
      }
    }
    try {
      const { writer } = await open();
      await writeUnits(writer, [...byUnit.values()], path);
      for (const p of live) p.resolve();
    } catch (error) {
      for (const p of live)
        p.reject(storageError(error, `write ${byUnit.size} units to DuckDB ${path}`, { path }));
    }
  };

  const live = createDuckDbLive({
    withWriter: (fn, what, signal) => {
      admit(signal);
      refuseWriteWhenReadOnly(what);
      return writeLock.run(async () => {
        try {
          return await fn((await open()).writer);
        } catch (error) {
          throw storageError(error, `${what} in DuckDB ${path}`, { path });
        }
      });
    },
    withReader: (fn, what, signal) => {
      admit(signal);
      return readLock.run(async () => {
        try {
          return await fn((await open()).reader);
        } catch (error) {
          throw storageError(error, `${what} from DuckDB ${path}`, { path });
        }
      });
    },
  });

  return {
    kind: 'duckdb',
    live,
    async init(initParams) {
      admit(initParams?.signal);
      await writeLock.run(async () => {
        const { writer } = await open();
        if (readOnly) return;
        try {
          for (const table of STORE_TABLES) await writer.run(DUCKDB_DDL[table]);
          for (const ddl of DUCKDB_LIVE_DDL) await writer.run(ddl);
          await checkColumns(writer, path);
        } catch (error) {
          throw storageError(error, `create tables in DuckDB ${path}`, { path });
        }
      });
    },

    write({ units, signal }) {
      try {
        admit(signal);
        refuseWriteWhenReadOnly('write rows');
        const scoped = units.map((u: UnitWrite) => scopeUnitRows(u));
        if (scoped.length === 0) return Promise.resolve();
        return new Promise<void>((resolve, reject) => {
          pending.push({ units: scoped, signal, resolve, reject });
          if (!flushQueued) {
            flushQueued = true;
            void writeLock.run(flush);
          }
        });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async writeLedger({ entries, signal }) {
      admit(signal);
      refuseWriteWhenReadOnly('write the ledger');
      if (entries.length === 0) return;
      const latest = new Map<string, LedgerEntry>();
      for (const e of entries) {
        latest.delete(unitKeyString(e));
        latest.set(unitKeyString(e), e);
      }
      await writeLock.run(async () => {
        const { writer } = await open();
        try {
          await upsertLedger(writer, [...latest.values()]);
        } catch (error) {
          throw storageError(error, `write ${latest.size} ledger entries to DuckDB ${path}`, { path });
        }
      });
    },

    async readLedger(readParams) {
      admit(readParams?.signal);
      return readLock.run(async () => {
        const { reader } = await open();
        try {
          return await selectLedger(reader, readParams?.filter ?? {});
        } catch (error) {
          throw storageError(error, `read the ledger of DuckDB ${path}`, { path });
        }
      });
    },

    async query({ sql, signal }) {
      admit(signal);
      if (!isReadOnlySql(sql)) {
        throw new IngestError('USAGE', 'Refused a statement that is not a read: query() is read-only', {
          context: { sql },
        });
      }
      return readLock.run(async () => runReadQuery((await open()).reader, sql, signal));
    },

    async close() {
      if (closed) return;
      closed = true;
      // Let queued writes and reads finish: write callers were promised durability.
      await writeLock.run(async () => undefined);
      await readLock.run(async () => undefined);
      const db = await opening?.catch(() => undefined);
      released = true;
      if (db === undefined) return;
      try {
        if (!readOnly && !inMemory) await db.writer.run('CHECKPOINT');
      } catch (error) {
        throw storageError(error, `checkpoint DuckDB ${path}`, { path });
      } finally {
        db.reader.closeSync();
        db.writer.closeSync();
        db.instance.closeSync();
      }
    },
  };
}

async function openDatabase(path: string, readOnly: boolean, inMemory: boolean): Promise<Opened> {
  try {
    if (!inMemory && !readOnly) await mkdir(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(
      inMemory ? ':memory:' : path,
      readOnly ? { access_mode: 'READ_ONLY' } : {},
    );
    const writer = await instance.connect();
    const reader = await instance.connect();
    // ICU is built in: without this, TIMESTAMPTZ values and casts would follow the machine's zone.
    for (const c of [writer, reader]) await c.run("SET TimeZone = 'UTC'");
    // DuckDB checkpoints whenever the WAL passes 16 MB by default; with order-book lists that is
    // every few units, and each checkpoint rewrites the tail row groups. 256 MB halved the CPU of
    // 80 sequential 5000-row unit writes (14.4 -> 7.6 cpu-s) at the cost of a longer WAL replay
    // after a crash.
    if (!readOnly) await writer.run(`SET checkpoint_threshold = '${CHECKPOINT_THRESHOLD}'`);
    return { instance, writer, reader };
  } catch (error) {
    const hint = /lock/i.test(messageOf(error))
      ? '; another process has it open for writing (wait for it to finish)'
      : readOnly
        ? '; run `tickpipe run` first to create it'
        : '';
    throw storageError(error, `open DuckDB file ${path}${hint}`, { path });
  }
}

async function writeUnits(
  writer: DuckDBConnection,
  units: readonly ScopedRows[],
  path: string,
): Promise<void> {
  const rows: { [T in DataTable]: TableRows[T][number][] } = {
    ticks: [],
    bars: [],
    order_book: [],
    factors: [],
    adj_factors: [],
  };
  for (const u of units) {
    pushAll(rows.ticks, u.ticks);
    pushAll(rows.bars, u.bars);
    pushAll(rows.order_book, u.books);
    pushAll(rows.factors, u.factors);
    pushAll(rows.adj_factors, u.adjFactors);
  }
  await writer.run('BEGIN TRANSACTION');
  try {
    for (const table of DATA_TABLES) {
      const owners = units.filter((u) => u.scope.tables.includes(table));
      for (let i = 0; i < owners.length; i += UNITS_PER_STATEMENT) {
        await writer.run(deleteSliceSql(table, owners.slice(i, i + UNITS_PER_STATEMENT)));
      }
    }
    for (const table of DATA_TABLES) await appendTableRows(writer, table, rows[table]);
    await writer.run('COMMIT');
  } catch (error) {
    try {
      await writer.run('ROLLBACK');
    } catch {
      // DuckDB may have ended the failed transaction itself; the original error is what matters.
    }
    throw storageError(error, `write ${units.length} units to DuckDB ${path}`, { path });
  }
}

/** Refuses a file whose tables have other columns than the appenders write (positionally). */
async function checkColumns(writer: DuckDBConnection, path: string): Promise<void> {
  const read = await writer.runAndReadAll(
    "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() WHERE schema_name = 'main' AND database_name = current_database() GROUP BY table_name",
  );
  const actual = new Map(read.getRows().map((r) => [String(r[0]), toPlainValue(r[1] ?? null) as string[]]));
  for (const table of DATA_TABLES) {
    const want = appendedColumnNames(table);
    const have = actual.get(table) ?? [];
    if (want.join(',') !== have.join(',')) {
      throw new IngestError(
        'STORAGE_FAILED',
        `DuckDB ${path}: table ${table} has columns (${have.join(', ')}), expected (${want.join(', ')}); move the file away or use another storage.duckdb.path`,
        { retryable: false, context: { path, table } },
      );
    }
  }
}

function pushAll<T>(into: T[], from: readonly T[]): void {
  for (const x of from) into.push(x);
}

/** One DELETE for the slices of `units` in `table`, joined on a VALUES list of slice keys. */
function deleteSliceSql(table: DataTable, units: readonly ScopedRows[]): string {
  const bars = table === 'bars';
  const values = units
    .map((u) => {
      const parts = [lit(u.scope.source), lit(u.scope.symbol), `CAST(${lit(u.scope.tradeDate)} AS DATE)`];
      if (bars) parts.push(lit(u.scope.interval ?? ''));
      return `(${parts.join(', ')})`;
    })
    .join(', ');
  const cols = bars ? 'source, symbol, trade_date, iv' : 'source, symbol, trade_date';
  const dates = units.map((u) => u.scope.tradeDate).sort();
  // A constant date range lets DuckDB skip row groups by their min/max before the join.
  const range = `${table}.trade_date BETWEEN CAST(${lit(dates[0] ?? '')} AS DATE) AND CAST(${lit(dates[dates.length - 1] ?? '')} AS DATE)`;
  const on = `${range} AND ${table}.source = k.source AND ${table}.symbol = k.symbol AND ${table}.trade_date = k.trade_date`;
  return `DELETE FROM ${table} USING (VALUES ${values}) AS k(${cols}) WHERE ${on}${bars ? ' AND bars."interval" = k.iv' : ''}`;
}

/** A mutex as a promise chain: `run` calls execute one at a time, in call order. */
function createLock(): { run<T>(fn: () => Promise<T>): Promise<T> } {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(fn);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
