/**
 * Yahoo real-time quotes for `tickpipe collect`: `GET {base_url}/v7/finance/quote?symbols=…` in
 * batches (docs/PROVIDERS.md, "Real-time quotes"). Unlike the chart endpoint, quote needs a crumb:
 * it is read once from `{base_url}/v1/test/getcrumb` (with the cookies Yahoo sets on
 * `https://fc.yahoo.com` when `base_url` is Yahoo's own host) and read again after a 401.
 * Every request passes the shared request gate (endpoint `quote`).
 *
 * Yahoo's quote gives the last price, the day's volume (shares for A-shares — inferred, not
 * documented), the last-trade time and one book level (`bid`/`ask` with `bidSize`/`askSize`); it
 * gives no turnover, so the collector estimates amounts from volume × price.
 */
import { shanghaiDate } from '../../domain/dates.js';
import type { Ticker } from '../../domain/ticker.js';
import { IngestError } from '../../errors.js';
import type { ResolvedConfig } from '../../config/schema.js';
import type { QuoteSource, RealtimeQuote } from '../quote-source.js';
import type { ProviderDeps } from '../provider.js';
import { parseRetryAfterMs, DEFAULT_RATE_LIMIT_WAIT_MS } from './classify-yahoo-error.js';
import { YAHOO_USER_AGENT } from './yahoo-chart-client.js';
import { yahooMarketOf } from './yahoo-symbol.js';
import { endpointLimit } from '../../config/rate-limits.js';

/** Symbols per quote request. */
export const YAHOO_QUOTE_BATCH = 50;

