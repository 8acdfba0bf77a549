/**
 * Runs Lua scripts by SHA (EVALSHA), loading them again with EVAL when the server answers
 * NOSCRIPT (a restarted Redis has an empty script cache).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script and its SHA-1. */
export interface LuaScript {
  source: string;
  sha: string;
}

/** Wraps Lua source as a {@link LuaScript}. */
export function lua(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Runs `script` with `keys` and `args`; resolves with the script's reply. */
export async function runScript(
  redis: Redis,
  script: LuaScript,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}

/** Lua: the server clock in epoch ms, as local `now_ms`. */
export const LUA_NOW_MS = `local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
