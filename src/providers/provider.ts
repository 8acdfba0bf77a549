/**
 * The provider port. A provider declares what it serves and fetches one work unit's data
 * (one symbol, one data type, one or more trading days). It classifies failures into
 * `IngestError`s (`retryable`, `retryAfterMs`) but never sleeps or retries: pacing goes through
 * the injected {@link RequestGate} and retry policy belongs to the pipeline.
 *
 * Resources: a provider owns its HTTP client (keep-alive agents, timers) and releases them in
 * `close()`. It does not own the gate, the fetch function or the clock: those come in
 * {@link ProviderDeps}.
 */
import type { ConcreteDataType } from '../domain/data-type.js';
import type { DateRange } from '../domain/dates.js';
import type { ListingLife } from '../domain/listing-life.js';
import type { RowSet } from '../domain/rows.js';
import type { Ticker } from '../domain/ticker.js';
import type { IngestError } from '../errors.js';
import type { Logger } from '../limits/logger.js';
import type { RequestGate } from '../limits/request-gate.js';

/** One endpoint (API interface) and its limits, shown by `tickpipe providers`. */
export interface EndpointInfo {
  /** Endpoint name as the provider calls it (`stk_mins`, `chart`, ...). */
  name: string;
  /** Configured or learned requests per minute per API key; `undefined` = unlimited. */
  requestsPerMinute: number | undefined;
  /** Largest number of rows one call returns, if capped. */
  rowCap?: number;
  /** Free-text note (look-back limits, permissions). */
  note?: string;
}

/** What a provider serves. */
export interface ProviderCapabilities {
  /** Concrete data types `fetch` serves. `factors` is never listed: the pipeline computes it. */
  dataTypes: readonly ConcreteDataType[];
  /** What `tick_data` means here: trades when the provider has them, else 1-minute bars. */
  tickData: 'ticks' | 'bars_1m';
  /** Most trading days one `fetch` call may carry, per data type (default 1). */
  maxDaysPerFetch: Partial<Record<ConcreteDataType, number>>;
  /** Endpoints and limits. */
  endpoints: readonly EndpointInfo[];
  /** Free-text notes for `tickpipe providers` (look-back limits, units, quirks). */
  notes: readonly string[];
  /**
   * Data types `fetchMarketDay` serves: one call returns a whole trading day for every symbol
   * (Tushare `daily` with `trade_date` alone). The planner uses it when it needs fewer calls.
   */
  marketDayDataTypes?: readonly ConcreteDataType[];
  /** Endpoints one fetch of a data type calls (for call estimates); default: one named after the type. */
  endpointsOf?: Partial<Record<ConcreteDataType, readonly string[]>>;
}

/** Parameters of {@link Provider.fetch}. */
export interface FetchParams {
  dataType: ConcreteDataType;
  symbol: Ticker;
  /** Trading days, ascending, 1..maxDaysPerFetch of them. */
  tradeDates: readonly string[];
  signal: AbortSignal;
}

/** Result of {@link Provider.fetch}. */
export interface FetchResult {
  /**
   * Rows per requested trade date. A date mapped to an empty row set is *confirmed empty*
   * (e.g. the symbol was suspended). Every requested date appears here or in `errors`.
   */
  byDate: Map<string, RowSet>;
  /** Per-date failures when only some dates failed (e.g. beyond a look-back limit). */
  errors?: Map<string, IngestError>;
}

/** The provider port. */
export interface Provider {
  /** Config name: `simulated`, `tushare`, `yahoo`. Also the `source` of every row it returns. */
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  /** The listed universe behind `--symbols ALL`; with `includeDelisted`, also delisted/suspended listings. */
  universe(params: { includeDelisted: boolean; signal: AbortSignal }): Promise<Ticker[]>;
  /**
   * Of explicitly requested `symbols`, those this provider does not know, each with a
   * `PROVIDER_NOT_FOUND` error naming it. Checked against the provider's whole universe,
   * delisted and suspended listings included (a delisted name is known). Optional: a provider
   * that cannot list its universe leaves unknown symbols to fail at fetch time.
   */
  checkSymbols?(params: {
    symbols: readonly Ticker[];
    signal: AbortSignal;
  }): Promise<Map<Ticker, IngestError>>;
  /**
   * Listing life of the provider's symbols (first and last listed day), e.g. from Tushare
   * `stock_basic`. Optional: without it every trading day of a symbol is planned. Symbols it
   * does not know are left out of the map.
   */
  listings?(params: { signal: AbortSignal }): Promise<Map<Ticker, ListingLife>>;
  /** Trading days within the range for the symbol's market (A-share calendar when `symbol` is omitted). */
  tradingDays(params: { range: DateRange; symbol?: Ticker; signal: AbortSignal }): Promise<string[]>;
  /** Fetches one unit. Throws an `IngestError` when the whole call failed. */
  fetch(params: FetchParams): Promise<FetchResult>;
  /**
   * Fetches one trading day of a data type for the whole market (see
   * `ProviderCapabilities.marketDayDataTypes`): row sets by symbol; a symbol missing from the
   * map did not trade that day (confirmed empty).
   */
  fetchMarketDay?(params: {
    dataType: ConcreteDataType;
    tradeDate: string;
    signal: AbortSignal;
  }): Promise<Map<Ticker, RowSet>>;
  /** Releases the provider's own resources. */
  close(): Promise<void>;
}

/** What every provider factory receives. */
export interface ProviderDeps {
  /** HTTP fetch (tests may swap it; production uses `globalThis.fetch`). */
  fetch: typeof globalThis.fetch;
  /** Paces requests per (provider, endpoint, key). Call before every outgoing request. */
  gate: RequestGate;
  /** Current time, epoch ms. */
  now(): number;
  logger: Logger;
}
