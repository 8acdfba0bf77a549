/**
 * Planning at full-market scale, each scenario in its own process (so its peak RSS is its own):
 * - `stream-5000`: 5,000 symbols × 250 trading days × the default data types (tick_data,
 *   order_book, factors: 5 concrete units a symbol-day) on the simulated market's capabilities:
 *   ledger read + estimate (what `--dry-run` does), then every job pulled from the lazy stream
 *   and dropped, as the worker pool does.
 * - `ten-year`: 5,300 symbols × ~2,600 weekdays (2015–2024) of Tushare 1-minute and daily bars:
 *   estimate, then the whole job stream counted (the size a distributed queue would hold).
 * - `ten-year-simulated`: 5,000 × ~2,600 days × the default types on the simulated market:
 *   the estimate alone (13 M per-day jobs are not built).
 * - `old-500` / `new-500`: the planner before the streaming plan (test/support/reference-plan.ts,
 *   one object per unit) against the streaming one on 500 symbols × 250 days: the baseline ratio.
 *
 * Run: `npx tsx bench/plan-scale.bench.ts` (all) or `npx tsx bench/plan-scale.bench.ts <scenario>`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { referencePlan } from '../test/support/reference-plan.js';
import { tradingDaysBetween } from '../src/domain/calendar.js';
import type { RequestedDataType } from '../src/domain/data-type.js';
import type { Ticker } from '../src/domain/ticker.js';
import type { PlanSpec } from '../src/pipeline/plan-work.js';
import { preparePlan } from '../src/pipeline/plan-prepare.js';
import type { Routing } from '../src/pipeline/routing.js';
import type { ProviderCapabilities } from '../src/providers/provider.js';
import { simulatedUniverse } from '../src/providers/simulated/simulated-universe.js';
import { createMemoryStore } from '../src/storage/memory/memory-store.js';
import { int, printTable } from './bench-report.js';

const SIMULATED: ProviderCapabilities = {
  dataTypes: ['ticks', 'bars_1m', 'bars_1d', 'order_book'],
  tickData: 'ticks',
  maxDaysPerFetch: { ticks: 1, bars_1m: 1, bars_1d: 1, order_book: 1 },
  endpointsOf: { ticks: ['market'], bars_1m: ['market'], bars_1d: ['market'], order_book: ['market'] },
  endpoints: [{ name: 'market', requestsPerMinute: undefined }],
  notes: [],
};
const TUSHARE: ProviderCapabilities = {
  dataTypes: ['bars_1m', 'bars_1d', 'order_book'],
  tickData: 'bars_1m',
  maxDaysPerFetch: { bars_1m: 33, bars_1d: 250, order_book: 1 },
  marketDayDataTypes: ['bars_1d'],
  endpointsOf: { bars_1m: ['stk_mins'], bars_1d: ['daily', 'adj_factor'], order_book: ['rt_k'] },
  endpoints: [
    { name: 'stk_mins', requestsPerMinute: 500 },
    { name: 'daily', requestsPerMinute: 500 },
    { name: 'adj_factor', requestsPerMinute: 500 },
  ],
  notes: [],
};
const DEFAULT_TYPES: RequestedDataType[] = ['tick_data', 'order_book', 'factors'];
const ALL_TYPES: RequestedDataType[] = ['tick_data', 'order_book', 'factors', 'ticks', 'bars_1m', 'bars_1d'];

const routingTo = (p: string) => Object.fromEntries(ALL_TYPES.map((t) => [t, [p]])) as Routing;

/** 250 trading days ending 2025-12-31 on the simulated A-share calendar. */
function yearOfDays(): string[] {
  const days = tradingDaysBetween({ start: '2024-01-01', end: '2025-12-31' });
  return days.slice(days.length - 250);
}

/** Weekdays 2015-01-01 .. 2024-12-31 (a synthetic ten-year calendar). */
function tenYearsOfWeekdays(): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(2015, 0, 1); t <= Date.UTC(2024, 11, 31); t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

function spec(
  symbols: readonly Ticker[],
  days: readonly string[],
  provider: 'simulated' | 'tushare',
  requested: RequestedDataType[],
): PlanSpec {
  return {
    symbols,
    tradingDays: () => days,
    requested,
    routing: routingTo(provider),
    capabilities: { [provider]: provider === 'simulated' ? SIMULATED : TUSHARE },
    resume: true,
    priority: [],
  };
}

const rssMb = () => process.resourceUsage().maxRSS / 1024;
const signal = new AbortController().signal;

