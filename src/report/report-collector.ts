/**
 * The report collector: a reporter that keeps what the run report needs from the pipeline's
 * typed events (unit outcomes, provider requests, retries, worker changes) and builds the
 * {@link RunReport} at the end. It adds no state to the pipeline; replaying a kept events file
 * through it rebuilds the same report.
 */
import type { PipelineEvent, Reporter, RunSummary } from '../pipeline/events.js';
import { classifyFailure } from '../limits/retry-policy.js';
import {
  bucketRates,
  chooseBucketMs,
  groupFailures,
  percentile,
  rollingCounts,
  worseStatus,
  type GridStatus,
  type LatencyStats,
  type RequestSeries,
  type RunReport,
  type SeriesPoint,
} from './run-report.js';

/** Options of {@link createReportCollector}. */
export interface ReportCollectorOptions {
  /** Time source (epoch ms); events are stamped when received. */
  now?: () => number;
  /** Configured requests per window per API key for (provider, endpoint); undefined = unlimited. */
  limitFor?(provider: string, endpoint: string): number | undefined;
  /** The providers' rate-limit window, ms (default 60 000). */
  windowMs?: number;
}

interface UnitOutcome {
  symbol: string;
  day: string;
  status: GridStatus;
  rows: number;
  label: string;
  failureClass?: string;
  message?: string;
}

interface EndpointData {
  provider: string;
  endpoint: string;
  times: number[];
  latencies: number[];
  waitedMs: number;
  waited: number;
  keys: Set<number>;
}

/** A collector: feed it events (`onEvent`), then `build()` the report. */
export interface ReportCollector extends Reporter {
  /**
   * Feeds an event stamped with its own time (replaying an events file); `onEvent` stamps with
   * `now()`.
   */
  onTimedEvent(event: PipelineEvent, timeMs: number): void;
  /** The run id, once `run:started` was seen. */
  runId(): string | undefined;
  /** Builds the report; `config` is stored as given (pass it redacted). */
  build(params: { config: unknown; generatedAt?: number; notes?: string[] }): RunReport;
}

