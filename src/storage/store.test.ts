import { describe, expect, it } from 'vitest';
import { isReadOnlySql } from './store.js';

describe('isReadOnlySql', () => {
  it.each([
    'SELECT 1',
    'select * from ticks',
    '  \n\tSELECT count(*) FROM bars',
    'WITH t AS (SELECT 1 AS x) SELECT * FROM t',
    'SHOW TABLES',
    'DESCRIBE ticks',
    'EXPLAIN SELECT * FROM ticks',
    '-- how many?\nSELECT count(*) FROM ticks',
    '/* block */ SELECT 1',
    '/* a */-- b\nSELECT 1',
    'SELECT 1;',
    'SELECT 1; SELECT 2',
    "SELECT * FROM ticks WHERE side = 'insert'",
    'SELECT created_at, updated FROM t',
  ])('accepts %j', (sql) => {
    expect(isReadOnlySql(sql)).toBe(true);
  });

  it.each([
    'INSERT INTO ticks VALUES (1)',
    'insert into ticks select * from ticks',
    'UPDATE ticks SET price = 0',
    'DELETE FROM ticks',
    'DROP TABLE ticks',
    'CREATE TABLE x (a INT)',
    'ALTER TABLE ticks ADD COLUMN x INT',
    'TRUNCATE ticks',
    "ATTACH 'other.duckdb' AS o",
    'DETACH o',
    "COPY ticks TO '/tmp/x.csv'",
    'INSTALL httpfs',
    'LOAD httpfs',
    'OPTIMIZE TABLE ticks FINAL',
    'RENAME TABLE a TO b',
    'SET threads = 1',
    'PRAGMA enable_profiling',
    'CHECKPOINT',
    "EXPORT DATABASE '/tmp/x'",
    'VACUUM',
    'CALL something()',
    'USE other',
    'GRANT SELECT ON t TO u',
    'SYSTEM DROP DNS CACHE',
    'KILL QUERY WHERE 1',
    '-- just a comment\nDROP TABLE ticks',
    '/* note */ DELETE FROM ticks',
    '/* a */-- b\nINSERT INTO t VALUES (1)',
    'SELECT 1; DROP TABLE x',
    'SELECT 1;DELETE FROM ticks',
    'SELECT 1;\n  insert into t values (1)',
  ])('refuses %j', (sql) => {
    expect(isReadOnlySql(sql)).toBe(false);
  });

  it.each([
    '-- note\n /* x */ DROP TABLE t',
    'SELECT 1; /* c */ DROP TABLE x',
    'SELECT 1; -- c\nDROP TABLE x',
  ])('refuses a write hidden behind a comment: %j', (sql) => {
    expect(isReadOnlySql(sql)).toBe(false);
  });
});
