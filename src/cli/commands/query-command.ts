/**
 * `tickpipe query "<SQL>"`: read-only SQL on the configured store. Without SQL it prints an
 * overview: rows per table and trade date.
 */
import { IngestError } from '../../errors.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, openStore, type CommonFlags } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { renderCsv, renderJson, renderTableLines } from '../render-table.js';
import type { QueryResult } from '../../storage/store.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load-config.js';

/** Flags of `tickpipe query`. */
export interface QueryFlags extends CommonFlags {
  format?: string;
  /** Cut table cells wider than this (default: never cut). */
  maxColWidth?: string;
}

/** Lines per write: large results go out in slices as they are formatted, not as one string. */
const LINES_PER_WRITE = 1000;

/** Writes a result in `format`, in slices of {@link LINES_PER_WRITE} rows. */
export function writeResult(result: QueryResult, format: string, io: CliIo, maxColumnWidth?: number): void {
  if (format !== 'table') {
    for (let i = 0; i === 0 || i < result.rows.length; i += LINES_PER_WRITE) {
      const slice = { columns: result.columns, rows: result.rows.slice(i, i + LINES_PER_WRITE) };
      const last = i + LINES_PER_WRITE >= result.rows.length;
      if (format === 'csv') {
        const text = renderCsv(slice);
        // The header only once; each slice ends with CRLF, the line writer adds the final LF.
        const body = i === 0 ? text : text.slice(text.indexOf('\r\n') + 2);
        if (body.length > 0) io.stdout(last ? body.replace(/\n$/, '') : body.replace(/\r\n$/, '\r'));
      } else {
        const inner = renderJson(slice).replace(/^\[\n?|\n?\]$/g, '');
        const open = i === 0 ? '[\n' : '';
        if (result.rows.length === 0) io.stdout('[]');
        else io.stdout(`${open}${inner}${last ? '\n]' : ','}`);
      }
    }
    return;
  }
  let batch: string[] = [];
  for (const line of renderTableLines(result, maxColumnWidth !== undefined ? { maxColumnWidth } : {})) {
    batch.push(line);
    if (batch.length >= LINES_PER_WRITE) {
      io.stdout(batch.join('\n'));
      batch = [];
    }
  }
  if (batch.length > 0) io.stdout(batch.join('\n'));
}

/** SQL of the overview shown by `tickpipe query` without arguments. */
export function overviewSql(backend: 'duckdb' | 'clickhouse'): string {
  const final = backend === 'clickhouse' ? ' FINAL' : '';
  const tables = ['ticks', 'bars', 'order_book', 'factors'];
  return (
    tables
      .map(
        (t) =>
          `SELECT '${t}' AS table_name, toString(trade_date) AS trade_date, count(*) AS row_count FROM ${t}${final} GROUP BY trade_date`,
      )
      .join(' UNION ALL ')
      .replaceAll(
        'toString(trade_date)',
        backend === 'duckdb' ? 'CAST(trade_date AS VARCHAR)' : 'toString(trade_date)',
      ) + ' ORDER BY table_name, trade_date'
  );
}

/** Throws a clear error when the DuckDB file does not exist yet (instead of creating it). */
export function assertStoreExists(loaded: LoadedConfig): void {
  const { storage } = loaded.config;
  if (storage.backend === 'duckdb' && !existsSync(resolve(storage.duckdb.path))) {
    throw new IngestError(
      'USAGE',
      `No data yet: ${storage.duckdb.path} does not exist. Run "tickpipe run" first, or pass --providers-config/--storage of the store you ingested into.`,
    );
  }
}

/** Runs `tickpipe query`. */
export async function queryCommand(sql: string | undefined, flags: QueryFlags, io: CliIo): Promise<ExitCode> {
  const loaded = loadForCommand(io, flags);
  const format = flags.format ?? 'table';
  if (!['table', 'json', 'csv'].includes(format)) {
    throw new IngestError('USAGE', `--format: expected table, json or csv, found "${format}"`);
  }
  let maxColumnWidth: number | undefined;
  if (flags.maxColWidth !== undefined) {
    if (!/^\d+$/.test(flags.maxColWidth) || Number(flags.maxColWidth) < 2)
      throw new IngestError('USAGE', `--max-col-width: expected a number ≥ 2, found "${flags.maxColWidth}"`);
    maxColumnWidth = Number(flags.maxColWidth);
  }
  assertStoreExists(loaded);
  const store = await openStore(loaded, { readOnly: true });
  try {
    const result = await store.query({ sql: sql ?? overviewSql(loaded.config.storage.backend) });
    writeResult(result, format, io, maxColumnWidth);
    return EXIT.OK;
  } finally {
    await store.close();
  }
}
