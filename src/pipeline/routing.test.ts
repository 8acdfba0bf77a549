import { describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../config/load-config.js';
import { configSchema, type ConfigInput, type ProviderName } from '../config/schema.js';
import type { ProviderCapabilities } from '../providers/provider.js';
import { concreteTypesFor, fallbackTypeFor, resolveRouting } from './routing.js';

type Statuses = Record<ProviderName, ProviderStatus>;

const NO_TOKEN = 'tushare not configured: TUSHARE_TOKEN is not set (providers.tushare.token)';

function statuses(over: Partial<Statuses> = {}): Statuses {
  return {
    simulated: { enabled: true, configured: true },
    tushare: { enabled: false, configured: false, reason: NO_TOKEN },
    yahoo: { enabled: false, configured: true },
    ...over,
  };
}

const config = (input: ConfigInput = {}) => configSchema.parse(input);

function errorOf(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('resolveRouting', () => {
  it('--provider routes every requested type to that one provider', () => {
    const r = resolveRouting({
      config: config({ routing: { tick_data: ['yahoo', 'simulated'] } }),
      statuses: statuses({ yahoo: { enabled: true, configured: true } }),
      requested: ['tick_data', 'order_book', 'factors'],
      onlyProvider: 'simulated',
    });
    expect(r.routing).toEqual({
      tick_data: ['simulated'],
      order_book: ['simulated'],
      factors: ['simulated'],
    });
    expect(r.providers).toEqual(['simulated']);
  });

  it('--provider rejects an unknown provider with USAGE, naming the known ones', () => {
    const e = errorOf(() =>
      resolveRouting({
        config: config(),
        statuses: statuses(),
        requested: ['ticks'],
        onlyProvider: 'bloomberg',
      }),
    );
    expect(e.code).toBe('USAGE');
    expect(e.message).toContain('bloomberg');
    expect(e.message).toContain('simulated, tushare, yahoo');
  });

  it('--provider rejects an unconfigured provider clearly ("tushare not configured")', () => {
    const e = errorOf(() =>
      resolveRouting({
        config: config(),
        statuses: statuses(),
        requested: ['ticks'],
        onlyProvider: 'tushare',
      }),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('tushare not configured');
    expect(e.message).toContain('TUSHARE_TOKEN');
  });

  it('honours the config routing per data type; ticks and bars_1m inherit routing.tick_data', () => {
    const r = resolveRouting({
      config: config({ routing: { tick_data: ['yahoo', 'simulated'], order_book: ['simulated'] } }),
      statuses: statuses({ yahoo: { enabled: true, configured: true } }),
      requested: ['tick_data', 'order_book', 'ticks', 'bars_1m'],
    });
    expect(r.routing).toEqual({
      tick_data: ['yahoo', 'simulated'],
      order_book: ['simulated'],
      ticks: ['yahoo', 'simulated'],
      bars_1m: ['yahoo', 'simulated'],
    });
    expect(r.providers).toEqual(['simulated', 'yahoo']);
    expect(r.warnings).toEqual([]);
  });

  it('skips disabled and unconfigured providers of a chain with a warning', () => {
    const r = resolveRouting({
      config: config({
        routing: { tick_data: ['tushare', 'yahoo', 'simulated'], bars_1d: ['yahoo', 'simulated'] },
      }),
      statuses: statuses(),
      requested: ['tick_data', 'bars_1d'],
    });
    expect(r.routing).toEqual({ tick_data: ['simulated'], bars_1d: ['simulated'] });
    expect(r.providers).toEqual(['simulated']);
    expect(r.warnings).toContain(
      'routing.tick_data: yahoo is disabled (providers.yahoo.enabled: false); skipping it',
    );
    expect(r.warnings).toContain(`routing.tick_data: ${NO_TOKEN}; skipping it`);
    expect(r.warnings).toContain(
      'routing.bars_1d: yahoo is disabled (providers.yahoo.enabled: false); skipping it',
    );
  });

  it('never falls back to the simulator for unrouted types when a real provider is enabled', () => {
    const r = resolveRouting({
      config: config(),
      statuses: statuses({ yahoo: { enabled: true, configured: true } }),
      requested: ['tick_data', 'bars_1d'],
    });
    expect(r.routing).toEqual({ tick_data: ['yahoo'], bars_1d: ['yahoo'] });
    expect(r.providers).toEqual(['yahoo']);

    const both = resolveRouting({
      config: config(),
      statuses: statuses({
        yahoo: { enabled: true, configured: true },
        tushare: { enabled: true, configured: true },
      }),
      requested: ['bars_1d'],
    });
    expect(both.routing.bars_1d).toEqual(['tushare', 'yahoo']);
  });

  it('uses the simulator for unrouted types only when no real provider is usable', () => {
    const r = resolveRouting({ config: config(), statuses: statuses(), requested: ['order_book'] });
    expect(r.routing).toEqual({ order_book: ['simulated'] });
  });

  it('does not add the simulator when a routed real chain is unusable: it errors instead', () => {
    const e = errorOf(() =>
      resolveRouting({
        config: config({ routing: { tick_data: ['tushare'] } }),
        statuses: statuses(),
        requested: ['tick_data'],
      }),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('No usable provider for tick_data');
    expect(e.message).toContain('tushare');
  });

  it('errors when no provider at all is usable', () => {
    const e = errorOf(() =>
      resolveRouting({
        config: config(),
        statuses: statuses({ simulated: { enabled: false, configured: true } }),
        requested: ['bars_1d'],
      }),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('No usable provider for bars_1d');
  });
});

const trades: ProviderCapabilities = {
  dataTypes: ['ticks', 'bars_1m', 'bars_1d', 'order_book'],
  tickData: 'ticks',
  maxDaysPerFetch: {},
  endpoints: [],
  notes: [],
};
const bars: ProviderCapabilities = { ...trades, dataTypes: ['bars_1m', 'bars_1d'], tickData: 'bars_1m' };
const dailyOnly: ProviderCapabilities = { ...trades, dataTypes: ['bars_1d'], tickData: 'bars_1m' };

describe('concreteTypesFor / fallbackTypeFor', () => {
  it('maps requested types to what a provider serves', () => {
    expect(concreteTypesFor('tick_data', trades)).toEqual(['ticks', 'bars_1m', 'bars_1d']);
    expect(concreteTypesFor('tick_data', bars)).toEqual(['bars_1m']);
    expect(concreteTypesFor('tick_data', dailyOnly)).toEqual([]);
    expect(concreteTypesFor('order_book', bars)).toEqual([]);
    expect(concreteTypesFor('order_book', trades)).toEqual(['order_book']);
    expect(concreteTypesFor('factors', dailyOnly)).toEqual(['factors']);
  });

  it('maps a tick_data ticks unit to the fallback provider’s bars_1m, and refuses what it cannot serve', () => {
    expect(fallbackTypeFor('tick_data', 'ticks', bars)).toBe('bars_1m');
    expect(fallbackTypeFor('ticks', 'ticks', bars)).toBeUndefined();
    expect(fallbackTypeFor('order_book', 'order_book', bars)).toBeUndefined();
  });
});
