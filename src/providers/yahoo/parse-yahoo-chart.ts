/**
 * Parses a 200 answer of the chart endpoint into start-labelled rows, keeping Yahoo's `null`s.
 * Anything that is not the documented shape (empty body, an HTML outage page, truncated JSON,
 * misaligned arrays) is `PROVIDER_BAD_RESPONSE`, retryable: Yahoo serves such bodies transiently
 * (docs/PROVIDERS.md, "Yahoo Finance chart API"). An envelope with `chart.error` set is returned for the caller to classify.
 */
import { IngestError } from '../../errors.js';

/** One start-labelled row; any field may be `null` (a gap). */
export interface YahooChartRow {
  /** Bar start, epoch seconds. */
  start: number;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
}

/** The `meta` fields the provider uses. */
export interface YahooChartMeta {
  symbol: string | undefined;
  exchangeTimezoneName: string | undefined;
  chartPreviousClose: number | undefined;
  /** `currentTradingPeriod.regular.end`, epoch seconds, when present. */
  regularEnd: number | undefined;
}

/** A parsed chart answer. */
export type ParsedYahooChart =
  | { kind: 'chart'; meta: YahooChartMeta; rows: YahooChartRow[] }
  | { kind: 'error'; code: string; description: string };

/** Parses the body of an HTTP 200 answer. `what` names the request in messages. */
export function parseYahooChart(bodyText: string, what: string): ParsedYahooChart {
  const bad = (reason: string) =>
    new IngestError('PROVIDER_BAD_RESPONSE', `Yahoo "chart" answer for ${what} is unusable: ${reason}`, {
      retryable: true,
      context: { provider: 'yahoo', endpoint: 'chart', bodyStart: bodyText.slice(0, 80) },
    });
  const trimmed = bodyText.trim();
  if (trimmed === '') throw bad('empty body (Yahoo soft block?)');
  if (trimmed.startsWith('<')) throw bad('an HTML page instead of JSON (Yahoo outage page?)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw bad('not valid JSON (truncated?)');
  }
  const chart = (parsed as { chart?: unknown } | null)?.chart;
  if (!isObject(chart)) throw bad('no "chart" object');
  if (isObject(chart.error) && typeof chart.error.code === 'string') {
    const description = typeof chart.error.description === 'string' ? chart.error.description : '';
    return { kind: 'error', code: chart.error.code, description };
  }
  const result = Array.isArray(chart.result) ? (chart.result[0] as unknown) : undefined;
  if (!isObject(result) || !isObject(result.meta)) throw bad('no chart.result[0].meta');
  const meta = readMeta(result.meta);

  if (result.timestamp === undefined || result.timestamp === null) return { kind: 'chart', meta, rows: [] };
  const ts = result.timestamp;
  if (!Array.isArray(ts) || !ts.every((t) => typeof t === 'number' && Number.isFinite(t))) {
    throw bad('"timestamp" is not an array of numbers');
  }
  const indicators = isObject(result.indicators) ? result.indicators : undefined;
  const quote = Array.isArray(indicators?.quote) ? (indicators.quote[0] as unknown) : undefined;
  if (!isObject(quote)) throw bad('no indicators.quote[0]');
  const column = (name: string): (number | null)[] => {
    const values = quote[name];
    if (!Array.isArray(values) || values.length !== ts.length) {
      throw bad(`indicators.quote[0].${name} does not align with ${ts.length} timestamps`);
    }
    return values.map((v) => {
      if (v === null) return null;
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw bad(`indicators.quote[0].${name} holds ${String(v)}`);
      return v;
    });
  };
  const open = column('open');
  const high = column('high');
  const low = column('low');
  const close = column('close');
  const volume = column('volume');
  const rows = (ts as number[]).map((start, i) => ({
    start,
    open: open[i] ?? null,
    high: high[i] ?? null,
    low: low[i] ?? null,
    close: close[i] ?? null,
    volume: volume[i] ?? null,
  }));
  return { kind: 'chart', meta, rows };
}

function readMeta(meta: Record<string, unknown>): YahooChartMeta {
  const ctp = isObject(meta.currentTradingPeriod) ? meta.currentTradingPeriod : undefined;
  const regular = ctp && isObject(ctp.regular) ? ctp.regular : undefined;
  return {
    symbol: typeof meta.symbol === 'string' ? meta.symbol : undefined,
    exchangeTimezoneName:
      typeof meta.exchangeTimezoneName === 'string' ? meta.exchangeTimezoneName : undefined,
    chartPreviousClose: finite(meta.chartPreviousClose),
    regularEnd: finite(regular?.end),
  };
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
