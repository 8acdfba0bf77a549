/**
 * Ledger entries: one row per unit (provider, data type, symbol, trade date) in the
 * `ingest_ledger` table. The latest write for a unit wins. The pipeline writes an entry only
 * after the store write of that unit's rows has resolved.
 */
import type { ConcreteDataType } from '../domain/data-type.js';
import type { Ticker } from '../domain/ticker.js';

/**
 * Outcome of a unit. `ok` and `empty` count as done and are skipped on resume. `rewriting` marks
 * a done unit whose rows are being replaced (`--no-resume`): on ClickHouse the old rows are
 * deleted before the new ones are inserted, so a crash in between must not leave an `ok` entry
 * over missing rows.
 */
export const UNIT_STATUSES = ['ok', 'empty', 'failed', 'unsupported', 'rewriting'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];

/** Identity of a unit of work. */
export interface UnitKey {
  provider: string;
  dataType: ConcreteDataType;
  symbol: Ticker;
  /** Exchange-local trade date `YYYY-MM-DD`. */
  tradeDate: string;
}

/** One ledger row. */
export interface LedgerEntry extends UnitKey {
  status: UnitStatus;
  /** Rows written for the unit (0 for empty/failed). */
  rows: number;
  /** Fetch attempts spent, including the successful one. */
  attempts: number;
  /** `IngestError` code when failed/unsupported, else null. */
  errorCode: string | null;
  /**
   * Human-readable reason when failed/unsupported, or for an `empty` unit recorded without a
   * call ("not listed (listed 2025-03-03)"); else null. Never contains secrets.
   */
  errorMessage: string | null;
  /** Run that wrote the entry. */
  runId: string;
  /** When the entry was written, UTC epoch ms. */
  updatedAt: number;
  /**
   * Orders entries of the same unit (highest wins) where a store keeps versions (ClickHouse).
   * Distributed workers set it from a Redis-issued fencing token, so a stale worker's late write
   * never beats a newer outcome; when absent the store issues its own.
   */
  version?: number;
}

/** Stable string key of a unit, for maps and sets. */
export function unitKeyString(u: UnitKey): string {
  return `${u.provider}|${u.dataType}|${u.symbol}|${u.tradeDate}`;
}

/** True for statuses that resume skips. */
export function isDone(status: UnitStatus): boolean {
  return status === 'ok' || status === 'empty';
}
