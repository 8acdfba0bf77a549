/**
 * Turns the quotes of successive polls into rows, per symbol, for one trade date (pure; no I/O):
 *
 * - a snapshot identical to the symbol's last stored one (book, last price, cumulative volume and
 *   amount, last-trade time) is not stored again;
 * - a rise of the cumulative volume between two stored snapshots becomes one `ticks` row: that
 *   volume and amount at the last price, stamped at the later snapshot, side by the tick rule
 *   (up-tick buy, down-tick sell, zero-tick repeats the previous side); `seq` is the cumulative
 *   volume after the trade, so the same snapshot always yields the same row identity;
 * - the day's first snapshot (or, after a restart, the last stored one) is the baseline and yields
 *   no trade; a fall of the cumulative volume (a provider correction) yields none either and
 *   becomes the new baseline, so volume is never zero, negative or counted twice;
 * - a quote of another session (before the opening auction Tushare still serves the previous one)
 *   is dropped;
 * - coverage per symbol: first/last observation, polls, stored snapshots, and gaps longer than 3
 *   intervals inside a polling window.
 */
import type { BookSnapshot, Side, Tick } from '../domain/rows.js';
import type { Ticker } from '../domain/ticker.js';
import type { CoverageRow, LiveLastState, LiveQuoteRow } from '../storage/live-store.js';
import type { RealtimeQuote } from './quote-source.js';

/** Gaps longer than this many intervals are recorded. */
export const GAP_INTERVALS = 3;

/** What one observation produced. */
export interface Observation {
  /** Rows to store (absent when the snapshot was unchanged or stale). */
  book?: BookSnapshot;
  quote?: LiveQuoteRow;
  tick?: Tick;
  /** The quote belonged to another session and was dropped. */
  stale?: boolean;
  /** The cumulative volume fell (no trade; new baseline). */
  volumeFell?: boolean;
}

interface SymbolState {
  last: LiveQuoteRow | undefined;
  fingerprint: string | undefined;
  preClose: number | null;
  coverage: CoverageRow | undefined;
}

/** Parameters of {@link createSnapshotTracker}. */
export interface SnapshotTrackerParams {
  source: string;
  tradeDate: string;
  intervalMs: number;
}

/** Per-symbol state of one trade date. */
export interface SnapshotTracker {
  readonly tradeDate: string;
  /** Continues from stored state (a restart): last snapshots and coverage rows of the day. */
  restore(last: ReadonlyMap<Ticker, LiveLastState>, coverage: readonly CoverageRow[]): void;
  /**
   * One quote observed by a poll answered at `ts` inside the window starting at `windowStartMs`.
   */
  observe(quote: RealtimeQuote, ts: number, windowStartMs: number): Observation;
  /** Coverage rows of every symbol observed so far, stamped `updatedAt`. */
  coverageRows(updatedAt: number): CoverageRow[];
  /** Symbols observed (or restored) today, with the previous close when known. */
  symbols(): { symbol: Ticker; preClose: number | null }[];
}

