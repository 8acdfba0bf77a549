/**
 * What one unit owns in the store, shared by every `Store` implementation so that they agree on
 * identities and on what a rewrite replaces.
 *
 * A unit (provider, data type, symbol, trade date) owns, in each table its data type writes, the
 * rows with `source = provider`, that `symbol` and that `trade_date` (and in `bars`, the
 * interval of its data type). Writing a unit replaces exactly that slice:
 *
 * | data type    | tables                    | slice key                                  |
 * | ------------ | ------------------------- | ------------------------------------------ |
 * | `ticks`      | `ticks`                   | source, symbol, trade_date                 |
 * | `bars_1m`    | `bars`                    | source, symbol, trade_date, interval='1m'  |
 * | `bars_1d`    | `bars`, `adj_factors`     | source, symbol, trade_date (+ '1d' in bars)|
 * | `order_book` | `order_book`              | source, symbol, trade_date                 |
 * | `factors`    | `factors`                 | source, symbol, trade_date                 |
 *
 * Row identities (each logical row exactly once): ticks (source, symbol, ts, seq); bars (source,
 * symbol, interval, ts); order_book (source, symbol, ts); factors (source, symbol, factor, ts);
 * adj_factors (source, symbol, trade_date); ingest_ledger (provider, data_type, symbol,
 * trade_date). Within one unit write, the last row of an identity wins.
 */
import { intervalOf, type BarInterval } from '../domain/data-type.js';
import type { AdjFactor, Bar, BookSnapshot, FactorValue, RowSet, Tick } from '../domain/rows.js';
import { IngestError } from '../errors.js';
import type { UnitKey } from '../ledger/ledger-entry.js';
import type { UnitWrite } from './store.js';

/** Tables holding market data (everything but the ledger). */
export const DATA_TABLES = ['ticks', 'bars', 'order_book', 'factors', 'adj_factors'] as const;
/** A market-data table name. */
export type DataTable = (typeof DATA_TABLES)[number];

/** Every table a store creates. */
export const STORE_TABLES = [...DATA_TABLES, 'ingest_ledger'] as const;
/** A table name of docs/STORAGE.md, "Tables". */
export type StoreTable = (typeof STORE_TABLES)[number];

/** The slice of the store one unit owns. */
export interface UnitScope {
  /** The unit's provider; the `source` column. */
  source: string;
  symbol: string;
  tradeDate: string;
  /** Tables the unit's data type writes; each is replaced as a whole slice. */
  tables: readonly DataTable[];
  /** The `bars.interval` of a bars unit, else null. */
  interval: BarInterval | null;
}

/** The tables and slice a unit owns. */
export function unitScopeOf(unit: UnitKey): UnitScope {
  const base = { source: unit.provider, symbol: unit.symbol, tradeDate: unit.tradeDate };
  switch (unit.dataType) {
    case 'ticks':
      return { ...base, tables: ['ticks'], interval: null };
    case 'bars_1m':
      return { ...base, tables: ['bars'], interval: intervalOf('bars_1m') };
    case 'bars_1d':
      return { ...base, tables: ['bars', 'adj_factors'], interval: intervalOf('bars_1d') };
    case 'order_book':
      return { ...base, tables: ['order_book'], interval: null };
    case 'factors':
      return { ...base, tables: ['factors'], interval: null };
  }
}

const ROW_TABLE = {
  ticks: 'ticks',
  bars: 'bars',
  books: 'order_book',
  factors: 'factors',
  adjFactors: 'adj_factors',
} as const satisfies Record<Exclude<keyof RowSet, 'prevClose'>, DataTable>;

/** A unit's rows, checked and with one row per identity. */
export interface ScopedRows {
  unit: UnitKey;
  scope: UnitScope;
  ticks: Tick[];
  bars: Bar[];
  books: BookSnapshot[];
  factors: FactorValue[];
  adjFactors: AdjFactor[];
}

/**
 * Checks that every row belongs to the unit (its table, source, symbol, trade date, interval) and
 * keeps the last row of each identity. A row outside its unit would survive the unit's rewrite and
 * break idempotency, so it is refused as an `INTERNAL` error (a bug in the caller).
 */
