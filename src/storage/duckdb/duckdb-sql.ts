/** Small SQL helpers of the DuckDB store. */
import { DuckDBDateValue } from '@duckdb/node-api';
import { IngestError, isIngestError } from '../../errors.js';

const MS_PER_DAY = 86_400_000;

/** Units per DELETE statement and ledger entries per INSERT, to keep statements small. */
export const UNITS_PER_STATEMENT = 500;

/** A SQL string literal. */
export function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A DuckDB DATE of a `YYYY-MM-DD` day. */
export function dateValue(text: string): DuckDBDateValue {
  return new DuckDBDateValue(Math.floor(Date.parse(`${text}T00:00:00Z`) / MS_PER_DAY));
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Wraps a DuckDB failure as a retryable `STORAGE_FAILED`; tickpipe's own errors pass through. */
export function storageError(error: unknown, what: string, context: Record<string, unknown>): IngestError {
  if (isIngestError(error)) return error;
  return new IngestError('STORAGE_FAILED', `Could not ${what}: ${messageOf(error)}`, {
    context,
    cause: error,
  });
}
