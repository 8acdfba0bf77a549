/**
 * Peak RSS of one day's run against the symbol count: the whole pipeline (simulated market,
 * default data types, 8 workers) into a fresh DuckDB file, at 100 and at 1,000 symbols, each in
 * its own process. Only `--workers` jobs are in flight, so memory should hardly grow with the
 * symbol count (target: 1,000 symbols ≤ 1.3 × 100 symbols).
 *
 * Run: `npx tsx bench/run-memory.bench.ts [symbols=100,1000] [date=2025-06-05]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load-config.js';
import { createPipeline } from '../src/pipeline/create-pipeline.js';
import { pipelineOptionsFromConfig } from '../src/pipeline/pipeline-options.js';
import { resolveRouting } from '../src/pipeline/routing.js';
import { productionDeps } from '../src/pipeline/production-deps.js';
import { createStore } from '../src/storage/create-store.js';
import { int, printTable } from './bench-report.js';

const SIZES = (process.argv[2] ?? '100,1000').split(',').map(Number);
const DATE = process.argv[3] ?? '2025-06-05';

async function child(symbols: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tickpipe-rss-'));
  try {
    const path = join(dir, 'config.yaml');
    writeFileSync(
      path,
      JSON.stringify({
        providers: { simulated: { enabled: true, universe_size: symbols } },
        storage: { backend: 'duckdb', duckdb: { path: join(dir, 'market.duckdb') } },
      }),
    );
    const loaded = loadConfig({ path, env: {} });
    const store = createStore(loaded.config);
    await store.init();
    const started = performance.now();
    const pipeline = createPipeline(
      pipelineOptionsFromConfig(loaded),
      productionDeps(loaded, { store, reporter: { onEvent: () => {} } }),
    );
    const summary = await pipeline.run(
      {
        symbols: 'ALL',
        range: { start: DATE, end: DATE },
        requested: loaded.config.ingestion.data_types,
        routing: resolveRouting({
          config: loaded.config,
          statuses: loaded.providers,
          requested: loaded.config.ingestion.data_types,
        }),
        workers: 8,
        maxWorkers: 32,
        resume: true,
        includeDelisted: false,
        priority: [],
      },
      { stop: new AbortController().signal, abort: new AbortController().signal },
    );
    await store.close();
    process.stdout.write(
      JSON.stringify({
        symbols,
        units: summary.unitsOk + summary.unitsEmpty,
        rows: summary.rowsWritten,
        seconds: (performance.now() - started) / 1000,
        rssMb: process.resourceUsage().maxRSS / 1024,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const rows: Array<{ symbols: number; units: number; rows: number; seconds: number; rssMb: number }> = [];
  for (const n of SIZES) {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(n)],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`${n} symbols failed: ${r.stderr}`);
    rows.push(JSON.parse(r.stdout) as (typeof rows)[number]);
  }
  const base = rows[0];
  printTable(
    `One day (${DATE}) of the default data types, simulated → DuckDB, 8 workers`,
    ['symbols', 'units', 'rows', 'time', 'peak RSS', `RSS vs ${base?.symbols ?? ''} symbols`],
    rows.map((r) => [
      int(r.symbols),
      int(r.units),
      int(r.rows),
      `${r.seconds.toFixed(1)} s`,
      `${r.rssMb.toFixed(0)} MB`,
      `×${(r.rssMb / (base?.rssMb ?? 1)).toFixed(2)}`,
    ]),
  );
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]));
else main();
