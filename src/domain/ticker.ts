import { IngestError } from '../errors.js';

/** A normalised instrument code: Tushare-style for A-shares (`600000.SH`), a plain ticker elsewhere (`AAPL`). */
export type Ticker = string;

/** A-share exchanges by their Tushare suffix. */
export type Exchange = 'SH' | 'SZ' | 'BJ';

/** A-share boards; they decide the daily price-limit band. */
export type Board = 'sse_main' | 'star' | 'szse_main' | 'chinext' | 'bse' | 'other';

/** A parsed ticker. */
export interface ParsedTicker {
  ticker: Ticker;
  /** The 6-digit code for A-shares, the plain ticker otherwise. */
  code: string;
  /** Set for A-shares; `undefined` for other markets. */
  exchange: Exchange | undefined;
  board: Board;
}

const A_SHARE = /^(\d{6})\.(SH|SZ|BJ)$/;
// Markets whose codes are numeric on Yahoo (Hong Kong, Tokyo, Korea, Taiwan, Singapore, India,
// Shanghai/Shenzhen in Yahoo spelling): a numeric code with any other suffix is a typo.
const NUMERIC_MARKET_SUFFIXES = new Set([
  'HK',
  'T',
  'KS',
  'KQ',
  'TW',
  'TWO',
  'SI',
  'BO',
  'NS',
  'SS',
  'AX',
  'KL',
  'BK',
  'JK',
]);
// Plain tickers of other markets: letters, digits, dot/dash/caret/equals (BRK-B, ^GSPC, EURUSD=X, 0700.HK).
const PLAIN = /^[A-Z0-9^][A-Z0-9.\-=^]{0,19}$/;

/** The board of an A-share code from its prefix (docs/PROVIDERS.md, "A-share market facts"). */
export function boardOf(code: string, exchange: Exchange): Board {
  if (exchange === 'SH') {
    if (/^(600|601|603|605)/.test(code)) return 'sse_main';
    if (/^(688|689)/.test(code)) return 'star';
    return 'other';
  }
  if (exchange === 'SZ') {
    if (/^(000|001|002|003)/.test(code)) return 'szse_main';
    if (/^(300|301|302)/.test(code)) return 'chinext';
    return 'other';
  }
  if (/^(43|83|87|88|92)/.test(code)) return 'bse';
  return 'other';
}

/**
 * Parses and normalises a user-supplied code. Lower-case suffixes are accepted (`600000.sh`).
 * Throws a `USAGE` error naming the code when it is malformed.
 */
export function parseTicker(input: string): ParsedTicker {
  const raw = input.trim().toUpperCase();
  const a = A_SHARE.exec(raw);
  if (a) {
    const code = a[1] as string;
    const exchange = a[2] as Exchange;
    const board = boardOf(code, exchange);
    if (board === 'other' && !isKnownOtherPrefix(code, exchange)) {
      throw new IngestError(
        'USAGE',
        `Malformed symbol "${input}": ${code} is not a valid ${exchange} code (SH: 600/601/603/605/688/689/5xx, SZ: 000-003/300-302/15x/16x, BJ: 43x/83x/87x/88x/92x)`,
        { context: { symbol: input } },
      );
    }
    return { ticker: `${code}.${exchange}`, code, exchange, board };
  }
  if (/^\d+\.[A-Z]+$/.test(raw) && /\.(SH|SZ|BJ)$/.test(raw)) {
    throw new IngestError(
      'USAGE',
      `Malformed symbol "${input}": A-share codes have 6 digits, e.g. 600000.SH`,
      {
        context: { symbol: input },
      },
    );
  }
  const numericWithSuffix = /^(\d+)\.([A-Z]+)$/.exec(raw);
  if (numericWithSuffix && !NUMERIC_MARKET_SUFFIXES.has(numericWithSuffix[2] as string)) {
    throw new IngestError(
      'USAGE',
      `Malformed symbol "${input}": unknown exchange suffix .${numericWithSuffix[2]} (A-shares: .SH, .SZ, .BJ)`,
      { context: { symbol: input } },
    );
  }
  if (PLAIN.test(raw) && !/^\d{1,6}$/.test(raw)) {
    return { ticker: raw, code: raw, exchange: undefined, board: 'other' };
  }
  throw new IngestError(
    'USAGE',
    `Malformed symbol "${input}": expected a Tushare-style code such as 600000.SH, 000001.SZ, 830799.BJ, or a plain ticker such as AAPL`,
    { context: { symbol: input } },
  );
}

function isKnownOtherPrefix(code: string, exchange: Exchange): boolean {
  if (exchange === 'SH') return /^(5|11|13|900)/.test(code);
  if (exchange === 'SZ') return /^(15|16|12|200)/.test(code);
  return false;
}

/** True for A-share tickers (`.SH`, `.SZ`, `.BJ`). */
export function isAShare(ticker: Ticker): boolean {
  return A_SHARE.test(ticker);
}

/**
 * Splits a `--symbols` value list (space- and/or comma-separated) into normalised tickers,
 * reporting every malformed code at once. Duplicates are removed, order kept.
 */
export function parseTickerList(values: readonly string[]): Ticker[] {
  const parts = values.flatMap((v) => v.split(/[\s,]+/)).filter((p) => p.length > 0);
  const errors: string[] = [];
  const out: Ticker[] = [];
  const seen = new Set<string>();
  for (const p of parts) {
    try {
      const t = parseTicker(p).ticker;
      if (!seen.has(t)) {
        seen.add(t);
        out.push(t);
      }
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length > 0) throw new IngestError('USAGE', errors.join('\n'));
  return out;
}
