import { describe, expect, it } from 'vitest';
import { IngestError } from '../errors.js';
import { createFakeClock } from './clock.js';
import {
  executeWithRetry,
  valueOrThrow,
  type ExecuteOptions,
  type RetryNotice,
  type RetryPolicy,
} from './execute-with-retry.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };
const transient = () => new IngestError('PROVIDER_UNAVAILABLE', 'HTTP 503');

/** An operation failing with `errors` in turn, then returning `value`; records attempt times. */
function scripted<T>(errors: unknown[], value: T, clock: { now(): number }) {
  const calls: Array<{ attempt: number; atMs: number }> = [];
  return {
    calls,
    operation: async ({ attempt }: { attempt: number }): Promise<T> => {
      calls.push({ attempt, atMs: clock.now() });
      const e = errors.shift();
      if (e !== undefined) throw e;
      return value;
    },
  };
}

function run<T>(
  op: Parameters<typeof executeWithRetry<T>>[0],
  clock: ReturnType<typeof createFakeClock>,
  over: Partial<ExecuteOptions> = {},
) {
  const notices: RetryNotice[] = [];
  const promise = executeWithRetry(op, {
    policy,
    clock,
    random: () => 1,
    onRetry: (n) => notices.push(n),
    ...over,
  });
  return { promise, notices };
}

