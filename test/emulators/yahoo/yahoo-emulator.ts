/**
 * An in-process emulator of the Yahoo Finance chart API v8 (`GET /v8/finance/chart/{symbol}`),
 * reached by the provider through `base_url` exactly as production reaches query2.finance.yahoo.com.
 * Wire facts follow providers.md §2: JSON shape and `meta` fields, start-labelled `timestamp`s,
 * `null` gaps, `adjclose` for daily bars only, an empty window without `timestamp` and with
 * `quote: [{}]`, the 404/400/422 error envelopes, and plain-text 429 `Edge: Too Many Requests`.
 *
 * State: an injectable data clock `now` (decides the 1m 30-day look-back and which bars exist
 * yet), an optional sliding-window rate limit, a FIFO of injected faults, and a record of every
 * request. Ground truth is the {@link YahooDataset} exposed as `state.dataset`.
 *
 * Not emulated: pre/post-market bars (`includePrePost=true` is accepted and ignored), dividend and
 * split events (`events` is accepted; no `events` key is returned), the live-bar quirk of the
 * current day, cookies. `/v1/test/getcrumb` and `/v7/finance/quote` (crumb required) serve
 * real-time quotes built from the 1-minute bars.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYahooDataset } from './yahoo-dataset.js';
import type { RawBar, YahooDataset, YahooInstrument } from './yahoo-dataset.js';

/** A fault served instead of (or before) the normal answer, consumed one per request. */
export type YahooFault =
  | { kind: 'status'; status: number }
  | { kind: 'reset' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'rate-limit' }
  | { kind: 'html' }
  | { kind: 'empty-body' };

/** One request as the emulator saw it. */
export interface RecordedRequest {
  method: string;
  /** Path as sent (URL-encoded). */
  path: string;
  /** Decoded symbol of a chart request, else `undefined`. */
  symbol: string | undefined;
  query: Record<string, string>;
  userAgent: string | undefined;
  /** HTTP status sent, or `reset` when the connection was dropped. */
  status: number | 'reset';
  /** Wall-clock receive time, epoch ms. */
  receivedAtMs: number;
}

/** Options of {@link startYahooEmulator}. */
export interface YahooEmulatorOptions {
  /** The data clock, epoch ms (default `Date.now`). Decides look-back limits and which bars exist. */
  now?: () => number;
  /** Instruments served (default {@link DEFAULT_INSTRUMENTS}). */
  instruments?: readonly YahooInstrument[];
  /** More than `maxRequests` requests in any `windowMs` (wall clock) → 429. */
  rateLimit?: {
    maxRequests: number;
    windowMs: number;
    /** Adds a `Retry-After` header (seconds) to 429s; real Yahoo sends none. */
    retryAfterSeconds?: number;
  };
}

/** The emulator's observable and adjustable state. */
export interface YahooEmulatorState {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Ground truth. */
  readonly dataset: YahooDataset;
  /** Current data-clock time, epoch ms. */
  now(): number;
  /** Pins the data clock. */
  setNow(ms: number): void;
  /** Queues faults; each following request consumes one. */
  injectFaults(...faults: YahooFault[]): void;
}

/** A running emulator. */
export interface YahooEmulator {
  /** Base URL to use as `providers.yahoo.base_url`, e.g. `http://127.0.0.1:40123`. */
  url: string;
  state: YahooEmulatorState;
  close(): Promise<void>;
}

/** The crumb `/v1/test/getcrumb` hands out and `/v7/finance/quote` requires. */
export const EMULATOR_CRUMB = 'emuCrumb4Q7x';

/**
 * A `/v7/finance/quote` result at `nowMs`: the day so far from the completed 1-minute bars
 * (`regularMarketVolume` = their volume, price = the last close, `regularMarketTime` = the last
 * bar's end), one book level around the price. Before the day's first bar completes, the last
 * trading day's final state (dated that day). Undefined for an unknown symbol.
 */
