/**
 * Coalesces the rows of many writes into few large inserts.
 *
 * A write hands in parts: the rows of one slice (e.g. one unit's rows of one table), named by a
 * key. A batch is sent when it holds `batchRows` rows, or `batchMs` after its first write, or
 * (group commit) as soon as the batch before it has finished, or `idleLingerMs` after its first
 * write when no batch is in flight. Writers wait for durability, so without the last two rules a
 * few blocked writers would idle for `batchMs` per batch; with them, batches grow to whatever
 * arrives while the previous insert runs. Sending runs `prepare` with the batch's slice keys (the store deletes
 * stale rows there), then inserts each table's rows in chunks of at most `batchRows` rows, at
 * most `maxConcurrentInserts` at a time. Batches run one after another, so a later write of a
 * slice always lands after an earlier one; within the open batch a later part of the same key
 * replaces the earlier one.
 *
 * The promise of {@link InsertBatcher.add} settles only when every insert holding its rows has
 * settled: it resolves if all succeeded and rejects with the first failure otherwise, so a failed
 * insert rejects exactly the writes whose rows it held. A failed `prepare` rejects the whole batch.
 */

/** Cancels a scheduled timer. */
export type CancelTimer = () => void;

/** The rows of one slice of one table. */
export interface BatchPart<Table extends string, Row> {
  /** Identifies the slice; a later part with the same key in the same batch replaces this one. */
  key: string;
  table: Table;
  /** May be empty: the slice is then only passed to `prepare`. */
  rows: Row[];
}

/** Options of {@link InsertBatcher}. */
export interface InsertBatcherOptions<Table extends string, Row> {
  /** Rows that trigger a send, and the most rows per insert (>= 1). */
  batchRows: number;
  /** Longest wait before a partial batch is sent, ms (0 = on the next macrotask). */
  batchMs: number;
  /** Most inserts of a batch in flight at once (>= 1). */
  maxConcurrentInserts: number;
  /** Performs one insert; rejects when the rows are not durable. */
  insert(params: { table: Table; rows: Row[] }): Promise<void>;
  /** Runs before a batch's inserts with the parts it holds (rows included); a rejection fails the batch. */
  prepare?(parts: readonly BatchPart<Table, Row>[]): Promise<void>;
  /** Wait before sending when no batch is in flight, ms (default 10, capped by `batchMs`). */
  idleLingerMs?: number;
  /** Schedules `fn` after `delayMs`; defaults to `setTimeout`. */
  setTimer?: (fn: () => void, delayMs: number) => CancelTimer;
}

interface Waiter {
  pendingInserts: number;
  error: unknown;
  failed: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

interface HeldPart<Table extends string, Row> {
  part: BatchPart<Table, Row>;
  /** Writes whose outcome depends on this part (including writes it superseded). */
  owners: Set<Waiter>;
}

interface Batch<Table extends string, Row> {
  parts: Map<string, HeldPart<Table, Row>>;
  waiters: Set<Waiter>;
  rowCount: number;
  cancelTimer: CancelTimer | undefined;
}

const defaultSetTimer = (fn: () => void, delayMs: number): CancelTimer => {
  const t = setTimeout(fn, delayMs);
  return () => clearTimeout(t);
};

/** See the module comment. */
export class InsertBatcher<Table extends string, Row> {
  readonly #options: InsertBatcherOptions<Table, Row>;
  readonly #setTimer: (fn: () => void, delayMs: number) => CancelTimer;
  #open: Batch<Table, Row> | undefined;
  #tail: Promise<void> = Promise.resolve();
  /** Batches sent and not yet settled. */
  #busy = 0;
  #running = 0;
  readonly #queue: (() => void)[] = [];

  constructor(options: InsertBatcherOptions<Table, Row>) {
    if (!(options.batchRows >= 1)) throw new RangeError('batchRows must be >= 1');
    if (!(options.maxConcurrentInserts >= 1)) throw new RangeError('maxConcurrentInserts must be >= 1');
    this.#options = options;
    this.#setTimer = options.setTimer ?? defaultSetTimer;
  }

  /** Rows waiting in the open batch. */
  get pendingRows(): number {
    return this.#open?.rowCount ?? 0;
  }

