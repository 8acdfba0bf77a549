/**
 * `MemoryStore`: the store port over in-process maps, for tests and dry runs. Rows are kept per
 * unit slice (see `unit-scope.ts`), so a unit rewrite swaps its slice whole; every call applies
 * all its units synchronously, so a write is atomic. Nothing survives `close()`.
 *
 * `query()` understands a small read-only SQL subset (anything else is refused with `USAGE`):
 *
 * ```
 * SELECT * | count(*) [AS name] | col[, col...]
 * FROM <table> [FINAL]
 * [WHERE col = literal [AND col = literal ...]]      -- literal: 'text' ('' escapes) or a number
 * [ORDER BY col [ASC|DESC][, ...]]
 * [LIMIT n]
 * ```
 *
 * Values are rendered as the SQL stores render them: timestamps as ISO-8601 UTC strings with
 * milliseconds, dates as `YYYY-MM-DD`, arrays as arrays; `WHERE` and `ORDER BY` compare the
 * rendered values.
 */
import { adjFactorColumns, barColumns, bookColumns, factorColumns, tickColumns } from '../table-columns.js';
import { IngestError, throwIfAborted } from '../../errors.js';
import type { AdjFactor, Bar, BookSnapshot, FactorValue, Tick } from '../../domain/rows.js';
import { unitKeyString, type LedgerEntry } from '../../ledger/ledger-entry.js';
import { isReadOnlySql, type LedgerFilter, type QueryResult, type Store, type UnitWrite } from '../store.js';
import { createMemoryLive } from './memory-live.js';
import { scopeUnitRows, sliceKey, type DataTable, type StoreTable } from '../unit-scope.js';

/** Columns of each table, in the order `SELECT *` returns them (the same as the SQL stores). */
export const MEMORY_TABLE_COLUMNS: Readonly<Record<StoreTable, readonly string[]>> = {
  ticks: ['symbol', 'ts', 'seq', 'price', 'volume', 'amount', 'side', 'source', 'trade_date'],
  bars: [
    'symbol',
    'interval',
    'ts',
    'open',
    'high',
    'low',
    'close',
    'volume',
    'amount',
    'source',
    'trade_date',
  ],
  order_book: [
    'symbol',
    'ts',
    'bid_prices',
    'bid_volumes',
    'ask_prices',
    'ask_volumes',
    'source',
    'trade_date',
  ],
  factors: ['symbol', 'ts', 'factor', 'value', 'source', 'trade_date'],
  adj_factors: ['symbol', 'trade_date', 'adj_factor', 'source'],
  ingest_ledger: [
    'provider',
    'data_type',
    'symbol',
    'trade_date',
    'status',
    'rows',
    'attempts',
    'error_code',
    'error_message',
    'run_id',
    'updated_at',
  ],
};

type PlainRow = Record<string, unknown>;

