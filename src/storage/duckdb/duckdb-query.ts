/** Read-only SQL over the DuckDB store (`tickpipe query`): statements other than reads are refused. */
import { StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { IngestError, isIngestError, throwIfAborted } from '../../errors.js';
import type { QueryResult } from '../store.js';
import { messageOf, storageError } from './duckdb-sql.js';
import { toPlainValue } from './duckdb-values.js';

const QUERY_STATEMENT_TYPES: ReadonlySet<number> = new Set([StatementType.SELECT, StatementType.EXPLAIN]);

/** Runs read statements on the reader connection; the last one's rows are the result. Interrupted by `signal`. */
export async function runReadQuery(
  reader: DuckDBConnection,
  sql: string,
  signal: AbortSignal | undefined,
): Promise<QueryResult> {
  const onAbort = (): void => reader.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    throwIfAborted(signal);
    const extracted = await reader.extractStatements(sql);
    if (extracted.count === 0) throw new IngestError('USAGE', 'The query is empty', { context: { sql } });
    let result: QueryResult = { columns: [], rows: [] };
    for (let i = 0; i < extracted.count; i++) {
      const prepared = await extracted.prepare(i);
      try {
        if (!QUERY_STATEMENT_TYPES.has(prepared.statementType)) {
          throw new IngestError('USAGE', 'Refused a statement that is not a read: query() is read-only', {
            context: { sql },
          });
        }
        const read = await prepared.runAndReadAll();
        result = { columns: read.columnNames(), rows: read.getRows().map((row) => row.map(toPlainValue)) };
      } finally {
        prepared.destroySync();
      }
    }
    throwIfAborted(signal);
    return result;
  } catch (error) {
    throwIfAborted(signal);
    if (isIngestError(error)) throw error;
    const message = messageOf(error);
    if (/^(IO|FATAL|Out of Memory|INTERNAL) Error/i.test(message)) {
      throw storageError(error, 'query DuckDB', { sql });
    }
    throw new IngestError('USAGE', `Query failed: ${message}`, { context: { sql }, cause: error });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
