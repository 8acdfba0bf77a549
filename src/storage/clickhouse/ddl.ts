/**
 * The ClickHouse schema, chosen by server version. Every version-dependent choice of the
 * ClickHouse store lives here.
 *
 * - `modern` (ClickHouse >= 20.1, e.g. chdb's 26.7): times are `DateTime64(3, 'UTC')`, repeated
 *   strings are `LowCardinality(String)`.
 * - `legacy` (ClickHouse < 20.1, e.g. Debian 12's 18.16): there is no DateTime64, and DateTime
 *   holds whole seconds only. Time columns (`ts`, `updated_at`) are therefore `UInt64` UTC epoch
 *   milliseconds: exact, ordered, and part of the row identity. `query()` returns columns named
 *   `ts` / `updated_at` of integer type as ISO-8601 strings, so results look the same on both
 *   flavors. For time functions each table also has an ALIAS column `ts_time` (`updated_at_time`)
 *   = `toDateTime(intDiv(ts, 1000), 'UTC')` (not stored, not in `SELECT *`). Plain `String`
 *   instead of LowCardinality, which 18.16 allows only with a server-profile setting.
 *   18.16 also prints identifiers unquoted into its table metadata, and cannot parse a bare
 *   `interval` in a sort key when it re-attaches the table at restart; legacy `bars` therefore
 *   has a stored `interval_seconds UInt32` (60 for `1m`, 86400 for `1d`) in the sort key instead.
 *   Rejected alternatives: `DateTime` + a `ts_ms` sibling (a plain `SELECT ts` loses the ms);
 *   `Decimal64(3)` seconds (no time functions on 18.16 either, and decimals parse awkwardly).
 *
 * Every table is a ReplacingMergeTree sorted by the row's identity and partitioned by
 * `toYYYYMM(trade_date)`: re-inserting a unit leaves each logical row once under `FINAL`.
 * The ledger's `version` column makes the latest written entry win.
 *
 * Cluster layout (docs/STORAGE.md, "Cluster"): each table is a `ReplicatedReplacingMergeTree`
 * local table `<table>_local` on every node (ZooKeeper path `/clickhouse/tables/{shard}/<db>/<table>`,
 * replica `{replica}`), behind a `Distributed` table under the plain name, sharded by
 * `cityHash64(symbol)`. Data tables gain a `version UInt64` (the insert's version, also the
 * replacing version): a retried insert is the same block and is deduplicated by ZooKeeper, while a
 * later rewrite of identical rows is a different block and is not. On the legacy flavor
 * `bars.interval` is stored as `bar_interval`: 18.16 drops the quotes of `interval` when it
 * forwards a query to a shard, so no query through a Distributed table could name it; the store
 * renames it back in queries and results.
 */

/** Which schema a server gets. */
export type ClickHouseFlavor = 'modern' | 'legacy';

/** The store's tables. */
export const CLICKHOUSE_TABLES = [
  'ticks',
  'bars',
  'order_book',
  'factors',
  'adj_factors',
  'ingest_ledger',
] as const;
export type ClickHouseTable = (typeof CLICKHOUSE_TABLES)[number];

/** Picks the flavor from `SELECT version()` (e.g. `18.16.1`, `26.7.2.1`). */
export function flavorOfVersion(version: string): ClickHouseFlavor {
  const major = Number.parseInt(version.split('.')[0] ?? '', 10);
  // DateTime64 arrived in 20.1; an unparsable version is assumed recent.
  return Number.isFinite(major) && major < 20 ? 'legacy' : 'modern';
}

interface ColumnSpec {
  name: string;
  type: string;
}

/** The stored name of `bars.interval` in a legacy cluster (see the module comment). */
export const LEGACY_CLUSTER_INTERVAL_COLUMN = 'bar_interval';

/** The stored name of `bars.interval`. */
export function intervalColumnName(flavor: ClickHouseFlavor, cluster: boolean): string {
  return cluster && flavor === 'legacy' ? LEGACY_CLUSTER_INTERVAL_COLUMN : 'interval';
}

