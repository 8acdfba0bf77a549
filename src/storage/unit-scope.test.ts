import { describe, expect, it } from 'vitest';
import { barsOf, factorsOf, ticksOf, unitKey } from '../../test/fixtures/rows.js';
import { scopeUnitRows, sliceKey, unitScopeOf } from './unit-scope.js';

describe('unitScopeOf', () => {
  it('maps each data type to the tables and interval it owns', () => {
    expect(unitScopeOf(unitKey({ dataType: 'ticks' }))).toMatchObject({ tables: ['ticks'], interval: null });
    expect(unitScopeOf(unitKey({ dataType: 'bars_1m' }))).toMatchObject({ tables: ['bars'], interval: '1m' });
    expect(unitScopeOf(unitKey({ dataType: 'bars_1d' }))).toMatchObject({
      tables: ['bars', 'adj_factors'],
      interval: '1d',
    });
    expect(unitScopeOf(unitKey({ dataType: 'order_book' }))).toMatchObject({ tables: ['order_book'] });
    expect(unitScopeOf(unitKey({ dataType: 'factors' }))).toMatchObject({
      tables: ['factors'],
      source: 'simulated',
    });
  });

  it('keys bar slices by interval and other slices without it', () => {
    const m = unitScopeOf(unitKey({ dataType: 'bars_1m' }));
    const d = unitScopeOf(unitKey({ dataType: 'bars_1d' }));
    expect(sliceKey(m, 'bars')).not.toBe(sliceKey(d, 'bars'));
    expect(sliceKey(d, 'adj_factors')).toBe('simulated|600000.SH|2025-06-05');
  });
});

describe('scopeUnitRows', () => {
  it('passes ascending rows through untouched', () => {
    const u = unitKey();
    const ticks = ticksOf(u, 4);
    expect(scopeUnitRows({ unit: u, rows: { ticks } }).ticks).toBe(ticks);
  });

  it('keeps the last row of each identity', () => {
    const u = unitKey({ dataType: 'factors' });
    const [a, b] = factorsOf(u, ['x', 'y']) as [
      ReturnType<typeof factorsOf>[number],
      ReturnType<typeof factorsOf>[number],
    ];
    const out = scopeUnitRows({ unit: u, rows: { factors: [b, a, { ...b, value: 9 }] } }).factors;
    expect(out).toEqual([a, { ...b, value: 9 }]);
  });

  it('refuses a bar of the other interval and a non-integer timestamp', () => {
    const u = unitKey({ dataType: 'bars_1d' });
    expect(() =>
      scopeUnitRows({ unit: u, rows: { bars: barsOf(unitKey({ dataType: 'bars_1m' }), 1) } }),
    ).toThrow(/interval 1m/);
    const t = unitKey();
    expect(() => scopeUnitRows({ unit: t, rows: { ticks: [{ ...ticksOf(t, 1)[0]!, ts: 1.5 }] } })).toThrow(
      /not epoch/,
    );
  });
});
