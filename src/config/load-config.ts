/**
 * Loads `config/data_providers.yaml`: YAML → `${VAR}` interpolation → environment overrides →
 * schema (all issues at once, as key paths) → rules across keys → {@link LoadedConfig}.
 * Precedence: defaults < file < environment < flags; the CLI hands every flag that sets a config
 * key to `overrides`, so flags are merged here, once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { IngestError } from '../errors.js';
import { interpolateEnv, protectReferences, type VariableUse } from './interpolate.js';
import { createRedactor, type Redactor } from './redactor.js';
import { configSchema, PROVIDER_NAMES, type ProviderName, type ResolvedConfig } from './schema.js';

/** The default config path of every command. */
export const DEFAULT_CONFIG_PATH = './config/data_providers.yaml';

/** Whether a provider can be used, and why not. */
export interface ProviderStatus {
  enabled: boolean;
  /** Credentials present (always true for providers that need none). */
  configured: boolean;
  /** Why the provider is not usable, e.g. "tushare not configured: TUSHARE_TOKEN is not set". */
  reason?: string;
}

/** A loaded, validated configuration. */
export interface LoadedConfig {
  config: ResolvedConfig;
  /** Path the config was read from, or `undefined` when defaults were used. */
  path: string | undefined;
  providers: Record<ProviderName, ProviderStatus>;
  /** Redacts every secret of this config. */
  redactor: Redactor;
  /** Warnings for the user (e.g. a provider skipped for missing credentials). */
  warnings: string[];
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Config path; when omitted the default path is used if it exists, else built-in defaults. */
  path?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Deep-merged over file and environment: the CLI's flags, so they win (defaults < file < environment < flags). */
  overrides?: Record<string, unknown>;
}

/** Environment variables that override config keys (documented in the README). */
export const ENV_OVERRIDES: ReadonlyArray<{
  variable: string;
  path: readonly string[];
  parse?: (v: string) => unknown;
}> = [
  { variable: 'TICKPIPE_STORAGE', path: ['storage', 'backend'] },
  { variable: 'TICKPIPE_DUCKDB_PATH', path: ['storage', 'duckdb', 'path'] },
  { variable: 'TICKPIPE_CLICKHOUSE_URL', path: ['storage', 'clickhouse', 'url'] },
  { variable: 'TICKPIPE_CLICKHOUSE_DATABASE', path: ['storage', 'clickhouse', 'database'] },
  { variable: 'TICKPIPE_REDIS_URL', path: ['distributed', 'redis_url'] },
  {
    variable: 'TICKPIPE_WORKERS',
    path: ['ingestion', 'workers'],
    parse: (v) => (v === 'auto' ? v : Number(v)),
  },
];

/** Loads and validates the config; throws `CONFIG_INVALID` listing every problem. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const explicit = options.path !== undefined;
  const path = options.path ?? DEFAULT_CONFIG_PATH;
  let raw: unknown = {};
  let references: string[] = [];
  let usedPath: string | undefined;
  if (existsSync(path)) {
    usedPath = path;
    const text = readFileSync(path, 'utf8');
    try {
      const protectedText = protectReferences(text);
      references = protectedText.references;
      raw = parseYaml(protectedText.text) ?? {};
    } catch (e) {
      const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}` : '';
      // Only the first line: the rest is an excerpt of the file, which may hold a literal token.
      const what = ((e as Error).message.split('\n')[0] ?? 'parse error').replace(/:$/, '');
      throw new IngestError('CONFIG_INVALID', `Config ${path}: invalid YAML${where}: ${what}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new IngestError(
        'CONFIG_INVALID',
        `Config ${path}: expected a mapping at the top level, found ${typeof raw}`,
      );
    }
  } else if (explicit) {
    throw new IngestError('CONFIG_INVALID', `Config file not found: ${path}`);
  }

  return resolveConfigDocument(raw, {
    env,
    ...(options.overrides ? { overrides: options.overrides } : {}),
    path: usedPath,
    references,
  });
}

/** Options of {@link resolveConfigDocument}. */
export interface ResolveConfigOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Deep-merged over the document and environment (flags). */
  overrides?: Record<string, unknown>;
  /** Where the document came from, for messages (`undefined`: built-in defaults). */
  path?: string | undefined;
  /** `${VAR}` references protected while parsing YAML (internal to `loadConfig`). */
  references?: string[];
}

