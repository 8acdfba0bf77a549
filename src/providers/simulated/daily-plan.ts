import { A_SHARE_TRADING_DAYS, tradingDayIndex } from '../../domain/calendar.js';
import { IngestError } from '../../errors.js';
import { normalDraw, seededRandom } from './seeded-random.js';
import type { SymbolProfile } from './symbol-profile.js';
import { limitPricesCents } from './symbol-profile.js';

/** The day-level outline of one simulated symbol-day, all prices in cents. */
export interface DailyPlan {
  tradeDate: string;
  /** Close of the previous trading day (the base price on the first covered trading day). */
  prevCloseCents: number;
  /** Opening-auction price. */
  openCents: number;
  /** Closing-auction price = the day's close = the next day's previous close. */
  closeCents: number;
  upLimitCents: number;
  downLimitCents: number;
}

/** The opens and closes of one symbol over every covered trading day (index = calendar position). */
export interface DailyPath {
  profile: SymbolProfile;
  openCents: Int32Array;
  closeCents: Int32Array;
}

/**
 * The daily walk of a symbol over the whole covered calendar. The closes form one random walk
 * starting at the first covered trading day, so day d's previous close is day d−1's close whatever
 * else is generated. Only day-level draws are made (a few microseconds per day); callers may keep
 * the path to answer many days of the same symbol.
 */
export function dailyPath(
  seed: number,
  profile: SymbolProfile,
  throughIndex = A_SHARE_TRADING_DAYS.length - 1,
): DailyPath {
  const count = throughIndex + 1;
  const openCents = new Int32Array(count);
  const closeCents = new Int32Array(count);
  let prevCloseCents = profile.basePriceCents;
  for (let i = 0; i < count; i++) {
    const plan = dayStep(seed, profile, A_SHARE_TRADING_DAYS[i] as string, prevCloseCents);
    openCents[i] = plan.openCents;
    closeCents[i] = plan.closeCents;
    prevCloseCents = plan.closeCents;
  }
  return { profile, openCents, closeCents };
}

/** The outline of `tradeDate` (a trading day) read from a path that reaches it. */
export function planFromPath(path: DailyPath, tradeDate: string): DailyPlan {
  const index = tradingDayIndex(tradeDate);
  if (index === undefined || index >= path.closeCents.length) {
    throw new IngestError('INTERNAL', `No simulated daily plan for ${path.profile.symbol} on ${tradeDate}`, {
      retryable: false,
      context: { symbol: path.profile.symbol, tradeDate },
    });
  }
  const prevCloseCents = index === 0 ? path.profile.basePriceCents : (path.closeCents[index - 1] as number);
  const { upCents, downCents } = limitPricesCents(prevCloseCents, path.profile.limitPercent);
  return {
    tradeDate,
    prevCloseCents,
    openCents: path.openCents[index] as number,
    closeCents: path.closeCents[index] as number,
    upLimitCents: upCents,
    downLimitCents: downCents,
  };
}

/** The outline of one trading day, walking the path only as far as that day. */
export function dailyPlan(seed: number, profile: SymbolProfile, tradeDate: string): DailyPlan {
  const index = tradingDayIndex(tradeDate);
  if (index === undefined) {
    throw new IngestError('INTERNAL', `dailyPlan called for ${tradeDate}, which is not a trading day`, {
      retryable: false,
      context: { tradeDate },
    });
  }
  return planFromPath(dailyPath(seed, profile, index), tradeDate);
}

function dayStep(seed: number, profile: SymbolProfile, day: string, prevCloseCents: number): DailyPlan {
  const random = seededRandom(seed, profile.symbol, day, 'day');
  const { upCents, downCents } = limitPricesCents(prevCloseCents, profile.limitPercent);
  const sigma = profile.dailyVolatility;
  // Mean reversion towards the base price keeps three years of walk within a plausible band.
  const pull = -0.03 * Math.log(prevCloseCents / profile.basePriceCents);
  // Fat tails: a few days per year move three sigma, so limit-up/limit-down days occur.
  const tail = random() < 0.03 ? 3 : 1;
  const dayReturn = pull + sigma * tail * normalDraw(random);
  const gap = 0.35 * sigma * normalDraw(random);
  const clamp = (cents: number) => Math.min(upCents, Math.max(downCents, Math.round(cents)));
  return {
    tradeDate: day,
    prevCloseCents,
    openCents: clamp(prevCloseCents * Math.exp(gap)),
    closeCents: clamp(prevCloseCents * Math.exp(dayReturn)),
    upLimitCents: upCents,
    downLimitCents: downCents,
  };
}
