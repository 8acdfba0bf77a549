/**
 * The worker-count benchmark behind `tickpipe bench` and `bench/workers.bench.ts`: the real
 * pipeline on the simulated market (with a per-request latency) into a memory store, once per
 * worker setting, and the ratios between them. Ratios are measured within one call, so noisy
 * machines still compare like with like.
 */
import { productionDeps } from '../production-deps.js';
import { setMaxListeners } from 'node:events';
import { configSchema } from '../../config/schema.js';
import { tradingDaysBetween } from '../../domain/calendar.js';
import type { RequestedDataType } from '../../domain/data-type.js';
import type { Ticker } from '../../domain/ticker.js';
import { IngestError } from '../../errors.js';
import { createMemoryStore } from '../../storage/memory/memory-store.js';
import { createPipeline } from '../create-pipeline.js';
import { pipelineOptionsOf } from '../pipeline-options.js';
import { singleProviderRouting } from '../routing.js';

/** One worker setting: a fixed pool size or `auto` (adaptive). */
export type WorkerSetting = number | 'auto';

/** The default settings compared: doubling fixed counts, then `auto`. */
export const DEFAULT_WORKER_SETTINGS: readonly WorkerSetting[] = [1, 2, 4, 8, 16, 32, 'auto'];

/** Options of {@link runWorkerBenchmark}; every field has a default. */
export interface WorkerBenchmarkOptions {
  /** Worker settings to run, in order. Default {@link DEFAULT_WORKER_SETTINGS}. */
  settings?: readonly WorkerSetting[];
  /** Symbols (the first N of the simulated universe). Default 60. */
  symbolCount?: number;
  /** Inclusive trading-day range. Default 2025-06-05..2025-06-06 (two trading days). */
  startDate?: string;
  endDate?: string;
  /** Simulated per-request latency, ms. Default 50. */
  latencyMs?: number;
  /** Upper bound of `auto`. Default 32. */
  maxWorkers?: number;
  /** Data types requested. Default `['tick_data']`. */
  dataTypes?: readonly RequestedDataType[];
  /** Run a small untimed pass first so that JIT warm-up does not land on the first setting. Default true. */
  warmup?: boolean;
  /** Called after each setting finishes (progress output). */
  onResult?(result: WorkerRunResult): void;
}

/** The measurements of one worker setting. */
export interface WorkerRunResult {
  workers: WorkerSetting;
  /** Units that finished (ok or empty). */
  units: number;
  failedUnits: number;
  rows: number;
  /** Wall time of plan + run, ms. */
  wallMs: number;
  unitsPerSecond: number;
  rowsPerSecond: number;
  /** For `auto`: the most workers it used, and the count it ended with. */
  autoPeakWorkers?: number;
  autoFinalWorkers?: number;
}

/** A finished benchmark: per-setting results plus the ratios that survive noisy machines. */
export interface WorkerBenchmarkResult {
  symbolCount: number;
  tradingDays: number;
  latencyMs: number;
  dataTypes: readonly RequestedDataType[];
  results: WorkerRunResult[];
  /** The setting speedups are measured against: workers=1 when it ran, else the first fixed one. */
  baseline: WorkerRunResult | undefined;
  /** The fixed setting with the highest units/s. */
  bestFixed: WorkerRunResult | undefined;
  /** `auto`'s units/s over the best fixed setting's (1 = as good as the best). */
  autoToBestFixed: number | undefined;
}

/** Parses a comma list such as `1,2,4,auto`; throws `USAGE` naming `flag` on a bad item. */
export function parseWorkerSettings(text: string, flag = '--workers'): WorkerSetting[] {
  const parts = text.split(/[\s,]+/).filter((p) => p.length > 0);
  if (parts.length === 0)
    throw new IngestError('USAGE', `${flag}: expected a comma list such as 1,2,4,auto, found "${text}"`);
  return parts.map((p) => {
    if (p === 'auto') return 'auto';
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 1024) {
      throw new IngestError(
        'USAGE',
        `${flag}: expected positive integers (at most 1024) or auto, found "${p}"`,
      );
    }
    return Number(p);
  });
}

