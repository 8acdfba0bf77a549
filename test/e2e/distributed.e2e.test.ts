/**
 * End-to-end distributed mode (README, "Running on several machines") with the built CLI: `enqueue` on one "machine", several
 * `worker` processes, `watch` for the summary; a real redis-server and the shared ClickHouse
 * test server (random database per workspace, random queue per test).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryJson, type Workspace } from '../support/cli.js';
import {
  afterOkLines,
  CLICKHOUSE_FINGERPRINT_SQL,
  distributedWorkspace,
  exited,
  requireClickHouseUrl,
} from '../support/distributed-env.js';
import { freePort, redisTestUrl, startPrivateRedis } from '../support/redis-env.js';

const clickhouseUrl = requireClickHouseUrl();
const redisUrl = redisTestUrl();
const RUN_ARGS = ['--symbols', 'ALL', '--start-date', '2025-06-05', '--end-date', '2025-06-06'];
const workspaces: Workspace[] = [];
let reference: Array<Record<string, unknown>>;

function workspace(
  params: Partial<Parameters<typeof distributedWorkspace>[0]> = {},
): ReturnType<typeof distributedWorkspace> {
  const ws = distributedWorkspace({ clickhouseUrl, redisUrl, ...params });
  workspaces.push(ws);
  return ws;
}

const simulated = (latencyMs: number) => ({
  simulated: { enabled: true, seed: 7, universe_size: 6, latency_ms: latencyMs },
});

async function fingerprint(ws: Workspace): Promise<Array<Record<string, unknown>>> {
  const rows = await queryJson(ws, CLICKHOUSE_FINGERPRINT_SQL);
  return rows.sort((a, b) => String(a.t).localeCompare(String(b.t)));
}

async function okLedger(ws: Workspace): Promise<Array<Record<string, unknown>>> {
  return queryJson(
    ws,
    "SELECT count() AS n, uniqExact(provider, data_type, symbol, trade_date) AS k FROM ingest_ledger FINAL WHERE status = 'ok'",
  );
}

function enqueue(ws: ReturnType<typeof workspace>, extra: string[] = []) {
  return ws.run(['enqueue', ...RUN_ARGS, '--providers-config', ws.configPath, ...extra]);
}

function runIdOf(stdout: string): string {
  const m = /Run (\S+) enqueued: (\d+) jobs/.exec(stdout);
  if (!m?.[1]) throw new Error(`no "Run … enqueued" line in: ${stdout}`);
  return m[1];
}

beforeAll(async () => {
  // The reference: one `run` process into its own database.
  const ws = workspace();
  const r = await ws.run([
    'run',
    ...RUN_ARGS,
    '--workers',
    '3',
    '--log-format',
    'plain',
    '--providers-config',
    ws.configPath,
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  reference = await fingerprint(ws);
  expect(reference.filter((t) => t.t !== 'adj_factors').every((t) => Number(t.n) > 0)).toBe(true);
});
afterAll(() => workspaces.forEach((w) => w.cleanup()));

describe('distributed mode', () => {
  it('kill -9 of one of three workers mid-run: its jobs run elsewhere, every unit lands once, tables equal one process', async () => {
    const ws = workspace({ providers: simulated(60) });
    const e = await enqueue(ws, ['--log-format', 'plain']);
    expect(e.code).toBe(0);
    const runId = runIdOf(e.stdout);
    // A short job lock (test knob) so the dead worker's jobs are recovered in seconds, not 45 s.
    const env = { TICKPIPE_JOB_LOCK_MS: '3000' };
    const args = [
      'worker',
      '--concurrency',
      '2',
      '--exit-when-idle',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ];
    const victim = ws.spawn(args, { env });
    const others = [ws.spawn(args, { env }), ws.spawn(args, { env })];
    await afterOkLines(victim, 3);
    victim.kill('SIGKILL');
    expect((await exited(victim)).signal).toBe('SIGKILL');

    const watch = await ws.run([
      'watch',
      runId,
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ]);
    expect(watch.stdout).toContain('Data ingestion completed. Successful: 6/6');
    expect(watch.code).toBe(0);
    // watch writes the run's report from the ledger the workers wrote; the completion line stays last.
    expect(watch.stdout).toContain(`Report: ${join('reports', `${runId}.html`)}`);
    const report = JSON.parse(readFileSync(join(ws.dir, 'reports', `${runId}.json`), 'utf8')) as object;
    expect(JSON.stringify(report)).toContain('600000.SH');
    expect(watch.stdout.trim().split('\n').at(-1)).toBe('Data ingestion completed. Successful: 6/6');
    for (const w of others) {
      const out = await exited(w);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('Queue idle');
    }
    expect(await fingerprint(ws)).toEqual(reference);
    expect(await okLedger(ws)).toEqual([{ n: 60, k: 60 }]);
    const status = await ws.run(['status', '--run', runId, '--providers-config', ws.configPath]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Ledger: 60 unit(s) of run ${runId}`);
    expect(status.stdout).toMatch(
      /Distributed run on queue "\w+" \(redis:\/\/[^)]+\): (\d+)\/\1 job\(s\) finished, 60 unit\(s\) enqueued/,
    );
    // Every ledger entry of the run carries a Redis-issued version (not the store's own clock).
    const versions = await queryJson(
      ws,
      `SELECT count() AS n FROM ingest_ledger FINAL WHERE run_id = '${runId}'`,
    );
    expect(Number(versions[0]?.n)).toBe(60);
  });

  it('Redis restarted mid-run loses nothing; SIGTERM hands jobs back; enqueueing the same plan twice adds no job', async () => {
    const redis = await startPrivateRedis();
    try {
      const ws = workspace({ redisUrl: redis.url, providers: simulated(40) });
      const first = await enqueue(ws, ['--log-format', 'plain']);
      expect(first.code).toBe(0);
      const runId = runIdOf(first.stdout);
      const jobs = Number(/enqueued: (\d+) jobs/.exec(first.stdout)?.[1]);
      expect(jobs).toBeGreaterThan(0);
      const again = await enqueue(ws, ['--log-format', 'json']);
      expect(again.code).toBe(0);
      const event = JSON.parse(again.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
      expect(event).toMatchObject({ type: 'run:enqueued', runId, jobs: 0, alreadyQueued: jobs });

      const args = [
        'worker',
        '--concurrency',
        '2',
        '--exit-when-idle',
        '--log-format',
        'plain',
        '--providers-config',
        ws.configPath,
      ];
      const workers = [ws.spawn(args), ws.spawn(args)];
      await afterOkLines(workers[0]!, 2);
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1_500));
      await redis.start();

      // SIGTERM to one worker mid-run: it hands its jobs in flight back and exits 0; the other
      // worker runs them.
      const [keeper, leaver] = workers as [(typeof workers)[0], (typeof workers)[0]];
      const before = leaver
        .output()
        .stdout.split('\n')
        .filter((l) => l.startsWith('ok')).length;
      await afterOkLines(leaver, before + 1);
      leaver.kill('SIGTERM');
      const left = await exited(leaver);
      expect(left.code).toBe(0);
      expect(left.stdout).toContain('Stopping: handing the jobs in flight back to the queue');

      const watch = await ws.run([
        'watch',
        runId,
        '--log-format',
        'plain',
        '--providers-config',
        ws.configPath,
      ]);
      expect(watch.stdout).toContain('Data ingestion completed. Successful: 6/6');
      expect(watch.code).toBe(0);
      expect((await exited(keeper)).code).toBe(0);
      expect(await fingerprint(ws)).toEqual(reference);
      expect(await okLedger(ws)).toEqual([{ n: 60, k: 60 }]);
    } finally {
      await redis.destroy();
    }
  });

  it('Redis unreachable or DuckDB as the store: exit 2 with a clear message, password never shown', async () => {
    const port = await freePort();
    const down = workspace({ redisUrl: `redis://:s3cretpw@127.0.0.1:${port}` });
    for (const cmd of [
      ['enqueue', ...RUN_ARGS],
      ['worker', '--exit-when-idle'],
      ['watch', 'some-run'],
    ]) {
      const r = await down.run([...cmd, '--providers-config', down.configPath]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Redis at redis://:***@127.0.0.1:${port} is unreachable`);
      expect(r.stderr).toContain('TICKPIPE_REDIS_URL');
      expect(r.stdout + r.stderr).not.toContain('s3cretpw');
    }
    const duck = workspace({ backend: 'duckdb' });
    for (const cmd of [['enqueue', ...RUN_ARGS], ['worker']]) {
      const r = await duck.run([...cmd, '--providers-config', duck.configPath]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/needs a ClickHouse server.*DuckDB/);
    }
    const unknown = workspace();
    const w = await unknown.run(['watch', 'no-such-run', '--providers-config', unknown.configPath]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain('run "no-such-run" is not in queue');
  });
});
