/**
 * The store contract: one vitest suite every `Store` must pass (memory, DuckDB, ClickHouse).
 *
 * The suite reads data back only through `query()` with the SQL subset the memory store
 * understands: `SELECT count(*) AS n | col, ... FROM t[ FINAL] [WHERE col = lit AND ...]
 * [ORDER BY col, ...]`. Stores that deduplicate at read time (ClickHouse) return
 * `finalSuffix: ' FINAL'`, which the suite puts after every table name.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerEntry, UnitKey } from '../src/ledger/ledger-entry.js';
import type { Store } from '../src/storage/store.js';
import {
  adjFactorOf,
  barsOf,
  booksOf,
  factorsOf,
  ledgerEntry,
  ticksOf,
  unitKey,
  unitWrite,
} from './fixtures/rows.js';

/** What a store's test factory hands the contract suite. */
export interface StoreContractSubject {
  /** A fresh, empty store (its own file, database or tables); the suite calls `init()`. */
  store: Store;
  /** Closes the store if still open and removes what the factory created. */
  cleanup(): Promise<void>;
  /** Appended to table names in reads: `' FINAL'` for ClickHouse, else `''` (the default). */
  finalSuffix?: '' | ' FINAL';
}

const TICK_COLS = 'symbol, ts, seq, price, volume, amount, side, source, trade_date';
const BAR_COLS = 'symbol, interval, ts, open, high, low, close, volume, amount, source, trade_date';
const BOOK_COLS = 'symbol, ts, bid_prices, bid_volumes, ask_prices, ask_volumes, source, trade_date';
const FACTOR_COLS = 'symbol, ts, factor, value, source, trade_date';
const ADJ_COLS = 'symbol, trade_date, adj_factor, source';

const iso = (ms: number): string => new Date(ms).toISOString();

