/**
 * The live-collection part (see `live-store.ts`) for a ClickHouse server, over its own client so
 * that the unit-based `ClickHouseStore` stays as it is. Tables `live_quotes` and
 * `collect_coverage` are ReplacingMergeTrees on the row identity (coverage keeps the latest
 * `updated_at`), so appending a batch again leaves each row once under `FINAL`. Books and ticks
 * go into the store's own `order_book` and `ticks` tables with the store's encoding (RowBinary, so
 * Float64 values arrive bit-exact on 18.16). Reads use `FINAL`.
 */
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient, type ClickHouseLogLevel } from '@clickhouse/client';
import type { ResolvedConfig } from '../../config/schema.js';
import type { BookSnapshot, Side, Tick } from '../../domain/rows.js';
import type { Ticker } from '../../domain/ticker.js';
import { IngestError, isIngestError } from '../../errors.js';
import type { CoverageRow, LiveBatch, LiveLastState, LiveQuoteRow, LiveStore } from '../live-store.js';
import {
  flavorOfVersion,
  quoteIdent,
  tableColumns,
  type ClickHouseFlavor,
  type ClickHouseTable,
} from './ddl.js';
import { encodeRowBinary, type BinaryColumn } from './row-binary.js';
import { encodeRowSet, sqlString, type EncodedRow } from './row-encoding.js';

/** A live part that owns its client. */
export interface ClickHouseLive extends LiveStore {
  close(): Promise<void>;
}

function liveColumns(flavor: ClickHouseFlavor): Record<'live_quotes' | 'collect_coverage', BinaryColumn[]> {
  const time = flavor === 'legacy' ? 'UInt64' : "DateTime64(3, 'UTC')";
  const str = flavor === 'legacy' ? 'String' : 'LowCardinality(String)';
  return {
    live_quotes: [
      { name: 'source', type: str },
      { name: 'symbol', type: str },
      { name: 'ts', type: time },
      { name: 'trade_date', type: 'Date' },
      { name: 'last_trade_ts', type: `Nullable(${time})` },
      { name: 'price', type: 'Float64' },
      { name: 'cum_volume', type: 'Float64' },
      { name: 'cum_amount', type: 'Float64' },
      { name: 'trade_price', type: 'Nullable(Float64)' },
      { name: 'trade_side', type: 'Nullable(String)' },
    ],
    collect_coverage: [
      { name: 'source', type: str },
      { name: 'symbol', type: str },
      { name: 'trade_date', type: 'Date' },
      { name: 'first_ts', type: time },
      { name: 'last_ts', type: time },
      { name: 'polls', type: 'UInt64' },
      { name: 'snapshots', type: 'UInt64' },
      { name: 'gaps', type: 'UInt32' },
      { name: 'longest_gap_ms', type: 'UInt64' },
      { name: 'interval_ms', type: 'UInt64' },
      { name: 'updated_at', type: time },
    ],
  };
}

