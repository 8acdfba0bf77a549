/**
 * The Yahoo chart API's failure classification table (docs/PROVIDERS.md, "Yahoo Finance chart API"), decided by HTTP
 * status and the JSON error envelope `{"chart":{"result":null,"error":{code,description}}}`:
 *
 * | Answer                                   | Code                    | Retry                          |
 * |------------------------------------------|-------------------------|--------------------------------|
 * | 429 (plain text `Edge: Too Many Requests`)| PROVIDER_RATE_LIMITED   | yes, `Retry-After` or 15 s     |
 * | 404 / envelope `Not Found`               | PROVIDER_NOT_FOUND      | no (names the symbol)          |
 * | 422 "…within the last 30 days."          | PROVIDER_UNSUPPORTED    | no (1m look-back)              |
 * | 400 / 422 / other 4xx                    | PROVIDER_BAD_REQUEST    | no (Yahoo's description)       |
 * | 5xx                                      | PROVIDER_UNAVAILABLE    | yes                            |
 * | reset, DNS, timeout                      | PROVIDER_UNAVAILABLE    | yes                            |
 * | caller's signal aborted                  | ABORTED                 | no                             |
 * | 200 with empty/HTML/unparsable body      | PROVIDER_BAD_RESPONSE   | yes (see parse-yahoo-chart.ts) |
 */
import { IngestError } from '../../errors.js';
import type { Ticker } from '../../domain/ticker.js';

/** Days of 1-minute history Yahoo keeps. */
export const YAHOO_1M_LOOKBACK_DAYS = 30;
/** Largest 1-minute window Yahoo serves per request, in days. */
export const YAHOO_1M_MAX_WINDOW_DAYS = 7;
/** Wait suggested after a 429 without `Retry-After`, ms (Yahoo publishes no limits). */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 15_000;

/** What was asked, for messages and context. */
export interface YahooRequestContext {
  symbol: Ticker;
  yahooSymbol: string;
  interval: '1m' | '1d';
  /** Trade dates the request covers, ascending. */
  tradeDates: readonly string[];
}

/** A non-2xx HTTP answer. */
export interface YahooHttpAnswer {
  status: number;
  bodyText: string;
  /** Raw `Retry-After` header, if any. */
  retryAfter: string | null;
}

/** The per-date error for 1-minute data beyond Yahoo's look-back; no request needs to be sent. */
export function oneMinuteLookBackError(symbol: Ticker, tradeDate: string): IngestError {
  return new IngestError(
    'PROVIDER_UNSUPPORTED',
    `Yahoo keeps 1-minute data for ${YAHOO_1M_LOOKBACK_DAYS} days; ${tradeDate} is older`,
    { retryable: false, context: { provider: 'yahoo', endpoint: 'chart', symbol, tradeDate } },
  );
}

/** Classifies a non-2xx answer of the chart endpoint. */
export function classifyYahooHttpError(
  answer: YahooHttpAnswer,
  ctx: YahooRequestContext,
  nowMs: number,
): IngestError {
  const envelope = readErrorEnvelope(answer.bodyText);
  const description =
    envelope?.description ?? (answer.bodyText.trim().slice(0, 200) || `HTTP ${answer.status}`);
  const context = {
    provider: 'yahoo',
    endpoint: 'chart',
    symbol: ctx.symbol,
    yahooSymbol: ctx.yahooSymbol,
    interval: ctx.interval,
    status: answer.status,
    ...(envelope ? { yahooCode: envelope.code } : {}),
  };
  const what = `Yahoo "chart" ${ctx.interval} for ${ctx.symbol}`;

  if (answer.status === 429) {
    const retryAfterMs = parseRetryAfterMs(answer.retryAfter, nowMs) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    return new IngestError(
      'PROVIDER_RATE_LIMITED',
      `${what} was throttled (HTTP 429 ${description}); waiting ${Math.ceil(retryAfterMs / 1000)} s`,
      { retryable: true, retryAfterMs, context },
    );
  }
  if (answer.status === 404 || envelope?.code === 'Not Found') {
    return notFound(ctx, description, context);
  }
  if (answer.status === 422 && /within the last \d+ days/.test(description)) {
    return new IngestError(
      'PROVIDER_UNSUPPORTED',
      `Yahoo keeps 1-minute data for ${YAHOO_1M_LOOKBACK_DAYS} days; ${ctx.tradeDates[0] ?? 'the requested date'} is older (Yahoo: ${description})`,
      { retryable: false, context },
    );
  }
  if (answer.status >= 500) {
    return new IngestError(
      'PROVIDER_UNAVAILABLE',
      `${what} failed with HTTP ${answer.status}: ${description}`,
      {
        retryable: true,
        context,
      },
    );
  }
  return new IngestError(
    'PROVIDER_BAD_REQUEST',
    `${what} was rejected (HTTP ${answer.status}): ${description}`,
    {
      retryable: false,
      context,
    },
  );
}

/** Classifies an error envelope inside an HTTP 200 answer (`chart.error` set). */
export function classifyYahooEnvelope(
  envelope: { code: string; description: string },
  ctx: YahooRequestContext,
): IngestError {
  const context = { provider: 'yahoo', endpoint: 'chart', symbol: ctx.symbol, yahooCode: envelope.code };
  if (envelope.code === 'Not Found') return notFound(ctx, envelope.description, context);
  return new IngestError(
    'PROVIDER_BAD_REQUEST',
    `Yahoo "chart" ${ctx.interval} for ${ctx.symbol} was rejected: ${envelope.code}: ${envelope.description}`,
    { retryable: false, context },
  );
}

/** Classifies a thrown fetch/body-read failure. `aborted`: the caller's signal fired; `timedOut`: our timeout fired. */
export function classifyYahooTransportError(
  error: unknown,
  ctx: YahooRequestContext,
  flags: { aborted: boolean; timedOut: boolean; timeoutMs: number },
): IngestError {
  const context = { provider: 'yahoo', endpoint: 'chart', symbol: ctx.symbol, interval: ctx.interval };
  if (flags.aborted) return new IngestError('ABORTED', 'aborted', { cause: error, context });
  if (flags.timedOut) {
    return new IngestError(
      'PROVIDER_UNAVAILABLE',
      `Yahoo "chart" ${ctx.interval} for ${ctx.symbol} timed out after ${flags.timeoutMs} ms`,
      { retryable: true, cause: error, context },
    );
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const detail =
    typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error);
  return new IngestError(
    'PROVIDER_UNAVAILABLE',
    `Yahoo "chart" ${ctx.interval} for ${ctx.symbol} failed: network error (${detail})`,
    { retryable: true, cause: error, context },
  );
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from `nowMs`; `undefined` when absent or unreadable. */
export function parseRetryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function notFound(
  ctx: YahooRequestContext,
  description: string,
  context: Record<string, unknown>,
): IngestError {
  return new IngestError(
    'PROVIDER_NOT_FOUND',
    `Yahoo does not know ${ctx.symbol} (asked as ${ctx.yahooSymbol}): ${description}`,
    { retryable: false, context },
  );
}

function readErrorEnvelope(bodyText: string): { code: string; description: string } | undefined {
  try {
    const parsed = JSON.parse(bodyText) as { chart?: { error?: { code?: unknown; description?: unknown } } };
    const e = parsed.chart?.error;
    if (e && typeof e.code === 'string') {
      return { code: e.code, description: typeof e.description === 'string' ? e.description : '' };
    }
  } catch {
    // Not JSON (429s are plain text): the caller falls back to the raw body.
  }
  return undefined;
}
