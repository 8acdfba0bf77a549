/**
 * Secret redaction. Every secret value the config resolves (tokens, passwords) is registered
 * here; reporters, logs and stored error messages pass through `redact` before leaving the
 * process.
 */

/** Replaces registered secrets in text. */
export interface Redactor {
  redact(text: string): string;
  /** Registers another secret (ignored when shorter than 4 characters, to avoid mangling text). */
  add(secret: string): void;
}

/** Creates a redactor for the given secrets. */
export function createRedactor(secrets: readonly string[] = []): Redactor {
  const values = new Set<string>();
  const add = (s: string) => {
    if (s.length >= 4) values.add(s);
  };
  secrets.forEach(add);
  return {
    add,
    redact(text: string): string {
      let out = text;
      // Longest first so a secret that contains another is replaced whole.
      for (const s of [...values].sort((a, b) => b.length - a.length)) {
        if (out.includes(s)) out = out.split(s).join('***');
      }
      return out;
    },
  };
}
