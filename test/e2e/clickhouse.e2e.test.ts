/**
 * End-to-end on a real ClickHouse server: `--storage clickhouse` stores the same rows and values
 * as DuckDB, and re-runs, `--no-resume` and kill -9 leave no duplicate under FINAL.
 */
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseTestUrl, randomDatabaseName } from '../support/clickhouse-env.js';
import { RUN_ARGS, tables } from '../support/clickhouse-e2e.js';
import { createWorkspace, simulatedConfig, type Workspace } from '../support/cli.js';

const url = clickHouseTestUrl();
const ARGS = RUN_ARGS;
const workspaces: Workspace[] = [];
const databases: string[] = [];

function clickhouseWorkspace(simulated: Record<string, unknown> = {}): Workspace {
  const ws = createWorkspace(simulated);
  workspaces.push(ws);
  const database = randomDatabaseName('tp_e2e');
  databases.push(database);
  const config = simulatedConfig(ws.dbPath, { universe_size: 4, ...simulated });
  ws.writeConfig({
    ...config,
    storage: { backend: 'clickhouse', clickhouse: { url, database, batch_ms: 200 } },
  });
  return ws;
}

describe.skipIf(url === undefined)('tickpipe run --storage clickhouse', () => {
  let duck: Record<string, unknown[]>;
  beforeAll(async () => {
    const ws = createWorkspace({ universe_size: 4 });
    workspaces.push(ws);
    const r = await ws.run([...ARGS, '--providers-config', ws.configPath]);
    expect(r.code).toBe(0);
    duck = await tables(ws, false);
  });
  afterAll(async () => {
    workspaces.forEach((w) => w.cleanup());
    const admin = createClient({ url });
    for (const db of databases) await admin.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await admin.close();
  });

  it('stores the same rows and values as DuckDB; re-runs and --no-resume add no duplicate', async () => {
    const ws = clickhouseWorkspace();
    const cfg = ['--providers-config', ws.configPath];
    const first = await ws.run([...ARGS, ...cfg]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Data ingestion completed. Successful: 4/4');
    expect(await tables(ws, true)).toEqual(duck);

    const again = await ws.run([...ARGS, ...cfg]);
    expect(again.stdout).toContain('Nothing new to ingest');
    const rewrite = await ws.run([...ARGS, '--no-resume', ...cfg]);
    expect(rewrite.code).toBe(0);
    expect(await tables(ws, true)).toEqual(duck);

    const status = await ws.run(['status', ...cfg, '--format', 'csv']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('simulated,ticks,ok,8,');
  });

  it('kill -9 mid-run, then a re-run, leaves no duplicate under FINAL and equals DuckDB', async () => {
    const ws = clickhouseWorkspace({ latency_ms: 60 });
    const cfg = ['--providers-config', ws.configPath];
    const child = ws.spawn([...ARGS, ...cfg]);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', () => {
        if (
          child
            .output()
            .stdout.split('\n')
            .filter((l) => l.startsWith('ok')).length >= 12
        )
          resolve();
      });
      child.on('close', () => reject(new Error(`finished before the kill: ${child.output().stdout}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const again = await ws.run([...ARGS, ...cfg]);
    expect(again.code).toBe(0);
    expect(await tables(ws, true)).toEqual(duck);
  });
});
