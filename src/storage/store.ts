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
import type { StoreAvailability } from './store-availability.js';
import type { LiveStore } from './live-store.js';

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
  /** Outage signal of a store on a server (see `store-availability.ts`); absent when it cannot go away. */
  readonly availability?: StoreAvailability;
  /** Live collection (`tickpipe collect`), on stores that support it (see `live-store.ts`). */
  readonly live?: LiveStore;
  init(params?: { signal?: AbortSignal }): Promise<void>;
  write(params: { units: readonly UnitWrite[]; signal?: AbortSignal }): Promise<void>;
  writeLedger(params: { entries: readonly LedgerEntry[]; signal?: AbortSignal }): Promise<void>;
  readLedger(params?: { filter?: LedgerFilter; signal?: AbortSignal }): Promise<LedgerEntry[]>;
  query(params: { sql: string; signal?: AbortSignal }): Promise<QueryResult>;
  close(): Promise<void>;
}

const READ_STATEMENT = /^(select|with|show|describe|desc|explain|summarize|values|from|table|exists)\b/i;

/**
 * Splits SQL into statements with comments removed, respecting string literals and quoted
 * identifiers (a `;` or `--` inside quotes is text, not syntax).
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  for (let i = 0; i < sql.length;) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
      current += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      current += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === '\\' && c === "'") j++;
        else if (sql[j] === c) {
          if (sql[j + 1] === c) j++;
          else break;
        }
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === ';') {
      statements.push(current);
      current = '';
      i++;
    } else {
      current += c;
      i++;
    }
  }
  statements.push(current);
  return statements.map((st) => st.trim()).filter((st) => st.length > 0);
}

/**
 * True when every statement of `sql` is a read (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, ...).
 * Stores call this before `query()`; it guards against users' mistakes, backed by read-only
 * connections where the engine supports them.
 */
export function isReadOnlySql(sql: string): boolean {
  const statements = splitSqlStatements(sql);
  return statements.length > 0 && statements.every((st) => READ_STATEMENT.test(st.replace(/^\(+\s*/, '')));
}
