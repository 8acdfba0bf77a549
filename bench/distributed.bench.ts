/**
 * Distributed mode: 1, 2 and 4 `tickpipe worker` processes (the built CLI, `npm run build`
 * first) on one queue, against Redis and a ClickHouse server (TICKPIPE_TEST_REDIS_URL,
 * TICKPIPE_TEST_CLICKHOUSE_URL: `scripts/services/start.sh DIR && . DIR/env.sh`).
 *
 * 1. Latency-bound: the simulated provider with a fixed per-request latency and no rate limit;
 *    throughput (units/s from the enqueue to the last job's end) and its ratio to one process.
 * 2. Quota-bound: the Tushare emulator (own process) with a per-window limit on `stk_mins`;
 *    aggregate calls per window against the limit, the most in any sliding window, and the
 *    share of the quota used (n calls need ⌊(n−1)/limit⌋ windows at the least). The window is
 *    shortened to 10 s on both sides (worker knob TICKPIPE_RATE_WINDOW_MS) to keep it short.
 *
 * Workers are started (and idle) before the run is enqueued, so process start-up is not timed.
 * Run: `npx tsx bench/distributed.bench.ts`.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { createRunRegistry } from '../src/distributed/run-registry.js';
import type { TushareRequestRecord } from '../test/emulators/tushare/tushare-emulator.js';
import { int, percent, printTable, ratio, seconds } from './bench-report.js';

const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');
const redisUrl = process.env.TICKPIPE_TEST_REDIS_URL;
const clickhouseUrl = process.env.TICKPIPE_TEST_CLICKHOUSE_URL;
const PROCESSES = [1, 2, 4] as const;

interface Setup {
  dir: string;
  config: string;
  queue: string;
}

function setup(providers: Record<string, unknown>, routing: Record<string, unknown>): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'tp-dist-bench-'));
  const queue = `bench${randomBytes(4).toString('hex')}`;
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      providers,
      routing,
      ingestion: { retry: { max_attempts: 3, base_delay_ms: 10, max_delay_ms: 100 } },
      storage: {
        backend: 'clickhouse',
        clickhouse: { url: clickhouseUrl, database: `tp_bench_${queue}`, batch_ms: 5 },
      },
      distributed: { redis_url: redisUrl, queue },
    }),
  );
  return { dir, config, queue };
}

function cli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function output(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return { text: () => text };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `n` workers, enqueues, waits until every job of the run finished; ms from enqueue end. */
async function timedRun(
  s: Setup,
  n: number,
  enqueueArgs: readonly string[],
  env: Record<string, string>,
): Promise<{ ms: number; units: number }> {
  const workers = Array.from({ length: n }, () =>
    cli(['worker', '--concurrency', '4', '--log-format', 'plain', '--providers-config', s.config], env),
  );
  const outs = workers.map(output);
  try {
    await Promise.all(outs.map((o) => waitFor(() => o.text().includes('Worker on queue'), 'worker start')));
    const enq = cli(['enqueue', ...enqueueArgs, '--providers-config', s.config], env);
    const eo = output(enq);
    await new Promise((r) => enq.on('close', r));
    const runId = /Run (\S+) enqueued/.exec(eo.text())?.[1];
    if (runId === undefined) throw new Error(`enqueue failed: ${eo.text()}`);
    const started = performance.now();
    const redis = new Redis(redisUrl as string);
    const registry = createRunRegistry(redis, s.queue);
    try {
      for (;;) {
        const p = await registry.progress(runId);
        if (p.finished >= p.jobs) return { ms: performance.now() - started, units: p.units };
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      redis.disconnect();
    }
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(0) : w.on('close', r)))),
    );
  }
}