export function quoteOf(
  dataset: YahooDataset,
  nowMs: number,
  symbol: string,
): Record<string, unknown> | undefined {
  const inst = dataset.instruments.get(symbol.toUpperCase());
  if (!inst) return undefined;
  const nowS = Math.floor(nowMs / 1000);
  let date = dataset.zone.dateIn(nowMs, inst.timeZone);
  for (let back = 0; back < 15; back++) {
    if (dataset.isTradingDay(inst.symbol, date)) {
      const done = dataset
        .minuteBars(inst.symbol, date)
        .filter((b) => b.start + 60 <= nowS && b.close !== null);
      const last = done[done.length - 1];
      if (last !== undefined) {
        const price = last.close as number;
        const volume = done.reduce((a, b) => a + (b.volume ?? 0), 0);
        const size = 100 * (1 + ((last.start / 60) % 37));
        return {
          symbol: inst.symbol,
          quoteType: 'EQUITY',
          currency: inst.currency,
          exchangeTimezoneName: inst.timeZone,
          regularMarketPrice: price,
          regularMarketVolume: volume,
          regularMarketTime: last.start + 60,
          regularMarketPreviousClose: null,
          bid: Math.round((price - 0.01) * 100) / 100,
          bidSize: size,
          ask: price,
          askSize: size + 100,
        };
      }
    }
    date = new Date(Date.parse(`${date}T00:00:00Z`) - DAY_S * 1000).toISOString().slice(0, 10);
  }
  return undefined;
}

/** Yahoo's own list, echoed in error texts. */
const VALID_INTERVALS = ['1m', '2m', '5m', '15m', '30m', '60m', '90m', '1h', '1d', '5d', '1wk', '1mo', '3mo'];
const VALID_RANGES = ['1d', '5d', '1mo', '3mo', '6mo', '1y', '2y', '5y', '10y', 'ytd', 'max'];
const RANGE_DAYS: Record<string, number> = {
  '1d': 1,
  '5d': 5,
  '1mo': 30,
  '3mo': 90,
  '6mo': 182,
  '1y': 365,
  '2y': 730,
  '5y': 1826,
  '10y': 3652,
};
const DAY_S = 86_400;

