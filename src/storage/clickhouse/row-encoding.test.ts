import { describe, expect, it } from 'vitest';
import type { Ticker } from '../../domain/ticker.js';
import {
  decodeQueryResult,
  decodeValue,
  encodeLedgerEntry,
  encodeRowSet,
  sqlString,
} from './row-encoding.js';

const ts = Date.UTC(2025, 5, 5, 1, 30, 3, 45);
const tick = {
  symbol: '600000.SH' as Ticker,
  ts,
  seq: 7,
  price: 10.5,
  volume: 100,
  amount: 1050,
  side: 'B' as const,
  source: 'simulated',
  tradeDate: '2025-06-05',
};

describe('encodeRowSet', () => {
  it('writes DateTime64 text with ms on modern servers', () => {
    const t = encodeRowSet('modern', { ticks: [tick] });
    expect(t.get('ticks')).toEqual([
      {
        symbol: '600000.SH',
        ts: '2025-06-05 01:30:03.045',
        seq: 7,
        price: 10.5,
        volume: 100,
        amount: 1050,
        side: 'B',
        source: 'simulated',
        trade_date: '2025-06-05',
      },
    ]);
  });

  it('writes exact epoch ms on legacy servers', () => {
    const row = encodeRowSet('legacy', { ticks: [tick] }).get('ticks')?.[0];
    expect(row?.ts).toBe(ts);
    expect(Object.keys(row ?? {})).not.toContain('ts_ms');
  });

  it('maps every row kind to its table and leaves empty ones out', () => {
    const t = encodeRowSet('modern', {
      books: [
        {
          symbol: 'A' as Ticker,
          ts,
          bidPrices: [1],
          bidVolumes: [2],
          askPrices: [3],
          askVolumes: [4],
          source: 's',
          tradeDate: '2025-06-05',
        },
      ],
      adjFactors: [{ symbol: 'A' as Ticker, tradeDate: '2025-06-05', adjFactor: 1.5, source: 's' }],
      ticks: [],
    });
    expect([...t.keys()]).toEqual(['order_book', 'adj_factors']);
    expect(t.get('order_book')?.[0]).toMatchObject({ bid_prices: [1], ask_volumes: [4] });
    expect(t.get('adj_factors')?.[0]).toEqual({
      symbol: 'A',
      trade_date: '2025-06-05',
      adj_factor: 1.5,
      source: 's',
    });
  });

  it('encodes ledger entries with their version', () => {
    const row = encodeLedgerEntry(
      'legacy',
      {
        provider: 'p',
        dataType: 'ticks',
        symbol: 'A' as Ticker,
        tradeDate: '2025-06-05',
        status: 'failed',
        rows: 0,
        attempts: 3,
        errorCode: 'X',
        errorMessage: null,
        runId: 'r',
        updatedAt: ts,
      },
      99,
    );
    expect(row).toMatchObject({ data_type: 'ticks', updated_at: ts, version: 99, error_message: null });
  });
});

describe('decodeQueryResult', () => {
  it('turns DateTime64 into ISO with ms, keeps dates, numbers and arrays', () => {
    const r = decodeQueryResult({
      meta: [
        { name: 'ts', type: "DateTime64(3, 'UTC')" },
        { name: 'd', type: 'Date' },
        { name: 'n', type: 'UInt64' },
        { name: 'dec', type: 'Decimal(18, 3)' },
        { name: 'a', type: 'Array(Nullable(Float64))' },
        { name: 's', type: 'LowCardinality(Nullable(String))' },
      ],
      data: [['2025-06-05 01:30:03.045', '2025-06-05', '18446744', '1.5', [1, null], null]],
    });
    expect(r).toEqual({
      columns: ['ts', 'd', 'n', 'dec', 'a', 's'],
      rows: [['2025-06-05T01:30:03.045Z', '2025-06-05', 18446744, 1.5, [1, null], null]],
    });
  });

  it('answers legacy epoch-ms ts and updated_at columns as ISO, other integers as numbers', () => {
    const body = {
      meta: [
        { name: 'ts', type: 'UInt64' },
        { name: 'seq', type: 'UInt64' },
        { name: 'updated_at', type: 'UInt64' },
      ],
      data: [[ts, 7, ts]],
    };
    const iso = '2025-06-05T01:30:03.045Z';
    expect(decodeQueryResult(body, 'legacy')).toEqual({
      columns: ['ts', 'seq', 'updated_at'],
      rows: [[iso, 7, iso]],
    });
    expect(decodeQueryResult(body, 'modern').rows).toEqual([[ts, 7, ts]]);
  });

  it('formats second-precision DateTime with .000', () => {
    expect(decodeValue("DateTime('UTC')", '2025-06-05 01:30:03')).toBe('2025-06-05T01:30:03.000Z');
  });
});

describe('sqlString', () => {
  it('escapes quotes and backslashes', () => {
    expect(sqlString("it's \\ x")).toBe("'it\\'s \\\\ x'");
  });
});
