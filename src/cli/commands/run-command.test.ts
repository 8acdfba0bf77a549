import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type LoadedConfig } from '../../config/load-config.js';
import type { IngestError } from '../../errors.js';
import type { RunSummary, SymbolOutcome } from '../../pipeline/events.js';
import {
  parseDataTypes,
  printSummary,
  resolveRunOptions as resolveFromLoaded,
  runFlagOverrides,
  type RunFlags,
} from './run-command.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickpipe-run-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The config file `yaml`, with the flags that set config keys merged by the loader (as the CLI does). */
function loaded(yaml = ''): (flags: RunFlags) => LoadedConfig {
  return (flags) => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, yaml);
    return loadConfig({ path, env: {}, overrides: runFlagOverrides(flags) });
  };
}

function resolveRunOptions(flags: RunFlags, load: (flags: RunFlags) => LoadedConfig) {
  return resolveFromLoaded(flags, load(flags));
}

const base: RunFlags = { symbols: ['600000.SH'], startDate: '2025-06-05', endDate: '2025-06-06' };

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect((e as IngestError).code).toBe('USAGE');
    return (e as Error).message;
  }
  throw new Error('expected a USAGE error');
}

describe('parseDataTypes', () => {
  it('parses a comma list (spaces allowed), deduplicated in order', () => {
    expect(parseDataTypes('bars_1m,bars_1d')).toEqual(['bars_1m', 'bars_1d']);
    expect(parseDataTypes('tick_data, factors,tick_data')).toEqual(['tick_data', 'factors']);
    expect(parseDataTypes('ticks,order_book,factors,tick_data,bars_1m,bars_1d')).toHaveLength(6);
  });

  it('names every unknown type and lists the allowed ones', () => {
    const msg = usage(() => parseDataTypes('ticks,bogus,trades'));
    expect(msg).toContain('"bogus"');
    expect(msg).toContain('"trades"');
    expect(msg).toContain('tick_data, order_book, factors, ticks, bars_1m, bars_1d');
  });

  it('rejects an empty list', () => {
    expect(usage(() => parseDataTypes(' , '))).toContain('empty list');
  });
});

describe('resolveRunOptions', () => {
  it('applies config defaults', () => {
    const o = resolveRunOptions(base, loaded());
    expect(o).toEqual({
      symbols: ['600000.SH'],
      range: { start: '2025-06-05', end: '2025-06-06' },
      requested: ['tick_data', 'order_book', 'factors'],
      routing: {
        routing: { tick_data: ['simulated'], order_book: ['simulated'], factors: ['simulated'] },
        providers: ['simulated'],
        warnings: [],
      },
      workers: 1,
      maxWorkers: 32,
      resume: true,
      includeDelisted: false,
      priority: [],
    });
  });

  it('lets flags win over the config', () => {
    const cfg = loaded(
      'ingestion:\n  workers: 4\n  data_types: [factors]\n  include_delisted: false\n  priority: ["000001.SZ"]\n',
    );
    const o = resolveRunOptions(
      {
        ...base,
        workers: 'auto',
        maxWorkers: '12',
        dataTypes: 'bars_1d',
        resume: false,
        provider: 'simulated',
        includeDelisted: true,
        priority: ['600519.SH'],
      },
      cfg,
    );
    expect(o.workers).toBe('auto');
    expect(o.maxWorkers).toBe(12);
    expect(o.requested).toEqual(['bars_1d']);
    expect(o.resume).toBe(false);
    expect(o.routing.providers).toEqual(['simulated']);
    expect(o.routing.routing).toEqual({ bars_1d: ['simulated'] });
    expect(o.includeDelisted).toBe(true);
    expect(o.priority).toEqual(['600519.SH']);
  });

  it('uses config values when flags are absent', () => {
    const o = resolveRunOptions(
      base,
      loaded('ingestion:\n  workers: 4\n  data_types: [factors]\n  priority: ["000001.sz"]\n'),
    );
    expect(o.workers).toBe(4);
    expect(o.requested).toEqual(['factors']);
    expect(o.priority).toEqual(['000001.SZ']);
  });

  it('merges flags once in the loader: defaults < file < environment < flags', () => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, 'ingestion:\n  workers: 4\n  max_workers: 8\n');
    const load = (flags: RunFlags, env: Record<string, string> = {}) =>
      resolveFromLoaded(flags, loadConfig({ path, env, overrides: runFlagOverrides(flags) }));
    expect(load(base).workers).toBe(4);
    expect(load(base, { TICKPIPE_WORKERS: '6' }).workers).toBe(6);
    expect(load({ ...base, workers: '2' }, { TICKPIPE_WORKERS: '6' }).workers).toBe(2);
    // A flag's worker count is taken as asked; the same count in the file is a mistake.
    expect(load({ ...base, workers: '64' }).workers).toBe(64);
    expect(() => load(base, { TICKPIPE_WORKERS: '64' })).toThrow(/ingestion.workers: expected at most/);
    expect(runFlagOverrides({ ...base, workers: 'auto', maxWorkers: '12', dataTypes: 'bars_1d' })).toEqual({
      ingestion: { workers: 'auto', max_workers: 12, data_types: ['bars_1d'] },
    });
    expect(runFlagOverrides(base)).toEqual({});
  });

  it('recognises ALL in any case', () => {
    expect(resolveRunOptions({ ...base, symbols: ['all'] }, loaded()).symbols).toBe('ALL');
    expect(resolveRunOptions({ ...base, symbols: ['ALL'] }, loaded()).symbols).toBe('ALL');
  });

  it('normalises a mixed space/comma symbol list', () => {
    expect(
      resolveRunOptions({ ...base, symbols: ['000001.SZ,000002.sz', '600000.SH'] }, loaded()).symbols,
    ).toEqual(['000001.SZ', '000002.SZ', '600000.SH']);
  });

  it('accepts compact dates', () => {
    expect(
      resolveRunOptions({ ...base, startDate: '20250605', endDate: '20250607' }, loaded()).range,
    ).toEqual({
      start: '2025-06-05',
      end: '2025-06-07',
    });
  });

  it.each([
    [{ symbols: undefined }, '--symbols is required'],
    [{ symbols: [] }, '--symbols is required'],
    [{ startDate: undefined }, '--start-date and --end-date are required'],
    [{ workers: '0' }, '--workers: expected a positive integer or auto, found "0"'],
    [{ workers: '-3' }, '--workers'],
    [{ workers: 'lots' }, '--workers'],
    [{ workers: '2.5' }, '--workers'],
    [{ workers: '5000' }, '--workers: at most 1024'],
    [{ maxWorkers: '0' }, '--max-workers: expected a positive integer, found "0"'],
    [{ dataTypes: 'bogus' }, '"bogus"'],
    [{ endDate: '2025-02-30' }, 'no such calendar day'],
    [{ priority: ['60000.SH'] }, '"60000.SH"'],
  ] as Array<[Partial<RunFlags>, string]>)('rejects %j', (patch, message) => {
    expect(usage(() => resolveRunOptions({ ...base, ...patch }, loaded()))).toContain(message);
  });

  it('reads --priority @file', () => {
    const file = join(dir, 'priority.txt');
    writeFileSync(file, '600519.SH\n000001.SZ, 300750.SZ\n');
    expect(resolveRunOptions({ ...base, priority: [`@${file}`, '688981.SH'] }, loaded()).priority).toEqual([
      '600519.SH',
      '000001.SZ',
      '300750.SZ',
      '688981.SH',
    ]);
  });

  it('reports an unreadable --priority file as a usage error naming it', () => {
    expect(
      usage(() => resolveRunOptions({ ...base, priority: [`@${join(dir, 'nope.txt')}`] }, loaded())),
    ).toContain('nope.txt');
  });

  // BUG: run-command.ts readPriorityFile splits the file on whitespace first and then drops
  // tokens that start with '#', so a comment line "# top names" yields the tickers TOP and NAMES
  // (and a non-ASCII comment makes the whole run fail with "Malformed symbol"). Expected:
  // everything from '#' to the end of the line is ignored.
  it('ignores whole comment lines in a --priority file', () => {
    const file = join(dir, 'priority.txt');
    writeFileSync(file, '# top names\n600519.SH\n');
    expect(resolveRunOptions({ ...base, priority: [`@${file}`] }, loaded()).priority).toEqual(['600519.SH']);
  });
});

