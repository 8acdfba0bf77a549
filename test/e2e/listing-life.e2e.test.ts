/**
 * End-to-end against the Tushare emulator: a symbol listed inside the requested range costs no
 * call for the days before its listing (stock_basic's list_date); those units are recorded
 * `empty` ("not listed"), and a second run skips them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTushareEmulator, type TushareEmulator } from '../emulators/tushare/tushare-emulator.js';
import { createWorkspace, queryJson, type Workspace } from '../support/cli.js';

const TOKEN = 'e2e-token-list-7788';
let emu: TushareEmulator | undefined;
let ws: Workspace | undefined;
afterEach(async () => {
  ws?.cleanup();
  await emu?.close();
});

describe('listing life through the CLI (Tushare emulator)', () => {
  it('fetches 605599.SH (listed 2024-03-04) from its listing day only and records earlier days not listed', async () => {
    emu = await startTushareEmulator({ tokens: { [TOKEN]: {} } });
    ws = createWorkspace();
    ws.writeConfig({
      providers: {
        simulated: { enabled: true },
        tushare: { enabled: true, token: '${TUSHARE_TOKEN}', base_url: emu.url },
      },
      routing: { tick_data: ['tushare'], bars_1m: ['tushare'], bars_1d: ['tushare'] },
      storage: { backend: 'duckdb', duckdb: { path: ws.dbPath } },
    });
    const args = [
      'run',
      '--provider',
      'tushare',
      '--symbols',
      '605599.SH,600000.SH',
      '--start-date',
      '2024-02-26',
      '--end-date',
      '2024-03-08',
      '--data-types',
      'bars_1m',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ];
    const r = await ws.run(args, { env: { TUSHARE_TOKEN: TOKEN } });
    expect(r.code, r.stderr).toBe(0);
    const minutes = emu.state.requests.filter((q) => q.apiName === 'stk_mins');
    // One call a symbol (10 trading days fit one call); the newcomer's starts at its listing day.
    expect(minutes).toHaveLength(2);
    const newcomer = minutes.find((q) => q.params['ts_code'] === '605599.SH');
    expect(String(newcomer?.params['start_date'])).toMatch(/^2024-03-04/);
    const ledger = await queryJson(
      ws,
      "SELECT CAST(trade_date AS VARCHAR) AS d, status, error_message FROM ingest_ledger WHERE symbol = '605599.SH' ORDER BY trade_date",
    );
    const before = ledger.filter((e) => String(e.d) < '2024-03-04');
    expect(before.map((e) => e.d)).toEqual([
      '2024-02-26',
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ]);
    expect(
      before.every((e) => e.status === 'empty' && e.error_message === 'not listed (listed 2024-03-04)'),
    ).toBe(true);
    expect(ledger.filter((e) => String(e.d) >= '2024-03-04').every((e) => e.status === 'ok')).toBe(true);

    const again = await ws.run(args, { env: { TUSHARE_TOKEN: TOKEN } });
    expect(again.code).toBe(0);
    expect(emu.state.requests.filter((q) => q.apiName === 'stk_mins')).toHaveLength(2);
  });
});
