/**
 * The live-collection part of `DuckDbStore` (see `live-store.ts`). Tables `live_quotes` (the
 * provider state behind each stored snapshot) and `collect_coverage` (one row per source,
 * symbol, trade date). An append runs in one transaction: rows of the batch's identities that are
 * already stored are deleted first (only rows at or after the batch's earliest time are looked at,
 * which DuckDB prunes by row-group min/max), then the batch is appended.
 */
import {
  BIGINT,
  DATE,
  DOUBLE,
  DuckDBDateValue,
  DuckDBTimestampValue,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { BookSnapshot, Side, Tick } from '../../domain/rows.js';
import type { Ticker } from '../../domain/ticker.js';
import type { CoverageRow, LiveBatch, LiveLastState, LiveQuoteRow, LiveStore } from '../live-store.js';
import { appendTableRows } from './duckdb-appenders.js';
import { toPlainValue } from './duckdb-values.js';

/** `CREATE TABLE IF NOT EXISTS` of the live tables. */
export const DUCKDB_LIVE_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS live_quotes (
    source VARCHAR NOT NULL, symbol VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, trade_date DATE NOT NULL,
    last_trade_ts TIMESTAMP, price DOUBLE, cum_volume DOUBLE, cum_amount DOUBLE,
    trade_price DOUBLE, trade_side VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS collect_coverage (
    source VARCHAR NOT NULL, symbol VARCHAR NOT NULL, trade_date DATE NOT NULL,
    first_ts TIMESTAMP NOT NULL, last_ts TIMESTAMP NOT NULL, polls BIGINT NOT NULL,
    snapshots BIGINT NOT NULL, gaps INTEGER NOT NULL, longest_gap_ms BIGINT NOT NULL,
    interval_ms BIGINT NOT NULL, updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, symbol, trade_date))`,
];

/** How the live part reaches its store's connections (each call runs under the store's lock). */
export interface DuckDbLiveDeps {
  withWriter<T>(fn: (writer: DuckDBConnection) => Promise<T>, what: string, signal?: AbortSignal): Promise<T>;
  withReader<T>(fn: (reader: DuckDBConnection) => Promise<T>, what: string, signal?: AbortSignal): Promise<T>;
}

const ROWS_PER_STATEMENT = 500;
const MS_PER_DAY = 86_400_000;

/** Creates the live part. */
export function createDuckDbLive(deps: DuckDbLiveDeps): LiveStore {
  return {
    append: ({ batch, signal }) =>
      deps.withWriter((writer) => appendBatch(writer, batch), 'append live rows', signal),
    lastState: ({ source, tradeDate, signal }) =>
      deps.withReader((reader) => selectLastState(reader, source, tradeDate), 'read live state', signal),
    dayRows: ({ source, symbol, tradeDate, signal }) =>
      deps.withReader(
        (reader) => selectDayRows(reader, source, symbol, tradeDate),
        'read a collected day',
        signal,
      ),
    coverage: (params) =>
      deps.withReader((reader) => selectCoverage(reader, params), 'read coverage', params.signal),
  };
}

async function appendBatch(writer: DuckDBConnection, batch: LiveBatch): Promise<void> {
  await writer.run('BEGIN TRANSACTION');
  try {
    await deleteIdentities(writer, 'order_book', batch.books);
    await deleteIdentities(writer, 'ticks', batch.ticks);
    await deleteIdentities(writer, 'live_quotes', batch.quotes);
    await appendTableRows(writer, 'order_book', batch.books);
    await appendTableRows(writer, 'ticks', batch.ticks);
    await insertQuotes(writer, batch.quotes);
    await upsertCoverage(writer, batch.coverage);
    await writer.run('COMMIT');
  } catch (error) {
    try {
      await writer.run('ROLLBACK');
    } catch {
      // DuckDB may have ended the failed transaction itself; the original error is what matters.
    }
    throw error;
  }
}

/** Deletes stored rows with the (source, symbol, ts) of `rows`, per source and trade date. */
async function deleteIdentities(
  writer: DuckDBConnection,
  table: 'order_book' | 'ticks' | 'live_quotes',
  rows: readonly { source: string; symbol: string; ts: number; tradeDate: string }[],
): Promise<void> {
  const groups = new Map<string, (typeof rows)[number][]>();
  for (const r of rows) {
    const k = `${r.source}|${r.tradeDate}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [r]);
    else g.push(r);
  }
  for (const g of groups.values()) {
    const first = g[0];
    if (first === undefined) continue;
    const minTs = Math.min(...g.map((r) => r.ts));
    for (let i = 0; i < g.length; i += ROWS_PER_STATEMENT) {
      const values = g
        .slice(i, i + ROWS_PER_STATEMENT)
        .map((r) => `(${lit(r.symbol)}, ${Math.trunc(r.ts)})`)
        .join(', ');
      await writer.run(
        `DELETE FROM ${table} USING (VALUES ${values}) AS k(symbol, ts_ms) WHERE ${table}.source = ${lit(first.source)} ` +
          `AND ${table}.trade_date = CAST(${lit(first.tradeDate)} AS DATE) AND ${table}.ts >= epoch_ms(${Math.trunc(minTs)}) ` +
          `AND ${table}.symbol = k.symbol AND ${table}.ts = epoch_ms(k.ts_ms)`,
      );
    }
  }
}

