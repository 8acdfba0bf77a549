/**
 * Routing: which providers serve each requested data type, in order of preference, and which
 * concrete data type a requested one means on a given provider.
 */
import type { ConcreteDataType, RequestedDataType } from '../domain/data-type.js';
import type { ProviderStatus } from '../config/load-config.js';
import { PROVIDER_NAMES, type ProviderName, type ResolvedConfig } from '../config/schema.js';
import { IngestError } from '../errors.js';
import type { ProviderCapabilities } from '../providers/provider.js';

/** Provider chains per requested data type. */
export type Routing = Record<RequestedDataType, ProviderName[]>;

/** Routing of one run, resolved once (by the CLI, or the library caller) and handed to the pipeline. */
export interface ResolvedRouting {
  routing: Routing;
  /** Every provider the routing uses (each is built once per run). */
  providers: ProviderName[];
  /** Providers skipped and why, for the user. */
  warnings: string[];
}

/** Routing of every requested type to one provider (what `--provider X` resolves to). */
export function singleProviderRouting(
  provider: ProviderName,
  requested: readonly RequestedDataType[],
): ResolvedRouting {
  return {
    routing: Object.fromEntries(requested.map((t) => [t, [provider]])) as Routing,
    providers: [provider],
    warnings: [],
  };
}

/**
 * Resolves routing. `--provider X` routes everything to X (X must be configured). Otherwise the
 * config's `routing` wins per data type; unrouted types use the enabled real providers
 * (tushare, yahoo), or the simulator when no real provider is enabled — simulated data is
 * never a fallback for real data.
 */
export function resolveRouting(params: {
  config: ResolvedConfig;
  statuses: Record<ProviderName, ProviderStatus>;
  requested: readonly RequestedDataType[];
  onlyProvider?: string;
}): ResolvedRouting {
  const { config, statuses, requested } = params;
  const warnings: string[] = [];
  const usable = (p: ProviderName) => statuses[p].enabled && statuses[p].configured;
  const routing = {} as Routing;
  if (params.onlyProvider !== undefined) {
    const p = params.onlyProvider as ProviderName;
    if (!PROVIDER_NAMES.includes(p)) {
      throw new IngestError(
        'USAGE',
        `Unknown provider "${params.onlyProvider}" (known: ${PROVIDER_NAMES.join(', ')})`,
      );
    }
    if (!statuses[p].configured)
      throw new IngestError('CONFIG_INVALID', statuses[p].reason ?? `${p} not configured`);
    return singleProviderRouting(p, requested);
  }
  const realDefault = (['tushare', 'yahoo'] as const).filter(usable);
  const fallbackDefault: ProviderName[] =
    realDefault.length > 0 ? realDefault : usable('simulated') ? ['simulated'] : [];
  for (const t of requested) {
    const configured =
      config.routing[t] ?? (t === 'ticks' || t === 'bars_1m' ? config.routing.tick_data : undefined);
    const chain = (configured ?? fallbackDefault).filter((p) => {
      if (usable(p)) return true;
      warnings.push(
        statuses[p].configured
          ? `routing.${t}: ${p} is disabled (providers.${p}.enabled: false); skipping it`
          : `routing.${t}: ${statuses[p].reason ?? `${p} not configured`}; skipping it`,
      );
      return false;
    });
    if (chain.length === 0) {
      throw new IngestError(
        'CONFIG_INVALID',
        `No usable provider for ${t}: ${configured ? `routing.${t} lists ${configured.join(', ')}, none enabled and configured` : 'enable a provider under providers.*'}`,
      );
    }
    routing[t] = chain;
  }
  const providers = PROVIDER_NAMES.filter((p) => requested.some((t) => routing[t].includes(p)));
  return { routing, providers, warnings: [...new Set(warnings)] };
}

/**
 * The concrete data types a requested one means on a provider; empty when it cannot serve it.
 * `tick_data` is the trades where the provider has them — together with the 1-minute and daily
 * bars it serves, so a trades provider fills `bars` as well — else its 1-minute bars.
 */
export function concreteTypesFor(
  requested: RequestedDataType,
  caps: ProviderCapabilities,
): ConcreteDataType[] {
  if (requested === 'factors') return ['factors'];
  if (requested === 'tick_data') {
    if (caps.tickData !== 'ticks') return caps.dataTypes.includes(caps.tickData) ? [caps.tickData] : [];
    return (['ticks', 'bars_1m', 'bars_1d'] as const).filter((t) => caps.dataTypes.includes(t));
  }
  return caps.dataTypes.includes(requested) ? [requested] : [];
}

/** The data type a unit has on a fallback provider, or `undefined` when that provider cannot serve it. */
export function fallbackTypeFor(
  requested: RequestedDataType,
  dataType: ConcreteDataType,
  caps: ProviderCapabilities,
): ConcreteDataType | undefined {
  const types = concreteTypesFor(requested, caps);
  if (types.includes(dataType)) return dataType;
  if (requested === 'tick_data') {
    // Trades fall back to the next provider's 1-minute bars; the day bars of tick_data to its
    // daily bars, when it serves them.
    if (dataType === 'ticks') return types[0];
    if (caps.dataTypes.includes(dataType)) return dataType;
  }
  return undefined;
}
