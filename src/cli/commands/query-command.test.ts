import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config.js';
import { isReadOnlySql } from '../../storage/store.js';
import { renderCsv, renderJson, renderTable } from '../render-table.js';
import { assertStoreExists, overviewSql, writeResult } from './query-command.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickpipe-query-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('overviewSql', () => {
  it('counts rows per table and trade date, with FINAL on ClickHouse only', () => {
    const ch = overviewSql('clickhouse');
    const duck = overviewSql('duckdb');
    for (const t of ['ticks', 'bars', 'order_book', 'factors']) {
      expect(ch).toContain(`FROM ${t} FINAL`);
      expect(duck).toContain(`FROM ${t} GROUP BY`);
    }
    expect(ch).toContain('toString(trade_date)');
    expect(duck).toContain('CAST(trade_date AS VARCHAR)');
    expect(duck).not.toContain('FINAL');
    expect(isReadOnlySql(ch)).toBe(true);
    expect(isReadOnlySql(duck)).toBe(true);
  });
});

describe('assertStoreExists', () => {
  it('throws USAGE when the DuckDB file is missing, and passes when it exists', () => {
    const db = join(dir, 'market.duckdb');
    const path = join(dir, 'config.yaml');
    writeFileSync(path, `storage:\n  duckdb:\n    path: ${db}\n`);
    const loaded = loadConfig({ path, env: {} });
    expect(() => assertStoreExists(loaded)).toThrowError(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('No data yet') }),
    );
    writeFileSync(db, '');
    expect(() => assertStoreExists(loaded)).not.toThrow();
  });

  it('does not check files for ClickHouse', () => {
    const path = join(dir, 'config.yaml');
    writeFileSync(
      path,
      `storage:\n  backend: clickhouse\n  duckdb:\n    path: ${join(dir, 'none.duckdb')}\n`,
    );
    expect(() => assertStoreExists(loadConfig({ path, env: {} }))).not.toThrow();
  });
});

describe('writeResult', () => {
  const rows = Array.from({ length: 2500 }, (_, i) => [`s${i}`, i, i % 7 === 0 ? 'a,"b"' : null]);
  const result = { columns: ['symbol', 'n', 'note'], rows };
  const capture = () => {
    const out: string[] = [];
    return { out, io: { stdout: (t: string) => out.push(t), stderr: () => {}, isTty: false, env: {} } };
  };

  it('writes JSON in slices that together parse to every row', () => {
    const { out, io } = capture();
    writeResult(result, 'json', io);
    expect(out.length).toBe(3);
    expect(JSON.parse(out.join('\n'))).toEqual(JSON.parse(renderJson(result)));
  });

  it('writes CSV in slices byte-identical to the one-piece rendering', () => {
    const { out, io } = capture();
    writeResult(result, 'csv', io);
    expect(`${out.join('\n')}\n`).toBe(renderCsv(result).replace(/\r\n$/, '\r\n'));
    expect(out.join('\n').split('\r\n')[0]).toBe('symbol,n,note');
  });

  it('writes tables in slices equal to renderTable, and empty results', () => {
    const { out, io } = capture();
    writeResult(result, 'table', io);
    expect(out.join('\n')).toBe(renderTable(result));
    const empty = capture();
    writeResult({ columns: ['a'], rows: [] }, 'json', empty.io);
    expect(JSON.parse(empty.out.join('\n'))).toEqual([]);
  });
});
