/**
 * Helpers for distributed-mode end-to-end tests: workspaces whose config points at the shared
 * ClickHouse test server (random database) and a Redis (random queue), CLI children, and table
 * fingerprints that compare two ClickHouse databases.
 */
import { clickHouseTestUrl, randomDatabaseName } from './clickhouse-env.js';
import { createWorkspace, type CliResult, type Workspace } from './cli.js';
import { randomName } from './redis-env.js';

/** The shared ClickHouse test server URL; throws when unset (these tests need it). */
export function requireClickHouseUrl(): string {
  const url = clickHouseTestUrl();
  if (url === undefined)
    throw new Error('TICKPIPE_TEST_CLICKHOUSE_URL is not set: distributed tests need it');
  return url;
}

/** A workspace writing to a fresh ClickHouse database, with a fresh queue on `redisUrl`. */
export function distributedWorkspace(params: {
  clickhouseUrl: string;
  redisUrl: string;
  providers?: Record<string, unknown>;
  routing?: Record<string, unknown>;
  backend?: 'clickhouse' | 'duckdb';
}): Workspace & { database: string; queue: string } {
  const ws = createWorkspace();
  const database = randomDatabaseName('tp_dist');
  const queue = randomName('tpq');
  ws.writeConfig({
    providers: params.providers ?? {
      simulated: { enabled: true, seed: 7, universe_size: 6, latency_ms: 0 },
    },
    routing: params.routing ?? {
      tick_data: ['simulated'],
      order_book: ['simulated'],
      factors: ['simulated'],
    },
    ingestion: { retry: { max_attempts: 3, base_delay_ms: 1, max_delay_ms: 5 } },
    storage: {
      backend: params.backend ?? 'clickhouse',
      duckdb: { path: ws.dbPath },
      clickhouse: { url: params.clickhouseUrl, database, batch_ms: 5 },
    },
    distributed: { redis_url: params.redisUrl, queue },
  });
  return Object.assign(ws, { database, queue });
}

/** Per-table row count and an order-independent hash of all rows, as read with FINAL. */
export const CLICKHOUSE_FINGERPRINT_SQL = ['ticks', 'bars', 'order_book', 'factors', 'adj_factors']
  .map((t) => `SELECT '${t}' AS t, count() AS n, toString(sum(cityHash64(*))) AS h FROM ${t} FINAL`)
  .join(' UNION ALL ');

/** Resolves once `child`'s stdout has `n` lines starting with "ok". */
export function afterOkLines(child: ReturnType<Workspace['spawn']>, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const oks = child
        .output()
        .stdout.split('\n')
        .filter((l) => l.startsWith('ok')).length;
      if (oks >= n) {
        child.stdout?.off('data', check);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.on('close', () =>
      reject(new Error(`exited before ${n} units: ${child.output().stdout}${child.output().stderr}`)),
    );
  });
}

/** Resolves with the child's output once it exits. */
export function exited(child: ReturnType<Workspace['spawn']>): Promise<CliResult> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.output());
  return new Promise((resolve) => child.on('close', () => resolve(child.output())));
}

/** Resolves once the child's stdout contains `text`. */
export function outputContains(child: ReturnType<Workspace['spawn']>, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (child.output().stdout.includes(text)) {
        child.stdout?.off('data', check);
        resolve();
      }
    };
    check();
    child.stdout?.on('data', check);
    child.on('close', () => reject(new Error(`exited before printing "${text}": ${child.output().stderr}`)));
  });
}