/** Creates an empty in-memory store (kind `memory`). */
export function createMemoryStore(): Store {
  // table -> unit slice -> rows rendered as plain column values
  const tables = new Map<DataTable, Map<string, PlainRow[]>>();
  const ledger = new Map<string, LedgerEntry>();
  let closed = false;

  const ensureOpen = (signal: AbortSignal | undefined): void => {
    throwIfAborted(signal);
    if (closed) throw new IngestError('STORAGE_FAILED', 'The memory store is closed', { retryable: false });
  };
  const slices = (table: DataTable): Map<string, PlainRow[]> => {
    let m = tables.get(table);
    if (m === undefined) {
      m = new Map();
      tables.set(table, m);
    }
    return m;
  };
  const tableRows = (table: StoreTable): PlainRow[] => {
    if (table === 'ingest_ledger') return [...ledger.values()].map(ledgerRow);
    return [...(tables.get(table)?.values() ?? [])].flat();
  };

  return {
    kind: 'memory',
    live: createMemoryLive({ slices: (t) => slices(t), ensureOpen }),
    async init(params) {
      ensureOpen(params?.signal);
      for (const t of ['ticks', 'bars', 'order_book', 'factors', 'adj_factors'] as const) slices(t);
    },
    async write({ units, signal }) {
      ensureOpen(signal);
      // Check every unit before changing anything, so a refused call writes nothing.
      const scoped = units.map((u: UnitWrite) => scopeUnitRows(u));
      for (const s of scoped) {
        const rowsByTable: Record<DataTable, PlainRow[]> = {
          ticks: s.ticks.map(tickRow),
          bars: s.bars.map(barRow),
          order_book: s.books.map(bookRow),
          factors: s.factors.map(factorRow),
          adj_factors: s.adjFactors.map(adjFactorRow),
        };
        for (const table of s.scope.tables) {
          const key = sliceKey(s.scope, table);
          const rows = rowsByTable[table];
          if (rows.length === 0) slices(table).delete(key);
          else slices(table).set(key, rows);
        }
      }
    },
    async writeLedger({ entries, signal }) {
      ensureOpen(signal);
      for (const e of entries) ledger.set(unitKeyString(e), { ...e });
    },
    async readLedger(params) {
      ensureOpen(params?.signal);
      const f = params?.filter ?? {};
      // The planner reads in batches of up to 2,000 symbols: look them up in a set.
      const symbols = f.symbols ? new Set(f.symbols) : undefined;
      return [...ledger.values()]
        .filter(
          (e) => (!symbols || symbols.has(e.symbol)) && matchesLedgerFilter(e, { ...f, symbols: undefined }),
        )
        .sort(compareLedgerEntries)
        .map((e) => ({ ...e }));
    },
    async query({ sql, signal }) {
      ensureOpen(signal);
      if (!isReadOnlySql(sql)) {
        throw new IngestError('USAGE', `Refused a statement that is not a read: query() is read-only`, {
          context: { sql },
        });
      }
      return runMemoryQuery(sql, (table) => tableRows(table));
    },
    async close() {
      closed = true;
      tables.clear();
      ledger.clear();
    },
  };
}

/** True when a ledger entry passes every given field of the filter. */
export function matchesLedgerFilter(e: LedgerEntry, f: LedgerFilter): boolean {
  return (
    (f.provider === undefined || e.provider === f.provider) &&
    (f.dataTypes === undefined || f.dataTypes.includes(e.dataType)) &&
    (f.symbols === undefined || f.symbols.includes(e.symbol)) &&
    (f.startDate === undefined || e.tradeDate >= f.startDate) &&
    (f.endDate === undefined || e.tradeDate <= f.endDate) &&
    (f.statuses === undefined || f.statuses.includes(e.status)) &&
    (f.runId === undefined || e.runId === f.runId)
  );
}

