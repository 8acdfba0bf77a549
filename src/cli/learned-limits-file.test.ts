import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { learnedLimitsPath, readLearnedLimits, writeLearnedLimits } from './learned-limits-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickpipe-limits-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('learned limits file', () => {
  it('round-trips limits, creating the directory', () => {
    const path = join(dir, 'nested', 'learned-limits.json');
    writeLearnedLimits(path, { 'tushare:stk_mins': 50, 'tushare:daily': 500 });
    expect(readLearnedLimits(path)).toEqual({ 'tushare:stk_mins': 50, 'tushare:daily': 500 });
  });

  it('writes nothing when there is nothing to remember', () => {
    const path = join(dir, 'learned-limits.json');
    writeLearnedLimits(path, {});
    expect(existsSync(path)).toBe(false);
  });

  it('returns no limits for a missing file', () => {
    expect(readLearnedLimits(join(dir, 'none.json'))).toEqual({});
  });

  it.each([
    ['truncated JSON', '{"tushare:stk_mins": 5'],
    ['binary garbage', '\u0000\u0001\u0002'],
    ['null', 'null'],
    ['a number', '42'],
  ])('tolerates a corrupt file (%s)', (_what, text) => {
    const path = join(dir, 'learned-limits.json');
    writeFileSync(path, text);
    expect(readLearnedLimits(path)).toEqual({});
  });

  it('ignores a file that holds a JSON array', () => {
    const path = join(dir, 'learned-limits.json');
    writeFileSync(path, '[50, 500]');
    expect(readLearnedLimits(path)).toEqual({});
  });

  it('keeps only positive numbers', () => {
    const path = join(dir, 'learned-limits.json');
    writeFileSync(path, JSON.stringify({ a: 10, b: -1, c: 0, d: '20', e: null, f: 3.5 }));
    expect(readLearnedLimits(path)).toEqual({ a: 10, f: 3.5 });
  });

  it('lives beside the DuckDB file', () => {
    const config = configSchema.parse({ storage: { duckdb: { path: join(dir, 'db', 'market.duckdb') } } });
    expect(learnedLimitsPath(config)).toBe(join(dir, 'db', 'learned-limits.json'));
    writeLearnedLimits(learnedLimitsPath(config), { x: 1 });
    expect(JSON.parse(readFileSync(join(dir, 'db', 'learned-limits.json'), 'utf8'))).toEqual({ x: 1 });
  });
});
