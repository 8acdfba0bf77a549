/**
 * The structured logger every layer above `limits/` receives through its deps. Implementations
 * (silent for tests and library use, pino for the CLI) redact secrets before anything is written.
 */

/** Minimal structured logger. Messages never contain secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
