/**
 * Classifies what `@clickhouse/client` throws. On 18.16 errors arrive as plain `Error`s (the
 * client's parser expects the newer `… (TYPE_NAME)` suffix), so the server code is parsed from
 * the message text here: `Code: 60, e.displayText() = DB::Exception: Table x doesn't exist., e.what() = DB::Exception`.
 */

/** What a ClickHouse failure was. */
export interface ClickHouseFailure {
  /** Server error code (e.g. 60 = unknown table), when the server answered. */
  serverCode: number | undefined;
  /** The server's message without boilerplate, or the transport error's message. */
  message: string;
  /** The connection broke (reset, refused, hang-up): the request may be repeated. */
  connection: boolean;
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);
const LEGACY_RE =
  /Code:\s*(\d+),\s*e\.displayText\(\)\s*=\s*(?:DB::Exception:\s*)?([\s\S]*?)(?:,\s*e\.what\(\)\s*=[\s\S]*)?$/;
const MODERN_RE =
  /Code:\s*(\d+)\.\s*(?:DB::Exception:\s*)?([\s\S]*?)\s*(?:\(([A-Z_]+)\))?\s*(?:\(version [^)]*\))?\s*$/;

/** Server error codes caused by the SQL a user wrote (syntax, unknown names, read-only refusals). */
export const USER_SQL_ERROR_CODES: ReadonlySet<number> = new Set([
  6, 27, 36, 41, 42, 43, 44, 46, 47, 48, 50, 53, 60, 62, 70, 73, 81, 115, 164, 184, 215,
]);

/** Parses any thrown value from the client into a {@link ClickHouseFailure}. */
export function parseClickHouseFailure(error: unknown): ClickHouseFailure {
  const seen = new Set<unknown>();
  let connection = false;
  for (
    let e: unknown = error;
    e !== undefined && e !== null && !seen.has(e);
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : String(e);
    if (
      (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
      /socket hang up|ECONNRESET|EPIPE|ECONNREFUSED/i.test(message)
    ) {
      connection = true;
    }
    if (typeof e !== 'object') break;
  }
  const text = error instanceof Error ? error.message : String(error);
  const clickHouseCode = (error as { code?: unknown } | null)?.code;
  const legacy = LEGACY_RE.exec(text);
  if (legacy?.[1] !== undefined) {
    return { serverCode: Number(legacy[1]), message: (legacy[2] ?? text).trim(), connection: false };
  }
  const modern = MODERN_RE.exec(text);
  if (modern?.[1] !== undefined) {
    return { serverCode: Number(modern[1]), message: (modern[2] ?? text).trim(), connection: false };
  }
  if (typeof clickHouseCode === 'string' && /^\d+$/.test(clickHouseCode)) {
    return { serverCode: Number(clickHouseCode), message: text.trim(), connection: false };
  }
  return { serverCode: undefined, message: text.trim(), connection };
}
