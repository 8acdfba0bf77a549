/**
 * End-to-end: `run --metrics-port` serves Prometheus metrics while the run is going; a scrape
 * mid-run sees units, rows, requests, latency histograms and workers in flight.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkspace, simulatedConfig, type Workspace } from '../support/cli.js';

let ws: Workspace | undefined;
afterEach(() => ws?.cleanup());

/** Value of a sample line `name{labels} value`, summed over the lines that match. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const l = m[2] ?? '';
    if (!Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) continue;
    found = true;
    sum += Number(m[3]);
  }
  return found ? sum : Number.NaN;
}

describe('run --metrics-port', () => {
  it('serves Prometheus metrics on 127.0.0.1 that a scrape mid-run can read', async () => {
    ws = createWorkspace();
    // Slow requests (50 ms) so the run lasts long enough to be scraped while it works.
    ws.writeConfig(simulatedConfig(ws.dbPath, { latency_ms: 50, universe_size: 4 }));
    const child = ws.spawn([
      'run',
      '--symbols',
      'ALL',
      '--start-date',
      '2025-06-05',
      '--end-date',
      '2025-06-10',
      '--workers',
      '2',
      '--metrics-port',
      '0',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ]);
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      url = /Metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(child.output().stdout)?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url, child.output().stdout + child.output().stderr).toBeDefined();

    // Scrape until some units are done, while the process still runs.
    let text = '';
    let midRun = false;
    for (let i = 0; i < 400; i++) {
      const res = await fetch(url as string);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      text = await res.text();
      const done = sample(text, 'tickpipe_units_total', { status: 'ok' });
      if (done >= 5) {
        midRun = child.exitCode === null;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(midRun).toBe(true);
    const planned = sample(text, 'tickpipe_units_planned');
    expect(sample(text, 'tickpipe_units_done')).toBeLessThan(planned);
    expect(sample(text, 'tickpipe_rows_written_total')).toBeGreaterThan(0);
    expect(
      sample(text, 'tickpipe_provider_requests_total', { provider: 'simulated', endpoint: 'market' }),
    ).toBeGreaterThan(0);
    expect(sample(text, 'tickpipe_provider_calls_total', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(sample(text, 'tickpipe_provider_request_duration_seconds_count', { provider: 'simulated' })).toBe(
      sample(text, 'tickpipe_provider_requests_total', { provider: 'simulated' }),
    );
    // Requests take ≥ 50 ms: none can be in the 10 ms bucket.
    expect(sample(text, 'tickpipe_provider_request_duration_seconds_bucket', { le: '0.01' })).toBe(0);
    expect(sample(text, 'tickpipe_store_write_duration_seconds_count', { store: 'duckdb' })).toBeGreaterThan(
      0,
    );
    expect(sample(text, 'tickpipe_workers')).toBe(2);
    expect(sample(text, 'tickpipe_workers_in_flight')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('# TYPE tickpipe_rate_limit_wait_seconds histogram');
    expect(text).toContain('# HELP tickpipe_units_total');

    await exited;
    expect(child.exitCode).toBe(0);
    // The endpoint goes away with the run.
    await expect(fetch(url as string)).rejects.toThrow();
  });

  it('a port in use is a usage error before anything is written', async () => {
    ws = createWorkspace();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await ws.run([
        'run',
        '--symbols',
        '600000.SH',
        '--start-date',
        '2025-06-05',
        '--end-date',
        '2025-06-05',
        '--metrics-port',
        String(port),
        '--providers-config',
        ws.configPath,
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--metrics-port ${port}`);
      expect(existsSync(ws.dbPath)).toBe(false);
      const bad = await ws.run([
        'run',
        '--symbols',
        '600000.SH',
        '--start-date',
        '2025-06-05',
        '--end-date',
        '2025-06-05',
        '--metrics-port',
        'x',
        '--providers-config',
        ws.configPath,
      ]);
      expect(bad.code).toBe(2);
    } finally {
      blocker.close();
    }
  });
});