function summary(patch: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: 'r1',
    symbolsTotal: 150,
    symbolsOk: 150,
    unitsPlanned: 450,
    unitsSkipped: 0,
    unitsOk: 450,
    unitsEmpty: 0,
    unitsFailed: 0,
    unitsUnsupported: 0,
    rowsWritten: 1000,
    rowsByTable: {},
    durationMs: 1000,
    interrupted: false,
    failedSymbols: [],
    requests: {},
    ...patch,
  };
}

function outcome(symbol: string, cls: string | undefined, reasons: string[]): SymbolOutcome {
  return { symbol, ok: false, reasons, failureClasses: cls ? [cls] : [] };
}

function lines(s: RunSummary): string[] {
  const out: string[] = [];
  printSummary(s, (l) => out.push(l));
  return out;
}

describe('printSummary', () => {
  it('prints exactly the completion line when everything succeeded', () => {
    expect(lines(summary())).toEqual(['Data ingestion completed. Successful: 150/150']);
  });

  it('lists failed symbols grouped by failure class, with reasons', () => {
    const out = lines(
      summary({
        symbolsOk: 146,
        failedSymbols: [
          outcome('600000.SH', 'rate_limited', ['bars_1m 2025-06-05: too many requests']),
          outcome('000001.SZ', 'auth', ['bars_1m 2025-06-05: bad token']),
          outcome('600519.SH', 'rate_limited', ['a', 'b', 'c', 'd']),
          outcome('AAPL', undefined, ['bars_1d 2025-06-05: boom']),
        ],
      }),
    );
    expect(out[0]).toBe('Data ingestion completed. Successful: 146/150');
    expect(out.slice(1)).toEqual([
      'Failed symbols (4):',
      '  rate_limited (2):',
      '    600000.SH: bars_1m 2025-06-05: too many requests',
      '    600519.SH: a; b (+2 more)',
      '  auth (1):',
      '    000001.SZ: bars_1m 2025-06-05: bad token',
      '  failed (1):',
      '    AAPL: bars_1d 2025-06-05: boom',
    ]);
  });

  it('says "Nothing new to ingest" when every unit was already done', () => {
    const out = lines(summary({ unitsPlanned: 0, unitsSkipped: 450, unitsOk: 0 }));
    expect(out[0]).toMatch(/^Nothing new to ingest: all 450 unit\(s\) are already done/);
    expect(out[0]).toContain('--no-resume');
    expect(out[1]).toBe('Data ingestion completed. Successful: 150/150');
  });

  it('does not say "Nothing new" when units ran', () => {
    expect(lines(summary({ unitsSkipped: 10 })).some((l) => l.startsWith('Nothing new'))).toBe(false);
  });

  it('explains an interrupted run before the completion line', () => {
    const out = lines(summary({ interrupted: true, symbolsOk: 10 }));
    expect(out[0]).toContain('Interrupted');
    expect(out[0]).toContain('resume');
    expect(out[1]).toBe('Data ingestion completed. Successful: 10/150');
  });
});
