/**
 * Renders query results as an aligned text table, JSON, or RFC 4180 CSV.
 */
import type { QueryResult } from '../storage/store.js';
import { IngestError } from '../errors.js';

/** Output formats of `tickpipe query`. */
export const QUERY_FORMATS = ['table', 'json', 'csv'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return `[${v.map(cellText).join(', ')}]`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** An aligned text table with a header and a row count. */
export function renderTable(result: QueryResult): string {
  const header = result.columns;
  const body = result.rows.map((r) => r.map(cellText));
  const widths = header.map((h, i) =>
    Math.min(60, Math.max(h.length, ...body.map((r) => (r[i] ?? '').length))),
  );
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const text = c.length > w ? `${c.slice(0, w - 1)}…` : c;
        return text.padEnd(w);
      })
      .join(' | ')
      .trimEnd();
  const lines = [fmt(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(fmt)];
  lines.push(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
  return lines.join('\n');
}

/** RFC 4180: fields with comma, quote, CR or LF are quoted, quotes doubled; CRLF line ends. */
export function renderCsv(result: QueryResult): string {
  const field = (v: unknown) => {
    const s =
      v === null || v === undefined
        ? ''
        : Array.isArray(v) || typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [result.columns, ...result.rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

/** A JSON array of row objects. */
export function renderJson(result: QueryResult): string {
  return JSON.stringify(
    result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i] ?? null]))),
    null,
    2,
  );
}

/** Renders in the requested format. */
export function renderResult(result: QueryResult, format: string): string {
  switch (format) {
    case 'table':
      return renderTable(result);
    case 'json':
      return renderJson(result);
    case 'csv':
      return renderCsv(result);
    default:
      throw new IngestError('USAGE', `--format: expected ${QUERY_FORMATS.join(', ')}, found "${format}"`);
  }
}
