import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ledgerEntry, ticksOf, unitKey, unitWrite } from '../../../test/fixtures/rows.js';
import { createDuckDbStore } from './duckdb-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tickpipe-duckdb-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DuckDbStore', () => {
  it('creates parent folders and keeps the data after close and reopen', async () => {
    const path = join(dir, 'a', 'b', 'market.duckdb');
    const store = createDuckDbStore({ path });
    await store.init();
    await store.write({ units: [unitWrite(unitKey(), 7)] });
    await store.writeLedger({ entries: [ledgerEntry(unitKey(), { rows: 7 })] });
    await store.close();
    await store.close();
    expect((await stat(path)).isFile()).toBe(true);

    const again = createDuckDbStore({ path, readOnly: true });
    await again.init();
    expect((await again.query({ sql: 'SELECT count(*) AS n FROM ticks' })).rows).toEqual([[7]]);
    expect(await again.readLedger()).toEqual([ledgerEntry(unitKey(), { rows: 7 })]);
    await again.close();
  });

  it('keeps a resolved write when the process is killed without close()', async () => {
    const path = join(dir, 'killed.duckdb');
    const child = join(dir, 'child.mts');
    const storeModule = fileURLToPath(new URL('./duckdb-store.ts', import.meta.url));
    const rowsModule = fileURLToPath(new URL('../../../test/fixtures/rows.ts', import.meta.url));
    await writeFile(
      child,
      `import { createDuckDbStore } from ${JSON.stringify(storeModule)};
       import { unitKey, unitWrite } from ${JSON.stringify(rowsModule)};
       const store = createDuckDbStore({ path: ${JSON.stringify(path)} });
       await store.init();
       await store.write({ units: [unitWrite(unitKey(), 321)] });
       process.stdout.write('written\\n');
       setInterval(() => undefined, 1000);`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', child], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('written')) resolve();
      });
      proc.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    proc.kill('SIGKILL');
    await exited;

    const store = createDuckDbStore({ path, readOnly: true });
    expect((await store.query({ sql: 'SELECT count(*) AS n FROM ticks' })).rows).toEqual([[321]]);
    await store.close();
  });

  it('read-only stores refuse writes with USAGE', async () => {
    const path = join(dir, 'ro.duckdb');
    const rw = createDuckDbStore({ path });
    await rw.init();
    await rw.close();
    const ro = createDuckDbStore({ path, readOnly: true });
    await ro.init();
    await expect(ro.write({ units: [unitWrite(unitKey(), 1)] })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(ro.writeLedger({ entries: [ledgerEntry(unitKey())] })).rejects.toMatchObject({
      code: 'USAGE',
    });
    await ro.close();
  });

  it('reports a missing file opened read-only as STORAGE_FAILED, and opens it once it exists', async () => {
    const path = join(dir, 'later.duckdb');
    const ro = createDuckDbStore({ path, readOnly: true });
    await expect(ro.init()).rejects.toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
    const rw = createDuckDbStore({ path });
    await rw.init();
    await rw.close();
    await ro.init();
    expect((await ro.query({ sql: 'SELECT count(*) AS n FROM ticks' })).rows).toEqual([[0]]);
    await ro.close();
  });

  it('close() lets queued writes finish and persists them', async () => {
    const path = join(dir, 'queued.duckdb');
    const store = createDuckDbStore({ path });
    await store.init();
    const writes = Array.from({ length: 5 }, (_, i) =>
      store.write({ units: [unitWrite(unitKey({ symbol: `60000${i}.SH` }), 100)] }),
    );
    await store.close();
    await Promise.all(writes);
    await expect(store.write({ units: [unitWrite(unitKey(), 1)] })).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
    });
    const again = createDuckDbStore({ path, readOnly: true });
    expect((await again.query({ sql: 'SELECT count(*) AS n FROM ticks' })).rows).toEqual([[500]]);
    await again.close();
  });

  it('rolls a failed write back: the unit keeps its previous rows', async () => {
    const path = join(dir, 'check.duckdb');
    // A table made beforehand with a CHECK that the second write breaks mid-transaction, after its DELETE.
    const instance = await DuckDBInstance.create(path);
    const c = await instance.connect();
    await c.run(`CREATE TABLE ticks (symbol VARCHAR, ts TIMESTAMP, seq BIGINT, price DOUBLE CHECK (price > 0),
      volume DOUBLE, amount DOUBLE, side VARCHAR, source VARCHAR, trade_date DATE)`);
    c.closeSync();
    instance.closeSync();

    const store = createDuckDbStore({ path });
    await store.init();
    const u = unitKey();
    const other = unitKey({ symbol: '000001.SZ' });
    await store.write({ units: [unitWrite(u, 5)] });
    const bad = ticksOf(u, 3).map((t) => ({ ...t, price: -1 }));
    await expect(
      store.write({ units: [unitWrite(other, 2), unitWrite(u, 0, { ticks: bad })] }),
    ).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
      retryable: true,
    });
    const r = await store.query({
      sql: 'SELECT symbol, count(*) AS n, min(price) AS p FROM ticks GROUP BY symbol',
    });
    expect(r.rows).toEqual([['600000.SH', 5, 10]]);
    // The connection is usable again after the rollback.
    await store.write({ units: [unitWrite(other, 2)] });
    expect((await store.query({ sql: 'SELECT count(*) FROM ticks' })).rows).toEqual([[7]]);
    await store.close();
  });

  it('refuses a file whose tables have other columns', async () => {
    const path = join(dir, 'foreign.duckdb');
    const instance = await DuckDBInstance.create(path);
    const c = await instance.connect();
    await c.run('CREATE TABLE bars (symbol VARCHAR, ts TIMESTAMP, close DOUBLE)');
    c.closeSync();
    instance.closeSync();
    const store = createDuckDbStore({ path });
    await expect(store.init()).rejects.toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
    await store.close();
  });

  it('renders DuckDB values as plain JS values', async () => {
    const store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    const r = await store.query({
      sql: `SELECT 42::BIGINT AS b, 9007199254740993::BIGINT AS big, 1.25::DECIMAL(10,2) AS d,
        TIMESTAMP '2025-06-05 01:30:03.123456' AS ts, TIMESTAMPTZ '2025-06-05 09:30:03.5+08' AS tz,
        '2025-06-05 01:30:03.123'::TIMESTAMP_MS AS ms, DATE '2025-06-05' AS day, [1.5, 2.5]::DOUBLE[] AS l,
        {'a': 1} AS s, NULL AS n, true AS t, 'x' AS v`,
    });
    expect(r.columns).toEqual(['b', 'big', 'd', 'ts', 'tz', 'ms', 'day', 'l', 's', 'n', 't', 'v']);
    expect(r.rows).toEqual([
      [
        42,
        '9007199254740993',
        1.25,
        '2025-06-05T01:30:03.123Z',
        '2025-06-05T01:30:03.500Z',
        '2025-06-05T01:30:03.123Z',
        '2025-06-05',
        [1.5, 2.5],
        { a: 1 },
        null,
        true,
        'x',
      ],
    ]);
    await store.close();
  });

  it('runs DuckDB SQL beyond the contract subset (aggregates, time functions, CTEs)', async () => {
    const store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    await store.write({ units: [unitWrite(unitKey(), 40), unitWrite(unitKey({ symbol: '000001.SZ' }), 20)] });
    const r = await store.query({
      sql: `WITH m AS (SELECT symbol, date_trunc('minute', ts) AS minute, sum(volume) AS v FROM ticks GROUP BY ALL)
        SELECT symbol, count(*) AS minutes, sum(v) AS volume FROM m GROUP BY symbol ORDER BY symbol`,
    });
    expect(r.rows).toEqual([
      ['000001.SZ', 1, ticksOf(unitKey(), 20).reduce((a, t) => a + t.volume, 0)],
      ['600000.SH', 2, ticksOf(unitKey(), 40).reduce((a, t) => a + t.volume, 0)],
    ]);
    await expect(store.query({ sql: 'WITH x AS (SELECT 1) DELETE FROM ticks' })).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(
      store.query({ sql: 'SELECT * FROM ticks', signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      code: 'ABORTED',
    });
    await store.close();
  });

  it('refuses use after close', async () => {
    const store = createDuckDbStore({ path: ':memory:' });
    await store.init();
    await store.close();
    await expect(store.query({ sql: 'SELECT 1' })).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });
});
