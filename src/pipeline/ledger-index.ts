/**
 * A compact index of which units the ledger has done: per (provider, data type, symbol) one
 * bitset over that symbol's trading days (bit k set = day k is `ok` or `empty`). A ten-year,
 * full-market ledger of three data types fits in a few MB, where one object per unit took
 * ~700 bytes each. The planner fills it from ledger reads in batches of symbols and never keeps
 * the entries themselves.
 */
import type { Ticker } from '../domain/ticker.js';
import { isDone, type LedgerEntry } from '../ledger/ledger-entry.js';

/** A fixed-size bitset over the trading days of one calendar. */
export type DayBits = Uint32Array;

/** Words needed for `n` bits. */
export const wordsFor = (n: number): number => (n + 31) >>> 5;

/** True when bit `k` is set. */
export function hasBit(bits: DayBits, k: number): boolean {
  return ((bits[k >>> 5] as number) & (1 << (k & 31))) !== 0;
}

/** Counts the set bits in `[from, to)`. */
export function countBits(bits: DayBits, from = 0, to = bits.length * 32): number {
  let n = 0;
  for (let k = from; k < to;) {
    const w = k >>> 5;
    if ((k & 31) === 0 && k + 32 <= to) {
      let x = bits[w] as number;
      x -= (x >>> 1) & 0x55555555;
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      n += (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
      k += 32;
    } else {
      if (hasBit(bits, k)) n++;
      k++;
    }
  }
  return n;
}

/** The position of each day in a calendar, memoised per calendar array (A-shares share one). */
const dayPositions = new WeakMap<readonly string[], Map<string, number>>();

/** Index of `day` in `days`, or -1. */
export function dayPosition(days: readonly string[], day: string): number {
  let m = dayPositions.get(days);
  if (!m) {
    m = new Map(days.map((d, k) => [d, k]));
    dayPositions.set(days, m);
  }
  return m.get(day) ?? -1;
}

/** Which units the ledger has done, by provider, data type, symbol and trading day. */
export interface LedgerIndex {
  /**
   * Applies ledger entries. All entries of one unit must come in the same call (the planner
   * reads the ledger per batch of symbols, so they do): the latest `updatedAt` wins, ties go to
   * the later entry, as in `indexLedger`. Entries for days outside the symbol's calendar are ignored.
   */
  add(entries: readonly LedgerEntry[]): void;
  /** The done bits of one (provider, data type, symbol), or `undefined` when none is done. */
  doneBits(provider: string, dataType: string, symbol: Ticker): DayBits | undefined;
  /** True when the ledger has the unit `ok` or `empty`. */
  isDone(unit: { provider: string; dataType: string; symbol: Ticker; tradeDate: string }): boolean;
  /** Symbols with at least one done unit. */
  symbolsWithEntries(): ReadonlySet<Ticker>;
}

/** An empty index over the given per-symbol calendars. */
export function createLedgerIndex(tradingDays: (symbol: Ticker) => readonly string[]): LedgerIndex {
  const bitsByKey = new Map<string, DayBits>();
  const symbols = new Set<Ticker>();
  const keyOf = (provider: string, dataType: string, symbol: Ticker) => `${provider}|${dataType}|${symbol}`;

  return {
    add(entries) {
      // Stable sort by time, then apply in order: the last write of a unit decides.
      const ordered = [...entries].sort((a, b) => a.updatedAt - b.updatedAt);
      for (const e of ordered) {
        const days = tradingDays(e.symbol);
        const k = dayPosition(days, e.tradeDate);
        if (k < 0) continue;
        const key = keyOf(e.provider, e.dataType, e.symbol);
        let bits = bitsByKey.get(key);
        if (isDone(e.status)) {
          if (!bits) bitsByKey.set(key, (bits = new Uint32Array(wordsFor(days.length))));
          bits[k >>> 5] = (bits[k >>> 5] as number) | (1 << (k & 31));
          symbols.add(e.symbol);
        } else if (bits) {
          bits[k >>> 5] = (bits[k >>> 5] as number) & ~(1 << (k & 31));
        }
      }
    },
    doneBits(provider, dataType, symbol) {
      return bitsByKey.get(keyOf(provider, dataType, symbol));
    },
    isDone(unit) {
      const bits = bitsByKey.get(keyOf(unit.provider, unit.dataType, unit.symbol));
      if (!bits) return false;
      const k = dayPosition(tradingDays(unit.symbol), unit.tradeDate);
      return k >= 0 && hasBit(bits, k);
    },
    symbolsWithEntries: () => symbols,
  };
}

/** Reads ledger entries of a batch of symbols (the store's `readLedger` with a symbol filter). */
export type ReadLedgerBatch = (params: {
  symbols: readonly Ticker[];
  signal: AbortSignal;
}) => Promise<readonly LedgerEntry[]>;

/** Ledger rows held at once while indexing (one batch of symbols' entries). */
export const LEDGER_BATCH_UNITS = 100_000;

/**
 * Symbols per ledger read so that one batch holds at most ~{@link LEDGER_BATCH_UNITS} entries:
 * a ten-year, five-type symbol has ~12,000 units, so ~8 symbols a read; a one-day run reads
 * thousands of symbols at once.
 */
export function ledgerBatchSize(unitsPerSymbol: number): number {
  return Math.max(1, Math.min(2_000, Math.floor(LEDGER_BATCH_UNITS / Math.max(1, unitsPerSymbol))));
}

/** Fills `index` from the ledger, reading `symbols` in batches (bounded memory). */
export async function loadLedgerIndex(params: {
  index: LedgerIndex;
  symbols: readonly Ticker[];
  unitsPerSymbol: number;
  read: ReadLedgerBatch;
  signal: AbortSignal;
}): Promise<void> {
  const size = ledgerBatchSize(params.unitsPerSymbol);
  for (let i = 0; i < params.symbols.length; i += size) {
    const batch = params.symbols.slice(i, i + size);
    params.index.add(await params.read({ symbols: batch, signal: params.signal }));
  }
}
