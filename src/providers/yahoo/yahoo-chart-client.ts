/**
 * A thin HTTP client of `GET {base_url}/v8/finance/chart/{symbol}`: one paced request, one
 * timeout, one classified outcome. The chart endpoint needs no cookie or crumb (providers.md §2.1,
 * §2.5); a browser-like User-Agent avoids the 429s Yahoo gives "robot-looking" clients (§2.4).
 */
import { IngestError } from '../../errors.js';
import type { Logger } from '../../limits/logger.js';
import type { RequestGate } from '../../limits/request-gate.js';
import {
  classifyYahooEnvelope,
  classifyYahooHttpError,
  classifyYahooTransportError,
  type YahooRequestContext,
} from './classify-yahoo-error.js';
import { parseYahooChart, type YahooChartMeta, type YahooChartRow } from './parse-yahoo-chart.js';

/** The User-Agent sent with every request. */
export const YAHOO_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Settings and collaborators of {@link createYahooChartClient}. */
export interface YahooChartClientOptions {
  /** Host part, e.g. `https://query2.finance.yahoo.com` (a trailing slash is tolerated). */
  baseUrl: string;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  fetch: typeof globalThis.fetch;
  gate: RequestGate;
  now(): number;
  logger: Logger;
}

/** One chart request: a window `[period1, period2)` in epoch seconds. */
export interface YahooChartRequest {
  ctx: YahooRequestContext;
  period1: number;
  period2: number;
  signal: AbortSignal;
}

/**
 * A chart answer. `meta` is `undefined` when Yahoo said the window lies before its first data
 * (400 "Data doesn't exist for startDate…"): the symbol exists, the window is confirmed empty.
 */
export interface YahooChartAnswer {
  meta: YahooChartMeta | undefined;
  rows: YahooChartRow[];
}

/** The client. */
export interface YahooChartClient {
  /** Sends one request after `gate.acquire`; throws a classified `IngestError` on failure. */
  chart(request: YahooChartRequest): Promise<YahooChartAnswer>;
}

/** Creates the client. It holds no resources beyond what `fetch` keeps. */
export function createYahooChartClient(options: YahooChartClientOptions): YahooChartClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    async chart({ ctx, period1, period2, signal }) {
      const url =
        `${base}/v8/finance/chart/${encodeURIComponent(ctx.yahooSymbol)}` +
        `?period1=${period1}&period2=${period2}&interval=${ctx.interval}&includePrePost=false&events=div%7Csplit`;
      const slot = await options.gate.acquire({ provider: 'yahoo', endpoint: 'chart', signal });
      try {
        return await send({ ctx, period1, period2, signal }, url);
      } finally {
        // Count the request from its answer: the server saw it some time before (see the gate).
        slot.done?.();
      }
    },
  };

  async function send(request: YahooChartRequest, url: string): Promise<YahooChartAnswer> {
    const { ctx, period1, period2, signal } = request;
    {
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const combined = AbortSignal.any([signal, timeout]);
      let status: number;
      let bodyText: string;
      let retryAfter: string | null;
      try {
        const res = await options.fetch(url, {
          method: 'GET',
          headers: { 'user-agent': YAHOO_USER_AGENT, accept: 'application/json,text/plain,*/*' },
          signal: combined,
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        bodyText = await res.text();
      } catch (error) {
        throw classifyYahooTransportError(error, ctx, {
          aborted: signal.aborted,
          timedOut: timeout.aborted,
          timeoutMs: options.timeoutMs,
        });
      }
      options.logger.debug('yahoo chart answered', {
        symbol: ctx.symbol,
        interval: ctx.interval,
        period1,
        period2,
        status,
        bytes: bodyText.length,
      });

      if (status < 200 || status >= 300) {
        const error = classifyYahooHttpError({ status, bodyText, retryAfter }, ctx, options.now());
        if (error.code === 'PROVIDER_RATE_LIMITED') {
          await options.gate.onRateLimited({
            provider: 'yahoo',
            endpoint: 'chart',
            retryAfterMs: error.retryAfterMs,
          });
        }
        if (error.code === 'PROVIDER_BAD_REQUEST' && status === 400 && isBeforeFirstData(error)) {
          return { meta: undefined, rows: [] };
        }
        throw error;
      }
      const parsed = parseYahooChart(bodyText, `${ctx.symbol} ${ctx.interval}`);
      if (parsed.kind === 'error') throw classifyYahooEnvelope(parsed, ctx);
      return { meta: parsed.meta, rows: parsed.rows };
    }
  }
}

function isBeforeFirstData(error: IngestError): boolean {
  // Yahoo: 400 "Data doesn't exist for startDate = …, endDate = …" for windows before the first trade.
  return error.message.includes("Data doesn't exist for startDate");
}
