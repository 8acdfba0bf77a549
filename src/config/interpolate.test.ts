import { describe, expect, it } from 'vitest';
import { interpolateEnv } from './interpolate.js';

describe('interpolateEnv', () => {
  it('replaces ${VAR} in nested strings and leaves other scalars alone', () => {
    const { value } = interpolateEnv(
      { a: 'x-${A}-y', b: { c: ['${B}', 3, true, null] }, d: 5 },
      { A: 'one', B: 'two' },
    );
    expect(value).toEqual({ a: 'x-one-y', b: { c: ['two', 3, true, null] }, d: 5 });
  });

  it('uses the fallback of ${VAR:-fallback} when unset or empty', () => {
    const { value } = interpolateEnv(
      { a: '${A:-fa}', b: '${B:-fb}', c: '${C:-fc}', e: '${E:-}' },
      { A: '', C: 'set' },
    );
    expect(value).toEqual({ a: 'fa', b: 'fb', c: 'set', e: '' });
  });

  it('turns an unset variable without fallback into the empty string', () => {
    expect(interpolateEnv('${NOPE}', {}).value).toBe('');
  });

  it('leaves text that is not a reference untouched', () => {
    expect(interpolateEnv('$HOME ${1BAD} ${} $${X', { HOME: 'h' }).value).toBe('$HOME ${1BAD} ${} $${X');
  });

  it('records each use with its key path and whether it was set', () => {
    const { uses } = interpolateEnv(
      { providers: { tushare: { token: '${TUSHARE_TOKEN}', tokens: ['${T1}', '${T2}'] } } },
      { T1: 'x' },
    );
    expect(uses).toEqual([
      { path: 'providers.tushare.token', variable: 'TUSHARE_TOKEN', set: false },
      { path: 'providers.tushare.tokens[0]', variable: 'T1', set: true },
      { path: 'providers.tushare.tokens[1]', variable: 'T2', set: false },
    ]);
  });

  it('does not interpolate recursively (a value containing ${...} stays literal)', () => {
    expect(interpolateEnv('${A}', { A: '${B}', B: 'no' }).value).toBe('${B}');
  });
});
