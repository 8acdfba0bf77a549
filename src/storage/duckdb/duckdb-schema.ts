/**
 * DuckDB tables of docs/STORAGE.md, "Tables" (the same names and columns as ClickHouse). Times are `TIMESTAMP`
 * holding UTC instants (microsecond storage, written at millisecond precision); `trade_date` is
 * the exchange-local `DATE`. Data tables have no primary key: identity is kept by replacing each
 * unit's slice in one transaction (see `unit-scope.ts`), which keeps appends at full speed. The
 * ledger has a primary key so that `INSERT OR REPLACE` upserts it.
 */
import type { StoreTable } from '../unit-scope.js';

/** `CREATE TABLE IF NOT EXISTS` statements, one per table. */
export const DUCKDB_DDL: Readonly<Record<StoreTable, string>> = {
  ticks: `CREATE TABLE IF NOT EXISTS ticks (
    symbol VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, seq BIGINT NOT NULL,
    price DOUBLE, volume DOUBLE, amount DOUBLE, side VARCHAR,
    source VARCHAR NOT NULL, trade_date DATE NOT NULL)`,
  bars: `CREATE TABLE IF NOT EXISTS bars (
    symbol VARCHAR NOT NULL, "interval" VARCHAR NOT NULL, ts TIMESTAMP NOT NULL,
    open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE, amount DOUBLE,
    source VARCHAR NOT NULL, trade_date DATE NOT NULL)`,
  order_book: `CREATE TABLE IF NOT EXISTS order_book (
    symbol VARCHAR NOT NULL, ts TIMESTAMP NOT NULL,
    bid_prices DOUBLE[], bid_volumes DOUBLE[], ask_prices DOUBLE[], ask_volumes DOUBLE[],
    source VARCHAR NOT NULL, trade_date DATE NOT NULL)`,
  factors: `CREATE TABLE IF NOT EXISTS factors (
    symbol VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, factor VARCHAR NOT NULL, value DOUBLE,
    source VARCHAR NOT NULL, trade_date DATE NOT NULL)`,
  adj_factors: `CREATE TABLE IF NOT EXISTS adj_factors (
    symbol VARCHAR NOT NULL, trade_date DATE NOT NULL, adj_factor DOUBLE, source VARCHAR NOT NULL)`,
  ingest_ledger: `CREATE TABLE IF NOT EXISTS ingest_ledger (
    provider VARCHAR NOT NULL, data_type VARCHAR NOT NULL, symbol VARCHAR NOT NULL,
    trade_date DATE NOT NULL, status VARCHAR NOT NULL, "rows" BIGINT NOT NULL,
    attempts INTEGER NOT NULL, error_code VARCHAR, error_message VARCHAR, run_id VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, data_type, symbol, trade_date))`,
};
