import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../cli-io.js';
import { runCli } from '../run-cli.js';
import { resolveCollectOptions } from './collect-command.js';
import { startTushareEmulator } from '../../../test/emulators/tushare/tushare-emulator.js';
import { createScaledClock } from '../../collect/scaled-clock.js';
import { shanghaiTime } from '../../domain/dates.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function io(env: Record<string, string> = {}): CliIo & { text(): string } {
  const lines: string[] = [];
  return {
    stdout: (t) => lines.push(t),
    stderr: (t) => lines.push(t),
    isTty: false,
    env,
    text: () => lines.join('\n'),
  };
}

describe('tickpipe collect options', () => {
  it('parses provider, symbols, interval, until and sessions', () => {
    expect(
      resolveCollectOptions({
        provider: 'tushare',
        symbols: ['600519.SH,000001.SZ'],
        interval: '500ms',
        until: '15:01',
        sessions: '2',
      }),
    ).toEqual({
      provider: 'tushare',
      symbols: ['600519.SH', '000001.SZ'],
      intervalMs: 500,
      until: '15:01:00',
      sessions: 2,
    });
    expect(resolveCollectOptions({ provider: 'tushare', symbols: ['all'] })).toMatchObject({
      symbols: 'ALL',
      intervalMs: 3000,
    });
  });

  it.each([
    [['--provider', 'simulated', '--symbols', 'ALL'], '--provider: expected tushare or yahoo'],
    [['--provider', 'tushare'], '--symbols is required'],
    [['--provider', 'yahoo', '--symbols', 'ALL'], 'Yahoo has no listing endpoint'],
    [['--provider', 'tushare', '--symbols', 'ALL', '--interval', 'often'], '--interval: expected a duration'],
    [
      ['--provider', 'tushare', '--symbols', 'ALL', '--until', '25:00'],
      '--until: expected HH:MM or HH:MM:SS',
    ],
    [
      ['--provider', 'tushare', '--symbols', 'ALL', '--sessions', '0'],
      '--sessions: expected a positive integer',
    ],
    [['--provider', 'tushare', '--symbols', '60051.SH'], '60051.SH'],
    [['--provider', 'tushare', '--symbols', ''], '--symbols: expected ALL or a list'],
  ])('refuses %j with exit 2 before any request', async (args, message) => {
    const out = io();
    expect(await runCli(['collect', ...args], out)).toBe(2);
    expect(out.text()).toContain(message);
  });

  it('refuses a provider that is not enabled or has no token (exit 2), naming the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickpipe-collect-'));
    dirs.push(dir);
    const config = join(dir, 'c.yaml');
    writeFileSync(
      config,
      `providers:\n  tushare:\n    enabled: true\n    token: \${TUSHARE_TOKEN}\nstorage:\n  duckdb:\n    path: ${join(dir, 'm.duckdb')}\n`,
    );
    const out = io();
    expect(
      await runCli(
        ['collect', '--provider', 'tushare', '--symbols', 'ALL', '--providers-config', config],
        out,
      ),
    ).toBe(2);
    expect(out.text()).toContain('TUSHARE_TOKEN');
  });
});

describe('tickpipe collect remembers a stated rate limit', () => {
  it('writes the limit Tushare stated into learned-limits.json, so the next start fits its interval', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickpipe-collect-'));
    dirs.push(dir);
    const token = 'collect-learn-token-41';
    const virtualStartMs = shanghaiTime('2025-06-17', '10:00:00');
    const anchorMs = Date.now();
    const clock = createScaledClock({ virtualStartMs, anchorMs, speed: 30 });
    const emu = await startTushareEmulator({
      tokens: { [token]: { perMinute: { rt_k: 2 } } },
      now: () => clock.now(),
    });
    try {
      const config = join(dir, 'c.yaml');
      writeFileSync(
        config,
        `providers:\n  tushare:\n    enabled: true\n    token: \${TUSHARE_TOKEN}\n    base_url: ${emu.url}\n` +
          `    rate_limit: { requests_per_minute: 500 }\nstorage:\n  duckdb:\n    path: ${join(dir, 'm.duckdb')}\n`,
      );
      const env = {
        TUSHARE_TOKEN: token,
        TICKPIPE_COLLECT_CLOCK: `${new Date(virtualStartMs).toISOString()}@${anchorMs}x30`,
      };
      const args = ['collect', '--provider', 'tushare', '--symbols', '600519.SH', '--interval', '3s'];
      const out = io(env);
      expect(await runCli([...args, '--until', '10:02', '--providers-config', config], out)).toBe(0);
      expect(emu.state.requests.some((r) => r.apiName === 'rt_k' && r.overLimit)).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'learned-limits.json'), 'utf8'))).toEqual({
        'tushare|rt_k': 2,
      });
      const dry = io(env);
      expect(await runCli([...args, '--dry-run', '--providers-config', config], dry)).toBe(0);
      expect(dry.text()).toMatch(/Effective interval: 30(\.\d)? s \(raised from 3 s\)/);
      expect(dry.text()).toContain('Calls per minute: 2');
    } finally {
      await emu.close();
    }
  }, 60_000);
});
