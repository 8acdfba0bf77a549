import type { Bar, Side, Tick } from '../domain/rows.js';
import { IngestError } from '../errors.js';
import { AMIHUD_AMOUNT_SCALE, REALIZED_VOL_WINDOW_RETURNS, type FactorName } from './factor-definitions.js';
import type { SessionClock } from './session-clock.js';

/** Receives one factor value; non-finite values are dropped by the caller's sink. */
export type FactorSink = (ts: number, factor: FactorName, value: number) => void;

/** Daily parameters of the trade factors. */
export interface TradeAggregatorParams {
  clock: SessionClock;
  /** Exchange-local trade date `YYYY-MM-DD` (for the daily values' `ts`). */
  tradeDate: string;
  /** Previous close (enables `ret_1d`, `amihud_1d`). */
  prevClose?: number;
  /** Limit prices (either enables `limit_hit`). */
  limitUp?: number;
  limitDown?: number;
}

/** Sizes of the aggregator's internal buffers (for streaming-memory tests and diagnostics). */
export interface TradeAggregatorSizes {
  /** One-minute returns held for `realized_vol_30m`; never above 30. */
  returnWindow: number;
}

/** Streaming trade-side factors of one symbol-day, fed by ticks OR 1-minute bars (not both). */
export interface TradeAggregator {
  /** Adds one trade; ticks must come in non-decreasing `ts` order. */
  onTick(tick: Tick): void;
  /** Adds one END-labelled 1-minute bar; bars must come in increasing `ts` order. */
  onBar(bar: Bar): void;
  /** Closes the open bucket, zero-fills the grid to 15:00 (ticks) and emits the daily factors. */
  finish(): void;
  /** Current buffer sizes. */
  sizes(): TradeAggregatorSizes;
}

/** Limit prices are 2-decimal quotes; this tolerance absorbs binary rounding only. */
const LIMIT_TOLERANCE = 1e-6;

/** Aggregates of one 1-minute bucket. */
interface Bucket {
  /** Bucket end, UTC epoch ms. */
  labelTs: number;
  volume: number;
  /** Numerator of the VWAP: Σ p·v for ticks, amount for bars. */
  vwapNumerator: number;
  amount: number;
  low: number;
  high: number;
  open: number;
  close: number;
  /** Trades with v > 0; `undefined` for bars. */
  tradeCount: number | undefined;
  /** Buyer-/seller-initiated volume; `undefined` for bars. */
  buyVolume: number | undefined;
  sellVolume: number | undefined;
}

function emptyBucket(labelTs: number, fromTicks: boolean): Bucket {
  return {
    labelTs,
    volume: 0,
    vwapNumerator: 0,
    amount: 0,
    low: Number.POSITIVE_INFINITY,
    high: Number.NEGATIVE_INFINITY,
    open: Number.NaN,
    close: Number.NaN,
    tradeCount: fromTicks ? 0 : undefined,
    buyVolume: fromTicks ? 0 : undefined,
    sellVolume: fromTicks ? 0 : undefined,
  };
}

function isPositive(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}

function clamp(x: number, low: number, high: number): number {
  return x < low ? low : x > high ? high : x;
}

/**
 * Creates the trade-side aggregator. Memory is O(1) in the number of ticks: one open bucket,
 * the 30-return window and a handful of daily accumulators.
 */
