import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeStore } from '../storage/create-store.js';
import { loadConfig } from './load-config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickpipe-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string) {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return loadConfig({ path, env: {} });
}

describe('storage.clickhouse cluster keys', () => {
  it('default to one URL, no cluster and a 5-minute outage budget', () => {
    const ch = load('').config.storage.clickhouse;
    expect(ch.url).toBe('http://127.0.0.1:8123');
    expect(ch.cluster).toBeUndefined();
    expect(ch.outage_budget_ms).toBe(300_000);
  });

  it('take a list of node URLs and a cluster name, and describe the store without credentials', () => {
    const loaded = load(
      'storage:\n  backend: clickhouse\n  clickhouse:\n    url: [http://u:secret@ch1:8123, http://ch2:8123]\n' +
        '    cluster: market_cluster\n    outage_budget_ms: 60000\n',
    );
    expect(loaded.config.storage.clickhouse).toMatchObject({
      url: ['http://u:secret@ch1:8123', 'http://ch2:8123'],
      cluster: 'market_cluster',
      outage_budget_ms: 60_000,
    });
    const described = describeStore(loaded.config);
    expect(described).toBe(
      'clickhouse cluster market_cluster via http://ch1:8123, http://ch2:8123 database market',
    );
    expect(described).not.toContain('secret');
  });

  it('refuses an empty URL list, a bad URL in the list, a bad cluster name and a negative budget, naming each key', () => {
    let message = '';
    try {
      load(
        'storage:\n  clickhouse:\n    url: [http://ch1:8123, not a url]\n    cluster: "x; DROP"\n    outage_budget_ms: -1\n',
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('storage.clickhouse.url');
    expect(message).toContain('storage.clickhouse.cluster');
    expect(message).toContain('storage.clickhouse.outage_budget_ms');
    expect(() => load('storage:\n  clickhouse:\n    url: []\n')).toThrow(/storage\.clickhouse\.url/);
  });
});
