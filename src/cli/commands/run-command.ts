/**
 * `tickpipe run`: plan and ingest. Prints what it is about to do, progress, and ends with
 * `Data ingestion completed. Successful: N/M` and the failed symbols with their reasons.
 */
import { productionDeps } from '../../pipeline/production-deps.js';
import { DEFAULT_DATA_TYPES, REQUESTED_DATA_TYPES, type RequestedDataType } from '../../domain/data-type.js';
import { parseDateRange } from '../../domain/dates.js';
import { parseTickerList, type Ticker } from '../../domain/ticker.js';
import { IngestError } from '../../errors.js';
import type { RunSummary } from '../../pipeline/events.js';
import { createPipeline, type PreparedRun } from '../../pipeline/create-pipeline.js';
import { pipelineOptionsFromConfig } from '../../pipeline/pipeline-options.js';
import type { RunOptions } from '../../pipeline/run-options.js';
import { resolveRouting } from '../../pipeline/routing.js';
import { formatCount, formatDuration } from '../../report/format.js';
import { describeStore } from '../../storage/create-store.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, loggerFor, openStore, reporterFor, type CommonFlags } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { learnedLimitsPath, readLearnedLimits, writeLearnedLimits } from '../learned-limits-file.js';
import { readFileSync } from 'node:fs';
import { createRunObservers } from '../../report/run-observers.js';
import { setMaxListeners } from 'node:events';
import type { LoadedConfig } from '../../config/load-config.js';
import { createMemoryStore } from '../../storage/memory/memory-store.js';
import { createStore } from '../../storage/create-store.js';
import type { Store } from '../../storage/store.js';

/** Flags of `tickpipe run` as commander parses them. */
export interface RunFlags extends CommonFlags {
  symbols?: string[];
  startDate?: string;
  endDate?: string;
  workers?: string;
  maxWorkers?: string;
  dataTypes?: string;
  provider?: string;
  resume?: boolean;
  dryRun?: boolean;
  priority?: string[];
  includeDelisted?: boolean;
  logFormat?: string;
  graceMs?: string;
  /** `--no-report` sets false. */
  report?: boolean;
  reportDir?: string;
  keepEvents?: boolean;
  metricsPort?: string;
}

/** How long in-flight units may finish after Ctrl-C before they are aborted. */
const DEFAULT_GRACE_MS = 10_000;

/**
 * The run flags that set config keys, as config overrides: the loader merges them over file and
 * environment (defaults < file < environment < flags) and validates them with everything else.
 * Throws `USAGE` naming the flag when a value cannot be read at all.
 */
export function runFlagOverrides(flags: RunFlags): Record<string, unknown> {
  const ingestion: Record<string, unknown> = {};
  if (flags.workers !== undefined) {
    const workers = flags.workers === 'auto' ? 'auto' : parsePositiveInt(flags.workers, '--workers');
    if (workers !== 'auto' && workers > 1024)
      throw new IngestError('USAGE', `--workers: at most 1024, found ${workers}`);
    ingestion.workers = workers;
  }
  if (flags.maxWorkers !== undefined)
    ingestion.max_workers = parsePositiveInt(flags.maxWorkers, '--max-workers');
  if (flags.dataTypes !== undefined) ingestion.data_types = parseDataTypes(flags.dataTypes);
  if (flags.priority !== undefined) ingestion.priority = flags.priority;
  if (flags.includeDelisted !== undefined) ingestion.include_delisted = flags.includeDelisted;
  return Object.keys(ingestion).length > 0 ? { ingestion } : {};
}

/** Loads the config of a run: common flags and run flags merged once, by the loader. */
export function loadForRun(io: CliIo, flags: RunFlags): LoadedConfig {
  return loadForCommand(io, flags, runFlagOverrides(flags));
}

/**
 * Run options from the flags that are not config keys (symbols, dates, resume, provider) and the
 * config the flags were merged into (`loadForRun`); routing is resolved here, once. Throws
 * `USAGE` naming the flag.
 */
