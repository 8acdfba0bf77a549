/**
 * Registers the distributed-mode commands (`enqueue`, `worker`, `watch`; README "Running on several machines") on the CLI.
 */
import { Option, type Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import type { ExitCode } from '../exit-codes.js';
import { enqueueCommand } from './enqueue-command.js';
import { watchCommand } from './watch-command.js';
import { workerCommand } from './worker-command.js';

const logFormat = () =>
  new Option('--log-format <format>', 'pretty (TTY default), plain, or json (NDJSON)').choices([
    'pretty',
    'plain',
    'json',
  ]);

/** Adds the commands to `program`; `common` adds --providers-config/--storage; `set` records the exit code. */
export function registerDistributedCommands(
  program: Command,
  common: (cmd: Command) => Command,
  io: CliIo,
  set: (code: ExitCode) => void,
): void {
  common(
    program
      .command('enqueue')
      .description('Plan a run and put its jobs into the distributed queue (Redis) for `tickpipe worker`s.')
      .option('--symbols <symbols...>', 'ALL, or codes such as 600000.SH 000001.SZ')
      .option('--start-date <date>', 'first exchange-local date, YYYY-MM-DD or YYYYMMDD (inclusive)')
      .option('--end-date <date>', 'last date (inclusive)')
      .option('--data-types <list>', 'comma list of tick_data, order_book, factors, ticks, bars_1m, bars_1d')
      .option('--provider <name>', 'use only this provider (simulated, tushare, yahoo)')
      .option('--no-resume', 'also enqueue units already recorded as done')
      .option('--dry-run', 'print the plan and enqueue nothing')
      .option('--priority <symbols...>', 'symbols (or @file) to process first')
      .option('--include-delisted', 'with ALL: also delisted and suspended listings')
      .addOption(logFormat())
      .addHelpText(
        'after',
        `
Examples:
  tickpipe enqueue --symbols ALL --start-date 2025-01-02 --end-date 2025-12-31 --data-types bars_1m --storage clickhouse
  tickpipe enqueue --symbols 600000.SH 000001.SZ --start-date 2025-06-05 --end-date 2025-06-06 --log-format json`,
      ),
  ).action(async (flags) => set(await enqueueCommand(flags, io)));

  common(
    program
      .command('worker')
      .description('Run jobs from the distributed queue; rate limits are shared with every other worker.')
      .option('--concurrency <n>', 'jobs run at once (default: ingestion.workers)')
      .option(
        '--metrics-port <port>',
        'serve Prometheus metrics on http://127.0.0.1:PORT/metrics while working',
      )
      .option('--exit-when-idle', 'exit 0 once the queue has no waiting, delayed or active job')
      .addOption(logFormat())
      .addHelpText(
        'after',
        `
Examples:
  tickpipe worker --concurrency 8
  tickpipe worker --concurrency 4 --exit-when-idle --log-format json`,
      ),
  ).action(async (flags) => set(await workerCommand(flags, io)));

  common(
    program
      .command('watch')
      .description("Live progress of a distributed run over all workers, then run's summary and exit code.")
      .argument('<run_id>', 'the id `tickpipe enqueue` printed')
      .option('--report-dir <dir>', 'where RUN_ID.json and RUN_ID.html go (default: reports.dir, ./reports)')
      .option('--no-report', 'do not write the run report')
      .addOption(logFormat())
      .addHelpText('after', '\nExamples:\n  tickpipe watch 20250605T013000Z-1a2b'),
  ).action(async (runId: string, flags) => set(await watchCommand(runId, flags, io)));
}
