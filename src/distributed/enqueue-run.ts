/**
 * Enqueueing a run: the plan `run` would execute (same planner, same batching of trading days
 * per job, so provider calls stay at the row-cap minimum) becomes queue jobs with deterministic
 * ids. Enqueueing an identical request again while its run is unfinished reuses that run and
 * adds only units not yet enqueued for it (normally none).
 */
import { createHash } from 'node:crypto';
import { unitKeyString } from '../ledger/ledger-entry.js';
import type { PreparedRun } from '../pipeline/create-pipeline.js';
import type { Job } from '../pipeline/plan.js';
import type { RunOptions } from '../pipeline/run-options.js';
import type { JobQueue } from './bullmq-queue.js';
import type { RunMeta, RunRegistry } from './run-registry.js';

/** What {@link enqueueRun} did. */
export interface EnqueueResult {
  runId: string;
  /** Jobs added now. */
  jobs: number;
  /** Units in those jobs. */
  units: number;
  /** Jobs of the run already queued by an earlier enqueue of the same request. */
  alreadyQueued: number;
  prepared: PreparedRun;
}

/** Inputs of {@link enqueueRun}. */
export interface EnqueueRunParams {
  options: RunOptions;
  /** Plans (the pipeline's `prepare`), with the run id to use. */
  prepare(options: RunOptions, signal: AbortSignal): Promise<PreparedRun>;
  newRunId(): string;
  queue: JobQueue;
  registry: RunRegistry;
  now(): number;
  signal: AbortSignal;
}

/** Stable key of a request: identical requests map to the same unfinished run. */
export function requestKeyOf(options: RunOptions): string {
  const symbols = options.symbols === 'ALL' ? 'ALL' : [...options.symbols].sort();
  const normalized = {
    symbols,
    range: options.range,
    requested: [...options.requested].sort(),
    routing: options.routing.routing,
    includeDelisted: options.includeDelisted,
    resume: options.resume,
  };
  return createHash('sha1').update(JSON.stringify(normalized)).digest('hex').slice(0, 24);
}

/** A queue job id: the run plus a digest of the job's units (BullMQ ids must not contain ':'). */
export function queueJobId(runId: string, job: Job): string {
  const digest = createHash('sha1')
    .update(job.units.map(unitKeyString).sort().join('\n'))
    .digest('hex')
    .slice(0, 24);
  return `${runId}.${digest}`;
}

/** Plans and enqueues. */
export async function enqueueRun(params: EnqueueRunParams): Promise<EnqueueResult> {
  const requestKey = requestKeyOf(params.options);
  const runId = (await params.registry.activeRunFor(requestKey)) ?? params.newRunId();
  const prepared = await params.prepare({ ...params.options, runId }, params.signal);
  const { plan } = prepared;

  // The plan is a lazy stream (plan-stream.ts); it is materialised here to dedupe against the
  // registry. Enqueueing it in batches would bound memory for full-market backfills.
  const planned = [...plan.jobs()];
  const allKeys = planned.flatMap((j) => j.units.map(unitKeyString));
  const known = await params.registry.enqueuedUnits(runId, allKeys);
  const jobs: Job[] = [];
  for (const job of planned) {
    const units = job.units.filter((u) => !known.has(unitKeyString(u)));
    if (units.length === 0) continue;
    const tradeDates = [...new Set(units.map((u) => u.tradeDate))].sort();
    jobs.push(units.length === job.units.length ? job : { ...job, units, tradeDates });
  }
  // One entry per symbol and requested type, standing for that many units.
  const unservable = plan.estimate.unservable.flatMap((u) =>
    plan.symbols.map((symbol) => ({
      symbol,
      requested: u.requested,
      reason: u.reason,
      units: plan.spec.tradingDays(symbol).length,
    })),
  );
  const existing = await params.registry.readRun(runId);
  const meta: RunMeta = existing ?? {
    runId,
    createdAt: params.now(),
    requested: [...params.options.requested],
    routing: params.options.routing.routing,
    symbols: [...plan.symbols],
    symbolsTotal: plan.symbols.length,
    unitsSkipped: plan.estimate.skipped,
    unservable,
  };
  await params.registry.saveRun(meta, requestKey);
  const entries = jobs.map((job) => ({ jobId: queueJobId(runId, job), data: { runId, job } }));
  // Queue first, registry second: a crash in between leaves jobs the next enqueue re-adds under
  // the same ids (BullMQ keeps one), never registry entries without jobs.
  await params.queue.add(entries);
  await params.registry.addJobs(
    runId,
    entries.map((e) => {
      const symbols = new Map<string, number>();
      for (const u of e.data.job.units) symbols.set(u.symbol, (symbols.get(u.symbol) ?? 0) + 1);
      return { jobId: e.jobId, unitKeys: e.data.job.units.map(unitKeyString), symbols };
    }),
  );
  const progress = await params.registry.progress(runId);
  return {
    runId,
    jobs: entries.length,
    units: jobs.reduce((n, j) => n + j.units.length, 0),
    alreadyQueued: progress.jobs - entries.length,
    prepared,
  };
}

/**
 * Enqueues a job run's follow-ups (units its provider could not serve, for the next provider of
 * their chain) into the same run. Their units already count for their symbols, so only the job
 * and unit sets grow. Called before the job is marked finished, so the run cannot look done.
 */
export async function enqueueFollowUps(
  queue: JobQueue,
  registry: RunRegistry,
  runId: string,
  jobs: readonly Job[],
): Promise<void> {
  if (jobs.length === 0) return;
  const entries = jobs.map((job) => ({ jobId: queueJobId(runId, job), data: { runId, job } }));
  await queue.add(entries);
  await registry.addJobs(
    runId,
    entries.map((e) => ({
      jobId: e.jobId,
      unitKeys: e.data.job.units.map(unitKeyString),
      symbols: new Map(),
    })),
  );
}
