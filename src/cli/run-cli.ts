/**
 * argv → command → exit code. Commands are typed functions; this is the one place that turns
 * their errors into exit codes and messages. `main.ts` is the only caller of `process.exit`.
 */
import { Command, CommanderError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../config/schema.js';
import { toIngestError } from '../errors.js';
import type { CliIo } from './cli-io.js';
import { EXIT, exitCodeOf, type ExitCode } from './exit-codes.js';
import { benchCommand } from './commands/bench-command.js';
import { collectCommand } from './commands/collect-command.js';
import { factorsCommand } from './commands/factors-command.js';
import { providersCommand } from './commands/providers-command.js';
import { queryCommand } from './commands/query-command.js';
import { retryFailedCommand } from './commands/retry-failed-command.js';
import { registerDistributedCommands } from './commands/distributed-commands.js';
import { runCommand } from './commands/run-command.js';
import { statusCommand } from './commands/status-command.js';

const CONFIG_HELP = 'YAML config path (default ./config/data_providers.yaml)';

function commonOptions(cmd: Command): Command {
  return cmd
    .option('--providers-config <path>', CONFIG_HELP)
    .addOption(
      new Option('--storage <backend>', 'store to use, overriding storage.backend').choices([
        'duckdb',
        'clickhouse',
      ]),
    );
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, version = '0.1.0'): Promise<ExitCode> {
  let code: ExitCode = EXIT.OK;
  const set = (c: ExitCode) => {
    code = c;
  };
  const program = new Command('tickpipe')
    .description('Parallel, rate-limit-exact, resumable market-data ingestion into DuckDB or ClickHouse.')
    .version(version)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  tickpipe run --symbols ALL --start-date 2025-06-05 --end-date 2025-06-07 --workers 10
  tickpipe query "SELECT trade_date, count(*) FROM ticks GROUP BY trade_date"
  tickpipe status
  tickpipe run --help`,
    )
    .configureOutput({
      writeOut: (s) => io.stdout(s.replace(/\n$/, '')),
      writeErr: (s) => io.stderr(s.replace(/\n$/, '')),
    });

  commonOptions(
    program
      .command('run')
      .description('Ingest data for symbols and dates (resumes by default).')
      .option(
        '--symbols <symbols...>',
        'ALL, or codes such as 600000.SH 000001.SZ (space- and/or comma-separated)',
      )
      .option('--start-date <date>', 'first exchange-local date, YYYY-MM-DD or YYYYMMDD (inclusive)')
      .option('--end-date <date>', 'last date (inclusive)')
      .option('--workers <n|auto>', 'parallel work units (default: ingestion.workers, 1); auto adapts')
      .option('--max-workers <n>', 'upper bound for --workers auto (default: ingestion.max_workers, 32)')
      .option('--data-types <list>', 'comma list of tick_data, order_book, factors, ticks, bars_1m, bars_1d')
      .option('--provider <name>', 'use only this provider (simulated, tushare, yahoo)')
      .option('--no-resume', 're-ingest units already recorded as done')
      .option('--dry-run', 'print the plan (units, provider calls, estimated duration) and write nothing')
      .option('--priority <symbols...>', 'symbols (or @file) to process first')
      .option('--include-delisted', 'with ALL: also delisted and suspended listings')
      .addOption(
        new Option('--log-format <format>', 'pretty (TTY default), plain, or json (NDJSON)').choices([
          'pretty',
          'plain',
          'json',
        ]),
      )
      .addOption(
        new Option('--grace-ms <ms>', 'after Ctrl-C, how long in-flight units may finish').hideHelp(),
      )
      .addHelpText(
        'after',
        `
Examples:
  tickpipe run --symbols ALL --start-date 2025-06-05 --end-date 2025-06-07 --workers 10
  tickpipe run --symbols 000001.SZ 000002.SZ 600000.SH --start-date 2025-06-05 --end-date 2025-06-07 --workers 3
  tickpipe run --symbols ALL --start-date 20250601 --end-date 20250630 --provider tushare --data-types bars_1m,bars_1d --workers auto
  tickpipe run --symbols ALL --start-date 2025-06-05 --end-date 2025-06-06 --dry-run`,
      ),
  ).action(async (flags) => set(await runCommand(flags, io)));

  commonOptions(
    program
      .command('collect')
      .description('Record order books and trades from real-time quotes through each trading session.')
      .option('--provider <name>', 'tushare (rt_k) or yahoo (quote)')
      .option('--symbols <symbols...>', 'ALL (the listed universe) or codes such as 600000.SH 000001.SZ')
      .option(
        '--interval <duration>',
        'polling interval, e.g. 3s, 500ms, 1m (raised to fit the rate limits)',
        '3s',
      )
      .option('--until <HH:MM[:SS]>', 'stop at this exchange-local (Asia/Shanghai) time, exit 0')
      .option('--sessions <n>', "stop after n trading days' sessions")
      .option('--dry-run', 'print calls per minute and the effective interval, write nothing')
      .addOption(
        new Option('--log-format <format>', 'plain lines or json (NDJSON events)').choices(['plain', 'json']),
      )
      .addHelpText(
        'after',
        `
Examples:
  tickpipe collect --provider tushare --symbols ALL --interval 3s
  tickpipe collect --provider tushare --symbols ALL --interval 3s --until 15:01
  tickpipe collect --provider yahoo --symbols 600519.SH 000001.SZ --interval 5s --sessions 1
  tickpipe collect --provider tushare --symbols ALL --interval 1s --dry-run`,
      ),
  ).action(async (flags) => set(await collectCommand(flags, io)));

  commonOptions(
    program
      .command('query')
      .description('Read-only SQL on the configured store (no SQL: rows per table and trade date).')
      .argument('[sql]', 'a SELECT statement')
      .addOption(
        new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'),
      )
      .addHelpText(
        'after',
        `
Examples:
  tickpipe query
  tickpipe query "SELECT trade_date, count(*) AS n FROM ticks GROUP BY trade_date ORDER BY 1"
  tickpipe query "SELECT * FROM bars WHERE symbol = '600519.SH' AND interval = '1d'" --format csv
  tickpipe query "SELECT factor, avg(value) FROM factors GROUP BY factor" --storage clickhouse`,
      ),
  ).action(async (sql: string | undefined, flags) => set(await queryCommand(sql, flags, io)));

  commonOptions(
    program
      .command('status')
      .description('What is ingested, missing and failed, with reasons.')
      .option('--symbols <symbols...>', 'limit to these symbols (with dates: also list missing symbol-days)')
      .option('--start-date <date>', 'first date')
      .option('--end-date <date>', 'last date')
      .option('--run <id>', 'only units of this run')
      .option('--provider <name>', 'only this provider')
      .option('--data-types <list>', 'data types for the missing check')
      .option('--limit <n>', 'most failed units to list', '50')
      .addOption(
        new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'),
      )
      .addHelpText(
        'after',
        '\nExamples:\n  tickpipe status\n  tickpipe status --symbols 600000.SH --start-date 2025-06-05 --end-date 2025-06-06',
      ),
  ).action(async (flags) => set(await statusCommand(flags, io)));

  commonOptions(
    program
      .command('retry-failed')
      .description('Re-run units recorded as failed (of one run, or all).')
      .argument('[run_id]', 'run id from the ledger / run output')
      .option('--workers <n|auto>', 'parallel work units')
      .addOption(
        new Option('--log-format <format>', 'pretty, plain, or json').choices(['pretty', 'plain', 'json']),
      )
      .addHelpText(
        'after',
        '\nExamples:\n  tickpipe retry-failed\n  tickpipe retry-failed 20250605T013000Z-1a2b --workers 4',
      ),
  ).action(async (runId: string | undefined, flags) => set(await retryFailedCommand(runId, flags, io)));

  commonOptions(
    program
      .command('providers')
      .description('Capabilities and limits of each configured provider.')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
      .addHelpText('after', '\nExamples:\n  tickpipe providers\n  tickpipe providers --format json'),
  ).action(async (flags) => set(await providersCommand(flags, io)));

  registerDistributedCommands(program, commonOptions, io, set);

  program
    .command('bench')
    .description(
      'Worker-count benchmark: the pipeline on the simulated market with per-request latency, per worker setting.',
    )
    .option('--workers <list>', 'comma list of worker counts and/or auto', '1,2,4,8,16,32,auto')
    .option('--symbols <n>', 'simulated symbols', '60')
    .option('--latency-ms <ms>', 'simulated per-request latency', '50')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText(
      'after',
      '\nExamples:\n  tickpipe bench\n  tickpipe bench --workers 4,16,auto --symbols 30 --latency-ms 100',
    )
    .action(async (flags) => set(await benchCommand(flags, io)));

  program
    .command('factors')
    .description('The factor list with definitions.')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'markdown'])
        .default('table'),
    )
    .addHelpText('after', '\nExamples:\n  tickpipe factors\n  tickpipe factors --format markdown')
    .action((flags) => set(factorsCommand(flags, io)));

  program
    .command('config-schema')
    .description('Print (or write) the JSON schema of the config file, for editors.')
    .option('--out <path>', 'write to this file instead of stdout')
    .addHelpText('after', '\nExamples:\n  tickpipe config-schema --out config/data_providers.schema.json')
    .action((flags: { out?: string }) => {
      const text = JSON.stringify(configJsonSchema(), null, 2);
      if (flags.out) writeFileSync(flags.out, `${text}\n`);
      else io.stdout(text);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return EXIT.OK;
      return EXIT.USAGE;
    }
    const err = toIngestError(e);
    const exit = exitCodeOf(err);
    if (exit === EXIT.INTERRUPTED) return exit;
    const label = exit === EXIT.USAGE ? 'error' : exit === EXIT.INTERNAL ? 'internal error' : 'failed';
    io.stderr(`tickpipe: ${label}: ${err.message}`);
    if (exit === EXIT.INTERNAL && io.env.TICKPIPE_DEBUG && err.cause instanceof Error && err.cause.stack)
      io.stderr(err.cause.stack);
    return exit;
  }
}
