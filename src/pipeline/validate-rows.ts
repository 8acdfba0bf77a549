/**
 * Validation between fetch and write: rows that break the data model never reach the store.
 * A violation fails the unit with `DATA_INVALID` (not retried: the same answer would come back).
 */
import type { ConcreteDataType } from '../domain/data-type.js';
import type { RowSet } from '../domain/rows.js';
import { IngestError } from '../errors.js';

const finite = (n: number) => typeof n === 'number' && Number.isFinite(n);

/** Throws `DATA_INVALID` naming the first problem found in a unit's rows. */
export function validateRows(params: {
  rows: RowSet;
  dataType: ConcreteDataType;
  symbol: string;
  tradeDate: string;
  source: string;
}): void {
  const { rows, symbol, tradeDate, source } = params;
  const where = `${source} ${params.dataType} ${symbol} ${tradeDate}`;
  const fail = (what: string, row: unknown) => {
    throw new IngestError(
      'DATA_INVALID',
      `Invalid row from ${where}: ${what} (${JSON.stringify(row).slice(0, 200)})`,
      {
        retryable: false,
        context: { provider: source, symbol, tradeDate, dataType: params.dataType },
      },
    );
  };
  const common = (r: { symbol: string; tradeDate: string; source: string; ts: number }) => {
    if (r.symbol !== symbol) fail(`symbol ${r.symbol} does not belong to the unit`, r);
    if (r.tradeDate !== tradeDate) fail(`trade date ${r.tradeDate} does not belong to the unit`, r);
    if (r.source !== source) fail(`source ${r.source} differs from the provider`, r);
    if (!finite(r.ts)) fail('timestamp is not a number', r);
  };
  for (const t of rows.ticks ?? []) {
    common(t);
    if (!(t.price > 0) || !finite(t.price)) fail('price must be positive', t);
    if (!finite(t.volume) || t.volume < 0 || !finite(t.amount) || t.amount < 0) {
      fail('volume and amount must be finite and non-negative', t);
    }
    if (t.side !== 'B' && t.side !== 'S' && t.side !== 'N') fail('side must be B, S or N', t);
  }
  for (const b of rows.bars ?? []) {
    common(b);
    if (![b.open, b.high, b.low, b.close, b.volume, b.amount].every(finite)) fail('non-numeric OHLCV', b);
    if (
      b.high < b.low ||
      b.high < Math.max(b.open, b.close) - 1e-9 ||
      b.low > Math.min(b.open, b.close) + 1e-9
    ) {
      fail('high/low do not bound open/close', b);
    }
    if (b.volume < 0 || b.amount < 0) fail('negative volume or amount', b);
  }
  for (const s of rows.books ?? []) {
    common(s);
    if (s.bidPrices.length !== s.bidVolumes.length || s.askPrices.length !== s.askVolumes.length) {
      fail('price and volume arrays differ in length', s);
    }
    if (![...s.bidPrices, ...s.askPrices].every((p) => finite(p) && p > 0))
      fail('book prices must be positive', s);
    if (![...s.bidVolumes, ...s.askVolumes].every((v) => finite(v) && v >= 0))
      fail('book volumes must be non-negative', s);
    const bid = s.bidPrices[0];
    const ask = s.askPrices[0];
    if (bid !== undefined && ask !== undefined && bid >= ask)
      fail(`crossed book: best bid ${bid} >= best ask ${ask}`, s);
  }
  for (const f of rows.factors ?? []) {
    common(f);
    if (!finite(f.value)) fail(`factor ${f.factor} is not finite`, f);
  }
}
