/**
 * `tickpipe watch RUN_ID`: live progress of a distributed run, aggregated over every worker
 * (from the run's event stream in Redis), then — once every job of the run has finished — the
 * same summary as `run`, built from the ledger, with `run`'s exit codes (0, or 3 when some
 * symbols failed). Ctrl-C stops watching (130); the run goes on.
 */
import { openJobQueue } from '../../distributed/bullmq-queue.js';
import { connectConfiguredRedis } from '../../distributed/redis-setup.js';
import { createRunRegistry, type SharedEvent } from '../../distributed/run-registry.js';
import { summarizeDistributedRun } from '../../distributed/run-summary.js';
import { IngestError } from '../../errors.js';
import { unitKeyString } from '../../ledger/ledger-entry.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, openStore, reporterFor, type CommonFlags } from '../context.js';
import { writeReportOfRun } from './report-command.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { printSummary } from './run-command.js';

/** Flags of `tickpipe watch`. */
export interface WatchFlags extends CommonFlags {
  logFormat?: string;
  /** Where RUN_ID.json/html go (default `reports.dir`). */
  reportDir?: string;
  /** `false` with `--no-report`. */
  report?: boolean;
}

/** Runs `tickpipe watch RUN_ID`. */
export async function watchCommand(runId: string, flags: WatchFlags, io: CliIo): Promise<ExitCode> {
  const loaded = loadForCommand(io, flags);
  const redact = (s: string) => loaded.redactor.redact(s);
  const format = flags.logFormat ?? (io.isTty ? 'pretty' : 'plain');
  const reporter = reporterFor(io, format, redact);
  const say = (line: string) => (format === 'json' ? io.stderr(redact(line)) : io.stdout(redact(line)));
  const { url, redis } = await connectConfiguredRedis(loaded, { name: 'tickpipe-watch' });
  const queueName = loaded.config.distributed.queue;
  const registry = createRunRegistry(redis, queueName);
  const queue = openJobQueue(url, queueName);
  let stopped = false;
  const unsubscribe = io.onInterrupt?.(() => {
    stopped = true;
  });
  try {
    const meta = await registry.readRun(runId);
    if (!meta) {
      throw new IngestError(
        'USAGE',
        `run "${runId}" is not in queue "${queueName}" (check the run id, distributed.queue and distributed.redis_url)`,
      );
    }
    const store = await openStore(loaded, { readOnly: true });
    try {
      let after = '0';
      // Every event of the run, for the summary (the reducer keeps the latest per unit / job).
      const seen: SharedEvent[] = [];
      const settled = new Set<string>();
      const rowsByUnit = new Map<string, number>();
      let lastPrinted = '';
      const take = (events: readonly SharedEvent[]) => {
        for (const e of events) {
          seen.push(e);
          if (e.type === 'job:finished') continue;
          reporter.onEvent(e);
          const key = unitKeyString(e.unit);
          settled.add(key);
          rowsByUnit.set(key, e.type === 'unit:succeeded' ? e.rows : 0);
        }
      };
      for (;;) {
        const [progress, counts] = await Promise.all([registry.progress(runId), queue.counts()]);
        // Drain what is there (every finished job's events precede its "finished" mark), then wait.
        for (;;) {
          const { last, events } = await registry.readEvents(runId, after, 0);
          after = last;
          take(events);
          if (events.length < 5_000) break;
        }
        if (progress.finished < progress.jobs && !stopped) {
          const { last, events } = await registry.readEvents(runId, after, 1_000);
          after = last;
          take(events);
        }
        let rows = 0;
        for (const n of rowsByUnit.values()) rows += n;
        reporter.onEvent({
          type: 'progress',
          unitsDone: settled.size,
          unitsTotal: progress.units,
          rowsWritten: rows,
          inFlight: counts.active,
          workers: counts.active,
        });
        const line = `progress: ${settled.size}/${progress.units} units, ${progress.finished}/${progress.jobs} jobs finished, ${rows} rows; queue ${counts.waiting + counts.prioritized} waiting, ${counts.active} active`;
        if (format === 'plain' && line !== lastPrinted) {
          lastPrinted = line;
          say(line);
        }
        const finished = progress.finished >= progress.jobs;
        if (finished || stopped) {
          // The pipeline's reducer over the workers' events, checked against the ledger.
          const summary = summarizeDistributedRun({
            meta,
            symbolUnits: await registry.symbolUnits(runId),
            events: seen,
            ledger: await store.readLedger({ filter: { runId } }),
            durationMs: Date.now() - meta.createdAt,
            interrupted: !finished,
          });
          reporter.onEvent({ type: 'run:finished', summary });
          if (!finished) {
            say(`Stopped watching; run ${runId} goes on (tickpipe watch ${runId} to resume watching)`);
            return EXIT.INTERRUPTED;
          }
          // The run's report, from the ledger the workers wrote (before the completion line, which stays last).
          if (flags.report !== false && loaded.config.reports.enabled) {
            const dir = flags.reportDir ?? loaded.config.reports.dir;
            try {
              const written = await writeReportOfRun({ loaded, store, runId, dir, env: io.env });
              say(`Report: ${written.html} (data: ${written.json})`);
            } catch (e) {
              say(`Report not written: ${(e as Error).message}`);
            }
          }
          printSummary(summary, say);
          return summary.symbolsOk === summary.symbolsTotal ? EXIT.OK : EXIT.PARTIAL;
        }
      }
    } finally {
      await store.close();
    }
  } finally {
    unsubscribe?.();
    await queue.close().catch(() => {});
    redis.disconnect();
  }
}