export function resolveRunOptions(flags: RunFlags, loaded: LoadedConfig): RunOptions {
  const cfg = loaded.config;
  if (!flags.symbols || flags.symbols.length === 0) {
    throw new IngestError('USAGE', '--symbols is required: ALL or a list such as 600000.SH 000001.SZ');
  }
  if (!flags.startDate || !flags.endDate)
    throw new IngestError('USAGE', '--start-date and --end-date are required');
  const range = parseDateRange(flags.startDate, flags.endDate);
  const joined = flags.symbols.join(' ').trim();
  if (joined.split(/[\s,]+/).every((s) => s.length === 0)) {
    throw new IngestError(
      'USAGE',
      '--symbols: no symbol given (expected ALL or a list such as 600000.SH 000001.SZ)',
    );
  }
  const symbols: readonly Ticker[] | 'ALL' = /^all$/i.test(joined) ? 'ALL' : parseTickerList(flags.symbols);
  const requested = [...cfg.ingestion.data_types];
  const priority = parseTickerList(
    cfg.ingestion.priority.flatMap((v) => (v.startsWith('@') ? readPriorityFile(v.slice(1)) : [v])),
  );
  // Routing problems (unknown or unconfigured provider) surface here, before any store is opened.
  const routing = resolveRouting({
    config: cfg,
    statuses: loaded.providers,
    requested,
    ...(flags.provider !== undefined ? { onlyProvider: flags.provider } : {}),
  });
  return {
    symbols,
    range,
    requested,
    routing,
    workers: cfg.ingestion.workers,
    maxWorkers: cfg.ingestion.max_workers,
    resume: flags.resume !== false,
    includeDelisted: cfg.ingestion.include_delisted,
    priority,
  };
}

function readPriorityFile(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((line) => line.replace(/#.*$/, ''))
      .flatMap((line) => line.split(/[\s,]+/))
      .filter((s) => s.length > 0);
  } catch (e) {
    throw new IngestError('USAGE', `--priority @${path}: cannot read the file (${(e as Error).message})`);
  }
}

/** Parses `--data-types` (comma list). */
export function parseDataTypes(value: string): RequestedDataType[] {
  const parts = value.split(/[\s,]+/).filter((s) => s.length > 0);
  const bad = parts.filter((p) => !(REQUESTED_DATA_TYPES as readonly string[]).includes(p));
  if (bad.length > 0 || parts.length === 0) {
    throw new IngestError(
      'USAGE',
      `--data-types: unknown ${bad.map((b) => `"${b}"`).join(', ') || 'empty list'} (expected a comma list of ${REQUESTED_DATA_TYPES.join(', ')})`,
    );
  }
  return [...new Set(parts)] as RequestedDataType[];
}

function parsePositiveInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new IngestError(
      'USAGE',
      `${flag}: expected a positive integer${flag === '--workers' ? ' or auto' : ''}, found "${value}"`,
    );
  }
  return Number(value);
}

