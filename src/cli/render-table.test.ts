import { describe, expect, it } from 'vitest';
import {
  displayWidth,
  renderCsv,
  renderJson,
  renderResult,
  renderTable,
  renderTableLines,
} from './render-table.js';

const result = {
  columns: ['symbol', 'n', 'note'],
  rows: [
    ['600000.SH', 12, null],
    ['AAPL', 3456, 'long text'],
  ],
};

describe('renderTable', () => {
  it('aligns columns under a header with a separator and a row count', () => {
    expect(renderTable(result).split('\n')).toEqual([
      'symbol    | n    | note',
      '----------+------+----------',
      '600000.SH | 12   | NULL',
      'AAPL      | 3456 | long text',
      '(2 rows)',
    ]);
  });

  it('renders arrays and objects, singular row count', () => {
    const text = renderTable({ columns: ['bids', 'o'], rows: [[[1.5, 2], { a: 1 }]] });
    expect(text).toContain('[1.5, 2] | {"a":1}');
    expect(text.endsWith('(1 row)')).toBe(true);
  });

  it('never cuts cells unless asked; --max-col-width cuts to that many columns with an ellipsis', () => {
    const long = { columns: ['x'], rows: [['y'.repeat(100)]] };
    expect(renderTable(long).split('\n')[2]).toBe('y'.repeat(100));
    const row = renderTable(long, { maxColumnWidth: 60 }).split('\n')[2] ?? '';
    expect(row).toHaveLength(60);
    expect(row.endsWith('…')).toBe(true);
    // A cut never splits a wide character: 10 columns hold four CJK characters and the ellipsis.
    const cjk = renderTable({ columns: ['m'], rows: [['每分钟最多访问该接口次']] }, { maxColumnWidth: 10 });
    expect(displayWidth(cjk.split('\n')[2] ?? '')).toBeLessThanOrEqual(10);
    expect(cjk.split('\n')[2]).toBe('每分钟最…');
  });

  it('aligns Chinese text by display width (two columns per character)', () => {
    const lines = renderTable({
      columns: ['reason', 'n'],
      rows: [
        ['抱歉，您每分钟最多访问该接口50次', 1],
        ['rate limit', 2],
      ],
    }).split('\n');
    const bar = (l: string) => displayWidth(l.slice(0, l.indexOf('|')));
    expect(bar(lines[2] ?? '')).toBe(bar(lines[3] ?? ''));
    expect(bar(lines[0] ?? '')).toBe(bar(lines[2] ?? ''));
    expect(displayWidth('中文')).toBe(4);
  });

  it('formats 150 000 rows (no spread of widths into arguments)', () => {
    const rows = Array.from({ length: 150_000 }, (_, i) => [`60${String(i).padStart(4, '0')}.SH`, i]);
    let n = 0;
    for (const _ of renderTableLines({ columns: ['symbol', 'n'], rows })) n++;
    expect(n).toBe(150_003);
  });

  it('renders an empty result', () => {
    expect(renderTable({ columns: ['a'], rows: [] })).toBe('a\n-\n(0 rows)');
  });
});

describe('renderCsv (RFC 4180)', () => {
  it('prints a header and one row per result row with CRLF line ends', () => {
    expect(renderCsv(result)).toBe('symbol,n,note\r\n600000.SH,12,\r\nAAPL,3456,long text\r\n');
  });

  it('quotes fields with comma, quote, CR or LF and doubles quotes', () => {
    const csv = renderCsv({
      columns: ['a', 'b,c'],
      rows: [
        ['x,y', 'say "hi"'],
        ['line1\nline2', 'cr\rhere'],
        ['plain', ''],
      ],
    });
    expect(csv).toBe('a,"b,c"\r\n"x,y","say ""hi"""\r\n"line1\nline2","cr\rhere"\r\nplain,\r\n');
  });

  it('serialises arrays as quoted JSON', () => {
    expect(renderCsv({ columns: ['p'], rows: [[[1, 2]]] })).toBe('p\r\n"[1,2]"\r\n');
  });
});

describe('renderJson', () => {
  it('renders an array of row objects', () => {
    expect(JSON.parse(renderJson(result))).toEqual([
      { symbol: '600000.SH', n: 12, note: null },
      { symbol: 'AAPL', n: 3456, note: 'long text' },
    ]);
  });
});

describe('renderResult', () => {
  it('dispatches by format and rejects unknown formats with USAGE', () => {
    expect(renderResult(result, 'csv')).toBe(renderCsv(result));
    expect(renderResult(result, 'json')).toBe(renderJson(result));
    expect(renderResult(result, 'table')).toBe(renderTable(result));
    expect(() => renderResult(result, 'xml')).toThrowError(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('"xml"') }),
    );
  });
});
