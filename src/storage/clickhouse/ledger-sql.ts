/**
 * The ledger read: SQL for a {@link LedgerFilter} and the row it answers, for both flavors.
 */
import type { LedgerEntry } from '../../ledger/ledger-entry.js';
import type { LedgerFilter } from '../store.js';
import type { ClickHouseFlavor } from './ddl.js';
import { sqlString } from './row-encoding.js';

/** A SELECT of the latest entry per unit matching `filter`, from `table` (qualified name). */
export function readLedgerSql(flavor: ClickHouseFlavor, table: string, f: LedgerFilter): string {
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
  const updatedAtMs = flavor === 'legacy' ? 'updated_at' : 'toUnixTimestamp64Milli(updated_at)';
  const inner =
    `SELECT provider, data_type, symbol, toString(trade_date) AS trade_day, status, rows, attempts, ` +
    `error_code, error_message, run_id, ${updatedAtMs} AS updated_ms ` +
    `FROM ${table} FINAL` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '');
  return (
    `SELECT * FROM (${inner})` +
    (outer.length > 0 ? ` WHERE ${outer.join(' AND ')}` : '') +
    ' ORDER BY provider, data_type, symbol, trade_day'
  );
}

/** One answered row of {@link readLedgerSql} as a ledger entry. */
export function ledgerEntryOfRow(r: unknown[]): LedgerEntry {
  return {
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
  };
}
