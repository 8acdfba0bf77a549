/**
 * Rate limits a provider stated (Tushare's "每分钟最多访问该接口N次") are remembered between runs
 * in a small JSON file beside the data, so the next run starts at the real limit.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';

/** Path of the learned-limits file for a config. */
export function learnedLimitsPath(config: ResolvedConfig): string {
  const dir =
    config.storage.backend === 'duckdb' ? dirname(resolve(config.storage.duckdb.path)) : resolve('./data');
  return join(dir, 'learned-limits.json');
}

/** Reads learned limits; a missing or unreadable file means none. */
export function readLearnedLimits(path: string): Record<string, number> {
  if (!existsSync(path)) return {};
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return {};
    return Object.fromEntries(
      Object.entries(data as Record<string, unknown>).filter(
        (e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0,
      ),
    );
  } catch {
    return {};
  }
}

/** Writes learned limits (only when there is something to remember). */
export function writeLearnedLimits(path: string, limits: Record<string, number>): void {
  if (Object.keys(limits).length === 0) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(limits, null, 2)}\n`);
}
