/**
 * Preparing a run: build the routed providers, list the universe (for `ALL`), read the trading
 * calendars, read the ledger, plan, and estimate the provider calls. Planning calls (universe,
 * calendar) go through the same policy as data fetches (`provider-call.ts`).
 */
import type { RequestedDataType } from '../domain/data-type.js';
import { isAShare, type Ticker } from '../domain/ticker.js';
import { IngestError, toIngestError, type ErrorData } from '../errors.js';
import { valueOrThrow } from '../limits/execute-with-retry.js';
import type { RequestGate } from '../limits/request-gate.js';
import type { Provider } from '../providers/provider.js';
import type { Store } from '../storage/store.js';
import type { PipelineEvent } from './events.js';
import { type ProviderEstimate } from './plan-estimate.js';
import { preparePlan, readListings, type PreparedPlan } from './plan-prepare.js';
import { callProvider, type ProviderCallDeps } from './provider-call.js';
import type { Routing } from './routing.js';
import type { RunOptions } from './run-options.js';
import { findUnknownSymbols, tradingDaysOrUnknown } from './check-symbols.js';

/** What the pipeline decided to do, before doing it (also the `--dry-run` output). */
export interface PreparedRun {
  runId: string;
  /** Counts, ledger index and a lazy job stream (no job is built before the run takes it). */
  plan: PreparedPlan;
  routing: Routing;
  providers: Map<string, Provider>;
  tradingDays: Map<Ticker, readonly string[]>;
  warnings: string[];
  /** Explicit symbols no provider knows: their units fail alone with this error (class not_found). */
  unknownSymbols?: ReadonlyMap<Ticker, ErrorData>;
  /** Estimated provider calls and the minimum duration under the rate limits, per provider. */
  estimate: ProviderEstimate[];
}

/** What {@link prepareRun} needs from the pipeline. */
export interface PrepareDeps extends ProviderCallDeps {
  store: Store;
  makeProvider(name: string, gate: RequestGate): Provider;
  /** Config warnings to carry into the run. */
  warnings: readonly string[];
  emit(event: PipelineEvent): void;
}

/** Plans a run. Builds its providers: the caller closes them (`PreparedRun.providers`). */
export async function prepareRun(
  options: RunOptions,
  signal: AbortSignal,
  deps: PrepareDeps,
): Promise<PreparedRun> {
  const runId = options.runId ?? newRunId(deps.clock.now(), deps.random);
  const { routing, providers: names, warnings } = options.routing;
  const providers = new Map<string, Provider>();
  for (const name of names) providers.set(name, deps.makeProvider(name, deps.gate));
  try {
    const requested0 = options.requested[0] as RequestedDataType;
    const primary = providers.get(routing[requested0][0] as string) as Provider;
    const symbols =
      options.symbols === 'ALL'
        ? await listUniverse(
            routing[requested0].map((n) => providers.get(n) as Provider),
            options,
            signal,
            deps,
          )
        : [...options.symbols];
    const redact = (text: string) => deps.redact(text);
    // Explicit symbols no provider knows fail alone (not_found); the others go on.
    const unknownSymbols =
      options.symbols === 'ALL'
        ? new Map<Ticker, ErrorData>()
        : await findUnknownSymbols({
            symbols,
            providers: [...providers.values()],
            signal,
            call: (p, fn) => planningCall(p, 'stock_basic', signal, deps, fn),
            redact,
          });

    // Trading days per market: one calendar for A-shares, per symbol elsewhere.
    const tradingDays = new Map<Ticker, readonly string[]>();
    const byMarket = new Map<string, readonly string[]>();
    for (const symbol of symbols) {
      const market = isAShare(symbol) ? 'cn' : symbol;
      let days = byMarket.get(market);
      if (!days) {
        days = await tradingDaysOrUnknown({
          symbol,
          range: options.range,
          unknown: unknownSymbols,
          redact,
          fetch: () =>
            planningCall(primary, 'trade_cal', signal, deps, () =>
              primary.tradingDays({ range: options.range, ...(market === 'cn' ? {} : { symbol }), signal }),
            ),
        });
        if (!unknownSymbols.has(symbol)) byMarket.set(market, days);
      }
      tradingDays.set(symbol, days);
    }

    const listingWarnings: string[] = [];
    const listings = await readListings({
      chain: routing[requested0].map((n) => providers.get(n) as Provider),
      signal,
      warn: (m) => listingWarnings.push(m),
    });
    const capabilities = Object.fromEntries([...providers].map(([n, p]) => [n, p.capabilities]));
    const plan = await preparePlan({
      spec: {
        symbols,
        tradingDays: (s) => tradingDays.get(s) ?? [],
        requested: options.requested,
        routing,
        capabilities,
        resume: options.resume,
        priority: options.priority,
        ...(options.onlyUnits ? { onlyUnits: options.onlyUnits } : {}),
        ...(listings ? { listing: (s: Ticker) => listings.get(s) } : {}),
      },
      store: deps.store,
      range: options.range,
      signal,
    });
    const estimate = plan.estimate.providers;
    return {
      runId,
      plan,
      routing,
      providers,
      tradingDays,
      warnings: [...deps.warnings, ...warnings, ...listingWarnings],
      estimate,
      unknownSymbols,
    };
  } catch (e) {
    await closeProviders(providers);
    throw e;
  }
}

/** The universe from the first provider of the primary chain that can list one (Yahoo cannot). */
async function listUniverse(
  chain: readonly Provider[],
  options: RunOptions,
  signal: AbortSignal,
  deps: PrepareDeps,
): Promise<Ticker[]> {
  let lastError: unknown;
  for (const p of chain) {
    try {
      const symbols = await planningCall(p, 'universe', signal, deps, () =>
        p.universe({ includeDelisted: options.includeDelisted, signal }),
      );
      if (symbols.length === 0)
        throw new IngestError(
          'PROVIDER_BAD_RESPONSE',
          `${chain[0]?.name ?? p.name} returned an empty universe`,
        );
      return symbols;
    } catch (e) {
      lastError = e;
      if (toIngestError(e).code !== 'PROVIDER_UNSUPPORTED') throw e;
    }
  }
  throw lastError;
}

/**
 * A planning call (universe, calendar) under the provider-call policy; its failure (after the
 * retries) ends the run.
 */
async function planningCall<T>(
  provider: Provider,
  endpoint: string,
  signal: AbortSignal,
  deps: PrepareDeps,
  call: () => Promise<T>,
): Promise<T> {
  const outcome = await callProvider(
    {
      provider: provider.name,
      endpoint,
      signal,
      call,
      onRetry: (notice) => {
        if (notice.kind !== 'backoff') return;
        deps.emit({
          type: 'run:warning',
          message: deps.redact(`${notice.error.message} (retrying, attempt ${notice.nextAttempt})`),
        });
      },
    },
    deps,
  );
  return valueOrThrow(outcome);
}

/** Closes every provider, ignoring failures. */
export async function closeProviders(providers: ReadonlyMap<string, Provider>): Promise<void> {
  for (const p of providers.values()) await p.close().catch(() => {});
}

/** Provider calls of a list of jobs (see plan-estimate.ts). */
export { estimateCalls } from './plan-estimate.js';

/** A sortable, unique run id: `20250605T013000Z-ab12`. */
export function newRunId(nowMs: number, random: () => number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.floor(random() * 0xffff)
    .toString(16)
    .padStart(4, '0')}`;
}
