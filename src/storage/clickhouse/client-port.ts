/**
 * The part of `@clickhouse/client` the ClickHouse store uses, so that a wrapper (instrumentation,
 * fault injection in tests) may stand in for a client.
 */
import type { ClickHouseClient } from '@clickhouse/client';

/** The client methods the store uses. */
export type ClickHouseClientPort = Pick<ClickHouseClient, 'query' | 'command' | 'insert' | 'exec' | 'close'>;

/** Per-request settings, sent as URL parameters (18.16 has no SETTINGS clause in INSERT). */
export type RequestSettings = Record<string, string | number>;
