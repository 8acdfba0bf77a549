/**
 * Creating the schema when a store opens: `SELECT version()` picks the flavor (`ddl.ts`), then
 * the tables are created when missing — safe on every start.
 *
 * In a cluster (docs/STORAGE.md, "Cluster"), `ON CLUSTER` DDL waits for every node of the cluster
 * (on 18.16 up to `distributed_ddl_task_timeout`, 180 s, when one is down). So a store that finds
 * the schema on every node it can reach sends no DDL at all; otherwise it queues the statements
 * `ON CLUSTER` without waiting (`distributed_ddl_task_timeout=0`: a node that is down runs them
 * when it returns), then waits until each reachable listed node has the tables, creating them
 * there directly (the same `IF NOT EXISTS` statements, the node's macros fill in the ZooKeeper
 * path) if its DDL queue is slow.
 */
import { IngestError } from '../../errors.js';
import type { ClickHouseSession } from './clickhouse-session.js';
import type { ClickHouseFlavor } from './ddl.js';
import { clusterSchemaStatements, clusterTableNames, schemaStatements } from './ddl.js';
import type { PoolNode } from './node-pool.js';
import { sqlString } from './row-encoding.js';

const SCHEMA_POLL_MS = 100;
/** How long a reachable node's DDL queue gets before the store creates its tables itself, ms. */
const DDL_QUEUE_WAIT_MS = 10_000;

/** Reads the server version and flavor. */
export async function probeVersion(admin: ClickHouseSession): Promise<string> {
  const body = await admin.select('SELECT version()', 'connect');
  return String(body.data[0]?.[0] ?? '');
}

/** Creates the single-server schema. */
export async function createSingleServerSchema(
  admin: ClickHouseSession,
  flavor: ClickHouseFlavor,
): Promise<void> {
  for (const statement of schemaStatements(flavor, admin.database)) {
    await admin.command(statement, 'create the schema');
  }
}

/**
 * Creates the cluster schema where missing (see the module comment) and returns the number of
 * shards of the cluster.
 */
export async function createClusterSchema(params: {
  admin: ClickHouseSession;
  flavor: ClickHouseFlavor;
  cluster: string;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}): Promise<number> {
  const { admin, flavor, cluster } = params;
  const shards = await admin.select(
    `SELECT count(DISTINCT shard_num) FROM system.clusters WHERE cluster = ${sqlString(cluster)}`,
    'read the cluster definition',
  );
  const shardCount = Number(shards.data[0]?.[0] ?? 0);
  if (shardCount === 0) {
    throw new IngestError(
      'CONFIG_INVALID',
      `storage.clickhouse.cluster: the ClickHouse servers define no cluster "${cluster}" (remote_servers); ` +
        `check the name or the servers' configuration`,
      { retryable: false, context: { cluster } },
    );
  }
  const missing = await nodesMissingTables(admin);
  if (missing.length === 0) return shardCount;
  const database = admin.database;
  for (const statement of clusterSchemaStatements({ flavor, database, cluster, onCluster: true })) {
    await admin.command(statement, 'create the schema on the cluster', {
      settings: { distributed_ddl_task_timeout: 0 },
    });
  }
  const deadline = params.now() + DDL_QUEUE_WAIT_MS;
  let waiting = missing;
  while (waiting.length > 0 && params.now() < deadline) {
    await params.sleep(SCHEMA_POLL_MS);
    waiting = await nodesMissingTables(admin, waiting);
  }
  for (const node of waiting) {
    const statements = clusterSchemaStatements({ flavor, database, cluster, onCluster: false });
    try {
      for (const statement of statements) {
        await admin.command(statement, `create the schema on ${node.url}`, { candidates: [node] });
      }
    } catch (error) {
      // The node's DDL queue may have created a table in between: fine if all are there now.
      if ((await nodesMissingTables(admin, [node])).length > 0) throw error;
    }
  }
  return shardCount;
}

/** The nodes (of `nodes`, default all) that answer and lack some of the cluster's tables. */
async function nodesMissingTables(
  admin: ClickHouseSession,
  nodes: readonly PoolNode[] = admin.pool.nodes,
): Promise<PoolNode[]> {
  const names = clusterTableNames();
  const sql =
    `SELECT count() FROM system.tables WHERE database = ${sqlString(admin.database)} ` +
    `AND name IN (${names.map(sqlString).join(', ')})`;
  const missing: PoolNode[] = [];
  let answered = 0;
  for (const node of nodes) {
    let count: number;
    try {
      const body = await admin.selectOn(node, sql, `read the schema of ${node.url}`);
      count = Number(body.data[0]?.[0] ?? 0);
      answered++;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'STORAGE_FAILED') throw error;
      continue; // not answering: its DDL queue catches up when it returns
    }
    if (count < names.length) missing.push(node);
  }
  if (answered === 0) {
    throw new IngestError(
      'STORAGE_FAILED',
      'ClickHouse could not read the schema: no node of storage.clickhouse.url answers',
      {
        context: { database: admin.database },
      },
    );
  }
  return missing;
}
