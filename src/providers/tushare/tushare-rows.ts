/**
 * Pure conversions from Tushare rows to tickpipe rows (docs/STORAGE.md, "Tables"): Shanghai wall-clock times to
 * UTC epoch ms, `daily` lots (手) to shares and thousand CNY (千元) to CNY. `stk_mins` is already
 * in shares and CNY and already labelled by bar end (docs/PROVIDERS.md, "Tushare Pro").
 */
import { shanghaiTime } from '../../domain/dates.js';
import type { AdjFactor, Bar, BookSnapshot } from '../../domain/rows.js';
import type { Ticker } from '../../domain/ticker.js';
import { IngestError } from '../../errors.js';

/** The `source` of every row this provider returns. */
export const TUSHARE_SOURCE = 'tushare';

/** `YYYYMMDD` → `YYYY-MM-DD` (returned unchanged when already dashed). */
export function isoDate(compact: string): string {
  return /^\d{8}$/.test(compact)
    ? `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`
    : compact;
}

/**
 * Parses a Tushare time: `YYYY-MM-DD HH:MM:SS`, `YYYYMMDD HH:MM:SS`, or a bare `HH:MM:SS` on
 * `defaultDate` (rt_k's `trade_time` format is not captured anywhere; accept all three).
 */
export function parseTushareTime(
  text: string,
  defaultDate?: string,
): { tradeDate: string; ts: number } | undefined {
  const full = /^(\d{4}-?\d{2}-?\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)$/.exec(text.trim());
  const bare = /^(\d{2}:\d{2}(?::\d{2})?)$/.exec(text.trim());
  const date = full ? isoDate((full[1] as string).replaceAll('-', '')) : defaultDate;
  const clock = full ? (full[2] as string) : bare ? (bare[1] as string) : undefined;
  if (date === undefined || clock === undefined) return undefined;
  const hhmmss = clock.length === 5 ? `${clock}:00` : clock;
  const ts = shanghaiTime(date, hhmmss);
  return Number.isFinite(ts) ? { tradeDate: date, ts } : undefined;
}

/** A finite number from a row field, or a `PROVIDER_BAD_RESPONSE` naming api, symbol and field. */
export function numberField(
  row: Record<string, unknown>,
  field: string,
  api: string,
  symbol: string,
): number {
  const v = row[field];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new IngestError(
    'PROVIDER_BAD_RESPONSE',
    `Tushare "${api}" returned ${symbol} without a numeric "${field}" (got ${JSON.stringify(v)})`,
    { retryable: false, context: { provider: 'tushare', endpoint: api, symbol, field } },
  );
}

function stringField(row: Record<string, unknown>, field: string, api: string, symbol: string): string {
  const v = row[field];
  if (typeof v === 'string' && v !== '') return v;
  throw new IngestError('PROVIDER_BAD_RESPONSE', `Tushare "${api}" returned ${symbol} without "${field}"`, {
    retryable: false,
    context: { provider: 'tushare', endpoint: api, symbol, field },
  });
}

const cents = (x: number): number => Math.round(x * 100) / 100;

/** A `stk_mins` 1min row → an end-labelled 1m bar (the 09:30 row is the opening auction). */
export function minuteBarFromRow(row: Record<string, unknown>, symbol: Ticker): Bar {
  const text = stringField(row, 'trade_time', 'stk_mins', symbol);
  const at = parseTushareTime(text);
  if (!at) {
    throw new IngestError(
      'PROVIDER_BAD_RESPONSE',
      `Tushare "stk_mins" returned ${symbol} with bad trade_time "${text}"`,
      {
        retryable: false,
        context: { provider: 'tushare', endpoint: 'stk_mins', symbol },
      },
    );
  }
  const n = (f: string): number => numberField(row, f, 'stk_mins', symbol);
  return {
    symbol,
    interval: '1m',
    ts: at.ts,
    open: n('open'),
    high: n('high'),
    low: n('low'),
    close: n('close'),
    volume: Math.round(n('vol')),
    amount: cents(n('amount')),
    source: TUSHARE_SOURCE,
    tradeDate: at.tradeDate,
  };
}

/** A `daily` row → a 1d bar at the 15:00 Shanghai close, in shares and CNY, plus `pre_close`. */
export function dailyBarFromRow(
  row: Record<string, unknown>,
  symbol: Ticker,
): { bar: Bar; prevClose: number | undefined } {
  const tradeDate = isoDate(stringField(row, 'trade_date', 'daily', symbol));
  const n = (f: string): number => numberField(row, f, 'daily', symbol);
  const pre = row['pre_close'];
  return {
    bar: {
      symbol,
      interval: '1d',
      ts: shanghaiTime(tradeDate, '15:00:00'),
      open: n('open'),
      high: n('high'),
      low: n('low'),
      close: n('close'),
      volume: Math.round(n('vol') * 100),
      amount: cents(n('amount') * 1000),
      source: TUSHARE_SOURCE,
      tradeDate,
    },
    prevClose: typeof pre === 'number' && Number.isFinite(pre) ? pre : undefined,
  };
}

/** An `adj_factor` row → an adjustment factor. */
export function adjFactorFromRow(row: Record<string, unknown>, symbol: Ticker): AdjFactor {
  return {
    symbol,
    tradeDate: isoDate(stringField(row, 'trade_date', 'adj_factor', symbol)),
    adjFactor: numberField(row, 'adj_factor', 'adj_factor', symbol),
    source: TUSHARE_SOURCE,
  };
}

/**
 * An `rt_k` row → a one-level book. A side whose price is missing or non-positive (limit-up or
 * limit-down books have one empty side) is returned empty rather than as a zero level.
 */
export function bookFromRow(
  row: Record<string, unknown>,
  symbol: Ticker,
  today: string,
  nowMs: number,
): BookSnapshot {
  const text = row['trade_time'];
  const at = typeof text === 'string' ? parseTushareTime(text, today) : undefined;
  const level = (price: string, volume: string): { prices: number[]; volumes: number[] } => {
    const p = row[price];
    const v = row[volume];
    return typeof p === 'number' && p > 0 && typeof v === 'number' && v >= 0
      ? { prices: [p], volumes: [Math.round(v)] }
      : { prices: [], volumes: [] };
  };
  const bid = level('bid_price1', 'bid_volume1');
  const ask = level('ask_price1', 'ask_volume1');
  return {
    symbol,
    ts: at?.ts ?? nowMs,
    bidPrices: bid.prices,
    bidVolumes: bid.volumes,
    askPrices: ask.prices,
    askVolumes: ask.volumes,
    source: TUSHARE_SOURCE,
    tradeDate: at?.tradeDate ?? today,
  };
}
