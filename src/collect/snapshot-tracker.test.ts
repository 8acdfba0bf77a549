import { describe, expect, it } from 'vitest';
import { shanghaiTime } from '../domain/dates.js';
import type { RealtimeQuote } from './quote-source.js';
import { createSnapshotTracker } from './snapshot-tracker.js';

const DAY = '2025-06-17';
const at = (hhmmss: string) => shanghaiTime(DAY, hhmmss);
const WINDOW = at('09:15:00');

function quote(over: Partial<RealtimeQuote> = {}): RealtimeQuote {
  return {
    symbol: '600519.SH',
    price: 10,
    preClose: 9.9,
    cumVolume: 0,
    cumAmount: 0,
    bidPrices: [9.99],
    bidVolumes: [100],
    askPrices: [10],
    askVolumes: [200],
    lastTradeTs: at('09:30:00'),
    sessionDate: DAY,
    ...over,
  };
}

const tracker = () => createSnapshotTracker({ source: 'tushare', tradeDate: DAY, intervalMs: 3_000 });

describe('snapshot tracker', () => {
  it('stores the first snapshot as a baseline without a trade, then one trade per volume rise', () => {
    const t = tracker();
    const first = t.observe(quote({ cumVolume: 1000, cumAmount: 10_000 }), at('09:30:00'), WINDOW);
    expect(first.book).toBeDefined();
    expect(first.tick).toBeUndefined();
    const second = t.observe(
      quote({ cumVolume: 1500, cumAmount: 15_050, price: 10.1 }),
      at('09:30:03'),
      WINDOW,
    );
    expect(second.tick).toMatchObject({
      ts: at('09:30:03'),
      seq: 1500,
      volume: 500,
      amount: 5050,
      price: 10.1,
      side: 'N',
    });
    const third = t.observe(
      quote({ cumVolume: 1600, cumAmount: 16_070, price: 10.2 }),
      at('09:30:06'),
      WINDOW,
    );
    expect(third.tick).toMatchObject({ volume: 100, side: 'B' });
    const fourth = t.observe(
      quote({ cumVolume: 1700, cumAmount: 17_070, price: 10.2, askVolumes: [1] }),
      at('09:30:09'),
      WINDOW,
    );
    expect(fourth.tick?.side).toBe('B'); // zero tick repeats the previous side
    const fifth = t.observe(
      quote({ cumVolume: 1800, cumAmount: 18_060, price: 9.9 }),
      at('09:30:12'),
      WINDOW,
    );
    expect(fifth.tick?.side).toBe('S');
  });

  it('skips an identical snapshot but stores a book-only change without a trade', () => {
    const t = tracker();
    t.observe(quote({ cumVolume: 100, cumAmount: 1000 }), at('10:00:00'), WINDOW);
    expect(t.observe(quote({ cumVolume: 100, cumAmount: 1000 }), at('10:00:03'), WINDOW)).toEqual({});
    const bookOnly = t.observe(
      quote({ cumVolume: 100, cumAmount: 1000, bidVolumes: [900] }),
      at('10:00:06'),
      WINDOW,
    );
    expect(bookOnly.book?.bidVolumes).toEqual([900]);
    expect(bookOnly.tick).toBeUndefined();
    expect(t.coverageRows(0)[0]).toMatchObject({ polls: 3, snapshots: 2 });
  });

  it('drops a quote of another session and takes no trade from a falling cumulative volume', () => {
    const t = tracker();
    expect(t.observe(quote({ sessionDate: '2025-06-16', cumVolume: 9e6 }), at('09:15:00'), WINDOW)).toEqual({
      stale: true,
    });
    t.observe(quote({ cumVolume: 500, cumAmount: 5000 }), at('09:25:00'), WINDOW);
    const fell = t.observe(quote({ cumVolume: 400, cumAmount: 4000 }), at('09:25:03'), WINDOW);
    expect(fell).toMatchObject({ volumeFell: true });
    expect(fell.tick).toBeUndefined();
    const next = t.observe(quote({ cumVolume: 450, cumAmount: 4500 }), at('09:25:06'), WINDOW);
    expect(next.tick?.volume).toBe(50);
  });

  it('continues from a restored baseline: no trade from the first poll when nothing changed', () => {
    const a = tracker();
    const o = a.observe(quote({ cumVolume: 700, cumAmount: 7000 }), at('10:00:00'), WINDOW);
    const b = tracker();
    b.restore(new Map([['600519.SH', { quote: o.quote!, book: o.book }]]), a.coverageRows(at('10:00:00')));
    expect(b.observe(quote({ cumVolume: 700, cumAmount: 7000 }), at('10:00:03'), WINDOW)).toEqual({});
    expect(b.observe(quote({ cumVolume: 900, cumAmount: 9000 }), at('10:00:06'), WINDOW).tick?.volume).toBe(
      200,
    );
  });

  it('records gaps longer than three intervals inside a window, not across the lunch break', () => {
    const t = tracker();
    t.observe(quote(), at('09:15:00'), WINDOW);
    t.observe(quote({ cumVolume: 1 }), at('09:15:09'), WINDOW); // 3 intervals: no gap
    t.observe(quote({ cumVolume: 2 }), at('09:15:22'), WINDOW); // 13 s > 9 s: a gap
    t.observe(quote({ cumVolume: 3 }), at('11:30:01'), WINDOW); // gap of 2h14m
    t.observe(quote({ cumVolume: 4 }), at('13:00:00'), at('13:00:00')); // afternoon window opens: no gap
    expect(t.coverageRows(0)[0]).toMatchObject({
      gaps: 2,
      polls: 5,
      longestGapMs: at('11:30:01') - at('09:15:22'),
    });
  });

  it('estimates amounts when the provider gives none', () => {
    const t = tracker();
    t.observe(quote({ cumVolume: 100, cumAmount: null }), at('10:00:00'), WINDOW);
    expect(
      t.observe(quote({ cumVolume: 300, cumAmount: null, price: 10.5 }), at('10:00:03'), WINDOW).tick,
    ).toMatchObject({
      volume: 200,
      amount: 2100,
    });
  });
});
