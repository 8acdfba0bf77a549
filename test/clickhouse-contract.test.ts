/**
 * The ClickHouse store against a real ClickHouse server (Debian 12: 18.16) at
 * `TICKPIPE_TEST_CLICKHOUSE_URL`; one random database per store, dropped afterwards.
 */
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { Ticker } from '../src/domain/ticker.js';
import { ClickHouseStore } from '../src/storage/clickhouse/clickhouse-store.js';
import { CLICKHOUSE_TABLES } from '../src/storage/clickhouse/ddl.js';
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

  it('leaves tables the server can re-attach from its own metadata (as at a restart)', async () => {
    const config = clickHouseTestConfig({ url, batch_ms: 0 });
    databases.push(config.database);
    const store = new ClickHouseStore(config);
    const unit = {
      provider: 'simulated',
      dataType: 'bars_1m' as const,
      symbol: '600000.SH' as Ticker,
      tradeDate: '2025-06-05',
    };
    const bar = {
      symbol: unit.symbol,
      interval: '1m' as const,
      ts: Date.UTC(2025, 5, 5, 1, 31),
      open: 1,
      high: 1,
      low: 1,
      close: 1,
      volume: 1,
      amount: 1,
      source: 'simulated',
      tradeDate: '2025-06-05',
    };
    await store.write({ units: [{ unit, rows: { bars: [bar] } }] });
    await store.write({ units: [{ unit, rows: { bars: [{ ...bar, close: 2 }] } }] }); // a rewrite: leaves a mutation
    await store.close();
    const admin = createClient({ url, log: { level: 127 as never } });
    try {
      for (const table of CLICKHOUSE_TABLES) {
        await admin.command({ query: `DETACH TABLE \`${config.database}\`.${table}` });
        await admin.command({ query: `ATTACH TABLE \`${config.database}\`.${table}` });
      }
      const r = await admin.query({
        query: `SELECT count(), max(close) FROM \`${config.database}\`.bars FINAL`,
        format: 'JSONCompact',
      });
      expect(((await r.json()) as { data: unknown[][] }).data.map((row) => row.map(Number))).toEqual([
        [1, 2],
      ]);
    } finally {
      await admin.close();
    }
  });

  it('keeps a wrong password out of the error it reports', async () => {
    const password = 'pw-must-not-leak-7391';
    const store = new ClickHouseStore(clickHouseTestConfig({ url, password }));
    const error = (await store.init().then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: string; message: string; context: unknown } | undefined;
    await store.close();
    expect(error?.code).toBe('CONFIG_INVALID'); // a credential problem: exit 2;
    expect(error?.message).toMatch(/code (193|516)/);
    expect(`${error?.message} ${JSON.stringify(error?.context)}`).not.toContain(password);
  });

  runClickHouseStoreSuite('server', (over, deps) => {
    const config = clickHouseTestConfig({ url, ...over });
    databases.push(config.database);
    return new ClickHouseStore(config, deps);
  });
});
