import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shanghaiTime } from '../domain/dates.js';
import {
  bookBucketMinute,
  dailyFactorTs,
  halfDayOf,
  isAuctionBucket,
  minuteToTs,
  nextBucketMinute,
  tradeBucketMinute,
  tradeBucketRange,
} from './session-clock.js';

const D = '2026-01-05';
const at = (hms: string): number => shanghaiTime(D, hms);
const hm = (h: number, m: number): number => h * 60 + m;

describe('tradeBucketMinute', () => {
  it.each([
    ['09:14:59', undefined],
    ['09:15:00', hm(9, 30)],
    ['09:25:00', hm(9, 30)],
    ['09:29:59.999', hm(9, 30)],
    ['09:30:00', hm(9, 31)],
    ['09:30:59.999', hm(9, 31)],
    ['09:31:00', hm(9, 32)],
    ['11:29:59', hm(11, 30)],
    ['11:30:00', hm(11, 30)],
    ['12:10:00', hm(11, 30)],
    ['13:00:00', hm(13, 1)],
    ['14:56:59', hm(14, 57)],
    ['14:57:30', hm(14, 58)],
    ['14:59:59', hm(15, 0)],
    ['15:00:00', hm(15, 0)],
    ['15:00:59.999', hm(15, 0)],
    ['15:01:00', undefined],
    ['15:10:00', undefined],
  ])('maps %s to %s', (hms, expected) => {
    expect(tradeBucketMinute(at(hms))).toBe(expected);
  });
});

describe('tradeBucketRange', () => {
  it('is exactly the set of instants tradeBucketMinute maps to the label', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('09:00:00'), max: at('15:10:00') }), (ts) => {
        const label = tradeBucketMinute(ts);
        const minute = Math.floor((ts - at('00:00:00')) / 60_000);
        if (label === undefined) return;
        const [from, to] = tradeBucketRange(label);
        expect(minute >= from && minute < to).toBe(true);
        expect(tradeBucketMinute(minuteToTs(ts, from))).toBe(label);
        expect(tradeBucketMinute(minuteToTs(ts, to) - 1)).toBe(label);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('bookBucketMinute', () => {
  it.each([
    ['09:25:00', undefined],
    ['09:29:59', undefined],
    ['09:30:00', hm(9, 31)],
    ['11:29:59', hm(11, 30)],
    ['11:30:00', undefined],
    ['12:59:59', undefined],
    ['13:00:00', hm(13, 1)],
    ['14:56:59', hm(14, 57)],
    ['14:57:00', undefined],
    ['15:00:00', undefined],
  ])('maps %s to %s', (hms, expected) => {
    expect(bookBucketMinute(at(hms))).toBe(expected);
  });
});

describe('grid helpers', () => {
  it('walks exactly the 241 END labels of the trading day', () => {
    const labels: number[] = [];
    for (let m: number | undefined = hm(9, 30); m !== undefined; m = nextBucketMinute(m)) labels.push(m);
    expect(labels).toHaveLength(241);
    expect(labels.slice(0, 2)).toEqual([hm(9, 30), hm(9, 31)]);
    expect(labels.slice(120, 123)).toEqual([hm(11, 30), hm(13, 1), hm(13, 2)]);
    expect(labels.at(-1)).toBe(hm(15, 0));
  });

  it('classifies half-days and auction buckets', () => {
    expect(halfDayOf(hm(9, 30))).toBe(0);
    expect(halfDayOf(hm(11, 30))).toBe(0);
    expect(halfDayOf(hm(13, 1))).toBe(1);
    expect([hm(9, 30), hm(9, 31), hm(14, 57), hm(14, 58), hm(15, 0)].map(isAuctionBucket)).toEqual([
      true,
      false,
      false,
      true,
      true,
    ]);
  });

  it('converts minutes back to UTC instants on the same Shanghai day', () => {
    expect(minuteToTs(at('10:17:23.5'), hm(10, 18))).toBe(at('10:18:00'));
    // 00:30 Shanghai is still the previous UTC day.
    expect(minuteToTs(at('00:30:00'), hm(9, 30))).toBe(at('09:30:00'));
    expect(dailyFactorTs(D)).toBe(Date.parse('2026-01-05T07:00:00Z'));
  });
});
