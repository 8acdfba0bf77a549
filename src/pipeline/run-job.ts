/**
 * `runJob`: the single unit of work, shared by the local pool and (later) the distributed
 * worker. For one provider, one symbol and consecutive trading days it fetches each data type
 * (retrying by policy, pacing through the gate), validates, writes idempotently, and only then
 * records the ledger. A failure ends only the units it touches; it never throws except on abort.
 */
import type { FactorInput } from '../factors/compute-factors.js';
import type { ConcreteDataType } from '../domain/data-type.js';
import { priceLimits } from '../domain/price-limits.js';
import type { FactorValue, RowSet } from '../domain/rows.js';
import { countRows } from '../domain/rows.js';
import { isAShare } from '../domain/ticker.js';
import { IngestError, toErrorData, toIngestError, type ErrorData } from '../errors.js';
import { unitKeyString, type LedgerEntry, type UnitKey } from '../ledger/ledger-entry.js';
import type { FetchResult, Provider } from '../providers/provider.js';
import type { Store, UnitWrite } from '../storage/store.js';
import type { PipelineEvent } from './events.js';
import type { Job, PlannedUnit } from './plan.js';
import type { RequestGate } from '../limits/request-gate.js';
import { fallbackTypeFor, type Routing } from './routing.js';
import type { AdaptiveConcurrency } from './schedule/adaptive-concurrency.js';
import type { CircuitBreaker } from './schedule/circuit-breaker.js';
import type { Clock } from '../limits/clock.js';
import { classifyFailure, decideRetry, type FailureClass } from '../limits/retry-policy.js';
import { recordNotListed } from './record-not-listed.js';
import { validateRows } from './validate-rows.js';

/** Inputs of the factor computation. */
export type FactorComputeInput = FactorInput;

/** Everything `runJob` needs. One instance per run, shared by all workers. */
export interface JobDeps {
  runId: string;
  providers: ReadonlyMap<string, Provider>;
  routing: Routing;
  store: Store;
  gate: RequestGate;
  emit(event: PipelineEvent): void;
  /** Retry policy, from `ingestion.retry.*`. */
  retry: {
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    /** Rate-limit answers absorbed per provider call (they use up no attempts). */
    rateLimitRetries: number;
    /** Attempts of one store write. */
    storeWriteAttempts: number;
    /** Attempts of one ledger write. */
    ledgerWriteAttempts: number;
  };
  clock: Clock;
  random(): number;
  /** Removes secrets from messages before they are emitted or stored. */
  redact(text: string): string;
  computeFactors(input: FactorComputeInput): FactorValue[];
  /** Per-provider circuit breakers (optional). */
  breakers?: ReadonlyMap<string, CircuitBreaker>;
  /** Adaptive worker count to feed with latency and rate-limit signals (optional). */
  concurrency?: AdaptiveConcurrency;
  /** Symbols quarantined after a non-retryable symbol-level failure (not retried this run). */
  quarantine?: Map<string, ErrorData>;
  /** Counts provider requests (fetch calls), per provider. */
  countRequest?(provider: string): void;
}

type FetchOutcome =
  { ok: true; result: FetchResult; attempts: number } | { ok: false; error: IngestError; attempts: number };

