import { describe, expect, it } from 'vitest';
import type { CliIo } from '../cli-io.js';
import { EXIT } from '../exit-codes.js';
import { benchCommand } from './bench-command.js';

function io(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), isTty: false, env: {} };
}

describe('benchCommand', () => {
  it('prints the table with speedups for the requested settings', async () => {
    const cli = io();
    const code = await benchCommand({ workers: '1,2', symbols: '2', latencyMs: '0' }, cli);
    expect(code).toBe(EXIT.OK);
    const text = cli.out.join('\n');
    expect(text).toContain('2 simulated symbols, 0 ms per request');
    expect(text).toMatch(/speedup vs w=1/);
    expect(text).toMatch(/^ *1 +12 +0 .* 1\.00x$/m);
    expect(text).toMatch(/^ *2 +12 +0 .*\dx$/m);
  });

  it('prints one JSON document on stdout with --format json, progress on stderr', async () => {
    const cli = io();
    const code = await benchCommand({ workers: 'auto', symbols: '1', latencyMs: '0', format: 'json' }, cli);
    expect(code).toBe(EXIT.OK);
    expect(cli.out).toHaveLength(1);
    const parsed = JSON.parse(cli.out[0] as string) as {
      results: Array<{ workers: unknown; units: number }>;
    };
    expect(parsed.results.map((r) => r.workers)).toEqual(['auto']);
    expect(parsed.results[0]?.units).toBeGreaterThan(0);
    expect(cli.err.join('\n')).toContain('Benchmarking workers auto');
  });

  it.each([
    [{ workers: '1,x' }, /--workers/],
    [{ symbols: 'many' }, /--symbols/],
    [{ symbols: '0' }, /--symbols/],
    [{ latencyMs: '-5' }, /--latency-ms/],
    [{ format: 'csv' }, /--format/],
  ])('rejects %o as a usage error', async (flags, message) => {
    await expect(benchCommand(flags, io())).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(message),
    });
  });
});
