import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { loadForCommand, reporterFor } from './context.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickpipe-ctx-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function io(patch: Partial<CliIo> = {}): CliIo & { out: string[] } {
  const out: string[] = [];
  return { out, stdout: (t) => out.push(t), stderr: () => {}, isTty: false, env: {}, ...patch };
}

describe('loadForCommand', () => {
  it('applies --storage over config and environment', () => {
    const path = join(dir, 'c.yaml');
    writeFileSync(path, 'storage:\n  backend: duckdb\n');
    const loaded = loadForCommand(io({ env: { TICKPIPE_STORAGE: 'duckdb' } }), {
      providersConfig: path,
      storage: 'clickhouse',
    });
    expect(loaded.config.storage.backend).toBe('clickhouse');
  });

  it('rejects an unknown --storage value', () => {
    expect(() => loadForCommand(io(), { storage: 'sqlite' })).toThrowError(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('"sqlite"') }),
    );
  });

  it('reads the environment of the io, not process.env', () => {
    const path = join(dir, 'c.yaml');
    writeFileSync(path, 'storage:\n  duckdb:\n    path: ${DB_DIR}/x.duckdb\n');
    expect(
      loadForCommand(io({ env: { DB_DIR: '/srv' } }), { providersConfig: path }).config.storage.duckdb.path,
    ).toBe('/srv/x.duckdb');
  });
});

describe('reporterFor', () => {
  const warning = { type: 'run:warning', message: 'token tok-SECRET-1234 rejected' } as const;
  const redact = (s: string) => s.replaceAll('tok-SECRET-1234', '***');

  it('plain and json reporters redact every line', () => {
    for (const format of ['plain', 'json']) {
      const i = io();
      reporterFor(i, format, redact).onEvent(warning);
      expect(i.out).toHaveLength(1);
      expect(i.out[0]).toContain('***');
      expect(i.out[0]).not.toContain('tok-SECRET-1234');
    }
  });

  it('defaults to plain lines off a terminal and pretty on a terminal', () => {
    const plain = io();
    reporterFor(plain, undefined, redact).onEvent(warning);
    expect(plain.out).toEqual(['warning: token *** rejected']);

    const raw: string[] = [];
    const tty = io({ isTty: true, rawStdout: { write: (s: string) => raw.push(s), columns: 80 } });
    reporterFor(tty, undefined, redact).onEvent(warning);
    expect(tty.out).toEqual([]);
    expect(raw.join('')).toContain('warning: token *** rejected');
    expect(raw.join('')).not.toContain('tok-SECRET-1234');
  });

  it('rejects an unknown format', () => {
    expect(() => reporterFor(io(), 'xml', redact)).toThrowError(expect.objectContaining({ code: 'USAGE' }));
  });
});
