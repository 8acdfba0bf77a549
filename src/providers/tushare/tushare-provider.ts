/**
 * The Tushare Pro provider (README.md, "Providers"): universe from `stock_basic`, calendar from `trade_cal`,
 * 1-minute bars from `stk_mins`, daily bars from `daily` + `adj_factor`, best bid/ask from
 * `rt_k` (current session only). Rows arrive newest first and are sorted here; answers cut by a
 * row cap are split and refetched, never stored truncated.
 */
import type { ResolvedConfig } from '../../config/schema.js';
import type { ConcreteDataType } from '../../domain/data-type.js';
import { compactDate, shanghaiDate, type DateRange } from '../../domain/dates.js';
import type { AdjFactor, Bar, RowSet } from '../../domain/rows.js';
import { isAShare, type Ticker } from '../../domain/ticker.js';
import { IngestError, throwIfAborted } from '../../errors.js';
import type { EndpointInfo, FetchParams, FetchResult, Provider, ProviderDeps } from '../provider.js';
import { createTushareClient, type TushareClient } from './tushare-client.js';
import { createTushareListings } from './tushare-listings.js';
import {
  adjFactorFromRow,
  bookFromRow,
  dailyBarFromRow,
  isoDate,
  minuteBarFromRow,
  TUSHARE_SOURCE,
} from './tushare-rows.js';
import { endpointLimit } from '../../config/rate-limits.js';

/** The `providers.tushare` section of the resolved config. */
export type TushareConfig = ResolvedConfig['providers']['tushare'];

/** Rows one call returns at most, per interface (docs/PROVIDERS.md, "Tushare Pro"). */
export const TUSHARE_ROW_CAPS = {
  stock_basic: 6000,
  trade_cal: undefined,
  daily: 6000,
  adj_factor: 6000,
  stk_mins: 8000,
  rt_k: 6000,
} as const;

/**
 * Trading days of 1-minute bars per `stk_mins` call: as many as fit under the row cap (241 bars
 * a day, 33 days = 7,953 rows), so a backfill makes the fewest calls the cap allows.
 */
export const MINUTE_DAYS_PER_CALL = Math.floor(TUSHARE_ROW_CAPS.stk_mins / 241);

/** Interfaces this provider calls. */
export type TushareApi = keyof typeof TUSHARE_ROW_CAPS;

/** The Tushare provider, with the whole-market daily form as an extra. */
export interface TushareProvider extends Provider {
  /**
   * Whole-market daily bars of one trade date (`daily` with `trade_date` alone): one row set per
   * symbol that traded, with its bar and `prevClose`. One request instead of one per symbol.
   */
  dailyMarket(params: { tradeDate: string; signal: AbortSignal }): Promise<Map<Ticker, RowSet>>;
  fetchMarketDay(params: {
    dataType: ConcreteDataType;
    tradeDate: string;
    signal: AbortSignal;
  }): Promise<Map<Ticker, RowSet>>;
}

const MINUTE_FIELDS = ['ts_code', 'trade_time', 'open', 'high', 'low', 'close', 'vol', 'amount'] as const;
const DAILY_FIELDS = [
  'ts_code',
  'trade_date',
  'open',
  'high',
  'low',
  'close',
  'pre_close',
  'vol',
  'amount',
] as const;
const BOOK_FIELDS = [
  'ts_code',
  'trade_time',
  'bid_price1',
  'bid_volume1',
  'ask_price1',
  'ask_volume1',
] as const;

