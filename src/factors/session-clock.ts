import { SHANGHAI_OFFSET_MS, shanghaiTime } from '../domain/dates.js';

/**
 * The A-share trading-day clock that buckets ticks, book snapshots and 1-minute bars.
 * Minutes are Shanghai minutes of the day (`570` = 09:30). Buckets are END-labelled like
 * Tushare `stk_mins`: 241 buckets per day, `09:30` (opening auction), `09:31`…`11:30`,
 * `13:01`…`15:00`. A bucket labelled `m` covers `[m-1, m)`; see {@link tradeBucketMinute} for
 * the auction and boundary rules.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** 09:15, start of the opening call auction: earlier prints are not part of the session. */
export const OPEN_AUCTION_START_MINUTE = 9 * 60 + 15;
/** 09:30: the label of the opening-auction bucket and the start of continuous trading. */
export const OPEN_MINUTE = 9 * 60 + 30;
/** 10:00: the end of the opening 30-minute momentum window. */
export const MOMENTUM_END_MINUTE = 10 * 60;
/** 11:30: end of the morning continuous session. */
export const LUNCH_START_MINUTE = 11 * 60 + 30;
/** 13:00: start of the afternoon continuous session. */
export const LUNCH_END_MINUTE = 13 * 60;
/** 14:57: end of continuous trading, start of the closing call auction. */
export const CLOSE_AUCTION_START_MINUTE = 14 * 60 + 57;
/** 15:00: the session close and the label of the last bucket. */
export const CLOSE_MINUTE = 15 * 60;

/** Milliseconds since Shanghai midnight of a UTC epoch-ms instant. */
export function shanghaiMsOfDay(ts: number): number {
  const local = ts + SHANGHAI_OFFSET_MS;
  return ((local % DAY_MS) + DAY_MS) % DAY_MS;
}

/** UTC epoch ms of Shanghai minute-of-day `minute` on the Shanghai day that contains `ts`. */
export function minuteToTs(ts: number, minute: number): number {
  return ts - shanghaiMsOfDay(ts) + minute * MINUTE_MS;
}

/** Shanghai minute-of-day of an exact minute boundary instant (a bar's end label). */
export function labelMinuteOf(ts: number): number {
  return Math.floor(shanghaiMsOfDay(ts) / MINUTE_MS);
}

/**
 * The end label (Shanghai minute-of-day) of the bucket a trade at `ts` belongs to, or
 * `undefined` outside the session. Prints from 09:15 up to 09:30 (the 09:25 opening-auction print)
 * go to the 09:30 bucket; a trade at 11:30:00 sharp closes the morning (11:30 bucket); prints from
 * 15:00:00 to 15:00:59.999 (the closing-auction print) go to the 15:00 bucket; anything earlier
 * than 09:15 or from 15:01 on (after-hours fixed-price trades) is outside the session.
 */
export function tradeBucketMinute(ts: number): number | undefined {
  const minute = Math.floor(shanghaiMsOfDay(ts) / MINUTE_MS);
  if (minute < OPEN_AUCTION_START_MINUTE || minute > CLOSE_MINUTE) return undefined;
  if (minute < OPEN_MINUTE) return OPEN_MINUTE;
  if (minute >= LUNCH_START_MINUTE && minute < LUNCH_END_MINUTE) return LUNCH_START_MINUTE;
  if (minute >= CLOSE_MINUTE) return CLOSE_MINUTE;
  return minute + 1;
}

/**
 * The Shanghai minutes `[start, end)` whose trades {@link tradeBucketMinute} maps to the bucket
 * labelled `labelMinute` (e.g. 09:30 → `[09:15, 09:30)`, 11:30 → `[11:29, 13:00)`).
 */
export function tradeBucketRange(labelMinute: number): [startMinute: number, endMinute: number] {
  if (labelMinute === OPEN_MINUTE) return [OPEN_AUCTION_START_MINUTE, OPEN_MINUTE];
  if (labelMinute === LUNCH_START_MINUTE) return [LUNCH_START_MINUTE - 1, LUNCH_END_MINUTE];
  if (labelMinute === CLOSE_MINUTE) return [CLOSE_MINUTE - 1, CLOSE_MINUTE + 1];
  return [labelMinute - 1, labelMinute];
}

/**
 * The end label of the bucket a book snapshot at `ts` belongs to, or `undefined` when the
 * snapshot is outside continuous trading (`[09:30, 11:30)` and `[13:00, 14:57)`): call-auction
 * books may be crossed and describe no tradable spread.
 */
export function bookBucketMinute(ts: number): number | undefined {
  const minute = Math.floor(shanghaiMsOfDay(ts) / MINUTE_MS);
  const continuous =
    (minute >= OPEN_MINUTE && minute < LUNCH_START_MINUTE) ||
    (minute >= LUNCH_END_MINUTE && minute < CLOSE_AUCTION_START_MINUTE);
  return continuous ? minute + 1 : undefined;
}

/** Half-day of a bucket label: `0` morning (incl. the opening auction), `1` afternoon. */
export function halfDayOf(labelMinute: number): 0 | 1 {
  return labelMinute <= LUNCH_START_MINUTE ? 0 : 1;
}

/** True for the auction buckets: 09:30 (opening) and 14:58–15:00 (closing call auction). */
export function isAuctionBucket(labelMinute: number): boolean {
  return labelMinute === OPEN_MINUTE || labelMinute > CLOSE_AUCTION_START_MINUTE;
}

