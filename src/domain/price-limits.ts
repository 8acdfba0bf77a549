import { parseTicker, type Board } from './ticker.js';

/**
 * Daily price-limit band per A-share board (docs/PROVIDERS.md, "A-share market facts"): main boards ±10%, ChiNext and
 * STAR ±20% (since 2020-08-24 / 2019-07-22), BSE ±30%. ST stocks (±5% historically) and
 * IPO-day rules are not modelled: the simulator lists no ST names.
 */
export function limitPctOf(board: Board): number | undefined {
  switch (board) {
    case 'sse_main':
    case 'szse_main':
      return 0.1;
    case 'star':
    case 'chinext':
      return 0.2;
    case 'bse':
      return 0.3;
    case 'other':
      return undefined;
  }
}

/** Up/down limit prices: prevClose × (1 ± pct), rounded to the 0.01 tick (half away from zero). */
export function priceLimits(
  ticker: string,
  prevClose: number,
): { limitUp: number; limitDown: number } | undefined {
  const pct = limitPctOf(parseTicker(ticker).board);
  if (pct === undefined || !(prevClose > 0)) return undefined;
  const cents = Math.round(prevClose * 100);
  return {
    limitUp: Math.round(cents * (1 + pct) + 1e-9) / 100,
    limitDown: Math.round(cents * (1 - pct) + 1e-9) / 100,
  };
}
