/**
 * Writes a run report as `RUN_ID.json` and `RUN_ID.html` into the reports directory, and
 * builds the redacted configuration it embeds. Every text written passes the redactor.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from './run-report.js';
import { renderReportHtml } from './render-report-html.js';

/** Config keys whose values are secrets whatever they contain. */
const SECRET_KEYS = new Set(['token', 'tokens', 'password', 'api_key', 'secret']);

/**
 * A deep copy of `value` with secret keys masked and every string passed through `redact`
 * (secrets can hide inside URLs and other values too).
 */
export function redactValue(value: unknown, redact: (s: string) => string, key?: string): unknown {
  if (key !== undefined && SECRET_KEYS.has(key) && value !== undefined && value !== null && value !== '') {
    return Array.isArray(value) ? value.map(() => '***') : '***';
  }
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redact));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, redact, k)]));
  }
  return value;
}

/** Paths of the report files of a run. */
export function reportPaths(dir: string, runId: string): { json: string; html: string; events: string } {
  const safe = runId.replace(/[^A-Za-z0-9._-]/g, '_');
  return {
    json: join(dir, `${safe}.json`),
    html: join(dir, `${safe}.html`),
    events: join(dir, `${safe}.events.ndjson`),
  };
}

/** Writes both files (atomically: temp file, then rename); returns their paths. */
export function writeRunReport(params: { dir: string; report: RunReport; redact: (s: string) => string }): {
  json: string;
  html: string;
} {
  const { dir, report, redact } = params;
  mkdirSync(dir, { recursive: true });
  const paths = reportPaths(dir, report.runId);
  const write = (path: string, text: string) => {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, redact(text));
    renameSync(tmp, path);
  };
  write(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  write(paths.html, renderReportHtml(report));
  return { json: paths.json, html: paths.html };
}
