/**
 * End-to-end on the suite's ClickHouse cluster (2 shards x 2 replicas, started once by
 * scripts/test.sh): `tickpipe run` with `storage.clickhouse.cluster` stores the same rows and
 * values as DuckDB, and re-runs and `--no-resume` leave no duplicate under FINAL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickHouseTestCluster,
  dropClusterDatabases,
  randomDatabaseName,
} from '../support/clickhouse-env.js';
import { RUN_ARGS, syncReplicas, tables } from '../support/clickhouse-e2e.js';
import { createWorkspace, simulatedConfig, type Workspace } from '../support/cli.js';

const env = clickHouseTestCluster();
const workspaces: Workspace[] = [];
const databases: string[] = [];

describe.skipIf(env === undefined)('tickpipe run on a ClickHouse cluster', () => {
  let duck: Record<string, unknown[]>;
  beforeAll(async () => {
    const ws = createWorkspace({ universe_size: 4 });
    workspaces.push(ws);
    const r = await ws.run([...RUN_ARGS, '--providers-config', ws.configPath]);
    expect(r.code).toBe(0);
    duck = await tables(ws, false);
  });
  afterAll(async () => {
    workspaces.forEach((w) => w.cleanup());
    if (env) await dropClusterDatabases(env, databases);
  });

  it('stores the same rows and values as DuckDB; re-runs and --no-resume add no duplicate', async () => {
    const cluster = env as NonNullable<typeof env>;
    const ws = createWorkspace({ universe_size: 4 });
    workspaces.push(ws);
    const database = randomDatabaseName('tp_e2e_cluster');
    databases.push(database);
    ws.writeConfig({
      ...simulatedConfig(ws.dbPath, { universe_size: 4 }),
      storage: {
        backend: 'clickhouse',
        clickhouse: { url: cluster.urls, cluster: cluster.cluster, database, batch_ms: 200 },
      },
    });
    const cfg = ['--providers-config', ws.configPath];
    const first = await ws.run([...RUN_ARGS, ...cfg]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`clickhouse cluster ${cluster.cluster} via`);
    expect(first.stdout).toContain('Data ingestion completed. Successful: 4/4');
    await syncReplicas(cluster.urls, database);
    expect(await tables(ws, true)).toEqual(duck);

    const again = await ws.run([...RUN_ARGS, ...cfg]);
    expect(again.stdout).toContain('Nothing new to ingest');
    const rewrite = await ws.run([...RUN_ARGS, '--no-resume', ...cfg]);
    expect(rewrite.code).toBe(0);
    await syncReplicas(cluster.urls, database);
    expect(await tables(ws, true)).toEqual(duck);

    const status = await ws.run(['status', ...cfg, '--format', 'csv']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('simulated,ticks,ok,8,');
  });
});
