import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

const TOKEN = 'tok-SECRET-1234';

interface FakeIo extends CliIo {
  out: string[];
  err: string[];
  text(): string;
}

function fakeIo(env: Record<string, string | undefined> = {}): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    isTty: false,
    env,
    text: () => [...out, ...err].join('\n'),
  };
}

let dir: string;
let configPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickpipe-cli-'));
  configPath = join(dir, 'config.yaml');
  // A store path inside the temp dir, so nothing can touch ./data.
  writeFileSync(configPath, `storage:\n  duckdb:\n    path: ${join(dir, 'market.duckdb')}\n`);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

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
  it('prints the JSON schema', async () => {
    const io = fakeIo();
    expect(await runCli(['config-schema'], io)).toBe(0);
    const schema = JSON.parse(io.out.join('\n')) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['providers', 'routing', 'ingestion', 'storage']),
    );
  });
});

describe('runCli run on the simulator (in-process, temp DuckDB)', () => {
  const runArgs = (...extra: string[]) => [
    'run',
    '--symbols',
    '600000.SH',
    '--start-date',
    '2025-06-05',
    '--end-date',
    '2025-06-05',
    '--provider',
    'simulated',
    '--log-format',
    'plain',
    '--providers-config',
    configPath,
    ...extra,
  ];

  it('--dry-run prints the plan and writes nothing', async () => {
    const io = fakeIo();
    expect(await runCli(runArgs('--dry-run'), io)).toBe(0);
    const text = io.out.join('\n');
    expect(text).toContain('Dry run (nothing is written)');
    expect(text).toMatch(/Units: 5 to do in 1 job\(s\); 0 already done/);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('ingests, ends with the exact completion line, resumes, and answers queries', async () => {
    const first = fakeIo();
    expect(await runCli(runArgs(), first)).toBe(0);
    expect(first.out.at(-1)).toBe('Data ingestion completed. Successful: 1/1');
    expect(first.out.some((l) => l.startsWith('ok    ticks 600000.SH 2025-06-05 via simulated'))).toBe(true);

    const again = fakeIo();
    expect(await runCli(runArgs(), again)).toBe(0);
    expect(again.out.some((l) => l.startsWith('Nothing new to ingest: all 5 unit(s) are already done'))).toBe(
      true,
    );
    expect(again.out.at(-1)).toBe('Data ingestion completed. Successful: 1/1');

    const csv = fakeIo();
    expect(
      await runCli(
        [
          'query',
          "SELECT count(*) AS n FROM bars WHERE interval = '1d'",
          '--format',
          'csv',
          '--providers-config',
          configPath,
        ],
        csv,
      ),
    ).toBe(0);
    // The io adds the final newline, so the process prints `n\r\n1\r\n`.
    expect(`${csv.out.join('\n')}\n`).toBe('n\r\n1\r\n');

    const drop = fakeIo();
    expect(await runCli(['query', 'DROP TABLE ticks', '--providers-config', configPath], drop)).not.toBe(0);
    const count = fakeIo();
    expect(
      await runCli(
        ['query', 'SELECT count(*) AS n FROM ticks', '--format', 'json', '--providers-config', configPath],
        count,
      ),
    ).toBe(0);
    expect((JSON.parse(count.out.join('\n')) as Array<{ n: number }>)[0]?.n).toBeGreaterThan(0);

    const status = fakeIo();
    expect(await runCli(['status', '--providers-config', configPath], status)).toBe(0);
    expect(status.out.join('\n')).toContain('Ledger: 5 unit(s)');
  });

  it('rejects an unknown --provider before creating the store', async () => {
    const io = fakeIo();
    const args = runArgs();
    args[args.indexOf('simulated')] = 'nope';
    expect(await runCli(args, io)).toBe(2);
    expect(io.err.join('\n')).toContain('nope');
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });
});

describe('runCli with failing units (simulator fail_rate 1)', () => {
  beforeEach(() => {
    writeFileSync(
      configPath,
      `providers:\n  simulated:\n    fail_rate: 1\ningestion:\n  retry: { max_attempts: 1 }\nstorage:\n  duckdb:\n    path: ${join(dir, 'market.duckdb')}\n`,
    );
  });

  const failingRun = (io: FakeIo) =>
    runCli(
      [
        'run',
        '--symbols',
        '600000.SH',
        '000001.SZ',
        '--start-date',
        '2025-06-05',
        '--end-date',
        '2025-06-05',
        '--data-types',
        'bars_1d',
        '--provider',
        'simulated',
        '--log-format',
        'plain',
        '--providers-config',
        configPath,
      ],
      io,
    );

  it('exits 3 and lists each failed symbol with its reason after the completion line', async () => {
    const io = fakeIo();
    expect(await failingRun(io)).toBe(3);
    const i = io.out.indexOf('Data ingestion completed. Successful: 0/2');
    expect(i).toBeGreaterThan(0);
    const after = io.out.slice(i + 1);
    expect(after[0]).toBe('Failed symbols (2):');
    expect(after.some((l) => /^ {4}600000\.SH: bars_1d 2025-06-05 .*Simulated fault/.test(l))).toBe(true);
    expect(after.some((l) => /^ {4}000001\.SZ: bars_1d 2025-06-05 .*Simulated fault/.test(l))).toBe(true);

    const status = fakeIo();
    expect(await runCli(['status', '--limit', '1', '--providers-config', configPath], status)).toBe(0);
    const text = status.out.join('\n');
    expect(text).toContain('Failed or unsupported units (2, first 1)');
    expect(text).toContain('PROVIDER_UNAVAILABLE');

    const retry = fakeIo();
    expect(
      await runCli(['retry-failed', '--log-format', 'plain', '--providers-config', configPath], retry),
    ).toBe(3);
    expect(retry.out).toContain('Retrying 2 failed unit(s) on simulated');
  });

  it('rejects a non-numeric status --limit', async () => {
    await failingRun(fakeIo());
    const io = fakeIo();
    expect(await runCli(['status', '--limit', 'abc', '--providers-config', configPath], io)).toBe(2);
    expect(io.err.join('\n')).toContain('--limit');
  });
});

describe('runCli secrets in config errors', () => {
  it('never prints a token that landed in an invalid config value', async () => {
    writeFileSync(
      configPath,
      'providers:\n  tushare:\n    token: ${TUSHARE_TOKEN}\nstorage:\n  backend: ${TUSHARE_TOKEN}\n',
    );
    const io = fakeIo({ TUSHARE_TOKEN: TOKEN });
    expect(await runCli(['providers', '--providers-config', configPath], io)).toBe(2);
    expect(io.err.join('\n')).toContain('storage.backend');
    expect(io.text()).not.toContain(TOKEN);
  });
});