/** Defines the contract suite for one store kind. */
export function runStoreContract(name: string, makeStore: () => Promise<StoreContractSubject>): void {
  describe(`Store contract: ${name}`, () => {
    async function withStore(body: (store: Store, h: Helpers) => Promise<void>): Promise<void> {
      const subject = await makeStore();
      try {
        await subject.store.init();
        await body(subject.store, helpers(subject.store, subject.finalSuffix ?? ''));
      } finally {
        await subject.cleanup();
      }
    }

    it('init() is safe to call again and keeps the data', async () => {
      await withStore(async (store, h) => {
        await store.write({ units: [unitWrite(unitKey(), 3)] });
        await store.init();
        expect(await h.count('ticks')).toBe(3);
      });
    });

    it('round-trips ticks with millisecond UTC timestamps', async () => {
      await withStore(async (store, h) => {
        const u = unitKey();
        const ticks = ticksOf(u, 4);
        ticks[1] = { ...(ticks[1] as (typeof ticks)[number]), ts: Date.parse('2025-06-05T01:30:03.007Z') };
        await store.write({ units: [unitWrite(u, 0, { ticks })] });
        const r = await h.select(`SELECT ${TICK_COLS} FROM ticks${h.final} ORDER BY seq`);
        expect(r.columns).toEqual(TICK_COLS.split(', '));
        expect(r.rows).toEqual(
          ticks.map((t) => [
            t.symbol,
            iso(t.ts),
            t.seq,
            t.price,
            t.volume,
            t.amount,
            t.side,
            t.source,
            t.tradeDate,
          ]),
        );
        expect(r.rows[1]?.[1]).toBe('2025-06-05T01:30:03.007Z');
      });
    });

    it('round-trips 1m and 1d bars and the adjustment factor of a daily unit', async () => {
      await withStore(async (store, h) => {
        const m = unitKey({ dataType: 'bars_1m' });
        const d = unitKey({ dataType: 'bars_1d' });
        const minute = barsOf(m, 3);
        const daily = barsOf(d, 1);
        await store.write({
          units: [
            unitWrite(m, 0, { bars: minute }),
            unitWrite(d, 0, { bars: daily, adjFactors: [adjFactorOf(d, 2.5)] }),
          ],
        });
        const r = await h.select(`SELECT ${BAR_COLS} FROM bars${h.final} ORDER BY interval, ts`);
        expect(r.rows).toEqual(
          [...daily, ...minute].map((b) => [
            b.symbol,
            b.interval,
            iso(b.ts),
            b.open,
            b.high,
            b.low,
            b.close,
            b.volume,
            b.amount,
            b.source,
            b.tradeDate,
          ]),
        );
        expect((await h.select(`SELECT ${ADJ_COLS} FROM adj_factors${h.final}`)).rows).toEqual([
          ['600000.SH', '2025-06-05', 2.5, 'simulated'],
        ]);
      });
    });

    it('round-trips order-book arrays, best level first', async () => {
      await withStore(async (store, h) => {
        const u = unitKey({ dataType: 'order_book' });
        const books = booksOf(u, 3, { levels: 10 });
        books[2] = { ...(books[2] as (typeof books)[number]), bidPrices: [], bidVolumes: [] };
        await store.write({ units: [unitWrite(u, 0, { books })] });
        const r = await h.select(`SELECT ${BOOK_COLS} FROM order_book${h.final} ORDER BY ts`);
        expect(r.rows).toEqual(
          books.map((b) => [
            b.symbol,
            iso(b.ts),
            b.bidPrices,
            b.bidVolumes,
            b.askPrices,
            b.askVolumes,
            b.source,
            b.tradeDate,
          ]),
        );
        expect((r.rows[0]?.[2] as number[]).length).toBe(10);
      });
    });

    it('round-trips factors in long format', async () => {
      await withStore(async (store, h) => {
        const u = unitKey({ dataType: 'factors' });
        const factors = factorsOf(u, ['vwap', 'realized_vol', 'ofi'], 0.25);
        await store.write({ units: [unitWrite(u, 0, { factors })] });
        const r = await h.select(`SELECT ${FACTOR_COLS} FROM factors${h.final} ORDER BY factor`);
        expect(r.rows).toEqual(
          [...factors]
            .sort((a, b) => (a.factor < b.factor ? -1 : 1))
            .map((f) => [f.symbol, iso(f.ts), f.factor, f.value, f.source, f.tradeDate]),
        );
      });
    });

    it('writing the same unit twice leaves each row once, with the second write’s values', async () => {
      await withStore(async (store, h) => {
        const u = unitKey();
        await store.write({ units: [unitWrite(u, 0, { ticks: ticksOf(u, 50, { price: 10 }) })] });
        await store.write({ units: [unitWrite(u, 0, { ticks: ticksOf(u, 50, { price: 20 }) })] });
        expect(await h.count('ticks')).toBe(50);
        const r = await h.select(`SELECT seq, price FROM ticks${h.final} ORDER BY seq`);
        expect(r.rows[0]).toEqual([1, 20]);
        expect(r.rows.every((row) => (row[1] as number) >= 20)).toBe(true);
        // A rewrite with fewer rows drops the rows the unit no longer has.
        await store.write({ units: [unitWrite(u, 0, { ticks: ticksOf(u, 10, { price: 30 }) })] });
        expect(await h.count('ticks')).toBe(10);
      });
    });

    it('every table is idempotent per unit', async () => {
      await withStore(async (store, h) => {
        const units = (['ticks', 'bars_1m', 'bars_1d', 'order_book', 'factors'] as const).map((dataType) =>
          unitWrite(unitKey({ dataType }), 4),
        );
        await store.write({ units });
        await store.write({ units });
        await store.write({ units: units.slice(1) });
        expect(await h.count('ticks')).toBe(4);
        expect(await h.count('bars')).toBe(8);
        expect(await h.count('order_book')).toBe(4);
        expect(await h.count('factors')).toBe(4);
        expect(await h.count('adj_factors')).toBe(1);
      });
    });

    it('a unit rewrite replaces only that unit’s rows', async () => {
      await withStore(async (store, h) => {
        const target = unitKey();
        const others: UnitKey[] = [
          unitKey({ symbol: '000001.SZ' }),
          unitKey({ tradeDate: '2025-06-06' }),
          unitKey({ provider: 'tushare' }),
        ];
        await store.write({ units: [target, ...others].map((u) => unitWrite(u, 5)) });
        await store.write({ units: [unitWrite(target, 2)] });
        expect(await h.count('ticks')).toBe(17);
        for (const u of others) {
          expect(
            await h.count(
              'ticks',
              `symbol = '${u.symbol}' AND trade_date = '${u.tradeDate}' AND source = '${u.provider}'`,
            ),
          ).toBe(5);
        }
        expect(
          await h.count(
            'ticks',
            `symbol = '600000.SH' AND trade_date = '2025-06-05' AND source = 'simulated'`,
          ),
        ).toBe(2);
      });
    });

    it('bar intervals are separate units; only a daily unit owns the adjustment factor', async () => {
      await withStore(async (store, h) => {
        const m = unitKey({ dataType: 'bars_1m' });
        const d = unitKey({ dataType: 'bars_1d' });
        await store.write({ units: [unitWrite(m, 5), unitWrite(d, 1)] });
        await store.write({ units: [unitWrite(m, 0, { bars: [] })] });
        expect(await h.count('bars', `interval = '1m'`)).toBe(0);
        expect(await h.count('bars', `interval = '1d'`)).toBe(1);
        expect(await h.count('adj_factors')).toBe(1);
        await store.write({ units: [unitWrite(d, 0, { bars: barsOf(d, 1) })] });
        expect(await h.count('bars', `interval = '1d'`)).toBe(1);
        expect(await h.count('adj_factors')).toBe(0);
      });
    });

    it('accepts empty row sets and empty unit lists', async () => {
      await withStore(async (store, h) => {
        await store.write({ units: [] });
        const u = unitKey({ dataType: 'order_book' });
        await store.write({ units: [unitWrite(u, 0, {})] });
        await store.write({ units: [unitWrite(u, 3)] });
        await store.write({ units: [unitWrite(u, 0, { books: [] })] });
        expect(await h.count('order_book')).toBe(0);
        await store.writeLedger({ entries: [] });
        expect(await store.readLedger()).toEqual([]);
      });
    });

    it('writes many units in one call; a unit repeated in the call ends with its last copy', async () => {
      await withStore(async (store, h) => {
        const symbols = Array.from({ length: 40 }, (_, i) => `${String(600000 + i)}.SH`);
        const units = symbols.flatMap((symbol) =>
          ['2025-06-05', '2025-06-06'].map((tradeDate) => unitWrite(unitKey({ symbol, tradeDate }), 25)),
        );
        const again = unitKey({ symbol: '600003.SH' });
        units.push(unitWrite(again, 0, { ticks: ticksOf(again, 7, { price: 99 }) }));
        await store.write({ units });
        expect(await h.count('ticks')).toBe(40 * 2 * 25 - 25 + 7);
        const r = await h.select(
          `SELECT price FROM ticks${h.final} WHERE symbol = '600003.SH' AND trade_date = '2025-06-05'`,
        );
        expect(r.rows.length).toBe(7);
        expect(r.rows.every((row) => (row[0] as number) >= 99)).toBe(true);
      });
    });

    it('concurrent writes all land', async () => {
      await withStore(async (store, h) => {
        const units = Array.from({ length: 20 }, (_, i) =>
          unitKey({ symbol: `${String(1 + i).padStart(6, '0')}.SZ` }),
        );
        await Promise.all(units.map((u) => store.write({ units: [unitWrite(u, 10)] })));
        expect(await h.count('ticks')).toBe(200);
      });
    });

    it('keeps one row per identity when a unit carries duplicates (the last wins)', async () => {
      await withStore(async (store, h) => {
        const u = unitKey();
        const ticks = ticksOf(u, 3);
        const dup = { ...(ticks[0] as (typeof ticks)[number]), price: 42 };
        await store.write({ units: [unitWrite(u, 0, { ticks: [...ticks, dup] })] });
        expect(await h.count('ticks')).toBe(3);
        expect((await h.select(`SELECT price FROM ticks${h.final} WHERE seq = 1`)).rows).toEqual([[42]]);
      });
    });

    it('refuses rows outside their unit and writes nothing of that call', async () => {
      await withStore(async (store, h) => {
        const u = unitKey();
        const good = unitWrite(unitKey({ symbol: '000001.SZ' }), 3);
        const stray = ticksOf(unitKey({ symbol: '000002.SZ' }), 1);
        await expect(
          store.write({ units: [good, unitWrite(u, 0, { ticks: [...ticksOf(u, 2), ...stray] })] }),
        ).rejects.toMatchObject({ code: 'INTERNAL' });
        await expect(
          store.write({ units: [unitWrite(u, 0, { bars: barsOf(unitKey({ dataType: 'bars_1m' }), 1) })] }),
        ).rejects.toMatchObject({ code: 'INTERNAL' });
        expect(await h.count('ticks')).toBe(0);
        expect(await h.count('bars')).toBe(0);
      });
    });

    it('upserts ledger entries and reads them back in key order', async () => {
      await withStore(async (store) => {
        const a = ledgerEntry(unitKey({ symbol: '600000.SH' }));
        const b = ledgerEntry(unitKey({ symbol: '000001.SZ' }), {
          status: 'failed',
          rows: 0,
          attempts: 5,
          errorCode: 'PROVIDER_UNAVAILABLE',
          errorMessage: `Tushare "stk_mins" failed: it's down`,
          runId: 'run-1',
        });
        await store.writeLedger({ entries: [a, b] });
        const b2: LedgerEntry = {
          ...b,
          status: 'ok',
          rows: 4800,
          attempts: 6,
          errorCode: null,
          errorMessage: null,
          runId: 'run-2',
          updatedAt: b.updatedAt + 1001,
        };
        await store.writeLedger({ entries: [b2] });
        expect(await store.readLedger()).toEqual([b2, a]);
        // Within one call the last entry of a unit wins.
        const a2 = { ...a, attempts: 2 };
        const a3 = { ...a, attempts: 3 };
        await store.writeLedger({ entries: [a2, a3] });
        expect(await store.readLedger({ filter: { symbols: ['600000.SH'] } })).toEqual([a3]);
      });
    });

    it('filters the ledger by every field', async () => {
      await withStore(async (store) => {
        const entries = [
          ledgerEntry(unitKey({ tradeDate: '2025-06-04' }), { status: 'failed', runId: 'r1' }),
          ledgerEntry(unitKey({ tradeDate: '2025-06-05' }), { status: 'ok', runId: 'r1' }),
          ledgerEntry(unitKey({ tradeDate: '2025-06-06' }), { status: 'empty', runId: 'r2' }),
          ledgerEntry(unitKey({ dataType: 'order_book' }), { status: 'unsupported', runId: 'r2' }),
          ledgerEntry(unitKey({ provider: 'tushare', symbol: '000001.SZ' }), { status: 'ok', runId: 'r3' }),
        ];
        await store.writeLedger({ entries });
        const dates = async (filter: Parameters<Store['readLedger']>[0]): Promise<string[]> =>
          (await store.readLedger(filter)).map(
            (e) => `${e.provider}/${e.dataType}/${e.symbol}/${e.tradeDate}`,
          );
        expect(await dates({ filter: { provider: 'tushare' } })).toEqual([
          'tushare/ticks/000001.SZ/2025-06-05',
        ]);
        expect(await dates({ filter: { dataTypes: ['order_book'] } })).toEqual([
          'simulated/order_book/600000.SH/2025-06-05',
        ]);
        expect(await dates({ filter: { symbols: ['000001.SZ', 'NOPE'] } })).toHaveLength(1);
        expect(
          await dates({
            filter: {
              provider: 'simulated',
              dataTypes: ['ticks'],
              startDate: '2025-06-05',
              endDate: '2025-06-06',
            },
          }),
        ).toEqual(['simulated/ticks/600000.SH/2025-06-05', 'simulated/ticks/600000.SH/2025-06-06']);
        expect(await dates({ filter: { statuses: ['failed', 'empty'] } })).toEqual([
          'simulated/ticks/600000.SH/2025-06-04',
          'simulated/ticks/600000.SH/2025-06-06',
        ]);
        expect(await dates({ filter: { runId: 'r2' } })).toHaveLength(2);
        expect(await dates({ filter: { statuses: [] } })).toEqual([]);
        expect(await dates({ filter: {} })).toHaveLength(5);
      });
    });

    it('exposes the ledger as a table', async () => {
      await withStore(async (store, h) => {
        const e = ledgerEntry(unitKey(), { rows: 123, attempts: 2 });
        await store.writeLedger({ entries: [e] });
        const r = await h.select(
          `SELECT provider, data_type, symbol, trade_date, status, rows, attempts, error_code, run_id, updated_at FROM ingest_ledger${h.final}`,
        );
        expect(r.rows).toEqual([
          [
            'simulated',
            'ticks',
            '600000.SH',
            '2025-06-05',
            'ok',
            123,
            2,
            null,
            'run-1',
            '2025-06-05T08:00:00.123Z',
          ],
        ]);
      });
    });

    it('query() refuses statements that modify data, and they change nothing', async () => {
      await withStore(async (store, h) => {
        await store.write({ units: [unitWrite(unitKey(), 2)] });
        for (const sql of [
          'DELETE FROM ticks',
          "INSERT INTO adj_factors VALUES ('x', '2025-06-05', 1, 'y')",
          'DROP TABLE ticks',
          '  /* sneaky */ TRUNCATE ticks',
          'SELECT 1; DELETE FROM ticks',
        ]) {
          await expect(store.query({ sql }), sql).rejects.toMatchObject({ code: 'USAGE' });
        }
        expect(await h.count('ticks')).toBe(2);
      });
    });

    it('query() reports bad SQL and unknown tables as USAGE', async () => {
      await withStore(async (store) => {
        await expect(store.query({ sql: 'SELECT * FROM no_such_table' })).rejects.toMatchObject({
          code: 'USAGE',
        });
        await expect(store.query({ sql: 'SELEC nonsense' })).rejects.toMatchObject({ code: 'USAGE' });
      });
    });

    it('honours an aborted signal', async () => {
      await withStore(async (store, h) => {
        const signal = AbortSignal.abort();
        await expect(store.write({ units: [unitWrite(unitKey(), 2)], signal })).rejects.toMatchObject({
          code: 'ABORTED',
        });
        await expect(store.readLedger({ signal })).rejects.toMatchObject({ code: 'ABORTED' });
        expect(await h.count('ticks')).toBe(0);
      });
    });
  });
}

interface Helpers {
  final: string;
  count(table: string, where?: string): Promise<number>;
  select(sql: string): Promise<{ columns: string[]; rows: unknown[][] }>;
}

function helpers(store: Store, final: string): Helpers {
  return {
    final,
    async count(table, where) {
      const r = await store.query({
        sql: `SELECT count(*) AS n FROM ${table}${final}${where ? ` WHERE ${where}` : ''}`,
      });
      return Number(r.rows[0]?.[0]);
    },
    select: (sql) => store.query({ sql }),
  };
}
