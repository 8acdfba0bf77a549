import { describe, expect, it } from 'vitest';
import { IngestError } from '../errors.js';
import { unlimitedGate, type RequestGate } from '../limits/request-gate.js';
import { createMemoryStore } from '../storage/memory/memory-store.js';
import type { StoreAvailability } from '../storage/store-availability.js';
import type { Store } from '../storage/store.js';
import { holdGateWhileStoreDown } from './store-intake.js';

/** A store whose availability the test opens and closes. */
function gatedStore() {
  let down = false;
  let release: Array<(e?: unknown) => void> = [];
  const availability: StoreAvailability = {
    whenAvailable: () =>
      down
        ? new Promise<void>((resolve, reject) => release.push((e) => (e ? reject(e) : resolve())))
        : Promise.resolve(),
    onChange: () => () => undefined,
  };
  const store: Store = Object.assign(createMemoryStore(), { availability });
  const settle = (e?: unknown) => {
    down = false;
    const r = release;
    release = [];
    r.forEach((f) => f(e));
  };
  return {
    store,
    goDown: () => void (down = true),
    comeBack: () => settle(),
    giveUp: (e: unknown) => settle(e),
  };
}

const params = { provider: 'tushare', endpoint: 'stk_mins', signal: new AbortController().signal };

describe('holdGateWhileStoreDown', () => {
  it('grants nothing while the store is away, also to a request already waiting in its window', async () => {
    const s = gatedStore();
    let windowOpens: () => void = () => undefined;
    const slow: RequestGate = {
      ...unlimitedGate,
      // A request waiting in a full rate-limit window; the store goes away meanwhile.
      acquire: () => new Promise((resolve) => (windowOpens = () => resolve({ keyIndex: 0 }))),
    };
    const gate = holdGateWhileStoreDown(slow, s.store);
    let granted = false;
    const pending = gate.acquire(params).then((slot) => {
      granted = true;
      return slot;
    });
    await new Promise((r) => setTimeout(r, 0));
    s.goDown();
    windowOpens();
    await new Promise((r) => setTimeout(r, 20));
    expect(granted).toBe(false);
    s.comeBack();
    await expect(pending).resolves.toEqual({ keyIndex: 0 });

    // A new request waits before it even reaches the window.
    s.goDown();
    let reached = false;
    const inner: RequestGate = { ...unlimitedGate, acquire: async () => ((reached = true), { keyIndex: 0 }) };
    const counting = holdGateWhileStoreDown(inner, s.store);
    const next = counting.acquire(params);
    await new Promise((r) => setTimeout(r, 20));
    expect(reached).toBe(false);
    s.comeBack();
    await expect(next).resolves.toEqual({ keyIndex: 0 });
  });

  it('past the outage budget the request fails with the store error', async () => {
    const s = gatedStore();
    const gate = holdGateWhileStoreDown(unlimitedGate, s.store);
    s.goDown();
    const waiting = gate.acquire(params);
    s.giveUp(new IngestError('STORAGE_FAILED', 'ClickHouse: past the outage budget'));
    await expect(waiting).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });

  it('a store that cannot go away gets the gate unchanged', () => {
    expect(holdGateWhileStoreDown(unlimitedGate, createMemoryStore())).toBe(unlimitedGate);
  });
});
