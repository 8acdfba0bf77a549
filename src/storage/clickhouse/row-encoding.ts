/**
 * Rows to JSONEachRow objects and query results back to plain values, for both schema flavors
 * of `ddl.ts`. Times are written as exact strings or whole numbers, never ISO with `Z`, so no
 * `date_time_input_format` is needed (18.16 rejects ISO-8601 in basic mode).
 */
import { adjFactorColumns, barColumns, bookColumns, factorColumns, tickColumns } from '../table-columns.js';
import type { RowSet } from '../../domain/rows.js';
import type { LedgerEntry } from '../../ledger/ledger-entry.js';
import type { QueryResult } from '../store.js';
import type { ClickHouseFlavor, ClickHouseTable } from './ddl.js';
import { intervalSeconds } from './ddl.js';

/** A row ready for JSONEachRow, keyed by column name. */
export type EncodedRow = Record<string, unknown>;

/** Table → encoded rows, for one write. */
export type EncodedTables = Map<ClickHouseTable, EncodedRow[]>;

/** `YYYY-MM-DD hh:mm:ss.mmm` in UTC: what a `DateTime64(3, 'UTC')` column parses exactly. */
function dateTime64Text(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** The column values of a time `epochMs` for a column `name`. */
function timeFields(flavor: ClickHouseFlavor, name: string, epochMs: number): EncodedRow {
  return { [name]: flavor === 'modern' ? dateTime64Text(epochMs) : epochMs };
}

/** Encodes a row set into per-table rows. Empty tables are left out. */
export function encodeRowSet(
  flavor: ClickHouseFlavor,
  rows: RowSet,
  into: EncodedTables = new Map(),
): EncodedTables {
  const push = (table: ClickHouseTable, encoded: EncodedRow[]): void => {
    if (encoded.length === 0) return;
    const list = into.get(table);
    if (list === undefined) into.set(table, encoded);
    else for (const r of encoded) list.push(r);
  };
  const time = (ms: number): unknown => (flavor === 'modern' ? dateTime64Text(ms) : ms);
  push(
    'ticks',
    (rows.ticks ?? []).map((t) => tickColumns(t, time)),
  );
  push(
    'bars',
    (rows.bars ?? []).map((b) => ({
      ...barColumns(b, time),
      ...(flavor === 'legacy' ? { interval_seconds: intervalSeconds(b.interval) } : {}),
    })),
  );
  push(
    'order_book',
    (rows.books ?? []).map((b) => bookColumns(b, time)),
  );
  push(
    'factors',
    (rows.factors ?? []).map((f) => factorColumns(f, time)),
  );
  push('adj_factors', (rows.adjFactors ?? []).map(adjFactorColumns));
  return into;
}

/** Encodes a ledger entry; `version` orders entries of the same unit (highest wins). */
export function encodeLedgerEntry(flavor: ClickHouseFlavor, entry: LedgerEntry, version: number): EncodedRow {
  return {
    provider: entry.provider,
    data_type: entry.dataType,
    symbol: entry.symbol,
    trade_date: entry.tradeDate,
    status: entry.status,
    rows: entry.rows,
    attempts: entry.attempts,
    error_code: entry.errorCode,
    error_message: entry.errorMessage,
    run_id: entry.runId,
    ...timeFields(flavor, 'updated_at', entry.updatedAt),
    version,
  };
}

/** A ClickHouse SQL string literal (query parameters do not exist on 18.16). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Type name without `Nullable(…)` / `LowCardinality(…)` wrappers. */
function baseType(type: string): string {
  let t = type.trim();
  for (;;) {
    const m = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(t);
    if (m?.[1] === undefined) return t;
    t = m[1].trim();
  }
}

/** `2025-06-05 01:30:03[.123456]` (UTC) → `2025-06-05T01:30:03.123Z`. */
function isoFromDateTimeText(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?/.exec(text);
  if (m === null) return text;
  const ms = (m[3] ?? '').padEnd(3, '0').slice(0, 3);
  return `${m[1]}T${m[2]}.${ms}Z`;
}

/** Converts one JSON value of ClickHouse type `type` into the plain value `query()` promises. */
export function decodeValue(type: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const t = baseType(type);
  if (t.startsWith('Array(') && Array.isArray(value)) {
    const inner = t.slice('Array('.length, -1);
    return value.map((v) => decodeValue(inner, v));
  }
  if (/^DateTime(64)?\b/.test(t) && typeof value === 'string') return isoFromDateTimeText(value);
  if (/^(U?Int\d+|Float\d+|Decimal)/.test(t) && typeof value === 'string') {
    const n = Number(value);
    return Number.isNaN(n) && value !== 'nan' ? value : n;
  }
  return value;
}

/** A `JSONCompact` response body. */
export interface JsonCompactBody {
  meta: { name: string; type: string }[];
  data: unknown[][];
}

/** Legacy time columns (UInt64 epoch ms) that `query()` answers as ISO-8601. */
const LEGACY_TIME_COLUMNS: ReadonlySet<string> = new Set(['ts', 'updated_at']);

/**
 * Turns a `JSONCompact` body into a {@link QueryResult}. Server time zones are assumed UTC
 * (the store's columns are all `'UTC'`). On the legacy flavor, integer columns named `ts` or
 * `updated_at` hold epoch ms (see `ddl.ts`) and come back as ISO-8601 strings.
 */
export function decodeQueryResult(body: JsonCompactBody, flavor: ClickHouseFlavor = 'modern'): QueryResult {
  const epochMsColumns = body.meta.map(
    (m) => flavor === 'legacy' && LEGACY_TIME_COLUMNS.has(m.name) && /^U?Int64$/.test(baseType(m.type)),
  );
  const rows = body.data.map((row) =>
    row.map((value, i) => {
      if (epochMsColumns[i] === true && value !== null) {
        const ms = Number(value);
        if (Number.isFinite(ms)) return new Date(ms).toISOString();
      }
      return decodeValue(body.meta[i]?.type ?? 'String', value);
    }),
  );
  return { columns: body.meta.map((m) => m.name), rows };
}
