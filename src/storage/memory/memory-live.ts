/**
 * The live-collection part of `MemoryStore` (see `live-store.ts`): books and ticks go into the
 * store's own table slices (so `query()` sees them), the quote state and coverage into maps.
 */
import type { BookSnapshot, Side, Tick } from '../../domain/rows.js';
import type { Ticker } from '../../domain/ticker.js';
import { bookColumns, tickColumns } from '../table-columns.js';
import type { CoverageRow, LiveLastState, LiveQuoteRow, LiveStore } from '../live-store.js';
import { throwIfAborted } from '../../errors.js';

type PlainRow = Record<string, unknown>;

/** What the memory live store needs of its memory store. */
export interface MemoryLiveDeps {
  /** The slice map of a table (slice key `source|symbol|tradeDate` → rows). */
  slices(table: 'ticks' | 'order_book'): Map<string, PlainRow[]>;
  /** Throws when the store is closed or the signal aborted. */
  ensureOpen(signal: AbortSignal | undefined): void;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Creates the live part over a memory store's slices. */
export function createMemoryLive(deps: MemoryLiveDeps): LiveStore {
  const quotes = new Map<string, LiveQuoteRow[]>();
  const coverage = new Map<string, CoverageRow>();
  const sliceOf = (r: { source: string; symbol: string; tradeDate: string }): string =>
    `${r.source}|${r.symbol}|${r.tradeDate}`;

  const appendRows = (
    table: 'ticks' | 'order_book',
    key: string,
    rows: PlainRow[],
    id: (r: PlainRow) => string,
  ) => {
    const slices = deps.slices(table);
    const have = slices.get(key) ?? [];
    const lastTs = have.length > 0 ? String(have[have.length - 1]?.ts) : '';
    if (rows.every((r, i) => String(r.ts) > (i === 0 ? lastTs : String(rows[i - 1]?.ts)))) {
      // The usual case: later than everything stored, nothing to replace.
      have.push(...rows);
      slices.set(key, have);
      return;
    }
    const ids = new Set(rows.map(id));
    const kept = have.filter((r) => !ids.has(id(r)));
    slices.set(
      key,
      [...kept, ...rows].sort((a, b) =>
        String(a.ts) < String(b.ts) ? -1 : String(a.ts) > String(b.ts) ? 1 : 0,
      ),
    );
  };
  const group = <T extends { source: string; symbol: string; tradeDate: string }>(rows: readonly T[]) => {
    const m = new Map<string, T[]>();
    for (const r of rows) m.set(sliceOf(r), [...(m.get(sliceOf(r)) ?? []), r]);
    return m;
  };

  return {
    async append({ batch, signal }) {
      deps.ensureOpen(signal);
      for (const [key, rows] of group(batch.books)) {
        appendRows(
          'order_book',
          key,
          rows.map((b) => bookColumns(b, iso)),
          (r) => String(r.ts),
        );
      }
      for (const [key, rows] of group(batch.ticks)) {
        appendRows(
          'ticks',
          key,
          rows.map((t) => tickColumns(t, iso)),
          (r) => `${String(r.ts)}|${String(r.seq)}`,
        );
      }
      for (const [key, rows] of group(batch.quotes)) {
        const ids = new Set(rows.map((r) => r.ts));
        const kept = (quotes.get(key) ?? []).filter((r) => !ids.has(r.ts));
        quotes.set(
          key,
          [...kept, ...rows.map((r) => ({ ...r }))].sort((a, b) => a.ts - b.ts),
        );
      }
      for (const c of batch.coverage) coverage.set(sliceOf(c), { ...c });
    },
    async lastState({ source, tradeDate, signal }) {
      deps.ensureOpen(signal);
      const out = new Map<Ticker, LiveLastState>();
      for (const [key, rows] of quotes) {
        const last = rows[rows.length - 1];
        if (last === undefined || last.source !== source || last.tradeDate !== tradeDate) continue;
        const books = deps.slices('order_book').get(key) ?? [];
        const book = books.map(bookOf).find((b) => b.ts === last.ts);
        out.set(last.symbol, { quote: { ...last }, book });
      }
      return out;
    },
    async dayRows({ source, symbol, tradeDate, signal }) {
      deps.ensureOpen(signal);
      const key = `${source}|${symbol}|${tradeDate}`;
      return {
        ticks: (deps.slices('ticks').get(key) ?? []).map(tickOf),
        books: (deps.slices('order_book').get(key) ?? []).map(bookOf),
      };
    },
    async coverage(params) {
      throwIfAborted(params.signal);
      deps.ensureOpen(params.signal);
      return [...coverage.values()]
        .filter(
          (c) =>
            (params.source === undefined || c.source === params.source) &&
            (params.startDate === undefined || c.tradeDate >= params.startDate) &&
            (params.endDate === undefined || c.tradeDate <= params.endDate) &&
            (params.symbols === undefined || params.symbols.includes(c.symbol)),
        )
        .sort((a, b) => (a.tradeDate + a.symbol < b.tradeDate + b.symbol ? -1 : 1))
        .map((c) => ({ ...c }));
    },
  };
}

function tickOf(r: PlainRow): Tick {
  return {
    symbol: r.symbol as string,
    ts: Date.parse(r.ts as string),
    seq: r.seq as number,
    price: r.price as number,
    volume: r.volume as number,
    amount: r.amount as number,
    side: r.side as Side,
    source: r.source as string,
    tradeDate: r.trade_date as string,
  };
}

function bookOf(r: PlainRow): BookSnapshot {
  return {
    symbol: r.symbol as string,
    ts: Date.parse(r.ts as string),
    bidPrices: [...(r.bid_prices as number[])],
    bidVolumes: [...(r.bid_volumes as number[])],
    askPrices: [...(r.ask_prices as number[])],
    askVolumes: [...(r.ask_volumes as number[])],
    source: r.source as string,
    tradeDate: r.trade_date as string,
  };
}
