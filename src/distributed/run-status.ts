/**
 * The queue side of `tickpipe status --run RUN_ID`: for a run that `enqueue` put into the
 * configured queue, how many of its jobs have finished and what the queue holds now. Best
 * effort: a run that never went through the queue, or a Redis that does not answer within a
 * second, adds nothing (status is the ledger view and must work without Redis).
 */
import { Redis } from 'ioredis';
import type { LoadedConfig } from '../config/load-config.js';
import { openJobQueue } from './bullmq-queue.js';
import { describeRedisUrl } from './redis-setup.js';
import { createRunRegistry } from './run-registry.js';

/** Lines describing the distributed run `runId`, or none. */
export async function distributedRunLines(loaded: LoadedConfig, runId: string): Promise<string[]> {
  const { redis_url: url, queue: queueName } = loaded.config.distributed;
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 1_000,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const registry = createRunRegistry(redis, queueName);
    const meta = await registry.readRun(runId);
    if (!meta) return [];
    const p = await registry.progress(runId);
    const queue = openJobQueue(url, queueName);
    try {
      const c = await queue.counts();
      return [
        loaded.redactor.redact(
          `Distributed run on queue "${queueName}" (${describeRedisUrl(url)}): ${p.finished}/${p.jobs} job(s) finished, ` +
            `${p.units} unit(s) enqueued; the queue now holds ${c.waiting + c.prioritized} waiting, ${c.delayed} delayed, ` +
            `${c.active} active job(s) of all runs` +
            (p.finished >= p.jobs ? '' : ` — tickpipe watch ${runId} follows it`),
        ),
      ];
    } finally {
      await queue.close();
    }
  } catch {
    return [];
  } finally {
    redis.disconnect();
  }
}
