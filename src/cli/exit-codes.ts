/**
 * The one place that maps outcomes and errors to process exit codes (README.md, "Output and exit codes").
 */
import { toIngestError } from '../errors.js';

/** Exit codes of every command. */
export const EXIT = {
  /** Everything succeeded. */
  OK: 0,
  /** Unexpected internal error. */
  INTERNAL: 1,
  /** Usage or configuration error; nothing was written. */
  USAGE: 2,
  /** The run finished but some units failed. */
  PARTIAL: 3,
  /** Interrupted; work done so far is kept and resumable. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Exit code for an error that escaped a command. */
export function exitCodeOf(error: unknown): ExitCode {
  const e = toIngestError(error);
  switch (e.code) {
    case 'USAGE':
    case 'CONFIG_INVALID':
    case 'PROVIDER_AUTH':
      // A bad credential is a configuration error: fix the token, nothing was written.
      return EXIT.USAGE;
    case 'ABORTED':
      return EXIT.INTERRUPTED;
    case 'PROVIDER_PERMISSION':
    case 'PROVIDER_NOT_FOUND':
    case 'PROVIDER_UNSUPPORTED':
    case 'PROVIDER_UNAVAILABLE':
    case 'PROVIDER_RATE_LIMITED':
    case 'PROVIDER_QUOTA_EXHAUSTED':
    case 'PROVIDER_BAD_RESPONSE':
    case 'PROVIDER_BAD_REQUEST':
    case 'STORAGE_FAILED':
    case 'DATA_INVALID':
      // The run could not complete its work (e.g. the universe could not be listed).
      return EXIT.PARTIAL;
    case 'INTERNAL':
      return EXIT.INTERNAL;
  }
}