/** Runs one job. Resolves when every unit of the job has a ledger outcome (or the run aborted). */
export async function runJob(job: Job, deps: JobDeps, signal: AbortSignal): Promise<void> {
  if (job.notListed !== undefined) return recordNotListed(job, deps, signal);
  const provider = deps.providers.get(job.provider);
  if (!provider) throw new IngestError('INTERNAL', `provider ${job.provider} is not constructed`);
  deps.emit({
    type: 'job:started',
    jobId: job.id,
    provider: job.provider,
    symbol: job.symbol,
    tradeDates: job.tradeDates,
  });

  if (job.market) {
    await runMarketJob(provider, job, deps, signal);
    return;
  }

  const quarantined = deps.quarantine?.get(job.symbol);
  if (quarantined) {
    await recordFailures(job.units, quarantined, 0, deps, signal);
    return;
  }

  const byType = new Map<ConcreteDataType, PlannedUnit[]>();
  for (const u of job.units) byType.set(u.dataType, [...(byType.get(u.dataType) ?? []), u]);
  const fetched = new Map<ConcreteDataType, Map<string, RowSet>>();
  const fallbacks: PlannedUnit[] = [];
  const writable: Writable[] = [];

  let providerDown: ErrorData | undefined;
  const fetchOrder: ConcreteDataType[] = ['ticks', 'bars_1m', 'bars_1d', 'order_book'];
  for (const dataType of fetchOrder) {
    const units = byType.get(dataType);
    if (!units) continue;
    const known = deps.quarantine?.get(job.symbol) ?? providerDown;
    if (known) {
      // The provider already said the symbol does not exist, or is down right now (a fetch of
      // this job used up its attempts on transient failures): do not spend quota and time on
      // the job's other data types; they fail with the same reason and retry-failed redoes them.
      await recordFailures(units, known, 0, deps, signal);
      continue;
    }
    const dates = units.map((u) => u.tradeDate);
    const outcome = await fetchWithRetry(provider, dataType, job, dates, deps, signal);
    if (!outcome.ok) {
      const cls = classifyFailure(outcome.error);
      if (cls === 'transient' || cls === 'bad_response') providerDown = redactError(outcome.error, deps);
      await failOrFallback(units, outcome.error, outcome.attempts, deps, fallbacks, signal);
      continue;
    }
    const rowsByDate = outcome.result.byDate;
    fetched.set(dataType, rowsByDate);
    for (const unit of units) {
      const dateError = outcome.result.errors?.get(unit.tradeDate);
      if (dateError) {
        await failOrFallback([unit], dateError, outcome.attempts, deps, fallbacks, signal);
        continue;
      }
      const rows = rowsByDate.get(unit.tradeDate);
      if (!rows) {
        const err = new IngestError(
          'PROVIDER_BAD_RESPONSE',
          `${provider.name} returned no answer for ${unit.symbol} ${unit.tradeDate} (${dataType})`,
          { retryable: false },
        );
        await recordFailures([unit], toErrorData(err), outcome.attempts, deps, signal);
        continue;
      }
      try {
        validateRows({
          rows,
          dataType,
          symbol: unit.symbol,
          tradeDate: unit.tradeDate,
          source: provider.name,
        });
      } catch (e) {
        await recordFailures([unit], toErrorData(e), outcome.attempts, deps, signal);
        continue;
      }
      writable.push({ unit, rows: onlyRowsOf(dataType, rows), attempts: outcome.attempts });
    }
  }

  const factorUnits = byType.get('factors');
  const knownMissing = deps.quarantine?.get(job.symbol) ?? providerDown;
  if (factorUnits && knownMissing) await recordFailures(factorUnits, knownMissing, 0, deps, signal);
  else if (factorUnits)
    writable.push(...(await runFactors(provider, job, factorUnits, fetched, deps, fallbacks, signal)));
  // One write and one ledger write for the whole job: fewer, larger transactions.
  await writeAndRecord(writable, deps, signal);

  // Units the provider could not serve go to the next provider of their routing chain.
  if (fallbacks.length > 0 && !signal.aborted) {
    for (const group of groupFallbacks(fallbacks)) await runJob(group, deps, signal);
  }
}

/**
 * A whole-market job: one call returns one trading day of a data type for every symbol; each
 * unit gets its symbol's rows, or is confirmed empty when the symbol did not trade that day.
 */
async function runMarketJob(provider: Provider, job: Job, deps: JobDeps, signal: AbortSignal): Promise<void> {
  const first = job.units[0];
  const tradeDate = job.tradeDates[0];
  if (!first || !tradeDate || !provider.fetchMarketDay) return;
  const { dataType } = first;
  const fetchMarketDay = provider.fetchMarketDay.bind(provider);
  const outcome = await withRetry(provider, dataType, job, deps, signal, () =>
    fetchMarketDay({ dataType, tradeDate, signal }),
  );
  const fallbacks: PlannedUnit[] = [];
  if (!outcome.ok) {
    await failOrFallback(job.units, outcome.error, outcome.attempts, deps, fallbacks, signal);
  } else {
    const writable: Writable[] = [];
    for (const unit of job.units) {
      const rows = outcome.result.get(unit.symbol) ?? {};
      try {
        validateRows({ rows, dataType, symbol: unit.symbol, tradeDate, source: provider.name });
        writable.push({ unit, rows: onlyRowsOf(dataType, rows), attempts: outcome.attempts });
      } catch (e) {
        await recordFailures([unit], toErrorData(e), outcome.attempts, deps, signal);
      }
    }
    await writeAndRecord(writable, deps, signal);
  }
  if (fallbacks.length > 0 && !signal.aborted) {
    for (const group of groupFallbacks(fallbacks)) await runJob(group, deps, signal);
  }
}

