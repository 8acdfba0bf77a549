/**
 * Helpers for end-to-end tests: a temp workspace with its own config and DuckDB file, and a
 * runner that spawns the BUILT CLI (`dist/cli/main.js`) like a user would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

/** Absolute path of the built CLI entry. */
export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');

/** Result of one CLI invocation. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A temp directory with a config file; removed by `cleanup()`. */
export interface Workspace {
  dir: string;
  configPath: string;
  dbPath: string;
  /** Rewrites the config (deep values replace the defaults of {@link simulatedConfig}). */
  writeConfig(config: Record<string, unknown>): void;
  run(args: readonly string[], options?: { env?: Record<string, string> }): Promise<CliResult>;
  spawn(
    args: readonly string[],
    options?: { env?: Record<string, string> },
  ): ChildProcess & { output(): CliResult };
  cleanup(): void;
}

/** A small simulated-market config writing to `dbPath`. */
export function simulatedConfig(
  dbPath: string,
  simulated: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    providers: { simulated: { enabled: true, seed: 7, universe_size: 6, ...simulated } },
    routing: { tick_data: ['simulated'], order_book: ['simulated'], factors: ['simulated'] },
    ingestion: { retry: { max_attempts: 3, base_delay_ms: 1, max_delay_ms: 5 } },
    storage: { backend: 'duckdb', duckdb: { path: dbPath } },
  };
}

/** Creates a workspace with a simulated config. */
export function createWorkspace(simulated: Record<string, unknown> = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'tickpipe-e2e-'));
  const configPath = join(dir, 'config.yaml');
  const dbPath = join(dir, 'data', 'market.duckdb');
  const ws: Workspace = {
    dir,
    configPath,
    dbPath,
    writeConfig(config) {
      writeFileSync(configPath, stringify(config));
    },
    run(args, options) {
      const child = ws.spawn(args, options);
      return new Promise((resolvePromise) => child.on('close', () => resolvePromise(child.output())));
    },
    spawn(args, options) {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: dir,
        env: { ...process.env, TICKPIPE_STORAGE: '', TUSHARE_TOKEN: '', ...options?.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      return Object.assign(child, {
        output: (): CliResult => ({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
      });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  ws.writeConfig(simulatedConfig(dbPath, simulated));
  return ws;
}

/** Runs `tickpipe query <sql> --format json` in the workspace and parses the rows. */
export async function queryJson(ws: Workspace, sql: string): Promise<Array<Record<string, unknown>>> {
  const r = await ws.run(['query', sql, '--format', 'json', '--providers-config', ws.configPath]);
  if (r.code !== 0) throw new Error(`query failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

/** Order-independent fingerprints of every data table (row count + md5 of the sorted rows). */
export const FINGERPRINT_SQL = `
SELECT 'ticks' AS t, count(*) AS n, md5(coalesce(string_agg(concat_ws('|', symbol, epoch_ms(ts), seq, price, volume, amount, side, source, trade_date), ',' ORDER BY symbol, ts, seq), '')) AS h FROM ticks
UNION ALL SELECT 'bars', count(*), md5(coalesce(string_agg(concat_ws('|', symbol, interval, epoch_ms(ts), open, high, low, close, volume, amount, source, trade_date), ',' ORDER BY symbol, interval, ts), '')) FROM bars
UNION ALL SELECT 'order_book', count(*), md5(coalesce(string_agg(concat_ws('|', symbol, epoch_ms(ts), bid_prices::VARCHAR, bid_volumes::VARCHAR, ask_prices::VARCHAR, ask_volumes::VARCHAR, source, trade_date), ',' ORDER BY symbol, ts), '')) FROM order_book
UNION ALL SELECT 'factors', count(*), md5(coalesce(string_agg(concat_ws('|', symbol, epoch_ms(ts), factor, value, source, trade_date), ',' ORDER BY symbol, factor, ts), '')) FROM factors
ORDER BY t`;
