/**
 * `${VAR}` interpolation over a parsed YAML tree. `${VAR:-fallback}` uses the fallback when VAR
 * is unset or empty. Unset variables become the empty string; callers treat an empty credential
 * as missing. Records which key paths referenced which variables, for error messages.
 */

const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

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
): { value: unknown; uses: VariableUse[] } {
  const uses: VariableUse[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      return v.replace(PATTERN, (_m, name: string, fallback: string | undefined) => {
        const raw = env[name];
        const isSet = raw !== undefined && raw !== '';
        uses.push({ path, variable: name, set: isSet });
        return isSet ? raw : (fallback ?? '');
      });
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
