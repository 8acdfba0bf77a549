import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  TOKEN,
  fakeIo,
  makeCliSandbox,
  removeCliSandbox,
  type FakeIo,
} from '../../test/support/cli-sandbox.js';
import { runCli } from './run-cli.js';

let dir: string;
let configPath: string;
beforeEach(() => {
  ({ dir, configPath } = makeCliSandbox());
});
afterEach(() => removeCliSandbox(dir));

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

  // BUG: run-command.ts validates --provider only inside the pipeline, after openStore(): with an
  // unknown provider `run` prints "Ingesting into duckdb …", creates the DuckDB file, then exits 2
  // ("Unknown provider "nope""). SPEC §1: exit 2 means nothing was written. Expected: reject
  // --provider in resolveRunOptions, before the store is opened.
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

  // BUG: status-command.ts uses Number(flags.limit) unchecked: `status --limit abc` gives NaN,
  // prints "Failed or unsupported units (2):" followed by an empty table and exits 0. Expected:
  // exit 2 with "--limit: expected a positive integer, found "abc"".
  it('rejects a non-numeric status --limit', async () => {
    await failingRun(fakeIo());
    const io = fakeIo();
    expect(await runCli(['status', '--limit', 'abc', '--providers-config', configPath], io)).toBe(2);
    expect(io.err.join('\n')).toContain('--limit');
  });
});

describe('runCli secrets in config errors', () => {
  // BUG: same as load-config.test.ts — the CONFIG_INVALID message echoes the interpolated token
  // (`storage.backend: … found "tok-SECRET-1234"`) and run-cli.ts prints it to stderr unredacted.
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
