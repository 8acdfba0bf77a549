import { describe, expect, it } from 'vitest';
import { quoteIntervalColumn, renameIntervalColumn } from './quote-interval-column.js';

describe('quoteIntervalColumn', () => {
  it('quotes the interval column in select lists, filters and ORDER BY', () => {
    expect(
      quoteIntervalColumn(
        "SELECT symbol, interval, ts FROM bars FINAL WHERE interval = '1m' ORDER BY interval, ts",
      ),
    ).toBe("SELECT symbol, `interval`, ts FROM bars FINAL WHERE `interval` = '1m' ORDER BY `interval`, ts");
    expect(quoteIntervalColumn('SELECT b.interval FROM bars b')).toBe('SELECT b.`interval` FROM bars b');
  });

  it('leaves INTERVAL expressions, literals, quoted names and comments alone', () => {
    const sql =
      "SELECT now() - INTERVAL 1 DAY, INTERVAL '2' HOUR, 'interval, x', `interval` -- interval,\nFROM t";
    expect(quoteIntervalColumn(sql)).toBe(sql);
    expect(quoteIntervalColumn('SELECT toIntervalDay(1), intervals FROM t')).toBe(
      'SELECT toIntervalDay(1), intervals FROM t',
    );
  });
});

describe('renameIntervalColumn', () => {
  it('renames bare and quoted uses of the interval column, nothing else', () => {
    expect(
      renameIntervalColumn(
        "SELECT symbol, interval, `interval` FROM bars FINAL WHERE b.interval = '1m' AND ts > now() - INTERVAL 1 DAY -- interval",
        'bar_interval',
      ),
    ).toBe(
      "SELECT symbol, `bar_interval`, `bar_interval` FROM bars FINAL WHERE b.`bar_interval` = '1m' AND ts > now() - INTERVAL 1 DAY -- interval",
    );
    expect(renameIntervalColumn("SELECT 'interval', `intervals` FROM t", 'bar_interval')).toBe(
      "SELECT 'interval', `intervals` FROM t",
    );
  });
});
