import {
  DuckDBArrayValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';

const MS_PER_DAY = 86_400_000;

/**
 * Converts a DuckDB value to the plain JS value `QueryResult` promises: timestamps (any
 * precision, with or without time zone) as ISO-8601 UTC strings with milliseconds, dates as
 * `YYYY-MM-DD`, BIGINT/HUGEINT as numbers when safe (else decimal strings), DECIMAL as numbers,
 * lists and arrays as arrays, structs as objects, maps as `[{key, value}]`; anything else (TIME,
 * INTERVAL, UUID, BLOB, infinities) as DuckDB's own text.
 */
export function toPlainValue(value: DuckDBValue): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
    case 'number':
    case 'string':
      return value;
    case 'bigint':
      return bigintToPlain(value);
  }
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return value.isFinite ? isoFromMs(floorDiv(value.micros, 1000n)) : value.toString();
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) {
    return value.isFinite ? isoFromMs(value.millis) : value.toString();
  }
  if (value instanceof DuckDBTimestampSecondsValue) {
    return value.isFinite ? isoFromMs(value.seconds * 1000n) : value.toString();
  }
  if (value instanceof DuckDBTimestampNanosecondsValue) {
    return value.isFinite ? isoFromMs(floorDiv(value.nanos, 1_000_000n)) : value.toString();
  }
  if (value instanceof DuckDBDateValue) {
    return value.isFinite ? new Date(value.days * MS_PER_DAY).toISOString().slice(0, 10) : value.toString();
  }
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue)
    return value.items.map(toPlainValue);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, toPlainValue(v)]));
  }
  if (value instanceof DuckDBMapValue) {
    return value.entries.map((e) => ({ key: toPlainValue(e.key), value: toPlainValue(e.value) }));
  }
  return String(value);
}

function bigintToPlain(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v.toString();
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

function isoFromMs(ms: bigint): string {
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? `${ms} ms` : d.toISOString();
}
