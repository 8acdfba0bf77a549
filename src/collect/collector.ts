/**
 * The live collector behind `tickpipe collect`: sleeps until a polling window of the exchange
 * calendar opens (see `trading-sessions.ts`), polls the quote source on a fixed cadence aligned to
 * the window's start, turns quotes into rows (`snapshot-tracker.ts`), appends them to the store,
 * polls once more right after the window's end, and at the day's close computes the day's factors
 * and records the day in the ledger.
 *
 * Failure handling, as in `run`: a bad credential (`PROVIDER_AUTH`) or missing permission ends the
 * collection with that error; a rate-limit answer slows the shared gate and the tick is skipped;
 * any other provider failure skips the tick (the cadence goes on; the missing observations show
 * as coverage gaps). A store failure keeps the rows pending and writes them at the next tick.
 * Aborting the signal ends the collection after writing what is pending.
 */
import { priceLimits } from '../domain/price-limits.js';
import { isAShare, type Ticker } from '../domain/ticker.js';
import type { FactorValue } from '../domain/rows.js';
import type { FactorInput } from '../factors/compute-factors.js';
import { IngestError, toIngestError } from '../errors.js';
import type { LedgerEntry } from '../ledger/ledger-entry.js';
import type { Clock } from '../limits/clock.js';
import type { RequestGate } from '../limits/request-gate.js';
import { classifyFailure } from '../limits/retry-policy.js';
import type { Store } from '../storage/store.js';
import { liveBatchSize, type LiveBatch, type LiveStore } from '../storage/live-store.js';
import type { QuoteSource, QuoteTarget } from './quote-source.js';
import { createSnapshotTracker, type SnapshotTracker } from './snapshot-tracker.js';
import { currentOrNextWindow, type CollectWindow } from './trading-sessions.js';

/** What the collector reports (the CLI prints them). */
export type CollectEvent =
  | { type: 'collect:sleeping'; untilMs: number; next: CollectWindow }
  | { type: 'collect:window-open'; window: CollectWindow; restoredSymbols: number }
  | {
      type: 'collect:polled';
      atMs: number;
      quotes: number;
      stored: number;
      trades: number;
      stale: number;
      requests: number;
      closing: boolean;
    }
  | { type: 'collect:poll-failed'; atMs: number; code: string; message: string; rateLimited: boolean }
  | { type: 'collect:store-failed'; atMs: number; pendingRows: number; message: string }
  | { type: 'collect:store-recovered'; atMs: number; rows: number }
  | { type: 'collect:volume-fell'; symbol: Ticker; atMs: number }
  | { type: 'collect:day-closed'; tradeDate: string; symbols: number; factors: number; failed: number };

/** Why the collector stopped. */
export type CollectStopReason = 'until' | 'sessions' | 'aborted';

/** Parameters of {@link createCollector}. */
export interface CollectorParams {
  source: QuoteSource;
  target: QuoteTarget;
  store: Store;
  clock: Clock;
  /** The gate the source's requests pass (rate-limit feedback goes there). */
  gate: RequestGate;
  intervalMs: number;
  /** Stop at this instant (exit 0). */
  untilMs?: number;
  /** Stop after this many trading days' sessions have closed. */
  sessions?: number;
  /** Delay of the closing poll after a window's end, ms (default 1 000). */
  closingPollDelayMs?: number;
  /** Run id written into ledger entries. */
  runId: string;
  computeFactors(input: FactorInput): FactorValue[];
  onEvent?(event: CollectEvent): void;
}

/** Result of {@link Collector.run}. */
export interface CollectResult {
  reason: CollectStopReason;
  polls: number;
  failedPolls: number;
  /** Rows still unwritten when the collector stopped (store down at the end). */
  pendingRows: number;
}

/** The collector. */
export interface Collector {
  run(signal: AbortSignal): Promise<CollectResult>;
}

const DEFAULT_CLOSING_DELAY_MS = 1_000;
/** Coverage rows are upserted at most this often (and at every window's end). */
const COVERAGE_EVERY_MS = 60_000;