describe('executeWithRetry', () => {
  it('returns the value of the first success with the attempts it took', async () => {
    const clock = createFakeClock();
    const { operation, calls } = scripted([transient(), transient()], 'rows', clock);
    const { promise, notices } = run(operation, clock);
    await clock.advance(10_000);
    await expect(promise).resolves.toEqual({ ok: true, value: 'rows', attempts: 3 });
    // Full jitter at random() = 1: the whole step, doubling: 100 then 200 ms.
    expect(calls).toEqual([
      { attempt: 1, atMs: 0 },
      { attempt: 2, atMs: 100 },
      { attempt: 3, atMs: 300 },
    ]);
    expect(notices.map((n) => [n.nextAttempt, n.delayMs, n.failureClass, n.kind])).toEqual([
      [2, 100, 'transient', 'backoff'],
      [3, 200, 'transient', 'backoff'],
    ]);
  });

  it('caps the backoff, jitters it by random(), and gives up after maxAttempts with the last error', async () => {
    const clock = createFakeClock();
    const errors = Array.from({ length: 10 }, (_, i) => new IngestError('PROVIDER_UNAVAILABLE', `fail ${i}`));
    const { operation, calls } = scripted(errors, 'never', clock);
    const { promise, notices } = run(operation, clock, {
      policy: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 300 },
      random: () => 0.5,
    });
    await clock.advance(60_000);
    const outcome = await promise;
    expect(outcome).toMatchObject({ ok: false, attempts: 6, failureClass: 'transient' });
    expect(!outcome.ok && outcome.error.message).toBe('fail 5');
    expect(calls).toHaveLength(6);
    expect(notices.map((n) => n.delayMs)).toEqual([50, 100, 150, 150, 150]);
  });

  it('a stated retryAfterMs wins over a shorter backoff', async () => {
    const clock = createFakeClock();
    const { operation, calls } = scripted(
      [new IngestError('PROVIDER_UNAVAILABLE', 'busy', { retryAfterMs: 7_000 })],
      1,
      clock,
    );
    const { promise } = run(operation, clock);
    await clock.advance(6_999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    await expect(promise).resolves.toMatchObject({ ok: true, attempts: 2 });
  });

  it('never retries a non-retryable failure', async () => {
    const clock = createFakeClock();
    const { operation, calls } = scripted(
      [new IngestError('PROVIDER_NOT_FOUND', 'no such symbol')],
      1,
      clock,
    );
    const outcome = await run(operation, clock).promise;
    expect(outcome).toMatchObject({ ok: false, attempts: 1, failureClass: 'not_found' });
    expect(calls).toHaveLength(1);
  });

  it('classifies with the caller table when given', async () => {
    const clock = createFakeClock();
    const { operation, calls } = scripted([new Error('socket hang up')], 1, clock);
    const outcome = await run(operation, clock, { classify: () => 'bad_request' }).promise;
    expect(outcome).toMatchObject({ ok: false, failureClass: 'bad_request' });
    expect(calls).toHaveLength(1);
  });

  it('rate-limit answers use up no attempts with maxRateLimitRetries, are retried at once, and are bounded', async () => {
    const clock = createFakeClock();
    const limited = () => new IngestError('PROVIDER_RATE_LIMITED', '429', { retryAfterMs: 60_000 });
    const { operation, calls } = scripted([limited(), limited(), transient(), limited()], 'ok', clock);
    const { promise } = run(operation, clock, { policy: { ...policy, maxRateLimitRetries: 3 } });
    await clock.advance(1_000);
    await expect(promise).resolves.toEqual({ ok: true, value: 'ok', attempts: 2 });
    expect(calls.map((c) => [c.attempt, c.atMs])).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
      [2, 100],
      [2, 100],
    ]);

    const clock2 = createFakeClock();
    const many = scripted(Array.from({ length: 10 }, limited), 'ok', clock2);
    const outcome = await run(many.operation, clock2, { policy: { ...policy, maxRateLimitRetries: 3 } })
      .promise;
    expect(outcome).toMatchObject({ ok: false, failureClass: 'rate_limited', attempts: 1 });
    expect(many.calls).toHaveLength(4);
  });

  it('without maxRateLimitRetries a rate-limit answer waits its retryAfterMs and uses an attempt', async () => {
    const clock = createFakeClock();
    const { operation, calls } = scripted(
      [new IngestError('PROVIDER_RATE_LIMITED', '429', { retryAfterMs: 5_000 })],
      'ok',
      clock,
    );
    const { promise } = run(operation, clock);
    await clock.advance(5_000);
    await expect(promise).resolves.toMatchObject({ ok: true, attempts: 2 });
    expect(calls.map((c) => c.atMs)).toEqual([0, 5_000]);
  });

  it('onFailure sees every failure and may retry at once (using an attempt) or give up', async () => {
    const clock = createFakeClock();
    const auth = () => new IngestError('PROVIDER_AUTH', 'bad token', { context: { keyIndex: 0 } });
    const seen: string[] = [];
    const { operation, calls } = scripted([auth(), auth(), auth()], 'ok', clock);
    const { promise, notices } = run(operation, clock, {
      policy: { ...policy, maxAttempts: 3 },
      onFailure: async (f) => {
        seen.push(`${f.failureClass}@${f.attempt}`);
        return 'retry-now' as const;
      },
    });
    const outcome = await promise;
    expect(notices.map((n) => n.kind)).toEqual(['retry-now', 'retry-now']);
    expect(seen).toEqual(['auth@1', 'auth@2', 'auth@3']);
    expect(outcome).toMatchObject({ ok: false, attempts: 3, failureClass: 'auth' });
    expect(calls.map((c) => c.atMs)).toEqual([0, 0, 0]);

    const giveUp = scripted([transient()], 'ok', clock);
    const early = await run(giveUp.operation, clock, { onFailure: () => 'give-up' }).promise;
    expect(early).toMatchObject({ ok: false, attempts: 1 });
  });

  it('gives up rather than sleep past the total budget', async () => {
    const clock = createFakeClock();
    const errors = Array.from({ length: 100 }, transient);
    const { operation, calls } = scripted(errors, 'ok', clock);
    const { promise } = run(operation, clock, {
      policy: { maxAttempts: 100, baseDelayMs: 1_000, maxDelayMs: 1_000, budgetMs: 4_500 },
    });
    await clock.advance(60_000);
    await expect(promise).resolves.toMatchObject({ ok: false, attempts: 5 });
    expect(calls.map((c) => c.atMs)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
  });

  it('an abort during a backoff sleep rejects with ABORTED at once and leaves no timer', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const { operation, calls } = scripted([transient(), transient()], 'ok', clock);
    const { promise } = run(operation, clock, { signal: controller.signal });
    await clock.advance(10);
    controller.abort();
    await expect(promise).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('an operation that was aborted is not retried', async () => {
    const clock = createFakeClock();
    const { operation, calls } = scripted([new IngestError('ABORTED', 'aborted')], 'ok', clock);
    await expect(run(operation, clock).promise).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls).toHaveLength(1);
  });

  it('valueOrThrow unwraps or throws the last error', async () => {
    expect(valueOrThrow({ ok: true, value: 3, attempts: 1 })).toBe(3);
    const error = transient();
    expect(() => valueOrThrow({ ok: false, error, failureClass: 'transient', attempts: 2 })).toThrow(error);
  });

  it('rejects an invalid policy naming the key', async () => {
    const clock = createFakeClock();
    await expect(
      executeWithRetry(async () => 1, { policy: { ...policy, maxAttempts: 0 }, clock, random: Math.random }),
    ).rejects.toThrow(/policy.maxAttempts/);
    await expect(
      executeWithRetry(async () => 1, { policy: { ...policy, budgetMs: -1 }, clock, random: Math.random }),
    ).rejects.toThrow(/policy.budgetMs/);
  });
});
