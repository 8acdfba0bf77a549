/**
 * The run registry: what a distributed run is, kept in Redis next to its queue, so `watch` and
 * `status --run` on any machine see the same thing.
 *
 * Keys under `tickpipe:<queue>:run:<runId>`:
 * - (hash) `meta` (JSON {@link RunMeta}), written by `enqueue`;
 * - `:jobs` (set) ids of the run's queue jobs; `:units` (set) unit keys enqueued, so enqueueing
 *   the same plan again adds nothing twice; `:symbols` (hash) symbol → units planned;
 * - `:finished` (set) job ids whose run ended (outcomes in the ledger), added by workers;
 * - `:events` (stream) unit events of every worker, for live progress.
 * And `tickpipe:<queue>:request:<hash>` → the unfinished run of an identical request.
 * Every write is idempotent (sets, hash fields), so a retried enqueue or a job that ran twice
 * after a crash counts once.
 */
import type { Redis } from 'ioredis';
import type { PipelineEvent } from '../pipeline/events.js';
import type { Routing } from '../pipeline/routing.js';

/** What `enqueue` records about a run. */
export interface RunMeta {
  runId: string;
  createdAt: number;
  /** Requested data types, as given to `enqueue`. */
  requested: string[];
  /** Providers per requested type, resolved once by `enqueue`: every worker routes the same. */
  routing: Routing;
  /** Every symbol of the plan (also those whose units were all done already). */
  symbols: string[];
  symbolsTotal: number;
  /** Units already done when planned (resume). */
  unitsSkipped: number;
  /** Units no provider can serve. */
  /** Unservable units per symbol and requested type (`units` of them, default 1). */
  unservable: Array<{ symbol: string; requested: string; reason: string; units?: number }>;
}

/** Progress of a run from the registry. */
export interface RunProgress {
  jobs: number;
  finished: number;
  units: number;
}

/** Events kept in a run's stream (the others are local to the worker that emitted them). */
export type SharedEvent = Extract<PipelineEvent, { type: 'unit:succeeded' | 'unit:failed' | 'job:finished' }>;

/** Registry operations for one queue. */
export interface RunRegistry {
  /** The unfinished run of an identical request, if any. */
  activeRunFor(requestKey: string): Promise<string | undefined>;
  /** Records the run (idempotent: meta is replaced only when absent). */
  saveRun(meta: RunMeta, requestKey: string): Promise<void>;
  readRun(runId: string): Promise<RunMeta | undefined>;
  /** Of `unitKeys`, those already enqueued for the run. */
  enqueuedUnits(runId: string, unitKeys: readonly string[]): Promise<Set<string>>;
  /** Adds jobs (ids, their unit keys, units per symbol) to the run. */
  addJobs(
    runId: string,
    jobs: ReadonlyArray<{ jobId: string; unitKeys: readonly string[]; symbols: ReadonlyMap<string, number> }>,
  ): Promise<void>;
  /** Units planned per symbol. */
  symbolUnits(runId: string): Promise<Map<string, number>>;
  markFinished(runId: string, jobId: string): Promise<void>;
  progress(runId: string): Promise<RunProgress>;
  /** Appends unit events to the run's stream. */
  appendEvents(runId: string, events: readonly SharedEvent[]): Promise<void>;
  /** Reads events after stream id `after` ('0' = from the start), waiting up to `blockMs` (0: not at all). */
  readEvents(runId: string, after: string, blockMs: number): Promise<{ last: string; events: SharedEvent[] }>;
}

/** Namespace of a queue's registry keys. */
export function registryNamespace(queue: string): string {
  return `tickpipe:${queue}`;
}

/** Creates the registry of `queue` over `redis`. */
export function createRunRegistry(redis: Redis, queue: string): RunRegistry {
  const ns = registryNamespace(queue);
  const run = (id: string) => `${ns}:run:${id}`;
  return {
    async activeRunFor(requestKey) {
      const runId = await redis.get(`${ns}:request:${requestKey}`);
      if (runId === null) return undefined;
      const p = await this.progress(runId);
      return p.jobs > p.finished ? runId : undefined;
    },
    async saveRun(meta, requestKey) {
      await redis
        .multi()
        .hsetnx(run(meta.runId), 'meta', JSON.stringify(meta))
        .set(`${ns}:request:${requestKey}`, meta.runId)
        .exec();
    },
    async readRun(runId) {
      const text = await redis.hget(run(runId), 'meta');
      return text === null ? undefined : (JSON.parse(text) as RunMeta);
    },
    async enqueuedUnits(runId, unitKeys) {
      const found = new Set<string>();
      for (let i = 0; i < unitKeys.length; i += 5_000) {
        const chunk = unitKeys.slice(i, i + 5_000);
        if (chunk.length === 0) break;
        const flags = await redis.smismember(`${run(runId)}:units`, ...chunk);
        chunk.forEach((k, j) => {
          if (flags[j] === 1) found.add(k);
        });
      }
      return found;
    },
    async addJobs(runId, jobs) {
      for (let i = 0; i < jobs.length; i += 500) {
        const m = redis.multi();
        for (const job of jobs.slice(i, i + 500)) {
          if (job.unitKeys.length > 0) m.sadd(`${run(runId)}:units`, ...job.unitKeys);
          m.sadd(`${run(runId)}:jobs`, job.jobId);
          for (const [symbol, n] of job.symbols) m.hincrby(`${run(runId)}:symbols`, symbol, n);
        }
        await m.exec();
      }
    },
    async symbolUnits(runId) {
      const all = await redis.hgetall(`${run(runId)}:symbols`);
      return new Map(Object.entries(all).map(([k, v]) => [k, Number(v)]));
    },
    async markFinished(runId, jobId) {
      await redis.sadd(`${run(runId)}:finished`, jobId);
    },
    async progress(runId) {
      const [jobs, finished, units] = await Promise.all([
        redis.scard(`${run(runId)}:jobs`),
        redis.scard(`${run(runId)}:finished`),
        redis.scard(`${run(runId)}:units`),
      ]);
      return { jobs, finished, units };
    },
    async appendEvents(runId, events) {
      if (events.length === 0) return;
      const m = redis.multi();
      for (const e of events) m.xadd(`${run(runId)}:events`, '*', 'e', JSON.stringify(e));
      await m.exec();
    },
    async readEvents(runId, after, blockMs) {
      const stream = `${run(runId)}:events`;
      const reply = (await (blockMs > 0
        ? redis.xread('COUNT', 5_000, 'BLOCK', blockMs, 'STREAMS', stream, after)
        : redis.xread('COUNT', 5_000, 'STREAMS', stream, after))) as Array<
        [string, Array<[string, string[]]>]
      > | null;
      const entries = reply?.[0]?.[1] ?? [];
      const events: SharedEvent[] = [];
      let last = after;
      for (const [id, fields] of entries) {
        last = id;
        const text = fields[1];
        if (text !== undefined) events.push(JSON.parse(text) as SharedEvent);
      }
      return { last, events };
    },
  };
}
