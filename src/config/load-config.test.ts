import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isIngestError, type IngestError } from '../errors.js';
import { deepMerge, loadConfig, tushareTokens } from './load-config.js';

const TOKEN = 'tok-SECRET-1234';
const PASSWORD = 'pw-SECRET-9876';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickpipe-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string, name = 'config.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function loadError(text: string, env: Record<string, string | undefined> = {}): IngestError {
  const path = writeConfig(text);
  try {
    loadConfig({ path, env });
  } catch (e) {
    if (!isIngestError(e)) throw e;
    return e;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig defaults', () => {
  it('resolves every documented default (README.md, "Configuration") from an empty file', () => {
    const loaded = loadConfig({ path: writeConfig(''), env: {} });
    const { config } = loaded;
    expect(loaded.path).toBe(join(dir, 'config.yaml'));
    expect(config.providers.simulated).toMatchObject({
      enabled: true,
      seed: 42,
      universe_size: 150,
      latency_ms: 0,
      fail_rate: 0,
    });
    // No rate limit on the simulator unless configured.
    expect(config.providers.simulated.rate_limit.requests_per_minute).toBeUndefined();
    expect(config.providers.tushare.rate_limit.requests_per_minute).toBe(200);
    expect(config.providers.tushare.base_url).toBe('http://api.tushare.pro');
    expect(config.providers.tushare.enabled).toBe(false);
    expect(config.providers.yahoo.rate_limit.requests_per_minute).toBe(2000);
    expect(config.providers.yahoo.base_url).toBe('https://query2.finance.yahoo.com');
    expect(config.ingestion.workers).toBe(1);
    expect(config.ingestion.data_types).toEqual(['tick_data', 'order_book', 'factors']);
    expect(config.ingestion.retry.max_attempts).toBe(5);
    expect(config.storage.backend).toBe('duckdb');
    expect(config.storage.duckdb.path).toBe('./data/market.duckdb');
    expect(config.storage.clickhouse).toMatchObject({
      url: 'http://127.0.0.1:8123',
      database: 'market',
      username: 'default',
    });
  });

  it('reads the documented sample keys', () => {
    const loaded = loadConfig({
      path: writeConfig(
        [
          'providers:',
          '  simulated: { enabled: true, seed: 7, universe_size: 20, latency_ms: 5, fail_rate: 0.1, rate_limit: { requests_per_minute: 6000 } }',
          '  tushare:',
          '    enabled: true',
          '    token: ${TUSHARE_TOKEN}',
          '    rate_limit: { requests_per_minute: 200, per_api: { stk_mins: 50 } }',
          'routing:',
          '  tick_data: [tushare, yahoo]',
          'ingestion: { workers: auto, retry: { max_attempts: 3 } }',
          'storage: { backend: clickhouse, clickhouse: { password: "${CLICKHOUSE_PASSWORD}" } }',
        ].join('\n'),
      ),
      env: { TUSHARE_TOKEN: TOKEN, CLICKHOUSE_PASSWORD: PASSWORD },
    });
    expect(loaded.config.providers.simulated.rate_limit.requests_per_minute).toBe(6000);
    expect(loaded.config.providers.simulated.fail_rate).toBe(0.1);
    expect(loaded.config.providers.tushare.rate_limit.per_api).toEqual({ stk_mins: 50 });
    expect(loaded.config.routing.tick_data).toEqual(['tushare', 'yahoo']);
    expect(loaded.config.ingestion.workers).toBe('auto');
    expect(loaded.config.storage.clickhouse.password).toBe(PASSWORD);
    expect(loaded.providers.tushare).toEqual({ enabled: true, configured: true });
    expect(loaded.warnings).toEqual([]);
  });
});