/** The replicated local table behind the Distributed table `table` of a cluster. */
export function localTableName(table: ClickHouseTable): string {
  return `${table}_local`;
}

/**
 * Stored columns of each table, in order, for a flavor and layout (also the insert column lists).
 */
export function tableColumns(
  flavor: ClickHouseFlavor,
  table: ClickHouseTable,
  cluster = false,
): ColumnSpec[] {
  const columns = singleServerColumns(flavor, table);
  if (!cluster) return columns;
  const renamed = columns.map((c) =>
    c.name === 'interval' ? { ...c, name: intervalColumnName(flavor, true) } : c,
  );
  return table === 'ingest_ledger' ? renamed : [...renamed, { name: 'version', type: 'UInt64' }];
}

function singleServerColumns(flavor: ClickHouseFlavor, table: ClickHouseTable): ColumnSpec[] {
  const legacy = flavor === 'legacy';
  const lc = legacy ? 'String' : 'LowCardinality(String)';
  const time = legacy ? 'UInt64' : "DateTime64(3, 'UTC')";
  const c = (name: string, type: string): ColumnSpec => ({ name, type });
  switch (table) {
    case 'ticks':
      return [
        c('symbol', lc),
        c('ts', time),
        c('seq', 'UInt64'),
        c('price', 'Float64'),
        c('volume', 'Float64'),
        c('amount', 'Float64'),
        c('side', lc),
        c('source', lc),
        c('trade_date', 'Date'),
      ];
    case 'bars':
      return [
        c('symbol', lc),
        c('interval', lc),
        c('ts', time),
        c('open', 'Float64'),
        c('high', 'Float64'),
        c('low', 'Float64'),
        c('close', 'Float64'),
        c('volume', 'Float64'),
        c('amount', 'Float64'),
        c('source', lc),
        c('trade_date', 'Date'),
        ...(legacy ? [c('interval_seconds', 'UInt32')] : []),
      ];
    case 'order_book':
      return [
        c('symbol', lc),
        c('ts', time),
        c('bid_prices', 'Array(Float64)'),
        c('bid_volumes', 'Array(Float64)'),
        c('ask_prices', 'Array(Float64)'),
        c('ask_volumes', 'Array(Float64)'),
        c('source', lc),
        c('trade_date', 'Date'),
      ];
    case 'factors':
      return [
        c('symbol', lc),
        c('ts', time),
        c('factor', lc),
        c('value', 'Float64'),
        c('source', lc),
        c('trade_date', 'Date'),
      ];
    case 'adj_factors':
      return [c('symbol', lc), c('trade_date', 'Date'), c('adj_factor', 'Float64'), c('source', lc)];
    case 'ingest_ledger':
      return [
        c('provider', lc),
        c('data_type', lc),
        c('symbol', lc),
        c('trade_date', 'Date'),
        c('status', lc),
        c('rows', 'UInt64'),
        c('attempts', 'UInt32'),
        c('error_code', 'Nullable(String)'),
        c('error_message', 'Nullable(String)'),
        c('run_id', 'String'),
        c('updated_at', time),
        c('version', 'UInt64'),
      ];
  }
}

/** Sort key (= row identity) of each table. */
function sortKey(flavor: ClickHouseFlavor, table: ClickHouseTable): string {
  const ts = 'ts';
  switch (table) {
    case 'ticks':
      return `source, symbol, ${ts}, seq`;
    case 'bars':
      // Legacy: interval_seconds, also in clusters (the stored interval name differs there).
      return flavor === 'legacy'
        ? `source, symbol, interval_seconds, ${ts}`
        : `source, symbol, interval, ${ts}`;
    case 'order_book':
      return `source, symbol, ${ts}`;
    case 'factors':
      return `source, symbol, factor, ${ts}`;
    case 'adj_factors':
      return 'source, symbol, trade_date';
    case 'ingest_ledger':
      return 'provider, data_type, symbol, trade_date';
  }
}

