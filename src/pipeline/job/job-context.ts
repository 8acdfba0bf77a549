/**
 * The types of one job's run: what `runJob` needs (`JobDeps`), what it returns (`JobOutcome`),
 * and the per-job state its steps share (`JobContext`).
 */
import type { ConcreteDataType } from '../../domain/data-type.js';
import type { FactorValue, RowSet } from '../../domain/rows.js';
import type { ErrorData } from '../../errors.js';
import type { FactorInput } from '../../factors/compute-factors.js';
import type { UnitKey, UnitStatus } from '../../ledger/ledger-entry.js';
import type { Clock } from '../../limits/clock.js';
import type { RequestGate } from '../../limits/request-gate.js';
import type { Provider } from '../../providers/provider.js';
import type { Store } from '../../storage/store.js';
import type { PipelineEvent } from '../events.js';
import type { Job, PlannedUnit } from '../plan.js';
import type { ProviderRetryPolicy } from '../provider-call.js';
import type { Routing } from '../routing.js';
import type { AdaptiveConcurrency } from '../schedule/adaptive-concurrency.js';
import type { CircuitBreaker } from '../schedule/circuit-breaker.js';

/** Inputs of the factor computation. */
export type FactorComputeInput = FactorInput;

/** Retry numbers of a job (from `ingestion.retry.*`). */
export interface JobRetryPolicy extends ProviderRetryPolicy {
  /** Attempts of one store write. */
  storeWriteAttempts: number;
  /** Attempts of one ledger write. */
  ledgerWriteAttempts: number;
}

/** Everything `runJob` needs. One instance per run, shared by all workers. */
export interface JobDeps {
  runId: string;
  providers: ReadonlyMap<string, Provider>;
  routing: Routing;
  store: Store;
  gate: RequestGate;
  emit(event: PipelineEvent): void;
  retry: JobRetryPolicy;
  clock: Clock;
  random(): number;
  /** Removes secrets from messages before they are emitted or stored. */
  redact(text: string): string;
  computeFactors(input: FactorComputeInput): FactorValue[];
  /** Per-provider circuit breakers (optional). */
  breakers?: ReadonlyMap<string, CircuitBreaker>;
  /** Adaptive worker count to feed with latency and rate-limit signals (optional). */
  concurrency?: AdaptiveConcurrency;
  /** Symbols quarantined after a non-retryable symbol-level failure (not retried this run). */
  quarantine?: Map<string, ErrorData>;
}

/** What happened to one unit of a job (the ledger entry it got). */
export interface UnitOutcome {
  unit: UnitKey;
  status: UnitStatus;
  /** Rows written (0 unless `ok`). */
  rows: number;
  /** Provider attempts it took. */
  attempts: number;
  error?: ErrorData;
  /** Set when the unit went on to the next provider of its chain (status `unsupported`). */
  fallbackTo?: string;
}

/** What a job did: the outcome of each unit, the follow-up jobs, and the requests it sent. */
export interface JobOutcome {
  jobId: string;
  /** One entry per unit that got a ledger outcome, in the order they got it. */
  units: UnitOutcome[];
  /**
   * Jobs for the next provider of the routing chain, for units this provider could not serve.
   * The caller schedules them (the local pool, or a distributed queue); `runJob` never recurses.
   */
  followUps: Job[];
  /** Provider requests sent, per provider. */
  requests: Record<string, number>;
}

/** Rows of one unit ready to be written, with the fetch attempts they took. */
export interface Writable {
  unit: PlannedUnit;
  rows: RowSet;
  attempts: number;
}

/** State shared by the steps of one job. */
export interface JobContext {
  job: Job;
  provider: Provider;
  deps: JobDeps;
  signal: AbortSignal;
  outcome: JobOutcome;
  /** Units to hand to the next provider of their chain. */
  fallbacks: PlannedUnit[];
}

/** Keeps only the rows of the unit's own table (a provider may return more). */
export function onlyRowsOf(dataType: ConcreteDataType, rows: RowSet): RowSet {
  switch (dataType) {
    case 'ticks':
      return { ticks: rows.ticks ?? [] };
    case 'bars_1m':
      return { bars: (rows.bars ?? []).filter((b) => b.interval === '1m') };
    case 'bars_1d':
      return {
        bars: (rows.bars ?? []).filter((b) => b.interval === '1d'),
        adjFactors: rows.adjFactors ?? [],
      };
    case 'order_book':
      return { books: rows.books ?? [] };
    case 'factors':
      return { factors: rows.factors ?? [] };
  }
}
