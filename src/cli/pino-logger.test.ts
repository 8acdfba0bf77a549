import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPinoLogger } from './pino-logger.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function logFile(): string {
  dir = mkdtempSync(join(tmpdir(), 'tickpipe-log-'));
  return join(dir, 'nested', 'run.log');
}

const lines = (path: string): Array<Record<string, unknown>> =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('createPinoLogger', () => {
  it('writes JSON lines at and above the level, with every string redacted', () => {
    const file = logFile();
    const logger = createPinoLogger({
      level: 'info',
      file,
      redact: (t) => t.replaceAll('tok-SECRET', '***'),
    });
    logger.debug('not written', { a: 1 });
    logger.info('request tok-SECRET sent', {
      endpoint: 'daily',
      nested: { url: 'x?token=tok-SECRET' },
      n: 3,
    });
    logger.warn('key disabled', { reasons: ['tok-SECRET rejected'], error: new Error('bad tok-SECRET') });
    logger.flush();
    const written = lines(file);
    expect(written.map((l) => [l.level, l.msg])).toEqual([
      [30, 'request *** sent'],
      [40, 'key disabled'],
    ]);
    expect(written[0]).toMatchObject({ endpoint: 'daily', nested: { url: 'x?token=***' }, n: 3 });
    expect(written[1]).toMatchObject({ reasons: ['*** rejected'], error: { message: 'bad ***' } });
    expect(typeof written[0]?.time).toBe('string');
    expect(readFileSync(file, 'utf8')).not.toContain('tok-SECRET');
  });

  it('defaults to info with a file and to silence without one', () => {
    const file = logFile();
    const toFile = createPinoLogger({ file, redact: (t) => t });
    toFile.debug('no');
    toFile.info('yes');
    toFile.flush();
    expect(lines(file).map((l) => l.msg)).toEqual(['yes']);
    const silent = createPinoLogger({ redact: (t) => t });
    expect(() => silent.error('dropped')).not.toThrow();
  });

  it('rejects an unknown level naming the flag', () => {
    expect(() => createPinoLogger({ level: 'loud', redact: (t) => t })).toThrow(
      /--log-level: expected debug, info/,
    );
  });
});
