/**
 * The live-collection coverage `tickpipe status` shows: per source and trade date a summary
 * (symbols, polls, stored snapshots, symbols with gaps, first and last observation, longest gap),
 * and one row per symbol-day when symbols are named.
 */
import type { ResolvedConfig } from '../config/schema.js';
import { createClickHouseLive } from '../storage/clickhouse/clickhouse-live.js';
import type { QueryResult, Store } from '../storage/store.js';
import type { CoverageRow } from '../storage/live-store.js';
import { localTimeOfDay } from './trading-sessions.js';

/** Filter of {@link coverageTables}. */
export interface CoverageFilter {
  source?: string;
  symbols?: readonly string[];
  startDate?: string;
  endDate?: string;
}

/** Coverage tables, or undefined when the store has no live collection (nothing collected yet). */
export async function coverageTables(
  store: Store,
  filter: CoverageFilter,
  config?: ResolvedConfig,
): Promise<{ summary: QueryResult; symbols: QueryResult | undefined } | undefined> {
  let live = store.live;
  let own: { close(): Promise<void> } | undefined;
  if (live === undefined && config?.storage.backend === 'clickhouse') {
    const ch = await createClickHouseLive(config.storage.clickhouse, { createTables: false });
    live = ch;
    own = ch;
  }
  if (live === undefined) return undefined;
  let rows: CoverageRow[];
  try {
    rows = await live.coverage(filter);
  } catch (e) {
    // A store written before live collection existed (or opened read-only) has no coverage table.
    if (/does not exist|doesn't exist|Catalog Error/i.test((e as Error).message)) return undefined;
    throw e;
  } finally {
    await own?.close();
  }
  if (rows.length === 0) return undefined;
  const byDay = new Map<string, CoverageRow[]>();
  for (const r of rows) {
    const k = `${r.source}|${r.tradeDate}`;
    byDay.set(k, [...(byDay.get(k) ?? []), r]);
  }
  const summary: QueryResult = {
    columns: [
      'source',
      'trade_date',
      'symbols',
      'polls',
      'snapshots',
      'with_gaps',
      'first',
      'last',
      'longest_gap_s',
    ],
    rows: [...byDay.values()].map((day) => {
      const first = day[0] as CoverageRow;
      return [
        first.source,
        first.tradeDate,
        day.length,
        day.reduce((a, r) => a + r.polls, 0),
        day.reduce((a, r) => a + r.snapshots, 0),
        day.filter((r) => r.gaps > 0).length,
        localTimeOfDay(Math.min(...day.map((r) => r.firstTs))),
        localTimeOfDay(Math.max(...day.map((r) => r.lastTs))),
        Math.round(Math.max(...day.map((r) => r.longestGapMs)) / 1000),
      ];
    }),
  };
  const symbols =
    filter.symbols === undefined
      ? undefined
      : {
          columns: [
            'source',
            'symbol',
            'trade_date',
            'first',
            'last',
            'polls',
            'snapshots',
            'gaps',
            'longest_gap_s',
          ],
          rows: rows.map((r) => [
            r.source,
            r.symbol,
            r.tradeDate,
            localTimeOfDay(r.firstTs),
            localTimeOfDay(r.lastTs),
            r.polls,
            r.snapshots,
            r.gaps,
            Math.round(r.longestGapMs / 1000),
          ]),
        };
  return { summary, symbols };
}
