/**
 * The one schema of `config/data_providers.yaml`: every key with its type, default, bounds and
 * description. The resolved config type is inferred from it. Unknown keys are errors.
 */
import { z } from 'zod';
import { REQUESTED_DATA_TYPES } from '../domain/data-type.js';

const requestsPerMinute = z
  .number()
  .int()
  .positive()
  .describe('Most requests in any 60-second window, per API key (unset = unlimited).');

const rateLimit = (defaultRpm: number | undefined) =>
  z
    .strictObject({
      requests_per_minute:
        defaultRpm === undefined ? requestsPerMinute.optional() : requestsPerMinute.default(defaultRpm),
      per_api: z
        .record(z.string().min(1), z.number().int().positive())
        .default({})
        .describe('Per-endpoint overrides of requests_per_minute, e.g. { stk_mins: 50 }.'),
    })
    .prefault({});

/** A string that may arrive as a number from `${VAR}` (an all-digit token or password). */
const text = () => z.union([z.string(), z.number().transform(String)]);

const simulated = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Use the built-in simulated A-share market.'),
    seed: z
      .number()
      .int()
      .min(0)
      .default(42)
      .describe('Seed: the same seed, symbol and day give the same data.'),
    universe_size: z
      .number()
      .int()
      .min(1)
      .max(20_000)
      .default(150)
      .describe('Number of listed symbols behind --symbols ALL.'),
    latency_ms: z.number().min(0).max(60_000).default(0).describe('Simulated per-request latency, ms.'),
    fail_rate: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Share of requests that fail transiently (fault injection), 0..1.'),
    book_levels: z
      .union([z.literal(5), z.literal(10)])
      .default(10)
      .describe('Depth of simulated books.'),
    rate_limit: rateLimit(undefined),
  })
  .prefault({});

const tushare = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Use Tushare Pro (needs a token).'),
    token: text().optional().describe('API token; use ${TUSHARE_TOKEN}. Secret: redacted everywhere.'),
    tokens: z.array(text()).optional().describe('Several API tokens to rotate; each has its own budget.'),
    base_url: z.url().default('http://api.tushare.pro').describe('Endpoint the client POSTs to, exactly.'),
    timeout_ms: z.number().int().positive().default(30_000).describe('Per-request timeout, ms.'),
    rate_limit: rateLimit(200),
  })
  .prefault({});

const yahoo = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Use the Yahoo Finance chart API.'),
    base_url: z
      .url()
      .default('https://query2.finance.yahoo.com')
      .describe('Host of {base_url}/v8/finance/chart/{symbol}.'),
    timeout_ms: z.number().int().positive().default(30_000).describe('Per-request timeout, ms.'),
    rate_limit: rateLimit(2000),
  })
  .prefault({});

const providerName = z.enum(['simulated', 'tushare', 'yahoo']);

const routing = z
  .strictObject(
    Object.fromEntries(
      REQUESTED_DATA_TYPES.map((t) => [
        t,
        z.array(providerName).min(1).optional().describe(`Providers serving ${t}, in order of preference.`),
      ]),
    ) as Record<(typeof REQUESTED_DATA_TYPES)[number], z.ZodOptional<z.ZodArray<typeof providerName>>>,
  )
  .prefault({})
  .describe('Which providers serve a data type, in order of preference (default: the simulator).');

