/**
 * Composition root of a run: builds providers, the rate-limit gate, breakers and the worker
 * pool from the resolved config, plans, runs jobs, aggregates the summary. No module-level
 * state: everything lives in the object this returns.
 */
import type { LoadedConfig } from '../config/load-config.js';
import type { ProviderName } from '../config/schema.js';
import type { RequestedDataType } from '../domain/data-type.js';
import type { FactorValue } from '../domain/rows.js';
import { isAShare, type Ticker } from '../domain/ticker.js';
import { IngestError, toIngestError, type ErrorData } from '../errors.js';
import type { UnitKey } from '../ledger/ledger-entry.js';
import type { Logger } from '../limits/logger.js';
import type { Provider } from '../providers/provider.js';
import type { Store } from '../storage/store.js';
import type { PipelineEvent, Reporter, RunSummary, SymbolOutcome } from './events.js';
import { estimateCalls, type ProviderEstimate } from './plan-estimate.js';
import { preparePlan, readListings, type PreparedPlan } from './plan-prepare.js';
import { resolveRouting, type Routing } from './routing.js';
import { runJob, type FactorComputeInput } from './run-job.js';
import type { RunOptions } from './run-options.js';
import { AdaptiveConcurrency } from './schedule/adaptive-concurrency.js';
import { CircuitBreaker } from './schedule/circuit-breaker.js';
import type { Clock } from '../limits/clock.js';
import { createRateLimitGate } from '../limits/rate-limit-gate.js';
import type { WindowStore } from '../limits/window-store.js';
import { classifyFailure, decideRetry } from '../limits/retry-policy.js';
import { runPool } from './schedule/worker-pool.js';

/** Injected dependencies of a pipeline (tests swap each). */
export interface PipelineDeps {
  store: Store;
  /** Builds a provider by name (production: `createProvider`). */
  makeProvider(name: ProviderName, gate: import('../limits/request-gate.js').RequestGate): Provider;
  reporter: Reporter;
  clock: Clock;
  random(): number;
  logger: Logger;
  computeFactors(input: FactorComputeInput): FactorValue[];
  /** Limits learned in earlier runs (`provider|endpoint` → per minute), and where to keep new ones. */
  learnedLimits?: Record<string, number>;
  saveLearnedLimits?(limits: Record<string, number>): void;
  /** Length of a provider's rate-limit window, ms (default 60 000: limits are per minute). Tests shrink it. */
  rateWindowMs?: number;
  /**
   * Where rate-limit windows live (default: in this process). A shared store (Redis) makes every
   * process of a distributed run share one quota per API key.
   */
  windowStore?: WindowStore;
}

/**
 * The gate's window is the provider's plus a margin: a request reserved at the edge of a window
 * reaches the server up to a few hundred ms later (measured ~150 ms in-process against the
 * Tushare emulator), and must still land in the next window there.
 */
export function gateWindowMs(providerWindowMs: number): number {
  return providerWindowMs + Math.max(250, Math.round(providerWindowMs / 60));
}

/** Signals of a run: `stop` ends intake (Ctrl-C); `abort` cancels in-flight work (after the grace period). */
export interface RunSignals {
  stop: AbortSignal;
  abort: AbortSignal;
}

/** What the pipeline decided to do, before doing it (also the `--dry-run` output). */
export interface PreparedRun {
  runId: string;
  /** Counts, ledger index and a lazy job stream (no job is built before the run takes it). */
  plan: PreparedPlan;
  routing: Routing;
  providers: Map<string, Provider>;
  tradingDays: Map<Ticker, readonly string[]>;
  warnings: string[];
  /** Estimated provider calls and the minimum duration under the rate limits, per provider. */
  estimate: ProviderEstimate[];
}