/** Keeps only the rows of the unit's own table (a provider may return more). */
function onlyRowsOf(dataType: ConcreteDataType, rows: RowSet): RowSet {
  switch (dataType) {
    case 'ticks':
      return { ticks: rows.ticks ?? [] };
    case 'bars_1m':
      return { bars: (rows.bars ?? []).filter((b) => b.interval === '1m') };
    case 'bars_1d':
      return {
        bars: (rows.bars ?? []).filter((b) => b.interval === '1d'),
        adjFactors: rows.adjFactors ?? [],
      };
    case 'order_book':
      return { books: rows.books ?? [] };
    case 'factors':
      return { factors: rows.factors ?? [] };
  }
}

async function runFactors(
  provider: Provider,
  job: Job,
  units: PlannedUnit[],
  fetched: Map<ConcreteDataType, Map<string, RowSet>>,
  deps: JobDeps,
  fallbacks: PlannedUnit[],
  signal: AbortSignal,
): Promise<Writable[]> {
  const caps = provider.capabilities;
  const inputTypes: ConcreteDataType[] = [caps.tickData];
  if (caps.dataTypes.includes('order_book')) inputTypes.push('order_book');
  const dates = units.map((u) => u.tradeDate);
  const inputs = new Map<ConcreteDataType, Map<string, RowSet>>();
  let attempts = 1;
  for (const t of inputTypes) {
    const have = fetched.get(t);
    if (have && dates.every((d) => have.has(d))) {
      inputs.set(t, have);
      continue;
    }
    const outcome = await fetchWithRetry(provider, t, job, dates, deps, signal);
    attempts = Math.max(attempts, outcome.attempts);
    if (!outcome.ok) {
      if (t === 'order_book' && isUnsupported(outcome.error)) continue; // factors from trades/bars alone
      await failOrFallback(units, outcome.error, outcome.attempts, deps, fallbacks, signal);
      return [];
    }
    inputs.set(t, outcome.result.byDate);
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
      await recordFailures([unit], toErrorData(e), attempts, deps, signal);
    }
  }
  return writable;
}

function isUnsupported(error: IngestError): boolean {
  const c = classifyFailure(error);
  return c === 'unsupported' || c === 'permission';
}

/** Fetches one data type for the job's dates, retrying by policy. */
function fetchWithRetry(
  provider: Provider,
  dataType: ConcreteDataType,
  job: Job,
  dates: readonly string[],
  deps: JobDeps,
  signal: AbortSignal,
): Promise<FetchOutcome> {
  return withRetry(provider, dataType, job, deps, signal, () =>
    provider.fetch({ dataType, symbol: job.symbol, tradeDates: dates, signal }),
  );
}

