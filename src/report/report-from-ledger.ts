/**
 * Rebuilds a {@link RunReport} after the fact (`tickpipe report RUN_ID`): unit outcomes, the
 * symbol × day grid, failures and throughput come from the run's ledger entries; request,
 * latency and worker charts come from the kept events file when there is one.
 */
import { classifyFailure } from '../limits/retry-policy.js';
import type { LedgerEntry } from '../ledger/ledger-entry.js';
import type { PipelineEvent } from '../pipeline/events.js';
import { buildGrid, createReportCollector, type ReportCollectorOptions } from './report-collector.js';
import { bucketRates, chooseBucketMs, groupFailures, type GridStatus, type RunReport } from './run-report.js';

/** Parses an NDJSON events file (lines `{"time": ISO, "type": ..., ...}`); skips broken lines. */
export function parseEventsFile(text: string): Array<{ event: PipelineEvent; timeMs: number }> {
  const out: Array<{ event: PipelineEvent; timeMs: number }> = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = JSON.parse(line) as { time?: string; type?: string } & Record<string, unknown>;
      if (typeof parsed.type !== 'string' || typeof parsed.time !== 'string') continue;
      const { time, ...event } = parsed;
      out.push({ event: event as unknown as PipelineEvent, timeMs: Date.parse(time) });
    } catch {
      // A run killed mid-write leaves a torn last line: ignore it.
    }
  }
  return out;
}

/** Builds the report of `runId` from its ledger entries (and events, if kept). */
export function reportFromLedger(params: {
  runId: string;
  entries: readonly LedgerEntry[];
  events?: ReadonlyArray<{ event: PipelineEvent; timeMs: number }>;
  config: unknown;
  collector?: ReportCollectorOptions;
  now?: number;
}): RunReport {
  const { runId, entries } = params;
  const now = params.now ?? Date.now();
  const notes: string[] = [];
  let base: RunReport | undefined;
  if (params.events && params.events.length > 0) {
    const collector = createReportCollector(params.collector ?? {});
    for (const { event, timeMs } of params.events) collector.onTimedEvent(event, timeMs);
    base = collector.build({ config: params.config, generatedAt: now });
  } else {
    notes.push(
      'Rebuilt from the ledger only: request, latency and worker charts need the events file (run with --keep-events or reports.keep_events: true).',
    );
  }
  const times = entries.map((e) => e.updatedAt);
  const [lo, hi] = minMax(times);
  const firstMs = base?.startedAt ? Date.parse(base.startedAt) : times.length > 0 ? lo : now;
  const lastMs = times.length > 0 ? hi : firstMs;
  const durationMs = base?.durationMs ?? Math.max(0, lastMs - firstMs);
  const end = Math.max(1, durationMs, lastMs - firstMs);
  const bucketMs = chooseBucketMs(end);

  const counts = { ok: 0, empty: 0, failed: 0, unsupported: 0, rows: 0 };
  const rowsByTable: Record<string, number> = {};
  const outcomes: Array<{
    symbol: string;
    day: string;
    status: GridStatus;
    label: string;
    message?: string;
  }> = [];
  const failed: Array<{ symbol: string; unit: string; failureClass: string; message: string }> = [];
  const samples: Array<[number, number]> = [];
  for (const e of entries) {
    const status: GridStatus = e.status === 'rewriting' ? 'pending' : e.status;
    const label = `${e.dataType} ${e.symbol} ${e.tradeDate} via ${e.provider}`;
    outcomes.push({
      symbol: e.symbol,
      day: e.tradeDate,
      status,
      label,
      ...(e.errorMessage ? { message: e.errorMessage } : {}),
    });
    if (e.status !== 'rewriting') counts[e.status]++;
    counts.rows += e.rows;
    const table = e.dataType.startsWith('bars') ? 'bars' : e.dataType;
    if (e.rows > 0) rowsByTable[table] = (rowsByTable[table] ?? 0) + e.rows;
    samples.push([e.updatedAt - firstMs, e.rows]);
    if (e.status === 'failed' || e.status === 'unsupported') {
      failed.push({
        symbol: e.symbol,
        unit: label,
        failureClass:
          e.status === 'unsupported'
            ? 'unsupported'
            : classifyFailure({ code: e.errorCode ?? 'INTERNAL', retryable: false }),
        message: e.errorMessage ?? e.errorCode ?? e.status,
      });
    }
  }
  const symbols = new Set(entries.map((e) => e.symbol));
  const failedSymbols = new Set(
    entries.filter((e) => e.status !== 'ok' && e.status !== 'empty').map((e) => e.symbol),
  );
  return {
    version: 1,
    runId,
    source: base ? 'ledger+events' : 'ledger',
    generatedAt: new Date(now).toISOString(),
    startedAt: new Date(firstMs).toISOString(),
    finishedAt: new Date(firstMs + durationMs).toISOString(),
    durationMs,
    interrupted: base?.interrupted ?? false,
    totals: {
      symbols: symbols.size,
      symbolsOk: symbols.size - failedSymbols.size,
      unitsPlanned: base?.totals.unitsPlanned ?? entries.length,
      unitsSkipped: base?.totals.unitsSkipped ?? 0,
      ok: counts.ok,
      empty: counts.empty,
      failed: counts.failed,
      unsupported: counts.unsupported,
      rowsWritten: counts.rows,
      rowsByTable,
      requests: base?.totals.requests ?? 0,
      retries: base?.totals.retries ?? 0,
    },
    throughput: {
      bucketMs,
      rowsPerSecond: bucketRates(samples, end, bucketMs),
      unitsPerSecond: bucketRates(
        samples.map(([t]) => [t, 1] as const),
        end,
        bucketMs,
      ),
    },
    requestWindowMs: base?.requestWindowMs ?? 60_000,
    requests: base?.requests ?? [],
    latency: base?.latency ?? [],
    retriesByClass: base?.retriesByClass ?? {},
    grid: buildGrid(outcomes),
    failures: groupFailures(failed),
    workers: base?.workers ?? [],
    config: params.config,
    notes,
  };
}

/** [min, max] without spreading a large array into arguments. */
function minMax(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
