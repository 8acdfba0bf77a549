/**
 * The `@clickhouse/client` clients of a store: per configured URL an admin client without a
 * database (the server refuses every request naming a missing database, so the schema is created
 * through these; closed once the store is open) and a client on the store's database; or one
 * client on embedded chdb for both.
 */
import { createClient } from '@clickhouse/client';
import type { ClickHouseLogLevel } from '@clickhouse/client';
import type { ResolvedConfig } from '../../config/schema.js';
import { IngestError } from '../../errors.js';
import type { ClickHouseClientPort } from './client-port.js';

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

const OFF_LOG_LEVEL: ClickHouseLogLevel = 127 as ClickHouseLogLevel;

/** A client with the URL it talks to, for messages (never credentials). */
export interface NamedClient {
  url: string;
  client: ClickHouseClientPort;
}

/** The part of `chdb/connection` the store uses. */
export interface ChdbConnectionModule {
  createChdbConnection(params: { path: string }): unknown;
}

/**
 * Loads chdb, an optional package (546 MB, Linux x64 and macOS builds only; the test script
 * installs it). The specifier is a variable so that compiling does not need chdb's types.
 */
export async function loadChdb(): Promise<ChdbConnectionModule> {
  const specifier = 'chdb/connection';
  return (await import(specifier)) as ChdbConnectionModule;
}

/** The configured node URLs, in order. */
export function clickHouseUrls(config: Pick<ResolvedConfig['storage']['clickhouse'], 'url'>): string[] {
  return typeof config.url === 'string' ? [config.url] : [...config.url];
}

/** Creates the clients (nothing connects yet); with chdb, `admins` and `clients` are the same one. */
export async function createNodeClients(
  cfg: ResolvedConfig['storage']['clickhouse'] & { connection?: 'http' | { chdbPath: string } },
  wrap: (client: ClickHouseClientPort) => ClickHouseClientPort,
): Promise<{ admins: NamedClient[]; clients: NamedClient[] }> {
  if (typeof cfg.connection === 'object') {
    let chdb: ChdbConnectionModule;
    try {
      chdb = await loadChdb();
    } catch (cause) {
      throw new IngestError(
        'CONFIG_INVALID',
        'embedded ClickHouse needs the optional package "chdb" (npm install chdb)',
        {
          cause,
          retryable: false,
        },
      );
    }
    // chdb keeps one session (SET and USE persist), so one client serves bootstrap and queries.
    const client = wrap(
      createClient({
        // chdb types its connection against its own copy of @clickhouse/client-common.
        connection: chdb.createChdbConnection({
          path: cfg.connection.chdbPath,
        }) as unknown as ClientConnection,
        log: { level: OFF_LOG_LEVEL },
      }),
    );
    const both = [{ url: 'chdb', client }];
    return { admins: both, clients: both };
  }
  const base = (url: string) => ({
    url,
    username: cfg.username,
    password: cfg.password,
    request_timeout: cfg.request_timeout_ms,
    max_open_connections: cfg.max_open_connections,
    log: { level: OFF_LOG_LEVEL },
  });
  const urls = clickHouseUrls(cfg);
  return {
    admins: urls.map((url) => ({
      url: redactUrl(url),
      client: wrap(createClient({ ...base(url), max_open_connections: 1 })),
    })),
    clients: urls.map((url) => ({
      url: redactUrl(url),
      client: wrap(createClient({ ...base(url), database: cfg.database })),
    })),
  };
}

/** A URL without credentials, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
