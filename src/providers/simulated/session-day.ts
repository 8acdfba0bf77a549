import { shanghaiTime } from '../../domain/dates.js';
import type { BookSnapshot, Side, Tick } from '../../domain/rows.js';
import type { DailyPlan } from './daily-plan.js';
import { exponentialDraw, normalDraw, seededRandom } from './seeded-random.js';
import type { SymbolProfile } from './symbol-profile.js';

/**
 * The intraday generator of the simulated market: one symbol-day of 3-second snapshots, each with
 * the aggregated trades of its interval (a tick) and a depth snapshot consistent with them.
 *
 * Timeline (Shanghai time): opening call auction 09:15–09:25 with one print at 09:25:00; no trades
 * 09:25–09:30; continuous trading 09:30–11:30 and 13:00–14:57 in 3-second intervals (a snapshot at
 * each interval's end, 09:30:03 … 11:30:00 and 13:00:03 … 14:57:00); closing call auction
 * 14:57–15:00 with one print at 15:00:00. A continuous tick carries the time of the interval's last
 * trade, inside the interval [end − 3 s, end), so minute bars labelled by their end minute hold
 * exactly the trades of that minute.
 */

const SECOND_MS = 1000;
const SNAPSHOT_MS = 3 * SECOND_MS;
/** Continuous-trading snapshots per day: 2 h morning + 1 h 57 min afternoon, every 3 s. */
export const CONTINUOUS_SNAPSHOTS_PER_DAY = 2400 + 2340;
const MORNING_SNAPSHOTS = 2400;

const SIDE_NONE = 0;
const SIDE_BUY = 1;
const SIDE_SELL = 2;
const SIDE_LETTER: readonly Side[] = ['N', 'B', 'S'];

/** One generated symbol-day in compact form (typed arrays); rows are materialised on demand. */
export interface SessionDay {
  profile: SymbolProfile;
  plan: DailyPlan;
  tickCount: number;
  /** UTC epoch ms per tick. */
  tickTs: Float64Array;
  tickPriceCents: Int32Array;
  /** Shares (multiples of 100). */
  tickVolume: Float64Array;
  /** 0 = N (auction), 1 = B, 2 = S. */
  tickSide: Uint8Array;
  snapshotCount: number;
  /** UTC epoch ms of each book snapshot. */
  snapshotTs: Float64Array;
  /** Reference price of each book: the interval's last trade, else the quoted price, cents. */
  snapshotPriceCents: Int32Array;
  /** Aggressor side of the interval's last trade (0 when no continuous trade). */
  snapshotSide: Uint8Array;
}

/** Generates the trades and snapshot outline of one symbol-day from (seed, symbol, date) only. */
export function generateSessionDay(seed: number, profile: SymbolProfile, plan: DailyPlan): SessionDay {
  const random = seededRandom(seed, profile.symbol, plan.tradeDate, 'intraday');
  const n = CONTINUOUS_SNAPSHOTS_PER_DAY;
  const tickTs = new Float64Array(n + 2);
  const tickPriceCents = new Int32Array(n + 2);
  const tickVolume = new Float64Array(n + 2);
  const tickSide = new Uint8Array(n + 2);
  const snapshotTs = new Float64Array(n + 2);
  const snapshotPriceCents = new Int32Array(n + 2);
  const snapshotSide = new Uint8Array(n + 2);
  const { openCents, closeCents, upLimitCents: up, downLimitCents: down } = plan;
  const morningStart = shanghaiTime(plan.tradeDate, '09:30:00');
  const afternoonStart = shanghaiTime(plan.tradeDate, '13:00:00');

  let tickCount = 0;
  const pushTick = (ts: number, price: number, lots: number, side: number) => {
    tickTs[tickCount] = ts;
    tickPriceCents[tickCount] = price;
    tickVolume[tickCount] = lots * 100;
    tickSide[tickCount] = side;
    tickCount++;
  };

  const auctionTs = shanghaiTime(plan.tradeDate, '09:25:00');
  pushTick(auctionTs, openCents, Math.max(1, Math.round(profile.meanLots * (20 + 60 * random()))), SIDE_NONE);
  snapshotTs[0] = auctionTs;
  snapshotPriceCents[0] = openCents;
  snapshotSide[0] = SIDE_NONE;

  // A Brownian bridge from the open to the planned close, so the closing auction lands near the
  // last continuous price; the day-level plan alone decides the close.
  const stepSigma = (profile.dailyVolatility * 0.8) / Math.sqrt(n);
  let x = openCents;
  let lastTrade = openCents;
  for (let k = 0; k < n; k++) {
    x += (closeCents - x) / (n - k) + x * stepSigma * normalDraw(random);
    if (x > up) x = up;
    if (x < down) x = down;
    const price = Math.min(up, Math.max(down, Math.round(x)));
    const intervalStart =
      k < MORNING_SNAPSHOTS
        ? morningStart + k * SNAPSHOT_MS
        : afternoonStart + (k - MORNING_SNAPSHOTS) * SNAPSHOT_MS;
    // U-shaped activity: busy after the open and before the close.
    const intensity = 0.7 + 1.3 * Math.exp(-k / 250) + 0.9 * Math.exp(-(n - 1 - k) / 250);
    let side = SIDE_NONE;
    if (random() < Math.min(0.98, profile.tradeProbability * intensity)) {
      side =
        price > lastTrade ? SIDE_BUY : price < lastTrade ? SIDE_SELL : random() < 0.5 ? SIDE_BUY : SIDE_SELL;
      const lots = 1 + Math.floor(exponentialDraw(random) * profile.meanLots * intensity);
      pushTick(intervalStart + Math.floor(random() * SNAPSHOT_MS), price, lots, side);
      lastTrade = price;
    }
    snapshotTs[k + 1] = intervalStart + SNAPSHOT_MS;
    snapshotPriceCents[k + 1] = price;
    snapshotSide[k + 1] = side;
  }

  const closeTs = shanghaiTime(plan.tradeDate, '15:00:00');
  pushTick(closeTs, closeCents, Math.max(1, Math.round(profile.meanLots * (30 + 100 * random()))), SIDE_NONE);
  snapshotTs[n + 1] = closeTs;
  snapshotPriceCents[n + 1] = closeCents;
  snapshotSide[n + 1] = SIDE_NONE;

  return {
    profile,
    plan,
    tickCount,
    tickTs,
    tickPriceCents,
    tickVolume,
    tickSide,
    snapshotCount: n + 2,
    snapshotTs,
    snapshotPriceCents,
    snapshotSide,
  };
}

