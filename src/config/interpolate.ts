/**
 * `${VAR}` interpolation over a parsed YAML tree. `${VAR:-fallback}` uses the fallback when VAR
 * is unset or empty. Unset variables become the empty string; callers treat an empty credential
 * as missing. Records which key paths referenced which variables, for error messages.
 */

const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `${VAR}` is not valid YAML inside flow collections (`{ password: ${X} }` reads `{` as a nested
 * map), and the documented example writes it there. Before parsing, each reference becomes a
 * placeholder that is a plain scalar anywhere; {@link interpolateEnv} resolves placeholders.
 */
export function protectReferences(text: string): { text: string; references: string[] } {
  const references: string[] = [];
  const out = text.replace(PATTERN, (m) => {
    references.push(m);
    return `__tickpipe_ref_${references.length - 1}__`;
  });
  return { text: out, references };
}

const PLACEHOLDER = /__tickpipe_ref_(\d+)__/g;
const WHOLE_PLACEHOLDER = /^__tickpipe_ref_(\d+)__$/;

/** A variable reference found while interpolating. */
export interface VariableUse {
  /** Dot path of the key whose value referenced the variable. */
  path: string;
  variable: string;
  /** Whether the variable was set to a non-empty value. */
  set: boolean;
}

/** Interpolates every string scalar of `value`; returns the new tree and the variable uses. */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  references: readonly string[] = [],
): { value: unknown; uses: VariableUse[] } {
  const uses: VariableUse[] = [];
  const substitute = (text: string, path: string): string =>
    text.replace(PATTERN, (_m, name: string, fallback: string | undefined) => {
      const raw = env[name];
      const isSet = raw !== undefined && raw !== '';
      uses.push({ path, variable: name, set: isSet });
      return isSet ? raw : (fallback ?? '');
    });
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      const whole = WHOLE_PLACEHOLDER.exec(v);
      const restored = v.replace(PLACEHOLDER, (_m, i: string) => references[Number(i)] ?? '');
      const result = substitute(restored, path);
      // A value that is exactly one reference takes the variable's type: `${RPM}` → 200.
      if (whole && /^-?\d+(\.\d+)?$/.test(result)) return Number(result);
      if (whole && (result === 'true' || result === 'false')) return result === 'true';
      return result;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, item]) => [
          k,
          walk(item, path ? `${path}.${k}` : k),
        ]),
      );
    }
    return v;
  };
  return { value: walk(value, ''), uses };
}
