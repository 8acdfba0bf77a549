/**
 * Tushare real-time quotes for `tickpipe collect`: `rt_k` (docs/PROVIDERS.md, "Real-time
 * quotes"). `ts_code` takes comma lists and wildcards (`6*.SH`, `3*.SZ`); one call returns at most
 * {@link TUSHARE_ROW_CAPS}`.rt_k` rows, so the universe is split into requests that each stay
 * under the cap: wildcards per exchange and leading digits for the whole market (with headroom for
 * new listings), comma lists for a symbol list. Every request goes through the client, hence the
 * shared request gate and Tushare's error classification.
 */
import type { ResolvedConfig } from '../../config/schema.js';
import { parseTicker } from '../../domain/ticker.js';
import type { ProviderDeps } from '../provider.js';
import type { QuoteSource, QuoteTarget, RealtimeQuote } from '../quote-source.js';
import { createTushareClient } from './tushare-client.js';
import { TUSHARE_ROW_CAPS } from './tushare-provider.js';
import { parseTushareTime, TUSHARE_SOURCE } from './tushare-rows.js';
import { endpointLimit } from '../../config/rate-limits.js';

/** Columns asked of `rt_k` (the book and trade time are non-default columns: they must be named). */
export const RT_K_FIELDS = [
  'ts_code',
  'pre_close',
  'close',
  'vol',
  'amount',
  'bid_price1',
  'bid_volume1',
  'ask_price1',
  'ask_volume1',
  'trade_time',
] as const;

/** Share of the row cap a wildcard may be expected to fill (room for listings added later). */
const WILDCARD_FILL = 0.9;

/**
 * The `ts_code` values of one snapshot: each returns at most `cap` rows. Whole market: one
 * wildcard per exchange and leading digit (`6*.SH`), refined by one more digit (`60*.SH`) while a
 * group exceeds 90% of the cap. A list: comma lists of at most `cap` codes.
 */
export function planRtkCodes(target: QuoteTarget, cap: number): string[] {
  if (!target.wholeMarket) {
    const out: string[] = [];
    for (let i = 0; i < target.symbols.length; i += cap) out.push(target.symbols.slice(i, i + cap).join(','));
    return out;
  }
  const limit = Math.max(1, Math.floor(cap * WILDCARD_FILL));
  const out: string[] = [];
  const split = (codes: readonly { code: string; exchange: string }[], depth: number, exchange: string) => {
    const groups = new Map<string, { code: string; exchange: string }[]>();
    for (const c of codes) {
      const prefix = c.code.slice(0, depth);
      groups.set(prefix, [...(groups.get(prefix) ?? []), c]);
    }
    for (const [prefix, members] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (members.length > limit && depth < 6) split(members, depth + 1, exchange);
      else if (depth === 6 || members.length === 1) out.push(...members.map((m) => `${m.code}.${exchange}`));
      else out.push(`${prefix}*.${exchange}`);
    }
  };
  const byExchange = new Map<string, { code: string; exchange: string }[]>();
  for (const s of target.symbols) {
    const t = parseTicker(s);
    if (t.exchange === undefined) continue;
    byExchange.set(t.exchange, [
      ...(byExchange.get(t.exchange) ?? []),
      { code: t.code, exchange: t.exchange },
    ]);
  }
  for (const [exchange, codes] of [...byExchange].sort(([a], [b]) => (a < b ? -1 : 1)))
    split(codes, 1, exchange);
  // Single codes left by the split ride together in comma lists.
  const singles = out.filter((c) => !c.includes('*'));
  const wild = out.filter((c) => c.includes('*'));
  for (let i = 0; i < singles.length; i += cap) wild.push(singles.slice(i, i + cap).join(','));
  return wild;
}

/** Builds the `rt_k` quote source from the resolved config. */
export function createTushareRealtime(
  config: ResolvedConfig['providers']['tushare'] & { tokens: readonly string[] },
  deps: ProviderDeps,
  options: { rowCap?: number } = {},
): QuoteSource {
  const client = createTushareClient({
    baseUrl: config.base_url,
    tokens: config.tokens,
    timeoutMs: config.timeout_ms,
    fetch: deps.fetch,
    gate: deps.gate,
    now: deps.now,
    logger: deps.logger,
  });
  // The documented cap; tests against an emulator with a smaller one pass theirs.
  const cap = options.rowCap ?? TUSHARE_ROW_CAPS.rt_k;
  let planned: { key: string; codes: string[] } | undefined;
  const codesOf = (target: QuoteTarget): string[] => {
    const key = `${target.wholeMarket}|${target.symbols.join(',')}`;
    if (planned?.key !== key) planned = { key, codes: planRtkCodes(target, cap) };
    return planned.codes;
  };

  return {
    name: TUSHARE_SOURCE,
    keyCount: client.keyCount,
    endpoints: [
      {
        name: 'rt_k',
        requestsPerMinute: endpointLimit(config.rate_limit, 'rt_k'),
      },
    ],
    requestsPerSnapshot: (target) => ({ rt_k: codesOf(target).length }),
    async snapshot({ target, signal }) {
      const wanted = target.wholeMarket ? undefined : new Set(target.symbols);
      const quotes: RealtimeQuote[] = [];
      const codes = codesOf(target);
      let answeredAt = deps.now();
      for (const tsCode of codes) {
        const table = await client.query({
          api: 'rt_k',
          params: { ts_code: tsCode },
          fields: RT_K_FIELDS,
          signal,
        });
        answeredAt = deps.now();
        if (table.rows.length >= cap) {
          deps.logger.warn('rt_k answer reached its row cap; some symbols may be missing', { tsCode, cap });
        }
        for (const row of table.rows) {
          const q = quoteFromRtk(row);
          if (q !== undefined && (wanted === undefined || wanted.has(q.symbol))) quotes.push(q);
        }
      }
      return { quotes, answeredAt, requests: codes.length };
    },
  };
}

/**
 * An `rt_k` row → a quote; undefined for a row without a code. `vol` is in shares and `amount` in
 * CNY (docs/PROVIDERS.md); a missing or non-positive book price leaves that side empty
 * (limit-up / limit-down books have one empty side).
 */
export function quoteFromRtk(row: Record<string, unknown>): RealtimeQuote | undefined {
  const symbol = row['ts_code'];
  if (typeof symbol !== 'string' || symbol === '') return undefined;
  const num = (f: string): number | null => {
    const v = row[f];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const level = (price: string, volume: string): { prices: number[]; volumes: number[] } => {
    const p = num(price);
    const v = num(volume);
    return p !== null && p > 0 && v !== null && v >= 0
      ? { prices: [p], volumes: [Math.round(v)] }
      : { prices: [], volumes: [] };
  };
  const bid = level('bid_price1', 'bid_volume1');
  const ask = level('ask_price1', 'ask_volume1');
  const text = row['trade_time'];
  // A bare HH:MM:SS carries no date: the session date is then unknown (the collector decides).
  const at =
    typeof text === 'string' && /\d{4}-?\d{2}-?\d{2}/.test(text) ? parseTushareTime(text) : undefined;
  return {
    symbol,
    price: num('close') ?? 0,
    preClose: num('pre_close'),
    cumVolume: num('vol') ?? 0,
    cumAmount: num('amount'),
    bidPrices: bid.prices,
    bidVolumes: bid.volumes,
    askPrices: ask.prices,
    askVolumes: ask.volumes,
    lastTradeTs: at?.ts ?? null,
    sessionDate: at?.tradeDate ?? null,
  };
}
