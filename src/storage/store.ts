/**
 * The store port: where rows and the ingest ledger live. Implementations: `MemoryStore`
 * (tests), `DuckDbStore` (embedded default), `ClickHouseStore` (server). Every store passes the
 * same contract suite in `test/store-contract.ts`.
 *
 * Promises:
 * - `init()` creates the tables of SPEC §3 when missing; safe to call on every start.
 * - `write()` is idempotent per unit: writing the same unit's rows any number of times (also
 *   after a crash mid-write) leaves each logical row exactly once (ClickHouse: as read with FINAL).
 *   When it resolves, the rows are durable.
 * - `writeLedger()` upserts: the latest entry for a unit wins.
 * - `query()` is read-only: statements that would modify data are refused with `USAGE`.
 * Leaves out: schema migrations, retention, cross-unit transactions.
 * Resources: the store owns its connection(s) and releases them in `close()`.
 */
import type { RowSet } from '../domain/rows.js';
import type { LedgerEntry, UnitKey, UnitStatus } from '../ledger/ledger-entry.js';

/** The rows of one unit, to be written idempotently. */
export interface UnitWrite {
  unit: UnitKey;
  /** Rows belonging to this unit only (its symbol, trade date, source and data type). */
  rows: RowSet;
}

/** Filter for {@link Store.readLedger}; every field optional, all given fields must match. */
export interface LedgerFilter {
  provider?: string;
  dataTypes?: readonly string[];
  symbols?: readonly string[];
  /** Inclusive date bounds `YYYY-MM-DD`. */
  startDate?: string;
  endDate?: string;
  statuses?: readonly UnitStatus[];
  runId?: string;
}

/** Result of a read-only query: column names and rows of plain JS values. */
export interface QueryResult {
  columns: string[];
  /** Values: numbers, strings, booleans, null, arrays; timestamps as ISO-8601 strings (UTC), dates as `YYYY-MM-DD`. */
  rows: unknown[][];
}

/** The store port. */
export interface Store {
  /** `memory`, `duckdb` or `clickhouse`. */
  readonly kind: string;
  init(params?: { signal?: AbortSignal }): Promise<void>;
  write(params: { units: readonly UnitWrite[]; signal?: AbortSignal }): Promise<void>;
  writeLedger(params: { entries: readonly LedgerEntry[]; signal?: AbortSignal }): Promise<void>;
  readLedger(params?: { filter?: LedgerFilter; signal?: AbortSignal }): Promise<LedgerEntry[]>;
  query(params: { sql: string; signal?: AbortSignal }): Promise<QueryResult>;
  close(): Promise<void>;
}

const WRITE_SQL =
  /^\s*(insert|update|delete|drop|create|alter|truncate|attach|detach|copy|install|load|optimize|rename|grant|revoke|kill|system|set|pragma|checkpoint|export|import|vacuum|call|use)\b/i;

/**
 * Rejects SQL that is not a read. Stores call this before `query()`; it is a guard for users'
 * mistakes, backed by read-only connections where the engine supports them.
 */
export function isReadOnlySql(sql: string): boolean {
  const stripped = sql.replace(/^\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/)*/g, '');
  if (WRITE_SQL.test(stripped)) return false;
  // Several statements: each must be a read.
  const parts = stripped.split(';').filter((s) => s.trim().length > 0);
  return parts.every((p) => !WRITE_SQL.test(p));
}