/** Builds a collector. Throws `USAGE` when the store has no live-collection support. */
export function createCollector(p: CollectorParams): Collector {
  const live = p.store.live;
  if (live === undefined) {
    throw new IngestError(
      'USAGE',
      `tickpipe collect cannot write to the ${p.store.kind} store yet; use storage.backend duckdb`,
    );
  }
  const liveStore: LiveStore = live;
  const emit = (e: CollectEvent): void => p.onEvent?.(e);
  const closingDelayMs = p.closingPollDelayMs ?? DEFAULT_CLOSING_DELAY_MS;
  let tracker: SnapshotTracker | undefined;
  let pending: LiveBatch = emptyBatch();
  let storeDown = false;
  let lastCoverageAt = -Infinity;
  let polls = 0;
  let failedPolls = 0;

  const openDay = async (window: CollectWindow, signal: AbortSignal): Promise<number> => {
    if (tracker?.tradeDate === window.tradeDate) return 0;
    await flush(signal, true);
    tracker = createSnapshotTracker({
      source: p.source.name,
      tradeDate: window.tradeDate,
      intervalMs: p.intervalMs,
    });
    // A restart continues the day: the last stored snapshot is the baseline.
    for (;;) {
      try {
        const last = await liveStore.lastState({
          source: p.source.name,
          tradeDate: window.tradeDate,
          signal,
        });
        const coverage = await liveStore.coverage({
          source: p.source.name,
          startDate: window.tradeDate,
          endDate: window.tradeDate,
          signal,
        });
        tracker.restore(last, coverage);
        return last.size;
      } catch (e) {
        const error = toIngestError(e);
        if (error.code === 'ABORTED' || signal.aborted) throw error;
        if (error.code !== 'STORAGE_FAILED') throw error;
        // Without the stored baseline the day's trades could be counted twice: wait for the store.
        emit({ type: 'collect:store-failed', atMs: p.clock.now(), pendingRows: 0, message: error.message });
        await p.clock.sleep(p.intervalMs, signal);
      }
    }
  };

  /** Writes pending rows; on a store failure keeps them for the next try. */
  const flush = async (signal: AbortSignal, withCoverage: boolean): Promise<void> => {
    const now = p.clock.now();
    if (tracker !== undefined && (withCoverage || now - lastCoverageAt >= COVERAGE_EVERY_MS)) {
      pending.coverage = tracker.coverageRows(now);
    }
    if (liveBatchSize(pending) === 0) return;
    const batch = pending;
    try {
      await liveStore.append({ batch, signal });
      if (batch.coverage.length > 0) lastCoverageAt = now;
      pending = emptyBatch();
      if (storeDown) {
        storeDown = false;
        emit({ type: 'collect:store-recovered', atMs: now, rows: liveBatchSize(batch) });
      }
    } catch (e) {
      const error = toIngestError(e);
      if (error.code === 'ABORTED' || signal.aborted) throw error;
      if (error.code !== 'STORAGE_FAILED') throw error;
      storeDown = true;
      emit({
        type: 'collect:store-failed',
        atMs: now,
        pendingRows: liveBatchSize(batch),
        message: error.message,
      });
    }
  };

  const poll = async (window: CollectWindow, closing: boolean, signal: AbortSignal): Promise<void> => {
    const t = tracker;
    if (t === undefined) throw new IngestError('INTERNAL', 'poll before the day was opened');
    polls++;
    let snapshot;
    try {
      snapshot = await p.source.snapshot({ target: p.target, signal });
    } catch (e) {
      const error = toIngestError(e);
      if (error.code === 'ABORTED' || signal.aborted) throw error;
      const cls = classifyFailure(error);
      if (cls === 'auth' || cls === 'permission' || cls === 'quota' || cls === 'internal') throw error;
      failedPolls++;
      const rateLimited = cls === 'rate_limited';
      if (rateLimited) {
        await p.gate.onRateLimited({
          provider: p.source.name,
          endpoint: typeof error.context.endpoint === 'string' ? error.context.endpoint : 'unknown',
          ...(typeof error.context.keyIndex === 'number' ? { keyIndex: error.context.keyIndex } : {}),
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
          ...(typeof error.context.statedLimitPerMinute === 'number'
            ? { statedLimitPerMinute: error.context.statedLimitPerMinute }
            : {}),
        });
      }
      emit({
        type: 'collect:poll-failed',
        atMs: p.clock.now(),
        code: error.code,
        message: error.message,
        rateLimited,
      });
      await flush(signal, false);
      return;
    }
    // A closing poll that answers after the window's end observes the window's last state.
    const ts = snapshot.answeredAt;
    let stored = 0;
    let trades = 0;
    let stale = 0;
    for (const q of snapshot.quotes) {
      const o = t.observe(q, ts, window.startMs);
      if (o.stale) stale++;
      if (o.volumeFell) emit({ type: 'collect:volume-fell', symbol: q.symbol, atMs: ts });
      if (o.book !== undefined) {
        pending.books.push(o.book);
        stored++;
      }
      if (o.quote !== undefined) pending.quotes.push(o.quote);
      if (o.tick !== undefined) {
        pending.ticks.push(o.tick);
        trades++;
      }
    }
    emit({
      type: 'collect:polled',
      atMs: ts,
      quotes: snapshot.quotes.length,
      stored,
      trades,
      stale,
      requests: snapshot.requests,
      closing,
    });
    await flush(signal, closing);
  };

  /** The day's factors from what was collected, and its ledger entries. */
  const closeDay = async (tradeDate: string, signal: AbortSignal): Promise<void> => {
    const t = tracker;
    if (t === undefined) return;
    // Factors need every row of the day in the store.
    while (liveBatchSize(pending) > 0) {
      await flush(signal, true);
      if (liveBatchSize(pending) > 0) await p.clock.sleep(p.intervalMs, signal);
    }
    let factorsTotal = 0;
    let failed = 0;
    const entries: LedgerEntry[] = [];
    const now = p.clock.now();
    for (const { symbol, preClose } of t.symbols()) {
      try {
        const { ticks, books } = await liveStore.dayRows({
          source: p.source.name,
          symbol,
          tradeDate,
          signal,
        });
        const limits = preClose !== null && isAShare(symbol) ? priceLimits(symbol, preClose) : undefined;
        const factors = p.computeFactors({
          symbol,
          tradeDate,
          source: p.source.name,
          ticks,
          books,
          ...(preClose !== null ? { prevClose: preClose } : {}),
          ...(limits ?? {}),
        });
        const unit = { provider: p.source.name, dataType: 'factors' as const, symbol, tradeDate };
        await p.store.write({ units: [{ unit, rows: { factors } }], signal });
        factorsTotal += factors.length;
        const entry = (dataType: LedgerEntry['dataType'], rows: number): LedgerEntry => ({
          provider: p.source.name,
          dataType,
          symbol,
          tradeDate,
          status: rows > 0 ? 'ok' : 'empty',
          rows,
          attempts: 1,
          errorCode: null,
          errorMessage: null,
          runId: p.runId,
          updatedAt: now,
        });
        entries.push(
          entry('order_book', books.length),
          entry('ticks', ticks.length),
          entry('factors', factors.length),
        );
      } catch (e) {
        const error = toIngestError(e);
        if (error.code === 'ABORTED' || signal.aborted) throw error;
        failed++;
      }
    }
    if (entries.length > 0) await p.store.writeLedger({ entries, signal });
    emit({
      type: 'collect:day-closed',
      tradeDate,
      symbols: t.symbols().length,
      factors: factorsTotal,
      failed,
    });
  };

  /** Sleeps until `atMs` or the stop time; false when the stop time comes first (`--until` is exclusive). */
  const sleepUntil = async (atMs: number, signal: AbortSignal): Promise<boolean> => {
    const stopAt = p.untilMs ?? Infinity;
    const wake = Math.min(atMs, stopAt);
    await p.clock.sleep(wake - p.clock.now(), signal);
    return atMs < stopAt;
  };

  const run = async (signal: AbortSignal): Promise<CollectResult> => {
    let sessionsDone = 0;
    const result = (reason: CollectStopReason): CollectResult => ({
      reason,
      polls,
      failedPolls,
      pendingRows: liveBatchSize(pending),
    });
    try {
      for (;;) {
        const now = p.clock.now();
        if (p.untilMs !== undefined && now >= p.untilMs) return result('until');
        const window = currentOrNextWindow(now);
        if (now < window.startMs) {
          emit({ type: 'collect:sleeping', untilMs: window.startMs, next: window });
          if (!(await sleepUntil(window.startMs, signal))) return result('until');
          continue;
        }
        const restored = await openDay(window, signal);
        emit({ type: 'collect:window-open', window, restoredSymbols: restored });
        // Ticks sit on the grid start + k × interval; a slow or failed poll skips to the next.
        let lastTick = -Infinity;
        for (;;) {
          const elapsed = Math.max(0, p.clock.now() - window.startMs);
          const onGrid = window.startMs + Math.ceil(elapsed / p.intervalMs) * p.intervalMs;
          const tickAt = Math.max(onGrid, lastTick + p.intervalMs);
          if (tickAt >= window.endMs) break;
          if (!(await sleepUntil(tickAt, signal))) return result('until');
          lastTick = tickAt;
          await poll(window, false, signal);
        }
        if (!(await sleepUntil(window.endMs + closingDelayMs, signal))) return result('until');
        await poll(window, true, signal);
        await flush(signal, true);
        if (window.closesDay) {
          await closeDay(window.tradeDate, signal);
          sessionsDone++;
          if (p.sessions !== undefined && sessionsDone >= p.sessions) return result('sessions');
        }
      }
    } catch (e) {
      const error = toIngestError(e);
      if (error.code !== 'ABORTED' || !signal.aborted) throw error;
      // Stopped: keep what was collected (one last try, without the aborted signal).
      await flush(new AbortController().signal, true).catch(() => undefined);
      return result('aborted');
    } finally {
      if (!signal.aborted) await flush(new AbortController().signal, true).catch(() => undefined);
    }
  };

  return { run };
}

function emptyBatch(): LiveBatch {
  return { books: [], ticks: [], quotes: [], coverage: [] };
}