const ingestion = z
  .strictObject({
    workers: z
      .union([z.number().int().min(1).max(1024), z.literal('auto')])
      .default(1)
      .describe('Most work units in flight; "auto" adapts between 1 and max_workers.'),
    max_workers: z.number().int().min(1).max(1024).default(32).describe('Upper bound for workers: auto.'),
    data_types: z
      .array(z.enum(REQUESTED_DATA_TYPES))
      .min(1)
      .default(['tick_data', 'order_book', 'factors'])
      .describe('Data types to ingest.'),
    retry: z
      .strictObject({
        max_attempts: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(5)
          .describe('Attempts per unit, including the first.'),
        base_delay_ms: z.number().int().min(0).default(500).describe('First backoff step, ms (full jitter).'),
        max_delay_ms: z.number().int().min(0).default(30_000).describe('Backoff cap, ms.'),
        rate_limit_retries: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .default(50)
          .describe(
            'Rate-limit answers absorbed per provider call before it fails; they use up no attempts (the rate-limit gate paces the retry).',
          ),
        store_write_attempts: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(4)
          .describe("Attempts of one store write (a job's rows) before its units fail; same backoff."),
        ledger_write_attempts: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(4)
          .describe('Attempts of one ledger write; after the last, its units are simply redone next run.'),
      })
      .prefault({})
      .describe('Retry policy of provider calls, planning calls, store and ledger writes.'),
    circuit_breaker: z
      .strictObject({
        failure_threshold: z
          .number()
          .int()
          .min(1)
          .max(1_000)
          .default(5)
          .describe('Consecutive transient failures of a provider that open its circuit.'),
        open_ms: z
          .number()
          .int()
          .min(1)
          .default(5_000)
          .describe('First open period, ms: calls fail fast meanwhile, then one probe goes through.'),
        max_open_ms: z
          .number()
          .int()
          .min(1)
          .default(30_000)
          .describe('Cap of the open period, which doubles on each reopening, ms (>= open_ms).'),
      })
      .prefault({})
      .describe('Per-provider circuit breaker.'),
    auto_workers: z
      .strictObject({
        initial: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(4)
          .describe('Worker count a run with workers: auto starts at (clamped to max_workers).'),
        max_latency_growth: z
          .number()
          .min(1)
          .max(100)
          .default(3)
          .describe('Mean latency above this multiple of the best seen halves the worker count.'),
      })
      .prefault({})
      .describe('Adaptive concurrency of workers: auto.'),
    priority: z.array(z.string()).default([]).describe('Symbols processed first.'),
    include_delisted: z.boolean().default(false).describe('With ALL: also delisted and suspended listings.'),
  })
  .prefault({});

const storage = z
  .strictObject({
    backend: z.enum(['duckdb', 'clickhouse']).default('duckdb').describe('Where rows go.'),
    duckdb: z
      .strictObject({
        path: z.string().min(1).default('./data/market.duckdb').describe('DuckDB file path.'),
      })
      .prefault({}),
    clickhouse: z
      .strictObject({
        url: z
          .union([z.url(), z.array(z.url()).min(1)])
          .default('http://127.0.0.1:8123')
          .describe('ClickHouse HTTP endpoint, or a list of cluster nodes (any that answers is used).'),
        cluster: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/)
          .optional()
          .describe('Cluster name (remote_servers): replicated tables ON CLUSTER behind Distributed tables.'),
        outage_budget_ms: z
          .number()
          .int()
          .min(0)
          .default(300_000)
          .describe('How long writes wait for an unreachable ClickHouse before units fail, ms.'),
        database: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
          .default('market')
          .describe('Database (created when missing).'),
        username: text().default('default'),
        password: text().default('').describe('Use ${CLICKHOUSE_PASSWORD}. Secret: redacted everywhere.'),
        max_open_connections: z.number().int().min(1).max(100).default(4),
        request_timeout_ms: z.number().int().positive().default(60_000),
        batch_rows: z.number().int().min(1).default(50_000).describe('Rows coalesced into one insert.'),
        batch_ms: z
          .number()
          .int()
          .min(0)
          .default(1_000)
          .describe('Longest wait before a partial batch is sent, ms.'),
      })
      .prefault({}),
  })
  .prefault({});

const distributed = z
  .strictObject({
    redis_url: z
      .string()
      .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379')
      .describe('Redis holding the job queue and the shared rate-limit windows (env TICKPIPE_REDIS_URL).'),
    queue: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('tickpipe')
      .describe('BullMQ queue name; every worker of a deployment uses the same one.'),
  })
  .prefault({})
  .describe('Distributed mode: tickpipe enqueue / worker / watch (README "Running on several machines").');

/** The config file schema. */
export const configSchema = z
  .strictObject({
    providers: z.strictObject({ simulated, tushare, yahoo }).prefault({}).describe('Provider settings.'),
    routing,
    ingestion,
    storage,
    distributed,
  })
  .describe('tickpipe configuration (config/data_providers.yaml)');

/** The fully resolved configuration (every default applied). */
export type ResolvedConfig = z.output<typeof configSchema>;
/** The config as written in a file (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** Provider names known to the config. */
export type ProviderName = z.output<typeof providerName>;
/** Provider names, in default routing order. */
export const PROVIDER_NAMES: readonly ProviderName[] = ['simulated', 'tushare', 'yahoo'];

/** JSON schema of the config, for editors (`tickpipe config-schema`). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
