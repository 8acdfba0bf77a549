/**
 * Everything that watches a run without steering it: the display reporter, the report
 * collector (RUN_ID.json / RUN_ID.html), the kept events file and the Prometheus endpoint, fed
 * from one fan-out reporter. A command that runs units creates this, passes `reporter`,
 * `wrapGate` and `wrapStore` to the pipeline and calls `finish()` once the run ended (also on
 * failure: a partial report is still a record).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import type { LoadedConfig } from '../config/load-config.js';
import type { RequestGate } from '../limits/request-gate.js';
import type { PipelineEvent, Reporter } from '../pipeline/events.js';
import type { Store } from '../storage/store.js';
import { instrumentGate } from './instrumented-gate.js';
import { instrumentStore } from './instrumented-store.js';
import type { ProgressReporter } from './progress-reporter.js';
import { createPipelineMetrics, startMetricsServer, type MetricsServer } from './metrics.js';
import { createReportCollector } from './report-collector.js';
import { redactValue, reportPaths, writeRunReport } from './write-report.js';
import { IngestError } from '../errors.js';
import { configuredLimit } from '../config/rate-limits.js';

/** Event types only reports and metrics consume (one per provider request: too many to print). */
const OBSERVER_ONLY = new Set<PipelineEvent['type']>(['provider:request', 'provider:answered']);

/** Options of {@link createRunObservers}. */
export interface RunObserversOptions {
  loaded: LoadedConfig;
  /** Prints events (progress bar, plain lines, NDJSON). */
  display: Reporter;
  /** Write RUN_ID.json/html (default: `reports.enabled`). */
  report?: boolean;
  /** Reports directory (default: `reports.dir`). */
  reportDir?: string;
  /** Keep RUN_ID.events.ndjson (default: `reports.keep_events`). */
  keepEvents?: boolean;
  /** Serve Prometheus metrics on 127.0.0.1:PORT. */
  metricsPort?: number;
  /** The providers' rate-limit window, ms (default 60 000). */
  windowMs?: number;
  /** What the run was asked to do, shown in the report next to the config. */
  parameters?: Record<string, unknown>;
  now?: () => number;
}

/** What {@link createRunObservers} returns. */
export interface RunObservers {
  reporter: Reporter;
  wrapGate(gate: RequestGate): RequestGate;
  wrapStore(store: Store): Store;
  /** The metrics URL when `metricsPort` was given. */
  metricsUrl?: string;
  /** Writes the report (if enabled and a run started), closes the events file and the endpoint. */
  finish(): Promise<{ json: string; html: string } | undefined>;
}

/** Creates the observers of one run. Rejects with `USAGE` when the metrics port cannot be bound. */
export async function createRunObservers(options: RunObserversOptions): Promise<RunObservers> {
  const { loaded } = options;
  const cfg = loaded.config;
  const redact = (s: string) => loaded.redactor.redact(s);
  const now = options.now ?? Date.now;
  const reportOn = options.report ?? cfg.reports.enabled;
  const dir = options.reportDir ?? cfg.reports.dir;
  const keepEvents = reportOn && (options.keepEvents ?? cfg.reports.keep_events);
  const collector = createReportCollector({
    now,
    windowMs: options.windowMs ?? 60_000,
    limitFor: (provider, endpoint) => configuredLimit(cfg, provider, endpoint),
  });
  const metrics = options.metricsPort !== undefined ? createPipelineMetrics() : undefined;
  let server: MetricsServer | undefined;
  if (metrics && options.metricsPort !== undefined) {
    try {
      server = await startMetricsServer({ registry: metrics.registry, port: options.metricsPort });
    } catch (e) {
      throw new IngestError(
        'USAGE',
        `--metrics-port ${options.metricsPort}: cannot listen on 127.0.0.1 (${(e as Error).message})`,
      );
    }
  }

  let events: WriteStream | undefined;
  const pendingLines: string[] = [];
  const writeEvent = (e: PipelineEvent) => {
    if (!keepEvents) return;
    const line = redact(JSON.stringify({ time: new Date(now()).toISOString(), ...e }));
    if (events) events.write(`${line}\n`);
    else if (e.type === 'run:started') {
      mkdirSync(dir, { recursive: true });
      events = createWriteStream(reportPaths(dir, e.runId).events);
      for (const l of pendingLines) events.write(`${l}\n`);
      events.write(`${line}\n`);
    } else pendingLines.push(line);
  };

  let finished: Promise<{ json: string; html: string } | undefined> | undefined;
  const reporter: Reporter = {
    onEvent(e) {
      collector.onEvent(e);
      metrics?.onEvent(e);
      writeEvent(e);
      if (!OBSERVER_ONLY.has(e.type)) options.display.onEvent(e);
    },
    close() {
      options.display.close?.();
    },
  };

  return {
    reporter,
    wrapGate: (gate) => instrumentGate(gate, (e) => reporter.onEvent(e), now),
    wrapStore: (store) =>
      instrumentStore(
        store,
        (w) => {
          metrics?.observeStoreWrite(w);
          // The live line says when the store is in trouble (the pipeline retries the write).
          const display = options.display as Partial<ProgressReporter>;
          if (w.ok) display.setCondition?.('store', undefined);
          else
            display.setCondition?.(
              'store',
              redact(`${storeName(w.store)} write failed (${errorText(w.error)}), retrying`),
            );
        },
        now,
      ),
    ...(server ? { metricsUrl: server.url } : {}),
    finish() {
      finished ??= finishOnce();
      return finished;
    },
  };

  async function finishOnce(): Promise<{ json: string; html: string } | undefined> {
    let written: { json: string; html: string } | undefined;
    try {
      if (reportOn && collector.runId() !== undefined) {
        const notes: string[] = [];
        if (keepEvents)
          notes.push(`Every event is kept in ${reportPaths(dir, collector.runId() as string).events}.`);
        const report = collector.build({
          config: redactValue({ parameters: options.parameters ?? {}, config: cfg }, redact),
          notes,
        });
        written = writeRunReport({ dir, report, redact });
      }
    } finally {
      options.display.close?.();
      if (events) await new Promise<void>((resolve) => (events as WriteStream).end(resolve));
      await server?.close();
    }
    return written;
  }
}

function storeName(kind: string): string {
  return kind === 'clickhouse' ? 'ClickHouse' : kind === 'duckdb' ? 'DuckDB' : kind;
}

function errorText(e: unknown): string {
  const message = (e as { message?: unknown } | undefined)?.message;
  const text = typeof message === 'string' ? message : String(e);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
