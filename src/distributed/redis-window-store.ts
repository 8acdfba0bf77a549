/**
 * `RedisWindowStore`: the {@link WindowStore} port in Redis, so every worker process on every
 * machine shares one sliding window per (provider, endpoint, API key).
 *
 * - One sorted set per window key (`<prefix>:w:<provider>|<endpoint>|<key>`): member = slot id,
 *   score = Redis server time (ms) of the slot. Each operation is one Lua script, so a
 *   reservation's check (disabled key, pause, learned limit, window count) and its record are
 *   one atomic step on the server, with the server's `TIME` as the only clock.
 * - Pauses: `<prefix>:p:<window key>` holds the pause's end (never shortened). Learned limits:
 *   hash `<prefix>:learned` (`provider|endpoint` → lowest limit ever stated). Disabled keys: hash
 *   `<prefix>:disabled:<provider>` (key index → reason).
 * - Unreachable Redis: commands wait in ioredis's offline queue until the connection is back
 *   (`maxRetriesPerRequest: null`), so a reservation — and the provider call behind it — waits
 *   too; nothing falls back to a local limiter. A caller's signal still ends the wait (`ABORTED`).
 * Resources: owns its ioredis connection unless one is passed in; `close()` ends it.
 */
import { Redis } from 'ioredis';
import { IngestError, throwIfAborted } from '../errors.js';
import type { ReserveParams, ReserveResult, WindowKey, WindowStore } from '../limits/window-store.js';
import { lua, LUA_NOW_MS, runScript } from './redis-scripts.js';

/** Options of {@link createRedisWindowStore}. */
export interface RedisWindowStoreOptions {
  /** A `redis://` URL (the store opens and owns its connection), or an open connection (not closed by the store). */
  redis: string | Redis;
  /** Key prefix; every process sharing a quota must use the same one. Default `tickpipe:limits`. */
  prefix?: string;
}

// KEYS: window, pause, learned hash, disabled hash, slot sequence.
// ARGV: configured limit ('' = unlimited), window ms, learned field, key index.
const RESERVE = lua(`${LUA_NOW_MS}
local reason = redis.call('HGET', KEYS[4], ARGV[4])
if reason then return {0, -1, reason} end
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now_ms then return {0, paused} end
local window_ms = tonumber(ARGV[2])
local limit = tonumber(ARGV[1])
local learned = tonumber(redis.call('HGET', KEYS[3], ARGV[3]) or '')
if learned and ((not limit) or learned < limit) then limit = learned end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
if limit then
  local count = redis.call('ZCARD', KEYS[1])
  if count >= limit then
    local e = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
    return {0, tonumber(e[2]) + window_ms}
  end
end
local id = redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[1], now_ms, id)
redis.call('PEXPIRE', KEYS[1], window_ms * 2 + 60000)
return {1, now_ms, tostring(id)}`);

// KEYS: window. ARGV: slot id, window ms. An entry still in the window moves to now, once: it
// is renamed `<id>r`, so a repeated restamp finds nothing; one that already left the window is
// dropped (it no longer counts anywhere).
const RESTAMP = lua(`${LUA_NOW_MS}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
if tonumber(score) <= now_ms - tonumber(ARGV[2]) then return 0 end
if tonumber(score) > now_ms then now_ms = tonumber(score) end
redis.call('ZADD', KEYS[1], now_ms, ARGV[1] .. 'r')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2 + 60000)
return 1`);

// KEYS: window, pause. ARGV: pause ms ('' = until the oldest entry leaves), window ms.
const PAUSE = lua(`${LUA_NOW_MS}
local window_ms = tonumber(ARGV[2])
local until_ms
if ARGV[1] ~= '' then
  until_ms = now_ms + tonumber(ARGV[1])
else
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if oldest[2] then until_ms = tonumber(oldest[2]) + window_ms else until_ms = now_ms + window_ms end
end
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if current > until_ms then until_ms = current end
if until_ms > now_ms then redis.call('SET', KEYS[2], until_ms, 'PX', until_ms - now_ms + 1000) end
return until_ms`);

