import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import { createFakeClock } from '../../../test/support/fake-clock.js';

const never = new AbortController().signal;

function setup() {
  const clock = createFakeClock();
  const changes: Array<[CircuitState, number | undefined]> = [];
  const breaker = new CircuitBreaker({
    clock,
    failureThreshold: 3,
    openMs: 1_000,
    maxOpenMs: 3_000,
    onStateChange: (state, openUntilMs) => changes.push([state, openUntilMs]),
  });
  return { clock, breaker, changes };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive transient failures; a success in between resets the count', async () => {
    const { breaker } = setup();
    breaker.onFailure('transient');
    breaker.onFailure('bad_response');
    breaker.onSuccess();
    breaker.onFailure('transient');
    breaker.onFailure('transient');
    expect(breaker.state).toBe('closed');
    await breaker.beforeRequest(never);
    breaker.onFailure('transient');
    expect(breaker.state).toBe('open');
  });

  it('only transient and bad_response failures count; other answers prove the provider is up', () => {
    const { breaker } = setup();
    for (const c of ['not_found', 'rate_limited', 'auth', 'validation', 'aborted', 'internal'] as const) {
      breaker.onFailure('transient');
      breaker.onFailure('transient');
      breaker.onFailure(c);
      if (c === 'aborted' || c === 'internal') {
        // Neutral: the third transient failure opens it.
        breaker.onFailure('transient');
        expect(breaker.state).toBe('open');
        return;
      }
      expect(breaker.state).toBe('closed');
    }
  });

  it('waits while open, then lets exactly one probe through while the others wait', async () => {
    const { clock, breaker, changes } = setup();
    for (let i = 0; i < 3; i++) breaker.onFailure('transient');
    expect(changes).toEqual([['open', 1_000]]);
    const passed: Array<[number, number]> = [];
    for (let i = 0; i < 4; i++) void breaker.beforeRequest(never).then(() => passed.push([i, clock.now()]));
    await clock.advance(999);
    expect(passed).toEqual([]);
    await clock.advance(1);
    expect(breaker.state).toBe('half-open');
    expect(passed).toEqual([[0, 1_000]]);
    await clock.advance(500);
    expect(passed).toHaveLength(1);
    breaker.onSuccess();
    await clock.advance(0);
    expect(breaker.state).toBe('closed');
    expect(passed.map(([i]) => i).sort()).toEqual([0, 1, 2, 3]);
    expect(changes.map(([s]) => s)).toEqual(['open', 'half-open', 'closed']);
  });

  it('a failed probe reopens for twice as long, up to the cap; a success resets the doubling', async () => {
    const { clock, breaker, changes } = setup();
    for (let i = 0; i < 3; i++) breaker.onFailure('transient');
    const probeAt: number[] = [];
    const probe = async () => {
      await breaker.beforeRequest(never);
      probeAt.push(clock.now());
    };
    for (const expectedWaitMs of [1_000, 2_000, 3_000, 3_000]) {
      const start = clock.now();
      void probe();
      await clock.advance(expectedWaitMs);
      expect(probeAt.at(-1)).toBe(start + expectedWaitMs);
      breaker.onFailure('transient');
      expect(breaker.state).toBe('open');
    }
    void probe();
    await clock.advance(3_000);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    for (let i = 0; i < 3; i++) breaker.onFailure('transient');
    expect(changes.at(-1)).toEqual(['open', clock.now() + 1_000]);
  });

  it('an aborted probe lets another waiter probe', async () => {
    const { clock, breaker } = setup();
    for (let i = 0; i < 3; i++) breaker.onFailure('transient');
    await clock.advance(1_000);
    await breaker.beforeRequest(never); // the probe
    let second = false;
    void breaker.beforeRequest(never).then(() => (second = true));
    await clock.advance(0);
    expect(second).toBe(false);
    breaker.onFailure('aborted');
    await clock.advance(0);
    expect(second).toBe(true);
    expect(breaker.state).toBe('half-open');
  });

  it('rejects waiters with ABORTED when their signal fires', async () => {
    const { clock, breaker } = setup();
    for (let i = 0; i < 3; i++) breaker.onFailure('transient');
    const c1 = new AbortController();
    const whileOpen = breaker.beforeRequest(c1.signal);
    c1.abort();
    await expect(whileOpen).rejects.toMatchObject({ code: 'ABORTED' });
    await clock.advance(1_000);
    await breaker.beforeRequest(never);
    const c2 = new AbortController();
    const whileProbing = breaker.beforeRequest(c2.signal);
    c2.abort();
    await expect(whileProbing).rejects.toMatchObject({ code: 'ABORTED' });
    expect(clock.pendingTimers()).toBe(0);
  });
});
