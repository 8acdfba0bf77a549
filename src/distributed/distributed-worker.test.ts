/**
 * The distributed worker's own output during a store outage: like `run`, it reports "waiting for
 * ClickHouse" when the store stops answering and "answers again" when it is back (README,
 * "ClickHouse cluster": the progress shows the wait). Real Redis (BullMQ) and a real ClickHouse
 * server; the outage is a client that refuses connections until the test lets it through.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { clickHouseTestConfig, clickHouseTestUrl } from '../../test/support/clickhouse-env.js';
import { randomName, redisTestUrl } from '../../test/support/redis-env.js';
import { resolveConfigDocument } from '../config/load-config.js';
import { systemClock } from '../limits/clock.js';
import { MemoryWindowStore } from '../limits/memory-window-store.js';
import type { PipelineEvent } from '../pipeline/events.js';
import { createClickHouseStore, type ClickHouseClientPort } from '../storage/clickhouse/clickhouse-store.js';
import { openJobQueue } from './bullmq-queue.js';
import { startDistributedWorker } from './distributed-worker.js';
import { createRunRegistry } from './run-registry.js';

const chUrl = clickHouseTestUrl();
const redisUrl = redisTestUrl();
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe.skipIf(chUrl === undefined)('distributed worker', () => {
  it('reports the store waiting and recovering, as run does', async () => {
    let down = false;
    // Refused after a few ms, as a closed port answers.
    const refuse = () =>
      new Promise<never>((_, reject) =>
        setTimeout(
          () =>
            reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
          5,
        ),
      );
    const wrapClient = (c: ClickHouseClientPort): ClickHouseClientPort => ({
      close: c.close.bind(c),
      command: ((p: Parameters<ClickHouseClientPort['command']>[0]) =>
        down ? refuse() : c.command(p)) as ClickHouseClientPort['command'],
      exec: ((p: Parameters<ClickHouseClientPort['exec']>[0]) =>
        down ? refuse() : c.exec(p)) as ClickHouseClientPort['exec'],
      insert: ((p: Parameters<ClickHouseClientPort['insert']>[0]) =>
        down ? refuse() : c.insert(p)) as ClickHouseClientPort['insert'],
      query: ((p: Parameters<ClickHouseClientPort['query']>[0]) =>
        down ? refuse() : c.query(p)) as ClickHouseClientPort['query'],
    });
    const cfg = clickHouseTestConfig({ url: chUrl as string });
    const store = createClickHouseStore(cfg, { wrapClient });
    await store.init();
    cleanups.push(async () => {
      down = false;
      await store.readLedger({});
      await store.close();
      const admin = new URL(chUrl as string);
      admin.searchParams.set('query', `DROP DATABASE IF EXISTS ${cfg.database}`);
      await fetch(admin, { method: 'POST' });
    });
    const queueName = randomName('tpq');
    const loaded = resolveConfigDocument({ distributed: { redis_url: redisUrl, queue: queueName } });
    const redis = new Redis(redisUrl);
    const queue = openJobQueue(redisUrl, queueName);
    const events: PipelineEvent[] = [];
    const worker = startDistributedWorker(
      {
        loaded,
        redisUrl,
        redis,
        registry: createRunRegistry(redis, queueName),
        queue,
        windows: new MemoryWindowStore({ clock: systemClock }),
        store,
        reporter: { onEvent: (e) => events.push(e) },
        clock: systemClock,
        random: Math.random,
        makeProvider: () => {
          throw new Error('no job is run here');
        },
        computeFactors: () => [],
      },
      1,
    );
    cleanups.push(async () => {
      await worker.close();
      await queue.close();
      redis.disconnect();
    });

    down = true;
    const read = store.readLedger({});
    await expect.poll(() => events.map((e) => e.type), { timeout: 10_000 }).toContain('store:waiting');
    down = false;
    await read;
    await expect.poll(() => events.map((e) => e.type), { timeout: 10_000 }).toContain('store:recovered');
    expect(events.find((e) => e.type === 'store:waiting')).toMatchObject({ store: 'ClickHouse' });
  });
});
