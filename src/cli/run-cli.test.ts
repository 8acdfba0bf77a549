import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN, fakeIo, makeCliSandbox, removeCliSandbox } from '../../test/support/cli-sandbox.js';
import { runCli } from './run-cli.js';

let dir: string;
let configPath: string;
beforeEach(() => {
  ({ dir, configPath } = makeCliSandbox());
});
afterEach(() => removeCliSandbox(dir));

describe('runCli --help', () => {
  it.each(['run', 'query', 'status', 'retry-failed', 'providers', 'factors', 'config-schema'])(
    '%s --help exits 0 and shows examples',
    async (command) => {
      const io = fakeIo();
      expect(await runCli([command, '--help'], io)).toBe(0);
      expect(io.out.join('\n')).toContain('Examples');
      expect(io.out.join('\n')).toContain(`tickpipe ${command}`);
    },
  );

  it('top-level --help lists the commands and exits 0', async () => {
    const io = fakeIo();
    expect(await runCli(['--help'], io)).toBe(0);
    for (const c of ['run', 'query', 'status', 'retry-failed', 'providers', 'factors']) {
      expect(io.out.join('\n')).toContain(c);
    }
  });

  it('--version prints the version and exits 0', async () => {
    const io = fakeIo();
    expect(await runCli(['--version'], io, '9.8.7')).toBe(0);
    expect(io.out).toEqual(['9.8.7']);
  });

  it('run --help documents --providers-config and --storage', async () => {
    const io = fakeIo();
    await runCli(['run', '--help'], io);
    const help = io.out.join('\n');
    for (const flag of [
      '--symbols',
      '--start-date',
      '--end-date',
      '--workers',
      '--data-types',
      '--dry-run',
      '--providers-config',
      '--storage',
      '--no-resume',
      '--log-format',
    ]) {
      expect(help).toContain(flag);
    }
  });
});