const QUOTE_TYPES: DuckDBType[] = [
  VARCHAR,
  VARCHAR,
  TIMESTAMP,
  DATE,
  TIMESTAMP,
  DOUBLE,
  DOUBLE,
  DOUBLE,
  DOUBLE,
  VARCHAR,
];

async function insertQuotes(writer: DuckDBConnection, rows: readonly LiveQuoteRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const values: DuckDBValue[] = [];
    const types: DuckDBType[] = [];
    const tuples: string[] = [];
    for (const q of rows.slice(i, i + ROWS_PER_STATEMENT)) {
      const base = values.length;
      tuples.push(`(${QUOTE_TYPES.map((_, j) => `$${base + j + 1}`).join(', ')})`);
      values.push(
        q.source,
        q.symbol,
        timestamp(q.ts),
        dateValue(q.tradeDate),
        q.lastTradeTs === null ? null : timestamp(q.lastTradeTs),
        q.price,
        q.cumVolume,
        q.cumAmount,
        q.tradePrice,
        q.tradeSide,
      );
      types.push(...QUOTE_TYPES);
    }
    await writer.run(`INSERT INTO live_quotes VALUES ${tuples.join(', ')}`, values, types);
  }
}

const COVERAGE_TYPES: DuckDBType[] = [
  VARCHAR,
  VARCHAR,
  DATE,
  TIMESTAMP,
  TIMESTAMP,
  BIGINT,
  BIGINT,
  INTEGER,
  BIGINT,
  BIGINT,
  TIMESTAMP,
];

async function upsertCoverage(writer: DuckDBConnection, rows: readonly CoverageRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const values: DuckDBValue[] = [];
    const types: DuckDBType[] = [];
    const tuples: string[] = [];
    for (const c of rows.slice(i, i + ROWS_PER_STATEMENT)) {
      const base = values.length;
      tuples.push(`(${COVERAGE_TYPES.map((_, j) => `$${base + j + 1}`).join(', ')})`);
      values.push(
        c.source,
        c.symbol,
        dateValue(c.tradeDate),
        timestamp(c.firstTs),
        timestamp(c.lastTs),
        BigInt(c.polls),
        BigInt(c.snapshots),
        c.gaps,
        BigInt(Math.round(c.longestGapMs)),
        BigInt(Math.round(c.intervalMs)),
        timestamp(c.updatedAt),
      );
      types.push(...COVERAGE_TYPES);
    }
    await writer.run(`INSERT OR REPLACE INTO collect_coverage VALUES ${tuples.join(', ')}`, values, types);
  }
}

async function selectLastState(
  reader: DuckDBConnection,
  source: string,
  tradeDate: string,
): Promise<Map<Ticker, LiveLastState>> {
  const read = await reader.runAndReadAll(
    `SELECT q.symbol, epoch_ms(q.ts), epoch_ms(q.last_trade_ts), q.price, q.cum_volume, q.cum_amount, q.trade_price, q.trade_side,
            b.bid_prices, b.bid_volumes, b.ask_prices, b.ask_volumes, b.symbol IS NOT NULL
     FROM (SELECT * FROM live_quotes WHERE source = $1 AND trade_date = $2
           QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY ts DESC) = 1) q
     LEFT JOIN order_book b ON b.source = q.source AND b.trade_date = q.trade_date AND b.symbol = q.symbol AND b.ts = q.ts`,
    [source, dateValue(tradeDate)],
    [VARCHAR, DATE],
  );
  const out = new Map<Ticker, LiveLastState>();
  for (const raw of read.getRows()) {
    const r = raw.map(toPlainValue);
    const symbol = r[0] as string;
    const ts = Number(r[1]);
    const quote: LiveQuoteRow = {
      source,
      symbol,
      ts,
      tradeDate,
      lastTradeTs: r[2] === null ? null : Number(r[2]),
      price: r[3] as number,
      cumVolume: r[4] as number,
      cumAmount: r[5] as number,
      tradePrice: (r[6] as number | null) ?? null,
      tradeSide: (r[7] as Side | null) ?? null,
    };
    const book: BookSnapshot | undefined =
      r[12] === true
        ? {
            symbol,
            ts,
            bidPrices: r[8] as number[],
            bidVolumes: r[9] as number[],
            askPrices: r[10] as number[],
            askVolumes: r[11] as number[],
            source,
            tradeDate,
          }
        : undefined;
    out.set(symbol, { quote, book });
  }
  return out;
}

