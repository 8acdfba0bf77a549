/**
 * `tickpipe worker`: runs jobs of every run in the distributed queue, `--concurrency` at a time,
 * pacing provider calls through the rate-limit windows shared in Redis (README, "Running on several machines"). SIGTERM/SIGINT
 * hand the jobs in flight back to the queue, then exit 0; `--exit-when-idle` exits 0 once the
 * queue holds no waiting, delayed or active job (a dead worker's jobs count as active until
 * another worker recovers them).
 */
import { isIdle, openJobQueue } from '../../distributed/bullmq-queue.js';
import { startDistributedWorker } from '../../distributed/distributed-worker.js';
import {
  connectConfiguredRedis,
  describeRedisUrl,
  requireServerStore,
} from '../../distributed/redis-setup.js';
import { createRedisWindowStore } from '../../distributed/redis-window-store.js';
import { createRunRegistry, registryNamespace } from '../../distributed/run-registry.js';
import type { ProviderName } from '../../config/schema.js';
import { IngestError } from '../../errors.js';
import { computeFactors } from '../../factors/compute-factors.js';
import { systemClock } from '../../limits/clock.js';
import { createProvider } from '../../providers/create-provider.js';
import { describeStore } from '../../storage/create-store.js';
import type { CliIo } from '../cli-io.js';
import { createRunObservers } from '../../report/run-observers.js';
import { loadForCommand, loggerFor, openStore, reporterFor, type CommonFlags } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { parsePort } from './run-command.js';

/** Flags of `tickpipe worker`. */
export interface WorkerFlags extends CommonFlags {
  concurrency?: string;
  exitWhenIdle?: boolean;
  logFormat?: string;
  /** Serve Prometheus metrics of this worker on 127.0.0.1:PORT (0 = any free port). */
  metricsPort?: string;
}

/** How often `--exit-when-idle` looks at the queue, ms. */
const IDLE_POLL_MS = 1_000;

/** Runs `tickpipe worker`. */
export async function workerCommand(flags: WorkerFlags, io: CliIo): Promise<ExitCode> {
  const loaded = loadForCommand(io, flags);
  requireServerStore(loaded, 'worker');
  const concurrency = parseConcurrency(flags.concurrency, loaded.config.ingestion.workers);
  const metricsPort = flags.metricsPort !== undefined ? parsePort(flags.metricsPort) : undefined;
  const redact = (s: string) => loaded.redactor.redact(s);
  const format = flags.logFormat ?? (io.isTty ? 'pretty' : 'plain');
  const reporter = reporterFor(io, format === 'pretty' ? 'plain' : format, redact);
  const say = (line: string) => (format === 'json' ? io.stderr(redact(line)) : io.stdout(redact(line)));
  // Listen from the start: a SIGTERM while connecting must still end in a clean exit 0.
  let signalled: () => void = () => {};
  const interrupted = new Promise<'signal'>((resolve) => {
    signalled = () => resolve('signal');
  });
  let gotSignal = false;
  const unsubscribe = io.onInterrupt?.(() => {
    gotSignal = true;
    signalled();
  });
  try {
    return await runWorker();
  } finally {
    unsubscribe?.();
  }

  async function runWorker(): Promise<ExitCode> {
    const { url, redis } = await connectConfiguredRedis(loaded, { name: 'tickpipe-worker-main' });
    const queueName = loaded.config.distributed.queue;
    const store = await openStore(loaded).catch((e: unknown) => {
      redis.disconnect();
      throw e;
    });
    // Metrics only (a worker serves many runs; `watch` writes a run's report): units, rows,
    // requests, latency, waits and store writes of the jobs this worker runs.
    const observers =
      metricsPort === undefined
        ? undefined
        : await createRunObservers({ loaded, display: reporter, report: false, metricsPort }).catch(
            (e: unknown) => {
              redis.disconnect();
              return store.close().then(() => Promise.reject(e));
            },
          );
    const logger = loggerFor(flags, loaded);
    const windows = createRedisWindowStore({ redis: url, prefix: `${registryNamespace(queueName)}:limits` });
    const queue = openJobQueue(url, queueName);
    const env = io.env;
    const worker = startDistributedWorker(
      {
        loaded,
        redisUrl: url,
        redis,
        registry: createRunRegistry(redis, queueName),
        queue,
        windows,
        store: observers ? observers.wrapStore(store) : store,
        reporter: observers?.reporter ?? reporter,
        clock: systemClock,
        random: Math.random,
        makeProvider: (name, gate) =>
          createProvider(name as ProviderName, loaded.config, {
            fetch: globalThis.fetch,
            gate: observers ? observers.wrapGate(gate) : gate,
            now: () => Date.now(),
            logger,
          }),
        computeFactors,
        // Test knobs (never set in production): a shortened provider "minute" and job lock.
        ...(env.TICKPIPE_RATE_WINDOW_MS ? { rateWindowMs: Number(env.TICKPIPE_RATE_WINDOW_MS) } : {}),
        ...(env.TICKPIPE_JOB_LOCK_MS ? { lockMs: Number(env.TICKPIPE_JOB_LOCK_MS) } : {}),
      },
      concurrency,
    );
    if (observers?.metricsUrl) say(`Metrics: ${observers.metricsUrl}`);
    say(
      `Worker on queue "${queueName}" at ${describeRedisUrl(url)}: concurrency ${concurrency}; store ${describeStore(loaded.config)}`,
    );

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= worker.close());
    const done = new Promise<'signal' | 'idle'>((resolve) => {
      void interrupted.then((why) => {
        say('Stopping: handing the jobs in flight back to the queue');
        resolve(why);
      });
      if (gotSignal) return;
      if (flags.exitWhenIdle) {
        let idleChecks = 0;
        const poll = async (): Promise<void> => {
          if (stopping) return;
          try {
            const counts = await queue.counts();
            idleChecks = isIdle(counts) && worker.inFlight === 0 ? idleChecks + 1 : 0;
          } catch {
            idleChecks = 0;
          }
          if (idleChecks >= 2) resolve('idle');
          else setTimeout(() => void poll(), IDLE_POLL_MS);
        };
        setTimeout(() => void poll(), IDLE_POLL_MS);
      }
    });
    try {
      const why = await done;
      await stop();
      say(
        why === 'idle'
          ? `Queue idle: worker exits after ${worker.jobsDone} job(s)`
          : `Worker stopped after ${worker.jobsDone} job(s)`,
      );
      return EXIT.OK;
    } finally {
      await stop().catch(() => {});
      await queue.close().catch(() => {});
      await windows.close();
      redis.disconnect();
      await observers?.finish().catch(() => undefined);
      await store.close();
      logger.flush();
    }
  }
}

function parseConcurrency(value: string | undefined, fallback: number | 'auto'): number {
  if (value === undefined) return fallback === 'auto' ? 4 : fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1024)
    throw new IngestError('USAGE', `--concurrency: expected an integer from 1 to 1024, found "${value}"`);
  return Number(value);
}
