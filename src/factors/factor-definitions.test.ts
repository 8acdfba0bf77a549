import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shanghaiTime } from '../domain/dates.js';
import type { Bar, BookSnapshot, Tick } from '../domain/rows.js';
import { computeFactors } from './compute-factors.js';
import { FACTOR_DEFINITIONS, FACTOR_NAMES, type FactorInputKind } from './factor-definitions.js';
import { renderFactorTableMarkdown } from './render-factor-table-markdown.js';

const D = '2026-01-05';
const SYMBOL = '300750.SZ';

/** A full synthetic day: one trade and two snapshots per continuous minute plus both auctions. */
function syntheticDay(): { ticks: Tick[]; books: BookSnapshot[]; bars: Bar[] } {
  const ticks: Tick[] = [];
  const books: BookSnapshot[] = [];
  const bars: Bar[] = [];
  const push = (hms: string, price: number, volume: number): void => {
    const ts = shanghaiTime(D, hms);
    ticks.push({
      symbol: SYMBOL,
      ts,
      seq: ticks.length + 1,
      price,
      volume,
      amount: price * volume,
      side: 'N',
      source: 'sim',
      tradeDate: D,
    });
  };
  push('09:25:00', 20, 1000);
  const minutes = [
    ...Array.from({ length: 120 }, (_, i) => 570 + i),
    ...Array.from({ length: 117 }, (_, i) => 780 + i),
  ];
  for (const [i, m] of minutes.entries()) {
    const hh = String(Math.floor(m / 60)).padStart(2, '0');
    const mm = String(m % 60).padStart(2, '0');
    const price = 20 + ((i * 7) % 11) / 100;
    push(`${hh}:${mm}:30`, price, 100 + i);
    for (const sec of ['10', '40']) {
      books.push({
        symbol: SYMBOL,
        ts: shanghaiTime(D, `${hh}:${mm}:${sec}`),
        bidPrices: [price - 0.01, price - 0.02],
        bidVolumes: [100 + i, 50],
        askPrices: [price, price + 0.01],
        askVolumes: [sec === '10' ? 80 : 120, 60],
        source: 'sim',
        tradeDate: D,
      });
    }
  }
  push('15:00:00', 20.05, 3000);
  for (const t of ticks) {
    const m = Math.min(Math.floor(((t.ts + 8 * 3_600_000) % 86_400_000) / 60_000) + 1, 900);
    const label = m <= 570 ? 570 : m;
    const ts = shanghaiTime(
      D,
      `${String(Math.floor(label / 60)).padStart(2, '0')}:${String(label % 60).padStart(2, '0')}:00`,
    );
    bars.push({
      symbol: SYMBOL,
      interval: '1m',
      ts,
      open: t.price,
      high: t.price,
      low: t.price,
      close: t.price,
      volume: t.volume,
      amount: t.amount,
      source: 'sim',
      tradeDate: D,
    });
  }
  return { ticks, books, bars };
}

function namesFor(kinds: readonly FactorInputKind[]): string[] {
  return FACTOR_DEFINITIONS.filter((d) => d.inputs.some((i) => kinds.includes(i)))
    .map((d) => d.name)
    .sort();
}

describe('FACTOR_DEFINITIONS', () => {
  const day = syntheticDay();
  const limits = { prevClose: 19.8, limitUp: 23.76, limitDown: 15.84 };
  const emitted = (input: Parameters<typeof computeFactors>[0]): string[] =>
    [...new Set(computeFactors(input).map((v) => v.factor))].sort();
  const base = { symbol: SYMBOL, tradeDate: D, source: 'sim', ...limits };

  it('lists every factor name once, in catalogue order', () => {
    expect(FACTOR_DEFINITIONS.map((d) => d.name)).toEqual([...FACTOR_NAMES]);
  });

  it('declares inputs that match what computeFactors emits for each input set', () => {
    expect(emitted({ ...base, ticks: day.ticks, books: day.books })).toEqual([...FACTOR_NAMES].sort());
    expect(emitted({ ...base, ticks: day.ticks })).toEqual(namesFor(['ticks']));
    expect(emitted({ ...base, bars1m: day.bars })).toEqual(namesFor(['bars_1m']));
    expect(emitted({ ...base, books: day.books })).toEqual(namesFor(['books']));
  });

  it('stamps 1m factors on bucket ends and daily factors at 15:00 Shanghai', () => {
    const dailyTs = shanghaiTime(D, '15:00:00');
    const granularity = new Map(FACTOR_DEFINITIONS.map((d) => [d.name as string, d.granularity]));
    for (const v of computeFactors({ ...base, ticks: day.ticks, books: day.books })) {
      if (granularity.get(v.factor) === '1d') expect(v.ts).toBe(dailyTs);
      else expect(v.ts % 60_000).toBe(0);
    }
  });
});

describe('renderFactorTableMarkdown', () => {
  it('renders one row per factor with pipes escaped', () => {
    const md = renderFactorTableMarkdown();
    const lines = md.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + FACTOR_DEFINITIONS.length);
    expect(lines[0]).toMatch(/^\| Factor \| Granularity \| Formula \|/);
    expect(lines[2]).toContain('`vwap_1m`');
    const amihud = lines.find((l) => l.includes('`amihud_1d`')) ?? '';
    expect(amihud).toContain('\\|ret_1d\\|');
    for (const line of lines) expect(line.replaceAll('\\|', '').split('|')).toHaveLength(10);
  });
});

describe('README-factors.md', () => {
  it('contains the generated factor table verbatim', () => {
    const readme = readFileSync(new URL('./README-factors.md', import.meta.url), 'utf8');
    expect(readme).toContain(renderFactorTableMarkdown());
  });
});
