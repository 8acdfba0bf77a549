/**
 * ClickHouse test environment: where the test server is (env `TICKPIPE_TEST_CLICKHOUSE_URL`, set
 * by `scripts/services/start.sh`), store configs with random database names, and the
 * ClickHouse-specific suite that both the server and the chdb test files run.
 */
import { createClient } from '@clickhouse/client';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Ticker } from '../../src/domain/ticker.js';
import type { LedgerEntry, UnitKey } from '../../src/ledger/ledger-entry.js';
import type {
  ClickHouseClientPort,
  ClickHouseStore,
  ClickHouseStoreConfig,
  ClickHouseStoreDeps,
} from '../../src/storage/clickhouse/clickhouse-store.js';
import type { Tick } from '../../src/domain/rows.js';

/** The env variable naming the test server's HTTP URL. */
export const CLICKHOUSE_URL_ENV = 'TICKPIPE_TEST_CLICKHOUSE_URL';

/**
 * The test server's URL, or undefined (tests skip, with a visible message). Under `CI` a missing
 * URL throws: a CI run must never silently skip the real-server suite.
 */
export function clickHouseTestUrl(): string | undefined {
  const url = process.env[CLICKHOUSE_URL_ENV];
  if (url !== undefined && url !== '') return url;
  if (process.env.CI) {
    throw new Error(
      `${CLICKHOUSE_URL_ENV} is not set but CI is: start the server with scripts/services/start.sh BASE_DIR and source BASE_DIR/env.sh`,
    );
  }
  console.warn(
    `[clickhouse tests] SKIPPED: ${CLICKHOUSE_URL_ENV} is not set. Run scripts/services/start.sh /tmp/tp-services && . /tmp/tp-services/env.sh`,
  );
  return undefined;
}

/** The env variables naming the test cluster (set by `scripts/services/start-cluster.sh`). */
export const CLICKHOUSE_CLUSTER_URLS_ENV = 'TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS';
export const CLICKHOUSE_CLUSTER_ENV = 'TICKPIPE_TEST_CLICKHOUSE_CLUSTER';

/** The test cluster: its node URLs (node 1 first) and name. */
export interface ClickHouseTestCluster {
  urls: string[];
  cluster: string;
}

/**
 * The test cluster, or undefined (tests skip, with a visible message). Under `CI` a missing
 * cluster throws, as for the single server.
 */
export function clickHouseTestCluster(): ClickHouseTestCluster | undefined {
  const urls = process.env[CLICKHOUSE_CLUSTER_URLS_ENV];
  const cluster = process.env[CLICKHOUSE_CLUSTER_ENV];
  if (urls && cluster) return { urls: urls.split(',').filter((u) => u !== ''), cluster };
  if (process.env.CI) {
    throw new Error(
      `${CLICKHOUSE_CLUSTER_URLS_ENV} / ${CLICKHOUSE_CLUSTER_ENV} are not set but CI is: start the cluster with scripts/services/start.sh BASE_DIR and source BASE_DIR/env.sh`,
    );
  }
  console.warn(
    `[clickhouse cluster tests] SKIPPED: ${CLICKHOUSE_CLUSTER_URLS_ENV} is not set. Run scripts/services/start-cluster.sh /tmp/tp-cluster && . /tmp/tp-cluster/env.sh`,
  );
  return undefined;
}

/** Drops databases on every node of a cluster (ON CLUSTER, with every node up). */
export async function dropClusterDatabases(
  env: ClickHouseTestCluster,
  databases: readonly string[],
): Promise<void> {
  const admin = createClient({ url: env.urls[0], log: { level: 127 as never } });
  try {
    for (const db of databases) {
      await admin.command({ query: `DROP DATABASE IF EXISTS \`${db}\` ON CLUSTER ${env.cluster}` });
    }
  } finally {
    await admin.close();
  }
}

