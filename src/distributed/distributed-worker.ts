/**
 * A distributed worker: takes jobs of any run from the queue and runs each with the pipeline's
 * single `runJob` (through {@link runQueuedJob}, the one adapter), pacing every provider call
 * through the rate-limit windows shared in Redis, writing through a fenced store, and publishing
 * unit events to the run's stream.
 */
import type { LoadedConfig } from '../config/load-config.js';
import { IngestError, toErrorData } from '../errors.js';
import type { Clock } from '../limits/clock.js';
import { createRateLimitGate } from '../limits/rate-limit-gate.js';
import type { RequestGate } from '../limits/request-gate.js';
import type { WindowStore } from '../limits/window-store.js';
import { gateWindowMs, type PipelineDeps } from '../pipeline/create-pipeline.js';
import type { PipelineEvent, Reporter } from '../pipeline/events.js';
import type { Routing } from '../pipeline/routing.js';
import { runJob } from '../pipeline/run-job.js';
import { holdGateWhileStoreDown, waitForStore, watchStoreAvailability } from '../pipeline/store-intake.js';
import { CircuitBreaker } from '../pipeline/schedule/circuit-breaker.js';
import type { Provider } from '../providers/provider.js';
import type { Store } from '../storage/store.js';
import type { Redis } from 'ioredis';
import { startQueueWorker, type JobQueue, type QueuedJob, type QueueWorker } from './bullmq-queue.js';
import { enqueueFollowUps } from './enqueue-run.js';
import { fencedStore, issueFenceToken } from './fencing.js';
import type { RunRegistry, SharedEvent } from './run-registry.js';
import { configuredLimit } from '../config/rate-limits.js';

/** Everything a worker needs. */
export interface DistributedWorkerDeps {
  loaded: LoadedConfig;
  redisUrl: string;
  /** Connection for the registry and fencing tokens. */
  redis: Redis;
  registry: RunRegistry;
  /** The queue (follow-up jobs are added to it). */
  queue: JobQueue;
  windows: WindowStore;
  store: Store;
  reporter: Reporter;
  clock: Clock;
  random(): number;
  makeProvider: PipelineDeps['makeProvider'];
  computeFactors: PipelineDeps['computeFactors'];
  /** Provider window, ms (60 000; tests shorten it). */
  rateWindowMs?: number;
  /** Job lock, ms (see `bullmq-queue.ts`). */
  lockMs?: number;
}

/** A started worker. */
export interface DistributedWorker extends QueueWorker {
  /** Job runs finished by this worker. */
  readonly jobsDone: number;
}