/**
 * Resolves a config document already in memory (what a YAML file parses to): `${VAR}`
 * interpolation → environment overrides → `overrides` → schema → rules. Tests and benchmarks use
 * it to build a config without writing a file.
 */
export function resolveConfigDocument(raw: unknown, options: ResolveConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const usedPath = options.path;
  const references = options.references ?? [];
  const { value: interpolated, uses } = interpolateEnv(raw, env, references);
  let merged = interpolated as Record<string, unknown>;
  for (const o of ENV_OVERRIDES) {
    const v = env[o.variable];
    if (v !== undefined && v !== '') merged = setPath(merged, o.path, o.parse ? o.parse(v) : v);
  }
  if (options.overrides) merged = deepMerge(merged, options.overrides);

  const parsed = configSchema.safeParse(merged, { reportInput: true });
  const where = usedPath ?? 'built-in defaults';
  if (!parsed.success) {
    // Error messages echo bad values; a secret may sit where it does not belong.
    const early = createRedactor(secretCandidates(merged, uses, env));
    throw new IngestError(
      'CONFIG_INVALID',
      early.redact(`Invalid configuration (${where}):\n${formatIssues(parsed.error.issues)}`),
      { context: { path: usedPath } },
    );
  }
  const config = parsed.data;
  const redactor = createRedactor(collectSecrets(config));
  const warnings: string[] = [];
  const providers = providerStatuses(config, uses, warnings);
  const ruleIssues = checkRules(config, options.overrides ?? {});
  if (ruleIssues.length > 0) {
    throw new IngestError(
      'CONFIG_INVALID',
      `Invalid configuration (${where}):\n${ruleIssues.map((i) => `  - ${i}`).join('\n')}`,
    );
  }
  return { config, path: usedPath, providers, redactor, warnings };
}

