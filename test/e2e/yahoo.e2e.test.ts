/**
 * End-to-end against the Yahoo chart API emulator through `providers.yahoo.base_url`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startYahooEmulator, type YahooEmulator } from '../emulators/yahoo/yahoo-emulator.js';
import { createWorkspace, queryJson, type Workspace } from '../support/cli.js';

let emu: YahooEmulator | undefined;
let ws: Workspace | undefined;
afterEach(async () => {
  ws?.cleanup();
  await emu?.close();
});

function yahooConfig(w: Workspace, url: string): Record<string, unknown> {
  return {
    providers: { yahoo: { enabled: true, base_url: url, rate_limit: { requests_per_minute: 2000 } } },
    routing: { tick_data: ['yahoo'], bars_1d: ['yahoo'], bars_1m: ['yahoo'] },
    ingestion: { retry: { max_attempts: 4, base_delay_ms: 1, max_delay_ms: 20 } },
    storage: { backend: 'duckdb', duckdb: { path: w.dbPath } },
  };
}

/** The last `n` weekdays before today (UTC), ascending. */
function recentWeekdays(n: number): string[] {
  const out: string[] = [];
  for (let t = Date.now() - 86_400_000; out.length < n; t -= 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.unshift(d.toISOString().slice(0, 10));
  }
  return out;
}

const toYahoo = (s: string) => s.replace(/\.SH$/, '.SS');

async function expectBarsMatch(
  w: Workspace,
  e: YahooEmulator,
  symbols: string[],
  days: string[],
): Promise<void> {
  for (const symbol of symbols) {
    for (const day of days) {
      const raw = e.state.dataset
        .minuteBars(toYahoo(symbol), day)
        .filter((b) => b.open !== null && b.high !== null && b.low !== null && b.close !== null);
      const stored = await queryJson(
        w,
        `SELECT epoch_ms(ts) AS ts, open, high, low, close, volume FROM bars WHERE symbol = '${symbol}' AND interval = '1m' AND trade_date = DATE '${day}' ORDER BY ts`,
      );
      expect(stored.length, `${symbol} ${day}`).toBe(raw.length);
      stored.forEach((row, i) => {
        const b = raw[i]!;
        expect(row.ts).toBe(b.start * 1000 + 60_000); // start label → end label
        expect([row.open, row.high, row.low, row.close, row.volume]).toEqual([
          b.open,
          b.high,
          b.low,
          b.close,
          b.volume ?? 0,
        ]);
      });
    }
  }
}

describe('yahoo provider through the CLI', () => {
  it('stores recent 1m bars of A-shares and US tickers end-labelled with exactly the emulator values', async () => {
    emu = await startYahooEmulator();
    ws = createWorkspace();
    ws.writeConfig(yahooConfig(ws, emu.url));
    const days = recentWeekdays(4);
    const symbols = ['600519.SH', '000001.SZ', 'AAPL', 'MSFT'];
    const r = await ws.run([
      'run',
      '--symbols',
      ...symbols,
      '--start-date',
      days[0]!,
      '--end-date',
      days.at(-1)!,
      '--data-types',
      'bars_1m,bars_1d',
      '--workers',
      '3',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ]);
    expect(r.stdout).toContain('Data ingestion completed. Successful: 4/4');
    expect(r.code).toBe(0);
    await expectBarsMatch(ws, emu, symbols, days);
    const daily = await queryJson(
      ws,
      "SELECT symbol, count(*) AS n FROM bars WHERE interval = '1d' GROUP BY symbol ORDER BY symbol",
    );
    expect(daily.length).toBe(4);
  });

  it('a storm of 429s costs time but no data', async () => {
    emu = await startYahooEmulator({ rateLimit: { maxRequests: 2, windowMs: 1000, retryAfterSeconds: 1 } });
    ws = createWorkspace();
    ws.writeConfig(yahooConfig(ws, emu.url));
    const days = recentWeekdays(3);
    const symbols = ['600519.SH', '601318.SH', '000001.SZ', '300750.SZ', 'AAPL', 'MSFT'];
    const r = await ws.run([
      'run',
      '--symbols',
      ...symbols,
      '--start-date',
      days[0]!,
      '--end-date',
      days.at(-1)!,
      '--data-types',
      'bars_1m',
      '--workers',
      '6',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ]);
    expect(emu.state.requests.some((q) => q.status === 429)).toBe(true);
    expect(r.stdout).toContain('Data ingestion completed. Successful: 6/6');
    expect(r.code).toBe(0);
    await expectBarsMatch(ws, emu, symbols, days);
  });

  it('names an unknown symbol, and explains why 1m data older than 30 days cannot come from Yahoo', async () => {
    emu = await startYahooEmulator();
    ws = createWorkspace();
    ws.writeConfig(yahooConfig(ws, emu.url));
    const days = recentWeekdays(2);
    const unknown = await ws.run([
      'run',
      '--symbols',
      'NOSUCH',
      'AAPL',
      '--start-date',
      days[0]!,
      '--end-date',
      days[1]!,
      '--data-types',
      'tick_data',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ]);
    expect(unknown.code).toBe(3);
    expect(unknown.stdout).toContain('Successful: 1/2');
    expect(unknown.stdout).toMatch(/not_found \(1\):\n\s+NOSUCH: .*(not found|No data found)/i);

    const old = await ws.run([
      'run',
      '--symbols',
      '600519.SH',
      '--start-date',
      '2025-06-05',
      '--end-date',
      '2025-06-06',
      '--data-types',
      'tick_data',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ]);
    expect(old.code).toBe(3);
    expect(old.stdout).toContain('Successful: 0/1');
    expect(old.stdout).toContain('Yahoo keeps 1-minute data for 30 days');
    // No request was sent for the old 1m window.
    expect(emu.state.requests.filter((q) => q.path.includes('600519.SS'))).toHaveLength(0);
  });
});
