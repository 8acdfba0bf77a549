/**
 * Factor units of a job: the factor library runs over the trades (or 1-minute bars) and books of
 * the same provider, symbol and days — reusing what the job already fetched, fetching the rest.
 */
import type { ConcreteDataType } from '../../domain/data-type.js';
import { priceLimits } from '../../domain/price-limits.js';
import type { RowSet } from '../../domain/rows.js';
import { isAShare } from '../../domain/ticker.js';
import { toErrorData, type IngestError } from '../../errors.js';
import { classifyFailure } from '../../limits/retry-policy.js';
import type { PlannedUnit } from '../plan.js';
import { validateRows } from '../validate-rows.js';
import { failOrFallback } from './fallbacks.js';
import type { JobContext, Writable } from './job-context.js';
import { fetchDataType } from './job-fetch.js';
import { recordFailures } from './record-units.js';

/** Computes the factor units of a job; returns the rows to write (failures are recorded). */
export async function computeFactorUnits(
  ctx: JobContext,
  units: readonly PlannedUnit[],
  fetched: ReadonlyMap<ConcreteDataType, ReadonlyMap<string, RowSet>>,
): Promise<Writable[]> {
  const { provider, deps } = ctx;
  const caps = provider.capabilities;
  const inputTypes: ConcreteDataType[] = [caps.tickData];
  if (caps.dataTypes.includes('order_book')) inputTypes.push('order_book');
  const dates = units.map((u) => u.tradeDate);
  const inputs = new Map<ConcreteDataType, ReadonlyMap<string, RowSet>>();
  let attempts = 1;
  for (const t of inputTypes) {
    const have = fetched.get(t);
    if (have && dates.every((d) => have.has(d))) {
      inputs.set(t, have);
      continue;
    }
    const outcome = await fetchDataType(ctx, t, dates);
    attempts = Math.max(attempts, outcome.attempts);
    if (!outcome.ok) {
      if (t === 'order_book' && isUnsupported(outcome.error)) continue; // factors from trades/bars alone
      await failOrFallback(ctx, units, outcome.error, outcome.attempts);
      return [];
    }
    inputs.set(t, outcome.value.byDate);
  }
  const writable: Writable[] = [];
  for (const unit of units) {
    const primary = inputs.get(caps.tickData)?.get(unit.tradeDate);
    const books = inputs.get('order_book')?.get(unit.tradeDate)?.books;
    const prevClose = primary?.prevClose;
    const limits =
      prevClose !== undefined && isAShare(unit.symbol) ? priceLimits(unit.symbol, prevClose) : undefined;
    try {
      const factors = deps.computeFactors({
        symbol: unit.symbol,
        tradeDate: unit.tradeDate,
        source: provider.name,
        ...(caps.tickData === 'ticks' ? { ticks: primary?.ticks ?? [] } : { bars1m: primary?.bars ?? [] }),
        ...(books ? { books } : {}),
        ...(prevClose !== undefined ? { prevClose } : {}),
        ...(limits ?? {}),
      });
      const rows: RowSet = { factors };
      validateRows({
        rows,
        dataType: 'factors',
        symbol: unit.symbol,
        tradeDate: unit.tradeDate,
        source: provider.name,
      });
      writable.push({ unit, rows, attempts });
    } catch (e) {
      await recordFailures(ctx, [unit], toErrorData(e), attempts);
    }
  }
  return writable;
}

function isUnsupported(error: IngestError): boolean {
  const c = classifyFailure(error);
  return c === 'unsupported' || c === 'permission';
}
