/**
 * Composition root of a run: wires the rate-limit gate (over the window store), providers,
 * planning and execution from typed options and injected dependencies. No module-level state:
 * everything lives in the object this returns.
 */
import type { FactorValue } from '../domain/rows.js';
import type { Clock } from '../limits/clock.js';
import type { Logger } from '../limits/logger.js';
import { createRateLimitGate } from '../limits/rate-limit-gate.js';
import type { RequestGate } from '../limits/request-gate.js';
import type { WindowStore } from '../limits/window-store.js';
import type { Provider } from '../providers/provider.js';
import type { Store } from '../storage/store.js';
import type { PipelineEvent, Reporter, RunSummary } from './events.js';
import { executeRun, type RunSignals } from './execute-run.js';
import type { FactorComputeInput } from './job/job-context.js';
import type { PipelineOptions } from './pipeline-options.js';
import { closeProviders, prepareRun, type PreparedRun } from './prepare-run.js';
import type { RunOptions } from './run-options.js';
import { holdGateWhileStoreDown } from './store-intake.js';

export type { RunSignals } from './execute-run.js';
export { estimateCalls, newRunId, type PreparedRun } from './prepare-run.js';

/** Injected dependencies of a pipeline (tests swap each). */
export interface PipelineDeps {
  store: Store;
  /** Builds a provider by name (production: `createProvider`). */
  makeProvider(name: string, gate: RequestGate): Provider;
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

/** Diagnostics of a run for the log (`--log-level`): waits, retries, breakers, workers, keys. */
function logEvent(logger: Logger, e: PipelineEvent): void {
  switch (e.type) {
    case 'run:started':
    case 'run:finished':
    case 'rate-limit:learned':
    case 'circuit:changed':
    case 'workers:changed':
    case 'unit:retrying':
    case 'unit:fallback':
      logger.info(e.type, { ...e });
      break;
    case 'rate-limit:waiting':
    case 'job:started':
    case 'job:finished':
    case 'unit:failed':
      logger.debug(e.type, { ...e });
      break;
    case 'run:warning':
    case 'provider:key-disabled':
      logger.warn(e.type, { ...e });
      break;
    default:
      break;
  }
}

/** A pipeline: plan and run ingestion runs with one gate shared by all of them. */
export interface Pipeline {
  /** Plans a run without executing it (`--dry-run`); the caller closes `providers`. */
  prepare(options: RunOptions, signal: AbortSignal): Promise<PreparedRun>;
  /** Plans and runs, closing the run's providers at the end. */
  run(options: RunOptions, signals: RunSignals): Promise<RunSummary>;
  /** Runs an already prepared plan. */
  execute(prepared: PreparedRun, options: RunOptions, signals: RunSignals): Promise<RunSummary>;
  closeProviders(providers: ReadonlyMap<string, Provider>): Promise<void>;
}

/** Builds a pipeline from typed options (`pipelineOptionsFromConfig`, `defaultPipelineOptions`). */
export function createPipeline(options: PipelineOptions, deps: PipelineDeps): Pipeline {
  const redact = options.redact ?? ((text: string) => text);
  const limitFor = (provider: string, endpoint: string): number | undefined => {
    const p = options.rateLimits[provider];
    if (!p) return undefined;
    return p.perEndpoint?.[endpoint] ?? p.requestsPerMinute;
  };
  const disabledKeysSeen = new Set<string>();
  const emit = (e: PipelineEvent): void => {
    if (e.type === 'provider:key-disabled') {
      // Workers that used the key concurrently each learn it is bad: say it once.
      const k = `${e.provider}|${e.keyIndex}`;
      if (disabledKeysSeen.has(k)) return;
      disabledKeysSeen.add(k);
    }
    logEvent(deps.logger, e);
    deps.reporter.onEvent(e);
  };
  const gate = holdGateWhileStoreDown(
    createRateLimitGate({
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
        } else {
          emit({ type: 'rate-limit:learned', provider: e.provider, endpoint: e.endpoint, limit: e.limit });
        }
      },
    }),
    deps.store,
  );

  const prepare = (runOptions: RunOptions, signal: AbortSignal): Promise<PreparedRun> =>
    prepareRun(runOptions, signal, {
      store: deps.store,
      makeProvider: deps.makeProvider,
      warnings: options.warnings ?? [],
      emit,
      gate,
      clock: deps.clock,
      random: deps.random,
      retry: options.retry,
      redact,
    });

  const execute = (prepared: PreparedRun, runOptions: RunOptions, signals: RunSignals): Promise<RunSummary> =>
    executeRun(prepared, runOptions, signals, {
      options,
      store: deps.store,
      gate,
      clock: deps.clock,
      random: deps.random,
      redact,
      computeFactors: deps.computeFactors,
      emit,
      ...(deps.saveLearnedLimits ? { saveLearnedLimits: deps.saveLearnedLimits } : {}),
    });

  return {
    prepare,
    async run(runOptions, signals) {
      const prepared = await prepare(runOptions, signals.abort);
      try {
        return await execute(prepared, runOptions, signals);
      } finally {
        await closeProviders(prepared.providers);
      }
    },
    execute,
    closeProviders,
  };
}
