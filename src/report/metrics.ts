/**
 * Prometheus metrics of a run or a worker (`--metrics-port`), fed by the pipeline's typed
 * events: `createPipelineMetrics()` is a reporter that updates prom-client instruments in its
 * own registry (no global registry, so several pipelines in one process stay apart), and
 * `startMetricsServer()` serves that registry on `http://127.0.0.1:PORT/metrics`. Both are
 * reusable by any command that runs units (`run`, `worker`).
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { classifyFailure } from '../limits/retry-policy.js';
import type { PipelineEvent, Reporter } from '../pipeline/events.js';

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const WAIT_BUCKETS_S = [0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Metrics of one pipeline: a reporter plus hooks for what events do not carry. */
export interface PipelineMetrics extends Reporter {
  registry: Registry;
  /** Records one store write (`tickpipe_store_write_duration_seconds`). */
  observeStoreWrite(params: { store: string; durationMs: number; ok: boolean }): void;
}

/** Creates the instruments in a fresh registry (with process metrics unless `processMetrics: false`). */
export function createPipelineMetrics(
  options: { processMetrics?: boolean; labels?: Record<string, string> } = {},
): PipelineMetrics {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.processMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'tickpipe_process_' });
  const registers = [registry];
  const units = new Counter({
    name: 'tickpipe_units_total',
    help: 'Work units finished, by status (ok, empty, failed, unsupported) and data type.',
    labelNames: ['status', 'data_type', 'provider'],
    registers,
  });
  const planned = new Gauge({
    name: 'tickpipe_units_planned',
    help: 'Units the current run plans to do.',
    registers,
  });
  const done = new Gauge({
    name: 'tickpipe_units_done',
    help: 'Units of the current run finished so far.',
    registers,
  });
  const rows = new Counter({
    name: 'tickpipe_rows_written_total',
    help: 'Rows written, by table.',
    labelNames: ['table'],
    registers,
  });
  const requests = new Counter({
    name: 'tickpipe_provider_requests_total',
    help: 'HTTP (or simulated) requests sent to providers, by provider and endpoint.',
    labelNames: ['provider', 'endpoint'],
    registers,
  });
  const calls = new Counter({
    name: 'tickpipe_provider_calls_total',
    help: 'Provider calls (one attempt of a fetch), by outcome: ok or the failure class (rate_limited, transient, not_found, ...).',
    labelNames: ['provider', 'data_type', 'outcome'],
    registers,
  });
  const latency = new Histogram({
    name: 'tickpipe_provider_request_duration_seconds',
    help: 'Time from sending a provider request to its answer, seconds.',
    labelNames: ['provider', 'endpoint'],
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  const waits = new Counter({
    name: 'tickpipe_rate_limit_waits_total',
    help: 'Requests that had to wait for a rate-limit slot.',
    labelNames: ['provider', 'endpoint'],
    registers,
  });
  const waitSeconds = new Histogram({
    name: 'tickpipe_rate_limit_wait_seconds',
    help: 'Time requests waited for a rate-limit slot (only those that waited), seconds.',
    labelNames: ['provider', 'endpoint'],
    buckets: WAIT_BUCKETS_S,
    registers,
  });
  const retries = new Counter({
    name: 'tickpipe_retries_total',
    help: 'Failed attempts that are retried, by provider and failure class.',
    labelNames: ['provider', 'class'],
    registers,
  });
  const inFlight = new Gauge({
    name: 'tickpipe_workers_in_flight',
    help: 'Jobs being worked on right now.',
    registers,
  });
  const workers = new Gauge({
    name: 'tickpipe_workers',
    help: 'Current worker limit (adaptive with --workers auto).',
    registers,
  });
  const circuit = new Gauge({
    name: 'tickpipe_circuit_open',
    help: '1 while the provider circuit breaker is open (failing fast), else 0.',
    labelNames: ['provider'],
    registers,
  });
  const storeWrites = new Histogram({
    name: 'tickpipe_store_write_duration_seconds',
    help: 'Duration of store writes (one per job), seconds.',
    labelNames: ['store', 'outcome'],
    buckets: LATENCY_BUCKETS_S,
    registers,
  });

  const onEvent = (e: PipelineEvent): void => {
    switch (e.type) {
      case 'run:started':
        planned.set(e.units);
        done.set(0);
        if (typeof e.workers === 'number') workers.set(e.workers);
        return;
      case 'unit:succeeded': {
        units.inc({ status: e.status, data_type: e.unit.dataType, provider: e.unit.provider });
        const table = e.unit.dataType.startsWith('bars') ? 'bars' : e.unit.dataType;
        if (e.rows > 0) rows.inc({ table }, e.rows);
        return;
      }
      case 'unit:failed':
        units.inc({ status: e.status, data_type: e.unit.dataType, provider: e.unit.provider });
        return;
      case 'unit:retrying':
        retries.inc({ provider: e.provider, class: classifyFailure(e.error) });
        return;
      case 'provider:request':
        requests.inc({ provider: e.provider, endpoint: e.endpoint });
        latency.observe({ provider: e.provider, endpoint: e.endpoint }, e.latencyMs / 1000);
        if (e.waitMs > 0) {
          waits.inc({ provider: e.provider, endpoint: e.endpoint });
          waitSeconds.observe({ provider: e.provider, endpoint: e.endpoint }, e.waitMs / 1000);
        }
        return;
      case 'provider:answered':
        calls.inc({ provider: e.provider, data_type: e.dataType, outcome: e.outcome });
        return;
      case 'circuit:changed':
        circuit.set({ provider: e.provider }, e.state === 'open' ? 1 : 0);
        return;
      case 'workers:changed':
        workers.set(e.workers);
        return;
      case 'progress':
        done.set(e.unitsDone);
        planned.set(e.unitsTotal);
        inFlight.set(e.inFlight);
        if (e.workers > 0) workers.set(e.workers);
        return;
      case 'run:finished':
        inFlight.set(0);
        return;
      default:
        return;
    }
  };
  return {
    registry,
    onEvent,
    observeStoreWrite: ({ store, durationMs, ok }) =>
      storeWrites.observe({ store, outcome: ok ? 'ok' : 'error' }, durationMs / 1000),
  };
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `registry` on `http://HOST:PORT/metrics` (HOST default 127.0.0.1). Rejects with the
 * listen error (port in use) so the caller can report it as a usage error.
 */
export async function startMetricsServer(params: {
  registry: Registry;
  port: number;
  host?: string;
}): Promise<MetricsServer> {
  const host = params.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    params.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': params.registry.contentType }).end(text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(e)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(params.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The endpoint must not keep a finished run alive.
  server.unref();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : params.port;
  return {
    port,
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
