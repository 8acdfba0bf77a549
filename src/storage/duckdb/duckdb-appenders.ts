/**
 * Columnar appends through DuckDB's DataChunk appender (measured, docs/STORAGE.md "DuckDB": ~520k rows/s, against 78k
 * for row-by-row appends with list columns). Column order matches `duckdb-schema.ts`.
 *
 * (Measured: staging rows with dictionary-coded strings in a temp table and decoding them with one
 * `INSERT ... SELECT` was slower than appending to the table directly, books ~2x.)
 */
import {
  BIGINT,
  DATE,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBTimestampValue,
  LIST,
  TIMESTAMP,
  VARCHAR,
  listValue,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { AdjFactor, Bar, BookSnapshot, FactorValue, Tick } from '../../domain/rows.js';
import type { DataTable } from '../unit-scope.js';

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;
const MS_PER_DAY = 86_400_000;

interface Column<R> {
  /** Column name in the table. */
  name: string;
  type: DuckDBType;
  value: (row: R, dates: DateCache) => DuckDBValue;
}

/** Parses each distinct `YYYY-MM-DD` once per append (all rows of a unit share one date). */
class DateCache {
  private readonly byText = new Map<string, DuckDBDateValue>();
  get(text: string): DuckDBDateValue {
    let v = this.byText.get(text);
    if (v === undefined) {
      v = new DuckDBDateValue(Math.floor(Date.parse(`${text}T00:00:00Z`) / MS_PER_DAY));
      this.byText.set(text, v);
    }
    return v;
  }
}

const ts = (ms: number): DuckDBTimestampValue => new DuckDBTimestampValue(BigInt(ms) * 1000n);
const doubles = (xs: readonly number[]): DuckDBValue => listValue(xs);

const TICK_COLUMNS: Column<Tick>[] = [
  { name: 'symbol', type: VARCHAR, value: (r) => r.symbol },
  { name: 'ts', type: TIMESTAMP, value: (r) => ts(r.ts) },
  { name: 'seq', type: BIGINT, value: (r) => BigInt(r.seq) },
  { name: 'price', type: DOUBLE, value: (r) => r.price },
  { name: 'volume', type: DOUBLE, value: (r) => r.volume },
  { name: 'amount', type: DOUBLE, value: (r) => r.amount },
  { name: 'side', type: VARCHAR, value: (r) => r.side },
  { name: 'source', type: VARCHAR, value: (r) => r.source },
  { name: 'trade_date', type: DATE, value: (r, d) => d.get(r.tradeDate) },
];

const BAR_COLUMNS: Column<Bar>[] = [
  { name: 'symbol', type: VARCHAR, value: (r) => r.symbol },
  { name: 'interval', type: VARCHAR, value: (r) => r.interval },
  { name: 'ts', type: TIMESTAMP, value: (r) => ts(r.ts) },
  { name: 'open', type: DOUBLE, value: (r) => r.open },
  { name: 'high', type: DOUBLE, value: (r) => r.high },
  { name: 'low', type: DOUBLE, value: (r) => r.low },
  { name: 'close', type: DOUBLE, value: (r) => r.close },
  { name: 'volume', type: DOUBLE, value: (r) => r.volume },
  { name: 'amount', type: DOUBLE, value: (r) => r.amount },
  { name: 'source', type: VARCHAR, value: (r) => r.source },
  { name: 'trade_date', type: DATE, value: (r, d) => d.get(r.tradeDate) },
];

const BOOK_COLUMNS: Column<BookSnapshot>[] = [
  { name: 'symbol', type: VARCHAR, value: (r) => r.symbol },
  { name: 'ts', type: TIMESTAMP, value: (r) => ts(r.ts) },
  { name: 'bid_prices', type: LIST(DOUBLE), value: (r) => doubles(r.bidPrices) },
  { name: 'bid_volumes', type: LIST(DOUBLE), value: (r) => doubles(r.bidVolumes) },
  { name: 'ask_prices', type: LIST(DOUBLE), value: (r) => doubles(r.askPrices) },
  { name: 'ask_volumes', type: LIST(DOUBLE), value: (r) => doubles(r.askVolumes) },
  { name: 'source', type: VARCHAR, value: (r) => r.source },
  { name: 'trade_date', type: DATE, value: (r, d) => d.get(r.tradeDate) },
];

const FACTOR_COLUMNS: Column<FactorValue>[] = [
  { name: 'symbol', type: VARCHAR, value: (r) => r.symbol },
  { name: 'ts', type: TIMESTAMP, value: (r) => ts(r.ts) },
  { name: 'factor', type: VARCHAR, value: (r) => r.factor },
  { name: 'value', type: DOUBLE, value: (r) => r.value },
  { name: 'source', type: VARCHAR, value: (r) => r.source },
  { name: 'trade_date', type: DATE, value: (r, d) => d.get(r.tradeDate) },
];

const ADJ_FACTOR_COLUMNS: Column<AdjFactor>[] = [
  { name: 'symbol', type: VARCHAR, value: (r) => r.symbol },
  { name: 'trade_date', type: DATE, value: (r, d) => d.get(r.tradeDate) },
  { name: 'adj_factor', type: DOUBLE, value: (r) => r.adjFactor },
  { name: 'source', type: VARCHAR, value: (r) => r.source },
];

/** Rows to append, per data table. */
export interface TableRows {
  ticks: readonly Tick[];
  bars: readonly Bar[];
  order_book: readonly BookSnapshot[];
  factors: readonly FactorValue[];
  adj_factors: readonly AdjFactor[];
}

const COLUMNS: { [T in DataTable]: Column<TableRows[T][number]>[] } = {
  ticks: TICK_COLUMNS,
  bars: BAR_COLUMNS,
  order_book: BOOK_COLUMNS,
  factors: FACTOR_COLUMNS,
  adj_factors: ADJ_FACTOR_COLUMNS,
};

/** The columns each table must have, in order: appends are positional. */
export function appendedColumnNames(table: DataTable): string[] {
  return COLUMNS[table].map((c) => c.name);
}

/**
 * Appends `rows` to `table` with one appender, a data chunk per 2048 rows. Runs inside the
 * caller's transaction: the rows become visible (and durable) only with its COMMIT.
 */
export async function appendTableRows<T extends DataTable>(
  connection: DuckDBConnection,
  table: T,
  rows: TableRows[T],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = COLUMNS[table] as Column<TableRows[T][number]>[];
  const types = columns.map((c) => c.type);
  const dates = new DateCache();
  const appender = await connection.createAppender(table);
  let closed = false;
  try {
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      const end = Math.min(rows.length, start + CHUNK_ROWS);
      const chunk = DuckDBDataChunk.create(types, end - start);
      const values: DuckDBValue[][] = columns.map(() => new Array<DuckDBValue>(end - start));
      for (let c = 0; c < columns.length; c++) {
        const column = columns[c] as Column<TableRows[T][number]>;
        const out = values[c] as DuckDBValue[];
        for (let i = start; i < end; i++)
          out[i - start] = column.value(rows[i] as TableRows[T][number], dates);
      }
      chunk.setColumns(values);
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
    closed = true;
  } finally {
    if (!closed) {
      try {
        appender.closeSync();
      } catch {
        // The append already failed; that error is the one to report and the transaction rolls back.
      }
    }
  }
}
