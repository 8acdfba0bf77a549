/** The unit ledger in DuckDB: batched upserts and filtered reads of `ingest_ledger`. */
import {
  BIGINT,
  DATE,
  DuckDBTimestampValue,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { ConcreteDataType } from '../../domain/data-type.js';
import type { LedgerEntry, UnitStatus } from '../../ledger/ledger-entry.js';
import type { LedgerFilter } from '../store.js';
import { dateValue, UNITS_PER_STATEMENT } from './duckdb-sql.js';
import { toPlainValue } from './duckdb-values.js';

const LEDGER_TYPES: DuckDBType[] = [
  VARCHAR,
  VARCHAR,
  VARCHAR,
  DATE,
  VARCHAR,
  BIGINT,
  INTEGER,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  TIMESTAMP,
];

/** Inserts or replaces ledger entries in one transaction. */
export async function upsertLedger(writer: DuckDBConnection, entries: readonly LedgerEntry[]): Promise<void> {
  await writer.run('BEGIN TRANSACTION');
  try {
    for (let i = 0; i < entries.length; i += UNITS_PER_STATEMENT) {
      const batch = entries.slice(i, i + UNITS_PER_STATEMENT);
      const values: DuckDBValue[] = [];
      const types: DuckDBType[] = [];
      const tuples: string[] = [];
      for (const e of batch) {
        const base = values.length;
        tuples.push(`(${LEDGER_TYPES.map((_, j) => `$${base + j + 1}`).join(', ')})`);
        values.push(
          e.provider,
          e.dataType,
          e.symbol,
          dateValue(e.tradeDate),
          e.status,
          BigInt(e.rows),
          e.attempts,
          e.errorCode,
          e.errorMessage,
          e.runId,
          new DuckDBTimestampValue(BigInt(Math.trunc(e.updatedAt)) * 1000n),
        );
        types.push(...LEDGER_TYPES);
      }
      await writer.run(`INSERT OR REPLACE INTO ingest_ledger VALUES ${tuples.join(', ')}`, values, types);
    }
    await writer.run('COMMIT');
  } catch (error) {
    try {
      await writer.run('ROLLBACK');
    } catch {
      // See writeUnits.
    }
    throw error;
  }
}

/** Ledger entries matching the filter, ordered by unit key. */
export async function selectLedger(reader: DuckDBConnection, f: LedgerFilter): Promise<LedgerEntry[]> {
  const where: string[] = [];
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  const bind = (v: DuckDBValue, t: DuckDBType): string => {
    values.push(v);
    types.push(t);
    return `$${values.length}`;
  };
  const inList = (col: string, xs: readonly string[]): void => {
    where.push(xs.length === 0 ? 'false' : `${col} IN (${xs.map((x) => bind(x, VARCHAR)).join(', ')})`);
  };
  if (f.provider !== undefined) where.push(`provider = ${bind(f.provider, VARCHAR)}`);
  if (f.dataTypes !== undefined) inList('data_type', f.dataTypes);
  if (f.symbols !== undefined) inList('symbol', f.symbols);
  if (f.startDate !== undefined) where.push(`trade_date >= ${bind(dateValue(f.startDate), DATE)}`);
  if (f.endDate !== undefined) where.push(`trade_date <= ${bind(dateValue(f.endDate), DATE)}`);
  if (f.statuses !== undefined) inList('status', f.statuses);
  if (f.runId !== undefined) where.push(`run_id = ${bind(f.runId, VARCHAR)}`);
  const sql =
    'SELECT provider, data_type, symbol, trade_date, status, "rows", attempts, error_code, error_message, run_id, updated_at ' +
    `FROM ingest_ledger${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ` +
    'ORDER BY provider, data_type, symbol, trade_date';
  const reader_ = await reader.runAndReadAll(sql, values, types);
  return reader_.getRows().map((r) => {
    const [
      provider,
      dataType,
      symbol,
      tradeDate,
      status,
      rows,
      attempts,
      errorCode,
      errorMessage,
      runId,
      updatedAt,
    ] = r.map(toPlainValue);
    return {
      provider: provider as string,
      dataType: dataType as ConcreteDataType,
      symbol: symbol as string,
      tradeDate: tradeDate as string,
      status: status as UnitStatus,
      rows: rows as number,
      attempts: attempts as number,
      errorCode: errorCode as string | null,
      errorMessage: errorMessage as string | null,
      runId: runId as string,
      updatedAt: Date.parse(updatedAt as string),
    };
  });
}