/** Builds the quote source. */
export function createYahooQuote(
  config: ResolvedConfig['providers']['yahoo'],
  deps: ProviderDeps,
): QuoteSource {
  const base = config.base_url.replace(/\/+$/, '');
  let crumb: string | undefined;
  let cookie = '';

  const request = async (url: string, signal: AbortSignal, what: string): Promise<Response> => {
    const timeout = AbortSignal.timeout(config.timeout_ms);
    try {
      return await deps.fetch(url, {
        headers: {
          'user-agent': YAHOO_USER_AGENT,
          accept: 'application/json,text/plain,*/*',
          ...(cookie ? { cookie } : {}),
        },
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (signal.aborted) throw new IngestError('ABORTED', 'aborted', { cause: error });
      throw new IngestError(
        'PROVIDER_UNAVAILABLE',
        `Yahoo "${what}" ${timeout.aborted ? `timed out after ${config.timeout_ms} ms` : 'failed: network error'}`,
        { retryable: true, cause: error, context: { provider: 'yahoo', endpoint: 'quote' } },
      );
    }
  };

  const readCrumb = async (signal: AbortSignal): Promise<string> => {
    if (/(^|\.)yahoo\.com$/.test(new URL(base).hostname)) {
      const res = await request('https://fc.yahoo.com', signal, 'cookie');
      const set = res.headers.getSetCookie?.() ?? [];
      cookie = set.map((c) => c.split(';')[0]).join('; ');
      await res.text().catch(() => '');
    }
    const slot = await deps.gate.acquire({ provider: 'yahoo', endpoint: 'quote', signal });
    try {
      const res = await request(`${base}/v1/test/getcrumb`, signal, 'getcrumb');
      const text = (await res.text()).trim();
      if (res.status === 429) throw rateLimited(res, text);
      if (!res.ok || text === '' || /too many requests/i.test(text) || text.startsWith('{')) {
        throw new IngestError(
          'PROVIDER_AUTH',
          `Yahoo refused a crumb (HTTP ${res.status}: ${text.slice(0, 120)})`,
          {
            retryable: false,
            context: { provider: 'yahoo', endpoint: 'quote', status: res.status },
          },
        );
      }
      return text;
    } finally {
      slot.done?.();
    }
  };

  const rateLimited = (res: Response, text: string): IngestError => {
    const retryAfterMs =
      parseRetryAfterMs(res.headers.get('retry-after'), deps.now()) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    return new IngestError(
      'PROVIDER_RATE_LIMITED',
      `Yahoo "quote" was throttled (HTTP 429 ${text.slice(0, 60)})`,
      {
        retryable: true,
        retryAfterMs,
        context: { provider: 'yahoo', endpoint: 'quote' },
      },
    );
  };

  const batch = async (symbols: readonly Ticker[], signal: AbortSignal): Promise<RealtimeQuote[]> => {
    const byYahoo = new Map<string, Ticker>();
    for (const s of symbols) byYahoo.set(yahooMarketOf(s).yahooSymbol, s);
    for (let attempt = 0; ; attempt++) {
      crumb ??= await readCrumb(signal);
      const url = `${base}/v7/finance/quote?symbols=${[...byYahoo.keys()].map(encodeURIComponent).join(',')}&crumb=${encodeURIComponent(crumb)}`;
      const slot = await deps.gate.acquire({ provider: 'yahoo', endpoint: 'quote', signal });
      let res: Response;
      let text: string;
      try {
        res = await request(url, signal, 'quote');
        text = await res.text();
      } finally {
        slot.done?.();
      }
      if (res.status === 401 && attempt === 0) {
        crumb = undefined;
        continue;
      }
      if (res.status === 429) throw rateLimited(res, text);
      if (res.status >= 500 || (res.ok && text.trim() === '')) {
        throw new IngestError('PROVIDER_UNAVAILABLE', `Yahoo "quote" failed with HTTP ${res.status}`, {
          retryable: true,
          context: { provider: 'yahoo', endpoint: 'quote', status: res.status },
        });
      }
      if (res.status === 401) {
        throw new IngestError('PROVIDER_AUTH', `Yahoo "quote" refused the crumb twice (HTTP 401)`, {
          retryable: false,
          context: { provider: 'yahoo', endpoint: 'quote' },
        });
      }
      if (!res.ok) {
        throw new IngestError(
          'PROVIDER_BAD_REQUEST',
          `Yahoo "quote" was rejected (HTTP ${res.status}: ${text.slice(0, 120)})`,
          {
            retryable: false,
            context: { provider: 'yahoo', endpoint: 'quote', status: res.status },
          },
        );
      }
      return parseYahooQuotes(text, byYahoo);
    }
  };

  return {
    name: 'yahoo',
    keyCount: 1,
    endpoints: [
      {
        name: 'quote',
        requestsPerMinute: endpointLimit(config.rate_limit, 'quote'),
      },
    ],
    requestsPerSnapshot: (target) => ({ quote: Math.ceil(target.symbols.length / YAHOO_QUOTE_BATCH) }),
    async snapshot({ target, signal }) {
      const quotes: RealtimeQuote[] = [];
      let requests = 0;
      let answeredAt = deps.now();
      for (let i = 0; i < target.symbols.length; i += YAHOO_QUOTE_BATCH) {
        quotes.push(...(await batch(target.symbols.slice(i, i + YAHOO_QUOTE_BATCH), signal)));
        answeredAt = deps.now();
        requests++;
      }
      return { quotes, answeredAt, requests };
    },
  };
}

/** Parses a `quoteResponse` body; symbols are mapped back to tickpipe tickers. */
export function parseYahooQuotes(text: string, byYahoo: ReadonlyMap<string, Ticker>): RealtimeQuote[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new IngestError(
      'PROVIDER_BAD_RESPONSE',
      `Yahoo "quote" answered invalid JSON (${text.length} bytes)`,
      {
        retryable: true,
        cause: error,
        context: { provider: 'yahoo', endpoint: 'quote' },
      },
    );
  }
  const result = (body as { quoteResponse?: { result?: unknown } } | null)?.quoteResponse?.result;
  if (!Array.isArray(result)) {
    throw new IngestError('PROVIDER_BAD_RESPONSE', 'Yahoo "quote" answered without quoteResponse.result', {
      retryable: true,
      context: { provider: 'yahoo', endpoint: 'quote' },
    });
  }
  const out: RealtimeQuote[] = [];
  for (const raw of result as Record<string, unknown>[]) {
    const symbol = typeof raw.symbol === 'string' ? byYahoo.get(raw.symbol) : undefined;
    if (symbol === undefined) continue;
    const num = (k: string): number | null => {
      const v = raw[k];
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    };
    const time = num('regularMarketTime');
    const lastTradeTs = time === null ? null : time * 1000;
    const level = (p: string, v: string) => {
      const price = num(p);
      const size = num(v);
      return price !== null && price > 0
        ? { prices: [price], volumes: [Math.round(size ?? 0)] }
        : { prices: [], volumes: [] };
    };
    const bid = level('bid', 'bidSize');
    const ask = level('ask', 'askSize');
    out.push({
      symbol,
      price: num('regularMarketPrice') ?? 0,
      preClose: num('regularMarketPreviousClose'),
      cumVolume: num('regularMarketVolume') ?? 0,
      cumAmount: null,
      bidPrices: bid.prices,
      bidVolumes: bid.volumes,
      askPrices: ask.prices,
      askVolumes: ask.volumes,
      lastTradeTs,
      sessionDate: lastTradeTs === null ? null : shanghaiDate(lastTradeTs),
    });
  }
  return out;
}
