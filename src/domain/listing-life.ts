/**
 * When a symbol is listed: units before its first day or after its last day have no data by
 * definition, so the planner records them `empty` ("not listed") without asking a provider.
 */

/** A symbol's listing life; either bound may be unknown (then it does not cut). */
export interface ListingLife {
  /** First day listed, `YYYY-MM-DD` (Tushare `list_date`). */
  firstDay?: string;
  /** Last day listed, inclusive, `YYYY-MM-DD` (Tushare `delist_date`). */
  lastDay?: string;
}

/** First index `k` in the ascending `days` with `days[k] >= day` (`days.length` when none). */
function lowerBound(days: readonly string[], day: string): number {
  let lo = 0;
  let hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((days[mid] as string) < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The listed days of an ascending calendar as a half-open index span `[from, to)`. */
export function listedSpan(
  days: readonly string[],
  life: ListingLife | undefined,
): { from: number; to: number } {
  const from = life?.firstDay !== undefined ? lowerBound(days, life.firstDay) : 0;
  // Past the last day: the first index after it.
  const to = life?.lastDay !== undefined ? lowerBound(days, `${life.lastDay}\u0000`) : days.length;
  return { from, to: Math.max(from, to) };
}

/** A short reason for a not-listed unit, stored in the ledger's `error_message`. */
export function notListedReason(life: ListingLife | undefined): string {
  const parts: string[] = [];
  if (life?.firstDay) parts.push(`listed ${life.firstDay}`);
  if (life?.lastDay) parts.push(`delisted after ${life.lastDay}`);
  return parts.length > 0 ? `not listed (${parts.join(', ')})` : 'not listed';
}
