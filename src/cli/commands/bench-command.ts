/**
 * `tickpipe bench`: the worker-count benchmark (simulated market with a per-request latency,
 * memory store) for each worker setting, with units/s, rows/s, speedup over workers=1 and
 * `auto`'s ratio to the best fixed count. Writes nothing to the configured store.
 */
import { setMaxListeners } from 'node:events';
import { IngestError } from '../../errors.js';
import {
  DEFAULT_WORKER_SETTINGS,
  parseWorkerSettings,
  renderWorkerBenchmark,
  runWorkerBenchmark,
  type WorkerRunResult,
} from '../../pipeline/bench/worker-benchmark.js';
import type { CliIo } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';

/** Flags of `tickpipe bench` as commander parses them (all strings). */
export interface BenchFlags {
  /** Comma list of worker settings, e.g. `1,2,4,8,16,32,auto` (the default). */
  workers?: string;
  /** Number of simulated symbols (default 60). */
  symbols?: string;
  /** Simulated per-request latency, ms (default 50). */
  latencyMs?: string;
  /** `table` (default) or `json`. */
  format?: string;
}

const FORMATS = ['table', 'json'] as const;

function parseCount(value: string | undefined, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
    throw new IngestError('USAGE', `${flag}: expected an integer >= ${min}, found "${value}"`);
  }
  return Number(value);
}

/** Runs `tickpipe bench`; returns the exit code. */
export async function benchCommand(flags: BenchFlags, io: CliIo): Promise<ExitCode> {
  const format = flags.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new IngestError('USAGE', `--format: expected ${FORMATS.join(' or ')}, found "${format}"`);
  }
  const settings =
    flags.workers !== undefined ? parseWorkerSettings(flags.workers) : [...DEFAULT_WORKER_SETTINGS];
  const symbolCount = parseCount(flags.symbols, '--symbols', 60, 1);
  if (symbolCount > 20_000) throw new IngestError('USAGE', `--symbols: at most 20000, found ${symbolCount}`);
  const latencyMs = parseCount(flags.latencyMs, '--latency-ms', 50, 0);
  if (latencyMs > 60_000) throw new IngestError('USAGE', `--latency-ms: at most 60000, found ${latencyMs}`);

  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const unsubscribe = io.onInterrupt?.(() => stop.abort());
  // Progress goes to stderr in JSON mode so that stdout stays one JSON document.
  const progress = format === 'json' ? io.stderr : io.stdout;
  progress(
    `Benchmarking workers ${settings.join(', ')} on ${symbolCount} simulated symbols, ${latencyMs} ms per request (memory store; nothing is written)…`,
  );
  try {
    const result = await runWorkerBenchmark(
      {
        settings,
        symbolCount,
        latencyMs,
        maxWorkers: Math.max(32, ...settings.filter((s): s is number => s !== 'auto')),
        onResult: (r: WorkerRunResult) =>
          progress(
            `  workers=${r.workers}: ${r.unitsPerSecond.toFixed(1)} units/s in ${(r.wallMs / 1000).toFixed(2)} s`,
          ),
      },
      stop.signal,
    );
    if (format === 'json') io.stdout(JSON.stringify(result, null, 2));
    else io.stdout(renderWorkerBenchmark(result));
    return result.results.some((r) => r.failedUnits > 0) ? EXIT.PARTIAL : EXIT.OK;
  } catch (e) {
    if (stop.signal.aborted) return EXIT.INTERRUPTED;
    throw e;
  } finally {
    unsubscribe?.();
  }
}
