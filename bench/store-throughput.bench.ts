/**
 * Store write throughput, each next to a raw client writing the same rows in the same run:
 * - DuckDB: `DuckDbStore.write()` (one unit per call, 8 calls in flight, as pipeline workers do)
 *   vs a hand-written `@duckdb/node-api` DataChunk appender in one transaction.
 * - ClickHouse on embedded chdb: `ClickHouseStore.write()` the same way vs a raw
 *   `@clickhouse/client` JSONEachRow insert (50k-row chunks) over a chdb connection.
 * - ClickHouse server (only when TICKPIPE_TEST_CLICKHOUSE_URL is set): the same over HTTP.
 * Rows: ~200k ticks and ~200k 10-level books from the simulated market.
 * Run: `npx tsx bench/store-throughput.bench.ts [ticks=200000] [books=200000]`.
 */
import { loadChdb } from '../src/storage/clickhouse/clickhouse-store.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import {
  BIGINT,
  DATE,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBInstance,
  DuckDBTimestampValue,
  LIST,
  listValue,
  TIMESTAMP,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { configSchema } from '../src/config/schema.js';
import { tradingDaysBetween } from '../src/domain/calendar.js';
import type { BookSnapshot, Tick } from '../src/domain/rows.js';
import type { Ticker } from '../src/domain/ticker.js';
import { unlimitedGate } from '../src/limits/request-gate.js';
import { silentLogger } from '../src/limits/logger.js';
import { createSimulatedProvider } from '../src/providers/simulated/simulated-provider.js';
import { ClickHouseStore, type ClickHouseStoreConfig } from '../src/storage/clickhouse/clickhouse-store.js';
import { flavorOfVersion, schemaStatements, type ClickHouseFlavor } from '../src/storage/clickhouse/ddl.js';
import { DUCKDB_DDL } from '../src/storage/duckdb/duckdb-schema.js';
import { createDuckDbStore } from '../src/storage/duckdb/duckdb-store.js';
import type { Store, UnitWrite } from '../src/storage/store.js';
import { int, printTable, ratio, seconds, timed } from './bench-report.js';

const TARGET_TICKS = Number(process.argv[2] ?? 200_000);
const TARGET_BOOKS = Number(process.argv[3] ?? 200_000);
const WRITERS = 8;
const DUCKDB_ROUNDS = 2;
const CHUNK_ROWS = 50_000;
const signal = new AbortController().signal;

interface Dataset {
  tickUnits: UnitWrite[];
  bookUnits: UnitWrite[];
  ticks: Tick[];
  books: BookSnapshot[];
}

async function generate(): Promise<Dataset> {
  const config = configSchema.parse({ providers: { simulated: { universe_size: 400 } } }).providers.simulated;
  const provider = createSimulatedProvider(config, {
    fetch: globalThis.fetch,
    gate: unlimitedGate,
    now: Date.now,
    logger: silentLogger,
  });
  const symbols = await provider.universe({ includeDelisted: false, signal });
  const days = tradingDaysBetween({ start: '2025-06-02', end: '2025-06-13' });
  const pairs = days.flatMap((tradeDate) => symbols.map((symbol) => ({ symbol, tradeDate })));
  const data: Dataset = { tickUnits: [], bookUnits: [], ticks: [], books: [] };
  for (const { symbol, tradeDate } of pairs) {
    if (data.ticks.length >= TARGET_TICKS) break;
    const rows = (
      await provider.fetch({ dataType: 'ticks', symbol, tradeDates: [tradeDate], signal })
    ).byDate.get(tradeDate);
    if (!rows?.ticks?.length) continue;
    data.tickUnits.push({
      unit: { provider: 'simulated', dataType: 'ticks', symbol: symbol as Ticker, tradeDate },
      rows: { ticks: rows.ticks },
    });
    data.ticks.push(...rows.ticks);
  }
  for (const { symbol, tradeDate } of pairs) {
    if (data.books.length >= TARGET_BOOKS) break;
    const rows = (
      await provider.fetch({ dataType: 'order_book', symbol, tradeDates: [tradeDate], signal })
    ).byDate.get(tradeDate);
    if (!rows?.books?.length) continue;
    data.bookUnits.push({
      unit: { provider: 'simulated', dataType: 'order_book', symbol: symbol as Ticker, tradeDate },
      rows: { books: rows.books },
    });
    data.books.push(...rows.books);
  }
  return data;
}

/** Writes units one per call with `WRITERS` calls in flight, as the pipeline's workers do. */
async function writeThroughStore(store: Store, units: readonly UnitWrite[]): Promise<void> {
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < units.length; i = next++)
      await store.write({ units: [units[i] as UnitWrite], signal });
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}

// ---- raw DuckDB ------------------------------------------------------------------------------

const MS_PER_DAY = 86_400_000;
const tsValue = (ms: number) => new DuckDBTimestampValue(BigInt(ms) * 1000n);

