/**
 * Set-up of the Tushare provider tests (src/providers/tushare/tushare-provider*.test.ts): the
 * stateful emulator on a fixed clock, a provider config pointing at it, provider deps.
 */
import {
  startTushareEmulator,
  type TushareEmulator,
  type TushareEmulatorOptions,
} from '../emulators/tushare/tushare-emulator.js';
import { configSchema } from '../../src/config/schema.js';
import type { IngestError } from '../../src/errors.js';
import { unlimitedGate } from '../../src/limits/request-gate.js';
import { silentLogger } from '../../src/limits/logger.js';
import type { ProviderDeps } from '../../src/providers/provider.js';
import type { TushareConfig } from '../../src/providers/tushare/tushare-provider.js';

export const TOKEN = 'emulator-token-0001';
export const SECRET = 'super-secret-token-zz99';
// 2025-06-17 10:15:30 in Shanghai.
export const NOW = Date.parse('2025-06-17T02:15:30Z');
const running: TushareEmulator[] = [];

/** Closes every emulator {@link emulator} started (call it in `afterEach`). */
export async function closeEmulators(): Promise<void> {
  await Promise.all(running.splice(0).map((e) => e.close()));
}

export async function emulator(options: TushareEmulatorOptions = {}): Promise<TushareEmulator> {
  const emu = await startTushareEmulator({ now: () => NOW, ...options });
  running.push(emu);
  return emu;
}

export function config(baseUrl: string, overrides: Record<string, unknown> = {}): TushareConfig {
  return configSchema.parse({
    providers: { tushare: { enabled: true, token: TOKEN, base_url: baseUrl, ...overrides } },
  }).providers.tushare;
}

export function deps(overrides: Partial<ProviderDeps> = {}): ProviderDeps {
  return { fetch: globalThis.fetch, gate: unlimitedGate, now: () => NOW, logger: silentLogger, ...overrides };
}

export const signal = (): AbortSignal => new AbortController().signal;

export async function failure(promise: Promise<unknown>): Promise<IngestError> {
  try {
    await promise;
  } catch (e) {
    return e as IngestError;
  }
  throw new Error('expected a failure');
}

/** UTC epoch ms of a Tushare `YYYY-MM-DD HH:MM:SS` Shanghai time, computed independently. */
export const utc = (tradeTime: string): number => Date.parse(`${tradeTime.replace(' ', 'T')}+08:00`);
