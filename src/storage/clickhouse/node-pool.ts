/**
 * The ClickHouse nodes a store talks to, and how it rides out their absence (docs/STORAGE.md,
 * "Cluster", "Nodes and failures").
 *
 * - Every request runs on one node: the preferred one, else the next in the configured order. A
 *   node that fails to answer (connection refused or reset, timeout, or a server saying a shard or
 *   ZooKeeper is unreachable) is skipped for {@link NODE_COOLDOWN_MS} and the request moves on.
 * - When no node answers, the store is in an outage: requests wait and retry (exponential backoff
 *   with jitter, through the one retry executor `executeWithRetry`) until a node answers or the
 *   outage has lasted `budgetMs` (checked before each retry); past the
 *   budget they fail fast with a retryable `STORAGE_FAILED`. The pool is also the store's
 *   {@link StoreAvailability}: it announces `waiting`, `recovered` and `gave-up`.
 * - Any other failure is classified once, here: credentials → `CONFIG_INVALID`, the user's SQL →
 *   `USAGE`, the rest → retryable `STORAGE_FAILED`.
 */
import { IngestError, throwIfAborted } from '../../errors.js';
import type { Clock } from '../../limits/clock.js';
import { executeWithRetry } from '../../limits/execute-with-retry.js';
import type { Logger } from '../../limits/logger.js';
import type { StoreAvailability, StoreAvailabilityChange } from '../store-availability.js';
import type { ClickHouseFailure } from './clickhouse-failure.js';
import { parseClickHouseFailure, USER_SQL_ERROR_CODES } from './clickhouse-failure.js';
import type { ClickHouseClientPort } from './client-port.js';

/** Context flag of the error of a round in which no node answered. */
const NO_NODE = 'noNodeAnswered';

/** How long a node that did not answer is passed over while another one answers, ms. */
export const NODE_COOLDOWN_MS = 2_000;

/**
 * Server codes meaning "the cluster cannot serve this right now", not "this request is wrong":
 * 159 timeout, 209 socket timeout, 210 network error, 225 no ZooKeeper, 242 table read-only (its
 * ZooKeeper session is lost), 279 all connection tries failed (a shard is down), 319 unknown
 * status of an insert, 999 ZooKeeper error.
 */
const UNAVAILABLE_SERVER_CODES: ReadonlySet<number> = new Set([159, 209, 210, 225, 242, 279, 319, 999]);
/** 192 unknown user, 193 wrong password, 516 authentication failed: fix the config. */
const AUTH_SERVER_CODES: ReadonlySet<number> = new Set([192, 193, 516]);

/** One ClickHouse node: its URL (for messages: no credentials) and client. */
export interface PoolNode {
  readonly url: string;
  readonly client: ClickHouseClientPort;
  /** The node's `shard` macro, once known (cluster stores). */
  shard?: string;
  /** Passed over until this time (epoch ms) while other nodes answer. */
  downUntil: number;
}

/** Options of {@link NodePool}. */
export interface NodePoolOptions {
  nodes: readonly { url: string; client: ClickHouseClientPort }[];
  /** How long requests wait for an unreachable store before failing, ms. */
  budgetMs: number;
  /** Backoff between rounds over all nodes: first step and cap, ms. */
  baseDelayMs: number;
  maxDelayMs: number;
  database: string;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  logger: Logger;
}

/** Options of one {@link NodePool.run}. */
export interface RunOptions {
  signal?: AbortSignal | undefined;
  /** The request runs the user's SQL: its syntax errors are `USAGE`, not storage failures. */
  userSql?: boolean;
  /** Only these nodes may serve it (e.g. one shard's replicas); default every node. */
  candidates?: readonly PoolNode[];
}

interface Outage {
  sinceMs: number;
  announced: boolean;
  gaveUp: boolean;
  reason: string;
}

/** See the module comment. */
export class NodePool implements StoreAvailability {
  readonly nodes: readonly PoolNode[];
  readonly #o: NodePoolOptions;
  readonly #clock: Clock;
  #preferred = 0;
  #outage: Outage | undefined;
  #closed = false;
  readonly #listeners = new Set<(change: StoreAvailabilityChange) => void>();
  #waiters: { resolve(): void; reject(error: unknown): void }[] = [];

