/**
 * Fallback routing: a unit its provider cannot serve (no permission, unsupported, beyond a
 * look-back limit) goes to the next provider of its routing chain as a follow-up job.
 */
import type { IngestError } from '../../errors.js';
import { unitKeyString } from '../../ledger/ledger-entry.js';
import { classifyFailure, type FailureClass } from '../../limits/retry-policy.js';
import type { Job, PlannedUnit } from '../plan.js';
import { fallbackTypeFor } from '../routing.js';
import type { JobContext, JobDeps } from './job-context.js';
import { entry, recordFailures, redactError, unitKeyOf, writeLedger } from './record-units.js';

/** Sends units the provider cannot serve to the next provider in their chain, or records them failed. */
export async function failOrFallback(
  ctx: JobContext,
  units: readonly PlannedUnit[],
  error: IngestError,
  attempts: number,
): Promise<void> {
  const { deps } = ctx;
  const cls: FailureClass = classifyFailure(error);
  const terminal: PlannedUnit[] = [];
  for (const unit of units) {
    const next = cls === 'unsupported' || cls === 'permission' ? nextInChain(unit, deps) : undefined;
    if (next) {
      const reason = deps.redact(error.message);
      deps.emit({ type: 'unit:fallback', unit, to: next.provider, reason });
      // The primary's ledger says why it was skipped, so `status` can show it.
      const data = redactError(error, deps);
      await writeLedger(ctx, [entry(unit, 'unsupported', 0, attempts, data, deps)]);
      ctx.outcome.units.push({
        unit: unitKeyOf(unit),
        status: 'unsupported',
        rows: 0,
        attempts: Math.max(1, attempts),
        error: data,
        fallbackTo: next.provider,
      });
      ctx.fallbacks.push(next);
    } else {
      terminal.push(unit);
    }
  }
  if (terminal.length > 0) await recordFailures(ctx, terminal, redactError(error, deps), attempts);
}

function nextInChain(unit: PlannedUnit, deps: JobDeps): PlannedUnit | undefined {
  const chain = deps.routing[unit.requested];
  for (let i = unit.chainIndex + 1; i < chain.length; i++) {
    const name = chain[i] as string;
    const p = deps.providers.get(name);
    if (!p) continue;
    const dataType = fallbackTypeFor(unit.requested, unit.dataType, p.capabilities);
    if (dataType) return { ...unit, provider: name, dataType, chainIndex: i };
  }
  return undefined;
}

/** Groups fallback units into follow-up jobs, one per (provider, symbol). */
export function fallbackJobs(units: readonly PlannedUnit[]): Job[] {
  // Two units can fall back to the same one (ticks and bars_1m of tick_data both become the
  // next provider's bars_1m): do it once.
  const unique = new Map(units.map((u) => [unitKeyString(u), u]));
  const byProvider = new Map<string, PlannedUnit[]>();
  for (const u of unique.values()) {
    const k = `${u.provider}|${u.symbol}`;
    byProvider.set(k, [...(byProvider.get(k) ?? []), u]);
  }
  return [...byProvider.values()].map((list) => {
    const provider = (list[0] as PlannedUnit).provider;
    const dates = [...new Set(list.map((u) => u.tradeDate))].sort();
    const symbol = (list[0] as PlannedUnit).symbol;
    return {
      id: `${provider}:${symbol}:${dates[0]}..${dates[dates.length - 1]}:fallback`,
      provider,
      symbol,
      tradeDates: dates,
      units: list,
    };
  });
}
