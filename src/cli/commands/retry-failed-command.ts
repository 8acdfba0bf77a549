/**
 * `tickpipe retry-failed [RUN_ID]`: re-runs the units the ledger has as failed (of one run, or
 * all), each on the provider that failed it, and prints the usual summary.
 */
import type { RequestedDataType } from '../../domain/data-type.js';
import { IngestError } from '../../errors.js';
import { unitKeyString } from '../../ledger/ledger-entry.js';
import { indexLedger } from '../../pipeline/plan.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, openStore } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { runCommand, type RunFlags } from './run-command.js';

/** Runs `tickpipe retry-failed`. */
export async function retryFailedCommand(
  runId: string | undefined,
  flags: RunFlags,
  io: CliIo,
): Promise<ExitCode> {
  const loaded = loadForCommand(io, flags);
  const store = await openStore(loaded);
  let failed;
  try {
    const latest = indexLedger(await store.readLedger({ filter: runId ? { runId } : {} }));
    failed = [...latest.values()].filter((e) => e.status === 'failed');
  } finally {
    await store.close();
  }
  if (failed.length === 0) {
    io.stdout(
      runId
        ? `Nothing to retry: run ${runId} has no failed units.`
        : 'Nothing to retry: no failed units in the ledger.',
    );
    return EXIT.OK;
  }
  const byProvider = new Map<string, typeof failed>();
  for (const e of failed) byProvider.set(e.provider, [...(byProvider.get(e.provider) ?? []), e]);
  let worst: ExitCode = EXIT.OK;
  for (const [provider, entries] of byProvider) {
    const dates = entries.map((e) => e.tradeDate).sort();
    io.stdout(`Retrying ${entries.length} failed unit(s) on ${provider}`);
    const code = await runCommand(
      {
        ...flags,
        provider,
        symbols: [...new Set(entries.map((e) => e.symbol))],
        startDate: dates[0],
        endDate: dates[dates.length - 1],
        dataTypes: [...new Set(entries.map((e) => e.dataType as RequestedDataType))].join(','),
        resume: true,
      },
      io,
      new Set(entries.map(unitKeyString)),
    );
    if (code === EXIT.INTERRUPTED) return code;
    if (code !== EXIT.OK) worst = code;
  }
  if (worst === EXIT.USAGE) throw new IngestError('USAGE', 'retry-failed could not plan the retry');
  return worst;
}
