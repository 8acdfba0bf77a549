import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../cli-io.js';
import { runCli } from '../run-cli.js';
import { resolveCollectOptions } from './collect-command.js';

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
