/**
 * The Yahoo Finance provider: 1-minute and daily bars from the chart API v8.
 *
 * Deliberately a thin client of `GET {base_url}/v8/finance/chart/{symbol}` and not the
 * `yahoo-finance2` package: that package is not a dependency, and its strict result validation,
 * cookie/crumb bootstrap (the chart endpoint needs none) and Node 22 deprecation warnings get in
 * the way of pointing it at a local emulator and classifying failures ourselves.
 *
 * Conventions (docs/STORAGE.md, "Tables"):
 * - Yahoo stamps bars at their START; 1-minute bars are stored END-labelled (`ts` = start + 60 s),
 *   so Yahoo's 09:30 bar becomes 09:31 like a Chinese vendor's.
 * - Daily bars: `ts` = the session close of the trade date (15:00 Asia/Shanghai for A-shares; for
 *   other markets the local time of `meta.currentTradingPeriod.regular.end`, else 16:00).
 * - Trade dates are computed in the exchange's zone: Asia/Shanghai for `.SH`/`.SZ`; for plain
 *   tickers `meta.exchangeTimezoneName` (learned once per symbol, America/New_York until known).
 * - Rows with any `null` price are gaps and dropped; a `null` volume with prices counts as 0.
 * - `amount`: Yahoo reports no turnover. We store an ESTIMATE, volume × typical price
 *   (high + low + close) / 3, rounded to 0.01, rather than 0, so that VWAP-style factors stay
 *   usable; the README must flag Yahoo amounts as estimates.
 * - `prevClose`: the close of the previous bar in the answer, for the first date
 *   `meta.chartPreviousClose`.
 * - Dates in the window without bars (holidays, suspensions) are confirmed empty.
 */
import type { ResolvedConfig } from '../../config/schema.js';
import { CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR, tradingDaysBetween } from '../../domain/calendar.js';
import type { ConcreteDataType } from '../../domain/data-type.js';
import { addDays, eachDay, weekday } from '../../domain/dates.js';
import type { DateRange } from '../../domain/dates.js';
import type { Bar, RowSet } from '../../domain/rows.js';
import { isAShare, type Ticker } from '../../domain/ticker.js';
import { IngestError, throwIfAborted } from '../../errors.js';
import type { FetchParams, FetchResult, Provider, ProviderDeps } from '../provider.js';
import {
  oneMinuteLookBackError,
  YAHOO_1M_LOOKBACK_DAYS,
  YAHOO_1M_MAX_WINDOW_DAYS,
  type YahooRequestContext,
} from './classify-yahoo-error.js';
import { planMinuteWindows } from './plan-minute-windows.js';
import { createYahooChartClient, type YahooChartAnswer } from './yahoo-chart-client.js';
import { DEFAULT_PLAIN_TIME_ZONE, yahooMarketOf, type YahooMarket } from './yahoo-symbol.js';
import { createZoneClock, type ZoneClock } from './zoned-time.js';
import { endpointLimit } from '../../config/rate-limits.js';

const DAY_MS = 86_400_000;

