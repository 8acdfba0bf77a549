import { describe, expect, it } from 'vitest';
import { ofiContribution, type BestLevel } from './book-aggregator.js';

const level = (bidPrice: number, bidVolume: number, askPrice: number, askVolume: number): BestLevel => ({
  bidPrice,
  bidVolume,
  askPrice,
  askVolume,
});
const NO_BID = Number.NEGATIVE_INFINITY;
const NO_ASK = Number.POSITIVE_INFINITY;

describe('ofiContribution (Cont, Kukanov & Stoikov 2014 e_n)', () => {
  it.each([
    [
      'unchanged prices: queue changes on both sides',
      level(10, 100, 10.02, 100),
      level(10, 150, 10.02, 80),
      150 - 100 - 80 + 100,
    ],
    ['bid price up: the whole new bid queue', level(10, 100, 10.02, 100), level(10.01, 30, 10.02, 100), 30],
    [
      'bid price down: the whole old bid queue leaves',
      level(10, 100, 10.02, 100),
      level(9.99, 500, 10.02, 100),
      -100,
    ],
    ['ask price down: the whole new ask queue', level(10, 100, 10.02, 100), level(10, 100, 10.01, 40), -40],
    [
      'ask price up: the whole old ask queue leaves',
      level(10, 100, 10.02, 100),
      level(10, 100, 10.03, 700),
      100,
    ],
    ['ask side empties at the up-limit', level(11, 100, 11.01, 60), level(11.01, 900, NO_ASK, 0), 900 + 60],
    [
      'bid side empties at the down-limit',
      level(9.01, 70, 9.02, 100),
      level(NO_BID, 0, 9.01, 800),
      -70 - 800,
    ],
    ['both sides stay empty', level(NO_BID, 0, NO_ASK, 0), level(NO_BID, 0, NO_ASK, 0), 0],
    ['a bid side appears', level(NO_BID, 0, 9.01, 800), level(9.0, 50, 9.01, 800), 50],
  ])('%s', (_name, prev, next, expected) => {
    expect(ofiContribution(prev, next)).toBe(expected);
  });
});