describe('loadConfig validation', () => {
  it('rejects an unknown key naming the full key path and the allowed keys', () => {
    const e = loadError('storage:\n  clickhouse:\n    portx: 9000\n');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('storage.clickhouse.portx');
    expect(e.message).toContain('unknown key');
    expect(e.message).toMatch(/allowed: .*url.*database.*password/);
  });

  it('rejects an unknown top-level key listing the top-level keys', () => {
    const e = loadError('provider:\n  simulated: {}\n');
    expect(e.message).toContain('provider: unknown key');
    expect(e.message).toMatch(/allowed: providers, routing, ingestion, storage/);
  });

  it('reports several problems at once', () => {
    const e = loadError(
      [
        'providers:',
        '  bogus: 1',
        'ingestion:',
        '  workers: 0',
        '  data_types: [bogus_type]',
        '  retry: { max_attempts: "five" }',
        'routing:',
        '  tick_data: [nope]',
      ].join('\n'),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    for (const path of [
      'providers.bogus',
      'ingestion.workers',
      'ingestion.data_types.0',
      'ingestion.retry.max_attempts',
      'routing.tick_data.0',
    ]) {
      expect(e.message).toContain(`  - ${path}:`);
    }
  });

  it('names path, expected value and what was found for bad values', () => {
    const e = loadError(
      'ingestion:\n  workers: 0\nstorage:\n  backend: sqlite\nproviders:\n  simulated:\n    fail_rate: 2\n',
    );
    expect(e.message).toMatch(/ingestion\.workers: .*>=1.*found 0/);
    expect(e.message).toMatch(/storage\.backend: .*"duckdb".*"clickhouse".*found "sqlite"/);
    expect(e.message).toMatch(/providers\.simulated\.fail_rate: .*<=1.*found 2/);
  });

  it('names the expected type for a wrong type', () => {
    const e = loadError('providers:\n  simulated:\n    seed: forty-two\n');
    expect(e.message).toContain('providers.simulated.seed: expected number, found "forty-two"');
  });

  it('applies cross-key rules (workers above max_workers, provider listed twice)', () => {
    const e = loadError('ingestion: { workers: 40, max_workers: 8 }\nrouting:\n  bars_1d: [yahoo, yahoo]\n');
    expect(e.message).toContain('ingestion.workers: expected at most ingestion.max_workers (8), found 40');
    expect(e.message).toContain('routing.bars_1d: provider "yahoo" listed twice');
  });

  it('reports invalid YAML as CONFIG_INVALID with the line', () => {
    const e = loadError('providers:\n  simulated:\n    seed: 1\n   enabled: true\n');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/invalid YAML at line 4/);
  });

  it('rejects a top level that is not a mapping', () => {
    const e = loadError('- a\n- b\n');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('mapping');
  });

  it('throws CONFIG_INVALID for an explicit path that does not exist', () => {
    const path = join(dir, 'missing.yaml');
    expect(() => loadConfig({ path, env: {} })).toThrowError(/Config file not found/);
    try {
      loadConfig({ path, env: {} });
    } catch (e) {
      expect((e as IngestError).code).toBe('CONFIG_INVALID');
      expect((e as IngestError).message).toContain(path);
    }
  });
});

describe('loadConfig interpolation and credentials', () => {
  it('interpolates ${VAR} and ${VAR:-default}', () => {
    const loaded = loadConfig({
      path: writeConfig(
        'storage:\n  duckdb:\n    path: ${DATA_DIR}/market.duckdb\n  clickhouse:\n    database: ${CH_DB:-fallback_db}\n    url: ${CH_URL:-http://127.0.0.1:9999}\n',
      ),
      env: { DATA_DIR: '/srv/data', CH_URL: 'http://127.0.0.1:8124' },
    });
    expect(loaded.config.storage.duckdb.path).toBe('/srv/data/market.duckdb');
    expect(loaded.config.storage.clickhouse.database).toBe('fallback_db');
    expect(loaded.config.storage.clickhouse.url).toBe('http://127.0.0.1:8124');
  });

  it('marks tushare not configured when TUSHARE_TOKEN is unset, with a warning', () => {
    const loaded = loadConfig({
      path: writeConfig('providers:\n  tushare:\n    enabled: true\n    token: ${TUSHARE_TOKEN}\n'),
      env: {},
    });
    expect(loaded.providers.tushare.enabled).toBe(true);
    expect(loaded.providers.tushare.configured).toBe(false);
    expect(loaded.providers.tushare.reason).toContain('tushare not configured');
    expect(loaded.providers.tushare.reason).toContain('TUSHARE_TOKEN');
    expect(loaded.warnings.join('\n')).toContain('skipping tushare');
  });

  it('treats an empty TUSHARE_TOKEN like an unset one', () => {
    const loaded = loadConfig({
      path: writeConfig('providers:\n  tushare:\n    enabled: true\n    token: ${TUSHARE_TOKEN}\n'),
      env: { TUSHARE_TOKEN: '' },
    });
    expect(loaded.providers.tushare.configured).toBe(false);
  });

  it('explains a tushare section with no token at all', () => {
    const loaded = loadConfig({ path: writeConfig('providers:\n  tushare:\n    enabled: true\n'), env: {} });
    expect(loaded.providers.tushare.configured).toBe(false);
    expect(loaded.providers.tushare.reason).toContain('tushare not configured');
    expect(loaded.providers.tushare.reason).toContain('TUSHARE_TOKEN');
  });

  it('does not warn about a disabled tushare without a token', () => {
    const loaded = loadConfig({ path: writeConfig('providers:\n  tushare:\n    enabled: false\n'), env: {} });
    expect(loaded.providers.tushare.configured).toBe(false);
    expect(loaded.warnings).toEqual([]);
  });

  it('collects rotation tokens (tokens list first, then token; blanks dropped)', () => {
    const loaded = loadConfig({
      path: writeConfig(
        'providers:\n  tushare:\n    enabled: true\n    token: ${T0}\n    tokens: ["${T1}", "${T2:-tok-fallback-5555}", "${T3}"]\n',
      ),
      env: { T0: 'tok-zero-0000', T1: 'tok-one-1111' },
    });
    expect(tushareTokens(loaded.config)).toEqual(['tok-one-1111', 'tok-fallback-5555', 'tok-zero-0000']);
    expect(loaded.providers.tushare.configured).toBe(true);
  });

  it('registers every secret with the redactor', () => {
    const loaded = loadConfig({
      path: writeConfig(
        'providers:\n  tushare:\n    enabled: true\n    tokens: ["${T1}", "${T2}"]\nstorage:\n  clickhouse:\n    password: ${CLICKHOUSE_PASSWORD}\n',
      ),
      env: { T1: TOKEN, T2: 'tok-other-2222', CLICKHOUSE_PASSWORD: PASSWORD },
    });
    const text = loaded.redactor.redact(`auth ${TOKEN} and tok-other-2222 with ${PASSWORD}`);
    expect(text).toBe('auth *** and *** with ***');
  });
});

