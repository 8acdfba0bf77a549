import type { BookSnapshot } from '../domain/rows.js';
import { IngestError } from '../errors.js';
import { DEPTH_LEVELS_L5 } from './factor-definitions.js';
import type { SessionClock } from './session-clock.js';
import type { FactorSink } from './trade-aggregator.js';

/** Streaming book-side factors of one symbol-day (spread, depth imbalances, OFI). */
export interface BookAggregator {
  /** Adds one snapshot; snapshots must come in non-decreasing `ts` order. */
  onBook(book: BookSnapshot): void;
  /** Closes the open bucket. */
  finish(): void;
}

/** Best level of one side; an empty side is `price = ∓∞, volume = 0` (see `ofi_1m`). */
export interface BestLevel {
  bidPrice: number;
  bidVolume: number;
  askPrice: number;
  askVolume: number;
}

function levelPresent(prices: readonly number[], volumes: readonly number[], i: number): boolean {
  const p = prices[i];
  const v = volumes[i];
  return p !== undefined && v !== undefined && Number.isFinite(p) && p > 0 && Number.isFinite(v) && v > 0;
}

function sideDepth(prices: readonly number[], volumes: readonly number[], levels: number): number {
  let sum = 0;
  for (let i = 0; i < levels; i += 1) if (levelPresent(prices, volumes, i)) sum += volumes[i] as number;
  return sum;
}

/** `(bid − ask) / (bid + ask)`, or `undefined` when both sides are empty. */
function imbalance(book: BookSnapshot, levels: number): number | undefined {
  const bid = sideDepth(book.bidPrices, book.bidVolumes, levels);
  const ask = sideDepth(book.askPrices, book.askVolumes, levels);
  return bid + ask > 0 ? (bid - ask) / (bid + ask) : undefined;
}

function bestLevel(book: BookSnapshot): BestLevel {
  const hasBid = levelPresent(book.bidPrices, book.bidVolumes, 0);
  const hasAsk = levelPresent(book.askPrices, book.askVolumes, 0);
  return {
    bidPrice: hasBid ? (book.bidPrices[0] as number) : Number.NEGATIVE_INFINITY,
    bidVolume: hasBid ? (book.bidVolumes[0] as number) : 0,
    askPrice: hasAsk ? (book.askPrices[0] as number) : Number.POSITIVE_INFINITY,
    askVolume: hasAsk ? (book.askVolumes[0] as number) : 0,
  };
}

/** Relative spread in bps, or `undefined` for a one-sided book. */
function spreadBps(best: BestLevel): number | undefined {
  if (!Number.isFinite(best.bidPrice) || !Number.isFinite(best.askPrice)) return undefined;
  const mid = (best.askPrice + best.bidPrice) / 2;
  return ((best.askPrice - best.bidPrice) / mid) * 1e4;
}

/** Cont, Kukanov & Stoikov (2014) e_n between consecutive best levels. */
export function ofiContribution(prev: BestLevel, next: BestLevel): number {
  let e = 0;
  if (next.bidPrice >= prev.bidPrice) e += next.bidVolume;
  if (next.bidPrice <= prev.bidPrice) e -= prev.bidVolume;
  if (next.askPrice <= prev.askPrice) e -= next.askVolume;
  if (next.askPrice >= prev.askPrice) e += prev.askVolume;
  return e;
}

/** Creates the book aggregator. Memory is O(1) in the number of snapshots. */
export function createBookAggregator(clock: SessionClock, emit: FactorSink): BookAggregator {
  let lastTs = Number.NEGATIVE_INFINITY;
  let labelTs: number | undefined;
  let weightedSpread = 0;
  let spreadWeightMs = 0;
  // The newest snapshot's spread: its weight is known only when the next one (or the minute end) arrives.
  let pendingSpread: number | undefined;
  let pendingTs = 0;
  let lastL1: number | undefined;
  let lastL5: number | undefined;
  let ofiSum = 0;
  let ofiPairs = 0;
  let prevBest: BestLevel | undefined;
  let prevPart: number | undefined;

  function settlePending(untilTs: number): void {
    if (pendingSpread !== undefined) {
      const weightMs = untilTs - pendingTs;
      weightedSpread += pendingSpread * weightMs;
      spreadWeightMs += weightMs;
    }
    pendingSpread = undefined;
  }

  function closeBucket(): void {
    if (labelTs === undefined) return;
    settlePending(labelTs);
    if (spreadWeightMs > 0) emit(labelTs, 'spread_bps', weightedSpread / spreadWeightMs);
    if (lastL1 !== undefined) emit(labelTs, 'depth_imbalance_l1', lastL1);
    if (lastL5 !== undefined) emit(labelTs, 'depth_imbalance_l5', lastL5);
    if (ofiPairs > 0) emit(labelTs, 'ofi_1m', ofiSum);
    labelTs = undefined;
    weightedSpread = 0;
    spreadWeightMs = 0;
    lastL1 = undefined;
    lastL5 = undefined;
    ofiSum = 0;
    ofiPairs = 0;
  }

  return {
    onBook(book) {
      if (book.ts < lastTs) {
        throw new IngestError(
          'DATA_INVALID',
          `Factor engine got a book snapshot out of time order (${new Date(book.ts).toISOString()} after ${new Date(lastTs).toISOString()}); sort the symbol-day's snapshots by ts`,
          { context: { ts: book.ts, previousTs: lastTs } },
        );
      }
      lastTs = book.ts;
      const bucketTs = clock.bookBucket(book.ts);
      if (bucketTs === undefined) return;
      if (bucketTs !== labelTs) {
        closeBucket();
        labelTs = bucketTs;
      } else {
        settlePending(book.ts);
      }
      const best = bestLevel(book);
      pendingSpread = spreadBps(best);
      pendingTs = book.ts;
      lastL1 = imbalance(book, 1);
      lastL5 = imbalance(book, DEPTH_LEVELS_L5);
      const part = clock.sessionPart(bucketTs);
      if (prevBest !== undefined && prevPart === part) {
        ofiSum += ofiContribution(prevBest, best);
        ofiPairs += 1;
      }
      prevBest = best;
      prevPart = part;
    },

    finish() {
      closeBucket();
    },
  };
}
