/**
 * Factor engine throughput: ticks/s through `createFactorEngine` (and `computeFactors`) on one
 * synthetic symbol-day, next to a baseline loop that only sums the volumes of the same array.
 * Run: `npx tsx bench/factors.bench.ts [tickCount]` (default 1,000,000).
 */
import { shanghaiTime } from '../src/domain/dates.js';
import type { Side, Tick } from '../src/domain/rows.js';
import { computeFactors } from '../src/factors/compute-factors.js';
import { createFactorEngine } from '../src/factors/factor-engine.js';

const D = '2026-01-05';
const SYMBOL = '600000.SH';
const ROUNDS = 5;

function syntheticTicks(n: number): Tick[] {
  const open = shanghaiTime(D, '09:30:00');
  const lunch = shanghaiTime(D, '11:30:00');
  const afternoon = shanghaiTime(D, '13:00:00');
  const close = shanghaiTime(D, '14:57:00');
  const sessionMs = lunch - open + (close - afternoon);
  const sides: Side[] = ['B', 'S', 'N'];
  let cents = 1000;
  let rng = 12345;
  const ticks: Tick[] = [];
  for (let i = 0; i < n; i += 1) {
    rng = (Math.imul(rng, 1_664_525) + 1_013_904_223) >>> 0;
    cents = Math.max(900, Math.min(1100, cents + (rng % 3) - 1));
    const offsetMs = Math.floor((i * sessionMs) / n);
    const ts = offsetMs < lunch - open ? open + offsetMs : afternoon + offsetMs - (lunch - open);
    const price = cents / 100;
    const volume = 100 * (1 + (rng % 50));
    ticks.push({
      symbol: SYMBOL,
      ts,
      seq: i + 1,
      price,
      volume,
      amount: price * volume,
      side: sides[rng % 3] as Side,
      source: 'bench',
      tradeDate: D,
    });
  }
  return ticks;
}

function bestOf(rounds: number, run: () => number): { ms: number; check: number } {
  let ms = Number.POSITIVE_INFINITY;
  let check = 0;
  for (let r = 0; r < rounds; r += 1) {
    const start = performance.now();
    check = run();
    ms = Math.min(ms, performance.now() - start);
  }
  return { ms, check };
}

const n = Number(process.argv[2] ?? 1_000_000);
const ticks = syntheticTicks(n);

const baseline = bestOf(ROUNDS, () => {
  let volume = 0;
  for (let i = 0; i < ticks.length; i += 1) volume += (ticks[i] as Tick).volume;
  return volume;
});
const engine = bestOf(ROUNDS, () => {
  const e = createFactorEngine({ symbol: SYMBOL, tradeDate: D, source: 'bench', prevClose: 10 });
  for (let i = 0; i < ticks.length; i += 1) e.onTick(ticks[i] as Tick);
  return e.finish().length;
});
const compute = bestOf(
  ROUNDS,
  () => computeFactors({ symbol: SYMBOL, tradeDate: D, source: 'bench', ticks, prevClose: 10 }).length,
);

const rate = (ms: number): string => `${(((n / ms) * 1000) / 1e6).toFixed(1)} M ticks/s`;
console.log(
  `factors bench: ${n.toLocaleString('en-US')} ticks, one symbol-day, best of ${ROUNDS} (node ${process.version})`,
);
console.log(`  baseline (sum volumes)   ${baseline.ms.toFixed(1).padStart(8)} ms  ${rate(baseline.ms)}`);
console.log(
  `  createFactorEngine       ${engine.ms.toFixed(1).padStart(8)} ms  ${rate(engine.ms)}  (${engine.check} values)`,
);
console.log(`  computeFactors           ${compute.ms.toFixed(1).padStart(8)} ms  ${rate(compute.ms)}`);
console.log(`  engine / baseline time   ${(engine.ms / baseline.ms).toFixed(1)}x`);
