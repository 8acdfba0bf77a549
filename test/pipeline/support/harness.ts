/**
 * Test-only helpers for pipeline integration tests: a resolved config, a recording reporter,
 * provider and store test doubles that delegate to the real simulator and memory store.
 */
import { resolveConfigDocument, type LoadedConfig } from '../../../src/config/load-config.js';
import type { ProviderName } from '../../../src/config/schema.js';
import type { RequestedDataType } from '../../../src/domain/data-type.js';
import type { RowSet } from '../../../src/domain/rows.js';
import { computeFactors } from '../../../src/factors/compute-factors.js';
import { unitKeyString, type LedgerEntry } from '../../../src/ledger/ledger-entry.js';
import { createPipeline, type PipelineDeps } from '../../../src/pipeline/create-pipeline.js';
import { pipelineOptionsFromConfig } from '../../../src/pipeline/pipeline-options.js';
import { resolveRouting } from '../../../src/pipeline/routing.js';
import type { PipelineEvent, Reporter, RunSummary } from '../../../src/pipeline/events.js';
import type { RequestGate } from '../../../src/limits/request-gate.js';
import type { RunOptions } from '../../../src/pipeline/run-options.js';
import { systemClock } from '../../../src/limits/clock.js';
import { silentLogger } from '../../../src/limits/logger.js';
import {
  type FetchParams,
  type FetchResult,
  type Provider,
  type ProviderCapabilities,
} from '../../../src/providers/provider.js';
import { createSimulatedProvider } from '../../../src/providers/simulated/simulated-provider.js';
import { createMemoryStore } from '../../../src/storage/memory/memory-store.js';
import type { Store, UnitWrite } from '../../../src/storage/store.js';

/** A reporter that keeps every event. */
export interface RecordingReporter extends Reporter {
  events: PipelineEvent[];
  of<T extends PipelineEvent['type']>(type: T): Array<Extract<PipelineEvent, { type: T }>>;
}

/** Creates a {@link RecordingReporter}; `onEvent` also calls `tap` (to abort mid-run). */
export function recordingReporter(tap?: (e: PipelineEvent) => void): RecordingReporter {
  const events: PipelineEvent[] = [];
  return {
    events,
    onEvent(e) {
      events.push(e);
      tap?.(e);
    },
    of: <T extends PipelineEvent['type']>(type: T) =>
      events.filter((e): e is Extract<PipelineEvent, { type: T }> => e.type === type),
  };
}

/** Options of {@link loadTestConfig}. */
export interface TestConfigOptions {
  universeSize?: number;
  seed?: number;
  latencyMs?: number;
  failRate?: number;
  maxAttempts?: number;
  workers?: number | 'auto';
  maxWorkers?: number;
  routing?: Partial<Record<RequestedDataType, ProviderName[]>>;
  yahooEnabled?: boolean;
}

/** A config as the loader resolves it (no file, no environment). */
export function loadTestConfig(o: TestConfigOptions = {}): LoadedConfig {
  const doc = {
    providers: {
      simulated: {
        enabled: true,
        // Seed 11: no run of 5 consecutive faults at fail_rate 0.2, so the breaker stays closed.
        seed: o.seed ?? 11,
        universe_size: o.universeSize ?? 12,
        latency_ms: o.latencyMs ?? 0,
        fail_rate: o.failRate ?? 0,
        book_levels: 5,
      },
      tushare: { enabled: false },
      yahoo: { enabled: o.yahooEnabled ?? false },
    },
    ...(o.routing ? { routing: o.routing } : {}),
    ingestion: {
      workers: o.workers ?? 8,
      max_workers: o.maxWorkers ?? 16,
      retry: { max_attempts: o.maxAttempts ?? 5, base_delay_ms: 1, max_delay_ms: 2 },
    },
  };
  return resolveConfigDocument(doc, { env: {} });
}

/** The simulator built from a loaded config. */
export function simulatorFor(loaded: LoadedConfig, gate: RequestGate): Provider {
  return createSimulatedProvider(loaded.config.providers.simulated, {
    fetch: globalThis.fetch,
    gate,
    now: () => Date.now(),
    logger: silentLogger,
  });
}

/** Run options over the simulator's universe for two trading days (2025-06-05, 2025-06-06). */
export function runOptions(loaded: LoadedConfig, over: Partial<RunOptions> = {}): RunOptions {
  const requested = over.requested ?? loaded.config.ingestion.data_types;
  return {
    symbols: 'ALL',
    range: { start: '2025-06-05', end: '2025-06-06' },
    requested,
    routing: resolveRouting({ config: loaded.config, statuses: loaded.providers, requested }),
    workers: loaded.config.ingestion.workers,
    maxWorkers: loaded.config.ingestion.max_workers,
    resume: true,
    includeDelisted: false,
    priority: [],
    ...over,
  };
}

/** Never-aborting run signals. */
export function quietSignals(): { stop: AbortSignal; abort: AbortSignal } {
  return { stop: new AbortController().signal, abort: new AbortController().signal };
}

/** Builds a pipeline with the simulator (or `makeProvider`), a memory store (or `store`) and a recorder. */
export function buildPipeline(
  loaded: LoadedConfig,
  over: Partial<PipelineDeps> & { reporter?: Reporter } = {},
): { pipeline: ReturnType<typeof createPipeline>; store: Store; reporter: Reporter } {
  const store = over.store ?? createMemoryStore();
  const reporter = over.reporter ?? recordingReporter();
  const deps: PipelineDeps = {
    makeProvider: (_name, gate) => simulatorFor(loaded, gate),
    clock: systemClock,
    random: () => 0.5,
    logger: silentLogger,
    computeFactors,
    ...over,
    store,
    reporter,
  };
  return { pipeline: createPipeline(pipelineOptionsFromConfig(loaded), deps), store, reporter };
}