/** The day's ticks as rows; `seq` runs 1, 2, 3, … in time order. */
export function sessionTicks(day: SessionDay, source: string): Tick[] {
  const out: Tick[] = new Array<Tick>(day.tickCount);
  const { symbol } = day.profile;
  const tradeDate = day.plan.tradeDate;
  for (let i = 0; i < day.tickCount; i++) {
    const priceCents = day.tickPriceCents[i] as number;
    const volume = day.tickVolume[i] as number;
    out[i] = {
      symbol,
      ts: day.tickTs[i] as number,
      seq: i + 1,
      price: priceCents / 100,
      volume,
      // Every trade of an interval is booked at its last price, so amount = volume × price exactly.
      amount: (priceCents * volume) / 100,
      side: SIDE_LETTER[day.tickSide[i] as number] as Side,
      source,
      tradeDate,
    };
  }
  return out;
}

/**
 * The day's depth snapshots (`levels` per side, best first). Each book brackets its interval's
 * last trade: best bid ≤ trade price ≤ best ask, best bid < best ask. Levels beyond the day's
 * price limits do not exist, so a side may be shorter, or empty when the price is locked at a limit.
 */
export function sessionBooks(day: SessionDay, seed: number, levels: number, source: string): BookSnapshot[] {
  const { profile, plan } = day;
  const random = seededRandom(seed, profile.symbol, plan.tradeDate, 'book');
  const up = plan.upLimitCents;
  const down = plan.downLimitCents;
  const out: BookSnapshot[] = new Array<BookSnapshot>(day.snapshotCount);
  const bigGap = profile.spreadCents + 1;
  const lotsScale = profile.meanLots * 2;
  for (let i = 0; i < day.snapshotCount; i++) {
    const price = day.snapshotPriceCents[i] as number;
    let side = day.snapshotSide[i] as number;
    if (side === SIDE_NONE) side = random() < 0.5 ? SIDE_BUY : SIDE_SELL;
    const spread = Math.max(1, Math.round(profile.spreadCents * (0.6 + 0.8 * random())));
    let bidTop: number;
    let askTop: number;
    // A buy lifted the ask: what is left of it sits at the trade price or one tick above.
    if (side === SIDE_BUY) {
      askTop = price + (random() < 0.5 ? 0 : 1);
      bidTop = askTop - spread;
    } else {
      bidTop = price - (random() < 0.5 ? 0 : 1);
      askTop = bidTop + spread;
    }
    const bidPrices: number[] = [];
    const bidVolumes: number[] = [];
    const askPrices: number[] = [];
    const askVolumes: number[] = [];
    // One draw per level (books are the bulk of the work): its value gives the resting lots, its
    // low bits the gap to the next level (wider in 1 case of 4).
    for (let l = 0, p = bidTop; l < levels && p >= down; l++) {
      const u = random();
      bidPrices.push(p / 100);
      bidVolumes.push((1 + Math.floor(-Math.log(1 - u) * lotsScale)) * 100);
      p -= ((u * 4294967296) & 3) === 0 ? bigGap : 1;
    }
    for (let l = 0, p = askTop; l < levels && p <= up; l++) {
      const u = random();
      askPrices.push(p / 100);
      askVolumes.push((1 + Math.floor(-Math.log(1 - u) * lotsScale)) * 100);
      p += ((u * 4294967296) & 3) === 0 ? bigGap : 1;
    }
    out[i] = {
      symbol: profile.symbol,
      ts: day.snapshotTs[i] as number,
      bidPrices,
      bidVolumes,
      askPrices,
      askVolumes,
      source,
      tradeDate: plan.tradeDate,
    };
  }
  return out;
}
