/**
 * ClickHouse 18.16's parser reads a bare `interval` as the start of an `INTERVAL n UNIT`
 * expression, so `SELECT symbol, interval FROM bars` is a syntax error there (the `bars.interval`
 * column name is fixed by SPEC §3). This quotes `interval` where it is used as a name: everywhere
 * outside string literals, quoted names and comments where it is not followed by a number, a
 * string or a parenthesis (`INTERVAL 1 DAY`, `INTERVAL '1' DAY`, `INTERVAL (n) DAY` stay).
 */
// Literals, quoted names and comments (group 1) are kept; a bare `interval` name is quoted.
const TOKENS =
  /('(?:[^'\\]|\\.|'')*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"|--[^\n]*|\/\*[\s\S]*?\*\/)|(?<![\w`])interval\b(?!\s*(?:[-+]?\d|'|\())/gi;

/** Returns `sql` with identifier uses of `interval` backquoted. */
export function quoteIntervalColumn(sql: string): string {
  return sql.replace(TOKENS, (_match: string, kept: string | undefined) => kept ?? '`interval`');
}
