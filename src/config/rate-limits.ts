/**
 * The configured request limit of one provider endpoint, per API key and rate-limit window:
 * `providers.<name>.rate_limit.per_api.<endpoint>` when set, else the provider's
 * `requests_per_minute`; `undefined` = unlimited. The one place that reads these keys (gates,
 * reports, metrics, distributed workers and the providers' own endpoint descriptions).
 */
import type { ProviderName, ResolvedConfig } from './schema.js';

/** The `rate_limit` section of one provider. */
export type RateLimitConfig = ResolvedConfig['providers'][ProviderName]['rate_limit'];

/** Limit of `endpoint` within one provider's `rate_limit` section. */
export function endpointLimit(rateLimit: RateLimitConfig, endpoint: string): number | undefined {
  return rateLimit.per_api[endpoint] ?? rateLimit.requests_per_minute;
}

/** Limit of (`provider`, `endpoint`) in the whole config; `undefined` for an unknown provider. */
export function configuredLimit(
  config: ResolvedConfig,
  provider: string,
  endpoint: string,
): number | undefined {
  const p = config.providers[provider as ProviderName] as { rate_limit: RateLimitConfig } | undefined;
  return p === undefined ? undefined : endpointLimit(p.rate_limit, endpoint);
}
