/**
 * Checks and connections shared by `enqueue`, `worker`, `watch` and `status --run`: the config
 * must name a reachable Redis, and (to enqueue or run jobs) a ClickHouse server store.
 */
import { Redis } from 'ioredis';
import type { LoadedConfig } from '../config/load-config.js';
import { IngestError } from '../errors.js';
import { connectRedis } from './redis-window-store.js';

/** Throws `CONFIG_INVALID` unless the store is a ClickHouse server (DuckDB has one writer). */
export function requireServerStore(loaded: LoadedConfig, command: string): void {
  if (loaded.config.storage.backend !== 'clickhouse') {
    throw new IngestError(
      'CONFIG_INVALID',
      `${command} needs a ClickHouse server as the store (storage.backend: clickhouse, or --storage clickhouse); ` +
        `found "${loaded.config.storage.backend}": DuckDB is one file with one writer, so workers on several machines cannot share it`,
      { retryable: false },
    );
  }
}

/** The Redis URL without its password, for messages. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Connects to the configured Redis and checks it answers within `timeoutMs`; throws
 * `CONFIG_INVALID` (exit 2) naming the URL and the config key otherwise. Resolves with a
 * connection that afterwards waits (does not fail) through outages.
 */
export async function connectConfiguredRedis(
  loaded: LoadedConfig,
  params: { name: string; timeoutMs?: number },
): Promise<{ url: string; redis: Redis }> {
  const url = loaded.config.distributed.redis_url;
  const shown = describeRedisUrl(url);
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: params.timeoutMs ?? 3_000,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    const pong = await probe.ping();
    if (pong !== 'PONG') throw new Error(`unexpected answer to PING: ${pong}`);
  } catch (e) {
    throw new IngestError(
      'CONFIG_INVALID',
      loaded.redactor.redact(
        `Redis at ${shown} is unreachable (${(e as Error).message || 'no answer'}): start Redis there, ` +
          'or point distributed.redis_url (env TICKPIPE_REDIS_URL) at a running one',
      ),
      { retryable: false },
    );
  } finally {
    probe.disconnect();
  }
  const redis = connectRedis(url, params.name);
  redis.on('error', () => {});
  return { url, redis };
}