/** Formats schema issues as `  - key.path: expected X, found Y` lines. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join('.') || '(root)';
      const found = 'input' in issue ? describeValue((issue as { input?: unknown }).input) : undefined;
      if (issue.code === 'unrecognized_keys') {
        return issue.keys
          .map(
            (k) =>
              `  - ${path === '(root)' ? k : `${path}.${k}`}: unknown key (allowed: ${allowedKeys(issue.path)})`,
          )
          .join('\n');
      }
      const message = issue.message.replace(/^Invalid input: /, '');
      const shown = message.replace(/, received \w+$/, '');
      return `  - ${path}: ${shown}${found !== undefined ? `, found ${found}` : ''}`;
    })
    .join('\n');
}

function allowedKeys(path: readonly PropertyKey[]): string {
  let node: unknown = configSchema;
  for (const seg of path) {
    const shape = objectShape(node);
    node = shape?.[String(seg)];
  }
  const shape = objectShape(node);
  return shape ? Object.keys(shape).join(', ') : '?';
}

function objectShape(node: unknown): Record<string, unknown> | undefined {
  let n = node as
    { def?: { type?: string; innerType?: unknown; shape?: Record<string, unknown> } } | undefined;
  // Unwrap defaults/optionals/prefaults down to the object.
  for (let i = 0; i < 5 && n?.def && n.def.type !== 'object'; i++) n = n.def.innerType as typeof n;
  return n?.def?.type === 'object' ? n.def.shape : undefined;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'a list' : 'a mapping';
  return String(v);
}

const SECRET_VARIABLE = /TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY/i;

/** Secrets of a config that did not validate: values at secret keys and of secret-looking variables. */
function secretCandidates(
  raw: Record<string, unknown>,
  uses: readonly VariableUse[],
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const at = (path: readonly string[]): unknown =>
    path.reduce<unknown>((node, k) => (isPlainObject(node) ? node[k] : undefined), raw);
  const values = [at(['providers', 'tushare', 'token']), at(['storage', 'clickhouse', 'password'])];
  const tokens = at(['providers', 'tushare', 'tokens']);
  if (Array.isArray(tokens)) values.push(...(tokens as unknown[]));
  for (const u of uses) if (SECRET_VARIABLE.test(u.variable)) values.push(env[u.variable]);
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

function collectSecrets(config: ResolvedConfig): string[] {
  const t = config.providers.tushare;
  return [
    ...(t.token ? [t.token] : []),
    ...(t.tokens ?? []),
    config.storage.clickhouse.password,
    redisUrlPassword(config.distributed.redis_url),
  ].filter((s) => s.length > 0);
}

/** The password inside a `redis://user:password@host` URL ('' when none). */
function redisUrlPassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/** The non-empty Tushare tokens of a config, in rotation order. */
export function tushareTokens(config: ResolvedConfig): string[] {
  const t = config.providers.tushare;
  return [...(t.tokens ?? []), ...(t.token ? [t.token] : [])].filter((s) => s.trim().length > 0);
}

function providerStatuses(
  config: ResolvedConfig,
  uses: readonly VariableUse[],
  warnings: string[],
): Record<ProviderName, ProviderStatus> {
  const out = {} as Record<ProviderName, ProviderStatus>;
  for (const name of PROVIDER_NAMES) {
    const enabled = config.providers[name].enabled;
    out[name] = { enabled, configured: true };
  }
  if (tushareTokens(config).length === 0) {
    const vars = uses
      .filter((u) => u.path.startsWith('providers.tushare.token') && !u.set)
      .map((u) => u.variable);
    const why =
      vars.length > 0
        ? `${vars.join(', ')} is not set (providers.tushare.token)`
        : 'no token (set providers.tushare.token to ${TUSHARE_TOKEN} and export TUSHARE_TOKEN)';
    out.tushare = {
      enabled: config.providers.tushare.enabled,
      configured: false,
      reason: `tushare not configured: ${why}`,
    };
    if (config.providers.tushare.enabled) warnings.push(`${out.tushare.reason}; skipping tushare`);
  }
  return out;
}

function checkRules(config: ResolvedConfig, overrides: Record<string, unknown>): string[] {
  const issues: string[] = [];
  // A worker count given as a flag is taken as asked (max_workers bounds workers: auto only);
  // in the file or the environment, above max_workers is a mistake.
  const workersFlag =
    isPlainObject(overrides.ingestion) &&
    (overrides.ingestion as Record<string, unknown>).workers !== undefined;
  if (
    !workersFlag &&
    config.ingestion.workers !== 'auto' &&
    config.ingestion.workers > config.ingestion.max_workers
  ) {
    issues.push(
      `ingestion.workers: expected at most ingestion.max_workers (${config.ingestion.max_workers}), found ${config.ingestion.workers}`,
    );
  }
  const breaker = config.ingestion.circuit_breaker;
  if (breaker.max_open_ms < breaker.open_ms) {
    issues.push(
      `ingestion.circuit_breaker.max_open_ms: expected at least ingestion.circuit_breaker.open_ms (${breaker.open_ms}), found ${breaker.max_open_ms}`,
    );
  }
  for (const [type, chain] of Object.entries(config.routing)) {
    if (!chain) continue;
    const seen = new Set<string>();
    for (const p of chain) {
      if (seen.has(p)) issues.push(`routing.${type}: provider "${p}" listed twice`);
      seen.add(p);
    }
  }
  return issues;
}

function setPath(
  obj: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return obj;
  const child = obj[head];
  return {
    ...obj,
    [head]:
      rest.length === 0
        ? value
        : setPath(
            typeof child === 'object' && child !== null ? (child as Record<string, unknown>) : {},
            rest,
            value,
          ),
  };
}

/** Deep-merges plain objects; arrays and scalars in `b` replace those in `a`; `undefined` in `b` is ignored. */
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