async function appendRaw<R>(
  connection: DuckDBConnection,
  table: string,
  rows: readonly R[],
  columns: ReadonlyArray<[DuckDBType, (r: R) => DuckDBValue]>,
): Promise<void> {
  const appender = await connection.createAppender(table);
  for (let start = 0; start < rows.length; start += 2048) {
    const end = Math.min(rows.length, start + 2048);
    const chunk = DuckDBDataChunk.create(
      columns.map(([t]) => t),
      end - start,
    );
    chunk.setColumns(columns.map(([, f]) => rows.slice(start, end).map(f)));
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

async function rawDuckDb(path: string, data: Dataset): Promise<{ ticksMs: number; booksMs: number }> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await connection.run(DUCKDB_DDL.ticks);
    await connection.run(DUCKDB_DDL.order_book);
    const dates = new Map<string, DuckDBDateValue>();
    const date = (d: string) => {
      let v = dates.get(d);
      if (v === undefined)
        dates.set(d, (v = new DuckDBDateValue(Math.floor(Date.parse(`${d}T00:00:00Z`) / MS_PER_DAY))));
      return v;
    };
    const ticks = await timed(async () => {
      await connection.run('BEGIN TRANSACTION');
      await appendRaw<Tick>(connection, 'ticks', data.ticks, [
        [VARCHAR, (r) => r.symbol],
        [TIMESTAMP, (r) => tsValue(r.ts)],
        [BIGINT, (r) => BigInt(r.seq)],
        [DOUBLE, (r) => r.price],
        [DOUBLE, (r) => r.volume],
        [DOUBLE, (r) => r.amount],
        [VARCHAR, (r) => r.side],
        [VARCHAR, (r) => r.source],
        [DATE, (r) => date(r.tradeDate)],
      ]);
      await connection.run('COMMIT');
    });
    const books = await timed(async () => {
      await connection.run('BEGIN TRANSACTION');
      await appendRaw<BookSnapshot>(connection, 'order_book', data.books, [
        [VARCHAR, (r) => r.symbol],
        [TIMESTAMP, (r) => tsValue(r.ts)],
        [LIST(DOUBLE), (r) => listValue(r.bidPrices)],
        [LIST(DOUBLE), (r) => listValue(r.bidVolumes)],
        [LIST(DOUBLE), (r) => listValue(r.askPrices)],
        [LIST(DOUBLE), (r) => listValue(r.askVolumes)],
        [VARCHAR, (r) => r.source],
        [DATE, (r) => date(r.tradeDate)],
      ]);
      await connection.run('COMMIT');
    });
    return { ticksMs: ticks.ms, booksMs: books.ms };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function storeRun(store: Store, data: Dataset): Promise<{ ticksMs: number; booksMs: number }> {
  await store.init({ signal });
  try {
    const ticks = await timed(() => writeThroughStore(store, data.tickUnits));
    const books = await timed(() => writeThroughStore(store, data.bookUnits));
    return { ticksMs: ticks.ms, booksMs: books.ms };
  } finally {
    await store.close();
  }
}

// ---- raw ClickHouse --------------------------------------------------------------------------

function dateTime64Text(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

async function rawClickHouse(
  client: ClickHouseClient,
  database: string,
  data: Dataset,
): Promise<{ ticksMs: number; booksMs: number }> {
  const version = String(
    (
      (await (
        await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })
      ).json()) as Array<{ v: string }>
    )[0]?.v,
  );
  const flavor: ClickHouseFlavor = flavorOfVersion(version);
  for (const statement of schemaStatements(flavor, database)) await client.command({ query: statement });
  const time = (ms: number) => (flavor === 'modern' ? dateTime64Text(ms) : ms);
  const insert = async <R>(table: string, rows: readonly R[], encode: (r: R) => Record<string, unknown>) => {
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      await client.insert({
        table: `${database}.${table}`,
        values: rows.slice(start, start + CHUNK_ROWS).map(encode),
        format: 'JSONEachRow',
      });
    }
  };
  const ticks = await timed(() =>
    insert('ticks', data.ticks, (t) => ({
      symbol: t.symbol,
      ts: time(t.ts),
      seq: t.seq,
      price: t.price,
      volume: t.volume,
      amount: t.amount,
      side: t.side,
      source: t.source,
      trade_date: t.tradeDate,
    })),
  );
  const books = await timed(() =>
    insert('order_book', data.books, (b) => ({
      symbol: b.symbol,
      ts: time(b.ts),
      bid_prices: b.bidPrices,
      bid_volumes: b.bidVolumes,
      ask_prices: b.askPrices,
      ask_volumes: b.askVolumes,
      source: b.source,
      trade_date: b.tradeDate,
    })),
  );
  return { ticksMs: ticks.ms, booksMs: books.ms };
}

function clickHouseConfig(database: string, url = 'http://127.0.0.1:8123'): ClickHouseStoreConfig {
  return configSchema.parse({ storage: { backend: 'clickhouse', clickhouse: { url, database } } }).storage
    .clickhouse;
}

