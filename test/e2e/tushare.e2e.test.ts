/**
 * End-to-end against the Tushare Pro emulator: the built CLI with `--provider tushare`
 * reaches the emulator through `providers.tushare.base_url`, like production reaches Tushare.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTushareEmulator, type TushareEmulator } from '../emulators/tushare/tushare-emulator.js';
import { createWorkspace, queryJson, type Workspace } from '../support/cli.js';

const TOKEN = 'e2e-token-abcd1234';
let emu: TushareEmulator | undefined;
let ws: Workspace | undefined;
afterEach(async () => {
  ws?.cleanup();
  await emu?.close();
});

function tushareConfig(
  w: Workspace,
  url: string,
  perApi: Record<string, number> = {},
): Record<string, unknown> {
  return {
    providers: {
      simulated: { enabled: true },
      tushare: {
        enabled: true,
        token: '${TUSHARE_TOKEN}',
        base_url: url,
        rate_limit: { requests_per_minute: 500, per_api: perApi },
      },
    },
    routing: { tick_data: ['tushare'], bars_1d: ['tushare'], bars_1m: ['tushare'] },
    ingestion: { retry: { max_attempts: 4, base_delay_ms: 1, max_delay_ms: 20 } },
    storage: { backend: 'duckdb', duckdb: { path: w.dbPath } },
  };
}

const RANGE = ['--start-date', '2025-06-03', '--end-date', '2025-06-06'];

describe('tushare provider through the CLI', () => {
  it('ingests exactly the listed universe; 1m and daily bars match the emulator row for row', async () => {
    emu = await startTushareEmulator({ tokens: { [TOKEN]: {} } });
    ws = createWorkspace();
    ws.writeConfig(tushareConfig(ws, emu.url));
    const r = await ws.run(
      [
        'run',
        '--provider',
        'tushare',
        '--symbols',
        'ALL',
        ...RANGE,
        '--data-types',
        'bars_1m,bars_1d',
        '--workers',
        '4',
        '--log-format',
        'plain',
        '--providers-config',
        ws.configPath,
      ],
      { env: { TUSHARE_TOKEN: TOKEN } },
    );
    const listed = emu.state.market.listings
      .filter((l) => l.listStatus === 'L')
      .map((l) => l.tsCode)
      .sort();
    expect(r.stdout).toContain(`Data ingestion completed. Successful: ${listed.length}/${listed.length}`);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);

    // Daily bars of ALL come from the whole-market form: one `daily` call per trading day.
    expect(emu.state.requests.filter((q) => q.apiName === 'daily')).toHaveLength(4);
    const symbols = await queryJson(ws, 'SELECT DISTINCT symbol FROM bars ORDER BY symbol');
    expect(symbols.map((s) => s.symbol)).toEqual(
      listed.filter((s) =>
        emu!.state.market.tradingDays('2025-06-03', '2025-06-06').some((d) => emu!.state.market.trades(s, d)),
      ),
    );

    const market = emu.state.market;
    const days = market.tradingDays('2025-06-03', '2025-06-06');
    for (const symbol of ['600519.SH', '000001.SZ', '830799.BJ']) {
      for (const day of days) {
        const expected = market.minuteBars(symbol, day);
        const stored = await queryJson(
          ws,
          `SELECT epoch_ms(ts) AS ts, open, high, low, close, volume, amount FROM bars WHERE symbol = '${symbol}' AND interval = '1m' AND trade_date = DATE '${day}' ORDER BY ts`,
        );
        expect(stored.length).toBe(expected.length);
        if (expected.length > 0) expect(stored.length).toBe(241);
        stored.forEach((row, i) => {
          const e = expected[i]!;
          // End label, Shanghai wall clock → UTC.
          expect(row.ts).toBe(Date.parse(`${e.tradeTime.replace(' ', 'T')}+08:00`));
          expect([row.open, row.high, row.low, row.close, row.volume, row.amount]).toEqual([
            e.open,
            e.high,
            e.low,
            e.close,
            e.vol,
            e.amount,
          ]);
        });
        const daily = market.dailyBar(symbol, day);
        const d = await queryJson(
          ws,
          `SELECT epoch_ms(ts) AS ts, open, close, volume, amount FROM bars WHERE symbol = '${symbol}' AND interval = '1d' AND trade_date = DATE '${day}'`,
        );
        if (!daily) {
          expect(d).toEqual([]);
          continue;
        }
        expect(d).toHaveLength(1);
        expect(d[0]!.ts).toBe(Date.parse(`${day}T15:00:00+08:00`));
        expect(d[0]!.volume).toBeCloseTo(daily.vol * 100, 6); // 手 → shares
        expect(d[0]!.amount).toBeCloseTo(daily.amount * 1000, 2); // 千元 → CNY
        expect([d[0]!.open, d[0]!.close]).toEqual([daily.open, daily.close]);
      }
    }
  });

  it('never sends a request over the per-minute limit and learns a stated limit', async () => {
    // A shortened "minute" on both sides keeps the test fast; the logic is the production one.
    emu = await startTushareEmulator({ tokens: { [TOKEN]: { perMinute: { stk_mins: 3 } } }, windowMs: 1500 });
    ws = createWorkspace();
    // The config claims more than the account allows: the provider's answer must correct it.
    ws.writeConfig(tushareConfig(ws, emu.url, { stk_mins: 6 }));
    const r = await ws.run(
      [
        'run',
        '--provider',
        'tushare',
        '--symbols',
        'ALL',
        ...RANGE,
        '--data-types',
        'bars_1m',
        '--workers',
        '6',
        '--log-format',
        'plain',
        '--providers-config',
        ws.configPath,
      ],
      { env: { TUSHARE_TOKEN: TOKEN, TICKPIPE_RATE_WINDOW_MS: '1500' } },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('allows 3/min');
    const mins = emu.state.requests.filter((q) => q.apiName === 'stk_mins');
    const refused = mins.filter((q) => q.overLimit);
    // The limit is learned from the first refusal; only requests reserved under the old limit
    // (at most one window's worth, 6) may still be refused.
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(6);
    // Requests that arrived more than one window (+ margin) after the first refusal were all
    // paced under the learned limit: none of them may be refused — and there must be some, or
    // this check would hold by construction.
    const learnedAt = (refused[0] as { atMs: number }).atMs;
    const paced = mins.filter((q) => q.atMs > learnedAt + 1500 + 500);
    expect(paced.length).toBeGreaterThan(3);
    expect(paced.filter((q) => q.overLimit)).toEqual([]);
  });

  it('a bad token fails with a clear message naming only its last 4 characters (exit 2, nothing requested but the refused call)', async () => {
    emu = await startTushareEmulator({ tokens: { [TOKEN]: {} } });
    ws = createWorkspace();
    ws.writeConfig(tushareConfig(ws, emu.url));
    const bad = 'wrong-token-zz9876';
    const r = await ws.run(
      [
        'run',
        '--provider',
        'tushare',
        '--symbols',
        '600519.SH',
        ...RANGE,
        '--data-types',
        'bars_1m',
        '--providers-config',
        ws.configPath,
      ],
      { env: { TUSHARE_TOKEN: bad } },
    );
    // A rejected token is a configuration problem: exit 2, and no data request after it.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/token/i);
    expect(r.stdout + r.stderr).toContain('9876');
    expect(r.stdout + r.stderr).not.toContain(bad.slice(0, -4));
    expect(emu.state.requests.filter((q) => q.apiName === 'stk_mins')).toEqual([]);
  });

  it('drops a bad key of `tokens` with one warning and goes on with the good one; planning calls are retried', async () => {
    emu = await startTushareEmulator({
      tokens: { [TOKEN]: {} },
      faultRate: 0.25,
      faultKinds: ['http500', 'reset', 'truncated'],
      faultSeed: 3,
    });
    ws = createWorkspace();
    const config = tushareConfig(ws, emu.url) as { providers: { tushare: Record<string, unknown> } };
    delete config.providers.tushare.token;
    config.providers.tushare.tokens = ['bad-token-qqqq7777', '${TUSHARE_TOKEN}'];
    ws.writeConfig(config);
    const r = await ws.run(
      [
        'run',
        '--provider',
        'tushare',
        '--symbols',
        'ALL',
        ...RANGE,
        '--data-types',
        'bars_1m',
        '--workers',
        '3',
        '--log-format',
        'plain',
        '--providers-config',
        ws.configPath,
      ],
      { env: { TUSHARE_TOKEN: TOKEN } },
    );
    expect(r.stdout).toMatch(/Data ingestion completed\. Successful: (\d+)\/\1/);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/API key #1 disabled/g)).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain('bad-token-qqqq7777');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    // Every unit exactly once despite the faults.
    const [row] = await queryJson(
      ws,
      "SELECT count(*) AS n, count(DISTINCT symbol || CAST(ts AS VARCHAR)) AS k FROM bars WHERE interval = '1m'",
    );
    expect(row?.n).toBe(row?.k);
  });

  it('a missing TUSHARE_TOKEN is reported as "tushare not configured" and nothing is requested', async () => {
    emu = await startTushareEmulator({ tokens: { [TOKEN]: {} } });
    ws = createWorkspace();
    ws.writeConfig(tushareConfig(ws, emu.url));
    const r = await ws.run([
      'run',
      '--provider',
      'tushare',
      '--symbols',
      'ALL',
      ...RANGE,
      '--providers-config',
      ws.configPath,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tushare not configured');
    expect(r.stderr).toContain('TUSHARE_TOKEN');
    expect(emu.state.requests).toHaveLength(0);
  });

  it('historical order books are reported as unsupported by Tushare, not stored empty', async () => {
    emu = await startTushareEmulator({ tokens: { [TOKEN]: {} } });
    ws = createWorkspace();
    ws.writeConfig(tushareConfig(ws, emu.url));
    const r = await ws.run(
      [
        'run',
        '--provider',
        'tushare',
        '--symbols',
        '600519.SH',
        ...RANGE,
        '--data-types',
        'order_book',
        '--log-format',
        'plain',
        '--providers-config',
        ws.configPath,
      ],
      { env: { TUSHARE_TOKEN: TOKEN } },
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Successful: 0/1');
    expect(r.stdout).toMatch(/unsupported/i);
    expect(
      await queryJson(ws, "SELECT count(*) AS n FROM ingest_ledger WHERE status = 'unsupported'"),
    ).toEqual([{ n: 4 }]);
  });
});
