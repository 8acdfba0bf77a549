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
import type { QueryResult } from '../../storage/store.js';
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
    const doc = statusDocument({
      entries,
      limit,
      ...(flags.run ? { runId: flags.run } : {}),
      ...(range && symbols
        ? {
            missingCheck: {
              symbols,
              range,
              requested: flags.dataTypes
                ? parseDataTypes(flags.dataTypes)
                : ['tick_data', 'order_book', 'factors'],
            },
          }
        : {}),
    });
    const coverage = await coverageTables(
      store,
      {
        ...(flags.provider ? { source: flags.provider } : {}),
        ...(symbols ? { symbols } : {}),
        ...(range ? { startDate: range.start, endDate: range.end } : {}),
      },
      loaded.config,
    );
    if (coverage) {
      doc.liveCoverage = {
        summary: rowObjects(coverage.summary),
        symbols: coverage.symbols ? rowObjects(coverage.symbols) : null,
      };
    }
    if (format === 'json') {
      // One JSON document on stdout, for `| jq`; nothing else goes there.
      io.stdout(loaded.redactor.redact(JSON.stringify(doc, null, 2)));
      return EXIT.OK;
    }
    // A run enqueued for distributed workers: its queue progress too (nothing without Redis).
    const queueLines = flags.run && format === 'table' ? await distributedRunLines(loaded, flags.run) : [];
    const out = (text: string) => io.stdout(loaded.redactor.redact(text));
    printStatus(doc, format, out, queueLines);
    if (coverage)
      out(`\nLive collection coverage (tickpipe collect):\n${renderResult(coverage.summary, format)}`);
    if (coverage?.symbols) out(renderResult(coverage.symbols, format));
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

/** Everything `status` reports, as one JSON-ready document (`--format json`). */
export interface StatusDocument {
  runId: string | null;
  /** Units in the ledger matching the filters. */
  units: number;
  /** Units and rows per provider, data type and status. */
  summary: Array<{ provider: string; dataType: string; status: string; units: number; rows: number }>;
  failed: {
    /** Failed or unsupported units in total; `units` lists the first `limit`. */
    total: number;
    units: Array<{
      provider: string;
      dataType: string;
      symbol: string;
      tradeDate: string;
      status: string;
      attempts: number;
      errorCode: string | null;
      reason: string | null;
      runId: string;
    }>;
  };
  /** Symbol-days without an ok/empty unit (with --symbols and dates; A-share calendar). */
  missing: { total: number; cells: Array<{ symbol: string; tradeDate: string; dataType: string }> } | null;
  /** Live collection coverage (`tickpipe collect`), when the store has live tables. */
  liveCoverage?: { summary: Array<Record<string, unknown>>; symbols: Array<Record<string, unknown>> | null };
}

function rowObjects(result: QueryResult): Array<Record<string, unknown>> {
  return result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i] ?? null])));
}

/** Builds the status document from ledger entries (pure). */
export function statusDocument(params: {
  entries: readonly LedgerEntry[];
  limit: number;
  runId?: string;
  missingCheck?: {
    symbols: readonly string[];
    range: { start: string; end: string };
    requested: readonly RequestedDataType[];
  };
}): StatusDocument {
  const { entries, limit } = params;
  const failed = entries
    .filter((e) => !isDone(e.status))
    .sort((a, b) => (a.symbol + a.tradeDate).localeCompare(b.symbol + b.tradeDate));
  let missing: StatusDocument['missing'] = null;
  if (params.missingCheck) {
    const { symbols, range, requested } = params.missingCheck;
    const doneCells = new Set(
      entries.filter((e) => isDone(e.status)).map((e) => `${e.symbol}|${e.tradeDate}|${e.dataType}`),
    );
    const typesFor = (t: RequestedDataType): string[] => (t === 'tick_data' ? ['ticks', 'bars_1m'] : [t]);
    const cells: Array<{ symbol: string; tradeDate: string; dataType: string }> = [];
    for (const s of symbols) {
      if (!isAShare(s)) continue;
      for (const d of tradingDaysBetween(range)) {
        for (const t of requested) {
          if (!typesFor(t).some((c) => doneCells.has(`${s}|${d}|${c}`)))
            cells.push({ symbol: s, tradeDate: d, dataType: t });
        }
      }
    }
    missing = { total: cells.length, cells };
  }
  return {
    runId: params.runId ?? null,
    units: entries.length,
    summary: summarizeLedger(entries).map(([provider, dataType, status, units, rows]) => ({
      provider,
      dataType,
      status,
      units,
      rows,
    })),
    failed: {
      total: failed.length,
      units: failed.slice(0, limit).map((e) => ({
        provider: e.provider,
        dataType: e.dataType,
        symbol: e.symbol,
        tradeDate: e.tradeDate,
        status: e.status,
        attempts: e.attempts,
        errorCode: e.errorCode,
        reason: e.errorMessage,
        runId: e.runId,
      })),
    },
    missing,
  };
}

/** Prints the document as tables (or CSV blocks) with prose headings, as before. */
function printStatus(
  doc: StatusDocument,
  format: string,
  out: (text: string) => void,
  queueLines: readonly string[] = [],
): void {
  out(`Ledger: ${doc.units} unit(s)${doc.runId ? ` of run ${doc.runId}` : ''}`);
  for (const l of queueLines) out(l);
  out(
    renderResult(
      {
        columns: ['provider', 'data_type', 'status', 'units', 'rows'],
        rows: doc.summary.map((r) => [r.provider, r.dataType, r.status, r.units, r.rows]),
      },
      format,
    ),
  );
  const f = doc.failed;
  if (f.total > 0) {
    out(
      `\nFailed or unsupported units (${f.total}${f.total > f.units.length ? `, first ${f.units.length}` : ''}):`,
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
          rows: f.units.map((e) => [
            e.provider,
            e.dataType,
            e.symbol,
            e.tradeDate,
            e.status,
            e.attempts,
            e.errorCode,
            e.reason,
            e.runId,
          ]),
        },
        format,
      ),
    );
    out('Retry them with: tickpipe retry-failed [RUN_ID]');
  }
  if (doc.missing) {
    out(`\nMissing (not ok/empty) symbol-days on the A-share calendar: ${doc.missing.total}`);
    if (doc.missing.total > 0)
      out(
        renderResult(
          {
            columns: ['symbol', 'trade_date', 'data_type'],
            rows: doc.missing.cells.slice(0, 200).map((c) => [c.symbol, c.tradeDate, c.dataType]),
          },
          format,
        ),
      );
  }
}
