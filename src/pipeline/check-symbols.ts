/**
 * Per-symbol isolation at planning time: explicitly requested symbols that the providers do not
 * know fail alone (class `not_found`) instead of failing the run or being recorded `empty`.
 * The run goes on for the others; the unknown ones get failed ledger entries with the reason.
 */
import { tradingDaysBetween } from '../domain/calendar.js';
import type { DateRange } from '../domain/dates.js';
import type { Ticker } from '../domain/ticker.js';
import { toErrorData, toIngestError, type ErrorData } from '../errors.js';
import { classifyFailure } from '../limits/retry-policy.js';
import type { Provider } from '../providers/provider.js';

/**
 * Symbols none of `providers` knows. A symbol counts as unknown only when every provider that
 * may serve it can check (`checkSymbols`) and each says it does not know it: a provider that
 * cannot list its universe (Yahoo) leaves the verdict to its fetch.
 */
export async function findUnknownSymbols(params: {
  symbols: readonly Ticker[];
  providers: readonly Provider[];
  signal: AbortSignal;
  /** Runs a provider call under the planning retry policy. */
  call<T>(provider: Provider, fn: () => Promise<T>): Promise<T>;
  redact(text: string): string;
}): Promise<Map<Ticker, ErrorData>> {
  const unknown = new Map<Ticker, ErrorData>();
  if (params.symbols.length === 0 || params.providers.length === 0) return unknown;
  if (params.providers.some((p) => !p.checkSymbols)) return unknown;
  const verdicts = [];
  for (const p of params.providers) {
    const check = (p.checkSymbols as NonNullable<Provider['checkSymbols']>).bind(p);
    verdicts.push(await params.call(p, () => check({ symbols: params.symbols, signal: params.signal })));
  }
  for (const symbol of params.symbols) {
    const errors = verdicts.map((v) => v.get(symbol));
    if (errors.every((e) => e !== undefined)) {
      const data = toErrorData(errors[0]);
      unknown.set(symbol, { ...data, message: params.redact(data.message) });
    }
  }
  return unknown;
}

/**
 * The trading days of one symbol, or — when the provider answers that the symbol does not
 * exist — the A-share calendar, with the symbol added to `unknown` (its units then fail alone).
 */
export async function tradingDaysOrUnknown(params: {
  symbol: Ticker;
  range: DateRange;
  unknown: Map<Ticker, ErrorData>;
  fetch(): Promise<readonly string[]>;
  redact(text: string): string;
}): Promise<readonly string[]> {
  if (params.unknown.has(params.symbol)) return tradingDaysBetween(params.range);
  try {
    return await params.fetch();
  } catch (e) {
    const error = toIngestError(e);
    if (classifyFailure(error) !== 'not_found') throw e;
    const data = toErrorData(error);
    params.unknown.set(params.symbol, { ...data, message: params.redact(data.message) });
    return tradingDaysBetween(params.range);
  }
}
