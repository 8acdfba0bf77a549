/**
 * The ClickHouse store against a real ClickHouse server (Debian 12: 18.16) at
 * `TICKPIPE_TEST_CLICKHOUSE_URL`; one random database per store, dropped afterwards.
 */
import { createClient } from '@clickhouse/client';
import { afterAll, describe } from 'vitest';
import { ClickHouseStore } from '../src/storage/clickhouse/clickhouse-store.js';
import { runStoreContract } from './store-contract.js';
import { clickHouseTestConfig, clickHouseTestUrl, runClickHouseStoreSuite } from './support/clickhouse-env.js';

const url = clickHouseTestUrl();
const databases: string[] = [];

describe.skipIf(url === undefined)('ClickHouseStore on a ClickHouse server', () => {
  afterAll(async () => {
    const admin = createClient({ url, log: { level: 127 as never } });
    try {
      for (const db of databases) await admin.command({ query: `DROP DATABASE IF EXISTS \`${db}\`` });
    } finally {
      await admin.close();
    }
  });

  runStoreContract('clickhouse server', async () => {
    const config = clickHouseTestConfig({ url });
    databases.push(config.database);
    const store = new ClickHouseStore(config);
    return { store, cleanup: () => store.close(), finalSuffix: ' FINAL' };
  });

  runClickHouseStoreSuite('server', (over, deps) => {
    const config = clickHouseTestConfig({ url, ...over });
    databases.push(config.database);
    return new ClickHouseStore(config, deps);
  });
});
