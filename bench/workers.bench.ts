/**
 * Worker-count benchmark (the same code as `tickpipe bench`): the pipeline on the simulated
 * market with a per-request latency into a memory store, for workers 1..32 and auto.
 * Run: `npx tsx bench/workers.bench.ts [symbols=60] [latencyMs=50] [workers=1,2,4,8,16,32,auto]`.
 */
import {
  parseWorkerSettings,
  renderWorkerBenchmark,
  runWorkerBenchmark,
} from '../src/pipeline/bench/worker-benchmark.js';

async function main(): Promise<void> {
  const [symbols, latency, workers] = process.argv.slice(2);
  const result = await runWorkerBenchmark(
    {
      symbolCount: Number(symbols ?? 60),
      latencyMs: Number(latency ?? 50),
      ...(workers !== undefined ? { settings: parseWorkerSettings(workers) } : {}),
      onResult: (r) => console.error(`  workers=${r.workers}: ${r.unitsPerSecond.toFixed(1)} units/s`),
    },
    new AbortController().signal,
  );
  console.log(renderWorkerBenchmark(result));
  console.log(
    `(node ${process.version}; figures are absolute for this machine, ratios are comparable across machines)`,
  );
}

await main();