/** Starts taking jobs from `deps.loaded.config.distributed.queue`. */
export function startDistributedWorker(deps: DistributedWorkerDeps, concurrency: number): DistributedWorker {
  const { config } = deps.loaded;
  const redact = (s: string) => deps.loaded.redactor.redact(s);
  const limitFor = (provider: string, endpoint: string): number | undefined =>
    configuredLimit(config, provider, endpoint);
  // The pipeline's gate, over the windows shared in Redis: one quota for every worker.
  // Held while the store is unreachable, so no quota goes to rows that cannot be stored.
  const gate: RequestGate = holdGateWhileStoreDown(
    createRateLimitGate({
      clock: deps.clock,
      store: deps.windows,
      limitFor,
      windowMs: gateWindowMs(deps.rateWindowMs ?? 60_000),
      onEvent: (e) => deps.reporter.onEvent(e),
    }),
    deps.store,
  );
  const providers = new Map<string, Provider>();
  const providerFor = (name: string): Provider => {
    let p = providers.get(name);
    if (!p) {
      p = deps.makeProvider(name, gate);
      providers.set(name, p);
    }
    return p;
  };
  const breakers = new Map<string, CircuitBreaker>();
  const breakerFor = (name: string): CircuitBreaker => {
    let b = breakers.get(name);
    if (!b) {
      b = new CircuitBreaker({ clock: deps.clock, openMs: 5_000, maxOpenMs: 30_000 });
      breakers.set(name, b);
    }
    return b;
  };
  const routings = new Map<string, Routing>();
  let jobsDone = 0;
  // The store's outages show in the worker's output as in `run`'s ("waiting for ClickHouse").
  const unwatchStore = watchStoreAvailability(deps.store, (e) => deps.reporter.onEvent(e));

  async function routingOf(runId: string): Promise<Routing> {
    let routing = routings.get(runId);
    if (!routing) {
      const meta = await deps.registry.readRun(runId);
      if (!meta) throw new Error(`run ${runId} is not in the registry of queue ${config.distributed.queue}`);
      routing = meta.routing;
      routings.set(runId, routing);
    }
    return routing;
  }

  const queueWorker = startQueueWorker({
    url: deps.redisUrl,
    queue: config.distributed.queue,
    concurrency,
    ...(deps.lockMs !== undefined ? { lockMs: deps.lockMs } : {}),
    process: async (data, ctx) => {
      await runQueuedJob(data, ctx.signal);
      // Aborted (shutdown or lost lock): the job is handed back or already runs elsewhere, so
      // it is not finished here whatever outcomes it recorded.
      if (ctx.signal.aborted) throw new IngestError('ABORTED', `job ${ctx.jobId} stopped before it finished`);
      await deps.registry.markFinished(data.runId, ctx.jobId);
      jobsDone++;
    },
    onJobFailed: (data, jobId, reason) => {
      void recordLostJob(data, jobId, reason).catch(() => {});
    },
    onError: (e) => deps.reporter.onEvent({ type: 'run:warning', message: redact(`queue: ${e.message}`) }),
  });

  /** The one adapter from a queue job to the pipeline's `runJob`. */
  async function runQueuedJob(data: QueuedJob, signal: AbortSignal): Promise<void> {
    const routing = await routingOf(data.runId);
    const names = new Set<string>(Object.values(routing).flat());
    names.add(data.job.provider);
    const jobProviders = new Map([...names].map((n) => [n, providerFor(n)]));
    // No provider quota is spent while the store cannot take the rows (the job waits, then BullMQ retries it).
    const storeDown = await waitForStore(deps.store, signal);
    if (storeDown !== undefined)
      throw new IngestError(storeDown.code, storeDown.message, { retryable: true });
    const token = await issueFenceToken(deps.redis, `tickpipe:${config.distributed.queue}:fence`);
    const shared: SharedEvent[] = [];
    const emit = (e: PipelineEvent) => {
      deps.reporter.onEvent(e);
      if (
        e.type === 'unit:succeeded' ||
        e.type === 'unit:failed' ||
        (e.type === 'job:finished' && !e.aborted)
      )
        shared.push(e);
    };
    try {
      const outcome = await runJob(
        data.job,
        {
          runId: data.runId,
          providers: jobProviders,
          routing,
          store: fencedStore(deps.store, token),
          gate,
          emit,
          retry: {
            maxAttempts: config.ingestion.retry.max_attempts,
            baseDelayMs: config.ingestion.retry.base_delay_ms,
            maxDelayMs: config.ingestion.retry.max_delay_ms,
            rateLimitRetries: config.ingestion.retry.rate_limit_retries,
            storeWriteAttempts: config.ingestion.retry.store_write_attempts,
            ledgerWriteAttempts: config.ingestion.retry.ledger_write_attempts,
          },
          clock: deps.clock,
          random: deps.random,
          redact,
          computeFactors: deps.computeFactors,
          breakers: new Map([...jobProviders.keys()].map((n) => [n, breakerFor(n)])),
        },
        signal,
      );
      // Units this provider could not serve go on as jobs of the same run, for any worker.
      if (!signal.aborted) await enqueueFollowUps(deps.queue, deps.registry, data.runId, outcome.followUps);
    } finally {
      await deps.registry.appendEvents(data.runId, shared);
    }
  }

  /** A job BullMQ gave up on: its units are recorded as failed so the run can end and be retried. */
  async function recordLostJob(data: QueuedJob, jobId: string, reason: string): Promise<void> {
    const token = await issueFenceToken(deps.redis, `tickpipe:${config.distributed.queue}:fence`);
    const error = toErrorData(new Error(redact(`job ${jobId} failed in the queue: ${reason}`)));
    const entries = data.job.units.map((u) => ({
      provider: u.provider,
      dataType: u.dataType,
      symbol: u.symbol,
      tradeDate: u.tradeDate,
      status: 'failed' as const,
      rows: 0,
      attempts: 1,
      errorCode: 'INTERNAL',
      errorMessage: error.message,
      runId: data.runId,
      updatedAt: 0,
    }));
    await fencedStore(deps.store, token).writeLedger({ entries });
    await deps.registry.appendEvents(
      data.runId,
      entries.map((e) => ({
        type: 'unit:failed',
        unit: { provider: e.provider, dataType: e.dataType, symbol: e.symbol, tradeDate: e.tradeDate },
        status: 'failed',
        error: { ...error, code: 'INTERNAL' },
        attempts: 1,
      })),
    );
    await deps.registry.markFinished(data.runId, jobId);
  }

  return {
    get inFlight() {
      return queueWorker.inFlight;
    },
    get jobsDone() {
      return jobsDone;
    },
    async close() {
      unwatchStore();
      await queueWorker.close();
      for (const p of providers.values()) await p.close().catch(() => {});
    },
  };
}
