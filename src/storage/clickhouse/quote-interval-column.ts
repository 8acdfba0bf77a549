/**
 * ClickHouse 18.16's parser reads a bare `interval` as the start of an `INTERVAL n UNIT`
 * expression, so `SELECT symbol, interval FROM bars` is a syntax error there (the `bars.interval`
 * column name is fixed by the data model, docs/STORAGE.md). This quotes `interval` where it is
 * used as a name: everywhere outside string literals, quoted names and comments where it is not
 * followed by a number, a string or a parenthesis (`INTERVAL 1 DAY`, `INTERVAL '1' DAY`,
 * `INTERVAL (n) DAY` stay). In a legacy cluster the column is stored under another name, and the
 * same scan renames it.
 */
// Literals, quoted names and comments (group 1) are kept (a quoted `interval` is group 2); a bare
// `interval` name is replaced.
const TOKENS =
  /(`interval`)|('(?:[^'\\]|\\.|'')*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"|--[^\n]*|\/\*[\s\S]*?\*\/)|(?<![\w`])interval\b(?!\s*(?:[-+]?\d|'|\())/gi;

/** Returns `sql` with identifier uses of `interval` backquoted. */
export function quoteIntervalColumn(sql: string): string {
  return sql.replace(TOKENS, (_m: string, quoted: string | undefined, kept: string | undefined) =>
    quoted !== undefined ? quoted : (kept ?? '`interval`'),
  );
}

/** Returns `sql` with identifier uses of `interval` (bare or backquoted) replaced by `stored`. */
export function renameIntervalColumn(sql: string, stored: string): string {
  const name = '`' + stored.replace(/`/g, '') + '`';
  return sql.replace(TOKENS, (_m: string, quoted: string | undefined, kept: string | undefined) =>
    quoted !== undefined ? name : (kept ?? name),
  );
}