/** Starts the emulator on 127.0.0.1 and a free port. */
export async function startYahooEmulator(options: YahooEmulatorOptions = {}): Promise<YahooEmulator> {
  const dataset = createYahooDataset(options.instruments);
  let pinnedNow: number | undefined;
  const now = () => pinnedNow ?? (options.now ?? Date.now)();
  const faults: YahooFault[] = [];
  const accepted: number[] = [];
  const requests: RecordedRequest[] = [];

  const state: YahooEmulatorState = {
    requests,
    dataset,
    now,
    setNow: (ms) => {
      pinnedNow = ms;
    },
    injectFaults: (...f) => {
      faults.push(...f);
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/v8\/finance\/chart\/([^/]+)$/.exec(url.pathname);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      symbol: match?.[1] === undefined ? undefined : decodeURIComponent(match[1]),
      query: Object.fromEntries(url.searchParams),
      userAgent: req.headers['user-agent'],
      status: 200,
      receivedAtMs: Date.now(),
    };
    requests.push(record);
    const send = (
      status: number,
      body: string,
      contentType: string,
      headers: Record<string, string> = {},
    ) => {
      record.status = status;
      if (res.destroyed) return;
      res.writeHead(status, {
        'content-type': contentType,
        'cache-control': 'public, max-age=10',
        ...headers,
      });
      res.end(body);
    };
    const sendJson = (status: number, body: unknown) =>
      send(status, JSON.stringify(body), 'application/json;charset=utf-8');

    const fault = faults.shift();
    if (fault?.kind === 'reset') {
      record.status = 'reset';
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.kind === 'status')
      return sendJson(fault.status, errorBody('Internal Server Error', 'Internal error'));
    if (fault?.kind === 'html') {
      return send(
        200,
        '<!doctype html><html><body>Will be right back...</body></html>',
        'text/html;charset=utf-8',
      );
    }
    if (fault?.kind === 'empty-body') return send(200, '', 'application/json;charset=utf-8');

    const limit = options.rateLimit;
    if (fault?.kind === 'rate-limit' || (limit && overLimit(accepted, limit.maxRequests, limit.windowMs))) {
      const headers: Record<string, string> =
        limit?.retryAfterSeconds === undefined ? {} : { 'retry-after': String(limit.retryAfterSeconds) };
      return send(429, 'Edge: Too Many Requests', 'text/plain;charset=utf-8', headers);
    }
    accepted.push(Date.now());

    if (req.method === 'GET' && url.pathname === '/v1/test/getcrumb') {
      return send(200, EMULATOR_CRUMB, 'text/plain;charset=utf-8');
    }
    if (req.method === 'GET' && url.pathname === '/v7/finance/quote') {
      if (url.searchParams.get('crumb') !== EMULATOR_CRUMB) {
        return sendJson(401, {
          finance: { result: null, error: { code: 'Unauthorized', description: 'Invalid Crumb' } },
        });
      }
      const symbols = (url.searchParams.get('symbols') ?? '').split(',').filter((x) => x !== '');
      return sendJson(200, {
        quoteResponse: { result: symbols.flatMap((sym) => quoteOf(dataset, now(), sym) ?? []), error: null },
      });
    }
    if (req.method !== 'GET' || !match || record.symbol === undefined) {
      return sendJson(404, errorBody('Not Found', 'HTTP 404 Not Found'));
    }
    const answer = chart(dataset, now(), record.symbol, url.searchParams);
    sendJson(answer.status, answer.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator bug: ${String(e)}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

function overLimit(accepted: number[], maxRequests: number, windowMs: number): boolean {
  const t = Date.now();
  while (accepted.length > 0 && (accepted[0] as number) <= t - windowMs) accepted.shift();
  return accepted.length >= maxRequests;
}

function errorBody(code: string, description: string) {
  return { chart: { result: null, error: { code, description } } };
}

/** The chart endpoint proper: a status and a JSON body. */
function chart(
  dataset: YahooDataset,
  nowMs: number,
  symbol: string,
  q: URLSearchParams,
): { status: number; body: unknown } {
  const interval = q.get('interval') ?? '1d';
  if (interval !== '1m' && interval !== '1d') {
    return {
      status: 400,
      body: errorBody(
        'Bad Request',
        `Invalid input - interval=${interval} is not supported. Valid intervals: [${VALID_INTERVALS.join(', ')}]`,
      ),
    };
  }
  const { wallTimeMs, dateIn } = dataset.zone;
  const inst = dataset.instruments.get(symbol.toUpperCase());
  if (!inst) return { status: 404, body: errorBody('Not Found', 'No data found, symbol may be delisted') };

  const nowS = Math.floor(nowMs / 1000);
  let period1: number;
  let period2: number;
  let range = '';
  if (q.has('period1') || q.has('period2')) {
    period1 = Number(q.get('period1') ?? 0);
    period2 = Number(q.get('period2') ?? nowS);
    if (!Number.isFinite(period1) || !Number.isFinite(period2)) {
      return {
        status: 400,
        body: errorBody('Bad Request', 'Invalid input - period1/period2 must be numbers'),
      };
    }
  } else {
    range = q.get('range') ?? '1mo';
    if (!VALID_RANGES.includes(range)) {
      return {
        status: 400,
        body: errorBody('Bad Request', `Invalid input - range=${range} is not supported.`),
      };
    }
    period2 = nowS;
    period1 =
      range === 'max'
        ? wallTimeMs(inst.firstTradeDate, '00:00', inst.timeZone) / 1000
        : range === 'ytd'
          ? wallTimeMs(`${dateIn(nowMs, inst.timeZone).slice(0, 4)}-01-01`, '00:00', inst.timeZone) / 1000
          : nowS - (RANGE_DAYS[range] ?? 30) * DAY_S;
  }

  if (period2 <= wallTimeMs(inst.firstTradeDate, '00:00', inst.timeZone) / 1000) {
    return {
      status: 400,
      body: errorBody('Bad Request', `Data doesn't exist for startDate = ${period1}, endDate = ${period2}`),
    };
  }
  if (interval === '1m') {
    const prefix = `1m data not available for startTime=${period1} and endTime=${period2}.`;
    if (period1 < nowS - 30 * DAY_S) {
      return {
        status: 422,
        body: errorBody(
          'Unprocessable Entity',
          `${prefix} The requested range must be within the last 30 days.`,
        ),
      };
    }
    if (period2 - period1 > 7 * DAY_S) {
      return {
        status: 422,
        body: errorBody(
          'Unprocessable Entity',
          `${prefix} Only 7 days worth of 1m granularity data are allowed to be fetched per request.`,
        ),
      };
    }
  }

  const bars: RawBar[] = [];
  const days: string[] = [];
  const lastDate = dateIn(Math.min(period2, nowS) * 1000, inst.timeZone);
  for (let d = dateIn(period1 * 1000, inst.timeZone); d <= lastDate; d = nextDate(d)) {
    if (!dataset.isTradingDay(inst.symbol, d)) continue;
    days.push(d);
    if (interval === '1m') {
      for (const b of dataset.minuteBars(inst.symbol, d)) {
        if (b.start >= period1 && b.start < period2 && b.start + 60 <= nowS) bars.push(b);
      }
    } else {
      const b = dataset.dailyBar(inst.symbol, d);
      if (
        b &&
        b.start >= period1 &&
        b.start < period2 &&
        dataset.sessionBounds(inst.symbol, d).closeMs <= nowMs
      ) {
        bars.push(b);
      }
    }
  }
  const prev = previousClose(dataset, inst, period1);
  const result: Record<string, unknown> = {
    meta: meta(dataset, inst, nowMs, interval, range, bars, prev, days),
  };
  if (bars.length > 0) {
    result.timestamp = bars.map((b) => b.start);
    const quote = {
      open: bars.map((b) => b.open),
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
      volume: bars.map((b) => b.volume),
    };
    result.indicators =
      interval === '1d'
        ? { quote: [quote], adjclose: [{ adjclose: bars.map((b) => b.close) }] }
        : { quote: [quote] };
  } else {
    result.indicators = interval === '1d' ? { quote: [{}], adjclose: [{}] } : { quote: [{}] };
  }
  return { status: 200, body: { chart: { result: [result], error: null } } };
}

function nextDate(d: string): string {
  return new Date(Date.parse(`${d}T00:00:00Z`) + DAY_S * 1000).toISOString().slice(0, 10);
}

/** Close of the last trading day before `period1` (Yahoo's `chartPreviousClose`). */
function previousClose(dataset: YahooDataset, inst: YahooInstrument, period1: number): number | undefined {
  let d = dataset.zone.dateIn(period1 * 1000 - 1, inst.timeZone);
  for (
    let k = 0;
    k < 15;
    k++, d = new Date(Date.parse(`${d}T00:00:00Z`) - DAY_S * 1000).toISOString().slice(0, 10)
  ) {
    const b = dataset.dailyBar(inst.symbol, d);
    if (b && b.start < period1) return b.close ?? undefined;
  }
  return undefined;
}

function tzAbbrev(dataset: YahooDataset, inst: YahooInstrument, ms: number): string {
  if (inst.timeZone === 'Asia/Shanghai') return 'CST';
  if (inst.timeZone === 'America/New_York')
    return dataset.zone.offsetMs(ms, inst.timeZone) === -4 * 3_600_000 ? 'EDT' : 'EST';
  return inst.timeZone;
}

function meta(
  dataset: YahooDataset,
  inst: YahooInstrument,
  nowMs: number,
  interval: string,
  range: string,
  bars: readonly RawBar[],
  chartPreviousClose: number | undefined,
  days: readonly string[],
) {
  const tz = inst.timeZone;
  const { wallTimeMs, dateIn } = dataset.zone;
  const gmtoffset = dataset.zone.offsetMs(nowMs, tz) / 1000;
  const timezone = tzAbbrev(dataset, inst, nowMs);
  const period = (startMs: number, endMs: number) => ({
    timezone,
    start: startMs / 1000,
    end: endMs / 1000,
    gmtoffset,
  });
  const today = dateIn(nowMs, tz);
  const { openMs, closeMs } = dataset.sessionBounds(inst.symbol, today);
  const isUs = tz === 'America/New_York';
  const real = bars.filter((b) => b.close !== null);
  const last = real[real.length - 1];
  const out: Record<string, unknown> = {
    currency: inst.currency,
    symbol: inst.symbol,
    exchangeName: inst.exchangeName,
    fullExchangeName: inst.fullExchangeName,
    instrumentType: inst.instrumentType,
    firstTradeDate: dataset.sessionBounds(inst.symbol, inst.firstTradeDate).openMs / 1000,
    regularMarketTime: last ? last.start : Math.floor(nowMs / 1000),
    hasPrePostMarketData: isUs,
    gmtoffset,
    timezone,
    exchangeTimezoneName: tz,
    regularMarketPrice: last?.close ?? inst.basePrice,
    fiftyTwoWeekHigh: real.length ? Math.max(...real.map((b) => b.high as number)) : inst.basePrice,
    fiftyTwoWeekLow: real.length ? Math.min(...real.map((b) => b.low as number)) : inst.basePrice,
    regularMarketDayHigh: last?.high ?? inst.basePrice,
    regularMarketDayLow: last?.low ?? inst.basePrice,
    regularMarketVolume: last?.volume ?? 0,
    longName: inst.longName,
    shortName: inst.shortName,
    chartPreviousClose: chartPreviousClose ?? inst.basePrice,
    priceHint: 2,
    currentTradingPeriod: {
      pre: isUs ? period(wallTimeMs(today, '04:00', tz), openMs) : period(openMs, openMs),
      regular: period(openMs, closeMs),
      post: isUs ? period(closeMs, wallTimeMs(today, '20:00', tz)) : period(closeMs, closeMs),
    },
    dataGranularity: interval,
    range,
    validRanges: VALID_RANGES,
  };
  if (interval === '1m') {
    out.tradingPeriods = days.map((d) => {
      const b = dataset.sessionBounds(inst.symbol, d);
      return [period(b.openMs, b.closeMs)];
    });
  }
  return out;
}