/** Runs the pipeline once per worker setting and returns the measurements. */
export async function runWorkerBenchmark(
  options: WorkerBenchmarkOptions,
  signal: AbortSignal,
): Promise<WorkerBenchmarkResult> {
  const settings = options.settings ?? DEFAULT_WORKER_SETTINGS;
  const symbolCount = options.symbolCount ?? 60;
  const latencyMs = options.latencyMs ?? 50;
  const maxWorkers = options.maxWorkers ?? 32;
  const dataTypes = options.dataTypes ?? ['tick_data'];
  const startDate = options.startDate ?? '2025-06-05';
  const endDate = options.endDate ?? '2025-06-06';
  if (!(Number.isInteger(symbolCount) && symbolCount >= 1 && symbolCount <= 20_000)) {
    throw new IngestError(
      'USAGE',
      `--symbols: expected a symbol count between 1 and 20000, found ${symbolCount}`,
    );
  }
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0 && latencyMs <= 60_000)) {
    throw new IngestError('USAGE', `--latency-ms: expected 0..60000, found ${latencyMs}`);
  }
  // Every waiting request listens on the run's signal; dozens of waiters are normal.
  setMaxListeners(0, signal);
  const biggestFixed = Math.max(1, ...settings.filter((s): s is number => s !== 'auto'));

  const config = configSchema.parse({
    providers: {
      simulated: {
        enabled: true,
        seed: 42,
        universe_size: symbolCount,
        latency_ms: latencyMs,
        fail_rate: 0,
      },
      tushare: { enabled: false },
      yahoo: { enabled: false },
    },
    ingestion: { workers: 1, max_workers: Math.max(maxWorkers, biggestFixed), data_types: [...dataTypes] },
  });
  const pipelineOptions = pipelineOptionsOf(config);
  const routing = singleProviderRouting('simulated', dataTypes);
  {
    const runOnce = async (workers: WorkerSetting, symbols: 'ALL' | number): Promise<WorkerRunResult> => {
      const store = createMemoryStore();
      let peak = 0;
      let last = 0;
      const pipeline = createPipeline(
        pipelineOptions,
        productionDeps(
          { config },
          {
            store,
            reporter: {
              onEvent: (e) => {
                if (e.type === 'workers:changed') {
                  last = e.workers;
                  peak = Math.max(peak, e.workers);
                }
              },
            },
          },
        ),
      );
      let universe: 'ALL' | readonly Ticker[] = 'ALL';
      if (symbols !== 'ALL') {
        const prepared = await pipeline.prepare(
          {
            symbols: 'ALL',
            range: { start: startDate, end: endDate },
            requested: dataTypes,
            routing,
            workers: 1,
            maxWorkers,
            resume: false,
            includeDelisted: false,
            priority: [],
          },
          signal,
        );
        await pipeline.closeProviders(prepared.providers);
        universe = prepared.plan.symbols.slice(0, symbols);
      }
      const started = performance.now();
      try {
        const summary = await pipeline.run(
          {
            symbols: universe,
            range: { start: startDate, end: endDate },
            requested: dataTypes,
            routing,
            workers,
            maxWorkers,
            resume: false,
            includeDelisted: false,
            priority: [],
          },
          { stop: signal, abort: signal },
        );
        const wallMs = performance.now() - started;
        const units = summary.unitsOk + summary.unitsEmpty;
        return {
          workers,
          units,
          failedUnits: summary.unitsFailed + summary.unitsUnsupported,
          rows: summary.rowsWritten,
          wallMs,
          unitsPerSecond: (units / wallMs) * 1000,
          rowsPerSecond: (summary.rowsWritten / wallMs) * 1000,
          ...(workers === 'auto' ? { autoPeakWorkers: peak, autoFinalWorkers: last } : {}),
        };
      } finally {
        await store.close();
      }
    };

    if (options.warmup ?? true) await runOnce(4, Math.min(8, symbolCount));
    const results: WorkerRunResult[] = [];
    const tradingDays = tradingDaysBetween({ start: startDate, end: endDate }).length;
    for (const workers of settings) {
      if (signal.aborted) throw new IngestError('ABORTED', 'benchmark interrupted');
      const r = await runOnce(workers, 'ALL');
      results.push(r);
      options.onResult?.(r);
    }
    const fixed = results.filter((r) => r.workers !== 'auto');
    const baseline = fixed.find((r) => r.workers === 1) ?? fixed[0];
    const bestFixed = fixed.reduce<WorkerRunResult | undefined>(
      (best, r) => (best === undefined || r.unitsPerSecond > best.unitsPerSecond ? r : best),
      undefined,
    );
    const auto = results.find((r) => r.workers === 'auto');
    return {
      symbolCount,
      tradingDays,
      latencyMs,
      dataTypes,
      results,
      baseline,
      bestFixed,
      autoToBestFixed: auto && bestFixed ? auto.unitsPerSecond / bestFixed.unitsPerSecond : undefined,
    };
  }
}

/** Renders the result as an aligned text table with a ratio summary underneath. */
export function renderWorkerBenchmark(result: WorkerBenchmarkResult): string {
  const header = [
    'workers',
    'units',
    'failed',
    'rows',
    'wall',
    'units/s',
    'rows/s',
    'speedup vs ' + (result.baseline ? `w=${result.baseline.workers}` : '-'),
  ];
  const body = result.results.map((r) => [
    r.workers === 'auto'
      ? `auto (peak ${r.autoPeakWorkers ?? '?'}, end ${r.autoFinalWorkers ?? '?'})`
      : String(r.workers),
    String(r.units),
    String(r.failedUnits),
    r.rows.toLocaleString('en-US'),
    `${(r.wallMs / 1000).toFixed(2)} s`,
    r.unitsPerSecond.toFixed(1),
    Math.round(r.rowsPerSecond).toLocaleString('en-US'),
    result.baseline ? `${(r.unitsPerSecond / result.baseline.unitsPerSecond).toFixed(2)}x` : '-',
  ]);
  const lines = [
    `Worker-count benchmark: simulated market, ${result.symbolCount} symbols x ${result.tradingDays} trading day(s), ` +
      `data types ${result.dataTypes.join(',')} (one job per symbol), ${result.latencyMs} ms per request, memory store`,
    alignTable(header, body),
  ];
  if (result.bestFixed)
    lines.push(
      `Best fixed worker count: ${result.bestFixed.workers} (${result.bestFixed.unitsPerSecond.toFixed(1)} units/s)`,
    );
  if (result.autoToBestFixed !== undefined) {
    lines.push(
      `auto / best fixed: ${result.autoToBestFixed.toFixed(2)} (1.00 = as fast as the best fixed count)`,
    );
  }
  return lines.join('\n');
}

/** Aligns a header and rows into columns separated by two spaces; numeric columns right-aligned. */
export function alignTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-\d.,]+( ?[a-z%/x]+)?$/i.test(r[i] ?? '')),
  );
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
