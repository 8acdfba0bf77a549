/**
 * Ticker ↔ Yahoo symbol mapping and the market facts the provider needs per symbol
 * (docs/PROVIDERS.md, "Yahoo Finance chart API"): Shanghai `.SH` is `.SS` on Yahoo, Shenzhen `.SZ` stays, Beijing `.BJ` is
 * not listed by Yahoo, other markets pass through as plain tickers.
 */
import { IngestError } from '../../errors.js';
import type { Ticker } from '../../domain/ticker.js';

/** Exchange zone of every A-share (no DST). */
export const A_SHARE_TIME_ZONE = 'Asia/Shanghai';
/** Zone assumed for plain tickers until a response's `meta.exchangeTimezoneName` says otherwise. */
export const DEFAULT_PLAIN_TIME_ZONE = 'America/New_York';

/** How one ticker is asked for and dated on Yahoo. */
export interface YahooMarket {
  /** Symbol in Yahoo's spelling (`600519.SS`). */
  yahooSymbol: string;
  /** True for `.SH`/`.SZ`. */
  aShare: boolean;
  /** Known exchange zone (A-shares), or `undefined` when only the response can tell. */
  timeZone: string | undefined;
  /** Local session close `HH:MM` when known (A-shares `15:00`). */
  sessionClose: string | undefined;
}

/** Maps a ticker to Yahoo; throws non-retryable `PROVIDER_UNSUPPORTED` for Beijing (`.BJ`) codes. */
export function yahooMarketOf(ticker: Ticker): YahooMarket {
  const m = /^(\d{6})\.(SH|SZ|BJ)$/.exec(ticker);
  if (!m) return { yahooSymbol: ticker, aShare: false, timeZone: undefined, sessionClose: undefined };
  if (m[2] === 'BJ') {
    throw new IngestError(
      'PROVIDER_UNSUPPORTED',
      `Yahoo does not list Beijing Stock Exchange codes (${ticker})`,
      {
        retryable: false,
        context: { provider: 'yahoo', symbol: ticker },
      },
    );
  }
  return {
    yahooSymbol: `${m[1]}.${m[2] === 'SH' ? 'SS' : 'SZ'}`,
    aShare: true,
    timeZone: A_SHARE_TIME_ZONE,
    sessionClose: '15:00',
  };
}
