/**
 * The real-time quote port `tickpipe collect` polls: one call of `snapshot()` returns the current
 * level-1 (or deeper) quote of every requested symbol, through as many provider requests as the
 * provider needs (Tushare `rt_k` code lists, Yahoo quote batches). Implementations live with their
 * provider (`providers/tushare/tushare-realtime.ts`, `providers/yahoo/yahoo-quote.ts`).
 *
 * Promises: every request passes the shared `RequestGate` (the same limits as `run`); failures
 * are classified `IngestError`s (`PROVIDER_AUTH`, `PROVIDER_RATE_LIMITED`, `PROVIDER_UNAVAILABLE`,
 * ...); it never sleeps or retries on its own. Leaves out: deciding whether a quote is stale or
 * unchanged (the collector does).
 */
import type { Ticker } from '../domain/ticker.js';

/** One symbol's real-time quote as the provider reported it. Volumes in shares, amounts in currency. */
export interface RealtimeQuote {
  symbol: Ticker;
  /** Last trade price; 0 or NaN when nothing traded yet today. */
  price: number;
  preClose: number | null;
  /** Cumulative volume of the session so far, shares. */
  cumVolume: number;
  /** Cumulative turnover of the session so far, currency units (null when the provider has none). */
  cumAmount: number | null;
  /** Book levels, best first. */
  bidPrices: number[];
  bidVolumes: number[];
  askPrices: number[];
  askVolumes: number[];
  /**
   * The provider's last-trade time, UTC epoch ms, or null when unknown. It does not move when only
   * the book changes, and at 13:00 still reads 11:30.
   */
  lastTradeTs: number | null;
  /**
   * The exchange-local session date the quote belongs to, when the provider says (from its
   * last-trade time), else null. Before the opening auction Tushare still serves the previous
   * session: such a quote carries that session's date.
   */
  sessionDate: string | null;
}

/** Limits of one endpoint the source calls, for quota fitting. */
export interface QuoteEndpoint {
  name: string;
  /** Requests per minute per key; undefined = unlimited. */
  requestsPerMinute: number | undefined;
}

/** Result of one poll. */
export interface QuoteSnapshot {
  quotes: RealtimeQuote[];
  /** When the last answer of the poll arrived, UTC epoch ms (the snapshot's `ts`). */
  answeredAt: number;
  /** Requests the poll made. */
  requests: number;
}

/** The port. */
export interface QuoteSource {
  /** Provider name; the `source` of stored rows. */
  readonly name: string;
  /** Endpoints and their limits. */
  readonly endpoints: readonly QuoteEndpoint[];
  /** Number of API keys the provider rotates (limits are per key). */
  readonly keyCount: number;
  /** Provider requests one snapshot of these symbols costs, per endpoint name. */
  requestsPerSnapshot(target: QuoteTarget): Record<string, number>;
  /** Polls the current quotes of the target's symbols. */
  snapshot(params: { target: QuoteTarget; signal: AbortSignal }): Promise<QuoteSnapshot>;
}

/** What to poll. */
export interface QuoteTarget {
  /** The symbols (for `--symbols ALL`: the provider's listed universe). */
  symbols: readonly Ticker[];
  /**
   * True for `--symbols ALL`: the source may ask for whole segments (Tushare wildcards such as
   * `6*.SH`) and keeps every listed symbol they return, also ones listed after the start.
   */
  wholeMarket: boolean;
}
