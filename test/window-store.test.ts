import { describe, expect, it } from 'vitest';
import { createFakeClock, systemClock } from '../src/limits/clock.js';
import { MemoryWindowStore } from '../src/limits/memory-window-store.js';
import { windowStoreContract } from './window-store-contract.js';

windowStoreContract('MemoryWindowStore', async () => new MemoryWindowStore({ clock: systemClock }));

describe('MemoryWindowStore on a fake clock', () => {
  it('frees a slot exactly windowMs after it was recorded (half-open window)', async () => {
    const clock = createFakeClock(1_000);
    const store = new MemoryWindowStore({ clock });
    const key = { provider: 'tushare', endpoint: 'daily', keyIndex: 0 };
    expect(await store.tryReserve({ key, limit: 1, windowMs: 60_000 })).toMatchObject({
      granted: true,
      atMs: 1_000,
    });
    await clock.advance(59_999);
    expect(await store.tryReserve({ key, limit: 1, windowMs: 60_000 })).toEqual({
      granted: false,
      retryAtMs: 61_000,
    });
    await clock.advance(1);
    expect(await store.tryReserve({ key, limit: 1, windowMs: 60_000 })).toMatchObject({
      granted: true,
      atMs: 61_000,
    });
  });

  it('restamping keeps the window sorted, so the right slot frees first', async () => {
    const clock = createFakeClock();
    const store = new MemoryWindowStore({ clock });
    const key = { provider: 'tushare', endpoint: 'daily', keyIndex: 0 };
    const a = await store.tryReserve({ key, limit: 2, windowMs: 60_000 });
    await clock.advance(1_000);
    await store.tryReserve({ key, limit: 2, windowMs: 60_000 });
    await clock.advance(4_000);
    if (!a.granted) throw new Error('refused');
    await store.restamp({ key, slotId: a.slotId, windowMs: 60_000 }); // a now at 5 s, b at 1 s
    expect(await store.tryReserve({ key, limit: 2, windowMs: 60_000 })).toEqual({
      granted: false,
      retryAtMs: 61_000,
    });
    expect(await store.tryReserve({ key, limit: 1, windowMs: 60_000 })).toEqual({
      granted: false,
      retryAtMs: 65_000,
    });
  });
});
