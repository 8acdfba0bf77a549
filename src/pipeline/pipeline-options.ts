/**
 * The typed options of a pipeline: every policy number and limit it needs, resolved. Built from
 * a loaded config by {@link pipelineOptionsFromConfig} (the CLI), or from the schema's defaults by
 * {@link defaultPipelineOptions} (tests, benchmarks, library use) — no YAML file needed.
 */
import type { LoadedConfig } from '../config/load-config.js';
import { configSchema, type ResolvedConfig } from '../config/schema.js';
import type { JobRetryPolicy } from './job/job-context.js';

/** Rate limits of one provider, per API key. */
export interface ProviderRateLimit {
  /** Requests per window on each endpoint; `undefined` = unlimited. */
  requestsPerMinute?: number | undefined;
  /** Per-endpoint overrides of `requestsPerMinute`. */
  perEndpoint?: Readonly<Record<string, number>>;
}

/** Options of `createPipeline`. */
export interface PipelineOptions {
  /** Per provider name (`providers.<name>.rate_limit`). A provider not listed is unlimited. */
  rateLimits: Readonly<Record<string, ProviderRateLimit>>;
  /** Retry policy (`ingestion.retry.*`). */
  retry: JobRetryPolicy;
  /** Per-provider circuit breaker (`ingestion.circuit_breaker.*`). */
  circuitBreaker: { failureThreshold: number; openMs: number; maxOpenMs: number };
  /** `--workers auto` (`ingestion.auto_workers.*`). */
  autoWorkers: { initial: number; maxLatencyGrowth: number };
  /** Removes secrets from every message the pipeline emits or stores. Default: identity. */
  redact?(text: string): string;
  /** Warnings to show at the start of each run (e.g. a provider skipped for missing credentials). */
  warnings?: readonly string[];
}

/** The pipeline options of a resolved config. */
export function pipelineOptionsOf(config: ResolvedConfig): PipelineOptions {
  const { retry, circuit_breaker: breaker, auto_workers: auto } = config.ingestion;
  return {
    rateLimits: Object.fromEntries(
      Object.entries(config.providers).map(([name, p]) => [
        name,
        { requestsPerMinute: p.rate_limit.requests_per_minute, perEndpoint: p.rate_limit.per_api },
      ]),
    ),
    retry: {
      maxAttempts: retry.max_attempts,
      baseDelayMs: retry.base_delay_ms,
      maxDelayMs: retry.max_delay_ms,
      rateLimitRetries: retry.rate_limit_retries,
      storeWriteAttempts: retry.store_write_attempts,
      ledgerWriteAttempts: retry.ledger_write_attempts,
    },
    circuitBreaker: {
      failureThreshold: breaker.failure_threshold,
      openMs: breaker.open_ms,
      maxOpenMs: breaker.max_open_ms,
    },
    autoWorkers: { initial: auto.initial, maxLatencyGrowth: auto.max_latency_growth },
  };
}

/** The pipeline options of a loaded config, with its redactor and warnings. */
export function pipelineOptionsFromConfig(loaded: LoadedConfig): PipelineOptions {
  return {
    ...pipelineOptionsOf(loaded.config),
    redact: (text) => loaded.redactor.redact(text),
    warnings: loaded.warnings,
  };
}

/** The schema's defaults, with `overrides` on top (shallow per group). */
export function defaultPipelineOptions(
  overrides: {
    rateLimits?: PipelineOptions['rateLimits'];
    retry?: Partial<PipelineOptions['retry']>;
    circuitBreaker?: Partial<PipelineOptions['circuitBreaker']>;
    autoWorkers?: Partial<PipelineOptions['autoWorkers']>;
    redact?: PipelineOptions['redact'];
    warnings?: PipelineOptions['warnings'];
  } = {},
): PipelineOptions {
  const base = pipelineOptionsOf(configSchema.parse({}));
  return {
    rateLimits: overrides.rateLimits ?? base.rateLimits,
    retry: { ...base.retry, ...overrides.retry },
    circuitBreaker: { ...base.circuitBreaker, ...overrides.circuitBreaker },
    autoWorkers: { ...base.autoWorkers, ...overrides.autoWorkers },
    ...(overrides.redact ? { redact: overrides.redact } : {}),
    ...(overrides.warnings ? { warnings: overrides.warnings } : {}),
  };
}
