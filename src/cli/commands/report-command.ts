/**
 * `tickpipe report RUN_ID`: writes RUN_ID.json and RUN_ID.html again from the ledger (and the
 * run's events file, when it was kept), e.g. after the run was killed before its report was
 * written, or to refresh the page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { IngestError } from '../../errors.js';
import type { ProviderName } from '../../config/schema.js';
import { parseEventsFile, reportFromLedger } from '../../report/report-from-ledger.js';
import { redactValue, reportPaths, writeRunReport } from '../../report/write-report.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, openStore, type CommonFlags } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { assertStoreExists } from './query-command.js';

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
    const entries = await store.readLedger({ filter: { runId } });
    const paths = reportPaths(dir, runId);
    const events = existsSync(paths.events) ? parseEventsFile(readFileSync(paths.events, 'utf8')) : undefined;
    if (entries.length === 0 && !events) {
      throw new IngestError(
        'USAGE',
        `No ledger entry of run "${runId}" in ${describe(loaded.config.storage.backend)}: check the id (tickpipe status lists run ids) and --providers-config/--storage.`,
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
    const windowMs = io.env.TICKPIPE_RATE_WINDOW_MS ? Number(io.env.TICKPIPE_RATE_WINDOW_MS) : 60_000;
    const report = reportFromLedger({
      runId,
      entries,
      ...(events ? { events } : {}),
      config,
      collector: {
        windowMs,
        limitFor: (provider, endpoint) => {
          const p = cfg.providers[provider as ProviderName];
          return p ? (p.rate_limit.per_api[endpoint] ?? p.rate_limit.requests_per_minute) : undefined;
        },
      },
    });
    const written = writeRunReport({ dir, report, redact });
    io.stdout(
      redact(
        `Report of run ${runId} (${report.source}; ${entries.length} ledger entries): ${written.html} (data: ${written.json})`,
      ),
    );
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

function describe(backend: string): string {
  return backend === 'clickhouse' ? 'ClickHouse' : 'the DuckDB file';
}
