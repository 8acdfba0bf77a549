/**
 * Set-up of the in-process CLI tests (src/cli/run-cli*.test.ts): a recording `CliIo` and a temp
 * folder with a config whose DuckDB file lives inside it, so nothing can touch ./data.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/cli-io.js';

/** A token the tests put in configs and environments; it must never be printed. */
export const TOKEN = 'tok-SECRET-1234';

/** A `CliIo` that records what the CLI printed. */
export interface FakeIo extends CliIo {
  out: string[];
  err: string[];
  text(): string;
}

/** A fresh {@link FakeIo} with the given environment. */
export function fakeIo(env: Record<string, string | undefined> = {}): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    isTty: false,
    env,
    text: () => [...out, ...err].join('\n'),
  };
}

/** A temp folder with `config.yaml` pointing the DuckDB store inside it. */
export function makeCliSandbox(): { dir: string; configPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tickpipe-cli-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, `storage:\n  duckdb:\n    path: ${join(dir, 'market.duckdb')}\n`);
  return { dir, configPath };
}

/** Removes a sandbox folder. */
export function removeCliSandbox(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
