import { describe, expect, it } from 'vitest';
import { createFakeClock } from './clock.js';
import { createRateLimitGate, type GateEvent } from './rate-limit-gate.js';

const never = new AbortController().signal;

function setup(
  limits: Record<string, number | undefined>,
  extra: { learnedLimits?: Record<string, number> } = {},
) {
  const clock = createFakeClock();
  const events: GateEvent[] = [];
  const gate = createRateLimitGate({
    clock,
    windowMs: 60_000,
    limitFor: (provider, endpoint) => limits[`${provider}|${endpoint}`] ?? limits[provider],
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { clock, gate, events };
}

describe('createRateLimitGate', () => {
  it('limits each (provider, endpoint) separately, with per_api overrides from limitFor', async () => {
    const { clock, gate } = setup({ tushare: 3, 'tushare|stk_mins': 1 });
    for (let i = 0; i < 3; i++) await gate.acquire({ provider: 'tushare', endpoint: 'daily', signal: never });
    await gate.acquire({ provider: 'tushare', endpoint: 'stk_mins', signal: never });
    let granted: number | undefined;
    void gate
      .acquire({ provider: 'tushare', endpoint: 'stk_mins', signal: never })
      .then(() => (granted = clock.now()));
    await clock.advance(59_999);
    expect(granted).toBeUndefined();
    await clock.advance(1);
    expect(granted).toBe(60_000);
    expect(gate.stats().limiters).toEqual([
      {
        provider: 'tushare',
        endpoint: 'daily',
        keyIndex: 0,
        acquired: 3,
        limit: 3,
        maxInWindow: 3,
        waiting: 0,
      },
      {
        provider: 'tushare',
        endpoint: 'stk_mins',
        keyIndex: 0,
        acquired: 2,
        limit: 1,
        maxInWindow: 1,
        waiting: 0,
      },
    ]);
  });

  it('spreads requests over keys and waits for the key whose window frees soonest', async () => {
    const { clock, gate } = setup({ tushare: 2 });
    const keys: number[] = [];
    for (let i = 0; i < 6; i++) {
      keys.push(
        (await gate.acquire({ provider: 'tushare', endpoint: 'daily', keyCount: 3, signal: never })).keyIndex,
      );
      await clock.advance(1_000 * (i + 1));
    }
    expect([...keys].sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect(keys.slice(0, 3).sort()).toEqual([0, 1, 2]); // round-robin while all are free
    // All windows full; key 0's oldest entry (t=0) leaves first.
    const next = gate.acquire({ provider: 'tushare', endpoint: 'daily', keyCount: 3, signal: never });
    await clock.advance(60_000 - clock.now());
    await expect(next).resolves.toMatchObject({ keyIndex: keys[0] });
    for (const s of gate.stats().limiters) expect(s.maxInWindow).toBeLessThanOrEqual(2);
  });

  it('skips disabled keys and rejects with PROVIDER_AUTH naming the reasons once all are disabled', async () => {
    const { gate } = setup({ tushare: 100 });
    await gate.disableKey({ provider: 'tushare', keyIndex: 1, reason: 'bad token (…ab12)' });
    for (let i = 0; i < 20; i++) {
      const { keyIndex } = await gate.acquire({
        provider: 'tushare',
        endpoint: 'daily',
        keyCount: 2,
        signal: never,
      });
      expect(keyIndex).toBe(0);
    }
    await gate.disableKey({ provider: 'tushare', keyIndex: 0, reason: 'daily quota used up' });
    const error = await gate
      .acquire({ provider: 'tushare', endpoint: 'daily', keyCount: 2, signal: never })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PROVIDER_AUTH', retryable: false });
    expect((error as Error).message).toMatch(/all 2 API keys of tushare are disabled/);
    expect((error as Error).message).toContain('key 0: daily quota used up');
    expect((error as Error).message).toContain('key 1: bad token (…ab12)');
    // Another provider is unaffected.
    await expect(
      gate.acquire({ provider: 'yahoo', endpoint: 'chart', signal: never }),
    ).resolves.toMatchObject({
      keyIndex: 0,
    });
  });

  it('a disabled key is disabled for its provider on every endpoint (fetching and planning alike)', async () => {
    const { gate } = setup({ tushare: 100 });
    await gate.acquire({ provider: 'tushare', endpoint: 'stk_mins', keyCount: 2, signal: never });
    await gate.disableKey({ provider: 'tushare', keyIndex: 0, reason: 'token rejected' });
    for (const endpoint of ['stk_mins', 'daily', 'stock_basic', 'trade_cal']) {
      for (let i = 0; i < 3; i++) {
        await expect(
          gate.acquire({ provider: 'tushare', endpoint, keyCount: 2, signal: never }),
        ).resolves.toMatchObject({ keyIndex: 1 });
      }
      await expect(gate.acquire({ provider: 'tushare', endpoint, signal: never })).rejects.toMatchObject({
        code: 'PROVIDER_AUTH',
      });
    }
    await expect(
      gate.acquire({ provider: 'yahoo', endpoint: 'chart', signal: never }),
    ).resolves.toMatchObject({
      keyIndex: 0,
    });
  });

  it('moves waiters of a key disabled while they wait to another key, or fails them when none is left', async () => {
    const { clock, gate } = setup({ tushare: 1 });
    await gate.acquire({ provider: 'tushare', endpoint: 'daily', keyCount: 2, signal: never });
    await gate.acquire({ provider: 'tushare', endpoint: 'daily', keyCount: 2, signal: never });
    await clock.advance(30_000);
    // Key 0 frees at 60 s, key 1 at 60 s too; the tie goes to key 0.
    const waiting = gate.acquire({ provider: 'tushare', endpoint: 'daily', keyCount: 2, signal: never });
    await clock.advance(0);
    await gate.disableKey({ provider: 'tushare', keyIndex: 0, reason: 'bad token' });
    await clock.advance(30_000);
    await expect(waiting).resolves.toMatchObject({ keyIndex: 1 });
    const last = gate.acquire({ provider: 'tushare', endpoint: 'daily', keyCount: 2, signal: never });
    await clock.advance(0);
    await gate.disableKey({ provider: 'tushare', keyIndex: 1, reason: 'bad token' });
    await expect(last).rejects.toMatchObject({ code: 'PROVIDER_AUTH' });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a rate-limit answer pauses every waiter of that limiter for retryAfterMs', async () => {
    const { clock, gate } = setup({ yahoo: 1_000 });
    await gate.acquire({ provider: 'yahoo', endpoint: 'chart', signal: never });
    await gate.onRateLimited({ provider: 'yahoo', endpoint: 'chart', retryAfterMs: 5_000 });
    const grants: number[] = [];
    for (let i = 0; i < 4; i++) {
      void gate
        .acquire({ provider: 'yahoo', endpoint: 'chart', signal: never })
        .then(() => grants.push(clock.now()));
    }
    await clock.advance(4_999);
    expect(grants).toEqual([]);
    await clock.advance(1);
    expect(grants).toEqual([5_000, 5_000, 5_000, 5_000]);
    // Other endpoints are not slowed.
    await clock.advance(0);
    await gate.onRateLimited({ provider: 'yahoo', endpoint: 'chart', retryAfterMs: 10_000 });
    await expect(
      gate.acquire({ provider: 'yahoo', endpoint: 'search', signal: never }),
    ).resolves.toMatchObject({
      keyIndex: 0,
    });
  });

  it('without retryAfterMs pauses until the window frees (oldest entry + window), or a full window', async () => {
    const { clock, gate } = setup({ tushare: 500 });
    await gate.onRateLimited({ provider: 'tushare', endpoint: 'daily' });
    let first: number | undefined;
    void gate
      .acquire({ provider: 'tushare', endpoint: 'daily', signal: never })
      .then(() => (first = clock.now()));
    await clock.advance(60_000);
    expect(first).toBe(60_000);
    await clock.advance(10_000); // oldest entry now at 60 s
    await gate.onRateLimited({ provider: 'tushare', endpoint: 'daily' });
    let second: number | undefined;
    void gate
      .acquire({ provider: 'tushare', endpoint: 'daily', signal: never })
      .then(() => (second = clock.now()));
    await clock.advance(49_999);
    expect(second).toBeUndefined();
    await clock.advance(1);
    expect(second).toBe(120_000);
  });

  it('learns a lower stated limit for every key of the endpoint, emits it, and exports it', async () => {
    const { clock, gate, events } = setup({ tushare: 200 });
    await gate.acquire({ provider: 'tushare', endpoint: 'stk_mins', keyCount: 2, signal: never });
    await gate.onRateLimited({
      provider: 'tushare',
      endpoint: 'stk_mins',
      keyIndex: 0,
      statedLimitPerMinute: 2,
      retryAfterMs: 0,
    });
    await gate.onRateLimited({
      provider: 'tushare',
      endpoint: 'stk_mins',
      keyIndex: 0,
      statedLimitPerMinute: 50,
      retryAfterMs: 0,
    }); // higher: ignored
    expect(events).toEqual([
      { type: 'rate-limit:learned', provider: 'tushare', endpoint: 'stk_mins', limit: 2 },
    ]);
    expect(await gate.learnedLimits()).toEqual({ 'tushare|stk_mins': 2 });
    for (let i = 0; i < 3; i++)
      await gate.acquire({ provider: 'tushare', endpoint: 'stk_mins', keyCount: 2, signal: never });
    let fifth: number | undefined;
    void gate
      .acquire({ provider: 'tushare', endpoint: 'stk_mins', keyCount: 2, signal: never })
      .then(() => (fifth = clock.now()));
    await clock.advance(59_999);
    expect(fifth).toBeUndefined();
    await clock.advance(1);
    expect(fifth).toBe(60_000);
    expect(gate.stats().limiters.map((s) => s.limit)).toEqual([2, 2]);
  });

  it('starts with limits learned by a previous run when they are lower than configured', async () => {
    const { gate } = setup(
      { tushare: 200, yahoo: 3 },
      { learnedLimits: { 'tushare|stk_mins': 5, 'yahoo|chart': 10 } },
    );
    await gate.acquire({ provider: 'tushare', endpoint: 'stk_mins', signal: never });
    await gate.acquire({ provider: 'yahoo', endpoint: 'chart', signal: never });
    await gate.acquire({ provider: 'tushare', endpoint: 'daily', signal: never });
    expect(gate.stats().limiters.map((s) => [s.provider, s.endpoint, s.limit])).toEqual([
      ['tushare', 'daily', 200],
      ['tushare', 'stk_mins', 5],
      ['yahoo', 'chart', 3],
    ]);
    expect(await gate.learnedLimits()).toEqual({ 'tushare|stk_mins': 5, 'yahoo|chart': 10 });
    expect(() =>
      createRateLimitGate({ clock: createFakeClock(), limitFor: () => 1, learnedLimits: { 'a|b': 0 } }),
    ).toThrow(/learnedLimits\["a\|b"\]/);
  });

  it('learns a stated limit for an unlimited endpoint', async () => {
    const { gate } = setup({});
    await gate.acquire({ provider: 'simulated', endpoint: 'generate', signal: never });
    await gate.onRateLimited({
      provider: 'simulated',
      endpoint: 'generate',
      statedLimitPerMinute: 7,
      retryAfterMs: 0,
    });
    expect(gate.stats().limiters[0]?.limit).toBe(7);
  });

  it('emits rate-limit:waiting when a request must wait more than a second', async () => {
    const { clock, gate, events } = setup({ tushare: 1 });
    await gate.acquire({ provider: 'tushare', endpoint: 'daily', signal: never });
    await clock.advance(59_500);
    const short = gate.acquire({ provider: 'tushare', endpoint: 'daily', signal: never });
    expect(events).toEqual([]);
    await clock.advance(500);
    await short;
    void gate.acquire({ provider: 'tushare', endpoint: 'daily', signal: never });
    await clock.advance(0);
    expect(events).toEqual([
      { type: 'rate-limit:waiting', provider: 'tushare', endpoint: 'daily', keyIndex: 0, waitMs: 60_000 },
    ]);
  });

  it('rejects with ABORTED when the caller aborts while waiting', async () => {
    const { clock, gate } = setup({ tushare: 1 });
    await gate.acquire({ provider: 'tushare', endpoint: 'daily', signal: never });
    const controller = new AbortController();
    const waiting = gate.acquire({ provider: 'tushare', endpoint: 'daily', signal: controller.signal });
    await clock.advance(1_000);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(gate.stats().limiters[0]).toMatchObject({ acquired: 1, waiting: 0 });
  });
});
