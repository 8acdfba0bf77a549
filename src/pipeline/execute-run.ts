/**
 * Executing a prepared run: the worker pool over the plan's jobs (follow-up jobs first), the
 * per-provider circuit breakers and `--workers auto`, progress events, and the summary folded
 * from the events (`run-summary.ts`).
 */
import { toIngestError, type ErrorData } from '../errors.js';
import type { RateLimitGate } from '../limits/rate-limit-gate.js';
import type { PipelineEvent, RunSummary } from './events.js';
import type { FactorComputeInput, JobDeps } from './job/job-context.js';
import type { FactorValue } from '../domain/rows.js';
import type { Job } from './plan.js';
import type { PipelineOptions } from './pipeline-options.js';
import type { PreparedRun } from './prepare-run.js';
import { runJob } from './run-job.js';
import type { RunOptions } from './run-options.js';
import { initialRunTally, summarizeRun, tallyEvent } from './run-summary.js';
import { AdaptiveConcurrency } from './schedule/adaptive-concurrency.js';
import { CircuitBreaker } from './schedule/circuit-breaker.js';
import { runPool } from './schedule/worker-pool.js';
import { waitForStore, watchStoreAvailability } from './store-intake.js';
import type { Store } from '../storage/store.js';
import type { Clock } from '../limits/clock.js';

/** Signals of a run: `stop` ends intake (Ctrl-C); `abort` cancels in-flight work (after the grace period). */
export interface RunSignals {
  stop: AbortSignal;
  abort: AbortSignal;
}

/** What {@link executeRun} needs from the pipeline. */
export interface ExecuteDeps {
  options: PipelineOptions;
  store: Store;
  gate: RateLimitGate;
  clock: Clock;
  random(): number;
  redact(text: string): string;
  computeFactors(input: FactorComputeInput): FactorValue[];
  emit(event: PipelineEvent): void;
  saveLearnedLimits?(limits: Record<string, number>): void;
}

