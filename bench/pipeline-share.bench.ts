/**
 * The factor engine's share of a run (issue 3): a full simulated run (tick_data, order_book,
 * factors) into a fresh DuckDB file next to the same run without factors, best of two rounds
 * each, interleaved. The share is shown two ways: the wall-time difference, and the time spent
 * inside `computeFactors` (measured by wrapping it) over the run's wall time. Also ticks/s through
 * `computeFactors`.
 * Run: `npx tsx bench/pipeline-share.bench.ts [symbols=40] [workers=4]`.
 */
import { productionDeps } from '../src/pipeline/production-deps.js';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../src/config/schema.js';
import { pipelineOptionsOf } from '../src/pipeline/pipeline-options.js';
import { singleProviderRouting } from '../src/pipeline/routing.js';
import type { RequestedDataType } from '../src/domain/data-type.js';
import { computeFactors } from '../src/factors/compute-factors.js';
import { createPipeline } from '../src/pipeline/create-pipeline.js';
import type { RunSummary } from '../src/pipeline/events.js';
import type { FactorComputeInput } from '../src/pipeline/run-job.js';
import { createDuckDbStore } from '../src/storage/duckdb/duckdb-store.js';
import { int, percent, printTable, ratio, seconds } from './bench-report.js';

const SYMBOLS = Number(process.argv[2] ?? 40);
const WORKERS = Number(process.argv[3] ?? 4);
const ROUNDS = 2;
const RANGE = { start: '2025-06-05', end: '2025-06-05' };

interface RunResult {
  wallMs: number;
  summary: RunSummary;
  factorMs: number;
  factorCalls: number;
  factorTicks: number;
  factorBooks: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `tickpipe-share-bench-${randomBytes(4).toString('hex')}-`));
  try {
    const config = configSchema.parse({
      providers: {
        simulated: { enabled: true, seed: 42, universe_size: SYMBOLS, latency_ms: 0 },
        tushare: { enabled: false },
        yahoo: { enabled: false },
      },
      ingestion: { workers: WORKERS, max_workers: Math.max(32, WORKERS) },
    });

    const runOnce = async (requested: readonly RequestedDataType[], file: string): Promise<RunResult> => {
      const store = createDuckDbStore({ path: join(dir, file) });
      await store.init();
      const stats = { factorMs: 0, factorCalls: 0, factorTicks: 0, factorBooks: 0 };
      const timedFactors = (input: FactorComputeInput) => {
        const started = performance.now();
        try {
          return computeFactors(input);
        } finally {
          stats.factorMs += performance.now() - started;
          stats.factorCalls++;
          stats.factorTicks += input.ticks?.length ?? 0;
          stats.factorBooks += input.books?.length ?? 0;
        }
      };
      const pipeline = createPipeline(
        pipelineOptionsOf(config),
        productionDeps(
          { config },
          {
            store,
            reporter: { onEvent: () => {} },
            computeFactors: timedFactors,
          },
        ),
      );
      const signal = new AbortController().signal;
      setMaxListeners(0, signal);
      const started = performance.now();
      try {
        const summary = await pipeline.run(
          {
            symbols: 'ALL',
            range: RANGE,
            requested,
            routing: singleProviderRouting('simulated', requested),
            workers: WORKERS,
            maxWorkers: 32,
            resume: false,
            includeDelisted: false,
            priority: [],
          },
          { stop: signal, abort: signal },
        );
        return { wallMs: performance.now() - started, summary, ...stats };
      } finally {
        await store.close();
      }
    };

    const full: RequestedDataType[] = ['tick_data', 'order_book', 'factors'];
    const noFactors: RequestedDataType[] = ['tick_data', 'order_book'];
    await runOnce(noFactors.slice(0, 1), 'warm.duckdb');
    let withF: RunResult | undefined;
    let withoutF: RunResult | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const a = await runOnce(full, `with-${round}.duckdb`);
      const b = await runOnce(noFactors, `without-${round}.duckdb`);
      if (withF === undefined || a.wallMs < withF.wallMs) withF = a;
      if (withoutF === undefined || b.wallMs < withoutF.wallMs) withoutF = b;
    }
    if (withF === undefined || withoutF === undefined) return;

    console.log(
      `pipeline-share bench: simulated market, ${SYMBOLS} symbols x 1 day, workers ${WORKERS}, DuckDB file store, best of ${ROUNDS} (node ${process.version})`,
    );
    printTable(
      'Full run vs the same run without factors',
      ['run', 'units', 'failed', 'rows', 'factor rows', 'wall', 'rows/s', 'time vs no-factors'],
      [
        ['tick_data,order_book,factors', withF, 'with'],
        ['tick_data,order_book', withoutF, 'without'],
      ].map(([label, r]) => {
        const run = r as RunResult;
        return [
          label as string,
          int(run.summary.unitsOk + run.summary.unitsEmpty),
          int(run.summary.unitsFailed),
          int(run.summary.rowsWritten),
          int(run.summary.rowsByTable['factors'] ?? 0),
          seconds(run.wallMs),
          int((run.summary.rowsWritten / run.wallMs) * 1000),
          ratio(run.wallMs / withoutF.wallMs),
        ];
      }),
    );
    const diffShare = (withF.wallMs - withoutF.wallMs) / withF.wallMs;
    const insideShare = withF.factorMs / withF.wallMs;
    console.log(`\nFactor share of the full run's wall time:`);
    console.log(
      `  by difference (with - without) / with:      ${percent(diffShare)}  (computing + writing factor rows)`,
    );
    console.log(
      `  time inside computeFactors / wall time:      ${percent(insideShare)}  (${int(withF.factorMs)} ms in ${withF.factorCalls} calls)`,
    );
    const inputRows = withF.factorTicks + withF.factorBooks;
    console.log(
      `  computeFactors throughput in the run:        ${int((withF.factorTicks / withF.factorMs) * 1000)} ticks/s, ` +
        `${int((inputRows / withF.factorMs) * 1000)} input rows/s (${int(withF.factorTicks)} ticks + ${int(withF.factorBooks)} books; ` +
        `${(withF.factorMs / Math.max(1, withF.factorCalls)).toFixed(1)} ms per symbol-day)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
