/**
 * Shared set-up of commands: config loading with the common flags, the store, reporters.
 */
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { IngestError } from '../errors.js';
import type { Reporter } from '../pipeline/events.js';
import { createJsonReporter } from '../report/json-reporter.js';
import { createPlainReporter } from '../report/plain-reporter.js';
import { createProgressReporter } from '../report/progress-reporter.js';
import { createStore } from '../storage/create-store.js';
import type { Store } from '../storage/store.js';
import type { CliIo } from './cli-io.js';
import { createPinoLogger, type CliLogger } from './pino-logger.js';

/** Flags every store-touching command accepts. */
export interface CommonFlags {
  providersConfig?: string;
  storage?: string;
  /** `--log-level`: debug, info, warn, error, silent. */
  logLevel?: string;
  /** `--log-file`: JSON-lines log file. */
  logFile?: string;
}

/** The logger of `--log-level` / `--log-file` (silent without either); lines pass the config's redactor. */
export function loggerFor(flags: CommonFlags, loaded: LoadedConfig): CliLogger {
  return createPinoLogger({
    level: flags.logLevel,
    file: flags.logFile,
    redact: (text) => loaded.redactor.redact(text),
  });
}

/** Loads the config with `--providers-config`, `--storage` and other overrides applied. */
export function loadForCommand(
  io: CliIo,
  flags: CommonFlags,
  overrides: Record<string, unknown> = {},
): LoadedConfig {
  const storage: Record<string, unknown> = {};
  if (flags.storage !== undefined) {
    if (flags.storage !== 'duckdb' && flags.storage !== 'clickhouse') {
      throw new IngestError('USAGE', `--storage: expected duckdb or clickhouse, found "${flags.storage}"`);
    }
    storage.backend = flags.storage;
  }
  const loaded = loadConfig({
    ...(flags.providersConfig !== undefined ? { path: flags.providersConfig } : {}),
    env: io.env,
    overrides: { ...overrides, ...(Object.keys(storage).length > 0 ? { storage } : {}) },
  });
  io.onConfigLoaded?.(loaded);
  return loaded;
}

/** Opens and initialises the configured store. */
export async function openStore(loaded: LoadedConfig, options: { readOnly?: boolean } = {}): Promise<Store> {
  const store = createStore(loaded.config, options);
  try {
    await store.init();
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
  return store;
}

/** The reporter for `--log-format`. */
export function reporterFor(io: CliIo, format: string | undefined, redact: (s: string) => string): Reporter {
  const fmt = format ?? (io.isTty ? 'pretty' : 'plain');
  const out = (line: string) => io.stdout(redact(line));
  switch (fmt) {
    case 'json':
      return createJsonReporter(out);
    case 'plain':
      return createPlainReporter(out);
    case 'pretty':
      if (io.rawStdout && io.isTty) {
        const raw = io.rawStdout;
        return createProgressReporter(
          {
            write: (s) => raw.write(redact(s)),
            // Read at each redraw, so the line follows terminal resizes.
            get columns() {
              return raw.columns ?? io.columns ?? 120;
            },
          },
          // https://no-color.org: any non-empty NO_COLOR turns colour off.
          { color: !io.env.NO_COLOR },
        );
      }
      return createPlainReporter(out);
    default:
      throw new IngestError('USAGE', `--log-format: expected pretty, plain or json, found "${fmt}"`);
  }
}
