/**
 * The ClickHouse store on embedded chdb (ClickHouse 26.x, `modern` schema) in a temp directory.
 * libchdb binds one data directory per process, so every store of this file shares one
 * directory and gets its own random database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterSchemaStatements } from '../src/storage/clickhouse/ddl.js';
import { sqlString } from '../src/storage/clickhouse/row-encoding.js';
import { ClickHouseStore } from '../src/storage/clickhouse/clickhouse-store.js';
import { runStoreContract } from './store-contract.js';
import { clickHouseTestConfig, runClickHouseStoreSuite } from './support/clickhouse-env.js';

const chdbPath = mkdtempSync(join(tmpdir(), 'tickpipe-chdb-'));

describe('ClickHouseStore on chdb', () => {
  afterAll(() => rmSync(chdbPath, { recursive: true, force: true }));

  runStoreContract('clickhouse chdb', async () => {
    const store = new ClickHouseStore(clickHouseTestConfig({ connection: { chdbPath } }));
    return { store, cleanup: () => store.close(), finalSuffix: ' FINAL' };
  });

  it('the cluster schema of the modern flavor parses on current ClickHouse (Keeper instead of ZooKeeper)', async () => {
    const store = new ClickHouseStore(clickHouseTestConfig({ connection: { chdbPath } }));
    try {
      for (const onCluster of [true, false]) {
        for (const st of clusterSchemaStatements({
          flavor: 'modern',
          database: 'market',
          cluster: 'c1',
          onCluster,
        })) {
          const r = await store.query({ sql: `SELECT formatQuery(${sqlString(st)})` });
          expect(String(r.rows[0]?.[0])).toMatch(/^CREATE (DATABASE|TABLE) IF NOT EXISTS market\b/);
        }
      }
    } finally {
      await store.close();
    }
  });

  runClickHouseStoreSuite(
    'chdb',
    (over, deps) => new ClickHouseStore(clickHouseTestConfig({ ...over, connection: { chdbPath } }), deps),
  );
});
