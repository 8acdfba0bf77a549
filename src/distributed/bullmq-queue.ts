/**
 * The job queue port and its BullMQ implementation.
 *
 * Crash recovery (BullMQ stalled jobs, see README "Running on several machines"): a worker holds
 * a lock on each job it runs, renewed every `lockMs / 2`; a killed worker's locks expire after
 * `lockMs`, and any live worker's stalled-job check (every `lockMs / 2`) moves such jobs back to
 * the queue. A killed worker's jobs therefore run again within `1.5 × lockMs` (45 s by default).
 * A job stalled up to {@link MAX_STALLED} times is retried; only then is it failed.
 */
import { Queue, WaitingError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Job } from '../pipeline/plan.js';
import { connectRedis } from './redis-window-store.js';

/** What a queue job carries: the run and one planned job. */
export interface QueuedJob {
  runId: string;
  job: Job;
}

/** Default job lock, ms. */
export const DEFAULT_LOCK_MS = 30_000;
/** Stalls (worker died holding the job) a job survives before it fails. */
export const MAX_STALLED = 3;

/** Counts of the queue's jobs by state (all runs). */
export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  prioritized: number;
  /** Jobs waiting for children (unused by tickpipe; counted so nothing is missed). */
  paused: number;
  completed: number;
  failed: number;
}

/** The producer side of the queue. */
export interface JobQueue {
  /** Adds jobs; a job id already in the queue is not added again. */
  add(jobs: ReadonlyArray<{ jobId: string; data: QueuedJob }>): Promise<void>;
  counts(): Promise<QueueCounts>;
  close(): Promise<void>;
}

/** True when no job waits, is delayed, or is held by a (possibly dead) worker. */
export function isIdle(c: QueueCounts): boolean {
  return c.waiting + c.delayed + c.active + c.prioritized + c.paused === 0;
}

/** Opens the BullMQ queue `name` on `url`. */
export function openJobQueue(url: string, name: string): JobQueue {
  const connection = connectRedis(url, 'tickpipe-queue');
  connection.on('error', () => {});
  const queue = new Queue<QueuedJob>(name, { connection });
  queue.on('error', () => {});
  return {
    async add(jobs) {
      for (let i = 0; i < jobs.length; i += 1_000) {
        await queue.addBulk(
          jobs.slice(i, i + 1_000).map((j) => ({
            name: 'ingest',
            data: j.data,
            opts: {
              jobId: j.jobId,
              attempts: 3,
              backoff: { type: 'exponential', delay: 5_000 },
              removeOnComplete: { age: 7 * 24 * 3600 },
              removeOnFail: { age: 30 * 24 * 3600 },
            },
          })),
        );
      }
    },
    async counts() {
      const c = await queue.getJobCounts(
        'waiting',
        'delayed',
        'active',
        'prioritized',
        'waiting-children',
        'completed',
        'failed',
      );
      return {
        waiting: c.waiting ?? 0,
        delayed: c.delayed ?? 0,
        active: c.active ?? 0,
        prioritized: c.prioritized ?? 0,
        paused: c['waiting-children'] ?? 0,
        completed: c.completed ?? 0,
        failed: c.failed ?? 0,
      };
    },
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

/** Context of one job run handed to the processor. */
export interface JobRunContext {
  jobId: string;
  /** Times this job was taken before (stalls and retries), 0 the first time. */
  previousStarts: number;
  /** Fires when the worker shuts down or lost the job's lock. */
  signal: AbortSignal;
}

/** Options of {@link startQueueWorker}. */
export interface QueueWorkerOptions {
  url: string;
  queue: string;
  concurrency: number;
  lockMs?: number;
  process(data: QueuedJob, ctx: JobRunContext): Promise<void>;
  /** A job failed for good (stalled too often, or its processor threw on every attempt). */
  onJobFailed?(data: QueuedJob, jobId: string, reason: string): void;
  onError?(error: Error): void;
}

/** A running queue worker. */
export interface QueueWorker {
  /** Jobs this worker runs right now. */
  readonly inFlight: number;
  /**
   * Stops taking jobs; the jobs in flight are aborted and handed back to the queue (another
   * worker takes them at once), then resolves.
   */
  close(): Promise<void>;
}

/** Starts a BullMQ worker on `queue`. */
export function startQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  const connection: Redis = connectRedis(options.url, 'tickpipe-worker');
  connection.on('error', () => {});
  let closing = false;
  let inFlight = 0;
  const worker = new Worker<QueuedJob>(
    options.queue,
    async (job: BullJob<QueuedJob>, token?: string, signal?: AbortSignal) => {
      inFlight++;
      try {
        await options.process(job.data, {
          jobId: String(job.id),
          previousStarts: Math.max(0, (job.attemptsStarted ?? 1) - 1),
          signal: signal ?? new AbortController().signal,
        });
        if (closing && signal?.aborted && token !== undefined) {
          // Aborted by shutdown: hand the job back so another worker runs it now.
          await job.moveToWait(token);
          throw new WaitingError();
        }
      } catch (e) {
        if (closing && token !== undefined && !(e instanceof WaitingError)) {
          await job.moveToWait(token).catch(() => {});
          throw new WaitingError();
        }
        throw e;
      } finally {
        inFlight--;
      }
    },
    {
      connection,
      concurrency: options.concurrency,
      lockDuration: lockMs,
      stalledInterval: Math.max(1_000, Math.round(lockMs / 2)),
      maxStalledCount: MAX_STALLED,
      // Long provider waits must not look like stalls: locks renew on a timer, not on progress.
      autorun: true,
    },
  );
  worker.on('error', (e) => options.onError?.(e));
  // A lock this worker could not renew: the job may already run elsewhere; stop ours.
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) worker.cancelJob(id, 'lock lost');
  });
  worker.on('failed', (job, err) => {
    if (job && !closing && !(err instanceof WaitingError))
      options.onJobFailed?.(job.data, String(job.id), err.message);
  });
  return {
    get inFlight() {
      return inFlight;
    },
    async close() {
      closing = true;
      const closed = worker.close();
      worker.cancelAllJobs('worker shutting down');
      await closed;
      connection.disconnect();
    },
  };
}