/** Creates the Yahoo provider. `config` is `providers.yahoo` of the resolved config. */
export function createYahooProvider(
  config: ResolvedConfig['providers']['yahoo'],
  deps: ProviderDeps,
): Provider {
  const client = createYahooChartClient({
    baseUrl: config.base_url,
    timeoutMs: config.timeout_ms,
    fetch: deps.fetch,
    gate: deps.gate,
    now: deps.now,
    logger: deps.logger,
  });
  // Exchange zones of plain tickers, learned from `meta.exchangeTimezoneName`; lives as long as the provider.
  const learnedZones = new Map<Ticker, string>();
  const clocks = new Map<string, ZoneClock>();
  const clockOf = (timeZone: string): ZoneClock => {
    let clock = clocks.get(timeZone);
    if (!clock) {
      clock = createZoneClock(timeZone);
      clocks.set(timeZone, clock);
    }
    return clock;
  };

  const zoneOf = (symbol: Ticker, market: YahooMarket) =>
    market.timeZone ?? learnedZones.get(symbol) ?? DEFAULT_PLAIN_TIME_ZONE;

  const fetchWindow = async (
    symbol: Ticker,
    market: YahooMarket,
    interval: '1m' | '1d',
    dates: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, RowSet>> => {
    const first = dates[0];
    const last = dates[dates.length - 1];
    if (first === undefined || last === undefined) return new Map();
    const ctx: YahooRequestContext = { symbol, yahooSymbol: market.yahooSymbol, interval, tradeDates: dates };
    for (let attempt = 0; ; attempt++) {
      const zone = clockOf(zoneOf(symbol, market));
      let period1 = zone.wallTimeMs(first, '00:00') / 1000;
      let period2 = zone.wallTimeMs(addDays(last, 1), '00:00') / 1000;
      if (interval === '1m') {
        // A day at the edge of the 30-day look-back: start the window inside it (Yahoo checks
        // the start), which still precedes that day's session when the day is servable.
        period1 = Math.max(period1, Math.ceil((deps.now() - YAHOO_1M_LOOKBACK_DAYS * DAY_MS) / 1000) + 60);
      }
      // A window of 7 calendar days spanning a DST fall-back lasts 7 d + 1 h; the cut hour has no session.
      if (interval === '1m') period2 = Math.min(period2, period1 + YAHOO_1M_MAX_WINDOW_DAYS * 86_400);
      const answer = await client.chart({ ctx, period1, period2, signal });
      const reported = answer.meta?.exchangeTimezoneName;
      if (
        market.timeZone === undefined &&
        reported !== undefined &&
        reported !== zone.timeZone &&
        attempt === 0
      ) {
        if (isTimeZone(reported)) {
          learnedZones.set(symbol, reported);
          continue; // ask again with the exchange's own midnights
        }
      }
      return toRowSets(answer, { symbol, market, interval, dates, zone });
    }
  };

  return {
    name: 'yahoo',
    capabilities: {
      dataTypes: ['bars_1m', 'bars_1d'],
      tickData: 'bars_1m',
      maxDaysPerFetch: { bars_1m: 5, bars_1d: 250 },
      endpointsOf: { bars_1m: ['chart'], bars_1d: ['chart'] },
      endpoints: [
        {
          name: 'chart',
          requestsPerMinute: endpointLimit(config.rate_limit, 'chart'),
          note: `1m bars: last ${YAHOO_1M_LOOKBACK_DAYS} days, at most ${YAHOO_1M_MAX_WINDOW_DAYS} days per request`,
        },
      ],
      notes: [
        'Unofficial API; no published limits (HTTP 429 "Edge: Too Many Requests" when throttled).',
        'tick_data is served as 1-minute bars; no trades, order books or universe listing.',
        'Beijing Stock Exchange (.BJ) codes are not listed by Yahoo; .SH is asked as .SS.',
        'Bar amounts are estimates: volume × (high + low + close) / 3 (Yahoo reports no turnover).',
      ],
    },

    async universe({ signal }) {
      throwIfAborted(signal);
      throw new IngestError(
        'PROVIDER_UNSUPPORTED',
        'Yahoo has no listing endpoint, so it cannot resolve --symbols ALL; list symbols or route the universe to another provider',
        { retryable: false, context: { provider: 'yahoo' } },
      );
    },

    async tradingDays({ range, symbol, signal }) {
      throwIfAborted(signal);
      if ((symbol === undefined || isAShare(symbol)) && calendarCovers(range))
        return tradingDaysBetween(range);
      // Other markets (and A-share years outside the built-in calendar): weekdays; holidays come back confirmed empty.
      return eachDay(range).filter((d) => weekday(d) !== 0 && weekday(d) !== 6);
    },

    async fetch({ dataType, symbol, tradeDates, signal }: FetchParams): Promise<FetchResult> {
      throwIfAborted(signal);
      if (dataType !== 'bars_1m' && dataType !== 'bars_1d') throw unsupportedType(dataType, symbol);
      const market = yahooMarketOf(symbol);
      const byDate = new Map<string, RowSet>();
      const errors = new Map<string, IngestError>();

      if (dataType === 'bars_1d') {
        for (const [d, rows] of await fetchWindow(symbol, market, '1d', tradeDates, signal))
          byDate.set(d, rows);
        return { byDate };
      }

      const oldestMs = deps.now() - YAHOO_1M_LOOKBACK_DAYS * DAY_MS;
      const zone = clockOf(zoneOf(symbol, market));
      const eligible: string[] = [];
      for (const d of tradeDates) {
        // Servable when the day's session starts inside the look-back (the window start is
        // clamped into it); 09:00 local is at or before the open of every market served, so a
        // day whose session began before the cut-off is never stored truncated.
        if (zone.wallTimeMs(d, '09:00') < oldestMs + 60_000) errors.set(d, oneMinuteLookBackError(symbol, d));
        else eligible.push(d);
      }
      for (const window of planMinuteWindows(eligible)) {
        try {
          for (const [d, rows] of await fetchWindow(symbol, market, '1m', window, signal))
            byDate.set(d, rows);
        } catch (error) {
          // Yahoo's clock disagreed with ours about the 30-day look-back: same per-date classification.
          if ((error as { code?: unknown }).code !== 'PROVIDER_UNSUPPORTED') throw error;
          for (const d of window) errors.set(d, oneMinuteLookBackError(symbol, d));
        }
      }
      return errors.size > 0 ? { byDate, errors } : { byDate };
    },

    async close() {
      learnedZones.clear();
      clocks.clear();
    },
  };
}

interface WindowSpec {
  symbol: Ticker;
  market: YahooMarket;
  interval: '1m' | '1d';
  dates: readonly string[];
  zone: ZoneClock;
}

/** Turns an answer into one row set per requested date (empty = confirmed empty). */
function toRowSets(answer: YahooChartAnswer, spec: WindowSpec): Map<string, RowSet> {
  const { symbol, market, interval, dates, zone } = spec;
  const wanted = new Set(dates);
  const closeHhmm =
    market.sessionClose ??
    (answer.meta?.regularEnd === undefined ? '16:00' : zone.localHhmm(answer.meta.regularEnd * 1000));
  const bars = new Map<string, Map<number, Bar>>(dates.map((d) => [d, new Map()]));
  for (const row of answer.rows) {
    const { open, high, low, close } = row;
    if (open === null || high === null || low === null || close === null) continue;
    const tradeDate = zone.localDate(row.start * 1000);
    if (!wanted.has(tradeDate)) continue;
    const volume = row.volume ?? 0;
    const ts = interval === '1m' ? row.start * 1000 + 60_000 : zone.wallTimeMs(tradeDate, closeHhmm);
    // Keyed by ts: Yahoo occasionally repeats a timestamp; the later row wins.
    bars.get(tradeDate)?.set(ts, {
      symbol,
      interval,
      ts,
      open,
      high,
      low,
      close,
      volume,
      amount: Math.round(((volume * (high + low + close)) / 3) * 100) / 100,
      source: 'yahoo',
      tradeDate,
    });
  }
  const out = new Map<string, RowSet>();
  let prevClose = answer.meta?.chartPreviousClose;
  for (const d of dates) {
    const dayBars = [...(bars.get(d)?.values() ?? [])].sort((a, b) => a.ts - b.ts);
    const rows: RowSet = { bars: dayBars };
    if (prevClose !== undefined) rows.prevClose = prevClose;
    out.set(d, rows);
    const lastBar = dayBars[dayBars.length - 1];
    if (lastBar) prevClose = lastBar.close;
  }
  return out;
}

function calendarCovers(range: DateRange): boolean {
  return range.start >= `${CALENDAR_FIRST_YEAR}-01-01` && range.end <= `${CALENDAR_LAST_YEAR}-12-31`;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function unsupportedType(dataType: ConcreteDataType, symbol: Ticker): IngestError {
  return new IngestError(
    'PROVIDER_UNSUPPORTED',
    `Yahoo serves bars_1m and bars_1d only, not ${dataType} (${symbol})`,
    { retryable: false, context: { provider: 'yahoo', symbol, dataType } },
  );
}