/** Runs a provider call under the retry policy, the breaker and the gate feedback. */
async function withRetry<T>(
  provider: Provider,
  dataType: ConcreteDataType,
  job: Job,
  deps: JobDeps,
  signal: AbortSignal,
  call: () => Promise<T>,
): Promise<{ ok: true; result: T; attempts: number } | { ok: false; error: IngestError; attempts: number }> {
  let attempts = 0;
  let rateLimited = 0;
  const breaker = deps.breakers?.get(provider.name);
  for (;;) {
    if (signal.aborted) throw new IngestError('ABORTED', 'aborted');
    attempts++;
    const started = deps.clock.now();
    try {
      if (breaker && breaker.state === 'open' && breaker.openUntilMs > deps.clock.now()) {
        // Fail fast while the provider is known to be down: the attempt counts, and the retry
        // waits for the end of the open period, so a dead provider ends units within
        // max_attempts instead of parking every worker at the breaker.
        const waitMs = breaker.openUntilMs - deps.clock.now();
        throw new IngestError(
          'PROVIDER_UNAVAILABLE',
          `${provider.name} is failing repeatedly (circuit open); next probe in ${Math.ceil(waitMs / 1000)} s`,
          { retryAfterMs: waitMs, context: { circuitOpen: true } },
        );
      }
      await breaker?.beforeRequest(signal);
      deps.countRequest?.(provider.name);
      const result = await call();
      breaker?.onSuccess();
      deps.concurrency?.onSuccess(deps.clock.now() - started);
      return { ok: true, result, attempts };
    } catch (e) {
      const error = toIngestError(e);
      if (error.code === 'ABORTED' || signal.aborted)
        throw new IngestError('ABORTED', 'aborted', { cause: e });
      const failureClass = classifyFailure(error);
      const ctx = error.context;
      if (ctx.circuitOpen !== true) breaker?.onFailure(failureClass);
      const keyIndex = typeof ctx.keyIndex === 'number' ? ctx.keyIndex : undefined;
      const endpoint = typeof ctx.endpoint === 'string' ? ctx.endpoint : dataType;
      if (failureClass === 'rate_limited') {
        await deps.gate.onRateLimited({
          provider: provider.name,
          endpoint,
          ...(keyIndex !== undefined ? { keyIndex } : {}),
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
          ...(typeof ctx.statedLimitPerMinute === 'number'
            ? { statedLimitPerMinute: ctx.statedLimitPerMinute }
            : {}),
        });
        deps.concurrency?.onRateLimited();
        rateLimited++;
        attempts--; // the gate absorbs rate limits; they do not use up attempts
        if (rateLimited <= deps.retry.rateLimitRetries) {
          emitRetry(deps, job, provider.name, dataType, attempts + 1, 0, error);
          continue;
        }
        return { ok: false, error, attempts: attempts + 1 };
      }
      if ((failureClass === 'auth' || failureClass === 'quota') && keyIndex !== undefined) {
        // One bad or exhausted key: drop it and go on with the others (the gate throws
        // PROVIDER_AUTH once none is left).
        const reason = deps.redact(error.message);
        // A rejected token or used-up quota retires the key for the provider on every endpoint,
        // in planning and fetching alike (docs/ARCHITECTURE.md, "Rejected tokens").
        await deps.gate.disableKey({ provider: provider.name, keyIndex, reason });
        deps.emit({ type: 'provider:key-disabled', provider: provider.name, keyIndex, reason });
        if (attempts < deps.retry.maxAttempts) continue;
        return { ok: false, error, attempts };
      }
      if (failureClass === 'transient' || failureClass === 'bad_response') deps.concurrency?.onError();
      const decision = decideRetry({
        error,
        attempt: attempts,
        maxAttempts: deps.retry.maxAttempts,
        baseDelayMs: deps.retry.baseDelayMs,
        maxDelayMs: deps.retry.maxDelayMs,
        random: deps.random,
      });
      if (!decision.retry) {
        if (failureClass === 'not_found' && deps.quarantine)
          deps.quarantine.set(job.symbol, redactError(error, deps));
        return { ok: false, error, attempts };
      }
      emitRetry(deps, job, provider.name, dataType, attempts + 1, decision.delayMs, error);
      await deps.clock.sleep(decision.delayMs, signal);
    }
  }
}

function emitRetry(
  deps: JobDeps,
  job: Job,
  provider: string,
  dataType: ConcreteDataType,
  attempt: number,
  delayMs: number,
  error: IngestError,
): void {
  deps.emit({
    type: 'unit:retrying',
    jobId: job.id,
    provider,
    dataType,
    symbol: job.symbol,
    attempt,
    delayMs,
    error: redactError(error, deps),
  });
}

function redactError(error: unknown, deps: JobDeps): ErrorData {
  const data = toErrorData(error);
  return { ...data, message: deps.redact(data.message) };
}

