import type { Board, Ticker } from '../../domain/ticker.js';
import { parseTicker } from '../../domain/ticker.js';
import { IngestError } from '../../errors.js';
import { seededRandom } from './seeded-random.js';

/** Boards the simulator trades (A-share stocks); ETFs, bonds and B-shares are not simulated. */
export type StockBoard = Exclude<Board, 'other'>;

/** Daily price-limit band per board, in percent of the previous close (docs/PROVIDERS.md, "A-share market facts"). */
export const LIMIT_PERCENT: Readonly<Record<StockBoard, number>> = {
  sse_main: 10,
  szse_main: 10,
  star: 20,
  chinext: 20,
  bse: 30,
};

/**
 * Rough price levels (cents) of symbols users try first, so that they look plausible; the walk
 * reverts towards them. Approximate 2024–2025 levels, not data.
 */
const REFERENCE_PRICES_CENTS: Readonly<Record<string, number>> = {
  '000001.SZ': 1150,
  '000002.SZ': 700,
  '600000.SH': 1000,
  '600519.SH': 150_000,
  '300750.SZ': 25_000,
  '688981.SH': 8_000,
};

/** The fixed character of one simulated stock, derived from (seed, symbol) only. */
export interface SymbolProfile {
  symbol: Ticker;
  board: StockBoard;
  /** Daily limit band, percent (10, 20 or 30). */
  limitPercent: number;
  /** Price level the daily walk reverts to, cents. */
  basePriceCents: number;
  /** Standard deviation of the daily log return (0.012 = 1.2 %). */
  dailyVolatility: number;
  /** Chance that a 3-second interval of continuous trading has trades, before the intraday shape. */
  tradeProbability: number;
  /** Mean traded lots (100 shares) per 3-second interval that has trades. */
  meanLots: number;
  /** Typical best bid/ask spread, cents (at least 1). */
  spreadCents: number;
}

/**
 * The profile of an A-share stock. Throws `PROVIDER_NOT_FOUND` (not retryable) for anything else:
 * other markets' tickers, ETFs, bonds, B-shares, malformed codes.
 */
export function symbolProfile(seed: number, symbol: Ticker): SymbolProfile {
  const board = stockBoardOf(symbol);
  const random = seededRandom(seed, symbol, 'profile');
  // Log-uniform 3..200 CNY, a little higher on STAR/ChiNext, lower on BSE, like the real boards.
  const boardPriceFactor = board === 'star' ? 1.6 : board === 'chinext' ? 1.3 : board === 'bse' ? 0.7 : 1;
  const drawnPriceCents = Math.max(
    100,
    Math.round(300 * Math.exp(random() * Math.log(200 / 3)) * boardPriceFactor),
  );
  const basePriceCents = REFERENCE_PRICES_CENTS[symbol] ?? drawnPriceCents;
  const boardVolFactor = board === 'bse' ? 1.5 : board === 'star' || board === 'chinext' ? 1.3 : 1;
  const dailyVolatility = (0.012 + random() * 0.023) * boardVolFactor;
  const tradeProbability = 0.35 + random() * 0.6;
  const meanLots = 2 * Math.exp(random() * Math.log(30));
  const spreadCents = Math.max(1, Math.round(basePriceCents * 0.0003 * (0.5 + random())));
  return {
    symbol,
    board,
    limitPercent: LIMIT_PERCENT[board],
    basePriceCents,
    dailyVolatility,
    tradeProbability,
    meanLots,
    spreadCents,
  };
}

/** The board of an A-share stock ticker; throws `PROVIDER_NOT_FOUND` when the simulator does not trade it. */
export function stockBoardOf(symbol: Ticker): StockBoard {
  let board: Board | undefined;
  try {
    const parsed = parseTicker(symbol);
    if (parsed.exchange !== undefined && parsed.ticker === symbol) board = parsed.board;
  } catch {
    board = undefined;
  }
  if (board === undefined || board === 'other') {
    throw new IngestError(
      'PROVIDER_NOT_FOUND',
      `The simulated market has no symbol "${symbol}": it simulates A-share stocks only (e.g. 600000.SH, 000001.SZ, 300750.SZ, 688981.SH, 830799.BJ)`,
      { retryable: false, context: { provider: 'simulated', symbol } },
    );
  }
  return board;
}

/** Up and down limit prices in cents: round(prevClose × (1 ± pct)) to the 0.01 tick, half up. */
export function limitPricesCents(
  prevCloseCents: number,
  limitPercent: number,
): { upCents: number; downCents: number } {
  // Integer numerators keep the half-up rounding exact (x.5 is representable in binary).
  return {
    upCents: Math.round((prevCloseCents * (100 + limitPercent)) / 100),
    downCents: Math.max(1, Math.round((prevCloseCents * (100 - limitPercent)) / 100)),
  };
}
