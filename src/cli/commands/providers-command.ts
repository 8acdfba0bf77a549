/**
 * `tickpipe providers`: each provider's status (enabled, configured), capabilities, endpoints
 * and limits, and notes. Makes no network calls.
 */
import { PROVIDER_NAMES } from '../../config/schema.js';
import { createProvider } from '../../providers/create-provider.js';
import { silentLogger } from '../../limits/logger.js';
import { unlimitedGate } from '../../limits/request-gate.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, type CommonFlags } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';

/** Flags of `tickpipe providers`. */
export interface ProvidersFlags extends CommonFlags {
  format?: string;
}

/** Runs `tickpipe providers`. */
export async function providersCommand(flags: ProvidersFlags, io: CliIo): Promise<ExitCode> {
  const loaded = loadForCommand(io, flags);
  const report = [];
  for (const name of PROVIDER_NAMES) {
    const status = loaded.providers[name];
    const cfg = loaded.config.providers[name];
    const entry: Record<string, unknown> = {
      name,
      enabled: status.enabled,
      configured: status.configured,
      ...(status.reason ? { reason: status.reason } : {}),
      ...('base_url' in cfg ? { baseUrl: cfg.base_url } : {}),
      requestsPerMinute: cfg.rate_limit.requests_per_minute ?? null,
      perApi: cfg.rate_limit.per_api,
    };
    if (status.configured) {
      const provider = createProvider(name, loaded.config, {
        fetch: globalThis.fetch,
        gate: unlimitedGate,
        now: () => Date.now(),
        logger: silentLogger,
      });
      entry.dataTypes = provider.capabilities.dataTypes;
      entry.tickData = provider.capabilities.tickData;
      entry.maxDaysPerFetch = provider.capabilities.maxDaysPerFetch;
      entry.endpoints = provider.capabilities.endpoints;
      entry.notes = provider.capabilities.notes;
      await provider.close();
    }
    report.push(entry);
  }
  const out = (t: string) => io.stdout(loaded.redactor.redact(t));
  if (flags.format === 'json') {
    out(JSON.stringify(report, null, 2));
    return EXIT.OK;
  }
  for (const p of report) {
    const state = !p.configured ? `not configured — ${String(p.reason)}` : p.enabled ? 'enabled' : 'disabled';
    out(`${String(p.name)}: ${state}${p.baseUrl ? ` (${String(p.baseUrl)})` : ''}`);
    out(
      `  rate limit: ${p.requestsPerMinute === null ? 'none' : `${String(p.requestsPerMinute)}/min per key`}${Object.keys(p.perApi as object).length ? `, per API ${JSON.stringify(p.perApi)}` : ''}`,
    );
    if (p.dataTypes) {
      out(
        `  serves: ${(p.dataTypes as string[]).join(', ')} (tick_data = ${String(p.tickData)}); days per call: ${JSON.stringify(p.maxDaysPerFetch)}`,
      );
      for (const e of p.endpoints as Array<{
        name: string;
        requestsPerMinute?: number;
        rowCap?: number;
        note?: string;
      }>) {
        out(
          `  endpoint ${e.name}: ${e.requestsPerMinute ? `${e.requestsPerMinute}/min` : 'unlimited'}${e.rowCap ? `, ≤${e.rowCap} rows/call` : ''}${e.note ? ` — ${e.note}` : ''}`,
        );
      }
      for (const n of p.notes as string[]) out(`  note: ${n}`);
    }
  }
  return EXIT.OK;
}