describe('loadConfig precedence', () => {
  it('applies environment overrides over the file', () => {
    const loaded = loadConfig({
      path: writeConfig(
        'storage:\n  backend: duckdb\n  duckdb: { path: ./file.duckdb }\ningestion: { workers: 2 }\n',
      ),
      env: {
        TICKPIPE_STORAGE: 'clickhouse',
        TICKPIPE_DUCKDB_PATH: '/tmp/env.duckdb',
        TICKPIPE_CLICKHOUSE_URL: 'http://127.0.0.1:18123',
        TICKPIPE_CLICKHOUSE_DATABASE: 'envdb',
        TICKPIPE_WORKERS: '6',
      },
    });
    expect(loaded.config.storage.backend).toBe('clickhouse');
    expect(loaded.config.storage.duckdb.path).toBe('/tmp/env.duckdb');
    expect(loaded.config.storage.clickhouse.url).toBe('http://127.0.0.1:18123');
    expect(loaded.config.storage.clickhouse.database).toBe('envdb');
    expect(loaded.config.ingestion.workers).toBe(6);
  });

  it('accepts TICKPIPE_WORKERS=auto and ignores empty variables', () => {
    const loaded = loadConfig({
      path: writeConfig('storage:\n  backend: clickhouse\n'),
      env: { TICKPIPE_WORKERS: 'auto', TICKPIPE_STORAGE: '' },
    });
    expect(loaded.config.ingestion.workers).toBe('auto');
    expect(loaded.config.storage.backend).toBe('clickhouse');
  });

  it('validates environment overrides like file values', () => {
    const path = writeConfig('');
    expect(() => loadConfig({ path, env: { TICKPIPE_STORAGE: 'sqlite' } })).toThrowError(
      /storage\.backend.*found "sqlite"/,
    );
  });

  it('lets overrides (flags) win over file and environment', () => {
    const loaded = loadConfig({
      path: writeConfig('storage:\n  backend: duckdb\ningestion: { workers: 2, max_workers: 64 }\n'),
      env: { TICKPIPE_STORAGE: 'duckdb', TICKPIPE_WORKERS: '4' },
      overrides: { storage: { backend: 'clickhouse' }, ingestion: { workers: 9 } },
    });
    expect(loaded.config.storage.backend).toBe('clickhouse');
    expect(loaded.config.ingestion.workers).toBe(9);
    // Deep merge keeps sibling keys from the file.
    expect(loaded.config.ingestion.max_workers).toBe(64);
  });
});

describe('deepMerge', () => {
  it('merges objects, replaces arrays and scalars, ignores undefined', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: undefined, e: 'x' })).toEqual({
      a: { b: 1, c: [3] },
      d: 1,
      e: 'x',
    });
  });
});

describe('secrets in CONFIG_INVALID messages', () => {
  it('does not echo a token placed where a number is expected', () => {
    const e = loadError(
      'providers:\n  simulated:\n    seed: ${TUSHARE_TOKEN}\n  tushare:\n    token: ${TUSHARE_TOKEN}\n',
      {
        TUSHARE_TOKEN: TOKEN,
      },
    );
    expect(e.message).toContain('providers.simulated.seed');
    expect(e.message).not.toContain(TOKEN);
  });

  it('does not echo a literal password placed where a number is expected', () => {
    const e = loadError(`storage:\n  clickhouse:\n    password: ${PASSWORD}\n    batch_rows: ${PASSWORD}\n`);
    expect(e.message).toContain('storage.clickhouse.batch_rows');
    expect(e.message).not.toContain(PASSWORD);
  });

  it('does not echo a token placed where an enum or URL is expected', () => {
    const e = loadError(
      'providers:\n  tushare:\n    token: ${TUSHARE_TOKEN}\n    base_url: ${TUSHARE_TOKEN}\nstorage:\n  backend: ${TUSHARE_TOKEN}\n  clickhouse:\n    password: ${CLICKHOUSE_PASSWORD}\n    database: ${CLICKHOUSE_PASSWORD}\n',
      { TUSHARE_TOKEN: TOKEN, CLICKHOUSE_PASSWORD: PASSWORD },
    );
    expect(e.message).toContain('storage.backend');
    expect(e.message).not.toContain(TOKEN);
    expect(e.message).not.toContain(PASSWORD);
  });

  it('does not echo a literal token from the source excerpt of a YAML error', () => {
    const e = loadError(`providers:\n  tushare:\n    token: ${TOKEN}\n    token: ${TOKEN}\n`);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/line 4/);
    expect(e.message).not.toContain(TOKEN);
  });
});
