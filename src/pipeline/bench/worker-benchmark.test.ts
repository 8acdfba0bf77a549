import { describe, expect, it } from 'vitest';
import {
  alignTable,
  parseWorkerSettings,
  renderWorkerBenchmark,
  runWorkerBenchmark,
} from './worker-benchmark.js';

describe('parseWorkerSettings', () => {
  it('parses counts and auto in order', () => {
    expect(parseWorkerSettings('1, 2,8 auto')).toEqual([1, 2, 8, 'auto']);
  });

  it('names the flag and the bad item', () => {
    expect(() => parseWorkerSettings('1,zero')).toThrow(/--workers: .*"zero"/);
    expect(() => parseWorkerSettings('0')).toThrow(/"0"/);
    expect(() => parseWorkerSettings(' ')).toThrow(/--workers/);
  });
});

describe('runWorkerBenchmark', () => {
  it('runs the pipeline once per setting and relates each to workers=1 and auto to the best', async () => {
    const seen: Array<number | 'auto'> = [];
    const result = await runWorkerBenchmark(
      {
        settings: [1, 4, 'auto'],
        symbolCount: 3,
        startDate: '2025-06-05',
        endDate: '2025-06-05',
        latencyMs: 0,
        warmup: false,
        onResult: (r) => seen.push(r.workers),
      },
      new AbortController().signal,
    );
    expect(seen).toEqual([1, 4, 'auto']);
    expect(result.tradingDays).toBe(1);
    // tick_data on the simulator = ticks + 1m bars + daily bar per symbol-day.
    for (const r of result.results) {
      expect(r.units).toBe(9);
      expect(r.failedUnits).toBe(0);
      expect(r.rows).toBeGreaterThan(1000);
      expect(r.unitsPerSecond).toBeCloseTo((r.units / r.wallMs) * 1000, 6);
    }
    // Deterministic market: every setting writes the same rows.
    expect(new Set(result.results.map((r) => r.rows)).size).toBe(1);
    expect(result.baseline?.workers).toBe(1);
    const fixed = result.results.filter((r) => r.workers !== 'auto');
    expect(result.bestFixed?.unitsPerSecond).toBe(Math.max(...fixed.map((r) => r.unitsPerSecond)));
    const auto = result.results.find((r) => r.workers === 'auto');
    expect(auto?.autoPeakWorkers).toBeGreaterThanOrEqual(1);
    expect(result.autoToBestFixed).toBeCloseTo(
      (auto?.unitsPerSecond ?? 0) / (result.bestFixed?.unitsPerSecond ?? 1),
      9,
    );

    const text = renderWorkerBenchmark(result);
    expect(text).toContain('3 symbols x 1 trading day(s)');
    expect(text).toMatch(/^ *1 +9 +0 /m);
    expect(text).toContain('auto / best fixed:');
  });

  it('refuses a bad symbol count before running anything', async () => {
    await expect(runWorkerBenchmark({ symbolCount: 0 }, new AbortController().signal)).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});

describe('alignTable', () => {
  it('pads columns to the widest cell and right-aligns numeric columns', () => {
    const text = alignTable(
      ['name', 'n'],
      [
        ['a', '5'],
        ['bbb', '12'],
      ],
    );
    expect(text.split('\n')).toEqual(['name   n', '----  --', 'a      5', 'bbb   12']);
  });
});