export function createTradeAggregator(params: TradeAggregatorParams, emit: FactorSink): TradeAggregator {
  const { clock } = params;
  let mode: 'ticks' | 'bars' | undefined;
  let current: Bucket | undefined;
  // Tick-ts range of the open bucket: the per-tick fast path skips the calendar arithmetic.
  let currentFromTs = Number.POSITIVE_INFINITY;
  let currentToTs = Number.NEGATIVE_INFINITY;
  let lastInputTs = Number.NEGATIVE_INFINITY;

  // Tick-rule state: previous trade price and the sign of the last non-zero price change.
  let prevTradePrice: number | undefined;
  let lastTickDirection: 1 | -1 | undefined;

  // ret_1m reference price (last trade price before the bucket) and its session part (half-day).
  let refPrice: number | undefined;
  let refPart: number | undefined;
  const returns = new Float64Array(REALIZED_VOL_WINDOW_RETURNS);
  let returnCount = 0;
  let daySumSquares = 0;

  let dayVolume = 0;
  let dayVwapNumerator = 0;
  let dayVwapVolume = 0;
  let dayAmount = 0;
  let dayLow = Number.POSITIVE_INFINITY;
  let dayHigh = Number.NEGATIVE_INFINITY;
  let dayClose: number | undefined;
  let lastTradedLabelTs = 0;
  let auctionPrice: number | undefined;
  let firstContinuousPrice: number | undefined;
  let priceAt1000: number | undefined;
  let auctionVolume = 0;

  function setMode(next: 'ticks' | 'bars'): void {
    if (mode === undefined) mode = next;
    else if (mode !== next) {
      throw new IngestError(
        'INTERNAL',
        `Factor engine fed both ticks and 1-minute bars for one symbol-day; feed one trade source only`,
      );
    }
  }

  function checkOrder(ts: number, strict: boolean, what: string): void {
    if (ts < lastInputTs || (strict && ts === lastInputTs)) {
      throw new IngestError(
        'DATA_INVALID',
        `Factor engine got ${what} out of time order (${new Date(ts).toISOString()} after ${new Date(lastInputTs).toISOString()}); sort the symbol-day's rows by ts`,
        { context: { ts, previousTs: lastInputTs } },
      );
    }
    lastInputTs = ts;
  }

  function closeBucket(b: Bucket): void {
    emit(b.labelTs, 'volume_1m', b.volume);
    if (b.tradeCount !== undefined) emit(b.labelTs, 'trade_count_1m', b.tradeCount);
    dayVolume += b.volume;
    if (clock.isAuction(b.labelTs)) auctionVolume += b.volume;
    if (!(b.volume > 0) || !Number.isFinite(b.close)) return;

    if (b.vwapNumerator > 0) emit(b.labelTs, 'vwap_1m', clamp(b.vwapNumerator / b.volume, b.low, b.high));
    if (b.buyVolume !== undefined && b.sellVolume !== undefined) {
      emit(b.labelTs, 'trade_imbalance_1m', (b.buyVolume - b.sellVolume) / b.volume);
    }

    const part = clock.sessionPart(b.labelTs);
    if (refPrice !== undefined && refPart === part) {
      const r = Math.log(b.close / refPrice);
      emit(b.labelTs, 'ret_1m', r);
      returns[returnCount % REALIZED_VOL_WINDOW_RETURNS] = r;
      returnCount += 1;
      daySumSquares += r * r;
      if (returnCount >= REALIZED_VOL_WINDOW_RETURNS) {
        // Recomputed oldest→newest every time: a running sum would drift and depend on history.
        let s = 0;
        for (let i = returnCount - REALIZED_VOL_WINDOW_RETURNS; i < returnCount; i += 1) {
          const x = returns[i % REALIZED_VOL_WINDOW_RETURNS] as number;
          s += x * x;
        }
        emit(b.labelTs, 'realized_vol_30m', Math.sqrt(s));
      }
    }
    refPrice = b.close;
    refPart = part;

    if (b.vwapNumerator > 0) {
      dayVwapNumerator += b.vwapNumerator;
      dayVwapVolume += b.volume;
    }
    dayAmount += b.amount;
    if (b.low < dayLow) dayLow = b.low;
    if (b.high > dayHigh) dayHigh = b.high;
    dayClose = b.close;
    lastTradedLabelTs = b.labelTs;
    if (clock.isOpeningAuction(b.labelTs)) auctionPrice = b.close;
    else if (firstContinuousPrice === undefined) firstContinuousPrice = b.open;
    if (clock.inMomentumWindow?.(b.labelTs) === true) priceAt1000 = b.close;
  }

  /** Closes buckets before `labelTs` (zero-filling the clock's grid in between) and opens `labelTs`. */
  function advanceTo(labelTs: number | undefined): void {
    if (current !== undefined && current.labelTs === labelTs) return;
    let next: number | undefined;
    if (current === undefined) next = labelTs === undefined ? undefined : clock.firstBucket(labelTs);
    else {
      closeBucket(current);
      next = clock.nextBucket(current.labelTs);
    }
    while (next !== undefined && (labelTs === undefined || next < labelTs)) {
      closeBucket(emptyBucket(next, true));
      next = clock.nextBucket(next);
    }
    if (labelTs === undefined) {
      current = undefined;
      currentFromTs = Number.POSITIVE_INFINITY;
      currentToTs = Number.NEGATIVE_INFINITY;
      return;
    }
    current = emptyBucket(labelTs, true);
    [currentFromTs, currentToTs] = clock.tradeBucketRange(labelTs);
  }

  function classify(side: Side, price: number, auction: boolean): 1 | -1 | 0 {
    let direction: 1 | -1 | 0 = 0;
    if (prevTradePrice !== undefined && price !== prevTradePrice) {
      lastTickDirection = price > prevTradePrice ? 1 : -1;
    }
    if (side === 'B') direction = 1;
    else if (side === 'S') direction = -1;
    else if (!auction && prevTradePrice !== undefined) direction = lastTickDirection ?? 0;
    prevTradePrice = price;
    return direction;
  }

  return {
    onTick(tick) {
      setMode('ticks');
      checkOrder(tick.ts, false, 'a tick');
      // Zero-volume or unpriced prints are not trades: they move no price and count nowhere.
      if (!isPositive(tick.price) || !isPositive(tick.volume)) return;
      if (!(tick.ts >= currentFromTs && tick.ts < currentToTs)) {
        const labelTs = clock.tradeBucket(tick.ts);
        if (labelTs === undefined) return;
        advanceTo(labelTs);
      }
      const b = current as Bucket;
      const direction = classify(tick.side, tick.price, clock.isAuction(b.labelTs));
      b.volume += tick.volume;
      b.vwapNumerator += tick.price * tick.volume;
      b.amount += Number.isFinite(tick.amount) ? tick.amount : 0;
      if (tick.price < b.low) b.low = tick.price;
      if (tick.price > b.high) b.high = tick.price;
      if (Number.isNaN(b.open)) b.open = tick.price;
      b.close = tick.price;
      b.tradeCount = (b.tradeCount ?? 0) + 1;
      if (direction === 1) b.buyVolume = (b.buyVolume ?? 0) + tick.volume;
      else if (direction === -1) b.sellVolume = (b.sellVolume ?? 0) + tick.volume;
    },

    onBar(bar) {
      setMode('bars');
      checkOrder(bar.ts, true, 'a 1-minute bar');
      const b = emptyBucket(bar.ts, false);
      const priced =
        isPositive(bar.volume) && isPositive(bar.close) && isPositive(bar.low) && isPositive(bar.high);
      if (priced) {
        b.volume = bar.volume;
        b.amount = Number.isFinite(bar.amount) ? bar.amount : 0;
        b.vwapNumerator = b.amount;
        b.low = bar.low;
        b.high = bar.high;
        b.open = isPositive(bar.open) ? bar.open : bar.close;
        b.close = bar.close;
      }
      closeBucket(b);
    },

    finish() {
      if (mode === 'ticks' && current !== undefined) advanceTo(undefined);
      emitDaily();
    },

    sizes() {
      return { returnWindow: Math.min(returnCount, REALIZED_VOL_WINDOW_RETURNS) };
    },
  };

  function emitDaily(): void {
    if (dayClose === undefined) return;
    const ts = clock.dailyTs(params.tradeDate, lastTradedLabelTs);
    if (params.prevClose !== undefined && isPositive(params.prevClose)) {
      const ret = Math.log(dayClose / params.prevClose);
      emit(ts, 'ret_1d', ret);
      if (dayAmount > 0) emit(ts, 'amihud_1d', Math.abs(ret) / (dayAmount / AMIHUD_AMOUNT_SCALE));
    }
    if (returnCount > 0) emit(ts, 'realized_vol_1d', Math.sqrt(daySumSquares));
    if (dayVwapVolume > 0) {
      emit(ts, 'vwap_1d', clamp(dayVwapNumerator / dayVwapVolume, dayLow, dayHigh));
    }
    const open = auctionPrice ?? firstContinuousPrice;
    if (open !== undefined && priceAt1000 !== undefined) {
      emit(ts, 'intraday_momentum_30m', Math.log(priceAt1000 / open));
    }
    if (clock.hasAuctions && dayVolume > 0) emit(ts, 'auction_volume_share', auctionVolume / dayVolume);
    const { limitUp, limitDown } = params;
    const hasUp = limitUp !== undefined && isPositive(limitUp);
    const hasDown = limitDown !== undefined && isPositive(limitDown);
    if (hasUp || hasDown) {
      const hit =
        (hasUp && dayHigh >= (limitUp as number) - LIMIT_TOLERANCE) ||
        (hasDown && dayLow <= (limitDown as number) + LIMIT_TOLERANCE);
      emit(ts, 'limit_hit', hit ? 1 : 0);
    }
  }
}
