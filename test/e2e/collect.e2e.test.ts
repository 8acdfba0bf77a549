/**
 * End-to-end: the built CLI's `tickpipe collect` against the Tushare emulator through the end of a
 * session on a time-compressed clock (`TICKPIPE_COLLECT_CLOCK`, shared by the CLI and the
 * emulator), stopped with --until and restarted, then read back with `query` and `status`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTushareEmulator, type TushareEmulator } from '../emulators/tushare/tushare-emulator.js';
import { createWorkspace, queryJson, type Workspace } from '../support/cli.js';
import { createScaledClock } from '../../src/collect/scaled-clock.js';
import { shanghaiTime } from '../../src/domain/dates.js';

const TOKEN = 'e2e-token-collect-77';
const DAY = '2025-06-17';
// 30 virtual seconds per real second: the first run (14:48–14:56) leaves a loaded machine 16 s to start the CLI.
const SPEED = 30;
let emu: TushareEmulator | undefined;
let ws: Workspace | undefined;
afterEach(async () => {
  ws?.cleanup();
  await emu?.close();
});

async function setUp(startLocal: string): Promise<{ env: Record<string, string> }> {
  const anchorMs = Date.now();
  const virtualStartMs = shanghaiTime(DAY, startLocal);
  const clock = createScaledClock({ virtualStartMs, anchorMs, speed: SPEED });
  emu = await startTushareEmulator({ tokens: { [TOKEN]: {} }, now: () => clock.now() });
  ws = createWorkspace();
  ws.writeConfig({
    providers: {
      tushare: {
        enabled: true,
        token: '${TUSHARE_TOKEN}',
        base_url: emu.url,
        rate_limit: { requests_per_minute: 500 },
      },
    },
    storage: { backend: 'duckdb', duckdb: { path: ws.dbPath } },
  });
  return {
    env: {
      TUSHARE_TOKEN: TOKEN,
      TICKPIPE_COLLECT_CLOCK: `${new Date(virtualStartMs).toISOString()}@${anchorMs}x${SPEED}`,
    },
  };
}

describe('tickpipe collect (built CLI, Tushare emulator, compressed clock)', () => {
  it('collects through the closing auction, restarts without duplicates, adds up to the cumulative volume', async () => {
    const { env } = await setUp('14:48:00');
    const w = ws as Workspace;
    const args = ['collect', '--provider', 'tushare', '--symbols', 'ALL', '--interval', '3s'];
    const first = await w.run([...args, '--until', '14:56', '--providers-config', w.configPath], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'Collecting tushare real-time quotes for the whole market (11 symbols) every 3 s',
    );
    expect(first.stdout).toContain('Collection ended (reached --until 14:56:00)');
    expect(first.stdout + first.stderr).not.toContain(TOKEN);

    const second = await w.run([...args, '--until', '15:01', '--providers-config', w.configPath], { env });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/continuing from \d+ stored snapshot/);
    expect(second.stdout).toContain(`${DAY} closed: factors for`);

    const market = (emu as TushareEmulator).state.market;
    const volumes = await queryJson(
      w,
      'SELECT symbol, sum(volume) AS v, count(*) AS n FROM ticks GROUP BY symbol ORDER BY symbol',
    );
    const base = await queryJson(
      w,
      'SELECT symbol, arg_min(cum_volume, ts) AS first_vol, max(cum_volume) AS last_vol FROM live_quotes GROUP BY symbol ORDER BY symbol',
    );
    const traded = market.listings.filter((l) => l.listStatus === 'L' && market.trades(l.tsCode, DAY));
    expect(base.map((b) => b.symbol)).toEqual(traded.map((l) => l.tsCode).sort());
    for (const b of base) {
      const final = market.quote(b.symbol as string, shanghaiTime(DAY, '15:00:02'));
      expect(b.last_vol).toBe(final?.vol);
      const v = volumes.find((x) => x.symbol === b.symbol);
      // Derived trades add up to the provider's cumulative volume since the first (baseline) snapshot.
      expect(Number(v?.v ?? 0)).toBe((final?.vol ?? 0) - (b.first_vol as number));
    }
    const dup = await queryJson(
      w,
      'SELECT (SELECT count(*) FROM order_book) AS books, (SELECT count(DISTINCT (symbol, ts)) FROM order_book) AS distinct_books, (SELECT count(*) FROM ticks) AS ticks, (SELECT count(DISTINCT (symbol, ts, seq)) FROM ticks) AS distinct_ticks, (SELECT count(*) FROM factors) AS factors',
    );
    expect(dup[0]?.books).toBe(dup[0]?.distinct_books);
    expect(dup[0]?.ticks).toBe(dup[0]?.distinct_ticks);
    expect(Number(dup[0]?.factors)).toBeGreaterThan(0);
    // Polls only inside the session (plus the closing poll right after 15:00).
    const late = (emu as TushareEmulator).state.requests.filter(
      (q) => q.apiName === 'rt_k' && q.atMs > shanghaiTime(DAY, '15:00:30'),
    );
    expect(late).toEqual([]);

    const status = await w.run(['status', '--providers-config', w.configPath]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Live collection coverage');
    expect(status.stdout).toMatch(new RegExp(`tushare\\s+.*${DAY}\\s+.*${traded.length}`));
  }, 120_000);

  it('prints calls per minute and the raised interval on --dry-run, and exits 2 on a bad token', async () => {
    const { env } = await setUp('10:00:00');
    const w = ws as Workspace;
    w.writeConfig({
      providers: {
        tushare: {
          enabled: true,
          token: '${TUSHARE_TOKEN}',
          base_url: (emu as TushareEmulator).url,
          rate_limit: { requests_per_minute: 20 },
        },
      },
      storage: { backend: 'duckdb', duckdb: { path: w.dbPath } },
    });
    const dry = await w.run(
      [
        'collect',
        '--provider',
        'tushare',
        '--symbols',
        'ALL',
        '--interval',
        '3s',
        '--dry-run',
        '--providers-config',
        w.configPath,
      ],
      { env },
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Requests per snapshot: 4 rt_k');
    expect(dry.stdout).toContain('Effective interval: 12.3 s (raised from 3 s)');
    expect(dry.stdout).toContain('Calls per minute: 19.5');
    expect(dry.stdout.match(/warning: /g)).toHaveLength(1);

    const bad = await w.run(
      [
        'collect',
        '--provider',
        'tushare',
        '--symbols',
        '600519.SH',
        '--until',
        '10:05',
        '--providers-config',
        w.configPath,
      ],
      { env: { ...env, TUSHARE_TOKEN: 'wrong-token-0000' } },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('token');
    expect(bad.stdout + bad.stderr).not.toContain('wrong-token-0000');
  }, 60_000);

  it('ends cleanly on SIGTERM (exit 0) and Ctrl-C (exit 130), keeping what was collected', async () => {
    const { env } = await setUp('10:00:00');
    const w = ws as Workspace;
    for (const [signal, code] of [
      ['SIGTERM', 0],
      ['SIGINT', 130],
    ] as const) {
      const child = w.spawn(
        [
          'collect',
          '--provider',
          'tushare',
          '--symbols',
          '600519.SH',
          '--interval',
          '3s',
          '--providers-config',
          w.configPath,
        ],
        { env },
      );
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (/poll\(s\)/.test(child.output().stdout)) {
            clearInterval(check);
            resolve();
          }
        }, 50);
      });
      child.kill(signal);
      await new Promise((resolve) => child.on('close', resolve));
      expect(child.output().code).toBe(code);
      expect(child.output().stdout).toContain(`stopped by ${signal}`);
    }
    const books = await queryJson(w, 'SELECT count(*) AS n FROM order_book');
    expect(Number(books[0]?.n)).toBeGreaterThan(1);
  }, 60_000);
});
