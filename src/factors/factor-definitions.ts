/**
 * The factor catalogue: one row per factor, the single source for the README factor table and
 * `tickpipe factors`. Definitions are written for the A-share session clock (see `session-clock.ts`):
 * 1-minute factors are stamped with the END label of their bucket (09:30 = opening auction,
 * 09:31…11:30, 13:01…15:00), daily factors with 15:00 Shanghai of the trade date. Other markets
 * use the plain clock, which has no auctions, lunch break or opening-momentum window.
 */

/** Input data sets a factor can be computed from. */
export type FactorInputKind = 'ticks' | 'books' | 'bars_1m';

/** Granularity of a factor's values: one per 1-minute bucket or one per day. */
export type FactorGranularity = '1m' | '1d';

/** Every factor name, in catalogue order. */
export const FACTOR_NAMES = [
  'vwap_1m',
  'ret_1m',
  'volume_1m',
  'trade_count_1m',
  'realized_vol_30m',
  'trade_imbalance_1m',
  'spread_bps',
  'depth_imbalance_l1',
  'depth_imbalance_l5',
  'ofi_1m',
  'ret_1d',
  'realized_vol_1d',
  'vwap_1d',
  'amihud_1d',
  'intraday_momentum_30m',
  'auction_volume_share',
  'limit_hit',
] as const;

/** A factor name (the `factor` column of the `factors` table). */
export type FactorName = (typeof FACTOR_NAMES)[number];

/** One factor's definition. */
export interface FactorDefinition {
  name: FactorName;
  granularity: FactorGranularity;
  /** The formula in plain text (`p` = trade price, `v` = volume in shares, `ln` = `Math.log`). */
  formula: string;
  /** Input data sets, any one of which suffices; when several are given the first present wins. */
  inputs: readonly FactorInputKind[];
  units: string;
  /** The data window one value describes. */
  window: string;
  /** What must be seen before the first value (and extra inputs such as `prevClose`). */
  warmUp: string;
  description: string;
}

/** Scale of `amihud_1d`: illiquidity per 1e8 currency units (亿元) traded. */
export const AMIHUD_AMOUNT_SCALE = 1e8;

/** Trailing window of `realized_vol_30m`, in one-minute returns. */
export const REALIZED_VOL_WINDOW_RETURNS = 30;

/** Book levels summed by `depth_imbalance_l5`. */
export const DEPTH_LEVELS_L5 = 5;

