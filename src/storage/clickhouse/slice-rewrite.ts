/**
 * Unit rewrites (a unit's slice is replaced, see `unit-scope.ts`): before a batch is inserted,
 * one query per table finds which of its slices already hold rows; only those are deleted (one
 * `ALTER TABLE … DELETE` mutation per table and batch, waited for), so first writes never pay for
 * it. Stale rows a re-fetch no longer has are thus removed; the price of a rewrite is a mutation,
 * which on large partitions is heavy (rewrites are rare: resume skips done units).
 *
 * In a cluster, mutations are not supported by Distributed tables: the delete runs on the local
 * table of every shard, sent to one live node of each (a replicated mutation reaches the other
 * replica through ZooKeeper, also one that is down now, when it returns). A mutation applies only
 * to parts that existed when it was created, so the inserts that follow are never touched by it.
 */
import { IngestError } from '../../errors.js';
import type { ClickHouseSession } from './clickhouse-session.js';
import type { ClickHouseTable } from './ddl.js';
import { intervalColumnName, intervalSeconds, localTableName, quoteIdent } from './ddl.js';
import type { BatchPart } from './insert-batcher.js';
import type { PoolNode } from './node-pool.js';
import type { EncodedRow } from './row-encoding.js';
import { sqlString } from './row-encoding.js';

const MUTATION_POLL_MS = 20;

/** The columns that pick one unit's slice of a table. */
interface SliceFilter {
  source: string;
  symbol: string;
  tradeDate: string;
  interval: string | undefined;
}

/** What the rewrite needs besides the session. */
export interface SliceRewriteDeps {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  /** Longest wait for a mutation to finish, ms. */
  timeoutMs: number;
  /** Shards in the cluster (0 on a single server). */
  shardCount: number;
}

/** Parses a part key `table|source|symbol|tradeDate[|interval]` back into its filter. */
function sliceFilterOf(part: BatchPart<ClickHouseTable, EncodedRow>): SliceFilter | undefined {
  const [, source, symbol, tradeDate, interval] = part.key.split('|');
  if (source === undefined || symbol === undefined || tradeDate === undefined) return undefined;
  return { source, symbol, tradeDate, interval };
}

/** Deletes the rows of every slice in `parts` that already holds rows. */
export async function deleteExistingSlices(
  s: ClickHouseSession,
  parts: readonly BatchPart<ClickHouseTable, EncodedRow>[],
  deps: SliceRewriteDeps,
): Promise<void> {
  const byTable = new Map<ClickHouseTable, Map<string, SliceFilter>>();
  for (const part of parts) {
    const f = sliceFilterOf(part);
    if (f === undefined) continue;
    let slices = byTable.get(part.table);
    if (slices === undefined) byTable.set(part.table, (slices = new Map()));
    slices.set(part.key, f);
  }
  const legacy = s.flavor === 'legacy';
  for (const [table, slices] of byTable) {
    const filters = [...slices.values()];
    // bars slices also match the interval; on legacy servers through interval_seconds (see ddl.ts).
    const intervalColumn =
      table !== 'bars'
        ? undefined
        : legacy
          ? 'interval_seconds'
          : quoteIdent(intervalColumnName(s.flavor, s.clustered));
    const intervalValue = (f: SliceFilter): string =>
      legacy ? String(intervalSeconds(f.interval ?? '')) : sqlString(f.interval ?? '');
    const sliceId = (source: string, symbol: string, tradeDate: string, interval: string): string =>
      `${source}|${symbol}|${tradeDate}|${interval}`;
    const list = (values: string[]): string => [...new Set(values)].join(', ');
    const sql =
      `SELECT DISTINCT source, symbol, toString(trade_date)${intervalColumn ? `, ${intervalColumn}` : ''} ` +
      `FROM ${s.table(table)} ` +
      `WHERE source IN (${list(filters.map((f) => sqlString(f.source)))}) ` +
      `AND symbol IN (${list(filters.map((f) => sqlString(f.symbol)))}) ` +
      `AND trade_date IN (${list(filters.map((f) => `toDate(${sqlString(f.tradeDate)})`))})` +
      (intervalColumn ? ` AND ${intervalColumn} IN (${list(filters.map(intervalValue))})` : '');
    const existing = await s.select(sql, `look up existing rows in ${table}`);
    const present = new Set(
      existing.data.map((r) =>
        sliceId(String(r[0]), String(r[1]), String(r[2]), r[3] === undefined ? '' : String(r[3])),
      ),
    );
    const stale = filters.filter((f) => {
      const interval = intervalColumn === undefined ? '' : legacy ? intervalValue(f) : (f.interval ?? '');
      return present.has(sliceId(f.source, f.symbol, f.tradeDate, interval));
    });
    if (stale.length === 0) continue;
    const where = stale
      .map(
        (f) =>
          `(source = ${sqlString(f.source)} AND symbol = ${sqlString(f.symbol)} AND trade_date = toDate(${sqlString(f.tradeDate)})` +
          (intervalColumn ? ` AND ${intervalColumn} = ${intervalValue(f)})` : ')'),
      )
      .join(' OR ');
    const started = deps.now();
    const shards = s.clustered ? await shardGroups(s, deps) : [undefined];
    for (const candidates of shards) {
      await mutate(s, table, `ALTER TABLE ${s.localTable(table)} DELETE WHERE ${where}`, candidates, deps);
    }
    s.logger.debug('clickhouse unit rewrite: deleted old slices', {
      table,
      slices: stale.length,
      shards: shards.length,
      ms: deps.now() - started,
    });
  }
}