/** Builds a pipeline. */
export function createPipeline(loaded: LoadedConfig, deps: PipelineDeps) {
  const { config } = loaded;
  const limitFor = (provider: string, endpoint: string): number | undefined => {
    const p = config.providers[provider as ProviderName];
    if (!p) return undefined;
    return p.rate_limit.per_api[endpoint] ?? p.rate_limit.requests_per_minute;
  };
  const disabledKeysSeen = new Set<string>();
  const emit = (e: PipelineEvent) => {
    if (e.type === 'provider:key-disabled') {
      // Workers that used the key concurrently each learn it is bad: say it once.
      const k = `${e.provider}|${e.keyIndex}`;
      if (disabledKeysSeen.has(k)) return;
      disabledKeysSeen.add(k);
    }
    deps.reporter.onEvent(e);
  };

  /**
   * Retries a planning call (universe, calendar) by the same policy as data fetches: rate-limit
   * answers slow the gate, a bad or exhausted key is dropped and the next one tried, transient
   * failures back off; anything else (or the last attempt) ends the run.
   */
  async function planningCall<T>(
    provider: Provider,
    signal: AbortSignal,
    call: () => Promise<T>,
  ): Promise<T> {
    const retry = config.ingestion.retry;
    let rateLimited = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        const error = toIngestError(e);
        if (error.code === 'ABORTED' || signal.aborted) throw error;
        const cls = classifyFailure(error);
        const keyIndex = typeof error.context.keyIndex === 'number' ? error.context.keyIndex : undefined;
        const endpoint = typeof error.context.endpoint === 'string' ? error.context.endpoint : undefined;
        if (cls === 'rate_limited' && rateLimited++ < retry.rate_limit_retries) {
          await gate.onRateLimited({
            provider: provider.name,
            endpoint: endpoint ?? 'unknown',
            ...(keyIndex !== undefined ? { keyIndex } : {}),
            ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
            ...(typeof error.context.statedLimitPerMinute === 'number'
              ? { statedLimitPerMinute: error.context.statedLimitPerMinute }
              : {}),
          });
          attempt--;
          continue;
        }
        if ((cls === 'auth' || cls === 'quota') && keyIndex !== undefined) {
          const reason = loaded.redactor.redact(error.message);
          await gate.disableKey({ provider: provider.name, keyIndex, reason });
          emit({ type: 'provider:key-disabled', provider: provider.name, keyIndex, reason });
          continue; // the gate fails with PROVIDER_AUTH once no key is left
        }
        const decision = decideRetry({
          error,
          attempt,
          maxAttempts: retry.max_attempts,
          baseDelayMs: retry.base_delay_ms,
          maxDelayMs: retry.max_delay_ms,
          random: deps.random,
        });
        if (!decision.retry) throw error;
        emit({
          type: 'run:warning',
          message: loaded.redactor.redact(`${error.message} (retrying, attempt ${attempt + 1})`),
        });
        await deps.clock.sleep(decision.delayMs, signal);
      }
    }
  }
  const gate = createRateLimitGate({
    clock: deps.clock,
    ...(deps.windowStore ? { store: deps.windowStore } : {}),
    windowMs: gateWindowMs(deps.rateWindowMs ?? 60_000),
    limitFor,
    ...(deps.learnedLimits ? { learnedLimits: deps.learnedLimits } : {}),
    onEvent: (e) => {
      if (e.type === 'rate-limit:waiting') {
        emit({
          type: 'rate-limit:waiting',
          provider: e.provider,
          endpoint: e.endpoint,
          waitMs: e.waitMs,
          keyIndex: e.keyIndex,
        });
      } else if (e.type === 'rate-limit:learned') {
        emit({ type: 'rate-limit:learned', provider: e.provider, endpoint: e.endpoint, limit: e.limit });
      }
    },
  });

  async function prepare(options: RunOptions, signal: AbortSignal): Promise<PreparedRun> {
    const runId = options.runId ?? newRunId(deps.clock.now(), deps.random);
    const {
      routing,
      providers: names,
      warnings,
    } = resolveRouting({
      config,
      statuses: loaded.providers,
      requested: options.requested,
      ...(options.onlyProvider !== undefined ? { onlyProvider: options.onlyProvider } : {}),
    });
    const providers = new Map<string, Provider>();
    for (const name of names) providers.set(name, deps.makeProvider(name, gate));

    const primaryName = routing[options.requested[0] as RequestedDataType][0] as string;
    const primary = providers.get(primaryName) as Provider;
    let symbols: Ticker[] = [];
    if (options.symbols === 'ALL') {
      // The first provider of the primary chain that can list a universe (Yahoo cannot).
      const chain = routing[options.requested[0] as RequestedDataType].map(
        (n) => providers.get(n) as Provider,
      );
      let lastError: unknown;
      for (const p of chain) {
        try {
          symbols = await planningCall(p, signal, () =>
            p.universe({ includeDelisted: options.includeDelisted, signal }),
          );
          lastError = undefined;
          break;
        } catch (e) {
          lastError = e;
          if (toIngestError(e).code !== 'PROVIDER_UNSUPPORTED') throw e;
        }
      }
      if (lastError !== undefined) throw lastError;
      if (symbols.length === 0)
        throw new IngestError('PROVIDER_BAD_RESPONSE', `${primary.name} returned an empty universe`);
    } else {
      symbols = [...options.symbols];
    }

    // Trading days per market: one calendar for A-shares, per symbol elsewhere.
    const tradingDays = new Map<Ticker, readonly string[]>();
    const byMarket = new Map<string, readonly string[]>();
    for (const symbol of symbols) {
      const market = isAShare(symbol) ? 'cn' : symbol;
      let days = byMarket.get(market);
      if (!days) {
        days = await planningCall(primary, signal, () =>
          primary.tradingDays({ range: options.range, ...(market === 'cn' ? {} : { symbol }), signal }),
        );
        byMarket.set(market, days);
      }
      tradingDays.set(symbol, days);
    }

    const listings = await readListings({
      chain: routing[options.requested[0] as RequestedDataType].map((n) => providers.get(n) as Provider),
      signal,
      warn: (m) => warnings.push(m),
    });
    const capabilities = Object.fromEntries([...providers].map(([n, p]) => [n, p.capabilities]));
    const plan = await preparePlan({
      spec: {
        symbols,
        tradingDays: (s) => tradingDays.get(s) ?? [],
        requested: options.requested,
        routing,
        capabilities,
        resume: options.resume,
        priority: options.priority,
        ...(options.onlyUnits ? { onlyUnits: options.onlyUnits } : {}),
        ...(listings ? { listing: (s: Ticker) => listings.get(s) } : {}),
      },
      store: deps.store,
      range: options.range,
      signal,
    });
    const estimate = plan.estimate.providers;
    return {
      runId,
      plan,
      routing,
      providers,
      tradingDays,
      warnings: [...loaded.warnings, ...warnings],
      estimate,
    };
  }

  async function execute(
    prepared: PreparedRun,
    options: RunOptions,
    signals: RunSignals,
  ): Promise<RunSummary> {
    const startedAt = deps.clock.now();
    const { plan, runId } = prepared;
    for (const w of prepared.warnings) emit({ type: 'run:warning', message: loaded.redactor.redact(w) });

    const concurrency =
      options.workers === 'auto'
        ? new AdaptiveConcurrency({
            min: 1,
            max: options.maxWorkers,
            initial: config.ingestion.auto_workers.initial,
            maxLatencyGrowth: config.ingestion.auto_workers.max_latency_growth,
            clock: deps.clock,
          })
        : undefined;
    const fixedWorkers = options.workers === 'auto' ? 0 : options.workers;
    const breakers = new Map(
      [...prepared.providers.keys()].map((name) => [
        name,
        new CircuitBreaker({
          clock: deps.clock,
          // Short pauses: units fail fast while it is open and retry after the pause.
          failureThreshold: config.ingestion.circuit_breaker.failure_threshold,
          openMs: config.ingestion.circuit_breaker.open_ms,
          maxOpenMs: config.ingestion.circuit_breaker.max_open_ms,
          onStateChange: (state: string, openUntilMs?: number) =>
            emit({
              type: 'circuit:changed',
              provider: name,
              state,
              ...(state === 'open' && openUntilMs !== undefined
                ? { pauseMs: Math.max(0, openUntilMs - deps.clock.now()) }
                : {}),
            }),
        }),
      ]),
    );

    // Aggregation of outcomes for the summary.
    const failures = new Map<Ticker, { reasons: Set<string>; classes: Set<string> }>();
    const requests: Record<string, number> = {};
    const rowsByTable: Record<string, number> = {};
    const counts = { ok: 0, empty: 0, failed: 0, unsupported: 0, rows: 0, done: 0 };
    // Units per symbol from the estimate: a whole-market job holds many symbols.
    const pendingBySymbol = new Map<Ticker, number>(plan.estimate.unitsBySymbol);
    const addFailure = (symbol: Ticker, reason: string, cls: string) => {
      const f = failures.get(symbol) ?? { reasons: new Set<string>(), classes: new Set<string>() };
      f.reasons.add(reason);
      f.classes.add(cls);
      failures.set(symbol, f);
    };
    for (const u of plan.estimate.unservable) {
      for (const symbol of plan.symbols) addFailure(symbol, `${u.requested}: ${u.reason}`, 'unsupported');
      counts.unsupported += u.units;
    }
    const settle = (unit: UnitKey) =>
      pendingBySymbol.set(unit.symbol, (pendingBySymbol.get(unit.symbol) ?? 1) - 1);
    let lastWorkers = 0;
    const onEvent = (e: PipelineEvent) => {
      if (e.type === 'unit:succeeded') {
        counts[e.status]++;
        counts.rows += e.rows;
        counts.done++;
        const table = e.unit.dataType.startsWith('bars') ? 'bars' : e.unit.dataType;
        rowsByTable[table] = (rowsByTable[table] ?? 0) + e.rows;
        settle(e.unit);
      } else if (e.type === 'unit:failed') {
        counts[e.status]++;
        counts.done++;
        addFailure(
          e.unit.symbol,
          `${e.unit.dataType} ${e.unit.tradeDate} via ${e.unit.provider}: ${e.error.message}`,
          classifyFailure(e.error),
        );
        settle(e.unit);
      }
      emit(e);
      if (e.type === 'unit:succeeded' || e.type === 'unit:failed') {
        const workers = concurrency ? concurrency.limit : fixedWorkers;
        if (concurrency && workers !== lastWorkers) {
          lastWorkers = workers;
          emit({ type: 'workers:changed', workers });
        }
        emit({
          type: 'progress',
          unitsDone: counts.done,
          unitsTotal: plan.estimate.units,
          rowsWritten: counts.rows,
          inFlight,
          workers,
        });
      }
    };

    emit({
      type: 'run:started',
      runId,
      symbols: plan.symbols.length,
      tradingDays: new Set([...new Set(prepared.tradingDays.values())].flat()).size,
      dataTypes: [...options.requested],
      providers: [...prepared.providers.keys()],
      storage: deps.store.kind,
      jobs: plan.estimate.jobs,
      units: plan.estimate.units,
      skipped: plan.estimate.skipped,
      workers: options.workers,
    });

    const quarantine = new Map<string, ErrorData>();
    // Jobs are planned lazily as the pool takes them.
    const jobs = plan.jobs();
    let inFlight = 0;
    let fatal: unknown;
    try {
      await runPool({
        take: () => {
          const r = jobs.next();
          return r.done ? undefined : r.value;
        },
        concurrency: () => (concurrency ? concurrency.limit : fixedWorkers),
        signal: signals.stop,
        worker: async (job) => {
          inFlight++;
          try {
            await runJob(
              job,
              {
                runId,
                providers: prepared.providers,
                routing: prepared.routing,
                store: deps.store,
                gate,
                emit: onEvent,
                retry: {
                  maxAttempts: config.ingestion.retry.max_attempts,
                  baseDelayMs: config.ingestion.retry.base_delay_ms,
                  maxDelayMs: config.ingestion.retry.max_delay_ms,
                  rateLimitRetries: config.ingestion.retry.rate_limit_retries,
                  storeWriteAttempts: config.ingestion.retry.store_write_attempts,
                  ledgerWriteAttempts: config.ingestion.retry.ledger_write_attempts,
                },
                clock: deps.clock,
                random: deps.random,
                redact: (s) => loaded.redactor.redact(s),
                computeFactors: deps.computeFactors,
                breakers,
                ...(concurrency ? { concurrency } : {}),
                quarantine,
                countRequest: (p) => {
                  requests[p] = (requests[p] ?? 0) + 1;
                },
              },
              signals.abort,
            );
          } catch (e) {
            const err = toIngestError(e);
            if (err.code !== 'ABORTED') throw e;
          } finally {
            inFlight--;
          }
        },
      });
    } catch (e) {
      fatal = e;
    }
    if (fatal !== undefined && !signals.stop.aborted) throw fatal;
    deps.saveLearnedLimits?.(await gate.learnedLimits());

    const interrupted = signals.stop.aborted;
    const failedSymbols: SymbolOutcome[] = [];
    let symbolsOk = 0;
    for (const symbol of plan.symbols) {
      const f = failures.get(symbol);
      const pending = pendingBySymbol.get(symbol) ?? 0;
      if (!f && pending <= 0) {
        symbolsOk++;
        continue;
      }
      failedSymbols.push({
        symbol,
        ok: false,
        reasons: f ? [...f.reasons] : [`interrupted: ${pending} unit(s) not done (re-run to resume)`],
        failureClasses: f ? [...f.classes] : ['interrupted'],
      });
    }
    const summary: RunSummary = {
      runId,
      symbolsTotal: plan.symbols.length,
      symbolsOk,
      unitsPlanned: plan.estimate.units,
      unitsSkipped: plan.estimate.skipped,
      unitsOk: counts.ok,
      unitsEmpty: counts.empty,
      unitsFailed: counts.failed,
      unitsUnsupported: counts.unsupported,
      rowsWritten: counts.rows,
      rowsByTable,
      durationMs: deps.clock.now() - startedAt,
      interrupted,
      failedSymbols,
      requests,
    };
    emit({ type: 'run:finished', summary });
    return summary;
  }

  return {
    /** Plans a run without executing it (`--dry-run`). */
    prepare,
    /** Plans and runs. */
    async run(options: RunOptions, signals: RunSignals): Promise<RunSummary> {
      const prepared = await prepare(options, signals.abort);
      try {
        return await execute(prepared, options, signals);
      } finally {
        await closeProviders(prepared.providers);
      }
    },
    /** Runs an already prepared plan. */
    execute,
    closeProviders,
  };
}

async function closeProviders(providers: ReadonlyMap<string, Provider>): Promise<void> {
  for (const p of providers.values()) await p.close().catch(() => {});
}

/** Provider calls of a list of jobs (moved to plan-estimate.ts; kept here for importers). */
export { estimateCalls };

/** A sortable, unique run id: `20250605T013000Z-ab12`. */
export function newRunId(nowMs: number, random: () => number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.floor(random() * 0xffff)
    .toString(16)
    .padStart(4, '0')}`;
}
