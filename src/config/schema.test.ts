import { describe, expect, it } from 'vitest';
import { configJsonSchema, configSchema, PROVIDER_NAMES } from './schema.js';

describe('configSchema', () => {
  it('fills every default from an empty object', () => {
    const c = configSchema.parse({});
    expect(c.providers.simulated.universe_size).toBe(150);
    expect(c.providers.simulated.latency_ms).toBe(0);
    expect(c.providers.simulated.fail_rate).toBe(0);
    expect(c.providers.simulated.rate_limit.requests_per_minute).toBeUndefined();
    expect(c.providers.tushare.rate_limit.requests_per_minute).toBe(200);
    expect(c.providers.yahoo.rate_limit.requests_per_minute).toBe(2000);
    expect(c.storage.backend).toBe('duckdb');
  });

  it('rejects unknown keys at every level', () => {
    expect(configSchema.safeParse({ extra: 1 }).success).toBe(false);
    expect(configSchema.safeParse({ providers: { yahoo: { tokn: 'x' } } }).success).toBe(false);
    expect(configSchema.safeParse({ providers: { tushare: { rate_limit: { rpm: 1 } } } }).success).toBe(
      false,
    );
  });

  it('accepts workers "auto" and rejects other strings', () => {
    expect(configSchema.parse({ ingestion: { workers: 'auto' } }).ingestion.workers).toBe('auto');
    expect(configSchema.safeParse({ ingestion: { workers: 'many' } }).success).toBe(false);
  });

  it('lists the providers in default routing order', () => {
    expect(PROVIDER_NAMES).toEqual(['simulated', 'tushare', 'yahoo']);
  });
});

describe('configJsonSchema', () => {
  it('produces a JSON schema with the top-level sections', () => {
    const schema = configJsonSchema() as { type?: string; properties?: Record<string, unknown> };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(['providers', 'routing', 'ingestion', 'storage']),
    );
    const text = JSON.stringify(schema);
    expect(JSON.parse(text)).toEqual(schema);
    expect(text).toContain('universe_size');
    expect(text).toContain('requests_per_minute');
  });

  it('forbids additional properties (unknown keys)', () => {
    const schema = configJsonSchema() as { additionalProperties?: unknown };
    expect(schema.additionalProperties).toBe(false);
  });
});
