/**
 * The ClickHouse store on a cluster of real servers (2 shards x 2 replicas of 18.16 and a
 * ZooKeeper, started once per suite by scripts/test.sh): the store contract and the
 * ClickHouse-specific suite, plus what only a cluster has (replicated local tables, Distributed
 * tables, sharding by symbol, the stored name of bars.interval).
 */
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { Ticker } from '../src/domain/ticker.js';
import { ClickHouseStore, type ClickHouseClientPort } from '../src/storage/clickhouse/clickhouse-store.js';
import { unitKey, unitWrite } from './fixtures/rows.js';
import { runStoreContract } from './store-contract.js';
import {
  clickHouseTestCluster,
  clickHouseTestConfig,
  dropClusterDatabases,
  runClickHouseStoreSuite,
} from './support/clickhouse-env.js';

const env = clickHouseTestCluster();
const databases: string[] = [];

function clusterStore(over: Parameters<typeof clickHouseTestConfig>[0] = {}, deps = {}): ClickHouseStore {
  const config = clickHouseTestConfig({ url: env?.urls ?? [], cluster: env?.cluster, ...over });
  databases.push(config.database);
  return new ClickHouseStore(config, deps);
}

async function nodeQuery(url: string, sql: string): Promise<unknown[][]> {
  const client = createClient({ url, log: { level: 127 as never } });
  try {
    const r = await client.query({ query: sql, format: 'JSONCompact' });
    return ((await r.json()) as { data: unknown[][] }).data;
  } finally {
    await client.close();
  }
}

describe.skipIf(env === undefined)('ClickHouseStore on a 2x2 cluster', () => {
  afterAll(async () => {
    if (env) await dropClusterDatabases(env, databases);
  });

  runStoreContract('clickhouse cluster', async () => {
    const store = clusterStore();
    return { store, cleanup: () => store.close(), finalSuffix: ' FINAL' };
  });

  runClickHouseStoreSuite('cluster', (over, deps) => clusterStore(over, deps), {
    nodes: env?.urls.length ?? 0,
  });

  it('creates replicated local tables on every node and shards the rows of a symbol onto one shard', async () => {
    const cluster = env as NonNullable<typeof env>;
    const store = clusterStore({ batch_ms: 0 });
    const symbols = Array.from({ length: 12 }, (_, i) => `6000${String(i).padStart(2, '0')}.SH` as Ticker);
    await store.write({
      units: symbols.map((symbol) => ({
        unit: { provider: 'simulated', dataType: 'bars_1m' as const, symbol, tradeDate: '2025-06-05' },
        rows: {
          bars: [1, 2].map((m) => ({
            symbol,
            interval: '1m' as const,
            ts: Date.UTC(2025, 5, 5, 1, 30 + m),
            open: 1,
            high: 2,
            low: 0.5,
            close: 1.5,
            volume: 100,
            amount: 150,
            source: 'simulated',
            tradeDate: '2025-06-05',
          })),
        },
      })),
    });
    const db = databases[databases.length - 1] as string;
    const engines = await nodeQuery(
      cluster.urls[3] as string,
      `SELECT name, engine FROM system.tables WHERE database = '${db}' AND name IN ('bars', 'bars_local') ORDER BY name`,
    );
    expect(engines).toEqual([
      ['bars', 'Distributed'],
      ['bars_local', 'ReplicatedReplacingMergeTree'],
    ]);
    // Every symbol lives on one shard: node 1 (shard 01) and node 3 (shard 02) split them.
    const perShard = [];
    for (const url of [cluster.urls[0], cluster.urls[2]] as string[]) {
      await nodeQuery(url, `SYSTEM SYNC REPLICA \`${db}\`.bars_local`).catch(() => []);
      perShard.push(
        (await nodeQuery(url, `SELECT DISTINCT symbol FROM \`${db}\`.bars_local ORDER BY symbol`)).map(
          (r) => r[0],
        ),
      );
    }
    expect([...(perShard[0] ?? []), ...(perShard[1] ?? [])].sort()).toEqual(symbols);
    expect(perShard[0]?.length).toBeGreaterThan(0);
    expect(perShard[1]?.length).toBeGreaterThan(0);
    // bars.interval reads and filters through the Distributed table under its own name.
    const r = await store.query({
      sql: "SELECT symbol, interval, count() AS n FROM bars FINAL WHERE interval = '1m' GROUP BY symbol, interval ORDER BY symbol LIMIT 2",
    });
    expect(r.columns).toEqual(['symbol', 'interval', 'n']);
    expect(r.rows).toEqual([
      ['600000.SH', '1m', 2],
      ['600001.SH', '1m', 2],
    ]);
    await store.close();
  });

  it('stores a retried insert whose answer was lost once (block dedup), and a later rewrite of the same rows again', async () => {
    let loseAnswer = true;
    const store = clusterStore(
      { batch_ms: 0 },
      {
        wrapClient: (client: ClickHouseClientPort): ClickHouseClientPort => ({
          query: client.query.bind(client),
          command: client.command.bind(client),
          insert: client.insert.bind(client),
          close: client.close.bind(client),
          exec: (async (params: Parameters<ClickHouseClientPort['exec']>[0]) => {
            const result = await client.exec(params);
            if (loseAnswer && /^tickpipe-insert-ticks-/.test(params.query_id ?? '')) {
              loseAnswer = false;
              // The insert completed on the server; its answer never reaches us.
              for await (const _ of result.stream) void _;
              throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
            }
            return result;
          }) as ClickHouseClientPort['exec'],
        }),
      },
    );
    const u = unitKey();
    await store.write({ units: [unitWrite(u, 50)] });
    expect(loseAnswer).toBe(false);
    // Physical rows, not FINAL: the second copy of the block was dropped by ZooKeeper's dedup.
    expect((await store.query({ sql: 'SELECT count() FROM ticks' })).rows).toEqual([[50]]);
    // The same rows again (a --no-resume re-run): the old slice is deleted, the new block stored.
    await store.write({ units: [unitWrite(u, 50)] });
    expect((await store.query({ sql: 'SELECT count() FROM ticks FINAL' })).rows).toEqual([[50]]);
    expect((await store.query({ sql: 'SELECT count(), uniqExact(version) FROM ticks' })).rows).toEqual([
      [50, 1],
    ]);
    await store.close();
  });

  it('a second store finds the schema and sends no DDL', async () => {
    const first = clusterStore();
    await first.init();
    await first.close();
    const config = clickHouseTestConfig({
      url: env?.urls ?? [],
      cluster: env?.cluster,
      database: databases[databases.length - 1] as string,
    });
    const statements: string[] = [];
    const second = new ClickHouseStore(config, {
      wrapClient: (client) => ({
        ...client,
        query: client.query.bind(client),
        exec: client.exec.bind(client),
        insert: client.insert.bind(client),
        close: client.close.bind(client),
        command: ((params: { query: string }) => {
          statements.push(params.query);
          return client.command(params as never);
        }) as typeof client.command,
      }),
    });
    await second.init();
    await second.close();
    expect(statements).toEqual([]);
  });

  it('refuses a cluster name the servers do not define, as a configuration error', async () => {
    const store = clusterStore({ cluster: 'no_such_cluster' });
    await expect(store.init()).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('no_such_cluster'),
    });
    await store.close();
  });
});