/** Sends units the provider cannot serve to the next provider in their chain, or records them. */
async function failOrFallback(
  units: readonly PlannedUnit[],
  error: IngestError,
  attempts: number,
  deps: JobDeps,
  fallbacks: PlannedUnit[],
  signal: AbortSignal,
): Promise<void> {
  const cls: FailureClass = classifyFailure(error);
  const terminal: PlannedUnit[] = [];
  for (const unit of units) {
    const next = cls === 'unsupported' || cls === 'permission' ? nextInChain(unit, deps) : undefined;
    if (next) {
      deps.emit({ type: 'unit:fallback', unit, to: next.provider, reason: deps.redact(error.message) });
      // The primary's ledger says why it was skipped, so `status` can show it.
      await writeLedger(
        [entry(unit, 'unsupported', 0, attempts, redactError(error, deps), deps)],
        deps,
        signal,
      );
      fallbacks.push(next);
    } else {
      terminal.push(unit);
    }
  }
  if (terminal.length > 0) await recordFailures(terminal, redactError(error, deps), attempts, deps, signal);
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

function groupFallbacks(units: readonly PlannedUnit[]): Job[] {
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

/** Rows of one unit ready to be written, with the fetch attempts they took. */
interface Writable {
  unit: PlannedUnit;
  rows: RowSet;
  attempts: number;
}

async function writeAndRecord(
  writable: readonly Writable[],
  deps: JobDeps,
  signal: AbortSignal,
): Promise<void> {
  if (writable.length === 0) return;
  const units: UnitWrite[] = writable.map((w) => ({ unit: stripPlan(w.unit), rows: w.rows }));
  const rewrites = writable.filter((w) => w.unit.rewrite);
  if (rewrites.length > 0) {
    // Replacing rows of done units: take them out of "done" first, so a crash between the
    // store's delete and insert leaves a unit to redo, not an `ok` entry over missing rows.
    await writeLedger(
      rewrites.map((w) => entry(w.unit, 'rewriting', 0, w.attempts, undefined, deps)),
      deps,
      signal,
    );
  }
  let lastError: unknown;
  for (let i = 1; i <= deps.retry.storeWriteAttempts; i++) {
    if (signal.aborted) throw new IngestError('ABORTED', 'aborted');
    try {
      // Not passing `signal`: a write that started completes, so a Ctrl-C never tears a unit.
      await deps.store.write({ units });
      lastError = undefined;
      break;
    } catch (e) {
      lastError = e;
      const err = toIngestError(e);
      if (!err.retryable || i === deps.retry.storeWriteAttempts) break;
      await deps.clock.sleep(
        Math.min(deps.retry.maxDelayMs, deps.retry.baseDelayMs * 2 ** (i - 1)) * deps.random(),
        signal,
      );
    }
  }
  if (lastError !== undefined) {
    const err = toIngestError(lastError);
    const data = redactError(
      err.code === 'STORAGE_FAILED'
        ? err
        : new IngestError('STORAGE_FAILED', `store write failed: ${err.message}`, { cause: err }),
      deps,
    );
    for (const w of writable) await recordFailures([w.unit], data, w.attempts, deps, signal);
    return;
  }
  const entries = writable.map((w) => {
    const n = countRows(w.rows);
    return entry(w.unit, n > 0 ? 'ok' : 'empty', n, w.attempts, undefined, deps);
  });
  await writeLedger(entries, deps, signal);
  for (const e of entries) {
    deps.emit({
      type: 'unit:succeeded',
      unit: stripPlan(e),
      status: e.status as 'ok' | 'empty',
      rows: e.rows,
      attempts: e.attempts,
    });
  }
}

async function recordFailures(
  units: readonly PlannedUnit[],
  error: ErrorData,
  attempts: number,
  deps: JobDeps,
  signal: AbortSignal,
): Promise<void> {
  const cls = classifyFailure(error);
  const status = cls === 'unsupported' || cls === 'permission' ? 'unsupported' : 'failed';
  const entries = units.map((u) => entry(u, status, 0, attempts, error, deps));
  await writeLedger(entries, deps, signal);
  for (const u of units) deps.emit({ type: 'unit:failed', unit: stripPlan(u), status, error, attempts });
}

async function writeLedger(
  entries: readonly LedgerEntry[],
  deps: JobDeps,
  _signal: AbortSignal,
): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await deps.store.writeLedger({ entries });
      return;
    } catch (e) {
      if (i >= deps.retry.ledgerWriteAttempts) {
        // Without a ledger entry the unit is simply redone next run: rows are idempotent.
        deps.emit({
          type: 'run:warning',
          message: deps.redact(`ledger write failed: ${toIngestError(e).message}`),
        });
        return;
      }
      await deps.clock.sleep(deps.retry.baseDelayMs * 2 ** (i - 1));
    }
  }
}

function entry(
  unit: UnitKey,
  status: LedgerEntry['status'],
  rows: number,
  attempts: number,
  error: ErrorData | undefined,
  deps: JobDeps,
): LedgerEntry {
  return {
    ...stripPlan(unit),
    status,
    rows,
    attempts: Math.max(1, attempts),
    errorCode: error?.code ?? null,
    errorMessage: error ? deps.redact(error.message) : null,
    runId: deps.runId,
    updatedAt: deps.clock.now(),
  };
}

function stripPlan(u: UnitKey): UnitKey {
  return { provider: u.provider, dataType: u.dataType, symbol: u.symbol, tradeDate: u.tradeDate };
}
