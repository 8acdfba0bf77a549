/** What commands may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (selects the live progress bar). */
  isTty: boolean;
  /** Terminal width, if known. */
  columns?: number;
  env: Readonly<Record<string, string | undefined>>;
  /** Raw stdout stream writer for in-place redraws. */
  rawStdout?: { write(s: string): unknown; columns?: number };
  /** Subscribes to SIGINT/SIGTERM (the handler gets the signal's name); returns an unsubscribe function. */
  onInterrupt?(handler: (signal?: string) => void): () => void;
}

/** The process's real IO. */
export function processIo(): CliIo {
  // A reader that went away (`tickpipe run | head -1`) must not kill the run: the ingestion goes
  // on and is recorded; only the output stops.
  let stdoutClosed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') stdoutClosed = true;
    else throw e;
  });
  const write = (text: string) => {
    if (!stdoutClosed) process.stdout.write(text);
  };
  return {
    stdout: (t) => write(`${t}\n`),
    stderr: (t) => process.stderr.write(`${t}\n`),
    isTty: Boolean(process.stdout.isTTY),
    columns: process.stdout.columns,
    env: process.env,
    rawStdout: { write, columns: process.stdout.columns },
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}
