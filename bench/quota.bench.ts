/**
 * Quota use and wasted calls against the Tushare emulator (separate process, real HTTP): the
 * whole pipeline (`createPipeline`, Tushare provider, DuckDB-free memory store) backfills two
 * months of 1-minute bars for a universe where a few symbols were listed inside or after the
 * range, under a `stk_mins` limit of `LIMIT` per window (the "minute" shrunk to `WINDOW_MS` in
 * both the pipeline and the emulator so the run takes about a minute).
 *
 * Printed:
 * - quota use: the sliding-window minimum for n calls, ⌊(n−1)/limit⌋ windows, against the span
 *   of the calls as the server saw them (target ≥ 95 %), the most calls the server saw in any
 *   window, and calls refused as over the limit (target 0);
 * - calls against the row-cap minimum: Σ over symbols of ⌈listed days × 241 / 8000⌉ (target
 *   ≤ 1.02×), and the same run without listing dates (the planner of before: every day fetched).
 *
 * Run: `npx tsx bench/quota.bench.ts [limit=10] [windowMs=10000] [symbols=40] [workers=16]`.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load-config.js';
import { computeFactors } from '../src/factors/compute-factors.js';
import { systemClock } from '../src/limits/clock.js';
import { silentLogger } from '../src/limits/logger.js';
import { createPipeline } from '../src/pipeline/create-pipeline.js';
import { pipelineOptionsFromConfig } from '../src/pipeline/pipeline-options.js';
import { resolveRouting } from '../src/pipeline/routing.js';
import { createProvider } from '../src/providers/create-provider.js';
import type { Provider } from '../src/providers/provider.js';
import { createMemoryStore } from '../src/storage/memory/memory-store.js';
import type { TushareRequestRecord } from '../test/emulators/tushare/tushare-emulator.js';
import { DEFAULT_LISTINGS, type TushareListing } from '../test/emulators/tushare/tushare-market.js';
import { int, percent, printTable } from './bench-report.js';

const LIMIT = Number(process.argv[2] ?? 10);
const WINDOW_MS = Number(process.argv[3] ?? 10_000);
const SYMBOLS = Number(process.argv[4] ?? 40);
/** Enough workers that a whole window's calls go out together (slow answers do not stretch the tail). */
const WORKERS = Number(process.argv[5] ?? 16);
const TOKEN = 'bench-token-quota-0003';
const RANGE = { start: '2024-09-02', end: '2024-10-31' };
const BARS_PER_DAY = 241;
const ROW_CAP = 8_000;

/** The emulator's listings plus generated ones: 3 listed after the range, 3 inside it. */
function listings(): TushareListing[] {
  const out: TushareListing[] = DEFAULT_LISTINGS.filter((l) => l.listStatus === 'L');
  for (let i = 0; out.length < SYMBOLS; i++) {
    const late =
      i < 3 ? '2024-11-18' : i < 6 ? ['2024-09-19', '2024-10-10', '2024-10-24'][i - 3] : '2010-01-04';
    out.push({
      tsCode: `${String(603100 + i)}.SH`,
      name: `Bench ${i}`,
      listStatus: 'L',
      listDate: late as string,
    });
  }
  return out;
}

interface Emulator {
  url: string;
  requests(): Promise<TushareRequestRecord[]>;
  close(): void;
}

async function startEmulator(): Promise<Emulator> {
  const child = fork(
    fileURLToPath(new URL('./tushare-emulator-process.ts', import.meta.url)),
    [
      JSON.stringify({
        tokens: { [TOKEN]: { perMinute: { stk_mins: LIMIT } } },
        windowMs: WINDOW_MS,
        market: { listings: listings() },
      }),
    ],
    { execArgv: ['--import', 'tsx'] },
  );
  const url = await new Promise<string>((resolve) =>
    child.once('message', (m) => resolve((m as { url: string }).url)),
  );
  return {
    url,
    requests: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { requests: TushareRequestRecord[] }).requests));
        child.send('requests');
      }),
    close: () => child.send('close'),
  };
}