/** Creates a report collector. */
export function createReportCollector(options: ReportCollectorOptions = {}): ReportCollector {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 60_000;
  let runId: string | undefined;
  let startMs: number | undefined;
  let lastMs: number | undefined;
  let summary: RunSummary | undefined;
  let planned = 0;
  let skipped = 0;
  let retries = 0;
  const retriesByClass: Record<string, number> = {};
  const units = new Map<string, UnitOutcome>();
  const pendingJobs = new Map<string, { symbol: string; days: readonly string[] }>();
  const settled: Array<[number, number]> = [];
  const endpoints = new Map<string, EndpointData>();
  const workers: SeriesPoint[] = [];
  const learned = new Map<string, number>();

  const rel = (t: number) => t - (startMs ?? t);

  function onTimedEvent(e: PipelineEvent, t: number): void {
    if (startMs === undefined) startMs = t;
    lastMs = Math.max(lastMs ?? t, t);
    switch (e.type) {
      case 'run:started':
        runId = e.runId;
        startMs = t;
        planned = e.units;
        skipped = e.skipped;
        if (typeof e.workers === 'number') workers.push({ t: 0, value: e.workers });
        return;
      case 'job:started':
        for (const d of e.tradeDates) pendingJobs.set(`${e.symbol}|${d}`, { symbol: e.symbol, days: [d] });
        return;
      case 'unit:succeeded':
      case 'unit:failed': {
        const u = e.unit;
        const key = `${u.provider}|${u.dataType}|${u.symbol}|${u.tradeDate}`;
        const label = `${u.dataType} ${u.symbol} ${u.tradeDate} via ${u.provider}`;
        if (e.type === 'unit:succeeded') {
          units.set(key, { symbol: u.symbol, day: u.tradeDate, status: e.status, rows: e.rows, label });
          settled.push([rel(t), e.rows]);
        } else {
          units.set(key, {
            symbol: u.symbol,
            day: u.tradeDate,
            status: e.status,
            rows: 0,
            label,
            failureClass: e.status === 'unsupported' ? 'unsupported' : classifyFailure(e.error),
            message: e.error.message,
          });
          settled.push([rel(t), 0]);
        }
        return;
      }
      case 'unit:retrying': {
        retries++;
        const cls = classifyFailure(e.error);
        retriesByClass[cls] = (retriesByClass[cls] ?? 0) + 1;
        return;
      }
      case 'provider:request': {
        const k = `${e.provider}|${e.endpoint}`;
        let d = endpoints.get(k);
        if (!d) {
          d = {
            provider: e.provider,
            endpoint: e.endpoint,
            times: [],
            latencies: [],
            waitedMs: 0,
            waited: 0,
            keys: new Set(),
          };
          endpoints.set(k, d);
        }
        d.times.push(rel(t) - e.latencyMs);
        d.latencies.push(e.latencyMs);
        d.keys.add(e.keyIndex);
        if (e.waitMs > 0) {
          d.waitedMs += e.waitMs;
          d.waited++;
        }
        return;
      }
      case 'rate-limit:learned':
        learned.set(`${e.provider}|${e.endpoint}`, e.limit);
        return;
      case 'workers:changed':
        workers.push({ t: rel(t), value: e.workers });
        return;
      case 'run:finished':
        summary = e.summary;
        return;
      default:
        return;
    }
  }

  function build(params: { config: unknown; generatedAt?: number; notes?: string[] }): RunReport {
    const durationMs = summary?.durationMs ?? Math.max(0, (lastMs ?? 0) - (startMs ?? 0));
    const end = Math.max(durationMs, 1);
    const bucketMs = chooseBucketMs(end);
    settled.sort((a, b) => a[0] - b[0]);

    const requests: RequestSeries[] = [];
    const latency: LatencyStats[] = [];
    for (const d of [...endpoints.values()].sort((a, b) =>
      `${a.provider}|${a.endpoint}`.localeCompare(`${b.provider}|${b.endpoint}`),
    )) {
      const times = [...d.times].sort((a, b) => a - b);
      const configured = options.limitFor?.(d.provider, d.endpoint);
      const learnedLimit = learned.get(`${d.provider}|${d.endpoint}`);
      const perKey =
        configured === undefined
          ? learnedLimit
          : learnedLimit === undefined
            ? configured
            : Math.min(configured, learnedLimit);
      requests.push({
        provider: d.provider,
        endpoint: d.endpoint,
        total: times.length,
        ...(perKey !== undefined ? { limitPerWindow: perKey * Math.max(1, d.keys.size) } : {}),
        points: rollingCounts(times, windowMs, end),
      });
      const lat = [...d.latencies].sort((a, b) => a - b);
      const sum = lat.reduce((a, b) => a + b, 0);
      latency.push({
        provider: d.provider,
        endpoint: d.endpoint,
        count: lat.length,
        meanMs: lat.length > 0 ? sum / lat.length : 0,
        p50Ms: percentile(lat, 50),
        p90Ms: percentile(lat, 90),
        p99Ms: percentile(lat, 99),
        maxMs: lat.length > 0 ? (lat[lat.length - 1] as number) : 0,
        waitedMs: d.waitedMs,
        waited: d.waited,
      });
    }

    const outcomes = [...units.values()];
    const settledCells = new Set(outcomes.map((u) => `${u.symbol}|${u.day}`));
    const pending = [...pendingJobs.entries()]
      .filter(([k]) => !settledCells.has(k))
      .map(([, v]) => ({ symbol: v.symbol, day: v.days[0] as string }));
    const counts = { ok: 0, empty: 0, failed: 0, unsupported: 0, rows: 0 };
    const rowsByTable: Record<string, number> = {};
    for (const [key, u] of units) {
      if (u.status === 'ok' || u.status === 'empty' || u.status === 'failed' || u.status === 'unsupported')
        counts[u.status]++;
      counts.rows += u.rows;
      const dataType = key.split('|')[1] as string;
      const table = dataType.startsWith('bars') ? 'bars' : dataType;
      if (u.rows > 0) rowsByTable[table] = (rowsByTable[table] ?? 0) + u.rows;
    }
    const failed = outcomes
      .filter((u) => u.status === 'failed' || u.status === 'unsupported')
      .map((u) => ({
        symbol: u.symbol,
        unit: u.label,
        failureClass: u.failureClass ?? u.status,
        message: u.message ?? u.status,
      }));
    const symbolSet = new Set([...outcomes.map((u) => u.symbol), ...pending.map((p) => p.symbol)]);
    for (const s of summary?.failedSymbols ?? []) symbolSet.add(s.symbol);

    return {
      version: 1,
      runId: runId ?? summary?.runId ?? 'unknown',
      source: 'events',
      generatedAt: new Date(params.generatedAt ?? now()).toISOString(),
      ...(startMs !== undefined ? { startedAt: new Date(startMs).toISOString() } : {}),
      ...(startMs !== undefined ? { finishedAt: new Date(startMs + durationMs).toISOString() } : {}),
      durationMs,
      interrupted: summary?.interrupted ?? false,
      totals: {
        symbols: summary?.symbolsTotal ?? symbolSet.size,
        symbolsOk: summary?.symbolsOk ?? symbolSet.size - new Set(failed.map((f) => f.symbol)).size,
        unitsPlanned: summary?.unitsPlanned ?? planned,
        unitsSkipped: summary?.unitsSkipped ?? skipped,
        ok: counts.ok,
        empty: counts.empty,
        failed: counts.failed,
        unsupported: counts.unsupported,
        rowsWritten: counts.rows,
        rowsByTable,
        requests: requests.reduce((a, r) => a + r.total, 0),
        retries,
      },
      throughput: {
        bucketMs,
        rowsPerSecond: bucketRates(settled, end, bucketMs),
        unitsPerSecond: bucketRates(
          settled.map(([t]) => [t, 1] as const),
          end,
          bucketMs,
        ),
      },
      requestWindowMs: windowMs,
      requests,
      latency,
      retriesByClass,
      grid: buildGrid(outcomes, pending),
      failures: groupFailures(failed),
      workers,
      config: params.config,
      notes: params.notes ?? [],
    };
  }

  return {
    onEvent: (e) => onTimedEvent(e, now()),
    onTimedEvent,
    runId: () => runId,
    build,
  };
}

