/**
 * Renders query results as an aligned text table, JSON, or RFC 4180 CSV.
 */
import type { QueryResult } from '../storage/store.js';
import stringWidth from 'string-width';
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

/** Display width in terminal columns: CJK characters count 2, combining marks and ANSI codes 0. */
export function displayWidth(text: string): number {
  // Fast path for the common case (codes, numbers, dates): printable ASCII is one column each.
  return /^[\x20-\x7e]*$/.test(text) ? text.length : stringWidth(text);
}

/** Options of {@link renderTableLines}. */
export interface TableOptions {
  /** Cut cells wider than this many columns with an ellipsis (default: no cut). */
  maxColumnWidth?: number;
}

/** Cuts `text` to at most `width` display columns, ending with `…`. */
function cut(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = displayWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/**
 * The lines of an aligned text table: header, separator, one line per row, the row count.
 * Widths are measured in display columns (Chinese text aligns); a generator, so a large result
 * is printed as it is formatted instead of being built into one string.
 */
export function* renderTableLines(result: QueryResult, options: TableOptions = {}): Generator<string> {
  const max = options.maxColumnWidth;
  const header = result.columns;
  const widths = header.map((h) => displayWidth(h));
  for (const r of result.rows) {
    for (let i = 0; i < header.length; i++) {
      const w = displayWidth(cellText(r[i]));
      if (w > (widths[i] as number)) widths[i] = w;
    }
  }
  if (max !== undefined)
    for (let i = 0; i < widths.length; i++) widths[i] = Math.min(max, widths[i] as number);
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const text = max !== undefined ? cut(c, w) : c;
        return text + ' '.repeat(Math.max(0, w - displayWidth(text)));
      })
      .join(' | ')
      .trimEnd();
  yield fmt(header);
  yield widths.map((w) => '-'.repeat(w)).join('-+-');
  for (const r of result.rows) yield fmt(header.map((_, i) => cellText(r[i])));
  yield `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`;
}

/** An aligned text table with a header and a row count (see {@link renderTableLines}). */
export function renderTable(result: QueryResult, options: TableOptions = {}): string {
  return [...renderTableLines(result, options)].join('\n');
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
