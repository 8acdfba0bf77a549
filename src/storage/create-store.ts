/**
 * Builds the configured store. The only place that knows every store implementation.
 */
import { resolve } from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import type { Logger } from '../limits/logger.js';
import { clickHouseUrls, createClickHouseStore } from './clickhouse/clickhouse-store.js';
import { createDuckDbStore } from './duckdb/duckdb-store.js';
import type { Store } from './store.js';

/** Creates the store of `storage.backend`; `readOnly` opens DuckDB read-only (query/status). */
export function createStore(
  config: ResolvedConfig,
  options: { readOnly?: boolean; logger?: Logger } = {},
): Store {
  if (config.storage.backend === 'clickhouse') {
    return createClickHouseStore(config.storage.clickhouse, options.logger ? { logger: options.logger } : {});
  }
  return createDuckDbStore({
    path: resolve(config.storage.duckdb.path),
    readOnly: options.readOnly ?? false,
  });
}

/** Where the store lives, for messages (never includes credentials). */
export function describeStore(config: ResolvedConfig): string {
  if (config.storage.backend === 'clickhouse') {
    const ch = config.storage.clickhouse;
    const hosts = clickHouseUrls(ch).map((u) => {
      const url = new URL(u);
      return `${url.protocol}//${url.host}`;
    });
    const where =
      ch.cluster === undefined ? hosts.join(', ') : `cluster ${ch.cluster} via ${hosts.join(', ')}`;
    return `clickhouse ${where} database ${ch.database}`;
  }
  return `duckdb ${config.storage.duckdb.path}`;
}
