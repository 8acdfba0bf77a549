import { systemClock } from '../../limits/clock.js';
import type { ResolvedConfig } from '../../config/schema.js';
import {
  assertCalendarCovers,
  CALENDAR_FIRST_YEAR,
  CALENDAR_LAST_YEAR,
  isTradingDay,
  tradingDaysBetween,
} from '../../domain/calendar.js';
import type { ConcreteDataType } from '../../domain/data-type.js';
import type { RowSet } from '../../domain/rows.js';
import type { ListingLife } from '../../domain/listing-life.js';
import type { Ticker } from '../../domain/ticker.js';
import { IngestError, throwIfAborted } from '../../errors.js';
import type { FetchParams, FetchResult, Provider, ProviderCapabilities, ProviderDeps } from '../provider.js';
import { dailyBarFromTicks, minuteBarsFromTicks } from './bars-from-ticks.js';
import type { DailyPath } from './daily-plan.js';
import { dailyPath, planFromPath } from './daily-plan.js';
import { createLruCache } from './lru-cache.js';
import { seededRandom } from './seeded-random.js';
import type { SessionDay } from './session-day.js';
import { generateSessionDay, sessionBooks, sessionTicks } from './session-day.js';
import { stockBoardOf, symbolProfile } from './symbol-profile.js';
import type { SimulatedUniverse } from './simulated-universe.js';
import { simulatedUniverse } from './simulated-universe.js';
import { endpointLimit } from '../../config/rate-limits.js';

/** The `simulated` section of the resolved config. */
export type SimulatedProviderConfig = ResolvedConfig['providers']['simulated'];

/** Optional knobs of {@link createSimulatedProvider} (tests swap the sleep). */
export interface SimulatedProviderOptions {
  /** Waits `ms` or rejects when `signal` aborts. Default: a timer that honours the signal. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Most symbol-days kept between calls (ticks, books and bars of one day are separate fetches). Default 32. */
  cacheEntries?: number;
}

const NAME = 'simulated';
const ENDPOINT = 'market';
const DATA_TYPES = [
  'ticks',
  'bars_1m',
  'bars_1d',
  'order_book',
] as const satisfies readonly ConcreteDataType[];
type SimulatedDataType = (typeof DATA_TYPES)[number];

/**
 * The built-in deterministic A-share market (README.md, "Providers"). Every row is a pure function of
 * (seed, symbol, trade date): the same in every run, whatever else is fetched and in what order.
 * Serves `ticks`, `bars_1m`, `bars_1d` and `order_book` for any A-share stock code of the covered
 * calendar years; other tickers are `PROVIDER_NOT_FOUND`. Each fetch passes the request gate
 * (endpoint `market`), waits `latency_ms`, and fails with `PROVIDER_UNAVAILABLE` for a `fail_rate`
 * share of requests, decided per request so that a retry can succeed.
 */
