/**
 * End-to-end: the built CLI on the embedded default (simulated market → DuckDB).
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkspace, FINGERPRINT_SQL, queryJson, type Workspace } from '../support/cli.js';

const RANGE = ['--start-date', '2025-06-05', '--end-date', '2025-06-07'];
let ws: Workspace | undefined;
afterEach(() => ws?.cleanup());

const counts = (w: Workspace) =>
  queryJson(
    w,
    "SELECT 'ticks' AS t, CAST(trade_date AS VARCHAR) AS d, count(*) AS n FROM ticks GROUP BY ALL UNION ALL SELECT 'bars', CAST(trade_date AS VARCHAR), count(*) FROM bars GROUP BY ALL UNION ALL SELECT 'order_book', CAST(trade_date AS VARCHAR), count(*) FROM order_book GROUP BY ALL UNION ALL SELECT 'factors', CAST(trade_date AS VARCHAR), count(*) FROM factors GROUP BY ALL ORDER BY t, d",
  );

describe('tickpipe run (simulated → DuckDB)', () => {
  it('ingests ALL for two trading days, resumes without re-ingesting, and --no-resume keeps counts', async () => {
    ws = createWorkspace();
    const cfg = ['--providers-config', ws.configPath];
    const first = await ws.run([
      'run',
      '--symbols',
      'ALL',
      ...RANGE,
      '--workers',
      '4',
      '--log-format',
      'plain',
      ...cfg,
    ]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trimEnd().split('\n').at(-1)).toBe('Data ingestion completed. Successful: 6/6');

    const c1 = await counts(ws);
    // Rows in all four tables for both trading days (2025-06-07 is a Saturday).
    expect(c1.map((r) => `${String(r.t)} ${String(r.d)}`)).toEqual([
      'bars 2025-06-05',
      'bars 2025-06-06',
      'factors 2025-06-05',
      'factors 2025-06-06',
      'order_book 2025-06-05',
      'order_book 2025-06-06',
      'ticks 2025-06-05',
      'ticks 2025-06-06',
    ]);
    // 241 one-minute bars + 1 daily bar per symbol-day.
    expect(c1.filter((r) => r.t === 'bars').map((r) => r.n)).toEqual([6 * 242, 6 * 242]);
    const fp1 = await queryJson(ws, FINGERPRINT_SQL);

    const second = await ws.run([
      'run',
      '--symbols',
      'ALL',
      ...RANGE,
      '--workers',
      '4',
      '--log-format',
      'plain',
      ...cfg,
    ]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Nothing new to ingest');
    expect(second.stdout).toContain('Data ingestion completed. Successful: 6/6');
    expect(await queryJson(ws, FINGERPRINT_SQL)).toEqual(fp1);

    const third = await ws.run([
      'run',
      '--symbols',
      'ALL',
      ...RANGE,
      '--workers',
      '2',
      '--no-resume',
      '--log-format',
      'plain',
      ...cfg,
    ]);
    expect(third.code).toBe(0);
    expect(third.stdout).not.toContain('Nothing new to ingest');
    expect(await queryJson(ws, FINGERPRINT_SQL)).toEqual(fp1);
  });

  it('accepts space- and comma-separated symbol lists and stores only those symbols', async () => {
    ws = createWorkspace();
    const r = await ws.run([
      'run',
      '--symbols',
      '000001.SZ,000002.SZ',
      '600000.SH',
      ...RANGE,
      '--workers',
      '3',
      '--data-types',
      'tick_data',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Data ingestion completed. Successful: 3/3');
    const symbols = await queryJson(ws, 'SELECT DISTINCT symbol FROM ticks ORDER BY symbol');
    expect(symbols.map((s) => s.symbol)).toEqual(['000001.SZ', '000002.SZ', '600000.SH']);
    expect(await queryJson(ws, 'SELECT count(*) AS n FROM order_book')).toEqual([{ n: 0 }]);
  });

  it('rejects a malformed symbol before anything runs (exit 2, nothing written)', async () => {
    ws = createWorkspace();
    const r = await ws.run([
      'run',
      '--symbols',
      '600000.SH',
      '60000.SH',
      'ABC.XYZ!',
      ...RANGE,
      '--providers-config',
      ws.configPath,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('60000.SH');
    expect(r.stderr).toContain('ABC.XYZ!');
    expect(existsSync(ws.dbPath)).toBe(false);
  });

  it('reports every config problem at once with key paths (exit 2)', async () => {
    ws = createWorkspace();
    ws.writeConfig({
      providers: { simulated: { seed: -3, universe_sise: 5 } },
      storage: { backend: 'postgres' },
    });
    const r = await ws.run(['run', '--symbols', 'ALL', ...RANGE, '--providers-config', ws.configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('providers.simulated.seed');
    expect(r.stderr).toContain('providers.simulated.universe_sise: unknown key');
    expect(r.stderr).toContain('storage.backend');
    expect(existsSync(ws.dbPath)).toBe(false);
  });

  it('fails transiently-failing units after max_attempts, exits 3 listing them, and retry-failed completes them', async () => {
    ws = createWorkspace({ fail_rate: 0.5 });
    const cfgPath = ws.configPath;
    const config = (await import('yaml')).parse((await import('node:fs')).readFileSync(cfgPath, 'utf8')) as {
      ingestion: { retry: { max_attempts: number } };
      providers: { simulated: { fail_rate: number } };
    };
    config.ingestion.retry.max_attempts = 1;
    ws.writeConfig(config);
    const r = await ws.run([
      'run',
      '--symbols',
      'ALL',
      ...RANGE,
      '--workers',
      '3',
      '--log-format',
      'plain',
      '--providers-config',
      cfgPath,
    ]);
    expect(r.code).toBe(3);
    const m = /Data ingestion completed\. Successful: (\d+)\/6/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThan(6);
    expect(r.stdout).toContain('Failed symbols');
    expect(r.stdout).toContain('transient');

    config.providers.simulated.fail_rate = 0;
    ws.writeConfig(config);
    const retry = await ws.run(['retry-failed', '--providers-config', cfgPath, '--log-format', 'plain']);
    expect(retry.code).toBe(0);
    const status = await ws.run(['status', '--providers-config', cfgPath, '--format', 'csv']);
    expect(status.code).toBe(0);
    expect(status.stdout).not.toContain(',failed,');
    const again = await ws.run([
      'run',
      '--symbols',
      'ALL',
      ...RANGE,
      '--log-format',
      'plain',
      '--providers-config',
      cfgPath,
    ]);
    expect(again.stdout).toContain('Nothing new to ingest');
    expect(again.code).toBe(0);
  });

  it('query prints CSV (RFC 4180 header + rows) and refuses writes', async () => {
    ws = createWorkspace();
    const cfg = ['--providers-config', ws.configPath];
    await ws.run([
      'run',
      '--symbols',
      '600519.SH',
      ...RANGE,
      '--data-types',
      'bars_1d',
      '--log-format',
      'plain',
      ...cfg,
    ]);
    const csv = await ws.run([
      'query',
      "SELECT symbol, interval, trade_date, 'a,\"b' AS odd FROM bars ORDER BY trade_date",
      '--format',
      'csv',
      ...cfg,
    ]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(
      'symbol,interval,trade_date,odd\r\n600519.SH,1d,2025-06-05,"a,""b"\r\n600519.SH,1d,2025-06-06,"a,""b"\r\n',
    );
    const del = await ws.run(['query', 'DELETE FROM bars', ...cfg]);
    expect(del.code).toBe(2);
    expect((await queryJson(ws, 'SELECT count(*) AS n FROM bars'))[0]?.n).toBe(2);
  });
});
