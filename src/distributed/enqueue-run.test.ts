import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { randomName, redisTestUrl } from '../../test/support/redis-env.js';
import type { Ticker } from '../domain/ticker.js';
import type { PreparedRun } from '../pipeline/create-pipeline.js';
import type { Job } from '../pipeline/plan.js';
import type { RunOptions } from '../pipeline/run-options.js';
import { openJobQueue, type JobQueue } from './bullmq-queue.js';
import { enqueueRun, queueJobId } from './enqueue-run.js';
import { createRunRegistry } from './run-registry.js';

const url = redisTestUrl();
const redis = new Redis(url);
const queues: JobQueue[] = [];
afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  redis.disconnect();
});

const options: RunOptions = {
  symbols: ['600000.SH', '600519.SH'] as Ticker[],
  range: { start: '2025-06-05', end: '2025-06-06' },
  requested: ['bars_1m'],
  routing: { routing: { bars_1m: ['tushare'] } as never, providers: ['tushare'], warnings: [] },
  workers: 2,
  maxWorkers: 4,
  resume: true,
  includeDelisted: false,
  priority: [],
};

function job(symbol: string): Job {
  const dates = ['2025-06-05', '2025-06-06'];
  return {
    id: `tushare:${symbol}:2025-06-05..2025-06-06`,
    provider: 'tushare',
    symbol: symbol as Ticker,
    tradeDates: dates,
    units: dates.map((tradeDate) => ({
      provider: 'tushare',
      dataType: 'bars_1m',
      symbol: symbol as Ticker,
      tradeDate,
      requested: 'bars_1m',
      chainIndex: 0,
    })),
  };
}

/** A planner stand-in: the same plan every time (what `prepare` returns for an unchanged ledger). */
const prepare = async (o: RunOptions): Promise<PreparedRun> =>
  ({
    runId: o.runId as string,
    plan: {
      // A lazy job stream, as the streaming planner gives it.
      jobs: function* () {
        yield job('600000.SH');
        yield job('600519.SH');
      },
      estimate: { units: 4, skipped: 0, unservable: [], jobs: 2 },
      symbols: ['600000.SH', '600519.SH'] as Ticker[],
    },
    routing: {},
    providers: new Map(),
    tradingDays: new Map(),
    warnings: [],
    estimate: [],
  }) as unknown as PreparedRun;

describe('enqueueRun', () => {
  it('enqueues the plan once: the same request again adds no job and keeps the run id', async () => {
    const name = randomName('tpq');
    const queue = openJobQueue(url, name);
    queues.push(queue);
    const registry = createRunRegistry(redis, name);
    let n = 0;
    const params = {
      options,
      prepare,
      newRunId: () => `run${++n}`,
      queue,
      registry,
      now: () => 1,
      signal: new AbortController().signal,
    };
    const first = await enqueueRun(params);
    expect(first).toMatchObject({ runId: 'run1', jobs: 2, units: 4, alreadyQueued: 0 });
    const second = await enqueueRun(params);
    expect(second).toMatchObject({ runId: 'run1', jobs: 0, units: 0, alreadyQueued: 2 });
    expect((await queue.counts()).waiting).toBe(2);
    expect(await registry.progress('run1')).toEqual({ jobs: 2, finished: 0, units: 4 });
    expect(await registry.symbolUnits('run1')).toEqual(
      new Map([
        ['600000.SH', 2],
        ['600519.SH', 2],
      ]),
    );
    // Once the run has finished, the same request is a new run.
    for (const j of [job('600000.SH'), job('600519.SH')])
      await registry.markFinished('run1', queueJobId('run1', j));
    const third = await enqueueRun(params);
    expect(third).toMatchObject({ runId: 'run2', jobs: 2 });
  });

  it('job ids are deterministic, per run, without ":"', () => {
    const a = queueJobId('20250605T013000Z-1a2b', job('600000.SH'));
    expect(a).toBe(queueJobId('20250605T013000Z-1a2b', job('600000.SH')));
    expect(a).not.toBe(queueJobId('20250605T013000Z-1a2b', job('600519.SH')));
    expect(a).not.toContain(':');
  });
});