/** Creates a tracker for one trade date. */
export function createSnapshotTracker(params: SnapshotTrackerParams): SnapshotTracker {
  const { source, tradeDate, intervalMs } = params;
  const states = new Map<Ticker, SymbolState>();
  const stateOf = (symbol: Ticker): SymbolState => {
    let s = states.get(symbol);
    if (s === undefined) {
      s = { last: undefined, fingerprint: undefined, preClose: null, coverage: undefined };
      states.set(symbol, s);
    }
    return s;
  };

  return {
    tradeDate,
    restore(last, coverage) {
      for (const [symbol, st] of last) {
        const s = stateOf(symbol);
        s.last = st.quote;
        s.fingerprint = st.book === undefined ? undefined : fingerprintOf(st.quote, st.book);
      }
      for (const c of coverage) stateOf(c.symbol).coverage = { ...c, intervalMs };
    },

    observe(q, ts, windowStartMs) {
      if (q.sessionDate !== null && q.sessionDate !== tradeDate) return { stale: true };
      const s = stateOf(q.symbol);
      if (q.preClose !== null) s.preClose = q.preClose;
      noteCoverage(s, q.symbol, ts, windowStartMs);

      const book: BookSnapshot = {
        symbol: q.symbol,
        ts,
        bidPrices: q.bidPrices,
        bidVolumes: q.bidVolumes,
        askPrices: q.askPrices,
        askVolumes: q.askVolumes,
        source,
        tradeDate,
      };
      const base = s.last;
      const price = Number.isFinite(q.price) ? q.price : 0;
      const cumAmount = q.cumAmount ?? estimateAmount(base, q.cumVolume, price);
      const draft: LiveQuoteRow = {
        source,
        symbol: q.symbol,
        ts,
        tradeDate,
        lastTradeTs: q.lastTradeTs,
        price,
        cumVolume: q.cumVolume,
        cumAmount,
        tradePrice: base?.tradePrice ?? null,
        tradeSide: base?.tradeSide ?? null,
      };
      const fingerprint = fingerprintOf(draft, book);
      if (fingerprint === s.fingerprint) return {};

      const out: Observation = {};
      if (base !== undefined) {
        const volume = q.cumVolume - base.cumVolume;
        if (volume > 0) {
          let amount = cumAmount - base.cumAmount;
          if (!(amount > 0)) amount = Math.round(volume * price * 100) / 100;
          const prev = base.tradePrice;
          const side: Side =
            prev === null ? 'N' : price > prev ? 'B' : price < prev ? 'S' : (base.tradeSide ?? 'N');
          out.tick = {
            symbol: q.symbol,
            ts,
            seq: Math.round(q.cumVolume),
            price,
            volume,
            amount,
            side,
            source,
            tradeDate,
          };
          draft.tradePrice = price;
          draft.tradeSide = side;
        } else if (volume < 0) {
          out.volumeFell = true;
        }
      }
      s.last = draft;
      s.fingerprint = fingerprint;
      if (s.coverage !== undefined) s.coverage.snapshots++;
      out.book = book;
      out.quote = draft;
      return out;
    },

    coverageRows(updatedAt) {
      const out: CoverageRow[] = [];
      for (const s of states.values()) if (s.coverage !== undefined) out.push({ ...s.coverage, updatedAt });
      return out;
    },

    symbols() {
      return [...states].map(([symbol, s]) => ({ symbol, preClose: s.preClose }));
    },
  };

  function noteCoverage(s: SymbolState, symbol: Ticker, ts: number, windowStartMs: number): void {
    const c = s.coverage;
    if (c === undefined) {
      const gap = ts - windowStartMs;
      const isGap = gap > GAP_INTERVALS * intervalMs;
      s.coverage = {
        source,
        symbol,
        tradeDate,
        firstTs: ts,
        lastTs: ts,
        polls: 1,
        snapshots: 0,
        gaps: isGap ? 1 : 0,
        longestGapMs: isGap ? gap : 0,
        intervalMs,
        updatedAt: ts,
      };
      return;
    }
    if (ts <= c.lastTs) return;
    // A window's first observation is measured from the window's start (the lunch break is no gap).
    const gap = ts - Math.max(c.lastTs, windowStartMs);
    if (gap > GAP_INTERVALS * intervalMs) {
      c.gaps++;
      c.longestGapMs = Math.max(c.longestGapMs, gap);
    }
    c.lastTs = ts;
    c.polls++;
  }
}

/** Without a provider amount: the last one plus the new volume at the last price. */
function estimateAmount(base: LiveQuoteRow | undefined, cumVolume: number, price: number): number {
  if (base === undefined) return Math.round(cumVolume * price * 100) / 100;
  const added = Math.max(0, cumVolume - base.cumVolume);
  return Math.round((base.cumAmount + added * price) * 100) / 100;
}

/** What makes two snapshots identical. */
function fingerprintOf(q: LiveQuoteRow, b: BookSnapshot): string {
  return JSON.stringify([
    q.price,
    q.cumVolume,
    q.cumAmount,
    q.lastTradeTs,
    b.bidPrices,
    b.bidVolumes,
    b.askPrices,
    b.askVolumes,
  ]);
}
