import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shanghaiTime } from '../domain/dates.js';
import type { Bar, BookSnapshot, FactorValue, Side, Tick } from '../domain/rows.js';
import { computeFactors } from './compute-factors.js';
import { minuteToTs, nextBucketMinute, OPEN_MINUTE, tradeBucketMinute } from './session-clock.js';

const D = '2026-01-05';
const SYMBOL = '000001.SZ';
const FROM_TS = shanghaiTime(D, '09:10:00');
const TO_TS = shanghaiTime(D, '15:05:00');

const priceArb = fc.integer({ min: 900, max: 1100 }).map((c) => c / 100);

const ticksArb = fc
  .array(
    fc.record({
      ts: fc.integer({ min: FROM_TS, max: TO_TS }),
      price: priceArb,
      volume: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
      side: fc.constantFrom<Side>('B', 'S', 'N', 'N'),
    }),
    { maxLength: 300 },
  )
  .map((raw) =>
    raw
      .sort((a, b) => a.ts - b.ts)
      .map((r, i): Tick => ({
        symbol: SYMBOL,
        ts: r.ts,
        seq: i + 1,
        price: r.price,
        volume: r.volume,
        amount: r.price * r.volume,
        side: r.side,
        source: 'sim',
        tradeDate: D,
      })),
  );

const sideArb = fc.array(fc.tuple(priceArb, fc.integer({ min: 0, max: 1000 })), { maxLength: 6 });
const booksArb = fc.array(
  fc
    .record({ ts: fc.integer({ min: FROM_TS, max: TO_TS }), bids: sideArb, asks: sideArb })
    .map((r): BookSnapshot => ({
      symbol: SYMBOL,
      ts: r.ts,
      bidPrices: r.bids.map((l) => l[0]),
      bidVolumes: r.bids.map((l) => l[1]),
      askPrices: r.asks.map((l) => l[0]),
      askVolumes: r.asks.map((l) => l[1]),
      source: 'sim',
      tradeDate: D,
    })),
  { maxLength: 200 },
);

const limitsArb = fc.record({
  prevClose: fc.option(priceArb, { nil: undefined }),
  limitUp: fc.option(priceArb, { nil: undefined }),
  limitDown: fc.option(priceArb, { nil: undefined }),
});

/** Valid in-session trades grouped by bucket end label ts, in time order. */
function bucketTrades(ticks: readonly Tick[]): Map<number, Tick[]> {
  const out = new Map<number, Tick[]>();
  for (const t of ticks) {
    const m = tradeBucketMinute(t.ts);
    if (m === undefined || !(t.volume > 0)) continue;
    const ts = minuteToTs(t.ts, m);
    const list = out.get(ts) ?? [];
    list.push(t);
    out.set(ts, list);
  }
  return out;
}

/** 1-minute bars of the whole 241-bucket grid built from the ticks (empty buckets: volume 0). */
function barsFromTicks(ticks: readonly Tick[]): Bar[] {
  const byBucket = bucketTrades(ticks);
  const bars: Bar[] = [];
  let last = 0;
  for (let m: number | undefined = OPEN_MINUTE; m !== undefined; m = nextBucketMinute(m)) {
    const ts = minuteToTs(FROM_TS, m);
    const trades = byBucket.get(ts) ?? [];
    let volume = 0;
    let amount = 0;
    for (const t of trades) {
      volume += t.volume;
      amount += t.amount;
    }
    const prices = trades.map((t) => t.price);
    const close = prices.at(-1) ?? last;
    bars.push({
      symbol: SYMBOL,
      interval: '1m',
      ts,
      open: prices[0] ?? close,
      high: prices.length > 0 ? Math.max(...prices) : close,
      low: prices.length > 0 ? Math.min(...prices) : close,
      close,
      volume,
      amount,
      source: 'sim',
      tradeDate: D,
    });
    last = close;
  }
  return bars;
}

const RATIO_FACTORS = new Set(['depth_imbalance_l1', 'depth_imbalance_l5', 'trade_imbalance_1m']);
const NON_NEGATIVE = new Set([
  'realized_vol_30m',
  'realized_vol_1d',
  'volume_1m',
  'trade_count_1m',
  'amihud_1d',
  'vwap_1m',
  'vwap_1d',
]);
const TICK_ONLY = new Set(['trade_count_1m', 'trade_imbalance_1m']);