/** The factor catalogue, in {@link FACTOR_NAMES} order. */
export const FACTOR_DEFINITIONS: readonly FactorDefinition[] = [
  {
    name: 'vwap_1m',
    granularity: '1m',
    formula: 'ticks: Σ p·v / Σ v; bars: amount / volume; clamped to [low, high] of the minute',
    inputs: ['ticks', 'bars_1m'],
    units: 'currency per share',
    window: '1 minute bucket',
    warmUp: 'none; absent for minutes without trades',
    description: 'Volume-weighted average trade price of the minute.',
  },
  {
    name: 'ret_1m',
    granularity: '1m',
    formula: 'ln(last_t / last_prev) with last_prev = last trade price before the minute, same half-day',
    inputs: ['ticks', 'bars_1m'],
    units: 'log return',
    window: '1 minute bucket',
    warmUp:
      'a previous price in the same half-day; never across 11:30→13:01; absent for minutes without trades',
    description:
      'One-minute log return of the last trade price. The 09:31 return is measured from the opening-auction price.',
  },
  {
    name: 'volume_1m',
    granularity: '1m',
    formula: 'Σ v',
    inputs: ['ticks', 'bars_1m'],
    units: 'shares',
    window: '1 minute bucket',
    warmUp: 'none; 0 for minutes without trades (all 241 buckets from ticks, every given bar from bars)',
    description: 'Traded volume of the minute.',
  },
  {
    name: 'trade_count_1m',
    granularity: '1m',
    formula: 'count of trades with v > 0',
    inputs: ['ticks'],
    units: 'trades',
    window: '1 minute bucket',
    warmUp: 'none; 0 for minutes without trades',
    description: 'Number of trades (auction prints included) in the minute.',
  },
  {
    name: 'realized_vol_30m',
    granularity: '1m',
    formula: 'sqrt(Σ ret_1m² over the trailing 30 one-minute returns)',
    inputs: ['ticks', 'bars_1m'],
    units: 'log return (not annualised)',
    window: 'trailing 30 ret_1m values of the day',
    warmUp: '30 one-minute returns; emitted at minutes that have a ret_1m',
    description: 'Realized volatility over the last 30 one-minute returns (empty minutes are skipped).',
  },
  {
    name: 'trade_imbalance_1m',
    granularity: '1m',
    formula: '(Σ v_buy − Σ v_sell) / Σ v',
    inputs: ['ticks'],
    units: 'ratio in [−1, 1]',
    window: '1 minute bucket',
    warmUp: 'none; absent for minutes without trades',
    description:
      'Signed trade volume share. Side from the tick when B/S; side N in continuous trading by the tick rule (up-tick buy, down-tick sell, zero-tick = last price change); unclassified volume (auction prints with side N, no prior price change) counts only in the denominator.',
  },
  {
    name: 'spread_bps',
    granularity: '1m',
    formula: 'time-weighted mean of (ask1 − bid1) / ((ask1 + bid1) / 2) × 1e4',
    inputs: ['books'],
    units: 'basis points',
    window:
      'continuous-trading snapshots of the minute, each weighted by the time until the next snapshot or the minute end',
    warmUp: 'none; absent when no two-sided snapshot in the minute (limit-locked book)',
    description:
      'Quoted relative bid-ask spread. Auction-time snapshots (before 09:30, from 14:57) are ignored.',
  },
  {
    name: 'depth_imbalance_l1',
    granularity: '1m',
    formula: '(bidVol1 − askVol1) / (bidVol1 + askVol1), last snapshot of the minute',
    inputs: ['books'],
    units: 'ratio in [−1, 1]',
    window: 'last continuous-trading snapshot of the minute',
    warmUp: 'none; ±1 for a one-sided (limit-locked) book, absent when both sides are empty',
    description: 'Best-level depth imbalance.',
  },
  {
    name: 'depth_imbalance_l5',
    granularity: '1m',
    formula: '(Σ bidVol1..5 − Σ askVol1..5) / (Σ bidVol1..5 + Σ askVol1..5), last snapshot of the minute',
    inputs: ['books'],
    units: 'ratio in [−1, 1]',
    window: 'last continuous-trading snapshot of the minute',
    warmUp: 'none; ±1 for a one-sided book, absent when both sides are empty',
    description: 'Depth imbalance over the top five levels (fewer when the book is shallower).',
  },
  {
    name: 'ofi_1m',
    granularity: '1m',
    formula:
      'Σ e_n, e_n = 1{Pb_n ≥ Pb_n−1}·qb_n − 1{Pb_n ≤ Pb_n−1}·qb_n−1 − 1{Pa_n ≤ Pa_n−1}·qa_n + 1{Pa_n ≥ Pa_n−1}·qa_n−1',
    inputs: ['books'],
    units: 'shares',
    window:
      'snapshots n of the minute, each paired with its predecessor (which may lie in the previous minute)',
    warmUp: 'a predecessor snapshot in the same half-day; an empty side is Pb = −∞ / Pa = +∞ with q = 0',
    description: 'Order-flow imbalance at the best level (Cont, Kukanov & Stoikov 2014).',
  },
  {
    name: 'ret_1d',
    granularity: '1d',
    formula: 'ln(close / prevClose), close = last trade price of the day',
    inputs: ['ticks', 'bars_1m'],
    units: 'log return',
    window: 'trade day',
    warmUp: 'needs prevClose',
    description: 'Daily close-to-close log return.',
  },
  {
    name: 'realized_vol_1d',
    granularity: '1d',
    formula: 'sqrt(Σ ret_1m² over the day)',
    inputs: ['ticks', 'bars_1m'],
    units: 'log return (not annualised)',
    window: 'trade day',
    warmUp: 'at least one ret_1m',
    description: 'Daily realized volatility from one-minute returns (no overnight or lunch returns).',
  },
  {
    name: 'vwap_1d',
    granularity: '1d',
    formula: 'ticks: Σ p·v / Σ v; bars: Σ amount / Σ volume; clamped to [low, high] of the day',
    inputs: ['ticks', 'bars_1m'],
    units: 'currency per share',
    window: 'trade day, auctions included',
    warmUp: 'at least one trade',
    description: 'Daily volume-weighted average price.',
  },
  {
    name: 'amihud_1d',
    granularity: '1d',
    formula: '|ret_1d| / (Σ amount / 1e8)',
    inputs: ['ticks', 'bars_1m'],
    units: 'log return per 1e8 currency units (亿元)',
    window: 'trade day',
    warmUp: 'needs prevClose and a positive traded amount',
    description: 'Amihud (2002) illiquidity: absolute daily return per 100 million traded.',
  },
  {
    name: 'intraday_momentum_30m',
    granularity: '1d',
    formula:
      'ln(p_10:00 / p_open), p_open = opening-auction price, else first continuous trade; p_10:00 = last price before 10:00:00',
    inputs: ['ticks', 'bars_1m'],
    units: 'log return',
    window: '09:25–10:00',
    warmUp: 'a trade before 10:00',
    description: 'First-half-hour momentum.',
  },
  {
    name: 'auction_volume_share',
    granularity: '1d',
    formula: '(v of the 09:30 bucket + v of the 14:58–15:00 buckets) / Σ v',
    inputs: ['ticks', 'bars_1m'],
    units: 'ratio in [0, 1]',
    window: 'trade day',
    warmUp: 'a positive day volume',
    description: 'Share of the day volume traded in the opening and closing call auctions.',
  },
  {
    name: 'limit_hit',
    granularity: '1d',
    formula: '1 if max p ≥ limitUp or min p ≤ limitDown (tolerance 1e-6), else 0',
    inputs: ['ticks', 'bars_1m'],
    units: '0 or 1',
    window: 'trade day',
    warmUp:
      'needs limitUp and/or limitDown (no fallback from prevClose: the band depends on board and ST status)',
    description: 'Whether any trade touched the daily price limit.',
  },
];