  /** Adds the parts of one write; settles when the inserts holding them have. */
  add(parts: readonly BatchPart<Table, Row>[]): Promise<void> {
    if (parts.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { pendingInserts: 0, error: undefined, failed: false, resolve, reject };
      const batch = (this.#open ??= {
        parts: new Map(),
        waiters: new Set(),
        rowCount: 0,
        cancelTimer: undefined,
      });
      batch.waiters.add(waiter);
      for (const part of parts) {
        const owners = new Set([waiter]);
        const previous = batch.parts.get(part.key);
        if (previous !== undefined) {
          batch.rowCount -= previous.part.rows.length;
          for (const w of previous.owners) owners.add(w);
          batch.parts.delete(part.key); // re-insert so the part moves to the end: write order
        }
        batch.parts.set(part.key, { part, owners });
        batch.rowCount += part.rows.length;
      }
      if (batch.rowCount >= this.#options.batchRows) this.#send();
      else if (batch.cancelTimer === undefined) {
        const idle = Math.min(this.#options.idleLingerMs ?? 10, this.#options.batchMs);
        batch.cancelTimer = this.#setTimer(
          () => this.#send(),
          this.#busy === 0 ? idle : this.#options.batchMs,
        );
      }
    });
  }

  /** Sends the open batch now and waits until every batch has settled. */
  async flush(): Promise<void> {
    this.#send();
    let tail: Promise<void>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }

  #send(): void {
    const batch = this.#open;
    if (batch === undefined) return;
    this.#open = undefined;
    batch.cancelTimer?.();
    this.#busy++;
    this.#tail = this.#tail
      .then(() => this.#run(batch))
      .finally(() => {
        this.#busy--;
        // Group commit: rows that arrived while this batch ran go out now.
        if (this.#busy === 0 && this.#open !== undefined) this.#send();
      });
  }

  async #run(batch: Batch<Table, Row>): Promise<void> {
    const held = [...batch.parts.values()];
    try {
      await this.#options.prepare?.(held.map((h) => h.part));
    } catch (error) {
      for (const w of batch.waiters) w.reject(error);
      return;
    }
    const byTable = new Map<Table, HeldPart<Table, Row>[]>();
    for (const h of held) {
      const list = byTable.get(h.part.table);
      if (list === undefined) byTable.set(h.part.table, [h]);
      else list.push(h);
    }
    const max = this.#options.batchRows;
    const inserts: Promise<void>[] = [];
    for (const [table, parts] of byTable) {
      let rows: Row[] = [];
      let owners = new Set<Waiter>();
      const emit = (): void => {
        if (rows.length > 0) inserts.push(this.#insert(table, rows, owners));
        rows = [];
        owners = new Set();
      };
      for (const h of parts) {
        let offset = 0;
        while (offset < h.part.rows.length) {
          const take = Math.min(max - rows.length, h.part.rows.length - offset);
          for (let i = offset; i < offset + take; i++) rows.push(h.part.rows[i] as Row);
          offset += take;
          for (const w of h.owners) owners.add(w);
          if (rows.length >= max) emit();
        }
      }
      emit();
    }
    // Writes with nothing left to insert (empty or superseded parts) are done once prepared.
    for (const w of batch.waiters) if (w.pendingInserts === 0) w.resolve();
    await Promise.allSettled(inserts);
  }

  #insert(table: Table, rows: Row[], owners: Set<Waiter>): Promise<void> {
    for (const w of owners) w.pendingInserts++;
    const settle = (failed: boolean, error: unknown): void => {
      for (const w of owners) {
        if (failed && !w.failed) {
          w.failed = true;
          w.error = error;
        }
        if (--w.pendingInserts === 0) {
          if (w.failed) w.reject(w.error);
          else w.resolve();
        }
      }
    };
    return this.#acquire()
      .then(() => this.#options.insert({ table, rows }))
      .then(
        () => settle(false, undefined),
        (error: unknown) => settle(true, error),
      )
      .finally(() => this.#release());
  }

  #acquire(): Promise<void> {
    if (this.#running < this.#options.maxConcurrentInserts) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next !== undefined) next();
    else this.#running--;
  }
}