/** Runs `tickpipe run`; returns the exit code. */
export async function runCommand(
  flags: RunFlags,
  io: CliIo,
  onlyUnits?: ReadonlySet<string>,
): Promise<ExitCode> {
  const loaded = loadForRun(io, flags);
  const options: RunOptions = { ...resolveRunOptions(flags, loaded), ...(onlyUnits ? { onlyUnits } : {}) };
  const redact = (s: string) => loaded.redactor.redact(s);
  const format = flags.logFormat ?? (io.isTty ? 'pretty' : 'plain');
  // With NDJSON on stdout, human lines go to stderr so stdout stays machine-readable.
  const say = (line: string) => (format === 'json' ? io.stderr(redact(line)) : io.stdout(redact(line)));
  const reporter = reporterFor(io, format, redact);
  const limitsPath = learnedLimitsPath(loaded.config);

  const stop = new AbortController();
  const abort = new AbortController();
  // Every waiting request listens on these; hundreds of waiters are normal.
  setMaxListeners(0, stop.signal, abort.signal);
  const graceMs =
    flags.graceMs !== undefined ? parseNonNegativeInt(flags.graceMs, '--grace-ms') : DEFAULT_GRACE_MS;
  const metricsPort = flags.metricsPort !== undefined ? parsePort(flags.metricsPort) : undefined;
  // Emulator tests shorten the providers' "minute" (README "Testing": TICKPIPE_RATE_WINDOW_MS).
  const rateWindowMs = io.env.TICKPIPE_RATE_WINDOW_MS ? Number(io.env.TICKPIPE_RATE_WINDOW_MS) : undefined;
  const observers = flags.dryRun
    ? undefined
    : await createRunObservers({
        loaded,
        display: reporter,
        ...(flags.report === false ? { report: false } : {}),
        ...(flags.reportDir !== undefined ? { reportDir: flags.reportDir } : {}),
        ...(flags.keepEvents ? { keepEvents: true } : {}),
        ...(metricsPort !== undefined ? { metricsPort } : {}),
        ...(rateWindowMs !== undefined ? { windowMs: rateWindowMs } : {}),
        parameters: runParameters(options),
      });
  if (observers?.metricsUrl) say(`Metrics: ${observers.metricsUrl}`);
  let interrupts = 0;
  const unsubscribe = io.onInterrupt?.(() => {
    interrupts++;
    if (interrupts === 1) {
      (observers?.reporter ?? reporter).onEvent({ type: 'run:interrupting', graceMs });
      stop.abort();
      setTimeout(() => abort.abort(), graceMs).unref();
    } else {
      abort.abort();
    }
  });

  const logger = loggerFor(flags, loaded);
  let store: Store;
  try {
    store = flags.dryRun ? await storeForDryRun(loaded) : await openStore(loaded);
  } catch (e) {
    await observers?.finish();
    throw e;
  }
  try {
    const deps = productionDeps(loaded, {
      store: observers ? observers.wrapStore(store) : store,
      reporter: observers?.reporter ?? reporter,
      logger,
      learnedLimits: readLearnedLimits(limitsPath),
      saveLearnedLimits: (limits) => writeLearnedLimits(limitsPath, limits),
      ...(rateWindowMs !== undefined ? { rateWindowMs } : {}),
    });
    const makeProvider = deps.makeProvider;
    if (observers) deps.makeProvider = (name, gate) => makeProvider(name, observers.wrapGate(gate));
    const pipeline = createPipeline(pipelineOptionsFromConfig(loaded), deps);
    if (flags.dryRun) {
      const prepared = await pipeline.prepare(options, abort.signal);
      try {
        printDryRun(prepared, loaded, say);
      } finally {
        await pipeline.closeProviders(prepared.providers);
      }
      return EXIT.OK;
    }
    say(`Ingesting into ${describeStore(loaded.config)}`);
    const summary = await pipeline.run(options, { stop: stop.signal, abort: abort.signal });
    // The report line comes first: the completion line (and the failed symbols) end the output.
    const written = await observers?.finish();
    if (written) say(`Report: ${written.html} (data: ${written.json})`);
    printSummary(summary, say);
    if (summary.interrupted) return EXIT.INTERRUPTED;
    return summary.symbolsOk === summary.symbolsTotal ? EXIT.OK : EXIT.PARTIAL;
  } catch (e) {
    if (stop.signal.aborted && (e as { code?: string }).code === 'ABORTED') return EXIT.INTERRUPTED;
    throw e;
  } finally {
    unsubscribe?.();
    // After a failure the report of what was done is still written (finish is idempotent).
    await observers?.finish().catch(() => undefined);
    await store.close();
    logger.flush();
  }
}

/** The run's parameters as the report shows them. */
function runParameters(options: RunOptions): Record<string, unknown> {
  const symbols = options.symbols === 'ALL' ? 'ALL' : options.symbols;
  return {
    symbols: symbols === 'ALL' || symbols.length <= 100 ? symbols : `${symbols.length} symbols`,
    startDate: options.range.start,
    endDate: options.range.end,
    dataTypes: options.requested,
    workers: options.workers,
    resume: options.resume,
    providers: options.routing.providers,
    includeDelisted: options.includeDelisted,
  };
}

function parseNonNegativeInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value))
    throw new IngestError('USAGE', `${flag}: expected a whole number of ms, found "${value}"`);
  return Number(value);
}

/** Parses `--metrics-port` (0 = any free port); a usage error otherwise. */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) {
    throw new IngestError('USAGE', `--metrics-port: expected a port number 0-65535, found "${value}"`);
  }
  return Number(value);
}

async function storeForDryRun(loaded: LoadedConfig): Promise<Store> {
  // A dry run writes nothing: it reads the ledger if the store exists, else plans from scratch.
  try {
    const store = createStore(loaded.config, { readOnly: true });
    await store.readLedger({});
    return store;
  } catch {
    return createMemoryStore();
  }
}

