/** Parameters of {@link runPool}. */
export interface RunPoolParams<T> {
  /**
   * The next item, or `undefined` when none is ready now. Called whenever a slot is free (and
   * again after each worker finishes, since a finished worker may have queued more work). The
   * caller owns ordering and priorities.
   */
  take(): T | undefined;
  /** How many workers may be in flight; read before starting each item and whenever one finishes. Values below 1 count as 1. */
  concurrency(): number;
  /**
   * Processes one item. Expected to handle its own errors (retry, record the failure); a
   * rejection does not stop the pool but is rethrown by {@link runPool} after the drain.
   */
  worker(item: NoInfer<T>, signal: AbortSignal): Promise<void>;
  /** Aborting stops taking new items; in-flight workers receive it and are awaited. */
  signal: AbortSignal;
  /**
   * Called when `take()` returned `undefined`: resolve `true` when `take()` may have new items
   * (e.g. a delayed retry became due), `false` when nothing more will come unless a running worker
   * queues it (the pool then ends once nothing is in flight). Raced against in-flight
   * workers finishing; its `signal` fires when the pool stops waiting for it (clean up timers).
   * It must only wait, never move items: a cancelled wait must lose nothing.
   * Without it, `undefined` from `take()` with nothing in flight ends the pool.
   */
  onIdleWait?(signal: AbortSignal): Promise<boolean>;
}

/**
 * Runs `worker` over items from `take()` with at most `concurrency()` in flight, starting a new
 * one as soon as a slot frees. Resolves when no item is left and every worker has finished, or,
 * after `signal` aborted, when the in-flight workers have settled (the pool itself does not
 * reject on abort: the caller checks its signal). If workers rejected, rethrows after the drain:
 * the error itself when there was one, else an `AggregateError` of all.
 */
export async function runPool<T>(params: RunPoolParams<T>): Promise<void> {
  const { take, worker, signal, onIdleWait } = params;
  const inFlight = new Set<Promise<void>>();
  const errors: unknown[] = [];
  const slots = (): number => {
    const n = Math.floor(params.concurrency());
    return Number.isFinite(n) && n >= 1 ? n : 1;
  };
  const start = (item: T): void => {
    const run = (async () => {
      try {
        await worker(item, signal);
      } catch (error) {
        errors.push(error);
      }
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };

  let ended = false;
  while (!ended || inFlight.size > 0) {
    let idle = false;
    while (!signal.aborted && !ended && inFlight.size < slots()) {
      const item = take();
      if (item === undefined) {
        idle = true;
        break;
      }
      start(item);
    }
    if (signal.aborted) ended = true;
    const anyDone = inFlight.size > 0 ? Promise.race(inFlight) : undefined;
    if (!idle || ended) {
      if (anyDone === undefined) break;
      await anyDone;
      continue;
    }
    if (onIdleWait === undefined) {
      if (anyDone === undefined) break;
      await anyDone;
      continue;
    }
    const idleController = new AbortController();
    const onAbort = (): void => idleController.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const idleWait = onIdleWait(idleController.signal).then(
        (more) => (more ? 'more' : 'done'),
        (error: unknown) => {
          if (!signal.aborted) errors.push(error);
          return 'done' as const;
        },
      );
      const outcome = await (anyDone === undefined
        ? idleWait
        : Promise.race([idleWait, anyDone.then(() => 'worker' as const)]));
      // "No more" is final only once nothing is in flight: a running worker may still queue work.
      if (outcome === 'done') {
        if (anyDone === undefined) ended = true;
        else await anyDone;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      idleController.abort();
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} workers failed`);
}