// ---- main ------------------------------------------------------------------------------------

interface Pair {
  backend: string;
  store: { ticksMs: number; booksMs: number };
  raw: { ticksMs: number; booksMs: number };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `tickpipe-store-bench-${randomBytes(4).toString('hex')}-`));
  const pairs: Pair[] = [];
  const gen = await timed(generate);
  const data = gen.value;
  try {
    console.log(
      `store-throughput bench: ${int(data.ticks.length)} ticks in ${data.tickUnits.length} units, ${int(data.books.length)} books in ${data.bookUnits.length} units ` +
        `(generated in ${seconds(gen.ms)}); store writes: 1 unit per call, ${WRITERS} in flight (node ${process.version})`,
    );

    // Untimed warm-up of both DuckDB paths so that JIT compilation does not land on the first one.
    const warm: Dataset = {
      tickUnits: data.tickUnits.slice(0, 4),
      bookUnits: data.bookUnits.slice(0, 2),
      ticks: [],
      books: [],
    };
    warm.ticks = warm.tickUnits.flatMap((u) => u.rows.ticks ?? []);
    warm.books = warm.bookUnits.flatMap((u) => u.rows.books ?? []);
    await storeRun(createDuckDbStore({ path: join(dir, 'warm-store.duckdb') }), warm);
    await rawDuckDb(join(dir, 'warm-raw.duckdb'), warm);

    // DuckDB is quick: best of DUCKDB_ROUNDS, store and raw interleaved, fresh files each round.
    let duckStore = { ticksMs: Infinity, booksMs: Infinity };
    let duckRaw = { ticksMs: Infinity, booksMs: Infinity };
    const best = (a: typeof duckStore, b: typeof duckStore) => ({
      ticksMs: Math.min(a.ticksMs, b.ticksMs),
      booksMs: Math.min(a.booksMs, b.booksMs),
    });
    for (let round = 0; round < DUCKDB_ROUNDS; round++) {
      duckStore = best(
        duckStore,
        await storeRun(createDuckDbStore({ path: join(dir, `store-${round}.duckdb`) }), data),
      );
      duckRaw = best(duckRaw, await rawDuckDb(join(dir, `raw-${round}.duckdb`), data));
    }
    pairs.push({ backend: `duckdb (file, best of ${DUCKDB_ROUNDS})`, store: duckStore, raw: duckRaw });

    try {
      const chdb = await loadChdb();
      const chdbPath = join(dir, 'chdb');
      const suffix = randomBytes(3).toString('hex');
      const chStore = await storeRun(
        new ClickHouseStore({ ...clickHouseConfig(`bench_store_${suffix}`), connection: { chdbPath } }),
        data,
      );
      const client = createClient({ connection: chdb.createChdbConnection({ path: chdbPath }) as never });
      try {
        const chRaw = await rawClickHouse(client, `bench_raw_${suffix}`, data);
        pairs.push({ backend: 'clickhouse (chdb)', store: chStore, raw: chRaw });
      } finally {
        await client.close();
      }
    } catch (e) {
      console.log(`chdb: skipped (${(e as Error).message})`);
    }

    const url = process.env.TICKPIPE_TEST_CLICKHOUSE_URL;
    if (url) {
      const suffix = randomBytes(3).toString('hex');
      const storeDb = `bench_store_${suffix}`;
      const rawDb = `bench_raw_${suffix}`;
      const chStore = await storeRun(new ClickHouseStore(clickHouseConfig(storeDb, url)), data);
      const client = createClient({ url });
      try {
        const chRaw = await rawClickHouse(client, rawDb, data);
        pairs.push({ backend: `clickhouse server (${url})`, store: chStore, raw: chRaw });
      } finally {
        for (const db of [storeDb, rawDb])
          await client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => {});
        await client.close();
      }
    } else {
      console.log(
        'clickhouse server: skipped (TICKPIPE_TEST_CLICKHOUSE_URL is not set; see scripts/services/start.sh)',
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const rows = (label: string, key: 'ticksMs' | 'booksMs', n: number) => (p: Pair) => [
    p.backend,
    label,
    int(n),
    seconds(p.store[key]),
    int((n / p.store[key]) * 1000),
    seconds(p.raw[key]),
    int((n / p.raw[key]) * 1000),
    ratio(p.raw[key] / p.store[key]),
  ];
  printTable(
    'Write throughput: store vs raw client, same rows, same run (store/raw speed: 1.00x = as fast as raw)',
    ['backend', 'table', 'rows', 'store', 'store rows/s', 'raw', 'raw rows/s', 'store/raw speed'],
    pairs.flatMap((p) => [
      rows('ticks', 'ticksMs', data.ticks.length)(p),
      rows('order_book', 'booksMs', data.books.length)(p),
    ]),
  );
}

await main();
