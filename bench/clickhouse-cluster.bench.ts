/**
 * ClickHouse cluster write throughput next to a single server in the same run: simulated ticks
 * written through `ClickHouseStore.write()` (one unit per call, 8 in flight, as pipeline workers
 * do) into a single 18.16 server (`TICKPIPE_TEST_CLICKHOUSE_URL`) and into the 2x2 cluster
 * (`TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS`, `TICKPIPE_TEST_CLICKHOUSE_CLUSTER`: replicated
 * local tables behind Distributed tables, synchronous distributed inserts). Each store gets a
 * fresh database, dropped afterwards. Start the servers with `scripts/services/start.sh DIR`.
 * Run: `npx tsx bench/clickhouse-cluster.bench.ts [ticks=200000]`.
 */
import { createClient } from '@clickhouse/client';
import { randomBytes } from 'node:crypto';
import { configSchema } from '../src/config/schema.js';
import { tradingDaysBetween } from '../src/domain/calendar.js';
import type { Ticker } from '../src/domain/ticker.js';
import { silentLogger } from '../src/limits/logger.js';
import { unlimitedGate } from '../src/limits/request-gate.js';
import { createSimulatedProvider } from '../src/providers/simulated/simulated-provider.js';
import { ClickHouseStore, type ClickHouseStoreConfig } from '../src/storage/clickhouse/clickhouse-store.js';
import type { UnitWrite } from '../src/storage/store.js';
import { int, printTable, ratio, seconds, timed } from './bench-report.js';

const TARGET_TICKS = Number(process.argv[2] ?? 200_000);
const WRITERS = 8;
const signal = new AbortController().signal;

async function tickUnits(): Promise<{ units: UnitWrite[]; rows: number }> {
  const config = configSchema.parse({ providers: { simulated: { universe_size: 400 } } }).providers.simulated;
  const provider = createSimulatedProvider(config, {
    fetch: globalThis.fetch,
    gate: unlimitedGate,
    now: Date.now,
    logger: silentLogger,
  });
  const symbols = await provider.universe({ includeDelisted: false, signal });
  const units: UnitWrite[] = [];
  let rows = 0;
  for (const tradeDate of tradingDaysBetween({ start: '2025-06-02', end: '2025-06-13' })) {
    for (const symbol of symbols) {
      if (rows >= TARGET_TICKS) return { units, rows };
      const ticks = (
        await provider.fetch({ dataType: 'ticks', symbol, tradeDates: [tradeDate], signal })
      ).byDate.get(tradeDate)?.ticks;
      if (!ticks?.length) continue;
      units.push({
        unit: { provider: 'simulated', dataType: 'ticks', symbol: symbol as Ticker, tradeDate },
        rows: { ticks },
      });
      rows += ticks.length;
    }
  }
  return { units, rows };
}

async function writeAll(store: ClickHouseStore, units: readonly UnitWrite[]): Promise<void> {
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < units.length; i = next++)
      await store.write({ units: [units[i] as UnitWrite], signal });
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}

async function measure(
  config: Partial<ClickHouseStoreConfig> & { url: string | string[] },
  units: readonly UnitWrite[],
): Promise<{ initMs: number; writeMs: number }> {
  const database = `tp_bench_${randomBytes(5).toString('hex')}`;
  const store = new ClickHouseStore({
    database,
    username: 'default',
    password: '',
    max_open_connections: 4,
    request_timeout_ms: 60_000,
    batch_rows: 50_000,
    batch_ms: 1_000,
    outage_budget_ms: 300_000,
    ...config,
  });
  try {
    const init = await timed(() => store.init({ signal }));
    const write = await timed(() => writeAll(store, units));
    return { initMs: init.ms, writeMs: write.ms };
  } finally {
    await store.close();
    const urls = typeof config.url === 'string' ? [config.url] : config.url;
    const admin = createClient({ url: urls[0], log: { level: 127 as never } });
    const on = config.cluster === undefined ? '' : ` ON CLUSTER ${config.cluster}`;
    await admin.command({ query: `DROP DATABASE IF EXISTS ${database}${on}` }).catch(() => undefined);
    await admin.close();
  }
}

async function main(): Promise<void> {
  const single = process.env.TICKPIPE_TEST_CLICKHOUSE_URL;
  const clusterUrls = process.env.TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS;
  const cluster = process.env.TICKPIPE_TEST_CLICKHOUSE_CLUSTER;
  if (!single || !clusterUrls || !cluster) {
    console.log(
      'skipped: needs TICKPIPE_TEST_CLICKHOUSE_URL and the cluster variables (scripts/services/start.sh DIR)',
    );
    return;
  }
  const { units, rows } = await tickUnits();
  console.log(`${int(rows)} ticks in ${units.length} units, ${WRITERS} writes in flight`);
  const base = await measure({ url: single }, units);
  const onCluster = await measure({ url: clusterUrls.split(','), cluster }, units);
  printTable(
    'ClickHouseStore.write() throughput, ticks',
    ['store', 'init (schema)', 'write', 'rows/s', 'vs single server'],
    [
      [
        'single server 18.16',
        seconds(base.initMs),
        seconds(base.writeMs),
        int(rows / (base.writeMs / 1000)),
        ratio(1),
      ],
      [
        'cluster 2 shards x 2 replicas',
        seconds(onCluster.initMs),
        seconds(onCluster.writeMs),
        int(rows / (onCluster.writeMs / 1000)),
        ratio(base.writeMs / onCluster.writeMs),
      ],
    ],
  );
}

await main();
