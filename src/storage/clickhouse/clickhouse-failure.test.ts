import { describe, expect, it } from 'vitest';
import { parseClickHouseFailure } from './clickhouse-failure.js';
import { flavorOfVersion, intervalSeconds, schemaStatements } from './ddl.js';

describe('parseClickHouseFailure', () => {
  it('parses the 18.16 message format', () => {
    const e = new Error(
      "Code: 60, e.displayText() = DB::Exception: Table probe.nope doesn't exist., e.what() = DB::Exception\n",
    );
    expect(parseClickHouseFailure(e)).toEqual({
      serverCode: 60,
      message: "Table probe.nope doesn't exist.",
      connection: false,
    });
  });

  it('parses the modern message format', () => {
    const e = new Error(
      'Code: 62. DB::Exception: Syntax error: failed at position 1. (SYNTAX_ERROR) (version 24.3.1.1)',
    );
    expect(parseClickHouseFailure(e)).toMatchObject({
      serverCode: 62,
      message: 'Syntax error: failed at position 1.',
    });
  });

  it('reads the code of a typed ClickHouseError', () => {
    const e = Object.assign(new Error('default: Cannot execute query in readonly mode.'), {
      code: '164',
      type: 'READONLY',
    });
    expect(parseClickHouseFailure(e)).toMatchObject({ serverCode: 164, connection: false });
  });

  it('recognises broken connections, also in a cause chain', () => {
    expect(
      parseClickHouseFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })).connection,
    ).toBe(true);
    expect(
      parseClickHouseFailure(new Error('outer', { cause: Object.assign(new Error('x'), { code: 'EPIPE' }) }))
        .connection,
    ).toBe(true);
    expect(parseClickHouseFailure(new Error('socket hang up')).connection).toBe(true);
    expect(parseClickHouseFailure(new Error('something else')).connection).toBe(false);
  });
});

describe('ddl', () => {
  it('picks legacy below 20.1', () => {
    expect(flavorOfVersion('18.16.1')).toBe('legacy');
    expect(flavorOfVersion('19.17.4.11')).toBe('legacy');
    expect(flavorOfVersion('20.1.2.4')).toBe('modern');
    expect(flavorOfVersion('26.7.2.1')).toBe('modern');
  });

  it('stores legacy times as epoch-ms UInt64 keys and avoids DateTime64 and LowCardinality', () => {
    const sql = schemaStatements('legacy', 'db').join('\n');
    expect(sql).not.toMatch(/DateTime64|LowCardinality/);
    expect(sql).toMatch(/`ts` UInt64/);
    expect(sql).toMatch(/`ts_time` DateTime\('UTC'\) ALIAS/);
    expect(sql).toMatch(/ORDER BY \(`source`, `symbol`, `ts`, `seq`\)/);
  });

  it('keeps a bare interval out of legacy sort keys (18.16 cannot re-attach it) and sizes intervals', () => {
    const bars = schemaStatements('legacy', 'db').find((s) => s.includes('`bars`')) ?? '';
    expect(bars).toMatch(/ORDER BY \(`source`, `symbol`, `interval_seconds`, `ts`\)/);
    expect(intervalSeconds('1m')).toBe(60);
    expect(intervalSeconds('1d')).toBe(86_400);
    expect(intervalSeconds('x')).toBe(0);
  });

  it('uses DateTime64(3) and partitions every table by month of trade_date', () => {
    const statements = schemaStatements('modern', 'db');
    expect(statements[0]).toBe('CREATE DATABASE IF NOT EXISTS `db`');
    for (const s of statements.slice(1)) expect(s).toMatch(/PARTITION BY toYYYYMM\(trade_date\)/);
    expect(statements.join('\n')).toMatch(/`ts` DateTime64\(3, 'UTC'\)/);
    expect(statements.find((s) => s.includes('ingest_ledger'))).toMatch(/ReplacingMergeTree\(version\)/);
  });
});
