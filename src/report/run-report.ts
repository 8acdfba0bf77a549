/**
 * The run report (`RUN_ID.json`, rendered as `RUN_ID.html`): where a run's time and quota went
 * and which symbol-days failed and why. Built from the pipeline's events by
 * `createReportCollector`, or from the ledger (and a kept events file) by `tickpipe report`.
 * Plain data: every field is JSON.
 */

/** Status of one symbol-day cell of the grid: the worst status among its data types. */
export type GridStatus = 'ok' | 'empty' | 'failed' | 'unsupported' | 'pending';

/** One point of a time series; `t` is ms since the run started. */
export interface SeriesPoint {
  t: number;
  value: number;
}

/** Requests of one provider endpoint over a rolling window, against its limit. */
export interface RequestSeries {
  provider: string;
  endpoint: string;
  /** Requests sent in the whole run. */
  total: number;
  /** Most requests per window allowed for all keys together (per-key limit × keys used); absent = unlimited. */
  limitPerWindow?: number;
  /** Requests in the rolling window ending at `t`. */
  points: SeriesPoint[];
}

/** Latency of one provider endpoint, ms. */
export interface LatencyStats {
  provider: string;
  endpoint: string;
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Total time requests waited for a rate-limit slot, ms, and how many waited at all. */
  waitedMs: number;
  waited: number;
}

/** Failed units of one failure class. */
export interface FailureGroup {
  /** `not_found`, `transient`, `rate_limited`, `unsupported`, ... */
  failureClass: string;
  units: number;
  symbols: number;
  /** Distinct reasons, most frequent first, with an example unit. */
  reasons: Array<{ message: string; units: number; example: string }>;
}

/** The report. */
export interface RunReport {
  /** Format version of this JSON. */
  version: 1;
  runId: string;
  /** What it was built from. */
  source: 'events' | 'ledger' | 'ledger+events';
  generatedAt: string;
  /** ISO time of the first and last recorded activity. */
  startedAt?: string;
  finishedAt?: string;
  durationMs: number;
  interrupted: boolean;
  totals: {
    symbols: number;
    symbolsOk: number;
    unitsPlanned: number;
    unitsSkipped: number;
    ok: number;
    empty: number;
    failed: number;
    unsupported: number;
    rowsWritten: number;
    rowsByTable: Record<string, number>;
    requests: number;
    retries: number;
  };
  /** Rows/s and units/s per bucket; `bucketMs` is the bucket width. */
  throughput: { bucketMs: number; rowsPerSecond: SeriesPoint[]; unitsPerSecond: SeriesPoint[] };
  /** Rolling window used by `requests` (the providers' rate-limit window), ms. */
  requestWindowMs: number;
  requests: RequestSeries[];
  latency: LatencyStats[];
  /** Failed attempts that were retried, by failure class. */
  retriesByClass: Record<string, number>;
  grid: {
    symbols: string[];
    days: string[];
    /** `cells[i][j]`: status of symbols[i] on days[j]; null = no unit that day. */
    cells: Array<Array<GridStatus | null>>;
    /** Per-cell detail for non-ok cells, keyed `symbol|day`. */
    details: Record<string, string>;
  };
  failures: FailureGroup[];
  /** Worker count over time (fixed runs: one point). */
  workers: SeriesPoint[];
  /** Run parameters and the resolved configuration, secrets redacted. */
  config: unknown;
  /** Notes for the reader (e.g. sections that could not be rebuilt). */
  notes: string[];
}

/** Worst-first order of grid statuses. */
const SEVERITY: Record<GridStatus, number> = { failed: 4, pending: 3, unsupported: 2, empty: 1, ok: 0 };

/** The worse of two cell statuses. */
export function worseStatus(a: GridStatus | null, b: GridStatus): GridStatus {
  if (a === null) return b;
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

/** Nearest-rank percentile of sorted values (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/**
 * Counts, at `samples` evenly spaced times over [0, end], the timestamps in the window
 * (t - windowMs, t]. `times` must be sorted ascending.
 */
export function rollingCounts(
  times: readonly number[],
  windowMs: number,
  end: number,
  samples = 120,
): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  const n = Math.max(2, samples);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const t = Math.round((end * i) / (n - 1));
    while (hi < times.length && (times[hi] as number) <= t) hi++;
    while (lo < hi && (times[lo] as number) <= t - windowMs) lo++;
    points.push({ t, value: hi - lo });
  }
  return points;
}

/** Per-second rates of `(t, amount)` samples in `bucketMs` buckets over [0, end]. */
export function bucketRates(
  samples: ReadonlyArray<readonly [number, number]>,
  end: number,
  bucketMs: number,
): SeriesPoint[] {
  const count = Math.max(1, Math.ceil(end / bucketMs));
  const sums = new Array<number>(count).fill(0);
  for (const [t, amount] of samples) {
    const i = Math.min(count - 1, Math.max(0, Math.floor(t / bucketMs)));
    sums[i] = (sums[i] as number) + amount;
  }
  return sums.map((s, i) => ({ t: (i + 1) * bucketMs, value: s / (bucketMs / 1000) }));
}

/** A bucket width giving about 60 buckets, at least 1 s, rounded to a readable step. */
export function chooseBucketMs(durationMs: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);
  const target = durationMs / 60;
  return steps.find((s) => s >= target) ?? 3_600_000;
}

/** Groups failed units by class and reason. */
export function groupFailures(
  failed: ReadonlyArray<{ symbol: string; unit: string; failureClass: string; message: string }>,
): FailureGroup[] {
  const byClass = new Map<
    string,
    { symbols: Set<string>; units: number; reasons: Map<string, { units: number; example: string }> }
  >();
  for (const f of failed) {
    const g = byClass.get(f.failureClass) ?? { symbols: new Set(), units: 0, reasons: new Map() };
    g.units++;
    g.symbols.add(f.symbol);
    const r = g.reasons.get(f.message) ?? { units: 0, example: f.unit };
    r.units++;
    // The smallest label, so the report does not depend on the order outcomes arrived in.
    if (f.unit < r.example) r.example = f.unit;
    g.reasons.set(f.message, r);
    byClass.set(f.failureClass, g);
  }
  return [...byClass]
    .map(([failureClass, g]) => ({
      failureClass,
      units: g.units,
      symbols: g.symbols.size,
      reasons: [...g.reasons]
        .map(([message, r]) => ({ message, units: r.units, example: r.example }))
        .sort((a, b) => b.units - a.units || a.message.localeCompare(b.message)),
    }))
    .sort((a, b) => b.units - a.units || a.failureClass.localeCompare(b.failureClass));
}