async function selectDayRows(
  reader: DuckDBConnection,
  source: string,
  symbol: string,
  tradeDate: string,
): Promise<{ ticks: Tick[]; books: BookSnapshot[] }> {
  const params = [source, symbol, dateValue(tradeDate)];
  const types = [VARCHAR, VARCHAR, DATE];
  const where = 'WHERE source = $1 AND symbol = $2 AND trade_date = $3';
  const ticks = await reader.runAndReadAll(
    `SELECT epoch_ms(ts), seq, price, volume, amount, side FROM ticks ${where} ORDER BY ts, seq`,
    params,
    types,
  );
  const books = await reader.runAndReadAll(
    `SELECT epoch_ms(ts), bid_prices, bid_volumes, ask_prices, ask_volumes FROM order_book ${where} ORDER BY ts`,
    params,
    types,
  );
  return {
    ticks: ticks.getRows().map((raw) => {
      const r = raw.map(toPlainValue);
      return {
        symbol,
        ts: Number(r[0]),
        seq: Number(r[1]),
        price: r[2] as number,
        volume: r[3] as number,
        amount: r[4] as number,
        side: r[5] as Side,
        source,
        tradeDate,
      };
    }),
    books: books.getRows().map((raw) => {
      const r = raw.map(toPlainValue);
      return {
        symbol,
        ts: Number(r[0]),
        bidPrices: r[1] as number[],
        bidVolumes: r[2] as number[],
        askPrices: r[3] as number[],
        askVolumes: r[4] as number[],
        source,
        tradeDate,
      };
    }),
  };
}

async function selectCoverage(
  reader: DuckDBConnection,
  f: { source?: string; startDate?: string; endDate?: string; symbols?: readonly string[] },
): Promise<CoverageRow[]> {
  const where: string[] = [];
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  const bind = (v: DuckDBValue, t: DuckDBType): string => {
    values.push(v);
    types.push(t);
    return `$${values.length}`;
  };
  if (f.source !== undefined) where.push(`source = ${bind(f.source, VARCHAR)}`);
  if (f.startDate !== undefined) where.push(`trade_date >= ${bind(dateValue(f.startDate), DATE)}`);
  if (f.endDate !== undefined) where.push(`trade_date <= ${bind(dateValue(f.endDate), DATE)}`);
  if (f.symbols !== undefined) {
    where.push(
      f.symbols.length === 0 ? 'false' : `symbol IN (${f.symbols.map((s) => bind(s, VARCHAR)).join(', ')})`,
    );
  }
  const read = await reader.runAndReadAll(
    'SELECT source, symbol, trade_date, epoch_ms(first_ts), epoch_ms(last_ts), polls, snapshots, gaps, longest_gap_ms, interval_ms, epoch_ms(updated_at) ' +
      `FROM collect_coverage${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY trade_date, source, symbol`,
    values,
    types,
  );
  return read.getRows().map((raw) => {
    const r = raw.map(toPlainValue);
    return {
      source: r[0] as string,
      symbol: r[1] as string,
      tradeDate: r[2] as string,
      firstTs: Number(r[3]),
      lastTs: Number(r[4]),
      polls: Number(r[5]),
      snapshots: Number(r[6]),
      gaps: Number(r[7]),
      longestGapMs: Number(r[8]),
      intervalMs: Number(r[9]),
      updatedAt: Number(r[10]),
    };
  });
}

function timestamp(ms: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Math.trunc(ms)) * 1000n);
}

function dateValue(text: string): DuckDBDateValue {
  return new DuckDBDateValue(Math.floor(Date.parse(`${text}T00:00:00Z`) / MS_PER_DAY));
}

function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
