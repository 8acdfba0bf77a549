/**
 * The CLI's logger: pino JSON lines (`--log-file PATH`, else stderr) at `--log-level`. Every
 * message and every string inside its fields passes the config's secret redactor before pino
 * sees it, so no line can carry a token or password. Without `--log-level` and `--log-file` the
 * CLI logs nothing: the progress display and NDJSON events are the user-facing output.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger as Pino } from 'pino';
import { IngestError } from '../errors.js';
import type { Logger } from '../limits/logger.js';

/** Levels of `--log-level`. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
/** A level of `--log-level`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options of {@link createPinoLogger}. */
export interface PinoLoggerOptions {
  /** Lowest level written. Default `info` with a file, else `silent`. */
  level?: string | undefined;
  /** JSON-lines file (appended; parent folders created). Default: stderr when a level is given. */
  file?: string | undefined;
  /** Removes secrets from text. */
  redact(text: string): string;
}

/** A {@link Logger} plus `flush` for the end of the process. */
export interface CliLogger extends Logger {
  /** Writes buffered lines (synchronous destinations: nothing to do). */
  flush(): void;
}

function redactValue(value: unknown, redact: (text: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redact, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactValue(v, redact, depth + 1)]),
  );
}

/** Creates the CLI logger; throws `USAGE` naming the flag for a bad level. */
export function createPinoLogger(options: PinoLoggerOptions): CliLogger {
  const level = options.level ?? (options.file !== undefined ? 'info' : 'silent');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new IngestError('USAGE', `--log-level: expected ${LOG_LEVELS.join(', ')}, found "${level}"`);
  }
  let destination: ReturnType<typeof pino.destination>;
  if (options.file !== undefined) {
    try {
      mkdirSync(dirname(options.file), { recursive: true });
    } catch {
      // The destination reports the real problem below.
    }
    destination = pino.destination({ dest: options.file, sync: true, append: true });
  } else {
    destination = pino.destination({ dest: 2, sync: true });
  }
  const base: Pino = pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (!base.isLevelEnabled(method)) return;
      const safe =
        fields === undefined ? {} : (redactValue(fields, options.redact) as Record<string, unknown>);
      base[method](safe, options.redact(message));
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    flush: () => destination.flushSync?.(),
  };
}