export function scopeUnitRows(write: UnitWrite): ScopedRows {
  const scope = unitScopeOf(write.unit);
  const rows = write.rows;
  for (const [field, table] of Object.entries(ROW_TABLE) as [keyof typeof ROW_TABLE, DataTable][]) {
    const list = rows[field];
    if (list !== undefined && list.length > 0 && !scope.tables.includes(table)) {
      throw outOfUnit(
        write.unit,
        `carries ${list.length} ${field} rows, but a ${write.unit.dataType} unit writes only ${scope.tables.join(', ')}`,
      );
    }
  }
  const check = (row: { symbol: string; source: string; tradeDate: string }, what: string): void => {
    if (row.symbol !== scope.symbol || row.source !== scope.source || row.tradeDate !== scope.tradeDate) {
      throw outOfUnit(write.unit, `has a ${what} row of ${row.source}/${row.symbol}/${row.tradeDate}`);
    }
  };
  const checkTs = (ts: number, what: string): void => {
    if (!Number.isSafeInteger(ts))
      throw outOfUnit(write.unit, `has a ${what} row with ts ${ts} (not epoch milliseconds)`);
  };
  for (const t of rows.ticks ?? []) {
    check(t, 'tick');
    checkTs(t.ts, 'tick');
  }
  for (const b of rows.bars ?? []) {
    check(b, 'bar');
    checkTs(b.ts, 'bar');
    if (b.interval !== scope.interval) throw outOfUnit(write.unit, `has a bar of interval ${b.interval}`);
  }
  for (const b of rows.books ?? []) {
    check(b, 'order_book');
    checkTs(b.ts, 'order_book');
  }
  for (const f of rows.factors ?? []) {
    check(f, 'factor');
    checkTs(f.ts, 'factor');
  }
  for (const a of rows.adjFactors ?? []) check(a, 'adj_factor');
  return {
    unit: write.unit,
    scope,
    ticks: lastPerIdentity(
      rows.ticks ?? [],
      (a, b) => a.ts - b.ts || a.seq - b.seq,
      (t) => `${t.ts}|${t.seq}`,
    ),
    bars: lastPerIdentity(
      rows.bars ?? [],
      (a, b) => a.ts - b.ts,
      (b) => String(b.ts),
    ),
    books: lastPerIdentity(
      rows.books ?? [],
      (a, b) => a.ts - b.ts,
      (b) => String(b.ts),
    ),
    factors: lastPerIdentity(
      rows.factors ?? [],
      (a, b) => a.ts - b.ts || compareStrings(a.factor, b.factor),
      (f) => `${f.ts}|${f.factor}`,
    ),
    adjFactors: (rows.adjFactors ?? []).slice(-1),
  };
}

/** Stable string key of a unit's slice of `table`, for maps (`source|symbol|tradeDate[|interval]`). */
export function sliceKey(scope: UnitScope, table: DataTable): string {
  const base = `${scope.source}|${scope.symbol}|${scope.tradeDate}`;
  return table === 'bars' ? `${base}|${scope.interval ?? ''}` : base;
}

/**
 * Keeps the last row of each identity, ordered by each identity's last occurrence. Rows already strictly ascending by
 * `compare` (the usual case) are returned as they are without building keys.
 */
function lastPerIdentity<T>(
  rows: readonly T[],
  compare: (a: T, b: T) => number,
  key: (row: T) => string,
): T[] {
  let ascending = true;
  for (let i = 1; i < rows.length; i++) {
    if (compare(rows[i - 1] as T, rows[i] as T) >= 0) {
      ascending = false;
      break;
    }
  }
  if (ascending) return rows as T[];
  const byKey = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    // Delete first so that the map keeps last-write order, matching "last row wins".
    byKey.delete(k);
    byKey.set(k, row);
  }
  return [...byKey.values()];
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function outOfUnit(unit: UnitKey, what: string): IngestError {
  return new IngestError(
    'INTERNAL',
    `Refused to write unit ${unit.provider}/${unit.dataType}/${unit.symbol}/${unit.tradeDate}: it ${what}; a unit may only carry its own rows`,
    { retryable: false, context: { ...unit } },
  );
}