async function scenario(name: string): Promise<Record<string, string>> {
  const t0 = performance.now();
  const year = yearOfDays();
  const ten = tenYearsOfWeekdays();
  const universe = (n: number) => simulatedUniverse(11, n).listed;
  const store = createMemoryStore();
  const prepare = (s: PlanSpec) =>
    preparePlan({
      spec: s,
      store,
      range: { start: s.tradingDays('')[0] as string, end: s.tradingDays('').at(-1) as string },
      signal,
    });
  const streamAll = (p: Awaited<ReturnType<typeof prepare>>) => {
    let jobs = 0;
    let units = 0;
    for (const j of p.jobs()) {
      jobs++;
      units += j.units.length;
    }
    return { jobs, units };
  };
  const base = performance.now();
  switch (name) {
    case 'stream-5000':
    case 'new-500':
    case 'ten-year': {
      const s =
        name === 'ten-year'
          ? spec(
              Array.from({ length: 5_300 }, (_, i) => `${String(600000 + i)}.SH`),
              ten,
              'tushare',
              ['tick_data', 'bars_1d'],
            )
          : spec(universe(name === 'new-500' ? 500 : 5_000), year, 'simulated', DEFAULT_TYPES);
      const p = await prepare(s);
      const estimated = performance.now();
      const { jobs, units } = streamAll(p);
      const done = performance.now();
      return {
        scenario: name,
        symbols: int(s.symbols.length),
        days: int(s.tradingDays('').length),
        units: int(p.estimate.units),
        jobs: int(jobs),
        'estimate s': ((estimated - base) / 1000).toFixed(2),
        'all jobs streamed s': ((done - base) / 1000).toFixed(2),
        'peak RSS MB': rssMb().toFixed(0),
        check: jobs === p.estimate.jobs && units === p.estimate.units ? 'estimate = stream' : 'MISMATCH',
        calls: int(p.estimate.providers.reduce((n, e) => n + e.calls, 0)),
        'process s': ((done - t0) / 1000).toFixed(2),
      };
    }
    case 'ten-year-simulated': {
      const s = spec(universe(5_000), ten, 'simulated', DEFAULT_TYPES);
      const p = await prepare(s);
      const estimated = performance.now();
      return {
        scenario: name,
        symbols: int(s.symbols.length),
        days: int(ten.length),
        units: int(p.estimate.units),
        jobs: int(p.estimate.jobs),
        'estimate s': ((estimated - base) / 1000).toFixed(2),
        'all jobs streamed s': '(not built)',
        'peak RSS MB': rssMb().toFixed(0),
        check: '',
        calls: int(p.estimate.providers.reduce((n, e) => n + e.calls, 0)),
        'process s': ((estimated - t0) / 1000).toFixed(2),
      };
    }
    case 'old-500': {
      const s = spec(universe(500), year, 'simulated', DEFAULT_TYPES);
      const plan = referencePlan({ ...s, ledger: new Map() });
      const done = performance.now();
      return {
        scenario: name,
        symbols: '500',
        days: int(year.length),
        units: int(plan.unitCount),
        jobs: int(plan.jobs.length),
        'estimate s': '',
        'all jobs streamed s': ((done - base) / 1000).toFixed(2),
        'peak RSS MB': rssMb().toFixed(0),
        check: '',
        calls: '',
        'process s': ((done - t0) / 1000).toFixed(2),
      };
    }
    default:
      throw new Error(`unknown scenario ${name}`);
  }
}

const SCENARIOS = ['stream-5000', 'ten-year', 'ten-year-simulated', 'old-500', 'new-500'];

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only && process.argv[3] === '--child') {
    process.stdout.write(JSON.stringify(await scenario(only)));
    return;
  }
  const rows: Record<string, string>[] = [];
  for (const name of only ? [only] : SCENARIOS) {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), name, '--child'],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    rows.push(JSON.parse(r.stdout) as Record<string, string>);
  }
  const cols = Object.keys(rows[0] ?? {});
  printTable(
    'Planning at scale (each scenario in its own process)',
    cols,
    rows.map((r) => cols.map((c) => r[c] ?? '')),
  );
  const old = rows.find((r) => r.scenario === 'old-500');
  const now = rows.find((r) => r.scenario === 'new-500');
  if (old && now) {
    const ratio = (a = '0', b = '1') => (Number(a) / Number(b)).toFixed(2);
    console.log(
      `500 symbols, streaming vs old planner: time ×${ratio(now['all jobs streamed s'], old['all jobs streamed s'])}, peak RSS ×${ratio(now['peak RSS MB'], old['peak RSS MB'])}`,
    );
  }
}

await main();
