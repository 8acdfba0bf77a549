import { createClient } from '@clickhouse/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BookSnapshot, Tick } from '../domain/rows.js';
import { createDuckDbStore } from './duckdb/duckdb-store.js';
import type { CoverageRow, LiveBatch, LiveQuoteRow } from './live-store.js';
import { createMemoryStore } from './memory/memory-store.js';
import type { Store } from './store.js';
import { createClickHouseStore } from './clickhouse/clickhouse-store.js';
import { createClickHouseLive } from './clickhouse/clickhouse-live.js';
import { withLive } from './with-live.js';
import { clickHouseTestConfig, clickHouseTestUrl } from '../../test/support/clickhouse-env.js';

const DAY = '2025-06-17';
const T0 = Date.parse('2025-06-17T02:00:00.123Z');
const dirs: string[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const c of cleanups) await c();
});

function batch(i: number, symbol = '600519.SH'): LiveBatch {
  const ts = T0 + i * 3000;
  const book: BookSnapshot = {
    symbol,
    ts,
    bidPrices: [10 + i / 100],
    bidVolumes: [100 * i],
    askPrices: [10.01 + i / 100],
    askVolumes: [200],
    source: 'tushare',
    tradeDate: DAY,
  };
  const quote: LiveQuoteRow = {
    source: 'tushare',
    symbol,
    ts,
    tradeDate: DAY,
    lastTradeTs: ts - 500,
    price: 10 + i / 100,
    cumVolume: 1000 * (i + 1),
    cumAmount: 10_000.5 * (i + 1),
    tradePrice: i === 0 ? null : 10 + i / 100,
    tradeSide: i === 0 ? null : 'B',
  };
  const ticks: Tick[] =
    i === 0
      ? []
      : [
          {
            symbol,
            ts,
            seq: 1000 * (i + 1),
            price: 10 + i / 100,
            volume: 1000,
            amount: 10_000.5,
            side: 'B',
            source: 'tushare',
            tradeDate: DAY,
          },
        ];
  const coverage: CoverageRow = {
    source: 'tushare',
    symbol,
    tradeDate: DAY,
    firstTs: T0,
    lastTs: ts,
    polls: i + 1,
    snapshots: i + 1,
    gaps: 0,
    longestGapMs: 0,
    intervalMs: 3000,
    updatedAt: ts,
  };
  return { books: [book], ticks, quotes: [quote], coverage: [coverage] };
}

const stores: Array<[string, () => Promise<{ store: Store; reopen?: () => Promise<Store> }>]> = [
  ['memory', async () => ({ store: createMemoryStore() })],
  [
    'duckdb',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tickpipe-live-'));
      dirs.push(dir);
      const path = join(dir, 'm.duckdb');
      return { store: createDuckDbStore({ path }), reopen: async () => createDuckDbStore({ path }) };
    },
  ],
];
const chUrl = clickHouseTestUrl();
if (chUrl !== undefined) {
  stores.push([
    'clickhouse',
    async () => {
      const cfg = clickHouseTestConfig({ url: chUrl });
      cleanups.push(async () => {
        const c = createClient({ url: chUrl });
        await c.command({ query: `DROP DATABASE IF EXISTS ${cfg.database}` });
        await c.close();
      });
      const open = async (): Promise<Store> => {
        const store = createClickHouseStore(cfg);
        await store.init();
        return withLive(store, await createClickHouseLive(cfg));
      };
      return { store: await open(), reopen: open };
    },
  ]);
}

describe.each(stores)('live store part (%s)', (_, make) => {
  it('appends idempotently, returns the last state with its book, the day rows and upserted coverage', async () => {
    const { store, reopen } = await make();
    await store.init();
    const live = store.live!;
    for (let i = 0; i < 4; i++) await live.append({ batch: batch(i) });
    await live.append({ batch: batch(3) }); // the same batch again (a retry)
    await live.append({ batch: batch(0, '000001.SZ') });
    const count = async (s: Store, table: string) =>
      (
        await s.query({
          sql: `SELECT count(*) AS n FROM ${table}${s.kind === 'clickhouse' ? ' FINAL' : ''} WHERE symbol = '600519.SH'`,
        })
      ).rows[0]?.[0];
    expect(await count(store, 'order_book')).toBe(4);
    expect(await count(store, 'ticks')).toBe(3);

    const last = await live.lastState({ source: 'tushare', tradeDate: DAY });
    expect([...last.keys()].sort()).toEqual(['000001.SZ', '600519.SH']);
    expect(last.get('600519.SH')).toEqual({ quote: batch(3).quotes[0], book: batch(3).books[0] });
    expect((await live.lastState({ source: 'tushare', tradeDate: '2025-06-18' })).size).toBe(0);

    const day = await live.dayRows({ source: 'tushare', symbol: '600519.SH', tradeDate: DAY });
    expect(day.books).toEqual([0, 1, 2, 3].map((i) => batch(i).books[0]));
    expect(day.ticks).toEqual([1, 2, 3].map((i) => batch(i).ticks[0]));

    expect(await live.coverage({ symbols: ['600519.SH'] })).toEqual(batch(3).coverage);
    expect(await live.coverage({ startDate: '2025-06-18' })).toEqual([]);

    await store.close();
    if (reopen) {
      const again = await reopen();
      await again.init();
      expect(
        (await again.live!.lastState({ source: 'tushare', tradeDate: DAY })).get('600519.SH')?.quote,
      ).toEqual(batch(3).quotes[0]);
      expect(await count(again, 'order_book')).toBe(4);
      await again.close();
    }
  });
});
