/**
 * Fencing tokens: which of two workers that ran the same job wrote the newer outcome.
 *
 * A worker takes a token when it starts a job: a block of {@link FENCE_BLOCK} versions issued by
 * one Lua script from the Redis server's clock (µs) and a counter, so every token is above every
 * earlier one, whatever the workers' own clocks say. The job's ledger writes carry
 * `token + n` (n = 0, 1, … per write) as their version. A worker whose job was taken away
 * (it stalled; the job ran again elsewhere with a later token) can still write late, but its
 * entries carry lower versions and lose to the newer outcome in the store. Rows need no fence:
 * a unit's rows are the same logical rows whoever writes them, kept once per identity.
 * Tokens are µs since the epoch, so entries of a later single-process `run` (whose store
 * versions are wall-clock µs) still win over older distributed ones.
 */
import type { Redis } from 'ioredis';
import type { LedgerEntry } from '../ledger/ledger-entry.js';
import type { Store } from '../storage/store.js';
import { lua, runScript } from './redis-scripts.js';

/** Versions reserved per token (ledger writes of one job run). */
export const FENCE_BLOCK = 1_000;

// KEYS: counter. ARGV: block size. Returns max(server µs, last + 1) and reserves the block.
const ISSUE = lua(`local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local token = now_us
if last >= token then token = last end
redis.call('SET', KEYS[1], string.format('%.0f', token + tonumber(ARGV[1])))
return string.format('%.0f', token)`);

/** Issues a fencing token from `redis` (counter key `key`). */
export async function issueFenceToken(redis: Redis, key: string): Promise<number> {
  return Number(await runScript(redis, ISSUE, [key], [FENCE_BLOCK]));
}

/**
 * The store a job run writes through: ledger entries get versions `token, token + 1, …` and
 * an `updatedAt` from the token (Redis clock), everything else passes through.
 */
export function fencedStore(store: Store, token: number): Store {
  let next = 0;
  const updatedAt = Math.floor(token / 1000);
  const fenced: Store = {
    kind: store.kind,
    init: (p) => store.init(p),
    write: (p) => store.write(p),
    writeLedger: (p) => {
      const version = token + Math.min(next++, FENCE_BLOCK - 1);
      const entries: LedgerEntry[] = p.entries.map((e) => ({ ...e, updatedAt, version }));
      return store.writeLedger({ ...p, entries });
    },
    readLedger: (p) => store.readLedger(p),
    query: (p) => store.query(p),
    // The worker owns the store; a job run never closes it.
    close: async () => {},
  };
  // Optional capabilities pass through, so a job run still pauses intake during a store outage.
  if (store.availability !== undefined) Object.assign(fenced, { availability: store.availability });
  if (store.live !== undefined) Object.assign(fenced, { live: store.live });
  return fenced;
}
