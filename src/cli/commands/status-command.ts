/**
 * `tickpipe status`: what is ingested, missing and failed — per provider, data type and
 * status, the failed units with their reasons, and (with --symbols and dates) the missing
 * symbol-days of the A-share calendar.
 */
import type { RequestedDataType } from '../../domain/data-type.js';
import { coverageTables } from '../../collect/coverage-status.js';
import { distributedRunLines } from '../../distributed/run-status.js';
import { IngestError } from '../../errors.js';
import { parseDateRange } from '../../domain/dates.js';
import { tradingDaysBetween } from '../../domain/calendar.js';
import { isAShare, parseTickerList } from '../../domain/ticker.js';
import { isDone, type LedgerEntry } from '../../ledger/ledger-entry.js';
import { indexLedger } from '../../pipeline/plan.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, openStore, type CommonFlags } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { renderResult } from '../render-table.js';
import { assertStoreExists } from './query-command.js';
import { parseDataTypes } from './run-command.js';

/** Flags of `tickpipe status`. */
export interface StatusFlags extends CommonFlags {
  symbols?: string[];
  startDate?: string;
  endDate?: string;
  run?: string;
  provider?: string;
  dataTypes?: string;
  format?: string;
  limit?: string;
}

/** Aggregates ledger entries into (provider, data type, status) counts. */
export function summarizeLedger(
  entries: readonly LedgerEntry[],
): Array<[string, string, string, number, number]> {
  const m = new Map<string, { n: number; rows: number }>();
  for (const e of entries) {
    const k = `${e.provider}|${e.dataType}|${e.status}`;
    const v = m.get(k) ?? { n: 0, rows: 0 };
    v.n++;
    v.rows += e.rows;
    m.set(k, v);
  }
  return [...m]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => {
      const [p, t, s] = k.split('|') as [string, string, string];
      return [p, t, s, v.n, v.rows];
    });
}

/** Runs `tickpipe status`. */
export async function statusCommand(flags: StatusFlags, io: CliIo): Promise<ExitCode> {
  const loaded = loadForCommand(io, flags);
  const format = flags.format ?? 'table';
  const limit = flags.limit === undefined ? 50 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new IngestError('USAGE', `--limit: expected a positive integer, found "${flags.limit}"`);
  }
  const range = flags.startDate && flags.endDate ? parseDateRange(flags.startDate, flags.endDate) : undefined;
  const symbols =
    flags.symbols && !/^all$/i.test(flags.symbols.join(' ').trim())
      ? parseTickerList(flags.symbols)
      : undefined;
  assertStoreExists(loaded);
  const store = await openStore(loaded, { readOnly: true });
  try {
    const all = indexLedger(
      await store.readLedger({
        filter: {
          ...(flags.provider ? { provider: flags.provider } : {}),
          ...(symbols ? { symbols } : {}),
          ...(range ? { startDate: range.start, endDate: range.end } : {}),
          ...(flags.run ? { runId: flags.run } : {}),
        },
      }),
    );
    const entries = [...all.values()];
    const out = (text: string) => io.stdout(loaded.redactor.redact(text));
    out(`Ledger: ${entries.length} unit(s)${flags.run ? ` of run ${flags.run}` : ''}`);
    // A run enqueued for distributed workers: its queue progress too (nothing without Redis).
    if (flags.run && format === 'table') for (const l of await distributedRunLines(loaded, flags.run)) out(l);
    out(
      renderResult(
        { columns: ['provider', 'data_type', 'status', 'units', 'rows'], rows: summarizeLedger(entries) },
        format,
      ),
    );
    const failed = entries
      .filter((e) => !isDone(e.status))
      .sort((a, b) => (a.symbol + a.tradeDate).localeCompare(b.symbol + b.tradeDate));
    if (failed.length > 0) {
      out(
        `\nFailed or unsupported units (${failed.length}${failed.length > limit ? `, first ${limit}` : ''}):`,
      );
      out(
        renderResult(
          {
            columns: [
              'provider',
              'data_type',
              'symbol',
              'trade_date',
              'status',
              'attempts',
              'error_code',
              'reason',
              'run_id',
            ],
            rows: failed
              .slice(0, limit)
              .map((e) => [
                e.provider,
                e.dataType,
                e.symbol,
                e.tradeDate,
                e.status,
                e.attempts,
                e.errorCode,
                e.errorMessage,
                e.runId,
              ]),
          },
          format,
        ),
      );
      out('Retry them with: tickpipe retry-failed [RUN_ID]');
    }
    if (range && symbols) {
      const requested: RequestedDataType[] = flags.dataTypes
        ? parseDataTypes(flags.dataTypes)
        : ['tick_data', 'order_book', 'factors'];
      const doneCells = new Set(
        entries.filter((e) => isDone(e.status)).map((e) => `${e.symbol}|${e.tradeDate}|${e.dataType}`),
      );
      const typesFor = (t: RequestedDataType): string[] => (t === 'tick_data' ? ['ticks', 'bars_1m'] : [t]);
      const missing: unknown[][] = [];
      for (const s of symbols) {
        if (!isAShare(s)) continue;
        for (const d of tradingDaysBetween(range)) {
          for (const t of requested) {
            if (!typesFor(t).some((c) => doneCells.has(`${s}|${d}|${c}`))) missing.push([s, d, t]);
          }
        }
      }
      out(`\nMissing (not ok/empty) symbol-days on the A-share calendar: ${missing.length}`);
      if (missing.length > 0)
        out(
          renderResult(
            { columns: ['symbol', 'trade_date', 'data_type'], rows: missing.slice(0, 200) },
            format,
          ),
        );
    }
    const coverage = await coverageTables(
      store,
      {
        ...(flags.provider ? { source: flags.provider } : {}),
        ...(symbols ? { symbols } : {}),
        ...(range ? { startDate: range.start, endDate: range.end } : {}),
      },
      loaded.config,
    );
    if (coverage)
      out(`\nLive collection coverage (tickpipe collect):\n${renderResult(coverage.summary, format)}`);
    if (coverage?.symbols) out(renderResult(coverage.symbols, format));
    return EXIT.OK;
  } finally {
    await store.close();
  }
}
