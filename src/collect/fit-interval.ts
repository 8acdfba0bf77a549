/**
 * Quota fitting for `tickpipe collect`: a snapshot costs a burst of provider requests, so the
 * polling interval must let `requests per snapshot × snapshots per window` fit every endpoint's
 * limit (per API key × keys, as the request gate counts them). When the requested interval does
 * not fit, the smallest interval that does is chosen.
 */

/** Parameters of {@link fitInterval}. */
export interface FitIntervalParams {
  requestedMs: number;
  /** Requests per snapshot, per endpoint. */
  requestsPerSnapshot: Readonly<Record<string, number>>;
  /** Requests per window per key, per endpoint (undefined = unlimited). */
  limits: Readonly<Record<string, number | undefined>>;
  /** API keys the gate rotates (limits are per key). */
  keyCount: number;
  /** The gate's window, ms (a minute plus its margin). */
  windowMs: number;
}

/** The fitted interval. */
export interface FittedInterval {
  intervalMs: number;
  /** True when the requested interval did not fit. */
  raised: boolean;
  /** Requests per minute at the fitted interval, summed over endpoints. */
  requestsPerMinute: number;
  /** The endpoint whose limit decided the interval, when raised. */
  bindingEndpoint?: string;
  /** The smallest interval every limit allows, ms. */
  minimumMs: number;
}

/** Granularity of a raised interval, ms (keeps the figure readable). */
const STEP_MS = 100;

/**
 * Smallest interval at which `n` requests per snapshot fit `limit` per `windowMs`: a sliding
 * window of length W holds at most ⌊W/I⌋+1 snapshots, so with k = ⌊limit/n⌋ snapshots allowed
 * per window the interval must exceed W/k. A snapshot larger than the limit itself is spread over
 * ⌈n/limit⌉ windows.
 */
export function minimumIntervalMs(n: number, limit: number, windowMs: number): number {
  if (n <= 0) return 0;
  const k = Math.floor(limit / n);
  const raw = k >= 1 ? Math.floor(windowMs / k) + 1 : Math.ceil(n / limit) * windowMs;
  return Math.ceil(raw / STEP_MS) * STEP_MS;
}

/** Fits the interval to every limit. */
export function fitInterval(p: FitIntervalParams): FittedInterval {
  let minimumMs = 0;
  let binding: string | undefined;
  for (const [endpoint, n] of Object.entries(p.requestsPerSnapshot)) {
    const perKey = p.limits[endpoint];
    if (perKey === undefined) continue;
    const need = minimumIntervalMs(n, perKey * Math.max(1, p.keyCount), p.windowMs);
    if (need > minimumMs) {
      minimumMs = need;
      binding = endpoint;
    }
  }
  const raised = p.requestedMs < minimumMs;
  const intervalMs = raised ? minimumMs : p.requestedMs;
  const total = Object.values(p.requestsPerSnapshot).reduce((a, b) => a + b, 0);
  return {
    intervalMs,
    raised,
    requestsPerMinute: (total * 60_000) / intervalMs,
    minimumMs,
    ...(raised && binding !== undefined ? { bindingEndpoint: binding } : {}),
  };
}

/** Parses `--interval`: `3s`, `500ms`, `1m`, or a bare number of seconds. */
export function parseIntervalMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  if (m === null) return undefined;
  const value = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const ms = Math.round(unit === 'ms' ? value : unit === 'm' ? value * 60_000 : value * 1000);
  return ms > 0 ? ms : undefined;
}
