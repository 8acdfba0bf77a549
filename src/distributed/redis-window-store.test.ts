import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { randomName, redisTestUrl, startPrivateRedis } from '../../test/support/redis-env.js';
import type { WindowKey, WindowStore } from '../limits/window-store.js';
import { systemClock } from '../limits/clock.js';
import { createRedisWindowStore } from './redis-window-store.js';
import { createRateLimitGate } from '../limits/rate-limit-gate.js';
import { windowStoreContract } from '../../test/window-store-contract.js';

const url = redisTestUrl();
const open: WindowStore[] = [];
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
});

/** `n` stores on `n` separate connections sharing one prefix: like `n` worker processes. */
function stores(n: number, prefix = randomName('tplim')): WindowStore[] {
  const list = Array.from({ length: n }, () => createRedisWindowStore({ redis: url, prefix }));
  open.push(...list);
  return list;
}

const KEY: WindowKey = { provider: 'tushare', endpoint: 'stk_mins', keyIndex: 0 };

/** Most entries in any half-open window `[t, t + windowMs)`. */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

windowStoreContract('RedisWindowStore', async () =>
  createRedisWindowStore({ redis: url, prefix: randomName('tpcontract') }),
);

describe('RedisWindowStore', () => {
  it('grants exactly `limit` of a burst from many connections, and says when the next fits', async () => {
    const list = stores(5);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (list[i % 5] as WindowStore).tryReserve({ key: KEY, limit: 10, windowMs: 60_000 }),
      ),
    );
    const granted = results.filter((r) => r.granted);
    expect(granted).toHaveLength(10);
    const first = Math.min(...granted.map((r) => (r.granted ? r.atMs : Infinity)));
    for (const r of results) if (!r.granted) expect(r.retryAtMs).toBe(first + 60_000);
    expect(new Set(granted.map((r) => (r.granted ? r.slotId : ''))).size).toBe(10);
  });

  it('never holds more than the limit in any window while processes hammer it', async () => {
    const list = stores(4);
    const windowMs = 300;
    const times: number[] = [];
    const deadline = Date.now() + 1_500;
    await Promise.all(
      list.map(async (s) => {
        while (Date.now() < deadline) {
          const r = await s.tryReserve({ key: KEY, limit: 5, windowMs });
          if (r.granted) times.push(r.atMs);
          else
            await new Promise((res) => setTimeout(res, Math.max(0, Math.min(20, r.retryAtMs - Date.now()))));
        }
      }),
    );
    expect(times.length).toBeGreaterThan(10);
    expect(maxInWindow(times, windowMs)).toBeLessThanOrEqual(5);
  });

  it('uses the Redis server clock', async () => {
    const [s] = stores(1) as [WindowStore];
    const redis = new Redis(url);
    const [sec, usec] = await redis.time();
    redis.disconnect();
    const serverMs = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
    const now = await s.now();
    expect(Math.abs(now - serverMs)).toBeLessThan(1_000);
    const r = await s.tryReserve({ key: KEY, limit: undefined, windowMs: 1000 });
    expect(r.granted && r.atMs >= now).toBe(true);
  });

  it('restamp moves a slot to now (so it frees later); unknown ids are ignored', async () => {
    const [s] = stores(1) as [WindowStore];
    const a = await s.tryReserve({ key: KEY, limit: 1, windowMs: 60_000 });
    expect(a.granted).toBe(true);
    if (!a.granted) return;
    await new Promise((r) => setTimeout(r, 30));
    await s.restamp({ key: KEY, slotId: a.slotId, windowMs: 60_000 });
    await s.restamp({ key: KEY, slotId: 'no-such-slot', windowMs: 60_000 });
    const b = await s.tryReserve({ key: KEY, limit: 1, windowMs: 60_000 });
    expect(b.granted).toBe(false);
    if (!b.granted) expect(b.retryAtMs).toBeGreaterThanOrEqual(a.atMs + 60_000 + 25);
  });

  it('shares pauses between processes and never shortens one', async () => {
    const [a, b] = stores(2) as [WindowStore, WindowStore];
    const until = await a.pause({ key: KEY, forMs: 30_000, windowMs: 60_000 });
    const shorter = await b.pause({ key: KEY, forMs: 1_000, windowMs: 60_000 });
    expect(shorter).toBe(until);
    const r = await b.tryReserve({ key: KEY, limit: 100, windowMs: 60_000 });
    expect(r).toEqual({ granted: false, retryAtMs: until });
    // Other keys and endpoints are not paused.
    const other = await b.tryReserve({ key: { ...KEY, keyIndex: 1 }, limit: 100, windowMs: 60_000 });
    expect(other.granted).toBe(true);
  });

  it('a pause without a stated wait lasts until the oldest slot leaves the window', async () => {
    const [s] = stores(1) as [WindowStore];
    const g = await s.tryReserve({ key: KEY, limit: 10, windowMs: 5_000 });
    expect(g.granted).toBe(true);
    const until = await s.pause({ key: KEY, windowMs: 5_000 });
    if (g.granted) expect(until).toBe(g.atMs + 5_000);
  });

  it('keeps the lowest learned limit, shared, and applies it to reservations', async () => {
    const [a, b] = stores(2) as [WindowStore, WindowStore];
    expect(await a.learnLimit({ provider: 'tushare', endpoint: 'stk_mins', limit: 3 })).toBe(true);
    expect(await b.learnLimit({ provider: 'tushare', endpoint: 'stk_mins', limit: 5 })).toBe(false);
    expect(await b.learnedLimits()).toEqual({ 'tushare|stk_mins': 3 });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => b.tryReserve({ key: KEY, limit: 50, windowMs: 60_000 })),
    );
    expect(results.filter((r) => r.granted)).toHaveLength(3);
  });

  it('shares disabled keys on every endpoint of the provider', async () => {
    const [a, b] = stores(2) as [WindowStore, WindowStore];
    await a.disableKey({ provider: 'tushare', keyIndex: 1, reason: 'token invalid' });
    await a.disableKey({ provider: 'tushare', keyIndex: 1, reason: 'second reason is ignored' });
    expect(await b.disabledKeys('tushare')).toEqual(new Map([[1, 'token invalid']]));
    const r = await b.tryReserve({
      key: { ...KEY, endpoint: 'daily', keyIndex: 1 },
      limit: 5,
      windowMs: 1000,
    });
    expect(r).toEqual({ granted: false, retryAtMs: Infinity, disabledReason: 'token invalid' });
    expect((await b.tryReserve({ key: KEY, limit: 5, windowMs: 1000 })).granted).toBe(true);
  });

  it('waits while Redis is down (no grant, no local fallback) and grants once it is back', async () => {
    const redis = await startPrivateRedis();
    try {
      const store = createRedisWindowStore({ redis: redis.url, prefix: randomName() });
      open.push(store);
      const gate = createRateLimitGate({ store, clock: systemClock, limitFor: () => 100, windowMs: 60_000 });
      await gate.acquire({ provider: 'tushare', endpoint: 'daily', signal: new AbortController().signal });
      await redis.stop();
      let granted = false;
      const pending = gate
        .acquire({ provider: 'tushare', endpoint: 'daily', signal: AbortSignal.timeout(30_000) })
        .then(() => (granted = true));
      await new Promise((r) => setTimeout(r, 1_000));
      expect(granted).toBe(false);
      await redis.start();
      await pending;
      expect(granted).toBe(true);
    } finally {
      await redis.destroy();
    }
  });

  it('ends a wait for an unreachable Redis with ABORTED when the caller aborts', async () => {
    const redis = await startPrivateRedis();
    try {
      const store = createRedisWindowStore({ redis: redis.url, prefix: randomName() });
      open.push(store);
      await store.now();
      await redis.stop();
      const ac = new AbortController();
      const p = store.tryReserve({ key: KEY, limit: 1, windowMs: 1000, signal: ac.signal });
      setTimeout(() => ac.abort(), 200);
      await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    } finally {
      await redis.destroy();
    }
  });
});