  constructor(options: NodePoolOptions) {
    if (options.nodes.length === 0) throw new RangeError('a node pool needs at least one node');
    this.#o = options;
    this.#clock = { now: options.now, sleep: options.sleep };
    this.nodes = options.nodes.map((n) => ({ url: n.url, client: n.client, downUntil: 0 }));
  }

  /** Runs `request` on the first node that answers; see the module comment. */
  async run<T>(what: string, request: (node: PoolNode) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal } = options;
    const candidates = options.candidates ?? this.nodes;
    let lastFailure: ClickHouseFailure | undefined;
    let lastError: unknown;
    const outcome = await executeWithRetry(
      async () => {
        for (const node of this.#order(candidates)) {
          throwIfAborted(signal);
          try {
            const result = await request(node);
            node.downUntil = 0;
            this.#preferred = this.nodes.indexOf(node);
            this.#recovered();
            return result;
          } catch (error) {
            if (signal?.aborted) throw new IngestError('ABORTED', 'aborted', { cause: error });
            const failure = parseClickHouseFailure(error);
            if (!isUnavailable(failure))
              throw this.#toStoreError(what, failure, error, options.userSql ?? false);
            lastFailure = failure;
            lastError = error;
            node.downUntil = this.#o.now() + NODE_COOLDOWN_MS;
            this.#o.logger.warn('clickhouse node did not answer', {
              node: node.url,
              what,
              error: failure.message,
            });
          }
        }
        throw new IngestError('STORAGE_FAILED', 'no ClickHouse node answered', {
          context: { [NO_NODE]: true },
        });
      },
      {
        policy: {
          maxAttempts: Number.MAX_SAFE_INTEGER,
          baseDelayMs: this.#o.baseDelayMs,
          maxDelayMs: this.#o.maxDelayMs,
        },
        clock: this.#clock,
        random: this.#o.random,
        ...(signal === undefined ? {} : { signal }),
        onFailure: ({ error, attempt }) => {
          if (error.context[NO_NODE] !== true) return 'give-up';
          // The first round over the nodes is repeated at once (a keep-alive socket the server had
          // closed fails one request, not the store); from the second on it is an outage.
          if (attempt === 1) return 'retry-now';
          const outage = this.#enterOutage(lastFailure?.message ?? 'no node answered');
          // The budget counts from the outage's start, shared by every request; it is checked
          // before each retry, so the last backoff wait may overrun it by one step (<= maxDelayMs).
          if (this.#closed || outage.gaveUp || this.#o.now() - outage.sinceMs >= this.#o.budgetMs)
            return 'give-up';
          return 'policy';
        },
      },
    );
    if (outcome.ok) return outcome.value;
    if (outcome.error.context[NO_NODE] !== true) throw outcome.error;
    const outage = this.#enterOutage(lastFailure?.message ?? 'no node answered');
    this.#giveUp(outage);
    throw this.#unreachable(what, outage, lastFailure, lastError);
  }

  /**
   * Runs `request` once on `node` only: no failover, no outage wait (a node that does not answer
   * is put in cooldown and the failure thrown, classified). For per-node chores that another
   * node cannot do (reading its macros, syncing its replica).
   */
  async tryOn<T>(node: PoolNode, what: string, request: (node: PoolNode) => Promise<T>): Promise<T> {
    try {
      const result = await request(node);
      node.downUntil = 0;
      return result;
    } catch (error) {
      const failure = parseClickHouseFailure(error);
      if (isUnavailable(failure)) node.downUntil = this.#o.now() + NODE_COOLDOWN_MS;
      throw this.#toStoreError(what, failure, error, false);
    }
  }

  whenAvailable(params: { signal?: AbortSignal } = {}): Promise<void> {
    const outage = this.#outage;
    if (outage === undefined) return Promise.resolve();
    if (outage.gaveUp) {
      // Past the budget nobody retries: probe once, so intake resumes when the store is back.
      return this.run(
        'answer a ping',
        (node) => node.client.query({ query: 'SELECT 1', format: 'JSONCompact' }).then(() => undefined),
        {
          ...(params.signal === undefined ? {} : { signal: params.signal }),
        },
      );
    }
    return new Promise<void>((resolve, reject) => {
      const signal = params.signal;
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new IngestError('ABORTED', 'aborted', { cause: signal?.reason }));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  onChange(listener: (change: StoreAvailabilityChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Ends every outage wait (requests fail fast from now on); clients are closed by their owner. */
  close(): void {
    this.#closed = true;
  }

  /** Candidates in the order to try: the preferred node first, nodes in cooldown last. */
  #order(candidates: readonly PoolNode[]): PoolNode[] {
    const start = this.nodes[this.#preferred];
    const rotated = [...candidates];
    const at = start === undefined ? -1 : rotated.indexOf(start);
    if (at > 0) rotated.push(...rotated.splice(0, at));
    const now = this.#o.now();
    return [...rotated.filter((n) => n.downUntil <= now), ...rotated.filter((n) => n.downUntil > now)];
  }

  #enterOutage(reason: string): Outage {
    let outage = this.#outage;
    if (outage === undefined) {
      outage = { sinceMs: this.#o.now(), announced: false, gaveUp: false, reason };
      this.#outage = outage;
    }
    outage.reason = reason;
    if (!outage.announced) {
      outage.announced = true;
      this.#o.logger.warn('clickhouse unreachable: waiting', { budgetMs: this.#o.budgetMs, reason });
      this.#emit({ state: 'waiting', store: 'ClickHouse', budgetMs: this.#o.budgetMs, reason });
    }
    return outage;
  }

  #giveUp(outage: Outage): void {
    if (outage.gaveUp) return;
    outage.gaveUp = true;
    const downMs = this.#o.now() - outage.sinceMs;
    this.#emit({ state: 'gave-up', store: 'ClickHouse', downMs, reason: outage.reason });
    const error = this.#unreachable('answer', outage, undefined, undefined);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(error);
  }

  #recovered(): void {
    const outage = this.#outage;
    if (outage === undefined) return;
    this.#outage = undefined;
    const downMs = this.#o.now() - outage.sinceMs;
    if (outage.announced) {
      this.#o.logger.info('clickhouse reachable again', { downMs });
      this.#emit({ state: 'recovered', store: 'ClickHouse', downMs });
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve();
  }

  #emit(change: StoreAvailabilityChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#o.logger.warn('store availability listener failed', { error: String(error) });
      }
    }
  }

  #unreachable(
    what: string,
    outage: Outage,
    failure: ClickHouseFailure | undefined,
    cause: unknown,
  ): IngestError {
    const downS = Math.round((this.#o.now() - outage.sinceMs) / 1000);
    const nodes = this.nodes.length === 1 ? 'its server' : `any of its ${this.nodes.length} nodes`;
    const last = failure?.message ?? outage.reason;
    // A pool that does not wait (opening the store): say where it looked, not "a budget of 0 s".
    const message =
      this.#o.budgetMs === 0
        ? `ClickHouse could not ${what}: no answer from ${this.nodes.map((n) => redactUrl(n.url)).join(', ')} ` +
          `(last error: ${last}); start it, or point storage.clickhouse.url at a running server`
        : `ClickHouse could not ${what}: no answer from ${nodes} for ${downS} s, past the outage budget ` +
          `of ${Math.round(this.#o.budgetMs / 1000)} s (storage.clickhouse.outage_budget_ms); ` +
          `last error: ${last}. Re-run to resume once it is back.`;
    return new IngestError('STORAGE_FAILED', message, {
      retryable: true,
      context: { database: this.#o.database, unreachableMs: this.#o.now() - outage.sinceMs },
      cause,
    });
  }

  #toStoreError(what: string, failure: ClickHouseFailure, cause: unknown, userSql: boolean): IngestError {
    const code = failure.serverCode;
    const userError = userSql && code !== undefined && USER_SQL_ERROR_CODES.has(code);
    const authError = code !== undefined && AUTH_SERVER_CODES.has(code);
    const codePart = code === undefined ? '' : ` (ClickHouse code ${code})`;
    return new IngestError(
      authError ? 'CONFIG_INVALID' : userError ? 'USAGE' : 'STORAGE_FAILED',
      `ClickHouse could not ${what}${codePart}: ${failure.message}`,
      {
        retryable: !userError && !authError,
        context: { database: this.#o.database, serverCode: code },
        cause,
      },
    );
  }
}

/** True when the failure says the node (or the cluster behind it) cannot answer now. */
export function isUnavailable(failure: ClickHouseFailure): boolean {
  if (failure.connection) return true;
  if (failure.serverCode !== undefined) return UNAVAILABLE_SERVER_CODES.has(failure.serverCode);
  return /timeout|timed out/i.test(failure.message);
}

/** A node URL for messages: without user name or password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable URL)';
  }
}
