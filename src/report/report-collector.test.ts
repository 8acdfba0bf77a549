import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../pipeline/events.js';
import { createReportCollector } from './report-collector.js';
import { renderReportHtml } from './render-report-html.js';
import { bucketRates, percentile, rollingCounts } from './run-report.js';

const T0 = Date.parse('2025-06-05T01:30:00Z');
const u = (symbol: string, tradeDate: string, dataType: 'bars_1m' | 'bars_1d' = 'bars_1m') =>
  ({ provider: 'tushare', dataType, symbol, tradeDate }) as const;

function feed(): ReturnType<typeof createReportCollector> {
  let now = T0;
  const c = createReportCollector({ now: () => now, limitFor: () => 50, windowMs: 60_000 });
  const at = (ms: number, e: PipelineEvent) => {
    now = T0 + ms;
    c.onEvent(e);
  };
  at(0, {
    type: 'run:started',
    runId: 'r1',
    symbols: 2,
    tradingDays: 2,
    dataTypes: ['bars_1m'],
    providers: ['tushare'],
    storage: 'duckdb',
    jobs: 2,
    units: 4,
    skipped: 1,
    workers: 2,
  });
  for (let i = 0; i < 10; i++)
    at(1000 + i * 100, {
      type: 'provider:request',
      provider: 'tushare',
      endpoint: 'stk_mins',
      keyIndex: 0,
      waitMs: i === 0 ? 2000 : 0,
      latencyMs: 50 + i * 10,
    });
  at(2000, {
    type: 'unit:succeeded',
    unit: u('600000.SH', '2025-06-05'),
    status: 'ok',
    rows: 241,
    attempts: 1,
  });
  at(2500, {
    type: 'unit:succeeded',
    unit: u('600000.SH', '2025-06-06'),
    status: 'empty',
    rows: 0,
    attempts: 1,
  });
  at(3000, {
    type: 'unit:retrying',
    jobId: 'j',
    provider: 'tushare',
    dataType: 'bars_1m',
    symbol: 'X',
    attempt: 2,
    delayMs: 0,
    error: { code: 'PROVIDER_RATE_LIMITED', message: 'slow', retryable: true },
  });
  at(4000, {
    type: 'unit:failed',
    unit: u('600999.SH', '2025-06-05'),
    status: 'failed',
    attempts: 0,
    error: { code: 'PROVIDER_NOT_FOUND', message: 'Tushare does not know 600999.SH', retryable: false },
  });
  at(4000, {
    type: 'unit:failed',
    unit: u('600999.SH', '2025-06-06'),
    status: 'failed',
    attempts: 0,
    error: { code: 'PROVIDER_NOT_FOUND', message: 'Tushare does not know 600999.SH', retryable: false },
  });
  at(5000, { type: 'rate-limit:learned', provider: 'tushare', endpoint: 'stk_mins', limit: 20 });
  return c;
}

describe('createReportCollector', () => {
  it('builds totals, requests against the (learned) limit, latency, grid and failures from events', () => {
    const r = feed().build({ config: { a: 1 } });
    expect(r.runId).toBe('r1');
    expect(r.totals).toMatchObject({
      ok: 1,
      empty: 1,
      failed: 2,
      rowsWritten: 241,
      requests: 10,
      retries: 1,
      unitsSkipped: 1,
    });
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]).toMatchObject({
      provider: 'tushare',
      endpoint: 'stk_mins',
      total: 10,
      limitPerWindow: 20,
    });
    expect(Math.max(...(r.requests[0]?.points ?? []).map((p) => p.value))).toBe(10);
    expect(r.latency[0]).toMatchObject({ count: 10, p50Ms: 90, maxMs: 140, waited: 1, waitedMs: 2000 });
    expect(r.grid.symbols).toEqual(['600000.SH', '600999.SH']);
    expect(r.grid.cells).toEqual([
      ['ok', 'empty'],
      ['failed', 'failed'],
    ]);
    expect(r.grid.details['600999.SH|2025-06-05']).toContain('Tushare does not know 600999.SH');
    expect(r.failures).toEqual([
      {
        failureClass: 'not_found',
        units: 2,
        symbols: 1,
        reasons: [
          {
            message: 'Tushare does not know 600999.SH',
            units: 2,
            example: 'bars_1m 600999.SH 2025-06-05 via tushare',
          },
        ],
      },
    ]);
    expect(r.retriesByClass).toEqual({ rate_limited: 1 });
  });

  it('renders a page with every section, escaped text and no script or external resource', () => {
    const r = feed().build({ config: { note: '<b>&' } });
    const html = renderReportHtml(r);
    for (const id of ['throughput', 'requests', 'latency', 'grid', 'failures', 'config'])
      expect(html).toContain(`id="${id}"`);
    expect(html).not.toMatch(/<script|\ssrc=|\shref=/i);
    expect(html).toContain('&lt;b&gt;&amp;');
    expect(html.match(/class="cell failed"/g)).toHaveLength(2);
    expect(html).toContain('stk_mins limit 20');
  });
});

describe('series helpers', () => {
  it('percentile is nearest-rank', () => {
    expect(percentile([], 50)).toBe(0);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
  });
  it('rollingCounts counts timestamps in (t - window, t]', () => {
    expect(rollingCounts([0, 10, 20, 30], 15, 30, 4).map((p) => p.value)).toEqual([1, 2, 2, 2]);
  });
  it('bucketRates gives per-second rates', () => {
    expect(
      bucketRates(
        [
          [0, 10],
          [500, 10],
          [1500, 4],
        ],
        2000,
        1000,
      ),
    ).toEqual([
      { t: 1000, value: 20 },
      { t: 2000, value: 4 },
    ]);
  });
});
