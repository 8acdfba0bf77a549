/**
 * The real dependencies of a pipeline: providers over `globalThis.fetch`, the system clock,
 * `Math.random`, the factor library. Callers add the store and the reporter (and may override
 * anything else).
 */
import type { ProviderName, ResolvedConfig } from '../config/schema.js';
import { computeFactors } from '../factors/compute-factors.js';
import { createProvider } from '../providers/create-provider.js';
import { silentLogger } from '../limits/logger.js';
import type { Store } from '../storage/store.js';
import type { PipelineDeps } from './create-pipeline.js';
import type { Reporter } from './events.js';
import { systemClock } from '../limits/clock.js';

/** Production `PipelineDeps` for a config (a `LoadedConfig` will do). */
export function productionDeps(
  loaded: { config: ResolvedConfig },
  params: { store: Store; reporter: Reporter } & Partial<PipelineDeps>,
): PipelineDeps {
  return {
    makeProvider: (name, gate) =>
      createProvider(name as ProviderName, loaded.config, {
        fetch: globalThis.fetch,
        gate,
        now: () => Date.now(),
        logger: silentLogger,
      }),
    clock: systemClock,
    random: Math.random,
    logger: silentLogger,
    computeFactors,
    ...params,
  };
}
