import type { RequestedDataType } from '../domain/data-type.js';
import type { DateRange } from '../domain/dates.js';
import type { Ticker } from '../domain/ticker.js';
import type { ResolvedRouting } from './routing.js';

/** What one `tickpipe run` asks for, after flags and config are merged. */
export interface RunOptions {
  /** Explicit tickers, or `ALL` for the routed provider's universe. */
  symbols: readonly Ticker[] | 'ALL';
  range: DateRange;
  requested: readonly RequestedDataType[];
  /** Providers per requested type, resolved once (`resolveRouting`) for `requested`. */
  routing: ResolvedRouting;
  workers: number | 'auto';
  maxWorkers: number;
  /** Skip units the ledger has done (default true). */
  resume: boolean;
  includeDelisted: boolean;
  /** Symbols processed first, in order. */
  priority: readonly Ticker[];
  /** Restrict the run to these unit keys (retry-failed). */
  onlyUnits?: ReadonlySet<string>;
  /** Run id to record in the ledger (default: generated). */
  runId?: string;
}
