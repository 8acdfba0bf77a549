/**
 * One provider quota shared by three worker processes through Redis: against the Tushare
 * emulator's per-window limit, no request across all workers is ever over the limit, and the
 * quota is used to at least 95 % (n calls need ⌊(n−1)/limit⌋ windows at the least).
 *
 * The provider "minute" is shortened to 30 s on both sides (emulator `windowMs`, worker knob
 * `TICKPIPE_RATE_WINDOW_MS`): two windows take ~61 s instead of two minutes. The gate adds its
 * production margin (max(250 ms, window/60)) and counts each call from its answer, so quota use
 * tops out near 98 %; on a loaded 2-core machine each window also loses ~0.5–1 s of latency
 * (answer, restamp, wake-up), which short windows cannot absorb (12 s windows measured
 * 94.5–96.2 % here).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTushareEmulator, type TushareEmulator } from '../emulators/tushare/tushare-emulator.js';
import type { TushareListing } from '../emulators/tushare/tushare-market.js';
import type { Workspace } from '../support/cli.js';
import {
  distributedWorkspace,
  exited,
  outputContains,
  requireClickHouseUrl,
} from '../support/distributed-env.js';
import { redisTestUrl } from '../support/redis-env.js';

const TOKEN = 'quota-token-5678wxyz';
const LIMIT = 8;
const WINDOW_MS = 30_000;
/** 2 × LIMIT + 1 symbols: one `stk_mins` call each (a day of 1m bars is one answer). */
const SYMBOLS = 2 * LIMIT + 1;

let emu: TushareEmulator | undefined;
let ws: Workspace | undefined;
afterAll(async () => {
  ws?.cleanup();
  await emu?.close();
});

/** Most requests in any half-open window `[t, t + windowMs)`. */
function maxInWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('distributed quota', () => {
  it('3 worker processes: 0 calls over the limit across them, >= 95 % of the quota used', async () => {
    const listings: TushareListing[] = Array.from({ length: SYMBOLS }, (_, i) => ({
      tsCode: `6011${String(i).padStart(2, '0')}.SH`,
      name: `S${i}`,
      listStatus: 'L',
      listDate: '2010-01-04',
    }));
    emu = await startTushareEmulator({
      tokens: { [TOKEN]: { perMinute: { stk_mins: LIMIT } } },
      windowMs: WINDOW_MS,
      market: { listings, suspensions: {} },
    });
    const dws = distributedWorkspace({
      clickhouseUrl: requireClickHouseUrl(),
      redisUrl: redisTestUrl(),
      providers: {
        tushare: {
          enabled: true,
          token: '${TUSHARE_TOKEN}',
          base_url: emu.url,
          rate_limit: { requests_per_minute: 500, per_api: { stk_mins: LIMIT } },
        },
      },
      routing: { bars_1m: ['tushare'], bars_1d: ['tushare'] },
    });
    ws = dws;
    const env = { TUSHARE_TOKEN: TOKEN, TICKPIPE_RATE_WINDOW_MS: String(WINDOW_MS) };
    const common = ['--providers-config', dws.configPath];
    // Workers first (started and idle, like machines waiting for work), then the run.
    const args = ['worker', '--concurrency', '4', '--log-format', 'plain', ...common];
    const workers = [0, 1, 2].map(() => dws.spawn(args, { env }));
    await Promise.all(workers.map((w) => outputContains(w, 'Worker on queue')));
    const e = await dws.run(
      [
        'enqueue',
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
        ...common,
      ],
      { env },
    );
    expect(e.code).toBe(0);
    const runId = /Run (\S+) enqueued: (\d+) jobs/.exec(e.stdout)?.[1] as string;
    expect(e.stdout).toContain(`enqueued: ${SYMBOLS} jobs`);

    const watch = await dws.run(['watch', runId, '--log-format', 'plain', ...common], { env });
    expect(watch.stdout).toContain(`Data ingestion completed. Successful: ${SYMBOLS}/${SYMBOLS}`);
    expect(watch.code).toBe(0);
    // SIGTERM: a graceful stop, exit 0.
    for (const w of workers) w.kill('SIGTERM');
    const outs = await Promise.all(workers.map(exited));
    for (const o of outs) {
      expect(o.code).toBe(0);
      expect(o.stdout).toContain('Worker stopped');
    }
    // The quota was shared, not won by one process.
    expect(outs.filter((o) => o.stdout.includes('ok    bars_1m')).length).toBeGreaterThanOrEqual(2);
    expect(outs.map((o) => o.stdout + o.stderr).join('')).not.toContain(TOKEN);

    const calls = emu.state.requests.filter((q) => q.apiName === 'stk_mins');
    expect(calls.filter((q) => q.overLimit)).toEqual([]);
    expect(calls).toHaveLength(SYMBOLS); // one call per symbol: jobs batch the days
    const times = calls.map((q) => q.atMs).sort((a, b) => a - b);
    expect(maxInWindow(times, WINDOW_MS)).toBeLessThanOrEqual(LIMIT);
    const span = (times.at(-1) as number) - (times[0] as number);
    const minimum = Math.floor((calls.length - 1) / LIMIT) * WINDOW_MS;
    const use = minimum / span;
    const gaps = times.slice(LIMIT).map((t, i) => t - (times[i] as number));
    console.log(`gaps between call k and k+${LIMIT}: ${gaps.join(' ')}`);
    console.log(
      `quota use: ${calls.length} calls in ${span} ms, minimum ${minimum} ms → ${(use * 100).toFixed(1)} %`,
    );
    expect(use).toBeGreaterThanOrEqual(0.95);
  });
});