/** Builds the provider. Throws `CONFIG_INVALID` when neither `token` nor `tokens` is set. */
export function createTushareProvider(config: TushareConfig, deps: ProviderDeps): TushareProvider {
  const tokens =
    config.tokens && config.tokens.length > 0 ? config.tokens : config.token ? [config.token] : [];
  const client: TushareClient = createTushareClient({
    baseUrl: config.base_url,
    tokens,
    timeoutMs: config.timeout_ms,
    fetch: deps.fetch,
    gate: deps.gate,
    now: deps.now,
    logger: deps.logger,
  });

  const rpm = (api: string): number | undefined => endpointLimit(config.rate_limit, api);
  const endpoint = (name: TushareApi, note: string): EndpointInfo => {
    const cap = TUSHARE_ROW_CAPS[name];
    return { name, requestsPerMinute: rpm(name), ...(cap === undefined ? {} : { rowCap: cap }), note };
  };

  const calendarCache: { range: DateRange; days: Promise<string[]> }[] = [];
  const listings = createTushareListings(client);
  /**
   * Calls a dated interface over the span of `dates` (ascending trading days); when the answer
   * reaches the row cap or says `has_more`, splits the days in halves and refetches each.
   */
  const querySplitting = async (
    api: 'stk_mins' | 'daily' | 'adj_factor',
    symbol: Ticker,
    dates: readonly string[],
    span: (first: string, last: string) => Record<string, string>,
    fields: readonly string[],
    signal: AbortSignal,
  ): Promise<Record<string, unknown>[]> => {
    const first = dates[0];
    const last = dates[dates.length - 1];
    if (first === undefined || last === undefined) return [];
    const table = await client.query({
      api,
      params: { ts_code: symbol, ...span(first, last) },
      fields,
      symbol,
      signal,
    });
    const cap = TUSHARE_ROW_CAPS[api];
    if (table.rows.length < cap && !table.hasMore) return table.rows;
    if (dates.length === 1) {
      throw new IngestError(
        'PROVIDER_BAD_RESPONSE',
        `Tushare "${api}" returned ${table.rows.length} rows for ${symbol} on ${first} alone (cap ${cap}); refusing to store a possibly truncated day`,
        { retryable: false, context: { provider: 'tushare', endpoint: api, symbol, tradeDate: first } },
      );
    }
    deps.logger.debug('tushare answer hit the row cap; splitting the range', {
      endpoint: api,
      symbol,
      days: dates.length,
    });
    const mid = Math.ceil(dates.length / 2);
    const left = await querySplitting(api, symbol, dates.slice(0, mid), span, fields, signal);
    const right = await querySplitting(api, symbol, dates.slice(mid), span, fields, signal);
    return [...left, ...right];
  };

  const fetchMinuteBars = async (
    symbol: Ticker,
    dates: readonly string[],
    signal: AbortSignal,
  ): Promise<FetchResult> => {
    const rows = await querySplitting(
      'stk_mins',
      symbol,
      dates,
      (first, last) => ({ freq: '1min', start_date: `${first} 09:00:00`, end_date: `${last} 19:00:00` }),
      MINUTE_FIELDS,
      signal,
    );
    const byDate = new Map<string, RowSet>(dates.map((d) => [d, { bars: [] as Bar[] }]));
    const seen = new Set<number>();
    for (const row of rows) {
      const bar = minuteBarFromRow(row, symbol);
      // Halves never overlap, but a server repeating a boundary row must not duplicate it.
      if (seen.has(bar.ts)) continue;
      seen.add(bar.ts);
      byDate.get(bar.tradeDate)?.bars?.push(bar);
    }
    for (const set of byDate.values()) set.bars?.sort((a, b) => a.ts - b.ts);
    return { byDate };
  };

  const fetchDailyBars = async (
    symbol: Ticker,
    dates: readonly string[],
    signal: AbortSignal,
  ): Promise<FetchResult> => {
    const span = (first: string, last: string): Record<string, string> => ({
      start_date: compactDate(first),
      end_date: compactDate(last),
    });
    const dailyRows = await querySplitting('daily', symbol, dates, span, DAILY_FIELDS, signal);
    const adjRows = await querySplitting(
      'adj_factor',
      symbol,
      dates,
      span,
      ['ts_code', 'trade_date', 'adj_factor'],
      signal,
    );
    const daily = new Map(dailyRows.map((r) => dailyBarFromRow(r, symbol)).map((d) => [d.bar.tradeDate, d]));
    const adj = new Map<string, AdjFactor>(
      adjRows.map((r) => adjFactorFromRow(r, symbol)).map((a) => [a.tradeDate, a]),
    );
    const byDate = new Map<string, RowSet>();
    for (const d of dates) {
      const day = daily.get(d);
      const factor = adj.get(d);
      byDate.set(d, {
        bars: day ? [day.bar] : [],
        ...(factor ? { adjFactors: [factor] } : {}),
        ...(day?.prevClose === undefined ? {} : { prevClose: day.prevClose }),
      });
    }
    return { byDate };
  };

  const fetchBooks = async (
    symbol: Ticker,
    dates: readonly string[],
    signal: AbortSignal,
  ): Promise<FetchResult> => {
    const nowMs = deps.now();
    const today = shanghaiDate(nowMs);
    const unsupported = (date: string): IngestError =>
      new IngestError(
        'PROVIDER_UNSUPPORTED',
        `Tushare has no historical order books; rt_k serves only the current session (${symbol} ${date}, today is ${today} in Shanghai)`,
        { retryable: false, context: { provider: 'tushare', endpoint: 'rt_k', symbol, tradeDate: date } },
      );
    if (!dates.includes(today)) {
      throw unsupported(
        dates.length === 1 ? (dates[0] as string) : `${dates[0]}..${dates[dates.length - 1]}`,
      );
    }
    const table = await client.query({
      api: 'rt_k',
      params: { ts_code: symbol },
      fields: BOOK_FIELDS,
      symbol,
      signal,
    });
    const books = table.rows
      .filter((r) => r['ts_code'] === symbol)
      .map((r) => bookFromRow(r, symbol, today, nowMs));
    const byDate = new Map<string, RowSet>([[today, { books: books.filter((b) => b.tradeDate === today) }]]);
    const errors = new Map<string, IngestError>(
      dates.filter((d) => d !== today).map((d) => [d, unsupported(d)]),
    );
    return errors.size > 0 ? { byDate, errors } : { byDate };
  };

  const SERVED: readonly ConcreteDataType[] = ['bars_1m', 'bars_1d', 'order_book'];

  return {
    name: TUSHARE_SOURCE,
    capabilities: {
      dataTypes: SERVED,
      tickData: 'bars_1m',
      maxDaysPerFetch: { bars_1m: MINUTE_DAYS_PER_CALL, bars_1d: 250, order_book: 1 },
      marketDayDataTypes: ['bars_1d'],
      endpointsOf: { bars_1m: ['stk_mins'], bars_1d: ['daily', 'adj_factor'], order_book: ['rt_k'] },
      endpoints: [
        endpoint('stock_basic', 'universe; one call per list_status'),
        endpoint('trade_cal', 'SSE calendar; cached per run'),
        endpoint(
          'stk_mins',
          `1min bars, 241 per day, end-labelled; separate paid permission; ${MINUTE_DAYS_PER_CALL} days per call`,
        ),
        endpoint('daily', 'unadjusted daily bars; vol 手 ×100 → shares, amount 千元 ×1000 → CNY'),
        endpoint('adj_factor', 'adjustment factors, fetched with daily bars'),
        endpoint('rt_k', 'level-1 best bid/ask of the current session only; separate permission'),
      ],
      notes: [
        'tick_data means 1-minute bars: Tushare has no trade-by-trade feed over HTTP.',
        'Order books: best bid/ask from rt_k, today only; historical days are unsupported.',
        'Rate-limit answers (每分钟最多访问该接口N次) teach the per-minute limit N.',
      ],
    },

    ...listings,

    async tradingDays({ range, signal }) {
      throwIfAborted(signal);
      const hit = calendarCache.find((c) => c.range.start <= range.start && c.range.end >= range.end);
      if (hit) return (await hit.days).filter((d) => d >= range.start && d <= range.end);
      const entry = {
        range,
        days: client
          .query({
            api: 'trade_cal',
            params: {
              exchange: 'SSE',
              start_date: compactDate(range.start),
              end_date: compactDate(range.end),
              is_open: '1',
            },
            fields: ['cal_date', 'is_open'],
            signal,
          })
          .then((table) =>
            table.rows
              .filter((r) => Number(r['is_open']) === 1 && typeof r['cal_date'] === 'string')
              .map((r) => isoDate(r['cal_date'] as string))
              .filter((d) => d >= range.start && d <= range.end)
              .sort(),
          ),
      };
      calendarCache.push(entry);
      try {
        return [...(await entry.days)];
      } catch (e) {
        calendarCache.splice(calendarCache.indexOf(entry), 1);
        throw e;
      }
    },

    async fetch({ dataType, symbol, tradeDates, signal }: FetchParams): Promise<FetchResult> {
      throwIfAborted(signal);
      if (!SERVED.includes(dataType) || !isAShare(symbol)) {
        throw new IngestError(
          'PROVIDER_UNSUPPORTED',
          `Tushare does not serve ${dataType} for ${symbol} (serves bars_1m, bars_1d and today's order_book for A-shares)`,
          { retryable: false, context: { provider: 'tushare', dataType, symbol } },
        );
      }
      const dates = [...tradeDates].sort();
      if (dates.length === 0) return { byDate: new Map() };
      if (dataType === 'bars_1m') return fetchMinuteBars(symbol, dates, signal);
      if (dataType === 'bars_1d') return fetchDailyBars(symbol, dates, signal);
      return fetchBooks(symbol, dates, signal);
    },

    async dailyMarket({ tradeDate, signal }) {
      const table = await client.query({
        api: 'daily',
        params: { trade_date: compactDate(tradeDate) },
        fields: DAILY_FIELDS,
        signal,
      });
      if (table.rows.length >= TUSHARE_ROW_CAPS.daily || table.hasMore) {
        throw new IngestError(
          'PROVIDER_BAD_RESPONSE',
          `Tushare "daily" returned ${table.rows.length} rows for the whole market on ${tradeDate} (cap ${TUSHARE_ROW_CAPS.daily}); the answer may be truncated — fetch per symbol instead`,
          { retryable: false, context: { provider: 'tushare', endpoint: 'daily', tradeDate } },
        );
      }
      const out = new Map<Ticker, RowSet>();
      for (const row of table.rows) {
        const symbol = row['ts_code'];
        if (typeof symbol !== 'string') continue;
        const { bar, prevClose } = dailyBarFromRow(row, symbol);
        out.set(symbol, { bars: [bar], ...(prevClose === undefined ? {} : { prevClose }) });
      }
      return out;
    },

    async fetchMarketDay({ dataType, tradeDate, signal }) {
      if (dataType !== 'bars_1d') {
        throw new IngestError('PROVIDER_UNSUPPORTED', `Tushare has no whole-market form for ${dataType}`, {
          retryable: false,
        });
      }
      const market = await this.dailyMarket({ tradeDate, signal });
      // adj_factor also has a whole-market form: one more call for every symbol of the day.
      const table = await client.query({
        api: 'adj_factor',
        params: { trade_date: compactDate(tradeDate) },
        fields: ['ts_code', 'trade_date', 'adj_factor'],
        signal,
      });
      if (table.rows.length >= TUSHARE_ROW_CAPS.adj_factor || table.hasMore) {
        throw new IngestError(
          'PROVIDER_BAD_RESPONSE',
          `Tushare "adj_factor" returned ${table.rows.length} rows for the whole market on ${tradeDate} (cap ${TUSHARE_ROW_CAPS.adj_factor}); the answer may be truncated`,
          { retryable: false, context: { provider: 'tushare', endpoint: 'adj_factor', tradeDate } },
        );
      }
      for (const row of table.rows) {
        const symbol = row['ts_code'];
        const rows = typeof symbol === 'string' ? market.get(symbol) : undefined;
        // Factors of symbols without a bar (suspended) are left out: the unit is confirmed empty.
        if (rows && typeof symbol === 'string') rows.adjFactors = [adjFactorFromRow(row, symbol)];
      }
      return market;
    },

    async close() {},
  };
}
