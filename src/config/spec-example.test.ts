/**
 * The product's documented configuration example, verbatim (flow maps with `${VAR}` inside),
 * must load (README.md, "Configuration").
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

const DOCUMENTED_EXAMPLE = `providers:
  simulated:                       # built-in deterministic market simulator; needs no network
    enabled: true
    seed: 42
    universe_size: 150             # symbols behind --symbols ALL
    latency_ms: 0                  # simulated per-request latency
    fail_rate: 0                   # share of requests that fail transiently
    rate_limit: { requests_per_minute: 6000 }
  tushare:
    enabled: true
    token: \${TUSHARE_TOKEN}        # or \`tokens: [...]\` to rotate several API keys
    base_url: http://api.tushare.pro
    rate_limit: { requests_per_minute: 200, per_api: { stk_mins: 200 } }
  yahoo:
    enabled: true
    base_url: https://query2.finance.yahoo.com
    rate_limit: { requests_per_minute: 2000 }
routing:                           # which providers serve a data type, in order of preference
  tick_data: [tushare, yahoo]
ingestion:
  workers: 1
  data_types: [tick_data, order_book, factors]
  retry: { max_attempts: 5 }
storage:
  backend: duckdb                  # or clickhouse
  duckdb: { path: ./data/market.duckdb }
  clickhouse: { url: http://127.0.0.1:8123, database: market, username: default, password: \${CLICKHOUSE_PASSWORD} }
`;

function write(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tp-spec-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('documented example config', () => {
  it('loads verbatim, with ${VAR} inside flow maps, and redacts the secrets', () => {
    const loaded = loadConfig({
      path: write(DOCUMENTED_EXAMPLE),
      env: { TUSHARE_TOKEN: 'tok-abcdef-9876', CLICKHOUSE_PASSWORD: 'pw-secret-1' },
    });
    expect(loaded.config.providers.tushare.token).toBe('tok-abcdef-9876');
    expect(loaded.config.storage.clickhouse.password).toBe('pw-secret-1');
    expect(loaded.config.providers.tushare.rate_limit.per_api).toEqual({ stk_mins: 200 });
    expect(loaded.providers.tushare.configured).toBe(true);
    expect(loaded.redactor.redact('x tok-abcdef-9876 pw-secret-1 y')).toBe('x *** *** y');
  });

  it('without the variables: tushare is "not configured", the empty password is fine', () => {
    const loaded = loadConfig({ path: write(DOCUMENTED_EXAMPLE), env: {} });
    expect(loaded.providers.tushare.configured).toBe(false);
    expect(loaded.providers.tushare.reason).toContain('TUSHARE_TOKEN');
    expect(loaded.config.storage.clickhouse.password).toBe('');
  });

  it('a value that is exactly one reference takes its type; all-digit secrets stay strings', () => {
    const loaded = loadConfig({
      path: write(
        'providers:\n  tushare: { enabled: true, tokens: [${A}, "${B}"], rate_limit: { requests_per_minute: ${RPM} } }\nstorage: { clickhouse: { password: ${PW} } }\n',
      ),
      env: { A: 'tokA-1111', B: '123456789012', RPM: '50', PW: '2024' },
    });
    expect(loaded.config.providers.tushare.tokens).toEqual(['tokA-1111', '123456789012']);
    expect(loaded.config.providers.tushare.rate_limit.requests_per_minute).toBe(50);
    expect(loaded.config.storage.clickhouse.password).toBe('2024');
  });
});
