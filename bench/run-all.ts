/**
 * `npm run bench`: runs every benchmark in sequence, each in its own process (so one's heap and
 * JIT state do not colour the next), and ends with a table of what ran and how long it took.
 * The ClickHouse-server parts run only when TICKPIPE_TEST_CLICKHOUSE_URL is set
 * (`scripts/services/start.sh DIR && . DIR/env.sh`); they are skipped with a note otherwise.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printTable, seconds } from './bench-report.js';

const BENCHES = [
  'factors.bench.ts',
  'workers.bench.ts',
  'rate-limit.bench.ts',
  'store-throughput.bench.ts',
  'pipeline-share.bench.ts',
  'plan-scale.bench.ts',
  'quota.bench.ts',
  'run-memory.bench.ts',
] as const;

function main(): number {
  if (!process.env.TICKPIPE_TEST_CLICKHOUSE_URL) {
    console.log(
      'note: TICKPIPE_TEST_CLICKHOUSE_URL is not set: the ClickHouse-server rows of store-throughput are skipped (chdb still runs).',
    );
  }
  const results: string[][] = [];
  let failed = 0;
  for (const name of BENCHES) {
    console.log(`\n===== ${name} =====`);
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL(`./${name}`, import.meta.url))],
      {
        stdio: 'inherit',
        env: process.env,
      },
    );
    const ok = run.status === 0;
    if (!ok) failed++;
    results.push([
      name,
      ok ? 'ok' : `FAILED (exit ${run.status ?? run.signal})`,
      seconds(performance.now() - started),
    ]);
  }
  printTable('Benchmarks run', ['benchmark', 'result', 'time'], results);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
