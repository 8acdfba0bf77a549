import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { clickHouseTestConfig } from '../../test/support/clickhouse-env.js';
import { requireClickHouseUrl } from '../../test/support/distributed-env.js';
import { randomName, redisTestUrl } from '../../test/support/redis-env.js';
import type { Ticker } from '../domain/ticker.js';
import type { LedgerEntry } from '../ledger/ledger-entry.js';
import { ClickHouseStore } from '../storage/clickhouse/clickhouse-store.js';
import { FENCE_BLOCK, fencedStore, issueFenceToken } from './fencing.js';

const redis = new Redis(redisTestUrl());
const store = new ClickHouseStore(clickHouseTestConfig({ url: requireClickHouseUrl(), batch_ms: 0 }));
afterAll(async () => {
  redis.disconnect();
  await store.close();
});

const entry = (status: LedgerEntry['status']): LedgerEntry => ({
  provider: 'tushare',
  dataType: 'bars_1m',
  symbol: '600519.SH' as Ticker,
  tradeDate: '2025-06-05',
  status,
  rows: status === 'ok' ? 241 : 0,
  attempts: 1,
  errorCode: status === 'ok' ? null : 'PROVIDER_UNAVAILABLE',
  errorMessage: status === 'ok' ? null : 'timed out',
  runId: 'run-x',
  updatedAt: 0,
});

describe('fencing tokens', () => {
  it('are strictly increasing blocks across connections, from the Redis clock (µs)', async () => {
    const key = randomName('fence');
    const others = Array.from({ length: 4 }, () => new Redis(redisTestUrl()));
    try {
      const tokens = await Promise.all(
        Array.from({ length: 40 }, (_, i) => issueFenceToken(others[i % 4] as Redis, key)),
      );
      const sorted = [...tokens].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++)
        expect((sorted[i] as number) - (sorted[i - 1] as number)).toBeGreaterThanOrEqual(FENCE_BLOCK);
      const [sec] = await redis.time();
      expect(Math.abs((sorted[0] as number) / 1e6 - Number(sec))).toBeLessThan(5);
    } finally {
      others.forEach((r) => r.disconnect());
    }
  });

  it("a stale worker's late ledger write never overwrites the newer outcome", async () => {
    const key = randomName('fence');
    const stale = await issueFenceToken(redis, key); // worker A took the job, then stalled
    const fresh = await issueFenceToken(redis, key); // the job ran again on worker B
    await fencedStore(store, fresh).writeLedger({ entries: [entry('ok')] });
    // A wakes up and writes its outcomes (two writes, as a rewrite does) after B.
    const late = fencedStore(store, stale);
    await late.writeLedger({ entries: [entry('rewriting')] });
    await late.writeLedger({ entries: [entry('failed')] });
    const ledger = await store.readLedger({ filter: { symbols: ['600519.SH'] } });
    expect(ledger.map((e) => e.status)).toEqual(['ok']);
    expect(ledger[0]?.updatedAt).toBe(Math.floor(fresh / 1000));
  });

  it('later writes of the same job run win over its earlier ones', async () => {
    const token = await issueFenceToken(redis, randomName('fence'));
    const s = fencedStore(store, token);
    const e = { ...entry('rewriting'), symbol: '000001.SZ' as Ticker };
    await s.writeLedger({ entries: [e] });
    await s.writeLedger({ entries: [{ ...e, status: 'ok', rows: 5, errorCode: null, errorMessage: null }] });
    const ledger = await store.readLedger({ filter: { symbols: ['000001.SZ'] } });
    expect(ledger.map((x) => x.status)).toEqual(['ok']);
  });
});
