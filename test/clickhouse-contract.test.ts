/**
 * The ClickHouse store against a real ClickHouse server (Debian 12: 18.16) at
 * `TICKPIPE_TEST_CLICKHOUSE_URL`; one random database per store, dropped afterwards.
 */
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../src/storage/clickhouse/clickhouse-store.js';
import { runStoreContract } from './store-contract.js';
import {
  clickHouseTestConfig,
  clickHouseTestUrl,
  runClickHouseStoreSuite,
} from './support/clickhouse-env.js';

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

  it('keeps a wrong password out of the error it reports', async () => {
    const password = 'pw-must-not-leak-7391';
    const store = new ClickHouseStore(clickHouseTestConfig({ url, password }));
    const error = (await store.init().then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: string; message: string; context: unknown } | undefined;
    await store.close();
    expect(error?.code).toBe('STORAGE_FAILED');
    expect(error?.message).toMatch(/code (193|516)/);
    expect(`${error?.message} ${JSON.stringify(error?.context)}`).not.toContain(password);
  });

  runClickHouseStoreSuite('server', (over, deps) => {
    const config = clickHouseTestConfig({ url, ...over });
    databases.push(config.database);
    return new ClickHouseStore(config, deps);
  });
});
