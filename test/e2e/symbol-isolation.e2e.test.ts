/**
 * End-to-end: one unknown symbol costs that symbol only, on every provider — it fails alone
 * with class not_found, is never recorded `empty`, and the others are ingested. A delisted
 * name is known. An empty --symbols is a usage error that creates nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTushareEmulator, type TushareEmulator } from '../emulators/tushare/tushare-emulator.js';
import { createWorkspace, queryJson, type Workspace } from '../support/cli.js';

const TOKEN = 'iso-token-7f3e9a2b5c1d';
let emu: TushareEmulator | undefined;
let ws: Workspace | undefined;
afterEach(async () => {
  ws?.cleanup();
  await emu?.close();
  emu = undefined;
});

const ledger = (w: Workspace) =>
  queryJson(
    w,
    'SELECT symbol, data_type, CAST(trade_date AS VARCHAR) AS d, status, error_code FROM ingest_ledger ORDER BY symbol, data_type, d',
  );

describe('per-symbol isolation', () => {
  it('simulated: an unknown symbol fails alone (not_found); the other is ingested', async () => {
    ws = createWorkspace();
    const r = await ws.run([
      'run',
      '--symbols',
      'FOO,600000.SH',
      '--start-date',
      '2025-06-05',
      '--end-date',
      '2025-06-05',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Data ingestion completed. Successful: 1/2');
    expect(r.stdout).toMatch(/not_found \(1\):\n\s+FOO: /);
    const rows = await ledger(ws);
    expect(rows.filter((x) => x.symbol === '600000.SH').every((x) => x.status === 'ok')).toBe(true);
    const foo = rows.filter((x) => x.symbol === 'FOO');
    expect(foo.length).toBeGreaterThan(0);
    expect(foo.every((x) => x.status === 'failed' && x.error_code === 'PROVIDER_NOT_FOUND')).toBe(true);

    // `status --format json` is one JSON document on stdout (what `| jq` needs).
    const status = await ws.run(['status', '--format', 'json', '--providers-config', ws.configPath]);
    expect(status.code).toBe(0);
    const doc = JSON.parse(status.stdout) as {
      units: number;
      failed: { total: number; units: Array<{ symbol: string; errorCode: string }> };
    };
    expect(doc.units).toBe(rows.length);
    expect(doc.failed.total).toBe(foo.length);
    expect(new Set(doc.failed.units.map((u) => `${u.symbol} ${u.errorCode}`))).toEqual(
      new Set(['FOO PROVIDER_NOT_FOUND']),
    );
  });

  it('tushare: an unlisted code fails not_found instead of being stored empty; a delisted code is known and its listed days ingested', async () => {
    emu = await startTushareEmulator({ tokens: { [TOKEN]: {} } });
    ws = createWorkspace();
    ws.writeConfig({
      providers: {
        simulated: { enabled: true },
        tushare: { enabled: true, token: '${TUSHARE_TOKEN}', base_url: emu.url },
      },
      routing: { tick_data: ['tushare'], bars_1d: ['tushare'], bars_1m: ['tushare'] },
      ingestion: { retry: { max_attempts: 2, base_delay_ms: 1, max_delay_ms: 5 } },
      storage: { backend: 'duckdb', duckdb: { path: ws.dbPath } },
    });
    const r = await ws.run(
      [
        'run',
        '--provider',
        'tushare',
        '--symbols',
        '600000.SH',
        '600999.SH',
        '000005.SZ',
        '--start-date',
        '2024-04-25',
        '--end-date',
        '2024-04-29',
        '--data-types',
        'bars_1d',
        '--log-format',
        'plain',
        '--providers-config',
        ws.configPath,
      ],
      { env: { TUSHARE_TOKEN: TOKEN } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Data ingestion completed. Successful: 2/3');
    expect(r.stdout).toMatch(/not_found \(1\):\n\s+600999\.SH: .*Tushare does not know 600999\.SH/);
    const rows = await ledger(ws);
    const unknown = rows.filter((x) => x.symbol === '600999.SH');
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.map((x) => x.status)).not.toContain('empty');
    expect(unknown.every((x) => x.error_code === 'PROVIDER_NOT_FOUND')).toBe(true);
    // Delisted after 2024-04-26: bars on its last listed days, confirmed empty afterwards.
    const delisted = rows.filter((x) => x.symbol === '000005.SZ');
    expect(delisted.map((x) => `${String(x.d)} ${String(x.status)}`)).toEqual([
      '2024-04-25 ok',
      '2024-04-26 ok',
      '2024-04-29 empty',
    ]);
    const bars = await queryJson(
      ws,
      "SELECT symbol, count(*) AS n FROM bars WHERE interval = '1d' GROUP BY symbol ORDER BY symbol",
    );
    expect(bars).toEqual([
      { symbol: '000005.SZ', n: 2 },
      { symbol: '600000.SH', n: 3 },
    ]);
  });

  it.each([[''], [' , ,'], [',']])(
    '--symbols %j is a usage error (exit 2) that creates nothing',
    async (value) => {
      ws = createWorkspace();
      const r = await ws.run([
        'run',
        '--symbols',
        value,
        '--start-date',
        '2025-06-05',
        '--end-date',
        '2025-06-05',
        '--providers-config',
        ws.configPath,
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--symbols');
      expect(existsSync(ws.dbPath)).toBe(false);
      expect(existsSync(join(ws.dir, 'data'))).toBe(false);
      expect(existsSync(join(ws.dir, 'reports'))).toBe(false);
    },
  );
});
