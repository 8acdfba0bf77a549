/**
 * Shared pieces of the ClickHouse end-to-end tests: the tables as SQL both DuckDB and
 * ClickHouse answer, workspaces pointed at a ClickHouse server or cluster, replica syncs, and
 * throwaway servers a test may stop (scripts/services/start-clickhouse.sh, start-cluster.sh).
 */
import { createClient } from '@clickhouse/client';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { queryJson, type Workspace } from './cli.js';

const run = promisify(execFile);
const SCRIPTS = resolve(import.meta.dirname, '../../scripts/services');

/** `tickpipe run` arguments of the simulated runs compared across stores. */
export const RUN_ARGS = [
  'run',
  '--symbols',
  'ALL',
  '--start-date',
  '2025-06-05',
  '--end-date',
  '2025-06-07',
  '--workers',
  '3',
  '--log-format',
  'plain',
];

/** Every data table, ordered by identity; `{F}` is where ClickHouse puts FINAL. */
export const TABLE_SQL: Record<string, string> = {
  ticks:
    'SELECT symbol, ts, seq, price, volume, amount, side, source, trade_date FROM ticks{F} ORDER BY symbol, ts, seq',
  bars: 'SELECT symbol, interval, ts, open, high, low, close, volume, amount, source, trade_date FROM bars{F} ORDER BY symbol, interval, ts',
  order_book:
    'SELECT symbol, ts, bid_prices, bid_volumes, ask_prices, ask_volumes, source, trade_date FROM order_book{F} ORDER BY symbol, ts',
  factors: 'SELECT symbol, ts, factor, value, source, trade_date FROM factors{F} ORDER BY symbol, factor, ts',
  adj_factors:
    'SELECT symbol, trade_date, adj_factor, source FROM adj_factors{F} ORDER BY symbol, trade_date',
};

/** Every data table of the workspace's store (through `tickpipe query`). */
export async function tables(ws: Workspace, final: boolean): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [t, sql] of Object.entries(TABLE_SQL))
    out[t] = await queryJson(ws, sql.replace('{F}', final ? ' FINAL' : ''));
  return out;
}

/** Makes every listed replica catch up with its shard (a read from another process may otherwise lag). */
export async function syncReplicas(urls: readonly string[], database: string): Promise<void> {
  for (const url of urls) {
    const client = createClient({ url, log: { level: 127 as never } });
    try {
      for (const t of ['ticks', 'bars', 'order_book', 'factors', 'adj_factors', 'ingest_ledger']) {
        await client.command({ query: `SYSTEM SYNC REPLICA \`${database}\`.${t}_local` });
      }
    } finally {
      await client.close();
    }
  }
}

/** Rows of a physical table on one node (e.g. a local table, to count duplicates). */
export async function nodeRows(url: string, sql: string): Promise<unknown[][]> {
  const client = createClient({ url, log: { level: 127 as never } });
  try {
    const r = await client.query({ query: sql, format: 'JSONCompact' });
    return ((await r.json()) as { data: unknown[][] }).data;
  } finally {
    await client.close();
  }
}

function readEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/^export (\w+)=(.*)$/gm))
    env[m[1] as string] = m[2] as string;
  return env;
}

/** A ClickHouse server of a test's own, which the test may stop and start again (same URL, same data). */
export interface OwnServer {
  url: string;
  /** SIGTERM, then SIGKILL after `killAfterMs`; resolves once the process is gone. */
  stop(killAfterMs?: number): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

/** Starts a single ClickHouse server in a temp dir. */
export async function startOwnServer(): Promise<OwnServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tickpipe-ch-'));
  const start = async () => void (await run('bash', [join(SCRIPTS, 'start-clickhouse.sh'), dir]));
  await start();
  const url = readEnv(join(dir, 'env.sh')).TICKPIPE_TEST_CLICKHOUSE_URL as string;
  const pidFile = join(dir, 'server.pid');
  return {
    url,
    stop: (killAfterMs = 10_000) => stopPid(pidFile, killAfterMs),
    start,
    async remove() {
      await stopPid(pidFile, 0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A 2x2 cluster of a test's own (scripts/services/start-cluster.sh). */
export interface OwnCluster {
  urls: string[];
  cluster: string;
  /** SIGKILLs node `n` (1-4). */
  kill(n: number): Promise<void>;
  /** Starts every node that is not running (same ports and data). */
  start(): Promise<void>;
  remove(): Promise<void>;
}

/** Starts a cluster in a temp dir. */
export async function startOwnCluster(): Promise<OwnCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tickpipe-cluster-'));
  const start = async () => void (await run('bash', [join(SCRIPTS, 'start-cluster.sh'), dir]));
  await start();
  const env = readEnv(join(dir, 'env.sh'));
  return {
    urls: (env.TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS as string).split(','),
    cluster: env.TICKPIPE_TEST_CLICKHOUSE_CLUSTER as string,
    kill: (n) => stopPid(join(dir, `node${n}`, 'server.pid'), 0),
    start,
    async remove() {
      await run('bash', [join(SCRIPTS, 'stop-cluster.sh'), dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopPid(pidFile: string, killAfterMs: number): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, killAfterMs > 0 ? 'SIGTERM' : 'SIGKILL');
  const started = Date.now();
  while (alive()) {
    if (killAfterMs > 0 && Date.now() - started > killAfterMs) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
}