/** Runs a prepared plan to its summary. Rejects only on an internal failure of a worker. */
export async function executeRun(
  prepared: PreparedRun,
  options: RunOptions,
  signals: RunSignals,
  deps: ExecuteDeps,
): Promise<RunSummary> {
  const { clock } = deps;
  const policy = deps.options;
  const startedAt = clock.now();
  const { plan, runId } = prepared;
  for (const w of prepared.warnings) deps.emit({ type: 'run:warning', message: deps.redact(w) });

  const concurrency =
    options.workers === 'auto'
      ? new AdaptiveConcurrency({
          min: 1,
          max: options.maxWorkers,
          initial: policy.autoWorkers.initial,
          maxLatencyGrowth: policy.autoWorkers.maxLatencyGrowth,
          clock,
        })
      : undefined;
  const fixedWorkers = options.workers === 'auto' ? 0 : options.workers;
  const workersNow = (): number => (concurrency ? concurrency.limit : fixedWorkers);
  const breakers = new Map(
    [...prepared.providers.keys()].map((name) => [
      name,
      new CircuitBreaker({
        clock,
        // Short pauses: units fail fast while it is open and retry after the pause.
        failureThreshold: policy.circuitBreaker.failureThreshold,
        openMs: policy.circuitBreaker.openMs,
        maxOpenMs: policy.circuitBreaker.maxOpenMs,
        onStateChange: (state: string, openUntilMs?: number) => {
          const pauseMs =
            state === 'open' && openUntilMs !== undefined
              ? Math.max(0, openUntilMs - clock.now())
              : undefined;
          deps.emit({
            type: 'circuit:changed',
            provider: name,
            state,
            ...(pauseMs === undefined ? {} : { pauseMs }),
          });
        },
      }),
    ]),
  );

  // Counts from the estimate (units per symbol: a whole-market job holds many symbols); one
  // unservable entry per symbol and requested type, not per unit.
  const tally = initialRunTally({
    runId,
    symbols: plan.symbols,
    unitsPlanned: plan.estimate.units,
    unitsSkipped: plan.estimate.skipped,
    unitsBySymbol: plan.estimate.unitsBySymbol,
    unservable: plan.estimate.unservable.flatMap((u) =>
      plan.symbols.map((symbol) => ({
        symbol,
        requested: u.requested,
        reason: u.reason,
        units: plan.spec.tradingDays(symbol).length,
      })),
    ),
  });
  let inFlight = 0;
  let lastWorkers = 0;
  const onEvent = (e: PipelineEvent): void => {
    tallyEvent(tally, e);
    deps.emit(e);
    if (e.type === 'unit:succeeded' || e.type === 'unit:failed') {
      const workers = workersNow();
      if (concurrency && workers !== lastWorkers) {
        lastWorkers = workers;
        deps.emit({ type: 'workers:changed', workers });
      }
      deps.emit({
        type: 'progress',
        unitsDone: tally.counts.done,
        unitsTotal: plan.estimate.units,
        rowsWritten: tally.counts.rows,
        inFlight,
        workers,
      });
    }
  };

  deps.emit({
    type: 'run:started',
    runId,
    symbols: plan.symbols.length,
    // Symbols of one market share one calendar array: flatten each array once.
    tradingDays: new Set([...new Set(prepared.tradingDays.values())].flat()).size,
    dataTypes: [...options.requested],
    providers: [...prepared.providers.keys()],
    storage: deps.store.kind,
    jobs: plan.estimate.jobs,
    units: plan.estimate.units,
    skipped: plan.estimate.skipped,
    workers: options.workers,
  });

  const jobDeps: JobDeps = {
    runId,
    providers: prepared.providers,
    routing: prepared.routing,
    store: deps.store,
    gate: deps.gate,
    emit: onEvent,
    retry: policy.retry,
    clock,
    random: deps.random,
    redact: deps.redact,
    computeFactors: deps.computeFactors,
    breakers,
    ...(concurrency ? { concurrency } : {}),
    quarantine: new Map<string, ErrorData>(prepared.unknownSymbols ?? []),
  };
  // Follow-up jobs (fallbacks to the next provider) go first: their units are already under way.
  const followUps: Job[] = [];
  // The plan's jobs are built lazily, one symbol at a time, as workers take them.
  const jobs = plan.jobs();
  let fatal: unknown;
  const unwatchStore = watchStoreAvailability(deps.store, deps.emit);
  try {
    await runPool({
      take: () => {
        const followUp = followUps.shift();
        if (followUp) return followUp;
        const r = jobs.next();
        return r.done ? undefined : r.value;
      },
      concurrency: workersNow,
      signal: signals.stop,
      worker: async (job) => {
        inFlight++;
        try {
          // Intake pauses while the store is unreachable; past its outage budget the job fails unfetched.
          const storeDown = await waitForStore(deps.store, signals.abort);
          if (storeDown !== undefined) {
            for (const u of job.units) {
              const unit = {
                provider: u.provider,
                dataType: u.dataType,
                symbol: u.symbol,
                tradeDate: u.tradeDate,
              };
              onEvent({ type: 'unit:failed', unit, status: 'failed', error: storeDown, attempts: 0 });
            }
            return;
          }
          const outcome = await runJob(job, jobDeps, signals.abort);
          followUps.push(...outcome.followUps);
        } catch (e) {
          if (toIngestError(e).code !== 'ABORTED') throw e;
        } finally {
          inFlight--;
        }
      },
    });
  } catch (e) {
    fatal = e;
  } finally {
    unwatchStore();
  }
  if (fatal !== undefined && !signals.stop.aborted) throw fatal;
  deps.saveLearnedLimits?.(await deps.gate.learnedLimits());

  const summary: RunSummary = summarizeRun(tally, {
    durationMs: clock.now() - startedAt,
    interrupted: signals.stop.aborted,
  });
  deps.emit({ type: 'run:finished', summary });
  return summary;
}