/** The order `readLedger` returns entries in: provider, data type, symbol, trade date. */
export function compareLedgerEntries(a: LedgerEntry, b: LedgerEntry): number {
  const ka = [a.provider, a.dataType, a.symbol, a.tradeDate];
  const kb = [b.provider, b.dataType, b.symbol, b.tradeDate];
  for (let i = 0; i < ka.length; i++) {
    const x = ka[i] as string;
    const y = kb[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const tickRow = (t: Tick): PlainRow => tickColumns(t, iso);
const barRow = (b: Bar): PlainRow => barColumns(b, iso);
const bookRow = (b: BookSnapshot): PlainRow => bookColumns(b, iso);
const factorRow = (f: FactorValue): PlainRow => factorColumns(f, iso);
const adjFactorRow = (a: AdjFactor): PlainRow => adjFactorColumns(a);

function ledgerRow(e: LedgerEntry): PlainRow {
  return {
    provider: e.provider,
    data_type: e.dataType,
    symbol: e.symbol,
    trade_date: e.tradeDate,
    status: e.status,
    rows: e.rows,
    attempts: e.attempts,
    error_code: e.errorCode,
    error_message: e.errorMessage,
    run_id: e.runId,
    updated_at: iso(e.updatedAt),
  };
}

const SELECT_SQL =
  /^\s*select\s+(?<cols>.+?)\s+from\s+(?<table>[a-z_][a-z0-9_]*)(?<final>\s+final)?(?:\s+where\s+(?<where>.+?))?(?:\s+order\s+by\s+(?<order>.+?))?(?:\s+limit\s+(?<limit>\d+))?\s*;?\s*$/is;
const COUNT_COL = /^count\(\s*\*\s*\)(?:\s+as\s+(?<alias>[a-z_][a-z0-9_]*))?$/i;
const CONDITION =
  /\s*(?<col>[a-z_][a-z0-9_]*)\s*=\s*(?<lit>'(?:[^']|'')*'|-?\d+(?:\.\d+)?)\s*(?<and>and\b|$)/iy;

/** Runs the supported SQL subset (see the module doc) over `rowsOf(table)`. */
function runMemoryQuery(sql: string, rowsOf: (table: StoreTable) => PlainRow[]): QueryResult {
  const m = SELECT_SQL.exec(sql);
  const g = m?.groups;
  if (g === undefined)
    throw unsupported(sql, 'expected SELECT ... FROM <table> [WHERE ...] [ORDER BY ...] [LIMIT n]');
  const table = (g.table ?? '').toLowerCase();
  if (!(table in MEMORY_TABLE_COLUMNS)) {
    throw new IngestError(
      'USAGE',
      `Unknown table "${table}"; tables: ${Object.keys(MEMORY_TABLE_COLUMNS).join(', ')}`,
    );
  }
  const allColumns = MEMORY_TABLE_COLUMNS[table as StoreTable];
  let rows = rowsOf(table as StoreTable);

  if (g.where !== undefined) {
    const conditions = parseWhere(g.where, sql);
    for (const c of conditions) checkColumn(c.col, allColumns);
    rows = rows.filter((r) => conditions.every((c) => r[c.col] === c.value));
  }

  const cols = (g.cols ?? '').trim();
  const count = COUNT_COL.exec(cols);
  if (count !== null) {
    return { columns: [count.groups?.alias ?? 'count_star()'], rows: [[rows.length]] };
  }

  if (g.order !== undefined) {
    const keys = g.order.split(',').map((part) => {
      const km = /^\s*([a-z_][a-z0-9_]*)(?:\s+(asc|desc))?\s*$/i.exec(part);
      if (km === null) throw unsupported(sql, `cannot read ORDER BY term "${part.trim()}"`);
      const col = (km[1] as string).toLowerCase();
      checkColumn(col, allColumns);
      return { col, dir: (km[2] ?? 'asc').toLowerCase() === 'desc' ? -1 : 1 };
    });
    rows = [...rows].sort((a, b) => {
      for (const k of keys) {
        const c = compareValues(a[k.col], b[k.col]);
        if (c !== 0) return c * k.dir;
      }
      return 0;
    });
  }
  if (g.limit !== undefined) rows = rows.slice(0, Number(g.limit));

  const columns =
    cols === '*'
      ? [...allColumns]
      : cols.split(',').map((c) => {
          const name = c.trim().toLowerCase();
          checkColumn(name, allColumns);
          return name;
        });
  return { columns, rows: rows.map((r) => columns.map((c) => r[c] ?? null)) };
}

function parseWhere(where: string, sql: string): { col: string; value: string | number }[] {
  const out: { col: string; value: string | number }[] = [];
  CONDITION.lastIndex = 0;
  while (CONDITION.lastIndex < where.length) {
    const c = CONDITION.exec(where);
    if (c?.groups === undefined)
      throw unsupported(sql, `cannot read WHERE "${where}" (only col = literal [AND ...])`);
    const lit = c.groups.lit as string;
    out.push({
      col: (c.groups.col as string).toLowerCase(),
      value: lit.startsWith("'") ? lit.slice(1, -1).replaceAll("''", "'") : Number(lit),
    });
    if (c.groups.and === '') break;
  }
  return out;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

function checkColumn(col: string, columns: readonly string[]): void {
  if (!columns.includes(col)) {
    throw new IngestError('USAGE', `Unknown column "${col}"; columns: ${columns.join(', ')}`);
  }
}

function unsupported(sql: string, why: string): IngestError {
  return new IngestError('USAGE', `The memory store cannot run this SQL: ${why}`, { context: { sql } });
}
