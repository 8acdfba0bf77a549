/**
 * tickpipe as a library: an explicit list of named exports.
 */
export { IngestError, ERROR_CODES, isIngestError, toIngestError, toErrorData } from './errors.js';
export type { ErrorCode, ErrorData, IngestErrorOptions } from './errors.js';

export type { Ticker, ParsedTicker, Exchange, Board } from './domain/ticker.js';
export { parseTicker, parseTickerList, isAShare } from './domain/ticker.js';
export type { Tick, Bar, BookSnapshot, FactorValue, AdjFactor, RowSet, Side } from './domain/rows.js';
export type { ConcreteDataType, RequestedDataType, BarInterval } from './domain/data-type.js';
export { CONCRETE_DATA_TYPES, REQUESTED_DATA_TYPES, DEFAULT_DATA_TYPES } from './domain/data-type.js';
export type { DateRange } from './domain/dates.js';
export { parseDate, parseDateRange } from './domain/dates.js';
export { isTradingDay, tradingDaysBetween, previousTradingDay, nextTradingDay } from './domain/calendar.js';
export { priceLimits } from './domain/price-limits.js';

export { configSchema, configJsonSchema } from './config/schema.js';
export type { ResolvedConfig, ConfigInput, ProviderName } from './config/schema.js';
export { loadConfig, DEFAULT_CONFIG_PATH } from './config/load-config.js';
export type { LoadedConfig, LoadConfigOptions, ProviderStatus } from './config/load-config.js';

export type {
  Provider,
  ProviderCapabilities,
  ProviderDeps,
  FetchParams,
  FetchResult,
} from './providers/provider.js';
export type { Logger } from './limits/logger.js';
export { silentLogger } from './limits/logger.js';
export { createProvider } from './providers/create-provider.js';
export { createSimulatedProvider } from './providers/simulated/simulated-provider.js';
export { createTushareProvider } from './providers/tushare/tushare-provider.js';
export { createYahooProvider } from './providers/yahoo/yahoo-provider.js';

export type { Store, UnitWrite, LedgerFilter, QueryResult } from './storage/store.js';
export type { StoreAvailability, StoreAvailabilityChange } from './storage/store-availability.js';
export { createStore } from './storage/create-store.js';
export { createMemoryStore } from './storage/memory/memory-store.js';
export { createDuckDbStore } from './storage/duckdb/duckdb-store.js';
export { createClickHouseStore } from './storage/clickhouse/clickhouse-store.js';

export type { LedgerEntry, UnitKey, UnitStatus } from './ledger/ledger-entry.js';

export { computeFactors } from './factors/compute-factors.js';
export { FACTOR_DEFINITIONS } from './factors/factor-definitions.js';
export type { FactorDefinition } from './factors/factor-definitions.js';

export { createPipeline } from './pipeline/create-pipeline.js';
export type { PipelineDeps, PreparedRun, RunSignals } from './pipeline/create-pipeline.js';
export type { RunOptions } from './pipeline/run-options.js';
export type { PipelineEvent, Reporter, RunSummary } from './pipeline/events.js';
export type { RequestGate } from './limits/request-gate.js';
export { runJob } from './pipeline/run-job.js';
export { systemClock } from './limits/clock.js';
export type { Clock } from './limits/clock.js';

export { runCli } from './cli/run-cli.js';