async function latencyBound(): Promise<void> {
  const rows: string[][] = [];
  let base = 0;
  for (const n of PROCESSES) {
    const s = setup(
      { simulated: { enabled: true, seed: 7, universe_size: 32, latency_ms: 1000 } },
      { tick_data: ['simulated'], order_book: ['simulated'], factors: ['simulated'] },
    );
    try {
      const r = await timedRun(
        s,
        n,
        [
          '--symbols',
          'ALL',
          '--start-date',
          '2025-06-05',
          '--end-date',
          '2025-06-05',
          '--data-types',
          'bars_1d',
        ],
        {},
      );
      const perSec = r.units / (r.ms / 1000);
      if (n === 1) base = perSec;
      rows.push([
        String(n),
        String(n * 4),
        int(r.units),
        seconds(r.ms),
        perSec.toFixed(1),
        ratio(perSec / base),
      ]);
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
  printTable(
    'Latency-bound (simulated provider, 1 s per request, no rate limit, 32 one-call jobs; 4 jobs per worker at once)',
    ['processes', 'jobs at once', 'units', 'time', 'units/s', 'vs 1 process'],
    rows,
  );
}

interface RemoteEmulator {
  url: string;
  requests(): Promise<TushareRequestRecord[]>;
  close(): void;
}

async function startEmulator(options: Record<string, unknown>): Promise<RemoteEmulator> {
  const child = fork(
    fileURLToPath(new URL('./tushare-emulator-process.ts', import.meta.url)),
    [JSON.stringify(options)],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const next = <T>(key: string): Promise<T> =>
    new Promise((resolvePromise) => {
      const onMessage = (m: unknown) => {
        if (typeof m === 'object' && m !== null && key in m) {
          child.off('message', onMessage);
          resolvePromise((m as Record<string, T>)[key] as T);
        }
      };
      child.on('message', onMessage);
    });
  const url = await next<string>('url');
  return {
    url,
    requests: () => {
      const answer = next<TushareRequestRecord[]>('requests');
      child.send('requests');
      return answer;
    },
    close: () => child.send('close'),
  };
}

async function quotaBound(): Promise<void> {
  const LIMIT = 10;
  const WINDOW_MS = 10_000;
  const symbols = 3 * LIMIT + 1;
  const token = 'bench-token-0042';
  const rows: string[][] = [];
  for (const n of PROCESSES) {
    const listings = Array.from({ length: symbols }, (_, i) => ({
      tsCode: `6012${String(i).padStart(2, '0')}.SH`,
      name: `B${i}`,
      listStatus: 'L',
      listDate: '2010-01-04',
    }));
    const emu = await startEmulator({
      tokens: { [token]: { perMinute: { stk_mins: LIMIT } } },
      windowMs: WINDOW_MS,
      market: { listings, suspensions: {} },
    });
    const s = setup(
      {
        tushare: {
          enabled: true,
          token: '${BENCH_TUSHARE_TOKEN}',
          base_url: emu.url,
          rate_limit: { requests_per_minute: 500, per_api: { stk_mins: LIMIT } },
        },
      },
      { bars_1m: ['tushare'], bars_1d: ['tushare'] },
    );
    try {
      await timedRun(
        s,
        n,
        [
          '--provider',
          'tushare',
          '--symbols',
          'ALL',
          '--start-date',
          '2025-06-05',
          '--end-date',
          '2025-06-05',
          '--data-types',
          'bars_1m',
        ],
        { BENCH_TUSHARE_TOKEN: token, TICKPIPE_RATE_WINDOW_MS: String(WINDOW_MS) },
      );
      const calls = (await emu.requests()).filter((q) => q.apiName === 'stk_mins');
      const times = calls.map((q) => q.atMs).sort((a, b) => a - b);
      const span = (times.at(-1) as number) - (times[0] as number);
      let most = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while ((times[i] as number) - (times[j] as number) >= WINDOW_MS) j++;
        most = Math.max(most, i - j + 1);
      }
      const perWindow = ((calls.length - 1) / span) * WINDOW_MS;
      const minimum = Math.floor((calls.length - 1) / LIMIT) * WINDOW_MS;
      rows.push([
        String(n),
        String(calls.length),
        String(calls.filter((q) => q.overLimit).length),
        String(most),
        perWindow.toFixed(2),
        percent(minimum / span),
      ]);
    } finally {
      emu.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
  printTable(
    `Quota-bound (Tushare emulator, stk_mins limit ${LIMIT} per ${WINDOW_MS / 1000} s window, 4 jobs per worker at once)`,
    [
      'processes',
      'calls',
      'over limit',
      'most in a window',
      `calls per window (limit ${LIMIT})`,
      'quota used',
    ],
    rows,
  );
}

async function main(): Promise<void> {
  if (!redisUrl || !clickhouseUrl) {
    console.log(
      'distributed bench skipped: set TICKPIPE_TEST_REDIS_URL and TICKPIPE_TEST_CLICKHOUSE_URL (scripts/services/start.sh DIR && . DIR/env.sh)',
    );
    return;
  }
  // BENCH_PART=latency or quota runs one half.
  const part = process.env.BENCH_PART;
  if (part !== 'quota') await latencyBound();
  if (part !== 'latency') await quotaBound();
}

await main();