describe('factor properties', () => {
  it('keeps values finite and in range', () => {
    fc.assert(
      fc.property(ticksArb, booksArb, limitsArb, (ticks, books, limits) => {
        const values = computeFactors({
          symbol: SYMBOL,
          tradeDate: D,
          source: 'sim',
          ticks,
          books,
          ...limits,
        });
        const bad = values.filter((v) => !inRange(v));
        expect(bad).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps vwap_1m within [low, high] of its minute's trades and conserves volume", () => {
    fc.assert(
      fc.property(ticksArb, (ticks) => {
        const values = computeFactors({ symbol: SYMBOL, tradeDate: D, source: 'sim', ticks });
        const byBucket = bucketTrades(ticks);
        const vwaps = values.filter((v) => v.factor === 'vwap_1m');
        expect(vwaps).toHaveLength(byBucket.size);
        for (const v of vwaps) {
          const prices = (byBucket.get(v.ts) ?? []).map((t) => t.price);
          expect(v.value).toBeGreaterThanOrEqual(Math.min(...prices));
          expect(v.value).toBeLessThanOrEqual(Math.max(...prices));
        }
        const volumes = values.filter((v) => v.factor === 'volume_1m');
        expect(volumes).toHaveLength(byBucket.size > 0 ? 241 : 0);
        const traded = [...byBucket.values()].flat().reduce((s, t) => s + t.volume, 0);
        expect(volumes.reduce((s, v) => s + v.value, 0)).toBe(traded);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same values from ticks as from 1-minute bars built from them', () => {
    fc.assert(
      fc.property(ticksArb, limitsArb, (ticks, limits) => {
        fc.pre(ticks.some((t) => t.volume > 0 && tradeBucketMinute(t.ts) !== undefined));
        const base = { symbol: SYMBOL, tradeDate: D, source: 'sim', ...limits };
        const fromTicks = computeFactors({ ...base, ticks }).filter((v) => !TICK_ONLY.has(v.factor));
        const fromBars = computeFactors({ ...base, bars1m: barsFromTicks(ticks) });
        expect(fromBars).toEqual(fromTicks);
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic under input reordering', () => {
    fc.assert(
      fc.property(ticksArb, booksArb, fc.integer(), (ticks, books, seed) => {
        const input = { symbol: SYMBOL, tradeDate: D, source: 'sim', prevClose: 10 };
        const shuffle = <T>(xs: readonly T[]): T[] => {
          const out = [...xs];
          let s = seed >>> 0;
          for (let i = out.length - 1; i > 0; i -= 1) {
            s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
            const j = s % (i + 1);
            [out[i], out[j]] = [out[j] as T, out[i] as T];
          }
          return out;
        };
        const a: FactorValue[] = computeFactors({
          ...input,
          ticks,
          books: [...books].sort((x, y) => x.ts - y.ts),
        });
        const b: FactorValue[] = computeFactors({ ...input, ticks: shuffle(ticks), books: shuffle(books) });
        // Books with equal ts have no tie-breaker; compare only trade factors plus books without ties.
        const tiedBooks = new Set(books.map((x) => x.ts)).size !== books.length;
        expect(tiedBooks ? b.filter((v) => !isBookFactor(v)) : b).toEqual(
          tiedBooks ? a.filter((v) => !isBookFactor(v)) : a,
        );
      }),
      { numRuns: 100 },
    );
  });
});

/** Whether a value is finite and within its factor's documented range. */
function inRange(v: FactorValue): boolean {
  if (!Number.isFinite(v.value)) return false;
  if (RATIO_FACTORS.has(v.factor) && (v.value < -1 || v.value > 1)) return false;
  if (NON_NEGATIVE.has(v.factor) && v.value < 0) return false;
  if (v.factor === 'auction_volume_share' && (v.value < 0 || v.value > 1)) return false;
  if (v.factor === 'limit_hit' && v.value !== 0 && v.value !== 1) return false;
  if (v.factor === 'trade_count_1m' && !Number.isInteger(v.value)) return false;
  return true;
}

function isBookFactor(v: FactorValue): boolean {
  return ['spread_bps', 'depth_imbalance_l1', 'depth_imbalance_l5', 'ofi_1m'].includes(v.factor);
}