describe('runCli usage errors (exit 2, nothing written)', () => {
  it('rejects an unknown option', async () => {
    const io = fakeIo();
    expect(await runCli(['run', '--bogus-flag'], io)).toBe(2);
    expect(io.err.join('\n')).toContain('--bogus-flag');
  });

  it('rejects an unknown command', async () => {
    const io = fakeIo();
    expect(await runCli(['frobnicate'], io)).toBe(2);
  });

  it('requires --symbols for run', async () => {
    const io = fakeIo();
    const code = await runCli(
      ['run', '--start-date', '2025-06-05', '--end-date', '2025-06-06', '--providers-config', configPath],
      io,
    );
    expect(code).toBe(2);
    expect(io.err.join('\n')).toMatch(/tickpipe: error: --symbols is required/);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('requires dates for run', async () => {
    const io = fakeIo();
    expect(await runCli(['run', '--symbols', '600000.SH', '--providers-config', configPath], io)).toBe(2);
    expect(io.err.join('\n')).toContain('--start-date and --end-date are required');
  });

  it('rejects --workers 0', async () => {
    const io = fakeIo();
    const code = await runCli(
      [
        'run',
        '--symbols',
        '600000.SH',
        '--start-date',
        '2025-06-05',
        '--end-date',
        '2025-06-05',
        '--workers',
        '0',
        '--providers-config',
        configPath,
      ],
      io,
    );
    expect(code).toBe(2);
    expect(io.err.join('\n')).toContain('--workers: expected a positive integer or auto, found "0"');
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('rejects an unknown data type, naming it', async () => {
    const io = fakeIo();
    const code = await runCli(
      [
        'run',
        '--symbols',
        '600000.SH',
        '--start-date',
        '2025-06-05',
        '--end-date',
        '2025-06-05',
        '--data-types',
        'ticks,bogus',
        '--providers-config',
        configPath,
      ],
      io,
    );
    expect(code).toBe(2);
    expect(io.err.join('\n')).toContain('"bogus"');
  });

  it('rejects malformed symbols, naming every one', async () => {
    const io = fakeIo();
    const code = await runCli(
      [
        'run',
        '--symbols',
        '60000.SH,600000.SH',
        'ABC.XYZ!',
        '--start-date',
        '2025-06-05',
        '--end-date',
        '2025-06-05',
        '--providers-config',
        configPath,
      ],
      io,
    );
    expect(code).toBe(2);
    const err = io.err.join('\n');
    expect(err).toContain('"60000.SH"');
    expect(err).toContain('"ABC.XYZ!"');
  });

  it('rejects a start date after the end date', async () => {
    const io = fakeIo();
    const code = await runCli(
      [
        'run',
        '--symbols',
        'ALL',
        '--start-date',
        '2025-06-07',
        '--end-date',
        '2025-06-05',
        '--providers-config',
        configPath,
      ],
      io,
    );
    expect(code).toBe(2);
    expect(io.err.join('\n')).toContain('is after --end-date');
  });

  it('rejects an invalid --storage choice', async () => {
    const io = fakeIo();
    expect(await runCli(['query', '--storage', 'sqlite', '--providers-config', configPath], io)).toBe(2);
    expect(io.err.join('\n')).toContain('sqlite');
  });

  it('reports a missing --providers-config file as a config error', async () => {
    const io = fakeIo();
    expect(await runCli(['providers', '--providers-config', join(dir, 'nope.yaml')], io)).toBe(2);
    expect(io.err.join('\n')).toContain('Config file not found');
  });

  it('reports an invalid config with key paths', async () => {
    writeFileSync(configPath, 'storage:\n  backend: sqlite\n  extra: 1\n');
    const io = fakeIo();
    expect(await runCli(['providers', '--providers-config', configPath], io)).toBe(2);
    const err = io.err.join('\n');
    expect(err).toContain('storage.backend');
    expect(err).toContain('storage.extra');
  });

  it('query reports a missing DuckDB file instead of creating it', async () => {
    const io = fakeIo();
    expect(await runCli(['query', 'SELECT 1', '--providers-config', configPath], io)).toBe(2);
    expect(io.err.join('\n')).toContain('No data yet');
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });
});

describe('runCli factors', () => {
  it('--format json lists the 17 factors with definitions', async () => {
    const io = fakeIo();
    expect(await runCli(['factors', '--format', 'json'], io)).toBe(0);
    const list = JSON.parse(io.out.join('\n')) as Array<{ name: string; formula: string }>;
    expect(list).toHaveLength(17);
    expect(new Set(list.map((f) => f.name)).size).toBe(17);
    for (const f of list) expect(f.formula.length).toBeGreaterThan(0);
  });

  it('table format prints each factor name', async () => {
    const io = fakeIo();
    expect(await runCli(['factors'], io)).toBe(0);
    expect(io.out.filter((l) => !l.startsWith(' '))).toHaveLength(17);
  });

  it('rejects an unknown format', async () => {
    const io = fakeIo();
    expect(await runCli(['factors', '--format', 'xml'], io)).toBe(2);
  });
});

describe('runCli providers', () => {
  it('never prints the tushare token (table and json)', async () => {
    writeFileSync(
      configPath,
      `providers:\n  tushare:\n    enabled: true\n    token: ${TOKEN}\n    tokens: ["${TOKEN}-B"]\nstorage:\n  duckdb:\n    path: ${join(dir, 'market.duckdb')}\n`,
    );
    for (const format of ['table', 'json']) {
      const io = fakeIo({ TUSHARE_TOKEN: TOKEN });
      expect(await runCli(['providers', '--format', format, '--providers-config', configPath], io)).toBe(0);
      const text = io.text();
      expect(text).toContain('tushare');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('SECRET');
    }
  });

  it('shows tushare as not configured when TUSHARE_TOKEN is unset', async () => {
    writeFileSync(configPath, 'providers:\n  tushare:\n    enabled: true\n    token: ${TUSHARE_TOKEN}\n');
    const io = fakeIo();
    expect(await runCli(['providers', '--format', 'json', '--providers-config', configPath], io)).toBe(0);
    const report = JSON.parse(io.out.join('\n')) as Array<{
      name: string;
      configured: boolean;
      reason?: string;
    }>;
    const tushare = report.find((p) => p.name === 'tushare');
    expect(tushare?.configured).toBe(false);
    expect(tushare?.reason).toContain('TUSHARE_TOKEN');
    expect(report.map((p) => p.name)).toEqual(['simulated', 'tushare', 'yahoo']);
  });

  it('table output names each provider and its rate limit', async () => {
    const io = fakeIo();
    expect(await runCli(['providers', '--providers-config', configPath], io)).toBe(0);
    const text = io.out.join('\n');
    expect(text).toMatch(/^simulated: enabled/m);
    expect(text).toContain('200/min per key');
  });
});

describe('runCli config-schema', () => {
  // BUG: configJsonSchema() throws (schema.ts:16-17, `.default(undefined)` for the simulator's
  // requests_per_minute), so `tickpipe config-schema` exits 1 with "internal error: "undefined"
  // is not valid JSON" instead of printing the schema.
  it('prints the JSON schema', async () => {
    const io = fakeIo();
    expect(await runCli(['config-schema'], io)).toBe(0);
    const schema = JSON.parse(io.out.join('\n')) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['providers', 'routing', 'ingestion', 'storage']),
    );
  });
});