/** The pool's nodes grouped by their `shard` macro (looked up for nodes not known yet). */
export async function shardGroups(s: ClickHouseSession, deps: SliceRewriteDeps): Promise<PoolNode[][]> {
  for (const node of s.pool.nodes) {
    if (node.shard !== undefined) continue;
    await resolveShard(s, node).catch(() => undefined); // a node that does not answer stays unknown
  }
  const groups = new Map<string, PoolNode[]>();
  for (const node of s.pool.nodes) {
    if (node.shard === undefined) continue;
    groups.set(node.shard, [...(groups.get(node.shard) ?? []), node]);
  }
  if (groups.size < deps.shardCount) {
    throw new IngestError(
      'STORAGE_FAILED',
      `ClickHouse could not delete rewritten units: the answering nodes of storage.clickhouse.url cover ` +
        `${groups.size} of the ${deps.shardCount} shards; list at least one replica of every shard`,
      { retryable: true, context: { database: s.database } },
    );
  }
  return [...groups.values()];
}

/** Reads a node's `shard` macro into `node.shard`. */
export async function resolveShard(s: ClickHouseSession, node: PoolNode): Promise<void> {
  const body = await s.selectOn(
    node,
    "SELECT substitution FROM system.macros WHERE macro = 'shard'",
    `read the shard of ${node.url}`,
  );
  const shard = body.data[0]?.[0];
  if (shard !== undefined && shard !== null) node.shard = String(shard);
}

/** Runs a mutation and returns once it is applied. */
async function mutate(
  s: ClickHouseSession,
  table: ClickHouseTable,
  sql: string,
  candidates: PoolNode[] | undefined,
  deps: SliceRewriteDeps,
): Promise<void> {
  const what = `delete rewritten units from ${table}`;
  const on = candidates === undefined ? {} : { candidates };
  if (s.flavor === 'modern') {
    await s.command(sql, what, { ...on, settings: { mutations_sync: 1 } });
    return;
  }
  // 18.16 has no mutations_sync: poll until the mutation is done.
  await s.command(sql, what, on);
  const physical = s.clustered ? localTableName(table) : table;
  const pollSql =
    `SELECT count() FROM system.mutations WHERE database = ${sqlString(s.database)} ` +
    `AND table = ${sqlString(physical)} AND is_done = 0`;
  const maxPolls = Math.max(1, Math.ceil(deps.timeoutMs / MUTATION_POLL_MS));
  for (let i = 0; i < maxPolls; i++) {
    const body = await s.select(pollSql, what, on);
    if (Number(body.data[0]?.[0] ?? 0) === 0) return;
    await deps.sleep(MUTATION_POLL_MS);
  }
  throw new IngestError(
    'STORAGE_FAILED',
    `ClickHouse did not finish deleting rewritten units from ${table} within ${deps.timeoutMs} ms`,
    { context: { database: s.database, table } },
  );
}
