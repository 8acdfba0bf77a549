/**
 * The contract every `WindowStore` (src/limits/window-store.ts) keeps, as one suite run against
 * each implementation: `MemoryWindowStore` (test/window-store.test.ts) and the Redis store.
 *
 * Runs on the store's own clock (real time for Redis), so no assertion depends on how fast the
 * machine is: waits go until the `retryAtMs` the store named, and times are checked against
 * `now()` readings taken around the call. Every test uses fresh provider names, so a shared
 * server needs no cleanup between tests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WindowKey, WindowStore } from '../src/limits/window-store.js';

const LONG_MS = 600_000;

/** A provider name no other test uses. */
const freshProvider = (): string => `p${Math.random().toString(36).slice(2, 10)}`;

async function sleepUntil(store: WindowStore, atMs: number): Promise<void> {
  for (;;) {
    const waitMs = atMs - (await store.now());
    if (waitMs < 0) return;
    await new Promise((resolve) => setTimeout(resolve, waitMs + 2));
  }
}

/** Grant times that put more than `limit` of them into one half-open window `[t, t + windowMs)`. */
function overLimit(grants: readonly number[], limit: number, windowMs: number): number[] | undefined {
  const sorted = [...grants].sort((a, b) => a - b);
  for (let i = limit; i < sorted.length; i++) {
    if ((sorted[i] as number) - (sorted[i - limit] as number) < windowMs)
      return sorted.slice(i - limit, i + 1);
  }
  return undefined;
}

/**
 * Registers the contract tests for one implementation. `create` returns a fresh store (the suite
 * closes it after each test).
 */
