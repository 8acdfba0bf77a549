/**
 * Composes a live collection from the resolved config: the rate-limit gate (the same limits as
 * `run`: `per_api` override, else the provider's `requests_per_minute`, per API key), the
 * provider's real-time quote source, the symbols (`ALL` = the provider's listed universe) and the
 * polling interval fitted to the limits.
 */
import { tushareTokens } from '../config/load-config.js';
import type { ResolvedConfig } from '../config/schema.js';
import type { Ticker } from '../domain/ticker.js';
import { IngestError } from '../errors.js';
import type { Clock } from '../limits/clock.js';
import type { Logger } from '../limits/logger.js';
import { createRateLimitGate, type RateLimitGate } from '../limits/rate-limit-gate.js';
import { gateWindowMs } from '../pipeline/create-pipeline.js';
import { createProvider } from '../providers/create-provider.js';
import type { ProviderDeps } from '../providers/provider.js';
import { createTushareRealtime } from '../providers/tushare/tushare-realtime.js';
import { createYahooQuote } from '../providers/yahoo/yahoo-quote.js';
import { fitInterval, type FittedInterval } from './fit-interval.js';
import type { QuoteSource, QuoteTarget } from '../providers/quote-source.js';
import { configuredLimit } from '../config/rate-limits.js';

/** Providers with real-time quotes. */
export const COLLECT_PROVIDERS = ['tushare', 'yahoo'] as const;
export type CollectProvider = (typeof COLLECT_PROVIDERS)[number];

/** Parameters of {@link prepareCollect}. */
export interface PrepareCollectParams {
  config: ResolvedConfig;
  provider: CollectProvider;
  symbols: readonly Ticker[] | 'ALL';
  requestedIntervalMs: number;
  clock: Clock;
  fetch: typeof globalThis.fetch;
  logger: Logger;
  /** The provider's rate window, ms (default 60 000; tests shorten it). */
  rateWindowMs?: number;
  learnedLimits?: Record<string, number>;
  signal: AbortSignal;
}

/** What a collection runs with. */
export interface PreparedCollect {
  gate: RateLimitGate;
  source: QuoteSource;
  target: QuoteTarget;
  fitted: FittedInterval;
  /** Requests per snapshot, per endpoint. */
  requestsPerSnapshot: Record<string, number>;
}

/** Builds the gate, the quote source and the target; fits the interval. */
export async function prepareCollect(p: PrepareCollectParams): Promise<PreparedCollect> {
  const { config } = p;
  const windowMs = gateWindowMs(p.rateWindowMs ?? 60_000);
  const gate = createRateLimitGate({
    clock: p.clock,
    windowMs,
    limitFor: (provider, endpoint) => configuredLimit(config, provider, endpoint),
    ...(p.learnedLimits ? { learnedLimits: p.learnedLimits } : {}),
  });
  const deps: ProviderDeps = { fetch: p.fetch, gate, now: () => p.clock.now(), logger: p.logger };
  const source =
    p.provider === 'tushare'
      ? createTushareRealtime({ ...config.providers.tushare, tokens: tushareTokens(config) }, deps)
      : createYahooQuote(config.providers.yahoo, deps);

  let target: QuoteTarget;
  if (p.symbols === 'ALL') {
    const provider = createProvider(p.provider, config, deps);
    try {
      const universe = await provider.universe({ includeDelisted: false, signal: p.signal });
      if (universe.length === 0) {
        throw new IngestError('PROVIDER_BAD_RESPONSE', `${p.provider} listed no symbols for --symbols ALL`);
      }
      target = { symbols: universe, wholeMarket: true };
    } finally {
      await provider.close();
    }
  } else {
    target = { symbols: [...p.symbols], wholeMarket: false };
  }
  const requestsPerSnapshot = source.requestsPerSnapshot(target);
  const limits: Record<string, number | undefined> = {};
  for (const e of source.endpoints) {
    const learned = p.learnedLimits?.[`${source.name}|${e.name}`];
    limits[e.name] =
      learned !== undefined && (e.requestsPerMinute === undefined || learned < e.requestsPerMinute)
        ? learned
        : e.requestsPerMinute;
  }
  const fitted = fitInterval({
    requestedMs: p.requestedIntervalMs,
    requestsPerSnapshot,
    limits,
    keyCount: source.keyCount,
    windowMs,
  });
  return { gate, source, target, fitted, requestsPerSnapshot };
}