function printDryRun(prepared: PreparedRun, loaded: LoadedConfig, say: (line: string) => void): void {
  const { plan } = prepared;
  // Symbols of one market share one calendar array: flatten each array once.
  const days = new Set([...new Set(prepared.tradingDays.values())].flat());
  say(`Dry run (nothing is written) — run ${prepared.runId}`);
  for (const w of prepared.warnings) say(`warning: ${w}`);
  const unknown = [...(prepared.unknownSymbols ?? new Map()).values()];
  if (unknown.length > 0) {
    say(`Unknown symbols (their units will fail alone, class not_found): ${unknown.length}`);
    for (const e of unknown.slice(0, 20)) say(`  ${e.message}`);
  }
  say(`Store: ${describeStore(loaded.config)}`);
  const sorted = [...days].sort();
  const dayList = sorted.length <= 12 ? sorted.join(', ') : `${sorted[0]} … ${sorted[sorted.length - 1]}`;
  say(`Symbols: ${formatCount(plan.symbols.length)}; trading days: ${days.size} (${dayList})`);
  say(
    `Routing: ${Object.entries(prepared.routing)
      .map(([t, c]) => `${t} → ${c.join(' > ')}`)
      .join('; ')}`,
  );
  const est = plan.estimate;
  const unservable = est.unservable.reduce((n, u) => n + u.units, 0);
  say(
    `Units: ${formatCount(est.units)} to do in ${formatCount(est.jobs)} job(s); ${formatCount(est.skipped)} already done; ${formatCount(unservable)} unservable` +
      (est.notListed > 0 ? `; ${formatCount(est.notListed)} not listed (recorded empty, no call)` : ''),
  );
  for (const e of prepared.estimate) {
    const endpoints = Object.entries(e.perEndpoint)
      .map(([name, n]) => `${name} ${formatCount(n)}`)
      .join(', ');
    say(
      `  ${e.provider}: ~${formatCount(e.calls)} data call(s) (${endpoints})` +
        (e.requestsPerMinute
          ? `; under the per-minute limits at least ${formatDuration(e.minDurationMs)}`
          : ' (no rate limit)'),
    );
  }
  // The first jobs only: the plan is a lazy stream, never built whole.
  let shown = 0;
  for (const j of plan.jobs()) {
    if (shown++ >= 10) break;
    say(`  job ${j.id}: ${[...new Set(j.units.map((u) => u.dataType))].join(', ')}`);
  }
  if (est.jobs > 10) say(`  … and ${formatCount(est.jobs - 10)} more job(s)`);
}

/** Prints the end-of-run summary: the fixed completion line, then failures grouped by class. */
export function printSummary(summary: RunSummary, say: (line: string) => void): void {
  if (summary.unitsPlanned === 0 && summary.unitsSkipped > 0 && !summary.interrupted) {
    say(
      `Nothing new to ingest: all ${formatCount(summary.unitsSkipped)} unit(s) are already done (use --no-resume to re-ingest).`,
    );
  }
  if (summary.interrupted)
    say('Interrupted: work done so far is kept; run the same command again to resume.');
  say(`Data ingestion completed. Successful: ${summary.symbolsOk}/${summary.symbolsTotal}`);
  if (summary.failedSymbols.length === 0) return;
  const byClass = new Map<string, typeof summary.failedSymbols>();
  for (const f of summary.failedSymbols) {
    const cls = f.failureClasses[0] ?? 'failed';
    byClass.set(cls, [...(byClass.get(cls) ?? []), f]);
  }
  say(`Failed symbols (${summary.failedSymbols.length}):`);
  for (const [cls, list] of byClass) {
    say(`  ${cls} (${list.length}):`);
    for (const f of list) {
      const more = f.reasons.length > 2 ? ` (+${f.reasons.length - 2} more)` : '';
      say(`    ${f.symbol}: ${f.reasons.slice(0, 2).join('; ')}${more}`);
    }
  }
}

/** The default `--data-types`, for help texts. */
export const DEFAULT_DATA_TYPES_TEXT = DEFAULT_DATA_TYPES.join(',');
