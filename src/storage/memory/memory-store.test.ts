import { describe, expect, it } from 'vitest';
import { ticksOf, unitKey, unitWrite } from '../../../test/fixtures/rows.js';
import { createMemoryStore } from './memory-store.js';

async function storeWithTicks(): Promise<ReturnType<typeof createMemoryStore>> {
  const store = createMemoryStore();
  await store.init();
  await store.write({
    units: [
      unitWrite(unitKey(), 5),
      unitWrite(unitKey({ symbol: '000001.SZ' }), 0, {
        ticks: ticksOf(unitKey({ symbol: '000001.SZ' }), 3, { price: 20 }),
      }),
    ],
  });
  return store;
}

describe('MemoryStore query subset', () => {
  it('selects columns with WHERE, ORDER BY (DESC) and LIMIT', async () => {
    const store = await storeWithTicks();
    const r = await store.query({
      sql: "select symbol, seq, price from ticks where symbol = '000001.SZ' and side = 'B' order by seq desc limit 1",
    });
    expect(r).toEqual({ columns: ['symbol', 'seq', 'price'], rows: [['000001.SZ', 1, 20]] });
    const all = await store.query({ sql: 'SELECT * FROM ticks ORDER BY price DESC, seq' });
    expect(all.columns).toHaveLength(9);
    expect(all.rows.map((row) => row[0])).toEqual([
      '000001.SZ',
      '000001.SZ',
      '000001.SZ',
      ...Array(5).fill('600000.SH'),
    ]);
  });

  it('counts with and without an alias, and accepts FINAL', async () => {
    const store = await storeWithTicks();
    expect(await store.query({ sql: 'SELECT count(*) FROM ticks' })).toEqual({
      columns: ['count_star()'],
      rows: [[8]],
    });
    expect(await store.query({ sql: 'SELECT count(*) AS n FROM ticks FINAL WHERE seq = 2;' })).toEqual({
      columns: ['n'],
      rows: [[2]],
    });
  });

  it('refuses SQL outside the subset, unknown tables and unknown columns with USAGE', async () => {
    const store = await storeWithTicks();
    for (const sql of [
      'SELECT symbol, count(*) FROM ticks GROUP BY symbol',
      'SELECT * FROM ticks WHERE price > 1',
      "SELECT * FROM ticks WHERE symbol = 'a' OR seq = 1",
      'SELECT * FROM nope',
      'SELECT nope FROM ticks',
      'SELECT * FROM ticks ORDER BY nope',
    ]) {
      await expect(store.query({ sql }), sql).rejects.toMatchObject({ code: 'USAGE' });
    }
  });

  it('refuses use after close', async () => {
    const store = await storeWithTicks();
    await store.close();
    await expect(store.query({ sql: 'SELECT count(*) FROM ticks' })).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
    });
  });
});
