/**
 * Output helpers shared by the benchmark scripts: an aligned table and number formats.
 * Every benchmark prints ratios against a baseline measured in the same run next to the
 * absolute figures, because the machines are small and noisy.
 */
import { alignTable } from '../src/pipeline/bench/worker-benchmark.js';

/** Prints a titled, aligned table. */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  console.log(`\n${title}`);
  console.log(alignTable(header, rows));
}

/** `1234567.8` → `1,234,568`. */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A ratio as `0.87x`. */
export function ratio(n: number): string {
  return `${n.toFixed(2)}x`;
}

/** Milliseconds as seconds with two decimals. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A share as a percentage with one decimal. */
export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** Runs `fn` and returns its result with the wall time, ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}