/** A fresh database name, unique per call. */
export function randomDatabaseName(prefix = 'tp_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A full store config for tests; batches are small and quick unless overridden. */
export function clickHouseTestConfig(over: Partial<ClickHouseStoreConfig> = {}): ClickHouseStoreConfig {
  return {
    url: 'http://127.0.0.1:8123',
    database: randomDatabaseName(),
    username: 'default',
    password: '',
    max_open_connections: 4,
    request_timeout_ms: 30_000,
    batch_rows: 50_000,
    batch_ms: 5,
    outage_budget_ms: 300_000,
    ...over,
  };
}

/** Builds a store for the suite: the config overrides and deps are the test's. */
export type MakeClickHouseStore = (
  over: Partial<ClickHouseStoreConfig>,
  deps: ClickHouseStoreDeps,
) => ClickHouseStore;

/** A timer the test fires by hand. */
function manualTimer(): {
  setTimer: NonNullable<ClickHouseStoreDeps['setTimer']>;
  fire(): void;
  armed(): number;
} {
  let due: (() => void)[] = [];
  return {
    setTimer(fn) {
      const entry = (): void => fn();
      due.push(entry);
      return () => {
        due = due.filter((f) => f !== entry);
      };
    },
    fire() {
      const now = due;
      due = [];
      for (const f of now) f();
    },
    armed: () => due.length,
  };
}

/** Counts (and optionally fails) data inserts of the wrapped client. */
function insertSpy(fail?: (table: string, attempt: number) => Error | undefined) {
  const inserts: { table: string; rows: number }[] = [];
  const wrapClient = (client: ClickHouseClientPort): ClickHouseClientPort => ({
    query: client.query.bind(client),
    command: client.command.bind(client),
    close: client.close.bind(client),
    // Inserts over HTTP go through exec (RowBinary) with a query id naming table and rows.
    exec: (async (params: Parameters<ClickHouseClientPort['exec']>[0]) => {
      const m = /^tickpipe-insert-(\w+)-(\d+)-/.exec(params.query_id ?? '');
      if (m) {
        const table = m[1] as string;
        inserts.push({ table, rows: Number(m[2]) });
        const error = fail?.(table, inserts.filter((i) => i.table === table).length);
        if (error !== undefined) throw error;
      }
      return client.exec(params);
    }) as ClickHouseClientPort['exec'],
    insert: (async (params: Parameters<ClickHouseClientPort['insert']>[0]) => {
      const table = params.table.split('.').pop()?.replace(/`/g, '') ?? '';
      const rows = Array.isArray(params.values) ? params.values.length : -1;
      inserts.push({ table, rows });
      const error = fail?.(table, inserts.filter((i) => i.table === table).length);
      if (error !== undefined) throw error;
      return client.insert(params);
    }) as ClickHouseClientPort['insert'],
  });
  return { inserts, wrapClient, dataInserts: () => inserts.filter((i) => i.table !== 'ingest_ledger') };
}

const T0 = Date.UTC(2025, 5, 5, 1, 30, 0);

function unitOf(symbol: string, over: Partial<UnitKey> = {}): UnitKey {
  return {
    provider: 'simulated',
    dataType: 'ticks',
    symbol: symbol as Ticker,
    tradeDate: '2025-06-05',
    ...over,
  };
}

function ticks(unit: UnitKey, n: number, price = 10): Tick[] {
  return Array.from({ length: n }, (_, i) => ({
    symbol: unit.symbol,
    ts: T0 + i * 3000 + (i % 997), // sub-second parts, so ms precision is exercised
    seq: i + 1,
    price: price + i / 100,
    volume: 100,
    amount: (price + i / 100) * 100,
    side: 'B' as const,
    source: unit.provider,
    tradeDate: unit.tradeDate,
  }));
}

/** The ClickHouse-specific behaviour: batching, failure isolation, dedup under FINAL, retries. */
export function runClickHouseStoreSuite(
  name: string,
  makeStore: MakeClickHouseStore,
  options: { nodes?: number } = {},
): void {
  const nodes = options.nodes ?? 1;
  describe(`ClickHouseStore specifics (${name})`, () => {
    const open: ClickHouseStore[] = [];
    const make: MakeClickHouseStore = (over, deps) => {
      const s = makeStore(over, deps);
      open.push(s);
      return s;
    };
    afterAll(async () => {
      await Promise.allSettled(open.map((s) => s.close()));
    });

    it('coalesces the rows of many write() calls into one insert per table', async () => {
      const timer = manualTimer();
      const spy = insertSpy();
      const store = make(
        { batch_rows: 100_000, batch_ms: 1000 },
        { setTimer: timer.setTimer, wrapClient: spy.wrapClient },
      );
      await store.init();
      const units = Array.from({ length: 40 }, (_, i) => unitOf(`6000${String(i).padStart(2, '0')}.SH`));
      let resolved = 0;
      const writes = units.map((u) =>
        store.write({ units: [{ unit: u, rows: { ticks: ticks(u, 25) } }] }).then(() => resolved++),
      );
      await new Promise((r) => setImmediate(r));
      expect(resolved).toBe(0); // nothing is durable before the batch is sent
      expect(timer.armed()).toBe(1);
      timer.fire();
      await Promise.all(writes);
      expect(spy.dataInserts()).toEqual([{ table: 'ticks', rows: 1000 }]);
      const r = await store.query({ sql: 'SELECT count() AS n, uniqExact(symbol) AS s FROM ticks FINAL' });
      expect(r.rows).toEqual([[1000, 40]]);
    });

    it('sends a batch as soon as batch_rows rows wait, without waiting for the timer', async () => {
      const timer = manualTimer();
      const spy = insertSpy();
      const store = make(
        { batch_rows: 50, batch_ms: 60_000 },
        { setTimer: timer.setTimer, wrapClient: spy.wrapClient },
      );
      const units = Array.from({ length: 4 }, (_, i) => unitOf(`0000${i + 1}.SZ`));
      await Promise.all(
        units.map((u) => store.write({ units: [{ unit: u, rows: { ticks: ticks(u, 25) } }] })),
      );
      expect(spy.dataInserts()).toEqual([
        { table: 'ticks', rows: 50 },
        { table: 'ticks', rows: 50 },
      ]);
    });

    it('rejects exactly the write() calls whose rows were in a failed insert', async () => {
      const timer = manualTimer();
      const spy = insertSpy((table) =>
        table === 'bars'
          ? new Error(
              'Code: 241, e.displayText() = DB::Exception: Memory limit exceeded, e.what() = DB::Exception',
            )
          : undefined,
      );
      const store = make({ batch_rows: 100_000 }, { setTimer: timer.setTimer, wrapClient: spy.wrapClient });
      await store.init();
      const tickUnit = unitOf('600001.SH');
      const barUnit = unitOf('600002.SH', { dataType: 'bars_1m' });
      const bar = {
        symbol: barUnit.symbol,
        interval: '1m' as const,
        ts: T0 + 60_000,
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        volume: 1,
        amount: 1,
        source: 'simulated',
        tradeDate: '2025-06-05',
      };
      const results = Promise.allSettled([
        store.write({ units: [{ unit: tickUnit, rows: { ticks: ticks(tickUnit, 10) } }] }),
        store.write({ units: [{ unit: barUnit, rows: { bars: [bar] } }] }),
        store.write({
          units: [{ unit: unitOf('600003.SH'), rows: { ticks: ticks(unitOf('600003.SH'), 5) } }],
        }),
      ]);
      await new Promise((r) => setImmediate(r));
      expect(timer.armed()).toBe(1);
      timer.fire();
      const [a, b, c] = await results;
      expect(a?.status).toBe('fulfilled');
      expect(c?.status).toBe('fulfilled');
      expect(b?.status).toBe('rejected');
      const error = (b as PromiseRejectedResult).reason as {
        code: string;
        retryable: boolean;
        message: string;
      };
      expect(error.code).toBe('STORAGE_FAILED');
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/code 241.*Memory limit exceeded/);
      expect((await store.query({ sql: 'SELECT count() FROM ticks FINAL' })).rows).toEqual([[15]]);
    });

    it('rides out broken connections inside the store and tells availability listeners', async () => {
      const sleeps: number[] = [];
      const spy = insertSpy((table, attempt) =>
        table === 'ticks' && attempt <= 2 * nodes
          ? Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
          : undefined,
      );
      const store = make(
        { batch_ms: 0 },
        { wrapClient: spy.wrapClient, sleep: async (ms) => void sleeps.push(ms), random: () => 1 },
      );
      const changes: string[] = [];
      store.availability?.onChange((c) => changes.push(c.state));
      const u = unitOf('600010.SH');
      await store.write({ units: [{ unit: u, rows: { ticks: ticks(u, 3) } }] });
      // A failed round over the nodes is retried at once (a stale keep-alive socket); the second is an outage.
      expect(spy.dataInserts()).toHaveLength(2 * nodes + 1);
      expect(sleeps.filter((ms) => ms >= 200)).toEqual([400]); // backoff step 2 of 200 ms, random() = 1
      if (store.availability !== undefined) expect(changes).toEqual(['waiting', 'recovered']);
      expect((await store.query({ sql: 'SELECT count() FROM ticks FINAL' })).rows).toEqual([[3]]);
    });

    it('fails with a retryable STORAGE_FAILED naming the budget once an outage outlasts it', async () => {
      const spy = insertSpy(() => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      const store = make(
        { batch_ms: 0, outage_budget_ms: 0 },
        { wrapClient: spy.wrapClient, sleep: async () => {} },
      );
      const changes: string[] = [];
      store.availability?.onChange((c) => changes.push(c.state));
      const u = unitOf('600011.SH');
      await expect(store.write({ units: [{ unit: u, rows: { ticks: ticks(u, 3) } }] })).rejects.toMatchObject(
        {
          code: 'STORAGE_FAILED',
          retryable: true,
          // A budget of 0 waits for nothing: the message names where it looked and the last error.
          message: expect.stringMatching(
            /no answer from .*\(last error: .*EPIPE.*storage\.clickhouse\.url/,
          ),
        },
      );
      expect(spy.dataInserts()).toHaveLength(2 * nodes);
      if (store.availability !== undefined) {
        expect(changes).toEqual(['waiting', 'gave-up']);
        // The store still answers: intake probes once and goes on.
        await store.availability.whenAvailable();
        expect(changes).toEqual(['waiting', 'gave-up', 'recovered']);
      }
    });

    it('keeps each row once under FINAL after re-writing units, with the last values', async () => {
      const store = make({ batch_ms: 0 }, {});
      const u = unitOf('600020.SH');
      await store.write({ units: [{ unit: u, rows: { ticks: ticks(u, 200, 10) } }] });
      await store.write({ units: [{ unit: u, rows: { ticks: ticks(u, 200, 10) } }] });
      // Two rewrites in the same batch: the later one wins.
      await Promise.all([
        store.write({ units: [{ unit: u, rows: { ticks: ticks(u, 200, 20) } }] }),
        store.write({ units: [{ unit: u, rows: { ticks: ticks(u, 200, 30) } }] }),
      ]);
      const r = await store.query({ sql: 'SELECT count(), min(price), uniqExact(ts, seq) FROM ticks FINAL' });
      expect(r.rows).toEqual([[200, 30, 200]]);
    });

    it('returns ms-precise ISO timestamps and keeps ticks of the same second apart', async () => {
      const store = make({ batch_ms: 0 }, {});
      const u = unitOf('600030.SH');
      const rows = ticks(u, 2).map((t, i) => ({ ...t, ts: T0 + 5 + i })); // same second, 1 ms apart
      await store.write({ units: [{ unit: u, rows: { ticks: rows } }] });
      const r = await store.query({ sql: 'SELECT * FROM ticks FINAL ORDER BY seq' });
      expect(r.columns).toEqual([
        'symbol',
        'ts',
        'seq',
        'price',
        'volume',
        'amount',
        'side',
        'source',
        'trade_date',
        // A cluster's data tables carry the insert version (docs/STORAGE.md, "Cluster").
        ...((await store.serverInfo()).layout.kind === 'cluster' ? ['version'] : []),
      ]);
      expect(r.rows.map((row) => row[1])).toEqual(['2025-06-05T01:30:00.005Z', '2025-06-05T01:30:00.006Z']);
      expect(r.rows[0]?.[8]).toBe('2025-06-05');
    });

    it('lets the latest ledger write win even with an older updatedAt', async () => {
      let now = 1_000;
      const store = make({}, { now: () => now });
      const u = unitOf('600040.SH');
      const entry = (status: LedgerEntry['status'], updatedAt: number): LedgerEntry => ({
        ...u,
        status,
        rows: status === 'ok' ? 5 : 0,
        attempts: 1,
        errorCode: status === 'ok' ? null : 'PROVIDER_UNAVAILABLE',
        errorMessage: status === 'ok' ? null : "can't reach",
        runId: 'run-1',
        updatedAt,
      });
      await store.writeLedger({ entries: [entry('failed', T0 + 999)] });
      now = 1_000; // same clock reading: order still decides
      await store.writeLedger({ entries: [entry('ok', T0 + 123)] });
      const ledger = await store.readLedger({ filter: { symbols: [u.symbol] } });
      expect(ledger).toEqual([entry('ok', T0 + 123)]);
      const failed = await store.readLedger({ filter: { statuses: ['failed'] } });
      expect(failed.filter((e) => e.symbol === u.symbol)).toEqual([]);
    });

    it('refuses writing SQL and maps unknown tables to USAGE', async () => {
      const store = make({}, {});
      await expect(store.query({ sql: 'DROP TABLE ticks' })).rejects.toMatchObject({ code: 'USAGE' });
      await expect(store.query({ sql: 'SELECT * FROM no_such_table' })).rejects.toMatchObject({
        code: 'USAGE',
        retryable: false,
      });
    });

    it('init() is idempotent and reports the schema flavor', async () => {
      const store = make({}, {});
      await store.init();
      await store.init();
      const info = await store.serverInfo();
      expect(info.flavor).toBe(info.version.startsWith('18.') ? 'legacy' : 'modern');
      const tables = await store.query({ sql: 'SHOW TABLES' });
      const names = ['adj_factors', 'bars', 'factors', 'ingest_ledger', 'order_book', 'ticks'];
      expect(tables.rows.map((r) => r[0]).sort()).toEqual(
        info.layout.kind === 'cluster' ? names.flatMap((n) => [n, `${n}_local`]) : names,
      );
    });
  });
}
