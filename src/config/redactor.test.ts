import { describe, expect, it } from 'vitest';
import { createRedactor } from './redactor.js';

describe('createRedactor', () => {
  it('replaces every occurrence of each secret in arbitrary text', () => {
    const r = createRedactor(['tok-SECRET-1234', 'pw-SECRET-9876']);
    const text =
      'POST {"token":"tok-SECRET-1234"} failed; retry with tok-SECRET-1234; password=pw-SECRET-9876\n';
    const out = r.redact(text);
    expect(out).not.toContain('tok-SECRET-1234');
    expect(out).not.toContain('pw-SECRET-9876');
    expect(out).toBe('POST {"token":"***"} failed; retry with ***; password=***\n');
  });

  it('replaces a secret that contains another one whole', () => {
    const r = createRedactor(['abcd', 'abcdefgh']);
    expect(r.redact('x abcdefgh y abcd')).toBe('x *** y ***');
  });

  it('registers secrets added later and ignores very short ones', () => {
    const r = createRedactor();
    r.add('abc');
    r.add('secret-value');
    expect(r.redact('abc secret-value')).toBe('abc ***');
  });

  it('leaves text without secrets unchanged', () => {
    expect(createRedactor(['tok-SECRET-1234']).redact('nothing here')).toBe('nothing here');
  });

  it('treats regex metacharacters in secrets literally', () => {
    const r = createRedactor(['a.b*c+(d)']);
    expect(r.redact('x a.b*c+(d) axbbbc')).toBe('x *** axbbbc');
  });
});