async function run(url: string, withListings: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'tickpipe-quota-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    JSON.stringify({
      providers: {
        tushare: {
          enabled: true,
          token: TOKEN,
          base_url: url,
          rate_limit: { requests_per_minute: 500, per_api: { stk_mins: LIMIT } },
        },
      },
      routing: { tick_data: ['tushare'], bars_1m: ['tushare'] },
      ingestion: { retry: { max_attempts: 4, base_delay_ms: 50, max_delay_ms: 500 } },
    }),
  );
  const loaded = loadConfig({ path, env: {} });
  const pipeline = createPipeline(pipelineOptionsFromConfig(loaded), {
    store: createMemoryStore(),
    reporter: { onEvent: () => {} },
    makeProvider: (name, gate): Provider => {
      const p = createProvider(name as 'tushare', loaded.config, {
        fetch: globalThis.fetch,
        gate,
        now: () => Date.now(),
        logger: silentLogger,
      });
      // The planner of before: no listing dates, every trading day planned.
      if (withListings) return p;
      const { listings: _dropped, ...rest } = p;
      return rest as Provider;
    },
    clock: systemClock,
    random: Math.random,
    logger: silentLogger,
    computeFactors,
    rateWindowMs: WINDOW_MS,
  });
  const signals = { stop: new AbortController().signal, abort: new AbortController().signal };
  return pipeline.run(
    {
      symbols: 'ALL',
      range: RANGE,
      requested: ['bars_1m'],
      routing: resolveRouting({ config: loaded.config, statuses: loaded.providers, requested: ['bars_1m'] }),
      workers: WORKERS,
      maxWorkers: 32,
      resume: true,
      includeDelisted: false,
      priority: [],
    },
    signals,
  );
}

/** Most arrivals in any window of `WINDOW_MS`. */
function maxInWindow(times: readonly number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= WINDOW_MS) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  const market = listings();
  for (const withListings of [true, false]) {
    const emu = await startEmulator();
    try {
      const summary = await run(emu.url, withListings);
      const calls = (await emu.requests()).filter((r) => r.apiName === 'stk_mins');
      const times = calls.map((r) => r.atMs).sort((a, b) => a - b);
      const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
      const minimum = Math.floor((calls.length - 1) / LIMIT) * WINDOW_MS;
      rows.push([
        withListings ? 'with listing dates' : 'without (before)',
        int(calls.length),
        `${(span / 1000).toFixed(1)} s`,
        `${(minimum / 1000).toFixed(1)} s`,
        percent(span > 0 ? minimum / span : 1),
        `${maxInWindow(times)} / ${LIMIT}`,
        int(calls.filter((r) => r.overLimit).length),
        int(summary.unitsFailed),
      ]);
    } finally {
      emu.close();
    }
  }
  // Row-cap minimum from the market: each symbol's listed trading days in the range.
  const { createTushareMarket } = await import('../test/emulators/tushare/tushare-market.js');
  const m = createTushareMarket({ listings: market });
  const rangeDays = m.tradingDays(RANGE.start, RANGE.end);
  const minimumCalls = market.reduce((n, l) => {
    const listed = rangeDays.filter((d) => d >= l.listDate).length;
    return n + Math.ceil((listed * BARS_PER_DAY) / ROW_CAP);
  }, 0);
  printTable(
    `Tushare emulator: ${market.length} symbols × 1-minute bars ${RANGE.start}..${RANGE.end} (${rangeDays.length} trading days), stk_mins limit ${LIMIT} per ${WINDOW_MS / 1000} s window, ${WORKERS} workers`,
    [
      'run',
      'stk_mins calls',
      'span',
      'window minimum',
      'quota use',
      'max in a window',
      'over limit',
      'failed units',
    ],
    rows,
  );
  for (const r of rows) {
    console.log(
      `${r[0]}: ${r[1]} calls against a row-cap minimum of ${minimumCalls}: ×${(Number((r[1] as string).replace(/,/g, '')) / minimumCalls).toFixed(3)}`,
    );
  }
}

await main();