export function windowStoreContract(name: string, create: () => Promise<WindowStore>): void {
  describe(`WindowStore contract: ${name}`, () => {
    const open: WindowStore[] = [];
    const make = async (): Promise<WindowStore> => {
      const store = await create();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
    });

    it('grants up to the limit, then names when the oldest needed slot leaves the window', async () => {
      const store = await make();
      const key: WindowKey = { provider: freshProvider(), endpoint: 'daily', keyIndex: 0 };
      const grants: number[] = [];
      const ids = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const r = await store.tryReserve({ key, limit: 3, windowMs: LONG_MS });
        if (!r.granted) throw new Error(`reservation ${i} refused`);
        grants.push(r.atMs);
        ids.add(r.slotId);
      }
      expect(ids.size).toBe(3);
      const refused = await store.tryReserve({ key, limit: 3, windowMs: LONG_MS });
      expect(refused).toEqual({ granted: false, retryAtMs: (grants[0] as number) + LONG_MS });
      // A lower limit counts the slots already there: 2 of 3 must leave.
      const lower = await store.tryReserve({ key, limit: 1, windowMs: LONG_MS });
      expect(lower).toEqual({ granted: false, retryAtMs: (grants[2] as number) + LONG_MS });
    });

    it('is unlimited when limit is undefined', async () => {
      const store = await make();
      const key: WindowKey = { provider: freshProvider(), endpoint: 'chart', keyIndex: 0 };
      for (let i = 0; i < 50; i++) {
        expect(await store.tryReserve({ key, limit: undefined, windowMs: LONG_MS })).toMatchObject({
          granted: true,
        });
      }
    });

    it('never grants more than the limit to concurrent callers', async () => {
      const store = await make();
      const key: WindowKey = { provider: freshProvider(), endpoint: 'stk_mins', keyIndex: 0 };
      const results = await Promise.all(
        Array.from({ length: 40 }, () => store.tryReserve({ key, limit: 7, windowMs: LONG_MS })),
      );
      const granted = results.filter((r) => r.granted);
      expect(granted).toHaveLength(7);
      expect(new Set(granted.map((r) => r.slotId)).size).toBe(7);
    });

    it('keeps each (provider, endpoint, key) window separate', async () => {
      const store = await make();
      const provider = freshProvider();
      const key: WindowKey = { provider, endpoint: 'daily', keyIndex: 0 };
      await store.tryReserve({ key, limit: 1, windowMs: LONG_MS });
      expect(await store.tryReserve({ key, limit: 1, windowMs: LONG_MS })).toMatchObject({ granted: false });
      for (const other of [
        { ...key, endpoint: 'adj_factor' },
        { ...key, keyIndex: 1 },
        { ...key, provider: freshProvider() },
      ]) {
        expect(await store.tryReserve({ key: other, limit: 1, windowMs: LONG_MS })).toMatchObject({
          granted: true,
        });
      }
    });

    it('never puts more than the limit into any half-open window of grant times, and wastes no slot', async () => {
      const store = await make();
      const key: WindowKey = { provider: freshProvider(), endpoint: 'daily', keyIndex: 0 };
      const windowMs = 120;
      const limit = 3;
      const grants: number[] = [];
      const deadline = (await store.now()) + 3 * windowMs;
      while (grants.length < 3 * limit || (await store.now()) < deadline) {
        const r = await store.tryReserve({ key, limit, windowMs });
        if (r.granted) grants.push(r.atMs);
        else await sleepUntil(store, r.retryAtMs);
      }
      expect(overLimit(grants, limit, windowMs)).toBeUndefined();
      // A refusal's retryAtMs is when a slot frees: waiting until then is always granted next.
      const r = await store.tryReserve({ key, limit, windowMs });
      if (!r.granted) {
        await sleepUntil(store, r.retryAtMs);
        expect(await store.tryReserve({ key, limit, windowMs })).toMatchObject({ granted: true });
      }
    });

    it('restamp moves a slot to the time of the answer; unknown and repeated ids are ignored', async () => {
      const store = await make();
      const key: WindowKey = { provider: freshProvider(), endpoint: 'daily', keyIndex: 0 };
      const first = await store.tryReserve({ key, limit: 1, windowMs: LONG_MS });
      if (!first.granted) throw new Error('refused');
      await sleepUntil(store, first.atMs + 15);
      const before = await store.now();
      await store.restamp({ key, slotId: first.slotId, windowMs: LONG_MS });
      const after = await store.now();
      const refused = await store.tryReserve({ key, limit: 1, windowMs: LONG_MS });
      if (refused.granted) throw new Error('granted over the limit');
      expect(refused.retryAtMs).toBeGreaterThanOrEqual(before + LONG_MS);
      expect(refused.retryAtMs).toBeLessThanOrEqual(after + LONG_MS);
      expect(refused.retryAtMs).toBeGreaterThan(first.atMs + LONG_MS);
      await sleepUntil(store, after + 15);
      await store.restamp({ key, slotId: first.slotId, windowMs: LONG_MS });
      await store.restamp({ key, slotId: 'no-such-slot', windowMs: LONG_MS });
      await store.restamp({
        key: { ...key, endpoint: 'never-used' },
        slotId: first.slotId,
        windowMs: LONG_MS,
      });
      const again = await store.tryReserve({ key, limit: 1, windowMs: LONG_MS });
      // Idempotent: the second restamp (15 ms later) did not move the slot again.
      expect(again).toEqual(refused);
    });

    it('pause holds a key back for forMs, never shortens, and leaves other keys alone', async () => {
      const store = await make();
      const key: WindowKey = { provider: freshProvider(), endpoint: 'chart', keyIndex: 0 };
      const before = await store.now();
      const until = await store.pause({ key, forMs: 60_000, windowMs: LONG_MS });
      const after = await store.now();
      expect(until).toBeGreaterThanOrEqual(before + 60_000);
      expect(until).toBeLessThanOrEqual(after + 60_000);
      expect(await store.tryReserve({ key, limit: 100, windowMs: LONG_MS })).toEqual({
        granted: false,
        retryAtMs: until,
      });
      expect(await store.pause({ key, forMs: 1_000, windowMs: LONG_MS })).toBe(until);
      expect(
        await store.tryReserve({ key: { ...key, keyIndex: 1 }, limit: 100, windowMs: LONG_MS }),
      ).toMatchObject({ granted: true });
      expect(
        await store.tryReserve({ key: { ...key, endpoint: 'search' }, limit: 100, windowMs: LONG_MS }),
      ).toMatchObject({ granted: true });
    });

    it('pause without forMs lasts until the oldest slot leaves the window (a full window when empty)', async () => {
      const store = await make();
      const key: WindowKey = { provider: freshProvider(), endpoint: 'daily', keyIndex: 0 };
      const slot = await store.tryReserve({ key, limit: 10, windowMs: LONG_MS });
      if (!slot.granted) throw new Error('refused');
      expect(await store.pause({ key, windowMs: LONG_MS })).toBe(slot.atMs + LONG_MS);
      const empty: WindowKey = { ...key, endpoint: 'empty' };
      const before = await store.now();
      const until = await store.pause({ key: empty, windowMs: LONG_MS });
      expect(until).toBeGreaterThanOrEqual(before + LONG_MS);
      expect(until).toBeLessThanOrEqual((await store.now()) + LONG_MS);
    });

    it('a short pause ends: the key is granted again after it', async () => {
      const store = await make();
      const key: WindowKey = { provider: freshProvider(), endpoint: 'daily', keyIndex: 0 };
      const until = await store.pause({ key, forMs: 30, windowMs: LONG_MS });
      await sleepUntil(store, until);
      expect(await store.tryReserve({ key, limit: 5, windowMs: LONG_MS })).toMatchObject({ granted: true });
    });

    it('keeps the lowest learned limit and applies it to every key of the endpoint', async () => {
      const store = await make();
      const provider = freshProvider();
      expect(await store.learnLimit({ provider, endpoint: 'stk_mins', limit: 5 })).toBe(true);
      expect(await store.learnLimit({ provider, endpoint: 'stk_mins', limit: 2 })).toBe(true);
      expect(await store.learnLimit({ provider, endpoint: 'stk_mins', limit: 2 })).toBe(false);
      expect(await store.learnLimit({ provider, endpoint: 'stk_mins', limit: 50 })).toBe(false);
      const learned = await store.learnedLimits();
      expect(learned[`${provider}|stk_mins`]).toBe(2);
      for (const keyIndex of [0, 1]) {
        const key: WindowKey = { provider, endpoint: 'stk_mins', keyIndex };
        for (let i = 0; i < 2; i++) {
          expect(await store.tryReserve({ key, limit: 200, windowMs: LONG_MS })).toMatchObject({
            granted: true,
          });
        }
        expect(await store.tryReserve({ key, limit: 200, windowMs: LONG_MS })).toMatchObject({
          granted: false,
        });
        // ...and to an endpoint with no configured limit.
        expect(await store.tryReserve({ key, limit: undefined, windowMs: LONG_MS })).toMatchObject({
          granted: false,
        });
      }
      // Another endpoint of the provider keeps its own limit.
      const other: WindowKey = { provider, endpoint: 'daily', keyIndex: 0 };
      for (let i = 0; i < 3; i++) {
        expect(await store.tryReserve({ key: other, limit: 200, windowMs: LONG_MS })).toMatchObject({
          granted: true,
        });
      }
    });

    it('a disabled key is refused on every endpoint of its provider with its first reason', async () => {
      const store = await make();
      const provider = freshProvider();
      await store.disableKey({ provider, keyIndex: 1, reason: 'token rejected (…ab12)' });
      await store.disableKey({ provider, keyIndex: 1, reason: 'a later reason' });
      for (const endpoint of ['daily', 'stk_mins', 'trade_cal']) {
        expect(
          await store.tryReserve({ key: { provider, endpoint, keyIndex: 1 }, limit: 10, windowMs: LONG_MS }),
        ).toEqual({
          granted: false,
          retryAtMs: Infinity,
          disabledReason: 'token rejected (…ab12)',
        });
        expect(
          await store.tryReserve({ key: { provider, endpoint, keyIndex: 0 }, limit: 10, windowMs: LONG_MS }),
        ).toMatchObject({ granted: true });
      }
      expect(
        await store.tryReserve({
          key: { provider: freshProvider(), endpoint: 'daily', keyIndex: 1 },
          limit: 10,
          windowMs: LONG_MS,
        }),
      ).toMatchObject({ granted: true });
      expect(await store.disabledKeys(provider)).toEqual(new Map([[1, 'token rejected (…ab12)']]));
      expect(await store.disabledKeys(freshProvider())).toEqual(new Map());
    });

    it('rejects with ABORTED when the signal already fired', async () => {
      const store = await make();
      const controller = new AbortController();
      controller.abort();
      await expect(
        store.tryReserve({
          key: { provider: freshProvider(), endpoint: 'daily', keyIndex: 0 },
          limit: 1,
          windowMs: LONG_MS,
          signal: controller.signal,
        }),
      ).rejects.toMatchObject({ code: 'ABORTED' });
    });
  });
}
