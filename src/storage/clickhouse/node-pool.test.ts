import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../test/support/fake-clock.js';
import { silentLogger } from '../../limits/logger.js';
import type { StoreAvailabilityChange } from '../store-availability.js';
import type { ClickHouseClientPort } from './client-port.js';
import { NodePool, type PoolNode } from './node-pool.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
const client = {} as ClickHouseClientPort;

function pool(urls: string[], budgetMs = 60_000) {
  const clock = createFakeClock(1_000);
  const changes: StoreAvailabilityChange[] = [];
  const p = new NodePool({
    nodes: urls.map((url) => ({ url, client })),
    budgetMs,
    baseDelayMs: 200,
    maxDelayMs: 5_000,
    database: 'market',
    now: clock.now,
    sleep: clock.sleep,
    random: () => 1,
    logger: silentLogger,
  });
  p.onChange((c) => changes.push(c));
  return { p, clock, changes };
}

describe('NodePool', () => {
  it('a pool that does not wait (opening the store) names the URLs it tried, without credentials', async () => {
    const { p } = pool(['http://qa:s3cret-pw@ch1:8123', 'http://ch2:8123'], 0);
    const error = (await p
      .run('read the server version', async () => {
        throw refused();
      })
      .catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('STORAGE_FAILED');
    expect(error.message).toBe(
      'ClickHouse could not read the server version: no answer from http://ch1:8123, http://ch2:8123 ' +
        '(last error: connect ECONNREFUSED 127.0.0.1:8123); start it, or point storage.clickhouse.url at a running server',
    );
  });

  it('moves on to the next node when one does not answer, and keeps using the one that does', async () => {
    const { p, changes } = pool(['http://a', 'http://b', 'http://c']);
    const tried: string[] = [];
    const down = new Set(['http://a']);
    const request = async (n: PoolNode) => {
      tried.push(n.url);
      if (down.has(n.url)) throw refused();
      return n.url;
    };
    expect(await p.run('read', request)).toBe('http://b');
    expect(await p.run('read', request)).toBe('http://b');
    expect(tried).toEqual(['http://a', 'http://b', 'http://b']);
    expect(changes).toEqual([]); // one node down is no outage
  });

  it('waits out an outage with growing backoff and announces waiting and recovered once', async () => {
    const { p, clock, changes } = pool(['http://a', 'http://b']);
    let up = false;
    const result = p.run('insert', async (n) => {
      if (!up) throw refused();
      return n.url;
    });
    await clock.advance(1_000);
    let available = false;
    void p.whenAvailable().then(() => (available = true));
    await clock.advance(9_000);
    expect(changes.map((c) => c.state)).toEqual(['waiting']);
    expect(changes[0]).toMatchObject({
      store: 'ClickHouse',
      budgetMs: 60_000,
      reason: 'connect ECONNREFUSED 127.0.0.1:8123',
    });
    expect(available).toBe(false);
    up = true;
    await clock.advance(10_000);
    expect(await result).toBe('http://a');
    expect(available).toBe(true);
    expect(changes.map((c) => c.state)).toEqual(['waiting', 'recovered']);
    expect(changes[1]).toMatchObject({ state: 'recovered' });
    expect((changes[1] as { downMs: number }).downMs).toBeGreaterThan(10_000);
  });

  it('fails past the budget with a retryable STORAGE_FAILED, rejects waiting intake, and fails fast afterwards', async () => {
    const { p, clock, changes } = pool(['http://a'], 3_000);
    let calls = 0;
    const request = async () => {
      calls++;
      throw refused();
    };
    const first = p.run('insert 10 rows into market.ticks', request).catch((e: unknown) => e);
    await clock.advance(500);
    const intake = p.whenAvailable().catch((e: unknown) => e);
    await clock.advance(10_000);
    const error = (await first) as {
      code: string;
      retryable: boolean;
      message: string;
      context: { unreachableMs: number };
    };
    expect(error).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
    expect(error.message).toMatch(
      /could not insert 10 rows into market\.ticks: no answer from its server for \d+ s, past the outage budget of 3 s .*ECONNREFUSED.*Re-run to resume/,
    );
    // Checked before each retry: past 3 s by at most one backoff step (cap 5 s).
    expect(error.context.unreachableMs).toBeGreaterThanOrEqual(3_000);
    expect(error.context.unreachableMs).toBeLessThanOrEqual(3_000 + 5_000);
    expect(await intake).toMatchObject({ code: 'STORAGE_FAILED' });
    expect(changes.map((c) => c.state)).toEqual(['waiting', 'gave-up']);
    const before = calls;
    await expect(p.run('read', request)).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    expect(calls - before).toBe(2); // two quick rounds, no waiting
  });

  it('classifies server answers: wrong SQL of the user is USAGE, credentials CONFIG_INVALID, others STORAGE_FAILED', async () => {
    const { p } = pool(['http://a']);
    const serverError = (code: number) =>
      new Error(`Code: ${code}, e.displayText() = DB::Exception: boom, e.what() = DB::Exception`);
    await expect(
      p.run('q', async () => Promise.reject(serverError(62)), { userSql: true }),
    ).rejects.toMatchObject({
      code: 'USAGE',
      retryable: false,
    });
    await expect(p.run('q', async () => Promise.reject(serverError(516)))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await expect(p.run('q', async () => Promise.reject(serverError(241)))).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
      retryable: true,
      message: 'ClickHouse could not q (ClickHouse code 241): boom',
    });
  });

  it('treats "a shard is unreachable" and ZooKeeper loss as unavailability, not as a bad request', async () => {
    const { p } = pool(['http://a', 'http://b']);
    const tried: string[] = [];
    const result = await p.run('insert', async (n) => {
      tried.push(n.url);
      if (n.url === 'http://a')
        throw new Error(
          'Code: 279, e.displayText() = DB::Exception: All connection tries failed, e.what() = DB::Exception',
        );
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(tried).toEqual(['http://a', 'http://b']);
  });

  it('stops waiting when the signal aborts', async () => {
    const { p, clock } = pool(['http://a']);
    const ac = new AbortController();
    const r = p
      .run('insert', async () => Promise.reject(refused()), { signal: ac.signal })
      .catch((e: unknown) => e);
    await clock.advance(1_000);
    ac.abort();
    expect(await r).toMatchObject({ code: 'ABORTED' });
  });
});