/** Connects, creates the live tables when missing (unless `createTables: false`, for readers), and returns the live part. */
export async function createClickHouseLive(
  cfg: ResolvedConfig['storage']['clickhouse'],
  options: { createTables?: boolean } = {},
): Promise<ClickHouseLive> {
  const rawUrl = (cfg as { url: string | readonly string[] }).url;
  const url = Array.isArray(rawUrl) ? (rawUrl[0] as string) : (rawUrl as string);
  const client: ClickHouseClient = createClient({
    url,
    username: cfg.username,
    password: cfg.password,
    database: cfg.database,
    log: { level: 127 as ClickHouseLogLevel },
  });
  const fail = (error: unknown, what: string): IngestError =>
    isIngestError(error)
      ? error
      : new IngestError('STORAGE_FAILED', `Could not ${what} in ClickHouse: ${(error as Error).message}`, {
          cause: error,
          context: { database: cfg.database },
        });
  const select = async (query: string): Promise<Record<string, unknown>[]> => {
    const rs = await client.query({ query, format: 'JSONEachRow' });
    return (await rs.json()) as Record<string, unknown>[];
  };
  let flavor: ClickHouseFlavor;
  try {
    const v = await select('SELECT version() AS v');
    flavor = flavorOfVersion(String(v[0]?.v ?? ''));
    const cols = liveColumns(flavor);
    for (const [table, key, engine] of options.createTables === false
      ? []
      : ([
          ['live_quotes', 'source, symbol, ts', 'ReplacingMergeTree'],
          ['collect_coverage', 'source, symbol, trade_date', 'ReplacingMergeTree(updated_at)'],
        ] as const)) {
      const body = cols[table].map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
      await client.command({
        query: `CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (${body}) ENGINE = ${engine} PARTITION BY toYYYYMM(trade_date) ORDER BY (${key})`,
      });
    }
  } catch (error) {
    await client.close().catch(() => undefined);
    throw fail(error, 'create the live-collection tables');
  }
  const cols = liveColumns(flavor);
  const time = (ms: number): unknown =>
    flavor === 'legacy' ? ms : new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
  const msOf = (col: string): string => (flavor === 'legacy' ? col : `toUnixTimestamp64Milli(${col})`);

  const insert = async (table: string, specs: readonly BinaryColumn[], rows: readonly EncodedRow[]) => {
    if (rows.length === 0) return;
    const result = await client.exec({
      query: `INSERT INTO ${quoteIdent(table)} (${specs.map((c) => quoteIdent(c.name)).join(', ')}) FORMAT RowBinary`,
      values: Readable.from([encodeRowBinary(specs, rows)], { objectMode: false }),
    });
    result.stream.resume();
    await new Promise<void>((resolve, reject) => {
      result.stream.once('end', resolve);
      result.stream.once('error', reject);
    });
  };

  return {
    async append({ batch }: { batch: LiveBatch }) {
      try {
        const encoded = encodeRowSet(flavor, { books: batch.books, ticks: batch.ticks });
        for (const [table, rows] of encoded)
          await insert(table, tableColumns(flavor, table as ClickHouseTable), rows);
        await insert(
          'live_quotes',
          cols.live_quotes,
          batch.quotes.map((q) => ({
            source: q.source,
            symbol: q.symbol,
            ts: time(q.ts),
            trade_date: q.tradeDate,
            last_trade_ts: q.lastTradeTs === null ? null : time(q.lastTradeTs),
            price: q.price,
            cum_volume: q.cumVolume,
            cum_amount: q.cumAmount,
            trade_price: q.tradePrice,
            trade_side: q.tradeSide,
          })),
        );
        await insert(
          'collect_coverage',
          cols.collect_coverage,
          batch.coverage.map((c) => ({
            source: c.source,
            symbol: c.symbol,
            trade_date: c.tradeDate,
            first_ts: time(c.firstTs),
            last_ts: time(c.lastTs),
            polls: c.polls,
            snapshots: c.snapshots,
            gaps: c.gaps,
            longest_gap_ms: Math.round(c.longestGapMs),
            interval_ms: Math.round(c.intervalMs),
            updated_at: time(c.updatedAt),
          })),
        );
      } catch (error) {
        throw fail(error, 'append live rows');
      }
    },

    async lastState({ source, tradeDate }) {
      try {
        const where = `source = ${sqlString(source)} AND trade_date = ${sqlString(tradeDate)}`;
        const latest = `(symbol, ts) IN (SELECT symbol, max(ts) FROM live_quotes WHERE ${where} GROUP BY symbol)`;
        const quotes = await select(
          `SELECT symbol, ${msOf('ts')} AS t, ${msOf('last_trade_ts')} AS lt, price, cum_volume, cum_amount, trade_price, trade_side FROM live_quotes FINAL WHERE ${where} AND ${latest}`,
        );
        const books = await select(
          `SELECT symbol, ${msOf('ts')} AS t, bid_prices, bid_volumes, ask_prices, ask_volumes FROM order_book FINAL WHERE ${where} AND ${latest}`,
        );
        const bookOf = new Map(books.map((b) => [String(b.symbol), b]));
        const out = new Map<Ticker, LiveLastState>();
        for (const r of quotes) {
          const symbol = String(r.symbol);
          const quote: LiveQuoteRow = {
            source,
            symbol,
            ts: Number(r.t),
            tradeDate,
            lastTradeTs: r.lt === null ? null : Number(r.lt),
            price: Number(r.price),
            cumVolume: Number(r.cum_volume),
            cumAmount: Number(r.cum_amount),
            tradePrice: r.trade_price === null ? null : Number(r.trade_price),
            tradeSide: (r.trade_side as Side | null) ?? null,
          };
          const b = bookOf.get(symbol);
          out.set(symbol, {
            quote,
            book:
              b === undefined || Number(b.t) !== quote.ts
                ? undefined
                : {
                    symbol,
                    ts: quote.ts,
                    bidPrices: (b.bid_prices as unknown[]).map(Number),
                    bidVolumes: (b.bid_volumes as unknown[]).map(Number),
                    askPrices: (b.ask_prices as unknown[]).map(Number),
                    askVolumes: (b.ask_volumes as unknown[]).map(Number),
                    source,
                    tradeDate,
                  },
          });
        }
        return out;
      } catch (error) {
        throw fail(error, 'read the live state');
      }
    },

    async dayRows({ source, symbol, tradeDate }) {
      try {
        const where = `source = ${sqlString(source)} AND symbol = ${sqlString(symbol)} AND trade_date = ${sqlString(tradeDate)}`;
        const ticks = await select(
          `SELECT ${msOf('ts')} AS t, seq, price, volume, amount, side FROM ticks FINAL WHERE ${where} ORDER BY ts, seq`,
        );
        const books = await select(
          `SELECT ${msOf('ts')} AS t, bid_prices, bid_volumes, ask_prices, ask_volumes FROM order_book FINAL WHERE ${where} ORDER BY ts`,
        );
        return {
          ticks: ticks.map((r): Tick => ({
            symbol,
            ts: Number(r.t),
            seq: Number(r.seq),
            price: Number(r.price),
            volume: Number(r.volume),
            amount: Number(r.amount),
            side: r.side as Side,
            source,
            tradeDate,
          })),
          books: books.map((r): BookSnapshot => ({
            symbol,
            ts: Number(r.t),
            bidPrices: (r.bid_prices as unknown[]).map(Number),
            bidVolumes: (r.bid_volumes as unknown[]).map(Number),
            askPrices: (r.ask_prices as unknown[]).map(Number),
            askVolumes: (r.ask_volumes as unknown[]).map(Number),
            source,
            tradeDate,
          })),
        };
      } catch (error) {
        throw fail(error, 'read a collected day');
      }
    },

    async coverage(f) {
      try {
        const where: string[] = [];
        if (f.source !== undefined) where.push(`source = ${sqlString(f.source)}`);
        if (f.startDate !== undefined) where.push(`trade_date >= ${sqlString(f.startDate)}`);
        if (f.endDate !== undefined) where.push(`trade_date <= ${sqlString(f.endDate)}`);
        if (f.symbols !== undefined)
          where.push(f.symbols.length === 0 ? '0' : `symbol IN (${f.symbols.map(sqlString).join(', ')})`);
        const rows = await select(
          `SELECT source, symbol, toString(trade_date) AS d, ${msOf('first_ts')} AS f, ${msOf('last_ts')} AS l, polls, snapshots, gaps, longest_gap_ms, interval_ms, ${msOf('updated_at')} AS u ` +
            `FROM collect_coverage FINAL${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY trade_date, source, symbol`,
        );
        return rows.map((r): CoverageRow => ({
          source: String(r.source),
          symbol: String(r.symbol),
          tradeDate: String(r.d),
          firstTs: Number(r.f),
          lastTs: Number(r.l),
          polls: Number(r.polls),
          snapshots: Number(r.snapshots),
          gaps: Number(r.gaps),
          longestGapMs: Number(r.longest_gap_ms),
          intervalMs: Number(r.interval_ms),
          updatedAt: Number(r.u),
        }));
      } catch (error) {
        throw fail(error, 'read coverage');
      }
    },

    close: () => client.close(),
  };
}
