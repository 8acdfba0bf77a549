/**
 * Typed events the pipeline emits. Reporters render them; the pipeline never prints.
 */
import type { ConcreteDataType } from '../domain/data-type.js';
import type { ErrorData } from '../errors.js';
import type { UnitKey, UnitStatus } from '../ledger/ledger-entry.js';

/** Per-symbol outcome in the run summary. */
export interface SymbolOutcome {
  symbol: string;
  ok: boolean;
  /** Reasons of failed/unsupported units, deduplicated (`bars_1m 2025-06-05: <message>`). */
  reasons: string[];
  /** Failure classes of the failed units (rate_limited, auth, not_found, ...). */
  failureClasses: string[];
}

/** The run summary. */
export interface RunSummary {
  runId: string;
  symbolsTotal: number;
  symbolsOk: number;
  unitsPlanned: number;
  unitsSkipped: number;
  unitsOk: number;
  unitsEmpty: number;
  unitsFailed: number;
  unitsUnsupported: number;
  rowsWritten: number;
  /** Rows written per table. */
  rowsByTable: Record<string, number>;
  durationMs: number;
  interrupted: boolean;
  failedSymbols: SymbolOutcome[];
  /** Provider requests attempted, per provider. */
  requests: Record<string, number>;
}

/** Every pipeline event. */
export type PipelineEvent =
  | {
      type: 'run:started';
      runId: string;
      symbols: number;
      tradingDays: number;
      dataTypes: string[];
      providers: string[];
      storage: string;
      jobs: number;
      units: number;
      skipped: number;
      workers: number | 'auto';
    }
  | { type: 'run:warning'; message: string }
  | { type: 'job:started'; jobId: string; provider: string; symbol: string; tradeDates: string[] }
  | {
      /** A job ended (also when aborted): what the summary needs beyond unit outcomes. */
      type: 'job:finished';
      jobId: string;
      provider: string;
      /** Provider requests the job sent, per provider. */
      requests: Record<string, number>;
      /** Follow-up jobs it handed back (fallbacks to the next provider). */
      followUps: number;
      aborted: boolean;
    }
  | {
      type: 'unit:succeeded';
      unit: UnitKey;
      status: Extract<UnitStatus, 'ok' | 'empty'>;
      rows: number;
      attempts: number;
    }
  | {
      type: 'unit:failed';
      unit: UnitKey;
      status: 'failed' | 'unsupported';
      error: ErrorData;
      attempts: number;
    }
  | {
      type: 'unit:retrying';
      jobId: string;
      provider: string;
      dataType: ConcreteDataType;
      symbol: string;
      attempt: number;
      delayMs: number;
      error: ErrorData;
    }
  | { type: 'unit:fallback'; unit: UnitKey; to: string; reason: string }
  | { type: 'rate-limit:waiting'; provider: string; endpoint: string; waitMs: number; keyIndex?: number }
  | { type: 'rate-limit:learned'; provider: string; endpoint: string; limit: number }
  | { type: 'provider:key-disabled'; provider: string; keyIndex: number; reason: string }
  | { type: 'circuit:changed'; provider: string; state: string; pauseMs?: number }
  | { type: 'workers:changed'; workers: number }
  | {
      type: 'progress';
      unitsDone: number;
      unitsTotal: number;
      rowsWritten: number;
      inFlight: number;
      workers: number;
    }
  | { type: 'store:waiting'; store: string; budgetMs: number; reason: string }
  | { type: 'store:recovered'; store: string; downMs: number }
  | { type: 'store:unavailable'; store: string; downMs: number; reason: string }
  | { type: 'run:interrupting'; graceMs: number }
  | { type: 'run:finished'; summary: RunSummary };

/** Receives pipeline events. */
export interface Reporter {
  onEvent(event: PipelineEvent): void;
  /** Flushes output (called once at the end). */
  close?(): void;
}
