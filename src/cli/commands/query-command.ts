/**
 * `tickpipe query "<SQL>"`: read-only SQL on the configured store. Without SQL it prints an
 * overview: rows per table and trade date.
 */
import { IngestError } from '../../errors.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, openStore, type CommonFlags } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { renderResult } from '../render-table.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load-config.js';

/** Flags of `tickpipe query`. */
export interface QueryFlags extends CommonFlags {
  format?: string;
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
  assertStoreExists(loaded);
  const store = await openStore(loaded, { readOnly: true });
  try {
    const result = await store.query({ sql: sql ?? overviewSql(loaded.config.storage.backend) });
    const text = renderResult(result, format);
    io.stdout(format === 'csv' ? text.replace(/\n$/, '') : text);
    return EXIT.OK;
  } finally {
    await store.close();
  }
}
