import { shanghaiTime } from '../../domain/dates.js';
import type { Bar, Tick } from '../../domain/rows.js';
import type { Ticker } from '../../domain/ticker.js';

/**
 * A-share bars aggregated from one day's ticks, END-labelled like Tushare `stk_mins` (docs/STORAGE.md, "Tables"):
 * the 09:30 bar holds the opening-auction print (every trade before 09:30:00), the bar labelled
 * HH:MM holds trades in [HH:MM − 1 min, HH:MM), the 11:30 bar also takes a trade stamped exactly
 * 11:30:00, and the 15:00 bar holds the closing-auction print at 15:00:00. 241 bars per day.
 */

/** Minutes after Shanghai midnight of the 241 one-minute bar labels: 09:30, 09:31…11:30, 13:01…15:00. */
export const MINUTE_BAR_LABELS: readonly number[] = Object.freeze([
  570,
  ...Array.from({ length: 120 }, (_, i) => 571 + i),
  ...Array.from({ length: 120 }, (_, i) => 781 + i),
]);

const LABEL_INDEX: ReadonlyMap<number, number> = new Map(MINUTE_BAR_LABELS.map((m, i) => [m, i]));

/** The end-label (minutes after Shanghai midnight) of the 1-minute bar a tick at `ts` belongs to. */
export function minuteBarLabelOf(ts: number, tradeDate: string): number {
  return labelAfterMidnight(ts, shanghaiTime(tradeDate, '00:00:00'));
}

function labelAfterMidnight(ts: number, midnight: number): number {
  const label = Math.floor((ts - midnight) / 60_000) + 1;
  if (label <= 570) return 570;
  if (label <= 690) return label;
  // The lunch break has no trades; a print stamped 11:30:00 closes the morning.
  if (label <= 780) return 690;
  return Math.min(label, 900);
}

/** Parameters of {@link minuteBarsFromTicks} and {@link dailyBarFromTicks}. */
export interface BarsFromTicksParams {
  symbol: Ticker;
  tradeDate: string;
  /** The day's ticks, in time order. */
  ticks: readonly Tick[];
  /** Price used for bars before the first trade (the previous close). */
  prevClose: number;
  source: string;
}

/**
 * The day's 241 one-minute bars. A minute without trades repeats the last traded price (or the
 * previous close before the first trade) as open = high = low = close, with volume and amount 0.
 */
export function minuteBarsFromTicks(params: BarsFromTicksParams): Bar[] {
  const { symbol, tradeDate, ticks, source } = params;
  const count = MINUTE_BAR_LABELS.length;
  const open = new Array<number>(count).fill(-1);
  const high = new Array<number>(count).fill(0);
  const low = new Array<number>(count).fill(0);
  const close = new Array<number>(count).fill(0);
  const volume = new Array<number>(count).fill(0);
  const amountCents = new Array<number>(count).fill(0);
  const midnight = shanghaiTime(tradeDate, '00:00:00');
  for (const tick of ticks) {
    const i = LABEL_INDEX.get(labelAfterMidnight(tick.ts, midnight)) as number;
    // Integer cents: sums of 2-dp floats would drift.
    const price = Math.round(tick.price * 100);
    if (open[i] === -1) {
      open[i] = price;
      high[i] = price;
      low[i] = price;
    } else {
      if (price > (high[i] as number)) high[i] = price;
      if (price < (low[i] as number)) low[i] = price;
    }
    close[i] = price;
    volume[i] = (volume[i] as number) + tick.volume;
    amountCents[i] = (amountCents[i] as number) + Math.round(tick.amount * 100);
  }
  const bars: Bar[] = [];
  let last = Math.round(params.prevClose * 100);
  for (let i = 0; i < count; i++) {
    const empty = open[i] === -1;
    if (!empty) last = close[i] as number;
    bars.push({
      symbol,
      interval: '1m',
      ts: midnight + (MINUTE_BAR_LABELS[i] as number) * 60_000,
      open: (empty ? last : (open[i] as number)) / 100,
      high: (empty ? last : (high[i] as number)) / 100,
      low: (empty ? last : (low[i] as number)) / 100,
      close: last / 100,
      volume: volume[i] as number,
      amount: (amountCents[i] as number) / 100,
      source,
      tradeDate,
    });
  }
  return bars;
}

/** The daily bar (ts = 15:00 Shanghai) aggregating all ticks; `undefined` when there are none. */
export function dailyBarFromTicks(params: BarsFromTicksParams): Bar | undefined {
  const { ticks } = params;
  const first = ticks[0];
  const lastTick = ticks[ticks.length - 1];
  if (first === undefined || lastTick === undefined) return undefined;
  let high = -Infinity;
  let low = Infinity;
  let volume = 0;
  let amountCents = 0;
  for (const tick of ticks) {
    const price = Math.round(tick.price * 100);
    if (price > high) high = price;
    if (price < low) low = price;
    volume += tick.volume;
    amountCents += Math.round(tick.amount * 100);
  }
  return {
    symbol: params.symbol,
    interval: '1d',
    ts: shanghaiTime(params.tradeDate, '15:00:00'),
    open: first.price,
    high: high / 100,
    low: low / 100,
    close: lastTick.price,
    volume,
    amount: amountCents / 100,
    source: params.source,
    tradeDate: params.tradeDate,
  };
}