/** The symbol × day grid: each cell the worst status of its units, with details of bad cells. */
export function buildGrid(
  outcomes: ReadonlyArray<{
    symbol: string;
    day: string;
    status: GridStatus;
    label?: string;
    message?: string;
  }>,
  pending: ReadonlyArray<{ symbol: string; day: string }> = [],
): RunReport['grid'] {
  const symbols = [...new Set([...outcomes.map((u) => u.symbol), ...pending.map((p) => p.symbol)])].sort();
  const days = [...new Set([...outcomes.map((u) => u.day), ...pending.map((p) => p.day)])].sort();
  const si = new Map(symbols.map((s, i) => [s, i]));
  const di = new Map(days.map((d, i) => [d, i]));
  const cells: Array<Array<GridStatus | null>> = symbols.map(() => days.map(() => null));
  const details: Record<string, string> = {};
  const put = (symbol: string, day: string, status: GridStatus, detail?: string) => {
    const row = cells[si.get(symbol) as number] as Array<GridStatus | null>;
    const j = di.get(day) as number;
    row[j] = worseStatus(row[j] ?? null, status);
    if (detail && status !== 'ok' && status !== 'empty') {
      const k = `${symbol}|${day}`;
      lines.set(k, [...(lines.get(k) ?? []), detail]);
    }
  };
  const lines = new Map<string, string[]>();
  for (const u of outcomes)
    put(u.symbol, u.day, u.status, u.label ? `${u.label}: ${u.message ?? u.status}` : u.message);
  for (const p of pending) put(p.symbol, p.day, 'pending', 'started, not finished');
  // Sorted, so the same outcomes give the same report whatever order they arrived in.
  for (const [k, list] of lines) {
    const sorted = [...new Set(list)].sort();
    details[k] = [...sorted.slice(0, 6), ...(sorted.length > 6 ? [`… ${sorted.length - 6} more`] : [])].join(
      '\n',
    );
  }
  return { symbols, days, cells, details };
}
