/**
 * Secrets for the top-level error printer. An error can surface before a config was loaded
 * (a rule violation, a bad file) or after (a store that refused a connection URL): the
 * printer redacts with every config redactor the commands loaded and with the values of
 * secret-looking environment variables (the `${TUSHARE_TOKEN}`, `${CLICKHOUSE_PASSWORD}` a
 * config interpolates).
 */
import { createRedactor, type Redactor } from '../config/redactor.js';

/** Environment variable names whose values are treated as secrets. */
const SECRET_ENV = /(TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|CREDENTIAL)/i;

/** A redactor for the secret-looking variables of `env`. */
export function envSecretsRedactor(env: Readonly<Record<string, string | undefined>>): Redactor {
  return createRedactor(
    Object.entries(env)
      .filter(([name, value]) => SECRET_ENV.test(name) && value !== undefined && value.length > 0)
      .map(([, value]) => value as string),
  );
}

/** Collects redactors and applies them all. */
export function createErrorRedaction(env: Readonly<Record<string, string | undefined>>): {
  track(redactor: Redactor): void;
  redact(text: string): string;
} {
  const redactors: Redactor[] = [envSecretsRedactor(env)];
  return {
    track: (r) => {
      if (!redactors.includes(r)) redactors.push(r);
    },
    redact: (text) => redactors.reduce((t, r) => r.redact(t), text),
  };
}