/** Length of a bar interval such as `1m`, `1d`, `15m`, `1h`, in seconds (0 when unknown). */
export function intervalSeconds(interval: string): number {
  const m = /^(\d+)([smhdw])$/.exec(interval);
  if (m === null) return 0;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

/** Quotes an identifier with backticks (names come from the validated config, this is belt and braces). */
export function quoteIdent(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

/** The column list of a CREATE TABLE (stored columns, plus the legacy time aliases). */
function columnDefinitions(flavor: ClickHouseFlavor, table: ClickHouseTable, cluster: boolean): string {
  const columns = tableColumns(flavor, table, cluster);
  const stored = columns.map((col) => `  ${quoteIdent(col.name)} ${col.type}`);
  const aliases =
    flavor === 'legacy'
      ? columns
          .filter((col) => col.name === 'ts' || col.name === 'updated_at')
          .map(
            (col) =>
              `  ${quoteIdent(`${col.name}_time`)} DateTime('UTC') ALIAS toDateTime(intDiv(${quoteIdent(col.name)}, 1000), 'UTC')`,
          )
      : [];
  return [...stored, ...aliases].join(',\n');
}

function tableTail(flavor: ClickHouseFlavor, table: ClickHouseTable): string {
  return (
    `PARTITION BY toYYYYMM(trade_date)\n` +
    `ORDER BY (${sortKey(flavor, table).split(', ').map(quoteIdent).join(', ')})`
  );
}

/** `CREATE DATABASE` plus one `CREATE TABLE … IF NOT EXISTS` per table; each safe to re-run. */
export function schemaStatements(flavor: ClickHouseFlavor, database: string): string[] {
  const db = quoteIdent(database);
  const tables = CLICKHOUSE_TABLES.map((table) => {
    const engine = table === 'ingest_ledger' ? 'ReplacingMergeTree(version)' : 'ReplacingMergeTree';
    return (
      `CREATE TABLE IF NOT EXISTS ${db}.${quoteIdent(table)} (\n${columnDefinitions(flavor, table, false)}\n) ` +
      `ENGINE = ${engine}\n${tableTail(flavor, table)}`
    );
  });
  return [`CREATE DATABASE IF NOT EXISTS ${db}`, ...tables];
}

/** Every table name a cluster schema creates on each node (local and Distributed). */
export function clusterTableNames(): string[] {
  return CLICKHOUSE_TABLES.flatMap((t) => [localTableName(t), t]);
}

/**
 * The cluster schema (see the module comment): `CREATE DATABASE`, then per table the replicated
 * local table and the Distributed table over it, each `IF NOT EXISTS`. With `onCluster` every
 * statement is `ON CLUSTER cluster` (the first creation); without, the same statements create
 * what one node lacks (its macros fill in `{shard}` and `{replica}`).
 */
export function clusterSchemaStatements(params: {
  flavor: ClickHouseFlavor;
  database: string;
  cluster: string;
  onCluster: boolean;
}): string[] {
  const { flavor, database, cluster } = params;
  const db = quoteIdent(database);
  const on = params.onCluster ? ` ON CLUSTER ${quoteIdent(cluster)}` : '';
  const statements = [`CREATE DATABASE IF NOT EXISTS ${db}${on}`];
  for (const table of CLICKHOUSE_TABLES) {
    const local = localTableName(table);
    const zkPath = sqlLiteral(`/clickhouse/tables/{shard}/${database}/${table}`);
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${db}.${quoteIdent(local)}${on} (\n${columnDefinitions(flavor, table, true)}\n) ` +
        `ENGINE = ReplicatedReplacingMergeTree(${zkPath}, '{replica}', version)\n${tableTail(flavor, table)}`,
      `CREATE TABLE IF NOT EXISTS ${db}.${quoteIdent(table)}${on} AS ${db}.${quoteIdent(local)} ` +
        `ENGINE = Distributed(${quoteIdent(cluster)}, ${db}, ${quoteIdent(local)}, cityHash64(symbol))`,
    );
  }
  return statements;
}

function sqlLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
