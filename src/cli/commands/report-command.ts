/**
 * `tickpipe report RUN_ID`: writes RUN_ID.json and RUN_ID.html again from the ledger (and the
 * run's events file, when it was kept), e.g. after the run was killed before its report was
 * written, or to refresh the page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { IngestError } from '../../errors.js';
import type { LoadedConfig } from '../../config/load-config.js';
import type { Store } from '../../storage/store.js';
import { parseEventsFile, reportFromLedger } from '../../report/report-from-ledger.js';
import { redactValue, reportPaths, writeRunReport } from '../../report/write-report.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, openStore, type CommonFlags } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { assertStoreExists } from './query-command.js';
import { configuredLimit } from '../../config/rate-limits.js';

/** Flags of `tickpipe report`. */
export interface ReportFlags extends CommonFlags {
  reportDir?: string;
}

/** Runs `tickpipe report RUN_ID`. */
export async function reportCommand(runId: string, flags: ReportFlags, io: CliIo): Promise<ExitCode> {
  const loaded = loadForCommand(io, flags);
  const cfg = loaded.config;
  const redact = (s: string) => loaded.redactor.redact(s);
  const dir = flags.reportDir ?? cfg.reports.dir;
  assertStoreExists(loaded);
  const store = await openStore(loaded, { readOnly: true });
  try {
    const written = await writeReportOfRun({ loaded, store, runId, dir, env: io.env });
    io.stdout(
      redact(
        `Report of run ${runId} (${written.source}; ${written.entries} ledger entries): ${written.html} (data: ${written.json})`,
      ),
    );
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

/**
 * Writes RUN_ID.json / RUN_ID.html of a run from its ledger entries (and its kept events file,
 * if any): `tickpipe report`, and `tickpipe watch` once a distributed run has finished.
 */
export async function writeReportOfRun(params: {
  loaded: LoadedConfig;
  store: Store;
  runId: string;
  dir: string;
  env: NodeJS.ProcessEnv;
}): Promise<{ json: string; html: string; source: string; entries: number }> {
  const { loaded, store, runId, dir } = params;
  const cfg = loaded.config;
  const redact = (s: string) => loaded.redactor.redact(s);
  const entries = await store.readLedger({ filter: { runId } });
  const paths = reportPaths(dir, runId);
  const events = existsSync(paths.events) ? parseEventsFile(readFileSync(paths.events, 'utf8')) : undefined;
  if (entries.length === 0 && !events) {
    throw new IngestError(
      'USAGE',
      `No ledger entry of run "${runId}" in ${describe(cfg.storage.backend)}: check the id (tickpipe status lists run ids) and --providers-config/--storage.`,
    );
  }
  // The configuration the run recorded, when its earlier report is still there.
  let config: unknown = redactValue({ parameters: {}, config: cfg }, redact);
  if (existsSync(paths.json)) {
    try {
      config = (JSON.parse(readFileSync(paths.json, 'utf8')) as { config?: unknown }).config ?? config;
    } catch {
      // A torn report is rewritten below.
    }
  }
  const windowMs = params.env.TICKPIPE_RATE_WINDOW_MS ? Number(params.env.TICKPIPE_RATE_WINDOW_MS) : 60_000;
  const report = reportFromLedger({
    runId,
    entries,
    ...(events ? { events } : {}),
    config,
    collector: {
      windowMs,
      limitFor: (provider, endpoint) => configuredLimit(cfg, provider, endpoint),
    },
  });
  const written = writeRunReport({ dir, report, redact });
  return { ...written, source: report.source, entries: entries.length };
}

function describe(backend: string): string {
  return backend === 'clickhouse' ? 'ClickHouse' : 'the DuckDB file';
}