export function createSimulatedProvider(
  config: SimulatedProviderConfig,
  deps: ProviderDeps,
  options: SimulatedProviderOptions = {},
): Provider {
  const { seed } = config;
  const sleep = options.sleep ?? systemClock.sleep;
  const cache = createLruCache<SessionDay>(options.cacheEntries ?? 32);
  // A path is ~6 KB per symbol and saves re-walking the calendar for each of its days.
  const paths = createLruCache<DailyPath>(1024);
  let universeMemo: SimulatedUniverse | undefined;
  // Built on first use: 20,000 listings take a noticeable fraction of a second.
  const listings = (): SimulatedUniverse => (universeMemo ??= simulatedUniverse(seed, config.universe_size));
  let requestCount = 0;

  const capabilities: ProviderCapabilities = {
    dataTypes: DATA_TYPES,
    tickData: 'ticks',
    maxDaysPerFetch: { ticks: 1, bars_1m: 1, bars_1d: 1, order_book: 1 },
    endpointsOf: { ticks: ['market'], bars_1m: ['market'], bars_1d: ['market'], order_book: ['market'] },
    endpoints: [
      {
        name: ENDPOINT,
        requestsPerMinute: endpointLimit(config.rate_limit, ENDPOINT),
        note: 'one symbol-day per request',
      },
    ],
    notes: [
      `deterministic from seed ${seed}: the same symbol and day always give the same rows`,
      `trading calendar ${tradingYears()}; any A-share stock code can be fetched, ${config.universe_size} are listed`,
      `3-second snapshots, ${config.book_levels}-level books, 0.01 tick, 100-share lots, board price limits`,
      'not real market data: rows carry source "simulated"',
    ],
  };

  function sessionDay(symbol: Ticker, tradeDate: string): SessionDay {
    const key = `${symbol}|${tradeDate}`;
    let day = cache.get(key);
    if (day === undefined) {
      let path = paths.get(symbol);
      if (path === undefined) {
        path = dailyPath(seed, symbolProfile(seed, symbol));
        paths.set(symbol, path);
      }
      day = generateSessionDay(seed, path.profile, planFromPath(path, tradeDate));
      cache.set(key, day);
    }
    return day;
  }

  function rowsFor(dataType: SimulatedDataType, symbol: Ticker, tradeDate: string): RowSet {
    const delistedAfter = listings().delisted.get(symbol);
    const listedOn = listings().listedOn.get(symbol);
    if (
      !isTradingDay(tradeDate) ||
      (delistedAfter !== undefined && tradeDate > delistedAfter) ||
      (listedOn !== undefined && tradeDate < listedOn)
    )
      return {};
    const day = sessionDay(symbol, tradeDate);
    const prevClose = day.plan.prevCloseCents / 100;
    if (dataType === 'order_book')
      return { books: sessionBooks(day, seed, config.book_levels, NAME), prevClose };
    const ticks = sessionTicks(day, NAME);
    if (dataType === 'ticks') return { ticks, prevClose };
    const params = { symbol, tradeDate, ticks, prevClose, source: NAME };
    if (dataType === 'bars_1m') return { bars: minuteBarsFromTicks(params), prevClose };
    const daily = dailyBarFromTicks(params);
    return { bars: daily === undefined ? [] : [daily], prevClose };
  }

  return {
    name: NAME,
    capabilities,

    async universe({ includeDelisted, signal }) {
      throwIfAborted(signal);
      const { listed, delisted } = listings();
      if (!includeDelisted) return [...listed];
      return [...listed, ...delisted.keys()].sort();
    },

    async checkSymbols({ symbols, signal }) {
      throwIfAborted(signal);
      // Any A-share stock code is traded here, listed or not; anything else is unknown.
      const unknown = new Map<Ticker, IngestError>();
      for (const symbol of symbols) {
        try {
          stockBoardOf(symbol);
        } catch (e) {
          unknown.set(symbol, e as IngestError);
        }
      }
      return unknown;
    },

    async listings({ signal }) {
      throwIfAborted(signal);
      const { delisted, listedOn } = listings();
      const out = new Map<Ticker, ListingLife>();
      for (const [symbol, firstDay] of listedOn) out.set(symbol, { firstDay });
      for (const [symbol, lastDay] of delisted) out.set(symbol, { lastDay });
      return out;
    },

    async tradingDays({ range, symbol, signal }) {
      throwIfAborted(signal);
      if (symbol !== undefined) stockBoardOf(symbol);
      return tradingDaysBetween(range);
    },

    async fetch(params: FetchParams): Promise<FetchResult> {
      const { dataType, symbol, tradeDates, signal } = params;
      throwIfAborted(signal);
      const slot = await deps.gate.acquire({ provider: NAME, endpoint: ENDPOINT, signal });
      try {
        if (config.latency_ms > 0) {
          throwIfAborted(signal);
          await sleep(config.latency_ms, signal);
        }
      } finally {
        // The simulated answer arrives after the latency: the slot counts from then.
        slot.done?.();
      }
      throwIfAborted(signal);
      requestCount += 1;
      if (config.fail_rate > 0 && seededRandom(seed, NAME, 'fault', requestCount)() < config.fail_rate) {
        throw new IngestError(
          'PROVIDER_UNAVAILABLE',
          `Simulated fault: the simulated market failed ${dataType} for ${symbol} (fail_rate ${config.fail_rate}); retrying may succeed`,
          {
            retryable: true,
            context: { provider: NAME, endpoint: ENDPOINT, symbol, dataType, request: requestCount },
          },
        );
      }
      if (!(DATA_TYPES as readonly string[]).includes(dataType)) {
        throw new IngestError('PROVIDER_UNSUPPORTED', `The simulated market does not serve "${dataType}"`, {
          retryable: false,
          context: { provider: NAME, symbol, dataType },
        });
      }
      stockBoardOf(symbol);
      const byDate = new Map<string, RowSet>();
      const errors = new Map<string, IngestError>();
      for (const tradeDate of tradeDates) {
        try {
          assertCalendarCovers(tradeDate);
        } catch (error) {
          errors.set(
            tradeDate,
            new IngestError(
              'PROVIDER_UNSUPPORTED',
              `The simulated market has no calendar for ${tradeDate} (${tradingYears()})`,
              {
                retryable: false,
                context: { provider: NAME, symbol, dataType, tradeDate },
                cause: error,
              },
            ),
          );
          continue;
        }
        byDate.set(tradeDate, rowsFor(dataType as SimulatedDataType, symbol, tradeDate));
        throwIfAborted(signal);
      }
      return errors.size > 0 ? { byDate, errors } : { byDate };
    },

    async close() {},
  };
}

function tradingYears(): string {
  return `${CALENDAR_FIRST_YEAR}–${CALENDAR_LAST_YEAR}`;
}
