/**
 * Builds a provider by config name. The only place that knows every provider implementation.
 */
import { tushareTokens } from '../config/load-config.js';
import type { ProviderName, ResolvedConfig } from '../config/schema.js';
import type { Provider, ProviderDeps } from './provider.js';
import { createSimulatedProvider } from './simulated/simulated-provider.js';
import { createTushareProvider } from './tushare/tushare-provider.js';
import { createYahooProvider } from './yahoo/yahoo-provider.js';

/** Creates the named provider from the resolved config. */
export function createProvider(name: ProviderName, config: ResolvedConfig, deps: ProviderDeps): Provider {
  switch (name) {
    case 'simulated':
      return createSimulatedProvider(config.providers.simulated, deps);
    case 'tushare':
      return createTushareProvider(
        { ...config.providers.tushare, tokens: tushareTokens(config), token: undefined },
        deps,
      );
    case 'yahoo':
      return createYahooProvider(config.providers.yahoo, deps);
  }
}