/** Runs once with quiet signals. */
export async function runOnce(
  loaded: LoadedConfig,
  store: Store,
  reporter: RecordingReporter,
  over: Partial<PipelineDeps> = {},
  options: Partial<RunOptions> = {},
): Promise<RunSummary> {
  const { pipeline } = buildPipeline(loaded, { ...over, store, reporter });
  return pipeline.run(runOptions(loaded, options), quietSignals());
}

/** Identity columns of each data table (SPEC §3). */
export const IDENTITY: Readonly<Record<string, readonly string[]>> = {
  ticks: ['symbol', 'ts', 'seq', 'source'],
  bars: ['symbol', 'interval', 'ts', 'source'],
  order_book: ['symbol', 'ts', 'source'],
  factors: ['symbol', 'ts', 'factor', 'source'],
};

/** Row count and distinct identity count per table. */
export async function tableCounts(store: Store): Promise<Record<string, { rows: number; distinct: number }>> {
  const out: Record<string, { rows: number; distinct: number }> = {};
  for (const [table, cols] of Object.entries(IDENTITY)) {
    const r = await store.query({ sql: `SELECT ${cols.join(', ')} FROM ${table}` });
    out[table] = { rows: r.rows.length, distinct: new Set(r.rows.map((row) => JSON.stringify(row))).size };
  }
  return out;
}

/** (table, symbol, trade_date, source[, interval]) slices that hold rows. */
export async function storedSlices(store: Store): Promise<Set<string>> {
  const out = new Set<string>();
  for (const table of Object.keys(IDENTITY)) {
    const cols = table === 'bars' ? 'symbol, trade_date, source, interval' : 'symbol, trade_date, source';
    const r = await store.query({ sql: `SELECT ${cols} FROM ${table}` });
    for (const row of r.rows) {
      const [symbol, tradeDate, source, interval] = row as [string, string, string, string | undefined];
      const dataType = table === 'bars' ? `bars_${interval}` : table === 'order_book' ? 'order_book' : table;
      out.add(`${source}|${dataType}|${symbol}|${tradeDate}`);
    }
  }
  return out;
}

/** Latest ledger entries by unit key. */
export async function ledgerByUnit(store: Store): Promise<Map<string, LedgerEntry>> {
  const entries = await store.readLedger();
  return new Map(entries.map((e) => [unitKeyString(e), e]));
}

/** Replaces `source` in every row: a simulator re-badged as another provider. */
function withSource(rows: RowSet, source: string): RowSet {
  const re = <T extends { source: string }>(list: T[] | undefined): T[] | undefined =>
    list?.map((r) => ({ ...r, source }));
  const out: RowSet = {};
  if (rows.ticks) out.ticks = re(rows.ticks) as RowSet['ticks'];
  if (rows.bars) out.bars = re(rows.bars) as RowSet['bars'];
  if (rows.books) out.books = re(rows.books) as RowSet['books'];
  if (rows.factors) out.factors = re(rows.factors) as RowSet['factors'];
  if (rows.adjFactors) out.adjFactors = re(rows.adjFactors) as RowSet['adjFactors'];
  if (rows.prevClose !== undefined) out.prevClose = rows.prevClose;
  return out;
}

/**
 * A Provider test double: delegates to `inner`, under `name` (rows re-badged) and optionally
 * other `capabilities`, with `before`
 * running ahead of every fetch (throw from it to inject a failure), `transform` over each answer
 * and `after` once the fetch settled.
 */
export function wrapProvider(
  inner: Provider,
  hooks: {
    name?: string;
    capabilities?: ProviderCapabilities;
    before?(params: FetchParams): Promise<void> | void;
    after?(params: FetchParams): void;
    /** Rewrites a successful answer (e.g. to corrupt rows). */
    transform?(params: FetchParams, result: FetchResult): FetchResult;
  } = {},
): Provider {
  const name = hooks.name ?? inner.name;
  return {
    name,
    capabilities: hooks.capabilities ?? inner.capabilities,
    universe: (p) => inner.universe(p),
    tradingDays: (p) => inner.tradingDays(p),
    async fetch(params: FetchParams): Promise<FetchResult> {
      try {
        await hooks.before?.(params);
        const raw = await inner.fetch(params);
        const result =
          name === inner.name
            ? raw
            : { ...raw, byDate: new Map([...raw.byDate].map(([d, rows]) => [d, withSource(rows, name)])) };
        return hooks.transform ? hooks.transform(params, result) : result;
      } finally {
        hooks.after?.(params);
      }
    },
    close: () => inner.close(),
  };
}

/** A Store test double delegating to `inner`, with hooks around `write` and `writeLedger`. */
export function wrapStore(
  inner: Store,
  hooks: {
    beforeWrite?(units: readonly UnitWrite[]): Promise<void> | void;
    afterWrite?(units: readonly UnitWrite[]): void;
    beforeWriteLedger?(entries: readonly LedgerEntry[]): void;
  },
): Store {
  return {
    kind: inner.kind,
    init: (p) => inner.init(p),
    async write(params) {
      await hooks.beforeWrite?.(params.units);
      await inner.write(params);
      hooks.afterWrite?.(params.units);
    },
    async writeLedger(params) {
      hooks.beforeWriteLedger?.(params.entries);
      await inner.writeLedger(params);
    },
    readLedger: (p) => inner.readLedger(p),
    query: (p) => inner.query(p),
    close: () => inner.close(),
  };
}
