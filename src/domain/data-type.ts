/**
 * Data types. Users ask for the umbrella names of README.md, "Commands" (`tick_data`, `order_book`, `factors`)
 * or the explicit ones (`ticks`, `bars_1m`, `bars_1d`); providers serve the concrete ones.
 */

/** Concrete data types that a provider fetches and a ledger unit records. */
export const CONCRETE_DATA_TYPES = ['ticks', 'bars_1m', 'bars_1d', 'order_book', 'factors'] as const;
export type ConcreteDataType = (typeof CONCRETE_DATA_TYPES)[number];

/** Every name accepted by `--data-types` and `ingestion.data_types`. */
export const REQUESTED_DATA_TYPES = [
  'tick_data',
  'order_book',
  'factors',
  'ticks',
  'bars_1m',
  'bars_1d',
] as const;
export type RequestedDataType = (typeof REQUESTED_DATA_TYPES)[number];

/** The default of `--data-types`. */
export const DEFAULT_DATA_TYPES: readonly RequestedDataType[] = ['tick_data', 'order_book', 'factors'];

/** Bar intervals stored in `bars.interval`. */
export type BarInterval = '1m' | '1d';

/** The `bars.interval` value of a bar data type. */
export function intervalOf(dataType: 'bars_1m' | 'bars_1d'): BarInterval {
  return dataType === 'bars_1m' ? '1m' : '1d';
}

/** The store table that holds a concrete data type's rows. */
export function tableOf(dataType: ConcreteDataType): 'ticks' | 'bars' | 'order_book' | 'factors' {
  switch (dataType) {
    case 'ticks':
      return 'ticks';
    case 'bars_1m':
    case 'bars_1d':
      return 'bars';
    case 'order_book':
      return 'order_book';
    case 'factors':
      return 'factors';
  }
}