// KEYS: learned hash. ARGV: field, limit.
const LEARN = lua(`local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '')
local limit = tonumber(ARGV[2])
if current and current <= limit then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], limit)
return 1`);

const NOW = lua(`${LUA_NOW_MS}
return now_ms`);

/** Opens an ioredis connection that waits (does not fail) while the server is unreachable. */
export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectionName: name,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
  });
}

/** Creates the Redis-backed window store. */
export function createRedisWindowStore(options: RedisWindowStoreOptions): WindowStore {
  const owned = typeof options.redis === 'string';
  const redis =
    typeof options.redis === 'string' ? connectRedis(options.redis, 'tickpipe-limits') : options.redis;
  // Without a listener ioredis prints every reconnect failure; the waits say enough.
  if (owned) redis.on('error', () => {});
  const prefix = options.prefix ?? 'tickpipe:limits';
  const windowKey = (k: WindowKey) => `${prefix}:w:${k.provider}|${k.endpoint}|${k.keyIndex}`;
  const pauseKey = (k: WindowKey) => `${prefix}:p:${k.provider}|${k.endpoint}|${k.keyIndex}`;
  const learnedKey = `${prefix}:learned`;
  const disabledKey = (provider: string) => `${prefix}:disabled:${provider}`;
  let closed = false;

  /** Runs a command, ending the wait (not the command) when `signal` fires. */
  const call = async <T>(op: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    if (closed) throw new IngestError('INTERNAL', 'the Redis window store is closed', { retryable: false });
    throwIfAborted(signal);
    if (!signal) return op();
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new IngestError('ABORTED', 'aborted', { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      op().then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  };

  return {
    async tryReserve(params: ReserveParams): Promise<ReserveResult> {
      const { key, limit, windowMs } = params;
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1))
        throw new RangeError(`limit must be an integer >= 1 or undefined, got ${limit}`);
      const reply = (await call(
        () =>
          runScript(
            redis,
            RESERVE,
            [windowKey(key), pauseKey(key), learnedKey, disabledKey(key.provider), `${prefix}:seq`],
            [limit ?? '', Math.round(windowMs), `${key.provider}|${key.endpoint}`, key.keyIndex],
          ),
        params.signal,
      )) as [number, number, string?];
      if (reply[0] === 1) return { granted: true, atMs: Number(reply[1]), slotId: String(reply[2]) };
      if (Number(reply[1]) === -1)
        return { granted: false, retryAtMs: Infinity, disabledReason: String(reply[2]) };
      return { granted: false, retryAtMs: Number(reply[1]) };
    },

    async restamp(params) {
      await call(() => runScript(redis, RESTAMP, [windowKey(params.key)], [params.slotId, params.windowMs]));
    },

    async pause(params) {
      const reply = await call(() =>
        runScript(
          redis,
          PAUSE,
          [windowKey(params.key), pauseKey(params.key)],
          [params.forMs === undefined ? '' : Math.max(0, Math.round(params.forMs)), params.windowMs],
        ),
      );
      return Number(reply);
    },

    async learnLimit(params) {
      if (!(Number.isInteger(params.limit) && params.limit >= 1))
        throw new RangeError(`limit must be an integer >= 1, got ${params.limit}`);
      const reply = await call(() =>
        runScript(redis, LEARN, [learnedKey], [`${params.provider}|${params.endpoint}`, params.limit]),
      );
      return Number(reply) === 1;
    },

    async learnedLimits() {
      const all = await call(() => redis.hgetall(learnedKey));
      return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Number(v)]));
    },

    async disableKey(params) {
      await call(() => redis.hsetnx(disabledKey(params.provider), String(params.keyIndex), params.reason));
    },

    async disabledKeys(provider) {
      const all = await call(() => redis.hgetall(disabledKey(provider)));
      return new Map(Object.entries(all).map(([k, v]) => [Number(k), v]));
    },

    async now() {
      return Number(await call(() => runScript(redis, NOW, [], [])));
    },

    async close() {
      if (closed) return;
      closed = true;
      if (owned) redis.disconnect();
    },
  };
}