/** The bucket label that follows `labelMinute` on the 241-bucket grid, or `undefined` after 15:00. */
export function nextBucketMinute(labelMinute: number): number | undefined {
  if (labelMinute >= CLOSE_MINUTE) return undefined;
  if (labelMinute === LUNCH_START_MINUTE) return LUNCH_END_MINUTE + 1;
  return labelMinute + 1;
}

/** UTC epoch ms of 15:00 Shanghai on `tradeDate` (`YYYY-MM-DD`): the `ts` of daily factors. */
export function dailyFactorTs(tradeDate: string): number {
  return shanghaiTime(tradeDate, '15:00:00');
}

/**
 * The trading-day clock the factor engine buckets by. Bucket labels are END instants (UTC ms).
 * Two clocks exist: {@link A_SHARE_SESSION_CLOCK} (the 241-bucket grid above) and
 * {@link PLAIN_SESSION_CLOCK} for other markets, whose sessions tickpipe does not model.
 */
export interface SessionClock {
  readonly name: FactorSession;
  /** Label of the bucket a trade at `ts` belongs to, or `undefined` outside the session. */
  tradeBucket(ts: number): number | undefined;
  /** `[fromTs, toTs)`: the trade instants {@link tradeBucket} maps to `labelTs`. */
  tradeBucketRange(labelTs: number): [fromTs: number, toTs: number];
  /** First label of the grid of the day containing `ts`; `undefined` when there is no grid (no zero-fill). */
  firstBucket(ts: number): number | undefined;
  /** The grid label after `labelTs`, or `undefined` at the end of the day or without a grid. */
  nextBucket(labelTs: number): number | undefined;
  /** Label of the bucket a book snapshot at `ts` belongs to, or `undefined` when it is not usable. */
  bookBucket(ts: number): number | undefined;
  /** Returns and OFI pairs never cross a change of this number (the lunch break). */
  sessionPart(labelTs: number): number;
  /** True for the opening-auction bucket. */
  isOpeningAuction(labelTs: number): boolean;
  /** True for call-auction buckets (no tick-rule classification; `auction_volume_share`). */
  isAuction(labelTs: number): boolean;
  /** Whether the clock knows its auctions (else `auction_volume_share` is not computed). */
  readonly hasAuctions: boolean;
  /** True when the bucket ends by the momentum cut-off; `undefined` disables `intraday_momentum_30m`. */
  inMomentumWindow: ((labelTs: number) => boolean) | undefined;
  /** `ts` of the daily factors, given the last traded bucket label. */
  dailyTs(tradeDate: string, lastLabelTs: number): number;
}

/** Names of the session clocks. */
export type FactorSession = 'a_share' | 'plain';

/** The A-share clock (Asia/Shanghai, auctions, lunch break, 241 END-labelled buckets). */
export const A_SHARE_SESSION_CLOCK: SessionClock = Object.freeze<SessionClock>({
  name: 'a_share',
  tradeBucket(ts) {
    const m = tradeBucketMinute(ts);
    return m === undefined ? undefined : minuteToTs(ts, m);
  },
  tradeBucketRange(labelTs) {
    const [from, to] = tradeBucketRange(labelMinuteOf(labelTs));
    return [minuteToTs(labelTs, from), minuteToTs(labelTs, to)];
  },
  firstBucket(ts) {
    return minuteToTs(ts, OPEN_MINUTE);
  },
  nextBucket(labelTs) {
    const m = nextBucketMinute(labelMinuteOf(labelTs));
    return m === undefined ? undefined : minuteToTs(labelTs, m);
  },
  bookBucket(ts) {
    const m = bookBucketMinute(ts);
    return m === undefined ? undefined : minuteToTs(ts, m);
  },
  sessionPart(labelTs) {
    return halfDayOf(labelMinuteOf(labelTs));
  },
  isOpeningAuction(labelTs) {
    return labelMinuteOf(labelTs) === OPEN_MINUTE;
  },
  isAuction(labelTs) {
    return isAuctionBucket(labelMinuteOf(labelTs));
  },
  hasAuctions: true,
  inMomentumWindow(labelTs) {
    return labelMinuteOf(labelTs) <= MOMENTUM_END_MINUTE;
  },
  dailyTs(tradeDate) {
    return dailyFactorTs(tradeDate);
  },
});

const MINUTE = 60_000;

/**
 * The clock for markets whose sessions are not modelled (plain tickers such as `AAPL`): UTC
 * minute buckets labelled by their end, no grid (no zero-filled minutes), no auctions, no lunch
 * break, no opening momentum; daily factors are stamped at the last traded bucket's end.
 */
export const PLAIN_SESSION_CLOCK: SessionClock = Object.freeze<SessionClock>({
  name: 'plain',
  tradeBucket(ts) {
    return Math.floor(ts / MINUTE) * MINUTE + MINUTE;
  },
  tradeBucketRange(labelTs) {
    return [labelTs - MINUTE, labelTs];
  },
  firstBucket() {
    return undefined;
  },
  nextBucket() {
    return undefined;
  },
  bookBucket(ts) {
    return Math.floor(ts / MINUTE) * MINUTE + MINUTE;
  },
  sessionPart() {
    return 0;
  },
  isOpeningAuction() {
    return false;
  },
  isAuction() {
    return false;
  },
  hasAuctions: false,
  inMomentumWindow: undefined,
  dailyTs(_tradeDate, lastLabelTs) {
    return lastLabelTs;
  },
});

/** The clock of a session name. */
export function sessionClockOf(session: FactorSession): SessionClock {
  return session === 'a_share' ? A_SHARE_SESSION_CLOCK : PLAIN_SESSION_CLOCK;
}
