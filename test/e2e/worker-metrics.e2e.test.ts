/**
 * End-to-end: `tickpipe worker --metrics-port` serves Prometheus metrics of the jobs it runs, so a
 * monitoring system can scrape every worker of a distributed run (README, "Metrics").
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../support/cli.js';
import { distributedWorkspace, exited, requireClickHouseUrl } from '../support/distributed-env.js';
import { redisTestUrl } from '../support/redis-env.js';

const workspaces: Workspace[] = [];
afterAll(() => workspaces.forEach((w) => w.cleanup()));

/** Sum of the samples of metric `name` in a Prometheus text exposition (NaN when absent). */
function total(text: string, name: string): number {
  let sum = Number.NaN;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m?.[1] === name) sum = (Number.isNaN(sum) ? 0 : sum) + Number(m[3]);
  }
  return sum;
}

describe('worker --metrics-port', () => {
  it('a scrape of a running worker sees its units, rows and provider requests', async () => {
    const ws = distributedWorkspace({
      clickhouseUrl: requireClickHouseUrl(),
      redisUrl: redisTestUrl(),
      // Slow requests so the worker is still busy when scraped.
      providers: { simulated: { enabled: true, seed: 7, universe_size: 4, latency_ms: 60 } },
    });
    workspaces.push(ws);
    const enq = await ws.run([
      'enqueue',
      '--symbols',
      'ALL',
      '--start-date',
      '2025-06-05',
      '--end-date',
      '2025-06-10',
      '--providers-config',
      ws.configPath,
    ]);
    expect(enq.code, enq.stderr).toBe(0);

    const worker = ws.spawn([
      'worker',
      '--concurrency',
      '2',
      '--exit-when-idle',
      '--metrics-port',
      '0',
      '--log-format',
      'plain',
      '--providers-config',
      ws.configPath,
    ]);
    const done = exited(worker);
    let url: string | undefined;
    for (let i = 0; i < 400 && !url; i++) {
      url = /Metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(worker.output().stdout)?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url, worker.output().stdout + worker.output().stderr).toBeDefined();

    let text = '';
    for (let i = 0; i < 600; i++) {
      const res = await fetch(url as string).catch(() => undefined);
      if (res?.ok) {
        text = await res.text();
        if (total(text, 'tickpipe_units_total') > 0) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(total(text, 'tickpipe_units_total')).toBeGreaterThan(0);
    expect(total(text, 'tickpipe_rows_written_total')).toBeGreaterThan(0);
    expect(total(text, 'tickpipe_provider_requests_total')).toBeGreaterThan(0);
    expect(text).toContain('tickpipe_store_write_duration_seconds_bucket');

    const result = await done;
    expect(result.code, result.stderr).toBe(0);
  });
});
